#!/usr/bin/env bash
# Ingest benchmark: Doorman beside the official SDKs, in one run, on one pinning.
#
#   bench/ingest.sh                       # build, run everything, print the table and ratios
#   DURATION=10 WARMUP=5 CONNS=64 bench/ingest.sh
#   SKIP_BUILD=1 SKIP_WRK=1 bench/ingest.sh   # reuse the release build, no wrk rows
#   COMPARE_DOORMAN=path/to/older/doorman bench/ingest.sh   # also measure an earlier build
#
# 1. Copies ../shared/bench (the peer harness, read-only where it lives) to target/peer-bench and
#    starts `doorman sim` there (project/doorman-setup.sh).
# 2. Runs the peers with wrk through the harness's own run-peers.sh (axum ceiling, Slack Bolt,
#    botbuilder with JWT): the figures the issue quotes.
# 3. Measures every server again with `doorman bench`, the load generator that makes each request
#    a new delivery (unique ids and text, each Slack body signed with its own HMAC, each Teams
#    activity with the harness's RS256 JWT): the ceiling (which shows what the generator itself
#    can send), Bolt, botbuilder, and Doorman's Slack and Teams webhooks. Servers are pinned to
#    SERVER_CPUS (1), generator and stub to LOADGEN_CPUS (0), as in the harness.
# 4. Prints one table with requests/s, p50/p99, server CPU, reply POSTs the stub received, Doorman's
#    RSS, and Doorman's ratios to the peers.
#
# Everything listens on 127.0.0.1; processes started here are stopped by PID on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
DOORMAN=${DOORMAN:-$TARGET/release/doorman}
SHARED_BENCH=${SHARED_BENCH:-$ROOT/../shared/bench}
PB=$ROOT/target/peer-bench
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-5}
CONNS=${CONNS:-64}
SERVER_CPUS=${SERVER_CPUS:-1}
LOADGEN_CPUS=${LOADGEN_CPUS:-0}
DRAIN_S=${DRAIN_S:-10}
export DURATION WARMUP CONNS SERVER_CPUS LOADGEN_CPUS
export SLACK_SIGNING_SECRET=${SLACK_SIGNING_SECRET:-bench-signing-secret-0123456789abcdef}

log() { printf '[ingest] %s\n' "$*" >&2; }

if [[ ${SKIP_BUILD:-0} != 1 ]]; then
  log "cargo build --release"
  cargo build --release --locked --quiet
fi
[[ -x $DOORMAN ]] || { log "no release binary at $DOORMAN"; exit 1; }

