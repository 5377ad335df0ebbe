#!/usr/bin/env bash
# Measures how long a message that reaches a SIM with no notification
# (+CMTI lost: the simulator's `drop_notifications`) takes to reach the
# gateway's inbox, with the default intervals (storage check every 10 s).
# Starts `simfleet sim` (1 modem) and `simfleet serve` on loopback with a
# temporary database, injects N messages at random moments, prints each
# delay, and stops both. Needs curl and python3.
#   scripts/measure-unannounced.sh [N] [path/to/simfleet]
set -euo pipefail
n="${1:-6}"
bin="${2:-$(dirname "$0")/../target/debug/simfleet}"
dir=$(mktemp -d)
cleanup() {
    [ -n "${gw:-}" ] && kill "$gw" 2>/dev/null || true
    [ -n "${sim:-}" ] && kill "$sim" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$dir"
}
trap cleanup EXIT
json() { python3 -c "import json,sys; print($1)"; }

"$bin" sim --modems 1 --latency-ms 10 --control 127.0.0.1:0 --dir "$dir/sim" >"$dir/sim.out" 2>/dev/null &
sim=$!
for _ in $(seq 50); do [ -s "$dir/sim.out" ] && break; sleep 0.1; done
control=$(head -1 "$dir/sim.out" | json 'json.load(sys.stdin)["control"]')
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$dir/simfleet.toml" <<EOT
[api]
listen = "127.0.0.1:$port"
token_file = "$dir/token"
[storage]
path = "$dir/db.sqlite"
[[modem]]
port = "$dir/sim/modem*"
EOT
RUST_LOG=warn "$bin" serve --config "$dir/simfleet.toml" 2>"$dir/serve.err" &
gw=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
token=$(cat "$dir/token")
inbox() {
    curl -s -H "Authorization: Bearer $token" "http://127.0.0.1:$port/v1/inbox?limit=1000" |
        json 'len(json.load(sys.stdin)["messages"])'
}
sleep 3
curl -s -X POST "$control/modems/0/faults" -H 'content-type: application/json' \
    -d '{"drop_notifications": true}' >/dev/null
for i in $(seq "$n"); do
    sleep "$((RANDOM % 7)).$((RANDOM % 10))"
    before=$(inbox)
    t0=$(date +%s.%N)
    curl -s -X POST "$control/modems/0/sms" -H 'content-type: application/json' \
        -d "{\"from\": \"+7916555$(printf %04d "$i")\", \"text\": \"unannounced $i\"}" >/dev/null
    until [ "$(inbox)" -gt "$before" ]; do sleep 0.1; done
    t1=$(date +%s.%N)
    echo "message $i read after $(python3 -c "print(round($t1 - $t0, 2))") s"
done
