#!/usr/bin/env bash
# Allocation under load: runs trackerd (cpu 0) under a bounded UDP and HTTP keep-alive load (cpu 1) on loopback and
# reports the young collections and the bytes allocated on the heap during each load, after a warm-up, from
# jstat's counters. Steady state should allocate ~nothing per request.
#   scripts/gc-under-load.sh [SECONDS<=600] [TORRENTS] [PEERS]      env: PORT=17969 (UDP and HTTP, loopback)
set -euo pipefail
secs=${1:-60}; torrents=${2:-1000}; peers=${3:-100000}
root=$(cd "$(dirname "$0")/.." && pwd)
port=${PORT:-17969}
(cd "$root" && mvn -q -B -DskipTests -pl io,jmh -am package) >&2
work=$(mktemp -d /tmp/gc-under-load.XXXXXX)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; sleep 1; rm -rf "$work"; }
trap cleanup EXIT
cat > "$work/trackerd.json" <<JSON
{"http":{"listen":["127.0.0.1:$port"]},"udp":{"listen":["127.0.0.1:$port"]},
 "storage":{"path":"$work/data","max_torrents":$((torrents * 2 + 1000)),"max_peers":$((peers * 2 + 10000))}}
JSON
taskset -c 0 java @"$root/tuning/jvm-required.options" -Xms1g -Xmx1g -XX:+UseParallelGC -Xlog:gc:file="$work/gc.log" -jar "$root/io/target/trackerd.jar" \
  --config "$work/trackerd.json" > "$work/trackerd.log" 2>&1 &
pid=$!
for _ in $(seq 1 300); do grep -q "ready:" "$work/trackerd.log" 2>/dev/null && break; sleep 0.1; done
grep -q "ready:" "$work/trackerd.log" || { echo "trackerd did not start (port $port taken? set PORT):"; cat "$work/trackerd.log"; exit 1; }
loadgen() { taskset -c 1 java -Xms256m -Xmx1g -cp "$root/jmh/target/trackerd-benchmarks.jar" \
  org.trackerd.jmh.loadgen.LoadGenerator --target "127.0.0.1:$port" --torrents "$torrents" --peers "$peers" "$@"; }
# jstat -gc: S0U S1U EU OU ... YGC: allocated = eden growth + young collections x eden capacity (approximation)
sample() { jstat -gc "$pid" | tail -1; }
alloc_between() { # before after responses
  awk -v b="$1" -v a="$2" -v r="$3" 'BEGIN {
    split(b, x, " "); split(a, y, " ");
    # columns: S0C S1C S0U S1U EC EU OC OU MC MU CCSC CCSU YGC YGCT FGC ...
    ygc = y[13] - x[13]; eden = y[5];
    bytes = (y[6] - x[6] + ygc * eden) * 1024;
    printf "young_gcs=%d allocated_mib=%.1f bytes_per_response=%.2f", ygc, bytes / 1048576, (r > 0 ? bytes / r : 0) }'
}
for load in udp http; do
  loadgen --protocol "$load" --duration 10 > /dev/null
  before=$(sample)
  out=$(loadgen --protocol "$load" --duration "$secs")
  after=$(sample)
  responses=$(echo "$out" | sed -n 's/.* responses=\([0-9]*\).*/\1/p')
  echo "$load ${secs}s: responses=$responses $(alloc_between "$before" "$after" "$responses")"
done
