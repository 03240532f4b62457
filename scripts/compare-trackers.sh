#!/usr/bin/env bash
# Side-by-side: Debian's opentracker and trackerd on loopback, each pinned to the same core (SERVER_CPU) while
# the load generator runs pinned to another (LOAD_CPU), same UDP and HTTP loads against each in turn.
# Prints responses/s, server CPU-seconds per 100k responses, p50/p99/p99.9 latency, resident memory, and the
# ratio trackerd/opentracker for each (higher is better for responses/s, lower for the others).
#
#   scripts/compare-trackers.sh [DURATION_S] [TORRENTS] [PEERS]        (defaults 10 1000 100000)
#   env: SERVER_CPU=0 LOAD_CPU=1 SOCKETS=16 WINDOW=8 NUMWANT=50 WARMUP_S=10 HTTP_CONNECTIONS=32
#        THREADING="shared"      trackerd engine.threading modes to compare, e.g. "dedicated shared": one
#                                trackerd per mode (each on its own port, all pinned to SERVER_CPU), named
#                                trackerd-<mode> in the table
#        VARIANTS=               more trackerds in the first mode, each with extra JVM flags (commas between
#                                flags), e.g. "single=-Dtrackerd.udp.single_io=true": named trackerd-<mode>-<name>
#        JARS=                   more trackerds in the first mode, each from another build of trackerd.jar, e.g.
#                                "base=/tmp/before.jar": named trackerd-<mode>-<name>, measured in the same rounds (an
#                                A/B of two builds on a noisy host: only same-round pairs compare)
#        TRACKERD_ENGINE_JSON=   extra keys for every trackerd's "engine" section, e.g. '"frontend_idle":"block"'
#        ROUNDS=1                repeat every load on every tracker this many times, interleaved (tracker after
#                                tracker within a round), to see the noise of a shared machine; one row per round
#        LOADS="udp: http:keepalive http:close"
#                                UDP loads name their shape: udp: (= udp:reannounce, a fixed population
#                                re-announcing), udp:new-peers (every announce a new peer, event started, random
#                                peer_id), udp:churn (arrivals, re-announces and stopped mixed; CHURN_STOP=0.25).
#                                Swarms cross the one-page limit (255 peers) when TORRENTS < PEERS / 255; new-peers
#                                grows them without end, so those loads get a larger store (MAX_PEERS)
#        MAX_PEERS=              trackerd storage.max_peers (default 2 x PEERS + 10000; 8000000 when a load is
#                                udp:new-peers or udp:churn)
#                                also https:keepalive https:close (TLS 1.3, a reconnect resumes its session) and
#                                https:close-full (a full handshake per request): trackerd only (opentracker has
#                                no TLS), on a TLS listener with a P-256 certificate made here; their ratio rows
#                                compare with the same trackerd's plain http row of that mode
#        RATE=0                  offered requests/s of every load (0: as fast as the window allows); a fixed rate
#                                compares latency at the same offered load
#        HTTP_RATE=$RATE         offered requests/s of the http/https loads (one connection per request tops out
#                                far below UDP's rates on a small machine), e.g. RATE=50000 HTTP_RATE=5000
#        SKIP_BUILD=             set to use the jars already built
#        PORT_OFFSET=0           added to every port (16969 opentracker, 26969.. trackerds, +100 their TLS), so two
#                                comparisons on one machine do not collide
#        FLOOR=                  set to 1 to run, beside the trackers, the JDK's socket path with no tracker in it
#                                (org.trackerd.jmh.loadgen.FloorServer: canned answers of the same size, plain JDK
#                                API, pinned to SERVER_CPU), named floor-java: what any Java tracker pays first
#
# opentracker as Debian packages it is IPv4-only and serves only whitelisted torrents: it is fed the load's
# infohashes as its whitelist. Only loopback addresses are used; every load is bounded by DURATION_S.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
duration=${1:-10}; torrents=${2:-1000}; peers=${3:-100000}
server_cpu=${SERVER_CPU:-0}; load_cpu=${LOAD_CPU:-1}
sockets=${SOCKETS:-16}; window=${WINDOW:-8}; numwant=${NUMWANT:-50}; warmup=${WARMUP_S:-10}
http_connections=${HTTP_CONNECTIONS:-32}
# shared by default: what example_config.json's "auto" resolves to (one HTTP and one UDP thread), and the mode for a
# server held to one CPU (no hand-off between threads on it).
read -r -a modes <<< "${THREADING:-shared}"
rounds=${ROUNDS:-1}; engine_json=${TRACKERD_ENGINE_JSON:-}; rate=${RATE:-0}; http_rate=${HTTP_RATE:-$rate}
read -r -a loads <<< "${LOADS:-udp: http:keepalive http:close}"
churn_stop=${CHURN_STOP:-0.25}
max_peers=$((peers * 2 + 10000))
case " ${loads[*]} " in *" udp:new-peers "*|*" udp:churn "*) max_peers=8000000 ;; esac
max_peers=${MAX_PEERS:-$max_peers}
ot_port=$((16969 + ${PORT_OFFSET:-0})); our_port=$((26969 + ${PORT_OFFSET:-0}))

