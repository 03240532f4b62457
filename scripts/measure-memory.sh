#!/usr/bin/env bash
# Resident memory per peer at scale, trackerd beside Debian's opentracker, same load generator, same method, same
# session, on loopback (server on SERVER_CPU, load on LOAD_CPU; taskset).
#   scripts/measure-memory.sh [TORRENTS] [PEERS] [FILL_SECONDS<=600]        (defaults 500000 1000000 600)
#   (the fill goes in passes of CHUNK=2000000 peers, each bounded by FILL_SECONDS)
#   e.g. the issue-19 point: scripts/measure-memory.sh 5000000 10000000 600
# Each tracker is filled over UDP with PEERS distinct peers over TORRENTS torrents, every announce a new peer
# (LoadGenerator --shape new-peers --once true: peer k of torrent k % TORRENTS, event started, numwant 0, each
# peer answered once, a lost announce sent again; the fill ends when every peer has its answer). Reported per
# tracker: the baseline (RSS with an empty store, after a warm-up on 1000 peers of other torrents: the JVM's heap,
# code cache, class data and the empty map files' headers for trackerd; the whitelist for opentracker), the RSS
# after the fill, the growth divided by the peers (torrents included: the per-peer figure the issue's goal is
# stated in), the fill time and rate, refusals, the host's load average around the fill, and the ratio
# trackerd / opentracker of the growth per peer. trackerd's baseline is measured twice: the JVM's own (a trackerd
# with a tiny store, 1000 torrents / 10000 peers, after the same warm-up: heap, code cache, class data, threads),
# and with the empty store of the measured run (today's store maps its index for max_torrents / max_peers when it
# is created, so part of its per-peer cost is resident before the first peer): trackerd's B/peer is given from
# both, "growth" (from the empty store) and "store" (from the JVM's baseline: everything the peers and the store
# sized for them cost); the ratio line gives both against opentracker's growth. trackerd's start: tuning/jvm-required.options + TRACKERD_JAVA_OPTS
# (default @tuning/jvm-shared.options: -Xms256m -Xmx1g G1), storage.max_torrents / max_peers set 10 % above the
# target (today's store is sized when created; a store that grows ignores them as limits while they are larger).
# env: SKIP_OPENTRACKER=1 (trackerd alone), SKIP_BUILD=1, SERVER_CPU=0 LOAD_CPU=1, PORT_OFFSET=0,
#      KEEP_STORE=DIR (move trackerd's filled store, stopped with SIGTERM, to DIR, with hashes.txt: DIR can then be
#      given to scripts/measure-restart.sh as STORE=DIR), KEEP_WORK=1 (keep the whole work directory)
set -euo pipefail
torrents=${1:-500000}
peers=${2:-1000000}
fill_s=${3:-600}
chunk=${CHUNK:-2000000}
[ "$fill_s" -le 600 ] || { echo "FILL_SECONDS must be <= 600" >&2; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
server_cpu=${SERVER_CPU:-0}; load_cpu=${LOAD_CPU:-1}
port=$((16969 + ${PORT_OFFSET:-0})); ot_port=$((16970 + ${PORT_OFFSET:-0}))
read -r -a td_opts <<< "${TRACKERD_JAVA_OPTS:-@$root/tuning/jvm-shared.options}"

if ! command -v opentracker >/dev/null 2>&1; then
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq opentracker >&2
fi
[ -n "${SKIP_BUILD:-}" ] || (cd "$root" && mvn -o -q -B -DskipTests -pl engine,metrics-exporter,io,jmh -am package) >&2
bench_jar="$root/jmh/target/trackerd-benchmarks.jar"
tracker_jar="$root/io/target/trackerd.jar"
work=$(mktemp -d /tmp/measure-memory.XXXXXX); chmod 755 "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; sleep 1
  if [ -n "${KEEP_WORK:-}" ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

loadgen() { taskset -c "$load_cpu" java -Xms256m -Xmx2g -cp "$bench_jar" org.trackerd.jmh.loadgen.LoadGenerator "$@"; }
kib() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; } # pid VmRSS|RssAnon|RssFile
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
fill() { # port: passes of CHUNK peers, each bounded by FILL_SECONDS; prints the summed report fields
  local a=0 b out answered=0 errors=0 losses=0 secs=0
  while [ "$a" -lt "$peers" ]; do
    b=$(( a + chunk < peers ? a + chunk : peers ))
    out=$(loadgen --protocol udp --target "127.0.0.1:$1" --torrents "$torrents" --first-peer "$a" --peers "$b" \
      --numwant 0 --seeders 0.5 --sockets 16 --window 16 --duration "$fill_s" --shape new-peers --once true)
    answered=$(( answered + $(echo "$out" | field peers_answered) )); errors=$(( errors + $(echo "$out" | field errors) ))
    losses=$(( losses + $(echo "$out" | field losses) ))
    secs=$(awk -v s="$secs" -v d="$(echo "$out" | field duration_s)" 'BEGIN{print s + d}')
    a=$b
  done
  echo "x peers_answered=$answered errors=$errors losses=$losses duration_s=$secs" \
    "responses_per_s=$(awk -v n="$answered" -v s="$secs" 'BEGIN{printf "%.0f", n / s}')"
}
warm() { # port: JIT and the young generation warmed on 1000 peers of 500 other torrents
  loadgen --protocol udp --target "127.0.0.1:$1" --torrents 500 --peers 1000 --numwant 0 --scrape-ratio 0 \
    --seed 7 --duration 5 >/dev/null
}
loadgen --torrents "$torrents" --duration 0 --hashes-file "$work/hashes.txt"
cp "$work/hashes.txt" "$work/whitelist.txt"
# opentracker serves only whitelisted torrents: the warm-up's 500 torrents too
loadgen --torrents 500 --seed 7 --duration 0 --hashes-file "$work/warm.txt"; cat "$work/warm.txt" >> "$work/whitelist.txt"
chmod 644 "$work/whitelist.txt"

declare -A r
measure() { # name pid port
  local name=$1 pid=$2 p=$3 out
  warm "$p" || true
  r[$name,base]=$(kib "$pid" VmRSS); r[$name,load0]=$(loadavg)
  out=$(fill "$p")
  r[$name,after]=$(kib "$pid" VmRSS); r[$name,anon]=$(kib "$pid" RssAnon); r[$name,file]=$(kib "$pid" RssFile)
  r[$name,load1]=$(loadavg)
  r[$name,answered]=$(echo "$out" | field peers_answered); r[$name,errors]=$(echo "$out" | field errors)
  r[$name,fill_s]=$(echo "$out" | field duration_s); r[$name,rate]=$(echo "$out" | field responses_per_s)
  r[$name,losses]=$(echo "$out" | field losses)
}

# -- opentracker (IPv4-only, whitelist mode as Debian builds it; -d chroots into the work directory)
if [ -z "${SKIP_OPENTRACKER:-}" ]; then
  taskset -c "$server_cpu" opentracker -i 127.0.0.1 -p "$ot_port" -P "$ot_port" -d "$work" -w whitelist.txt \
    >"$work/ot.log" 2>&1 &
  ot=$!; pids+=("$ot")
  for _ in $(seq 1 100); do [ -n "$(kib "$ot" VmRSS 2>/dev/null)" ] && break; sleep 0.1; done
  # The whitelist is read by a thread after the start, through a buffer that peaks at about twice its final size
  # (5M hashes: 194 MiB, then 97): the baseline waits until the RSS has not moved for 3 s (at most 120 s).
  prev=-1; still=0
  for _ in $(seq 1 120); do
    cur=$(kib "$ot" VmRSS); if [ "$cur" = "$prev" ]; then still=$((still + 1)); else still=0; fi
    [ "$still" -ge 3 ] && break; prev=$cur; sleep 1
  done
  r[ot,start]=$(kib "$ot" VmRSS)
  measure ot "$ot" "$ot_port"
  kill "$ot" 2>/dev/null || true
fi

# -- trackerd, the JVM's baseline: a tiny store, the same warm-up
cat > "$work/tiny.json" <<JSON
{"http":{"listen":["127.0.0.1:$port"]},"udp":{"listen":["127.0.0.1:$port"]},
 "storage":{"path":"$work/tiny","max_torrents":1000,"max_peers":10000},"tracker":{"max_numwant":200}}
JSON
taskset -c "$server_cpu" java @"$root/tuning/jvm-required.options" "${td_opts[@]}" -jar "$tracker_jar" \
  --config "$work/tiny.json" >"$work/tiny.log" 2>&1 &
tiny=$!; pids+=("$tiny")
for _ in $(seq 1 1200); do grep -q "ready:" "$work/tiny.log" 2>/dev/null && break; sleep 0.1; done
grep -q "ready:" "$work/tiny.log" || { cat "$work/tiny.log"; exit 1; }
warm "$port" || true
jvm_base=$(kib "$tiny" VmRSS)
kill "$tiny"; wait "$tiny" 2>/dev/null || true; rm -rf "$work/tiny"

# -- trackerd
cat > "$work/trackerd.json" <<JSON
{"http":{"listen":["127.0.0.1:$port"]},"udp":{"listen":["127.0.0.1:$port"]},
 "storage":{"path":"$work/data","max_torrents":$((torrents + torrents / 10 + 1000)),"max_peers":$((peers + peers / 10 + 10000))},
 "tracker":{"max_numwant":200}}
JSON
taskset -c "$server_cpu" java @"$root/tuning/jvm-required.options" "${td_opts[@]}" -jar "$tracker_jar" \
  --config "$work/trackerd.json" >"$work/trackerd.log" 2>&1 &
td=$!; pids+=("$td")
for _ in $(seq 1 1200); do grep -q "ready:" "$work/trackerd.log" 2>/dev/null && break; sleep 0.1; done
grep -q "ready:" "$work/trackerd.log" || { cat "$work/trackerd.log"; exit 1; }
r[td,start]=$(kib "$td" VmRSS)
measure td "$td" "$port"
td_map_kib=$(awk '/swarms-[0-9]+[.]dat/ {m=1; next} /^[0-9a-f]+-[0-9a-f]+ / {m=0} m && /^Rss:/ {s+=$2} END {print s+0}' "/proc/$td/smaps")
heap=$(jcmd "$td" GC.heap_info 2>/dev/null | grep -Eo "total [0-9]+K, used [0-9]+K" | head -1 || true)
disk_mib=$(( $(du -sk "$work/data" | cut -f1) / 1024 ))
kill "$td"; wait "$td" 2>/dev/null || true
stored=$(grep -Eo "swarm processor stopped: [0-9]+ torrents, [0-9]+ peers" "$work/trackerd.log" || echo "?")

echo "# $(date -u '+%F %H:%M') UTC, $(git -C "$root" rev-parse --short HEAD), $(nproc) cores; $torrents torrents, $peers peers, every announce a new peer (UDP, numwant 0)"
echo "# trackerd JVM: ${td_opts[*]}; max_torrents $((torrents + torrents / 10 + 1000)), max_peers $((peers + peers / 10 + 10000))"
printf "%-12s %9s %9s %9s %10s %8s %8s %9s %8s %9s %-16s %-16s\n" tracker "start MiB" "base MiB" "after MiB" "growth MiB" "B/peer" \
  "fill s" "answers/s" answered err/loss "load before" "load after"
for n in ot td; do
  [ -n "${r[$n,after]:-}" ] || continue
  printf "%-12s %9d %9d %9d %10d %8.1f %8s %9s %8s %9s %-16s %-16s\n" "$([ $n = ot ] && echo opentracker || echo trackerd)" \
    $(( r[$n,start] / 1024 )) $(( r[$n,base] / 1024 )) $(( r[$n,after] / 1024 )) $(( (r[$n,after] - r[$n,base]) / 1024 )) \
    "$(awk -v a="${r[$n,after]}" -v b="${r[$n,base]}" -v p="$peers" 'BEGIN{print (a-b)*1024/p}')" \
    "${r[$n,fill_s]}" "${r[$n,rate]}" "${r[$n,answered]}" "${r[$n,errors]}/${r[$n,losses]}" "${r[$n,load0]}" "${r[$n,load1]}"
done
for n in ot td; do
  [ -n "${r[$n,answered]:-}" ] && [ "${r[$n,answered]}" -lt "$peers" ] && echo "WARNING: $n answered ${r[$n,answered]} of $peers peers in ${fill_s} s: not filled"
  [ -n "${r[$n,errors]:-}" ] && [ "${r[$n,errors]}" -gt 0 ] && echo "WARNING: $n refused or failed ${r[$n,errors]} announces"
done
echo "trackerd: the JVM's baseline (tiny store, warmed) $(( jvm_base / 1024 )) MiB; the empty store of this run adds $(( (r[td,base] - jvm_base) / 1024 )) MiB;" \
  "from the JVM's baseline to the filled store $(( (r[td,after] - jvm_base) / 1024 )) MiB = $(awk -v a="${r[td,after]}" -v b="$jvm_base" -v p="$peers" 'BEGIN{printf "%.1f", (a-b)*1024/p}') B/peer (store)"
echo "trackerd after the fill: RssAnon $(( r[td,anon] / 1024 )) MiB, RssFile $(( r[td,file] / 1024 )) MiB; swarms-*.dat resident $(( td_map_kib / 1024 )) MiB" \
  "= $(awk -v m="$td_map_kib" -v p="$peers" 'BEGIN{printf "%.1f", m*1024/p}') B/peer; heap ${heap:-?}; store on disk $disk_mib MiB; at SIGTERM: $stored"
if [ -n "${r[ot,after]:-}" ]; then
  echo "ratio trackerd/opentracker per peer: growth $(awk -v a="${r[td,after]}" -v b="${r[td,base]}" -v c="${r[ot,after]}" -v d="${r[ot,base]}" 'BEGIN{printf "%.2f", (a-b)/(c-d)}'),"\
    "store (from the JVM's baseline) $(awk -v a="${r[td,after]}" -v b="$jvm_base" -v c="${r[ot,after]}" -v d="${r[ot,base]}" 'BEGIN{printf "%.2f", (a-b)/(c-d)}')" \
    "(goal <= 1.25); whole RSS, baselines included: $(awk -v a="${r[td,after]}" -v c="${r[ot,after]}" 'BEGIN{printf "%.2f", a/c}')"
fi
if [ -n "${KEEP_STORE:-}" ]; then
  mkdir -p "$KEEP_STORE"; mv "$work/data" "$KEEP_STORE/data"; cp "$work/hashes.txt" "$work/trackerd.json" "$KEEP_STORE/"
  echo "trackerd's store kept in $KEEP_STORE (delete it after use: $disk_mib MiB)"
fi
