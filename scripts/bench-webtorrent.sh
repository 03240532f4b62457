#!/usr/bin/env bash
# WebTorrent WebSocket announce load with offers (the Java load generator's --protocol ws: each connection one
# browser peer announcing with 5 offers of a ~1.5 KB session description, the answer awaited before the next
# announce) against trackerd and against the npm bittorrent-tracker's own server (io/src/test/node/ref-server.mjs,
# --quiet) in the same run, RUNS rounds alternating, on loopback. Each server is pinned to SERVER_CPU and the load
# generator to LOAD_CPU with taskset; the generator reads the server's CPU time over the measured part from /proc.
# The figure of merit is responses (announce answers) per server CPU-second; offers_received shows that both relay
# the same offers (about three per announce with 4 peers per torrent).
# Needs `npm ci` in io/src/test/node; builds io/target/trackerd.jar and jmh/target/trackerd-benchmarks.jar if missing.
# TRACKERD_JAR: another build's trackerd.jar (a before/after with the same generator and npm server).
#   [RUNS=3] [WARMUP=3] [SERVER_CPU=0] [LOAD_CPU=1] [PORT=random] scripts/bench-webtorrent.sh [connections=64] [seconds=10] \
#       [offers=5] [torrents=16]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
connections="${1:-64}"; seconds="${2:-10}"; offers="${3:-5}"; torrents="${4:-16}"
warmup="${WARMUP:-3}"; runs="${RUNS:-3}"; server_cpu="${SERVER_CPU:-0}"; load_cpu="${LOAD_CPU:-1}"
[ "$seconds" -le 600 ] && [ "$runs" -le 20 ] || { echo "seconds <= 600 and RUNS <= 20"; exit 2; }
[ -d io/src/test/node/node_modules/bittorrent-tracker ] || { echo "run npm ci in io/src/test/node first"; exit 2; }
if [ ! -f io/target/trackerd.jar ] || [ ! -f jmh/target/trackerd-benchmarks.jar ]; then
  mvn -q -B -DskipTests -pl jmh -am package >&2
fi
work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

loadgen() { # name pid port
  taskset -c "$load_cpu" java -Xms256m -Xmx1g -cp jmh/target/trackerd-benchmarks.jar \
    org.trackerd.jmh.loadgen.LoadGenerator --protocol ws --target "127.0.0.1:$3" --connections "$connections" \
    --torrents "$torrents" --offers "$offers" --duration "$seconds" --warmup "$warmup" --server-pid "$2" \
    > "$work/$1.out" || true
  local line; line="$(grep '^protocol=ws' "$work/$1.out" || echo "no result")"
  local offers_received; offers_received="$(grep '^ws:' "$work/$1.out" | tail -1 | sed -n 's/.*offers_received=\([0-9]*\).*/\1/p')"
  local rps cpu; rps="$(sed -n 's/.* responses_per_s=\([0-9]*\).*/\1/p' <<< "$line")"
  cpu="$(sed -n 's/.* server_cpu_us_per_response=\([0-9.]*\).*/\1/p' <<< "$line")"
  local per_cpu_s="-"; [ -n "$cpu" ] && per_cpu_s="$(echo "scale=0; 1000000 / $cpu" | bc)"
  echo "$1 run=$run responses_per_s=$rps server_cpu_us_per_response=$cpu responses_per_server_cpu_s=$per_cpu_s" \
    "offers_received=$offers_received"
  echo "  $line"
}

# below Linux's ephemeral range (32768+), where other load generators' client sockets would hold the port
port="${PORT:-$((20000 + RANDOM % 12000))}"
cat > "$work/trackerd.json" <<JSON
{ "http": { "listen": ["127.0.0.1:$port"], "max_connections_per_ip": 100000 },
  "udp": { "listen": [] },
  "storage": { "path": "$work/store", "max_torrents": 10000, "max_peers": 100000 },
  "webtorrent": { "enabled": true, "max_connections_per_ip": 100000, "max_messages_per_second": 1000000 } }
JSON
taskset -c "$server_cpu" java @tuning/jvm-required.options -Xms512m -Xmx512m -jar "${TRACKERD_JAR:-io/target/trackerd.jar}" \
  --config "$work/trackerd.json" > "$work/trackerd.log" 2>&1 &
pids+=($!); tpid=$!
(cd io/src/test/node && exec taskset -c "$server_cpu" node ref-server.mjs 0 --quiet > "$work/ref.out" 2>&1) &
pids+=($!); rpid=$!
for _ in $(seq 1 300); do grep -q "ready:" "$work/trackerd.log" && grep -q listening "$work/ref.out" && break; sleep 0.1; done
grep -q "ready:" "$work/trackerd.log" || { echo "trackerd did not start"; cat "$work/trackerd.log"; exit 1; }
rport="$(sed -n 's/.*"listening":\([0-9]*\).*/\1/p' "$work/ref.out" | head -1)"
[ -n "$rport" ] || { echo "bittorrent-tracker did not start"; cat "$work/ref.out"; exit 1; }
echo "connections=$connections torrents=$torrents offers=$offers seconds=$seconds warmup=$warmup runs=$runs" \
  "server_cpu=$server_cpu load_cpu=$load_cpu ($(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg))"
# one unreported pass each first: trackerd's JIT compiles its hot paths (a cold first round cost it 2-3x)
for target in "$tpid:$port" "$rpid:$rport"; do
  taskset -c "$load_cpu" java -Xms256m -Xmx1g -cp jmh/target/trackerd-benchmarks.jar \
    org.trackerd.jmh.loadgen.LoadGenerator --protocol ws --target "127.0.0.1:${target#*:}" \
    --connections "$connections" --torrents "$torrents" --offers "$offers" --duration "$((warmup * 2))" > /dev/null
done
for run in $(seq 1 "$runs"); do
  loadgen trackerd "$tpid" "$port"
  loadgen bittorrent-tracker "$rpid" "$rport"
done