if ! command -v opentracker >/dev/null 2>&1; then
  echo "installing opentracker ..." >&2
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq opentracker >&2
fi
[ -n "${SKIP_BUILD:-}" ] || (cd "$root" && mvn -o -q -B -DskipTests -pl engine,metrics-exporter,io,jmh -am package) >&2
bench_jar="$root/jmh/target/trackerd-benchmarks.jar"
tracker_jar="$root/io/target/trackerd.jar"

work=$(mktemp -d /tmp/compare-trackers.XXXXXX)
chmod 755 "$work"
tls_offset=100
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/tls-key.pem" \
  -out "$work/tls-cert.pem" -days 60 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null
ot_pid=""; declare -A pids
cleanup() {
  [ -n "$ot_pid" ] && kill "$ot_pid" 2>/dev/null || true
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
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

declare -A ports
names=(opentracker); pids[opentracker]=$ot_pid; ports[opentracker]=$ot_port
# One trackerd per threading mode, plus one per VARIANTS entry (run in the first mode with extra JVM flags).
servers=()
for mode in "${modes[@]}"; do servers+=("$mode||trackerd-$mode|$tracker_jar"); done
read -r -a variants <<< "${VARIANTS:-}"
for v in "${variants[@]}"; do servers+=("${modes[0]}|${v#*=}|trackerd-${modes[0]}-${v%%=*}|$tracker_jar"); done
read -r -a jars <<< "${JARS:-}"
for j in "${jars[@]}"; do servers+=("${modes[0]}||trackerd-${modes[0]}-${j%%=*}|${j#*=}"); done
for s in "${!servers[@]}"; do
  IFS='|' read -r mode jvm_flags name jar <<< "${servers[$s]}"; port=$((our_port + s))
  cat > "$work/$name.json" <<JSON
{"http":{"listen":["127.0.0.1:$port"]},"udp":{"listen":["127.0.0.1:$port"]},
 "tls":{"listen":["127.0.0.1:$((port + tls_offset))"],"certificate_chain_file":"$work/tls-cert.pem",
        "private_key_file":"$work/tls-key.pem"},
 "storage":{"path":"$work/data-$name","max_torrents":$((torrents * 2 + 1000)),"max_peers":$max_peers},
 "tracker":{"max_numwant":200},"engine":{"threading":"$mode"${engine_json:+,$engine_json}}}
JSON
  # shellcheck disable=SC2086 # the variant's flags are words
  taskset -c "$server_cpu" java @"$root/tuning/jvm-required.options" -Xms1g -Xmx1g -XX:+UseParallelGC ${jvm_flags//,/ } -jar "$jar" \
    --config "$work/$name.json" > "$work/$name.log" 2>&1 &
  pids[$name]=$!; ports[$name]=$port; names+=("$name")
  for _ in $(seq 1 120); do grep -q "ready:" "$work/$name.log" 2>/dev/null && break; sleep 0.5; done
  grep -q "ready:" "$work/$name.log" || { echo "$name did not start:"; cat "$work/$name.log"; exit 1; }
done
if [ -n "${FLOOR:-}" ]; then
  floor_port=$((our_port + 50))
  taskset -c "$server_cpu" java -Xms256m -Xmx256m -XX:+UseParallelGC -cp "$bench_jar" \
    org.trackerd.jmh.loadgen.FloorServer "127.0.0.1:$floor_port" "$numwant" > "$work/floor-java.log" 2>&1 &
  pids[floor-java]=$!; ports[floor-java]=$floor_port; names+=(floor-java)
  for _ in $(seq 1 60); do grep -q "ready:" "$work/floor-java.log" 2>/dev/null && break; sleep 0.5; done
fi
kill -0 "$ot_pid" || { echo "opentracker did not start:"; cat "$work/opentracker.log"; exit 1; }

clk=$(getconf CLK_TCK)
cpu_seconds() { awk -v c="$clk" '{print ($14 + $15) / c}' "/proc/$1/stat"; }
rss_mib() { awk '/VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }

declare -A result
run() { # name pid port protocol mode round
  local name=$1 pid=$2 port=$3 protocol=$4 mode=$5 round=$6 args offered=$rate
  [ "$protocol" = udp ] || offered=$http_rate
  args=(--protocol "$protocol" --target "127.0.0.1:$port" --torrents "$torrents" --peers "$peers" --numwant "$numwant"
        --rate "$offered")
  local k="$name,$protocol$mode,$round"
  if [ "$protocol" = https ]; then
    case "$name" in trackerd-*) ;; *)
      for f in rps cpu p50 p99 p999 rss err; do result["$k,$f"]=n/a; done; return ;; esac
    args=(--protocol http --tls true --target "127.0.0.1:$((port + tls_offset))" --torrents "$torrents"
          --peers "$peers" --numwant "$numwant" --rate "$http_rate" --connections "$http_connections"
          --http-mode "${mode%-full}" --tls-resume "$([ "$mode" = close-full ] && echo false || echo true)")
  elif [ "$protocol" = udp ]; then
    args+=(--sockets "$sockets" --window "$window" --shape "${mode:-reannounce}" --churn-stop "$churn_stop")
  else args+=(--http-mode "$mode" --connections "$http_connections"); fi
  local before after out
  if [ "$protocol" = https ]; then
    # A TLS client's handshake code is cold in every new JVM: it warms up in the measuring JVM, which reads the
    # server's CPU time over the measured part only.
    out=$(loadgen "${args[@]}" --warmup "$warmup" --server-pid "$pid" --duration "$duration")
    before=0; after=$(echo "$out" | field server_cpu_s)
  else
    [ "$round" -gt 1 ] || loadgen "${args[@]}" --duration "$warmup" > /dev/null
    before=$(cpu_seconds "$pid")
    out=$(loadgen "${args[@]}" --duration "$duration")
    after=$(cpu_seconds "$pid")
  fi
  local responses rps p50 p99 p999 errors losses cpu100k
  responses=$(echo "$out" | field responses); rps=$(echo "$out" | field responses_per_s)
  p50=$(echo "$out" | field p50_us); p99=$(echo "$out" | field p99_us); p999=$(echo "$out" | field p999_us)
  errors=$(echo "$out" | field errors); losses=$(echo "$out" | field losses)
  cpu100k=$(awk -v a="$after" -v b="$before" -v r="$responses" 'BEGIN { if (r > 0) printf "%.3f", (a - b) * 100000 / r; else print "nan" }')
  result["$k,rps"]=$rps; result["$k,cpu"]=$cpu100k
  result["$k,p50"]=$p50; result["$k,p99"]=$p99; result["$k,p999"]=$p999
  result["$k,rss"]=$(rss_mib "$pid"); result["$k,err"]="$errors/$losses"
  result["$k,load"]=$(cut -d' ' -f1 /proc/loadavg)
}

for round in $(seq 1 "$rounds"); do
  for load in "${loads[@]}"; do
    protocol=${load%%:*}; mode=${load#*:}
    for name in "${names[@]}"; do
      run "$name" "${pids[$name]}" "${ports[$name]}" "$protocol" "$mode" "$round"
    done
  done
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
echo
echo "# $(date -u +%F) $(nproc) cores, server on cpu $server_cpu, load on cpu $load_cpu; ${duration}s per run after ${warmup}s warm-up;"
echo "# $torrents torrents, $peers peers ($((peers / torrents)) per torrent), numwant $numwant; UDP $sockets sockets x $window in flight; HTTP $http_connections connections; trackerd max_peers $max_peers"
echo "# $rounds round(s), interleaved; offered rate: $([ "$rate" = 0 ] && echo "unbounded (closed loop)" || echo "UDP $rate/s")$([ "$http_rate" = "$rate" ] || echo ", HTTP $http_rate/s"); trackerd engine: threading per name${engine_json:+, plus $engine_json}"
echo "# git $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo ?); load = the host's 1-minute load average after the run"
printf "%-15s %-5s %-20s %12s %14s %10s %10s %10s %8s %12s %6s\n" load round tracker "resp/s" "cpu-s/100k" "p50 us" "p99 us" "p99.9 us" "RSS MiB" "err/loss" load
for load in "${loads[@]}"; do
  protocol=${load%%:*}; mode=${load#*:}
  for round in $(seq 1 "$rounds"); do
    for name in "${names[@]}"; do
      k="$name,$protocol$mode,$round"
      printf "%-15s %-5s %-20s %12s %14s %10s %10s %10s %8s %12s %6s\n" "$protocol${mode:+/$mode}" "$round" "$name" \
        "${result[$k,rps]}" "${result[$k,cpu]}" "${result[$k,p50]}" "${result[$k,p99]}" \
        "${result[$k,p999]}" "${result[$k,rss]}" "${result[$k,err]}" "${result[$k,load]}"
    done
    o="opentracker,$protocol$mode,$round"
    for name in "${names[@]:1}"; do
      k="$name,$protocol$mode,$round"
      label="ratio ${name#trackerd-}/ot"
      if [ "$protocol" = https ]; then
        # no TLS in opentracker: the cost of TLS is the ratio to this trackerd's plain HTTP of the same mode
        o="$name,http${mode%-full},$round"; label="ratio https/http"
        [ -n "${result[$o,rps]:-}" ] || continue
      fi
      printf "%-15s %-5s %-20s %12s %14s %10s %10s %10s %8s\n" "" "" "$label" \
        "$(ratio "${result[$k,rps]}" "${result[$o,rps]}")" \
        "$(ratio "${result[$k,cpu]}" "${result[$o,cpu]}")" \
        "$(ratio "${result[$k,p50]}" "${result[$o,p50]}")" \
        "$(ratio "${result[$k,p99]}" "${result[$o,p99]}")" \
        "$(ratio "${result[$k,p999]}" "${result[$o,p999]}")" \
        "$(ratio "${result[$k,rss]}" "${result[$o,rss]}")"
    done
  done
done
# Ranges over the rounds: each tracker's figures, and the same-round ratios to opentracker (or, for https, to the
# same trackerd's plain http), min-max.
range() { printf '%s\n' "$@" | awk '$1 ~ /^[0-9.]+$/ {n++; if (n == 1 || $1 < lo) lo = $1; if (n == 1 || $1 > hi) hi = $1}
  END { if (n == 0) print "n/a"; else if (lo == hi) print lo; else print lo "-" hi }'; }
if [ "$rounds" -gt 1 ]; then
  echo
  echo "# ranges over $rounds rounds (min-max); ratio rows: same-round trackerd/opentracker"
  printf "%-15s %-20s %16s %16s %18s %18s\n" load tracker "resp/s" "cpu-s/100k" "p99 us" "p99.9 us"
  for load in "${loads[@]}"; do
    protocol=${load%%:*}; mode=${load#*:}
    for name in "${names[@]}"; do
      for f in rps cpu p99 p999; do
        vals=(); for round in $(seq 1 "$rounds"); do vals+=("${result[$name,$protocol$mode,$round,$f]}"); done
        declare "rng_$f=$(range "${vals[@]}")"
      done
      printf "%-15s %-20s %16s %16s %18s %18s\n" "$protocol${mode:+/$mode}" "$name" "$rng_rps" "$rng_cpu" "$rng_p99" "$rng_p999"
    done
    for name in "${names[@]:1}"; do
      for f in rps cpu p99 p999; do
        vals=()
        for round in $(seq 1 "$rounds"); do
          o="opentracker,$protocol$mode,$round"; [ "$protocol" = https ] && o="$name,http${mode%-full},$round"
          vals+=("$(ratio "${result[$name,$protocol$mode,$round,$f]}" "${result[$o,$f]:-0}")")
        done
        declare "rng_$f=$(range "${vals[@]}")"
      done
      printf "%-15s %-20s %16s %16s %18s %18s\n" "" "ratio ${name#trackerd-}/$([ "$protocol" = https ] && echo http || echo ot)" "$rng_rps" "$rng_cpu" "$rng_p99" "$rng_p999"
    done
  done
fi
echo "# ratio = trackerd / opentracker (same round). Context, not measured here: chihaya's own benchmarks report"
echo "# per-operation costs of its storage (see its docs); aquatic publishes its own opentracker comparisons."
