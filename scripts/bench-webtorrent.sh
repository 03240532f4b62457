#!/usr/bin/env bash
# WebSocket announce load with offers (io/src/test/node/ws-load.mjs) against trackerd and against the npm
# bittorrent-tracker's own server (io/src/test/node/ref-server.mjs), one after the other on loopback, with each
# server's CPU time over the measured part read from /proc. Needs `npm ci` in io/src/test/node and a built
# io/target/trackerd.jar (scripts/run-tracker.sh builds it).
#   [WARMUP=3] scripts/bench-webtorrent.sh [connections=64] [seconds=10] [offers=5]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
connections="${1:-64}"; seconds="${2:-10}"; offers="${3:-5}"; warmup="${WARMUP:-3}"
work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz="$(getconf CLK_TCK)"

measure() { # name pid url
  local name="$1" pid="$2" url="$3"
  (cd io/src/test/node && node ws-load.mjs --url "$url" --connections "$connections" --seconds "$seconds" \
    --warmup "$warmup" --offers "$offers" > "$work/$name.json") &
  local load=$!
  sleep "$warmup"; local t0; t0="$(ticks "$pid")"
  sleep "$seconds"; local t1; t1="$(ticks "$pid")"
  wait "$load"
  local cpu; cpu="$(echo "scale=3; ($t1 - $t0) / $hz" | bc)"
  local rate; rate="$(sed 's/.*"perSecond":\([0-9.]*\).*/\1/' "$work/$name.json")"
  local answers; answers="$(sed 's/.*"answers":\([0-9]*\).*/\1/' "$work/$name.json")"
  echo "$name: $(cat "$work/$name.json") server_cpu_s=$cpu answers_per_cpu_s=$(echo "scale=0; $answers / ($cpu + 0.001)" | bc)"
}

port=$((20000 + RANDOM % 20000))
cat > "$work/trackerd.json" <<JSON
{ "http": { "listen": ["127.0.0.1:$port"], "max_connections_per_ip": 100000 },
  "udp": { "listen": [] },
  "storage": { "path": "$work/store", "max_torrents": 10000, "max_peers": 100000 },
  "webtorrent": { "enabled": true, "max_connections_per_ip": 100000, "max_messages_per_second": 1000000 } }
JSON
java @tuning/jvm-required.options -jar io/target/trackerd.jar --config "$work/trackerd.json" > "$work/trackerd.log" 2>&1 &
pids+=($!); tpid=$!
for _ in $(seq 1 300); do grep -q "ready:" "$work/trackerd.log" && break; sleep 0.1; done
grep -q "ready:" "$work/trackerd.log" || { echo "trackerd did not start"; cat "$work/trackerd.log"; exit 1; }
measure trackerd "$tpid" "ws://127.0.0.1:$port/announce"
kill "$tpid"; wait "$tpid" 2>/dev/null || true

(cd io/src/test/node && exec node ref-server.mjs 0 > "$work/ref.out" 2>&1) &
pids+=($!); rpid=$!
for _ in $(seq 1 100); do grep -q listening "$work/ref.out" && break; sleep 0.1; done
rport="$(sed -n 's/.*"listening":\([0-9]*\).*/\1/p' "$work/ref.out" | head -1)"
# the fixture prints a line per tracker event: keep its output out of the measurement's way
measure bittorrent-tracker "$rpid" "ws://127.0.0.1:$rport/announce"
