#!/usr/bin/env python3
"""The fidelity suite: Doorman's simulator held to the real services by their own official
clients. Starts `doorman sim --tls` on the Contoso tenant, then runs Microsoft's MSAL for Python
(microsoft.py), Microsoft's Graph JavaScript client (graph.mjs), and Slack's `@slack/web-api`
and `@slack/bolt` and the Bot Framework's `botbuilder` (chat.mjs) against it, unmodified and
configured only as their documentation allows. Prints one table row per operation and fails if
any row failed.

Run from the project root after `cargo build --release`, with the pinned clients installed
(`.ci/run` does both: `npm ci --prefix tests/fidelity` and a virtualenv from
`tests/fidelity/requirements.txt`):

    target/fidelity-venv/bin/python tests/fidelity/run.py
"""
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

from rows import Rows  # noqa: E402
import microsoft  # noqa: E402


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_port(port, seconds=20):
    end = time.time() + seconds
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


def node_rows(script, environment, rows):
    """Runs one Node script; its JSON lines become rows, anything else goes to the log."""
    done = subprocess.run(["node", os.path.join(HERE, script)], env=environment, cwd=HERE,
                          capture_output=True, text=True, timeout=300)
    produced = 0
    for line in done.stdout.splitlines():
        if line.startswith("{"):
            rows.add(json.loads(line))
            produced += 1
    if done.returncode != 0 or produced == 0:
        rows.add({"client": "node", "operation": script, "ok": False, "ms": 0,
                  "detail": f"exit {done.returncode}: {(done.stderr.strip().splitlines() or ['?'])[-1][:200]}"})
    return done.stderr


def main():
    started = time.time()
    binary = os.environ.get("DOORMAN_BIN", os.path.join(ROOT, "target", "release", "doorman"))
    if not os.path.exists(binary):
        sys.exit(f"no {binary}: build with cargo build --release first")
    if not os.path.isdir(os.path.join(HERE, "node_modules")):
        sys.exit("the Node clients are not installed: npm ci --prefix tests/fidelity")
    workdir = tempfile.mkdtemp(prefix="doorman-fidelity-")
    sim_port, bot_port = free_port(), free_port()
    sim_url = f"https://127.0.0.1:{sim_port}"
    with open(os.path.join(workdir, "sim.log"), "w") as log:
        sim = subprocess.Popen(
            [binary, "sim", "--tls", "--listen", f"127.0.0.1:{sim_port}",
             "--tenant", os.path.join(ROOT, "tests", "fixtures", "contoso.json"),
             "--bot", f"http://127.0.0.1:{bot_port}"],
            stdout=log, stderr=subprocess.STDOUT)
    rows = Rows()
    try:
        if not wait_port(sim_port):
            sys.exit("doorman sim --tls did not listen")
        # The certificate is fetched once without verification, as a person fetches a
        # self-signed authority to trust it; every call after that verifies against it.
        unverified = ssl._create_unverified_context()
        pem = urllib.request.urlopen(f"{sim_url}/_sim/ca.pem", context=unverified, timeout=10).read()
        ca_file = os.path.join(workdir, "ca.pem")
        with open(ca_file, "wb") as out:
            out.write(pem)
        trusting = ssl.create_default_context(cafile=ca_file)
        config = tomllib.loads(urllib.request.urlopen(
            f"{sim_url}/_sim/doorman.toml", context=trusting, timeout=10).read().decode())
        tokens = microsoft.run(config, ca_file, rows)
        handed = os.path.join(workdir, "input.json")
        with open(handed, "w") as out:
            json.dump({"sim_url": sim_url, "bot_port": bot_port, "tokens": tokens,
                       "config": config}, out)
        environment = {**os.environ, "NODE_EXTRA_CA_CERTS": ca_file, "FIDELITY_INPUT": handed}
        for script in ("graph.mjs", "chat.mjs"):
            stderr = node_rows(script, environment, rows)
            with open(os.path.join(workdir, f"{script}.log"), "w") as out:
                out.write(stderr)
    finally:
        sim.terminate()
        try:
            sim.wait(5)
        except subprocess.TimeoutExpired:
            sim.kill()
    print(rows.table())
    failed = rows.failures()
    print(f"\n{len(rows.rows) - len(failed)} of {len(rows.rows)} operations held "
          f"({time.time() - started:.0f} s)")
    if failed:
        sys.exit(f"the simulator's and the clients' logs are in {workdir}")
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
