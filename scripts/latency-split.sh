#!/usr/bin/env bash
# Where an HTTP tail at a fixed offered rate comes from: trackerd pinned to SERVER_CPU, the load generator to
# LOAD_CPU, ROUNDS runs of DURATION_S at RATE requests/s. For each run it prints the client's p50/p99/p99.9
# beside trackerd's own latency summary over the same window (trackerd_request_latency_seconds, from reading the
# request's bytes to writing its answer) and the JVM's safepoints and GC pauses in the window (-Xlog), with the
# host's load average. A client p99 far above the server's own says the time went before the read or after the
# write: the kernel and the scheduler of a shared host, not the tracker's code.
#
#   scripts/latency-split.sh [MODE keepalive|close] [RATE] [DURATION_S] [ROUNDS]     (defaults keepalive 1500 10 3)
#   env: SERVER_CPU=0 LOAD_CPU=1 WARMUP_S=15 HTTP_CONNECTIONS=32 TORRENTS=200 PEERS=100000 NUMWANT=50
#        THREADING=shared JAR=io/target/trackerd.jar PORT_OFFSET=0 SKIP_BUILD=
# Only loopback is used; every run is bounded by DURATION_S.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
mode=${1:-keepalive}; rate=${2:-1500}; duration=${3:-10}; rounds=${4:-3}
server_cpu=${SERVER_CPU:-0}; load_cpu=${LOAD_CPU:-1}
port=$((28969 + ${PORT_OFFSET:-0})); metrics_port=$((port + 1))
[ -n "${SKIP_BUILD:-}" ] || (cd "$root" && mvn -o -q -B -DskipTests -pl engine,metrics-exporter,io,jmh -am package) >&2
jar=${JAR:-$root/io/target/trackerd.jar}
bench_jar="$root/jmh/target/trackerd-benchmarks.jar"
work=$(mktemp -d /tmp/latency-split.XXXXXX)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; sleep 1; rm -rf "$work"; }
trap cleanup EXIT
cat > "$work/trackerd.json" <<JSON
{"http":{"listen":["127.0.0.1:$port"]},"udp":{"listen":["127.0.0.1:$port"]},"metrics":{"listen":"127.0.0.1:$metrics_port"},
 "storage":{"path":"$work/data"},"tracker":{"max_numwant":200},"engine":{"threading":"${THREADING:-shared}"}}
JSON
taskset -c "$server_cpu" java @"$root/tuning/jvm-required.options" -Xms1g -Xmx1g -XX:+UseParallelGC \
  -Xlog:gc,safepoint:file="$work/jvm.log":uptime -jar "$jar" --config "$work/trackerd.json" > "$work/log" 2>&1 &
pid=$!
for _ in $(seq 1 120); do grep -q "ready:" "$work/log" 2>/dev/null && break; sleep 0.5; done
grep -q "ready:" "$work/log" || { echo "trackerd did not start:"; cat "$work/log"; exit 1; }
loadgen() {
  taskset -c "$load_cpu" java -Xms256m -Xmx1g -cp "$bench_jar" org.trackerd.jmh.loadgen.LoadGenerator --protocol http \
    --target "127.0.0.1:$port" --torrents "${TORRENTS:-200}" --peers "${PEERS:-100000}" --numwant "${NUMWANT:-50}" \
    --rate "$rate" --http-mode "$mode" --connections "${HTTP_CONNECTIONS:-32}" "$@"
}
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }
quantile() { sed -n "s/^trackerd_request_latency_seconds{action=\"announce\",protocol=\"http\",quantile=\"$1\"} //p" |
  awk '{printf "%.1f", $1 * 1e6}'; }
loadgen --duration "${WARMUP_S:-15}" > /dev/null
clk=$(getconf CLK_TCK)
started_s=$(awk -v hz="$clk" '{print $22 / hz}' "/proc/$pid/stat")
echo "# $(date -u +%F) http/$mode at $rate/s, ${duration}s per round, trackerd ${THREADING:-shared} on cpu $server_cpu, load on cpu $load_cpu; us"
printf "%-5s %9s %10s %10s %11s %10s %10s %11s %10s %11s %9s %6s\n" round "resp/s" "client p50" "client p99" \
  "client p99.9" "server p50" "server p99" "server p99.9" "server max" "safepoints" "GC pauses" load
for round in $(seq 1 "$rounds"); do
  curl -s "127.0.0.1:$metrics_port/metrics" > /dev/null # the summary's window starts here
  from_s=$(awk '{print $1}' /proc/uptime)
  out=$(loadgen --duration "$duration")
  to_s=$(awk '{print $1}' /proc/uptime)
  metrics=$(curl -s "127.0.0.1:$metrics_port/metrics")
  max_us=$(echo "$metrics" | sed -n 's/^trackerd_request_latency_max_seconds{action="announce",protocol="http"} //p' |
    awk '{printf "%.1f", $1 * 1e6}')
  jvm=$(awk -v a="$(awk -v f="$from_s" -v s="$started_s" 'BEGIN {print f - s}')" \
            -v b="$(awk -v t="$to_s" -v s="$started_s" 'BEGIN {print t - s}')" '
    match($0, /^\[[0-9.]+s\]/) { t = substr($0, 2, RLENGTH - 3) + 0; if (t < a || t > b) next
      if ($0 ~ /Safepoint "/ && match($0, /Total: [0-9]+ ns/)) { n++; ms = substr($0, RSTART + 7, RLENGTH - 10) / 1e6
        if (ms > longest) longest = ms }
      if ($0 ~ /Pause/) g++ }
    END { printf "%d<=%.2fms %d", n, longest, g }' "$work/jvm.log")
  printf "%-5s %9s %10s %10s %11s %10s %10s %11s %10s %11s %9s %6s\n" "$round" "$(echo "$out" | field responses_per_s)" \
    "$(echo "$out" | field p50_us)" "$(echo "$out" | field p99_us)" "$(echo "$out" | field p999_us)" \
    "$(echo "$metrics" | quantile 0.5)" "$(echo "$metrics" | quantile 0.99)" "$(echo "$metrics" | quantile 0.999)" \
    "$max_us" "${jvm% *}" "${jvm##* }" "$(cut -d' ' -f1 /proc/loadavg)"
done
