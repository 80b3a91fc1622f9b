#!/usr/bin/env bash
# Memory: Doorman's resident set idle, and once it serves a large catalog.
#
#   bench/catalog-rss.sh                   # build, then measure idle and with 200,000 resources
#   RESOURCES=50000 SKIP_BUILD=1 bench/catalog-rss.sh
#
# 1. Starts `doorman sim` on the sample tenant (../shared/fixtures/contoso.json) and `doorman
#    serve` wired to it; once `/readyz` says ready (the first catalog sync is done) and it has
#    sat idle for IDLE_S seconds, reads its VmRSS.
# 2. Writes a tenant of RESOURCES resources (the sample's people, then security groups,
#    distribution lists, Microsoft 365 groups with their team, private channel and site, and
#    shared mailboxes, in the proportions of a large tenant) and does the same on it: VmRSS once
#    ready and idle, and VmHWM, the peak, which includes the sync that built the catalog.
# 3. Prints both, with the catalog's size as the daemon reports it (`doorman_catalog_resources`).
#
# Everything listens on 127.0.0.1; processes started here are stopped on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
DOORMAN=${DOORMAN:-$TARGET/release/doorman}
FIXTURE=${FIXTURE:-$ROOT/../shared/fixtures/contoso.json}
RESOURCES=${RESOURCES:-200000}
IDLE_S=${IDLE_S:-5}
WORK=$TARGET/catalog-rss
log() { printf '[catalog-rss] %s\n' "$*" >&2; }

if [[ ${SKIP_BUILD:-0} != 1 ]]; then
  log "cargo build --release"
  cargo build --release --locked --quiet
fi
[[ -x $DOORMAN ]] || { log "no release binary at $DOORMAN"; exit 1; }

