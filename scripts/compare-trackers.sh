#!/usr/bin/env bash
# Side-by-side: Debian's opentracker and trackerd on loopback, each pinned to the same core (SERVER_CPU) while
# the load generator runs pinned to another (LOAD_CPU), same UDP and HTTP loads against each in turn.
# Prints responses/s, server CPU-seconds per 100k responses, p50/p99/p99.9 latency, resident memory, and the
# ratio trackerd/opentracker for each (higher is better for responses/s, lower for the others).
#
#   scripts/compare-trackers.sh [DURATION_S] [TORRENTS] [PEERS]        (defaults 10 1000 100000)
#   env: SERVER_CPU=0 LOAD_CPU=1 SOCKETS=16 WINDOW=8 NUMWANT=50 WARMUP_S=10 HTTP_CONNECTIONS=32
#
# opentracker as Debian packages it is IPv4-only and serves only whitelisted torrents: it is fed the load's
# infohashes as its whitelist. Only loopback addresses are used; every load is bounded by DURATION_S.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
duration=${1:-10}; torrents=${2:-1000}; peers=${3:-100000}
server_cpu=${SERVER_CPU:-0}; load_cpu=${LOAD_CPU:-1}
sockets=${SOCKETS:-16}; window=${WINDOW:-8}; numwant=${NUMWANT:-50}; warmup=${WARMUP_S:-10}
http_connections=${HTTP_CONNECTIONS:-32}
ot_port=16969; our_port=26969

if ! command -v opentracker >/dev/null 2>&1; then
  echo "installing opentracker ..." >&2
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq opentracker >&2
fi
(cd "$root" && mvn -q -B -DskipTests -pl io,jmh -am package) >&2
bench_jar="$root/jmh/target/trackerd-benchmarks.jar"
tracker_jar="$root/io/target/trackerd.jar"

work=$(mktemp -d /tmp/compare-trackers.XXXXXX)
chmod 755 "$work"
ot_pid=""; our_pid=""
cleanup() {
  [ -n "$ot_pid" ] && kill "$ot_pid" 2>/dev/null || true
  [ -n "$our_pid" ] && kill "$our_pid" 2>/dev/null || true
  sleep 1
  rm -rf "$work"
}
trap cleanup EXIT

loadgen() { taskset -c "$load_cpu" java -Xms256m -Xmx1g -cp "$bench_jar" org.trackerd.jmh.loadgen.LoadGenerator "$@"; }

loadgen --torrents "$torrents" --duration 0 --hashes-file "$work/whitelist.txt"
chmod 644 "$work/whitelist.txt"

# opentracker chroots into -d and drops root; the whitelist path is relative to that directory.
taskset -c "$server_cpu" opentracker -i 127.0.0.1 -p $ot_port -P $ot_port -d "$work" -w whitelist.txt \
  > "$work/opentracker.log" 2>&1 &
ot_pid=$!

cat > "$work/trackerd.json" <<JSON
{"http":{"listen":["127.0.0.1:$our_port"]},"udp":{"listen":["127.0.0.1:$our_port"]},
 "storage":{"path":"$work/data","max_torrents":$((torrents * 2 + 1000)),"max_peers":$((peers * 2 + 10000))},
 "tracker":{"max_numwant":200}}
JSON
taskset -c "$server_cpu" java -Xms1g -Xmx1g -XX:+UseParallelGC -jar "$tracker_jar" --config "$work/trackerd.json" \
  > "$work/trackerd.log" 2>&1 &
our_pid=$!
for _ in $(seq 1 120); do grep -q "ready:" "$work/trackerd.log" 2>/dev/null && break; sleep 0.5; done
grep -q "ready:" "$work/trackerd.log" || { echo "trackerd did not start:"; cat "$work/trackerd.log"; exit 1; }
kill -0 "$ot_pid" || { echo "opentracker did not start:"; cat "$work/opentracker.log"; exit 1; }