declare -a STARTED=()
stop() {  # stops a process we started, and its direct children, by PID
  local pid=$1 kid
  kill -0 "$pid" 2>/dev/null || return 0
  for kid in $(ps -o pid= --ppid "$pid" 2>/dev/null); do kill -TERM "$kid" 2>/dev/null || true; done
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local pid
  for pid in "${STARTED[@]:-}"; do [[ -n $pid ]] && stop "$pid"; done
  [[ -f $PB/state/doorman-sim.pid ]] && kill "$(cat "$PB/state/doorman-sim.pid")" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_port() { for _ in $(seq 300); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }
ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
stub_count() { curl -s --max-time 2 http://127.0.0.1:3901/count || echo 0; }

# A fresh copy each run; what the harness built or installed (the ceiling and stub, the peers'
# node_modules) is kept from the last one.
mkdir -p "$ROOT/target/peer-bench-keep"
for kept in ceiling/target peers/node_modules; do
  [[ -d $PB/$kept ]] && mv "$PB/$kept" "$ROOT/target/peer-bench-keep/${kept//\//-}"
done
rm -rf "$PB" && cp -r "$SHARED_BENCH" "$PB" && chmod -R u+w "$PB"
for kept in ceiling/target peers/node_modules; do
  [[ -d $ROOT/target/peer-bench-keep/${kept//\//-} ]] && mv "$ROOT/target/peer-bench-keep/${kept//\//-}" "$PB/$kept"
done
RESULTS=$PB/results/ingest-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$RESULTS"
DOORMAN=$DOORMAN "$PB/project/doorman-setup.sh" >&2
export TEAMS_APP_ID; TEAMS_APP_ID=$(cat "$PB/state/doorman-teams-app-id")

# ---------------------------------------------------------------- 1. the peers with wrk
if [[ ${SKIP_WRK:-0} != 1 ]]; then
  log "peers with wrk (run-peers.sh)"
  PEERS=${PEERS:-"ceiling slack-bolt teams-jwt"} DURATION=$DURATION WARMUP=$WARMUP CONNS=$CONNS \
    RESULTS_DIR=$RESULTS/wrk env -u CARGO_TARGET_DIR "$PB/run-peers.sh" >&2
fi
# run-peers.sh builds the ceiling and stub, installs the peers and mints the JWT (1 hour) in
# state/; without it, the same here.
[[ -x $PB/ceiling/target/release/stub ]] || (cd "$PB/ceiling" && env -u CARGO_TARGET_DIR cargo build --release --quiet)
[[ -d $PB/peers/node_modules ]] || (cd "$PB/peers" && npm ci --no-audit --no-fund --loglevel=error)
[[ ${SKIP_WRK:-0} != 1 ]] || (cd "$PB" && node peers/make-jwt.js state "$TEAMS_APP_ID" http://127.0.0.1:3901/ >state/bf-token)

# ---------------------------------------------------------------- 2. everything with doorman bench
STUB_JWKS_FILE=$PB/state/jwks.json taskset -c "$LOADGEN_CPUS" "$PB/ceiling/target/release/stub" 3901 \
  >"$RESULTS/stub.log" 2>&1 &
STARTED+=($!)
wait_port 3901

printf 'row\treq_per_s\tp50_ms\tp99_ms\tnon2xx\terrors\tserver_cpu_pct\treplies_in_window\treplies_after_drain\n' \
  >"$RESULTS/bench.tsv"

# measure ROW PID PLATFORM URL BODY : one `doorman bench` run against the server PID
measure() {
  local row=$1 pid=$2 platform=$3 url=$4 body=$5 out=$RESULTS/$1.json
  local t0 t1 s0 s1 c0 c1 c2
  local token_args=()
  [[ $platform == teams ]] && token_args=(--token-file "$PB/state/bf-token")
  c0=$(stub_count); s0=$(ticks "$pid"); t0=$(date +%s.%N)
  taskset -c "$LOADGEN_CPUS" "$DOORMAN" bench --platform "$platform" --url "$url" --body "$body" \
    "${token_args[@]}" --connections "$CONNS" --warmup "$WARMUP" --duration "$DURATION" --label "$row" \
    >"$out" 2>"$RESULTS/$row.err" || { log "$row: failed: $(cat "$RESULTS/$row.err")"; return 0; }
  t1=$(date +%s.%N); s1=$(ticks "$pid"); c1=$(stub_count)
  if [[ $platform == teams ]]; then sleep "$DRAIN_S"; fi
  c2=$(stub_count)
  python3 - "$out" "$t0" "$t1" "$s0" "$s1" "$(getconf CLK_TCK)" "$c0" "$c1" "$c2" "$WARMUP" "$DURATION" \
    >>"$RESULTS/bench.tsv" <<'EOF'
import json, sys
out, t0, t1, s0, s1, hz, c0, c1, c2, warm, dur = sys.argv[1:]
r = json.load(open(out))
wall = float(t1) - float(t0)
cpu = (int(s1) - int(s0)) / int(hz) / wall * 100
# Replies are counted over warm-up + window; scale to the window so they compare with req/s.
share = float(dur) / (float(warm) + float(dur))
print("\t".join(str(x) for x in [r["label"], int(r["req_per_s"]), r["p50_ms"], r["p99_ms"], r["non2xx"], r["errors"],
      round(cpu), round((int(c1) - int(c0)) * share), round((int(c2) - int(c0)) * share)]))
EOF
  log "$(tail -1 "$RESULTS/bench.tsv")"
}

server() {  # server NAME CMD... : starts it on the server core, sets SERVER_PID
  local name=$1; shift
  taskset -c "$SERVER_CPUS" "$@" >"$RESULTS/$name.server.log" 2>&1 &
  SERVER_PID=$!
  STARTED+=("$SERVER_PID")
}

SLACK_BODY=$PB/payloads/slack-message-im.json
PEER_TEAMS_BODY=$PB/payloads/teams-message.json
DOORMAN_TEAMS_BODY=$PB/project/teams-message-doorman.json
# Doorman's Slack rows come from a person of the tenant, as its Teams rows do (Tom Becker): the
# sim's workspace, his Slack id, and the bot's DM with him, so the bot's `users.info` and its
# reply succeed as they do for a colleague. The sim names a DM `D` + the first five bytes of
# SHA-256("im" NUL team NUL user), in capital hex. Doorman's config takes the sim's workspace, app
# and signing secret back from doorman-setup.sh's: the sim delivers the bot's own replies as
# events, as Slack does, signed with its secret and naming its app, so Doorman's rows are signed
# with it too (Bolt's keep the harness's), and each reply's echo is Doorman's own post, set aside
# as it is in production (Bolt's replies go to the stub, which sends nothing back).
DOORMAN_SLACK_BODY=$PB/project/slack-message-doorman.json
python3 - "$PB/state/doorman-sim.toml" "$PB/state/doorman-bench.toml" "$SLACK_BODY" \
  "$DOORMAN_SLACK_BODY" "${SLACK_SENDER:-U04TOM}" <<'EOF'
import hashlib, json, re, sys
sim_toml, bench_toml, sample, out, user = sys.argv[1:6]
slack = re.search(r'^\[slack\]\n((?:(?!^\[).*\n?)*)', open(sim_toml).read(), re.M).group(1)
team = re.search(r'^team_id = "([^"]+)"', slack, re.M).group(1)
app = re.search(r'^app_id = "([^"]+)"', slack, re.M).group(1)
dm = "D" + hashlib.sha256(f"im\0{team}\0{user}".encode()).digest()[:5].hex().upper()
body = json.load(open(sample))
body["team_id"] = team
body["api_app_id"] = app
body["event"].update({"team": team, "user": user, "channel": dm})
for authorization in body.get("authorizations", []):
    authorization["team_id"] = team
json.dump(body, open(out, "w"), separators=(",", ":"))
secret = re.search(r'^signing_secret = "([^"]+)"', slack, re.M).group(1)
config = open(bench_toml).read()
for key, value in (("team_id", team), ("app_id", app), ("signing_secret", secret)):
    config, found = re.subn(r'(^\[slack\]\n(?:(?!^\[).*\n)*?)^' + key + r' = .*$',
                            lambda m: m.group(1) + f'{key} = "{value}"', config, count=1, flags=re.M)
    assert found == 1, f"no [slack] {key} in {bench_toml}"
open(bench_toml, "w").write(config)
open(out + ".secret", "w").write(secret)
EOF
DOORMAN_SLACK_SECRET=$(cat "$DOORMAN_SLACK_BODY.secret")

server ceiling "$PB/ceiling/target/release/ceiling" 3900; wait_port 3900
measure gen-ceiling "$SERVER_PID" slack http://127.0.0.1:3900/slack/events "$SLACK_BODY"
stop "$SERVER_PID"

if [[ ${SKIP_PEERS:-0} != 1 ]]; then
  PORT=3910 server slack-bolt env SLACK_API_URL=http://127.0.0.1:3901/api/ node "$PB/peers/slack-bolt.js"
  wait_port 3910
  measure gen-slack-bolt "$SERVER_PID" slack http://127.0.0.1:3910/slack/events "$SLACK_BODY"
  stop "$SERVER_PID"

  PORT=3921 BENCH_AUTH=jwt BENCH_APP_ID=$TEAMS_APP_ID \
    BENCH_OPENID_URL=http://127.0.0.1:3901/.well-known/openidconfiguration \
    server teams-jwt node "$PB/peers/teams-botbuilder.js"
  wait_port 3921
  measure gen-teams-botbuilder-jwt "$SERVER_PID" teams http://127.0.0.1:3921/api/messages "$PEER_TEAMS_BODY"
  stop "$SERVER_PID"
fi

# link_slack_sender : Tom links his Slack account once, as a person does the first time: one signed
# message, then the sign-in link the bot answers with, followed in the sim. Without it every
# measured event would be an unlinked sender's and get a sign-in prompt instead of an answer.
link_slack_sender() {
  python3 - "$DOORMAN_SLACK_BODY" "$DOORMAN_SLACK_SECRET" "${SLACK_SENDER:-U04TOM}" \
    "http://127.0.0.1:${SIM_PORT:-18990}/_sim" <<'EOF'
import hashlib, hmac, json, re, sys, time, urllib.request
body_file, secret, user, sim = sys.argv[1:5]
body = json.load(open(body_file))
link_pattern = r'http://127\.0\.0\.1:3930/auth/start[^"\\ <>)\]|\']*'
# The sim keeps what earlier daemons said to him (a COMPARE_DOORMAN run): only a new link counts.
earlier = set(re.findall(link_pattern, urllib.request.urlopen(f"{sim}/slack/messages?user={user}", timeout=10).read().decode()))
body["event_id"] = f"EvLINK{int(time.time())}"
body["event"]["text"] = "hello"
raw = json.dumps(body, separators=(",", ":")).encode()
ts = str(int(time.time()))
signature = "v0=" + hmac.new(secret.encode(), b"v0:" + ts.encode() + b":" + raw, hashlib.sha256).hexdigest()
request = urllib.request.Request("http://127.0.0.1:3930/slack/events", data=raw, method="POST", headers={
    "content-type": "application/json", "x-slack-request-timestamp": ts, "x-slack-signature": signature})
urllib.request.urlopen(request, timeout=10).read()
deadline = time.time() + 20
while time.time() < deadline:
    seen = urllib.request.urlopen(f"{sim}/slack/messages?user={user}", timeout=10).read().decode()
    links = [link for link in re.findall(link_pattern, seen) if link not in earlier]
    if links:
        link = links[-1].encode().decode("unicode_escape").replace("&amp;", "&")
        urllib.request.urlopen(link, timeout=10).read()
        print(f"linked {user}", file=sys.stderr)
        break
    time.sleep(0.3)
else:
    sys.exit(f"no sign-in link for {user} within 20 s")
EOF
}

# measure_doorman BINARY SUFFIX : Doorman's two webhooks, a fresh store, RSS sampled each second
measure_doorman() {
  local binary=$1 suffix=$2 out=$RESULTS
  [[ -n $suffix ]] && out=$RESULTS/doorman$suffix && mkdir -p "$out"
  RESULTS_DIR=$out DOORMAN=$binary server "doorman$suffix" "$PB/project/doorman-run.sh"
  wait_port 3930
  for _ in $(seq 300); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:3930/readyz) == 200 ]] && break; sleep 0.1
  done
  local pid; pid=$(pgrep -P "$SERVER_PID" -f 'serve --config' | head -1 || true)
  sleep 2   # one idle RSS sample
  link_slack_sender || log "could not link the Slack sender: every event will get a sign-in prompt"
  SLACK_SIGNING_SECRET=$DOORMAN_SLACK_SECRET \
    measure "gen-doorman-slack$suffix" "${pid:-$SERVER_PID}" slack http://127.0.0.1:3930/slack/events "$DOORMAN_SLACK_BODY"
  measure "gen-doorman-teams$suffix" "${pid:-$SERVER_PID}" teams http://127.0.0.1:3930/api/messages "$DOORMAN_TEAMS_BODY"
  sleep 2   # one RSS sample after the load
  stop "$SERVER_PID"
}
# COMPARE_DOORMAN=<an earlier build>: measured too, first, as the `-before` rows.
[[ -n ${COMPARE_DOORMAN:-} ]] && measure_doorman "$COMPARE_DOORMAN" -before
measure_doorman "$DOORMAN" ""

# ---------------------------------------------------------------- 3. the table
python3 - "$RESULTS" <<'EOF'
import csv, glob, os, sys
res = sys.argv[1]
rows = {r["row"]: r for r in csv.DictReader(open(os.path.join(res, "bench.tsv")), delimiter="\t")}
wrk = {}
wrk_tsv = os.path.join(res, "wrk", "results.tsv")
if os.path.exists(wrk_tsv):
    wrk = {r["row"]: r for r in csv.DictReader(open(wrk_tsv), delimiter="\t")}
print(open(os.path.join(res, "wrk", "versions.txt")).read() if os.path.exists(os.path.join(res, "wrk", "versions.txt")) else "")
print(f"load: doorman bench, {os.environ.get('CONNS', '64')} connections, closed loop; server on CPU {os.environ.get('SERVER_CPUS', '1')}, generator + stub on CPU {os.environ.get('LOADGEN_CPUS', '0')}\n")
print(f"{'row':32} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'non2xx':>7} {'srvCPU':>7} {'replies':>8} {'+drain':>8}")
for name, r in wrk.items():
    if r["req_per_s"] != "-":
        print(f"{'wrk ' + name:32} {r['req_per_s']:>8} {r['p50_ms']:>8} {r['p99_ms']:>8} {r['non2xx']:>7} {r['server_cpu_pct'] + '%':>7} {r['outbound_posts']:>8} {'':>8}")
for name, r in rows.items():
    print(f"{name:32} {r['req_per_s']:>8} {float(r['p50_ms']):>8.2f} {float(r['p99_ms']):>8.2f} {r['non2xx']:>7} {r['server_cpu_pct'] + '%':>7} {r['replies_in_window']:>8} {r['replies_after_drain']:>8}")
def rate(table, row, key="req_per_s"):
    try: return float(table[row][key])
    except (KeyError, ValueError): return None
def ratio(a, b):
    return f"{a / b:.2f}x" if a and b else "-"
ds, dt = rate(rows, "gen-doorman-slack"), rate(rows, "gen-doorman-teams")
dt_replies = rate(rows, "gen-doorman-teams", "replies_in_window")
dt_handled = min(dt, dt_replies / float(os.environ.get("DURATION", "10"))) if dt and dt_replies is not None else None
print()
print("Doorman Slack (new signed event acknowledged) vs Bolt:  "
      f"wrk {ratio(ds, rate(wrk, 'slack-bolt'))}, doorman bench {ratio(ds, rate(rows, 'gen-slack-bolt'))}")
print("Doorman Teams (new message, JWT, replies sent in window) vs botbuilder-jwt:  "
      f"wrk {ratio(dt_handled, rate(wrk, 'teams-botbuilder-jwt'))}, doorman bench {ratio(dt_handled, rate(rows, 'gen-teams-botbuilder-jwt'))}"
      f"  (acks {ratio(dt, rate(rows, 'gen-teams-botbuilder-jwt'))})")
bs, bt = rate(rows, "gen-doorman-slack-before"), rate(rows, "gen-doorman-teams-before")
if bs or bt:
    bt_replies = rate(rows, "gen-doorman-teams-before", "replies_in_window")
    bt_handled = min(bt, bt_replies / float(os.environ.get("DURATION", "10"))) if bt and bt_replies is not None else None
    print("Before (COMPARE_DOORMAN) in the same run:  Slack vs Bolt "
          f"wrk {ratio(bs, rate(wrk, 'slack-bolt'))}, doorman bench {ratio(bs, rate(rows, 'gen-slack-bolt'))};  Teams vs botbuilder-jwt "
          f"wrk {ratio(bt_handled, rate(wrk, 'teams-botbuilder-jwt'))}, doorman bench {ratio(bt_handled, rate(rows, 'gen-teams-botbuilder-jwt'))}")
rss = os.path.join(res, "doorman-rss.tsv")
if os.path.exists(rss):
    lines = [l.split("\t") for l in open(rss).read().splitlines()[1:] if l.strip()]
    ready = [l for l in lines if len(l) > 2 and l[2] == "ready"]
    if ready and lines:
        print(f"Doorman RSS: idle {int(ready[0][1]) / 1024:.1f} MB, after the load {int(lines[-1][1]) / 1024:.1f} MB, peak {max(int(l[1]) for l in lines if l[1]) / 1024:.1f} MB")
print(f"raw: {res}")
EOF