declare -a STARTED=()
cleanup() {
  local pid
  for pid in "${STARTED[@]:-}"; do
    if [[ -n $pid ]]; then
      kill -TERM "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 600); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }
status() { grep "^$2:" "/proc/$1/status" | awk '{print $2}'; }   # kB

# Measures one tenant: prints "<catalog resources> <VmRSS kB> <VmHWM kB> <seconds to ready>".
measure() {
  local tenant=$1 dir=$2 sim_port bot_port admin_port sim doorman started ready_s resources
  rm -rf "$dir" && mkdir -p "$dir"
  sim_port=$(free_port); bot_port=$(free_port); admin_port=$(free_port)
  "$DOORMAN" sim --listen "127.0.0.1:$sim_port" --tenant "$tenant" --bot "http://127.0.0.1:$bot_port" \
    >"$dir/sim.log" 2>&1 &
  sim=$!; STARTED+=("$sim")
  wait_port "$sim_port" || { log "the simulator did not listen"; exit 1; }
  curl -sf "http://127.0.0.1:$sim_port/_sim/doorman.toml" >"$dir/doorman.toml"
  printf '\n[admin]\nlisten = "127.0.0.1:%s"\n' "$admin_port" >>"$dir/doorman.toml"
  started=$(date +%s.%N)
  (cd "$dir" && exec "$DOORMAN" serve --config doorman.toml) >"$dir/serve.log" 2>&1 &
  doorman=$!; STARTED+=("$doorman")
  wait_port "$bot_port" || { log "doorman serve did not listen"; exit 1; }
  for _ in $(seq 3000); do
    curl -sf -o /dev/null "http://127.0.0.1:$bot_port/readyz" && break
    kill -0 "$doorman" 2>/dev/null || { log "doorman serve stopped: see $dir/serve.log"; exit 1; }
    sleep 0.2
  done
  ready_s=$(echo "$(date +%s.%N) - $started" | bc)
  sleep "$IDLE_S"
  resources=$(curl -sf "http://127.0.0.1:$admin_port/metrics" | awk '/^doorman_catalog_resources /{print $2}')
  echo "${resources:-?} $(status "$doorman" VmRSS) $(status "$doorman" VmHWM) $ready_s"
  kill -TERM "$doorman" "$sim" 2>/dev/null || true
  wait "$doorman" "$sim" 2>/dev/null || true
}

mkdir -p "$WORK"
log "writing a tenant of $RESOURCES resources"
python3 - "$FIXTURE" "$RESOURCES" "$WORK/large-tenant.json" <<'PY'
import json, sys
fixture, total, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
tenant = json.load(open(fixture))
people = [u["userPrincipalName"] for u in tenant["users"]]
domain = people[0].split("@")[1]
words = ["Finance", "Sales", "Ops", "Legal", "Research", "Field", "Retail", "Audit", "Data",
         "Payroll", "Cloud", "Brand", "Supply", "Quality", "Risk", "Vendor", "Estates", "Clinical"]
def name(i):
    return f"{words[i % len(words)]} {words[(i // len(words)) % len(words)]} {i}"
def gid(prefix, i):
    return f"{prefix}-{i >> 16:04x}-4000-8000-{i:012x}"
# A large tenant's mix: most resources are security groups; a team counts its group, its site
# (and library) and its private channel. Distribution lists are few: the simulator finds each
# list's owners by scanning every recipient, which a large number of lists makes slow.
teams = total // 20
lists = total // 50
mailboxes = total // 20
security = total - 4 * teams - lists - mailboxes
groups, team_list, sites, boxes = [], [], [], []
def owner(i): return people[i % len(people)]
for i in range(security):
    groups.append({"id": gid("aaaaaaaa", i), "displayName": "SG " + name(i), "description": "",
                   "mail": None, "mailEnabled": False, "securityEnabled": True, "groupTypes": [],
                   "visibility": "Private", "isAssignableToRole": False,
                   "owners": [owner(i)], "members": []})
for i in range(lists):
    groups.append({"id": gid("bbbbbbbb", i), "displayName": "DL " + name(i), "description": "",
                   "mail": f"dl{i}@{domain}", "mailEnabled": True, "securityEnabled": False,
                   "groupTypes": [], "visibility": "Public", "isAssignableToRole": False,
                   "owners": [owner(i)], "members": []})
for i in range(teams):
    g = gid("cccccccc", i)
    groups.append({"id": g, "displayName": "Team " + name(i), "description": "",
                   "mail": f"team{i}@{domain}", "mailEnabled": True, "securityEnabled": False,
                   "groupTypes": ["Unified"], "visibility": "Private", "isAssignableToRole": False,
                   "owners": [owner(i)], "members": [owner(i)]})
    team_list.append({"groupId": g, "channels": [
        {"id": f"19:general-{i}@thread.tacv2", "displayName": "General", "membershipType": "standard"},
        {"id": f"19:private-{i}@thread.tacv2", "displayName": "Private " + name(i),
         "membershipType": "private", "owners": [owner(i)], "members": [owner(i)]}]})
    host = f"{domain.split('.')[0]}.sharepoint.com"
    sites.append({"id": f"{host},{gid('dddddddd', i)},{gid('eeeeeeee', i)}",
                  "displayName": "Team " + name(i), "name": f"team{i}",
                  "webUrl": f"https://{host}/sites/team{i}", "groupId": g,
                  "drives": [{"id": f"b!docs-{i}", "name": "Documents"}]})
for i in range(mailboxes):
    boxes.append({"id": gid("ffffffff", i), "displayName": "Box " + name(i),
                  "mail": f"box{i}@{domain}", "type": "shared", "owners": [owner(i)],
                  "fullAccess": [], "sendAs": []})
tenant["groups"] = tenant["groups"] + groups
tenant["teams"] = tenant["teams"] + team_list
tenant["sites"] = tenant["sites"] + sites
tenant["mailboxes"] = tenant["mailboxes"] + boxes
json.dump(tenant, open(out, "w"))
PY

log "idle, on the sample tenant"
read -r small_resources idle_rss idle_hwm idle_ready <<<"$(measure "$FIXTURE" "$WORK/small")"
log "with the large tenant (the first sync may take a while)"
read -r large_resources large_rss large_hwm large_ready <<<"$(measure "$WORK/large-tenant.json" "$WORK/large")"

printf '\n| tenant | doorman_catalog_resources | ready after | VmRSS idle | VmHWM (peak) |\n|---|---:|---:|---:|---:|\n'
printf '| sample (%s) | %s | %.1f s | %.1f MB | %.1f MB |\n' "$(basename "$FIXTURE")" "$small_resources" "$idle_ready" \
  "$(echo "$idle_rss / 1024" | bc -l)" "$(echo "$idle_hwm / 1024" | bc -l)"
printf '| generated, %s resources | %s | %.1f s | %.1f MB | %.1f MB |\n' "$RESOURCES" "$large_resources" "$large_ready" \
  "$(echo "$large_rss / 1024" | bc -l)" "$(echo "$large_hwm / 1024" | bc -l)"
