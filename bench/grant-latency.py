#!/usr/bin/env python3
"""Grant latency: how long an auto-approved grant takes from the message to "done, I checked that
it took effect", with every Graph call slowed to LATENCY_MS, and how many Graph round trips that
is. The target (issue 20): at most three round trips x Graph latency + 20 ms.

    ACCEPTANCE_NO_BUILD=1 python3 bench/grant-latency.py          # after cargo build --release
    LATENCY_MS=100 ROUNDS=3 python3 bench/grant-latency.py

Runs `doorman sim` and `doorman serve` (the release build) through the acceptance harness in
../shared/acceptance, with the sample tenant and policy, in which "join the Marketing team please"
is allowed without approval and carried out under the operator's sign-in. Each round: Jordan asks
(a "cold" sender, whose directory facts are not known yet), the grant is made, Jordan asks for it
to be removed, and then asks again within seconds (a "warm" sender, whose facts were read moments
ago). Prints each time and the Graph calls made between the message and the answer."""
import os, sys, time
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
ACCEPTANCE = os.path.join(ROOT, "..", "shared", "acceptance")
sys.path.insert(0, ACCEPTANCE)
os.chdir(ROOT)  # the harness runs target/release/doorman of the checkout it stands in
from harness import *  # noqa: E402,F403
import atexit  # noqa: E402
atexit.register(stop_all)

LATENCY_MS = int(os.environ.get("LATENCY_MS", "100"))
ROUNDS = int(os.environ.get("ROUNDS", "3"))
sc = scenario()
sim = Sim(sc["tenant"])
bot = Bot(sim, policy=sc["policy"], operator=sc["operator"])
person, group = sc["selfjoin"]["user"], sc["selfjoin"]["group"]
ask, remove = sc["selfjoin"]["text"], f"remove me from the {group} team"
people = {person, sc["operator"]}


def said(upn):
    return [m.get("text") or "" for m in bot.teams_seen(upn)]


def answered(upn, before, words):
    return any(words in text for text in said(upn)[before:])


def graph_calls():
    return len(sim.control("GET", "graph/log").json())


def timed(text, words):
    """Sends `text` as the person and waits for an answer holding `words`: seconds, Graph calls."""
    before, calls = len(said(person)), graph_calls()
    start = time.monotonic()
    bot.teams(person, text)
    while not answered(person, before, words):
        if time.monotonic() - start > 60:
            fail(f"no answer with {words!r} to {text!r} within 60 s")
        time.sleep(0.005)
    return time.monotonic() - start, graph_calls() - calls


# Sign the operator in once, at full speed: a sign-in is not part of a grant's time.
bot.teams(person, ask)
if not settle(bot, people, lambda: person in sim.members(group), 60):
    fail("the first grant was not made")
bot.teams(person, remove)
if not settle(bot, people, lambda: person not in sim.members(group), 60):
    fail("the first grant was not removed")
time.sleep(31)  # past the directory facts' life: the next ask is from a cold sender

sim.control("POST", "faults", {"latency_ms": LATENCY_MS})
target = 3 * LATENCY_MS / 1000 + 0.020
rows = []
for n in range(ROUNDS):
    cold, cold_calls = timed(ask, ": done.")
    _, _ = timed(remove, "has ended")
    warm, warm_calls = timed(ask, ": done.")
    timed(remove, "has ended")
    rows.append((cold, cold_calls, warm, warm_calls))
    if n + 1 < ROUNDS:
        sim.control("POST", "faults", {"latency_ms": 0})
        time.sleep(31)
        sim.control("POST", "faults", {"latency_ms": LATENCY_MS})
sim.control("POST", "faults", {"latency_ms": 0})

print(f"\nGraph latency {LATENCY_MS} ms per call; target {target * 1000:.0f} ms (3 round trips + 20 ms)\n")
print("| round | cold sender | round trips | Graph calls | warm sender | round trips | Graph calls |")
print("|---|---:|---:|---:|---:|---:|---:|")
for n, (cold, cold_calls, warm, warm_calls) in enumerate(rows, 1):
    trips = lambda s: s * 1000 / LATENCY_MS
    print(f"| {n} | {cold * 1000:.0f} ms | {trips(cold):.1f} | {cold_calls} | {warm * 1000:.0f} ms | {trips(warm):.1f} | {warm_calls} |")