clk=$(getconf CLK_TCK)
cpu_seconds() { awk -v c="$clk" '{print ($14 + $15) / c}' "/proc/$1/stat"; }
rss_mib() { awk '/VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }

declare -A result
run() { # name pid port protocol mode
  local name=$1 pid=$2 port=$3 protocol=$4 mode=$5 args
  args=(--protocol "$protocol" --target "127.0.0.1:$port" --torrents "$torrents" --peers "$peers" --numwant "$numwant")
  if [ "$protocol" = udp ]; then args+=(--sockets "$sockets" --window "$window"); else args+=(--http-mode "$mode" --connections "$http_connections"); fi
  loadgen "${args[@]}" --duration "$warmup" > /dev/null
  local before after out
  before=$(cpu_seconds "$pid")
  out=$(loadgen "${args[@]}" --duration "$duration")
  after=$(cpu_seconds "$pid")
  local responses rps p50 p99 p999 errors losses cpu100k
  responses=$(echo "$out" | field responses); rps=$(echo "$out" | field responses_per_s)
  p50=$(echo "$out" | field p50_us); p99=$(echo "$out" | field p99_us); p999=$(echo "$out" | field p999_us)
  errors=$(echo "$out" | field errors); losses=$(echo "$out" | field losses)
  cpu100k=$(awk -v a="$after" -v b="$before" -v r="$responses" 'BEGIN { if (r > 0) printf "%.3f", (a - b) * 100000 / r; else print "nan" }')
  result["$name,$protocol$mode,rps"]=$rps; result["$name,$protocol$mode,cpu"]=$cpu100k
  result["$name,$protocol$mode,p50"]=$p50; result["$name,$protocol$mode,p99"]=$p99; result["$name,$protocol$mode,p999"]=$p999
  result["$name,$protocol$mode,rss"]=$(rss_mib "$pid"); result["$name,$protocol$mode,err"]="$errors/$losses"
}

loads=("udp:" "http:keepalive" "http:close")
for load in "${loads[@]}"; do
  protocol=${load%%:*}; mode=${load#*:}
  run opentracker "$ot_pid" $ot_port "$protocol" "$mode"
  run trackerd "$our_pid" $our_port "$protocol" "$mode"
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
echo
echo "# $(date -u +%F) $(nproc) cores, server on cpu $server_cpu, load on cpu $load_cpu; ${duration}s per run after ${warmup}s warm-up;"
echo "# $torrents torrents, $peers peers, numwant $numwant; UDP $sockets sockets x $window in flight; HTTP $http_connections connections"
printf "%-15s %-12s %12s %14s %10s %10s %10s %8s %12s\n" load tracker "resp/s" "cpu-s/100k" "p50 us" "p99 us" "p99.9 us" "RSS MiB" "err/loss"
for load in "${loads[@]}"; do
  protocol=${load%%:*}; mode=${load#*:}; k="$protocol$mode"
  for name in opentracker trackerd; do
    printf "%-15s %-12s %12s %14s %10s %10s %10s %8s %12s\n" "$protocol${mode:+/$mode}" "$name" \
      "${result[$name,$k,rps]}" "${result[$name,$k,cpu]}" "${result[$name,$k,p50]}" "${result[$name,$k,p99]}" \
      "${result[$name,$k,p999]}" "${result[$name,$k,rss]}" "${result[$name,$k,err]}"
  done
  printf "%-15s %-12s %12s %14s %10s %10s %10s %8s\n" "" "ratio" \
    "$(ratio "${result[trackerd,$k,rps]}" "${result[opentracker,$k,rps]}")" \
    "$(ratio "${result[trackerd,$k,cpu]}" "${result[opentracker,$k,cpu]}")" \
    "$(ratio "${result[trackerd,$k,p50]}" "${result[opentracker,$k,p50]}")" \
    "$(ratio "${result[trackerd,$k,p99]}" "${result[opentracker,$k,p99]}")" \
    "$(ratio "${result[trackerd,$k,p999]}" "${result[opentracker,$k,p999]}")" \
    "$(ratio "${result[trackerd,$k,rss]}" "${result[opentracker,$k,rss]}")"
done
echo "# ratio = trackerd / opentracker. Context, not measured here: chihaya's own benchmarks report per-operation"
echo "# costs of its storage (see its docs); aquatic publishes its own opentracker comparisons."
