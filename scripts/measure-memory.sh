#!/usr/bin/env bash
# Memory per peer and restart time, trackerd beside Debian's opentracker, on loopback.
#   scripts/measure-memory.sh [TORRENTS] [PEERS] [FILL_SECONDS<=600]
# Fills each tracker over UDP with PEERS peers spread over TORRENTS torrents (numwant 0, no scrapes; the load
# generator walks the peers in order, so one pass announces each once), and reports the growth of resident memory
# divided by the peers: the process's baseline (for the JVM: heap, code cache, mapped-file headers after a warm-up)
# is excluded. Then restarts trackerd (SIGTERM, and kill -9) and reports the seconds from launching the JVM to the
# first UDP scrape answered with the swarms intact; the last two restarts are a kill -9 "mid-update": the
# in-flight file is marked busy (state word at offset 8 set to 1) before the start, as if the process had died
# holding an entry's lock while writing a page in place (the common case: re-announces), then also structural
# (word at offset 144 set to 1), as if it had died inside an insert or removal of an entry (Chronicle's recovery
# of that shard). Then the same four restarts with the class-data archive scripts/run-tracker.sh uses
# (scripts/cds-archive.sh). Servers on cpu 0, the load on cpu 1 (taskset).
set -euo pipefail
torrents=${1:-1000000}
peers=${2:-2000000}
fill_s=${3:-120}
root=$(cd "$(dirname "$0")/.." && pwd)
port=16969; ot_port=16970

if ! command -v opentracker >/dev/null 2>&1; then
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq opentracker >&2
fi
(cd "$root" && mvn -q -B -DskipTests -pl io,jmh -am package) >&2
bench_jar="$root/jmh/target/trackerd-benchmarks.jar"
tracker_jar="$root/io/target/trackerd.jar"
work=$(mktemp -d /tmp/measure-memory.XXXXXX); chmod 755 "$work"
pids=()
cleanup() { # KEEP_WORK=1 keeps the work directory (the store as kill -9 left it), e.g. to profile a recovery
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; sleep 1
  if [ -n "${KEEP_WORK:-}" ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

loadgen() { taskset -c 1 java -Xms256m -Xmx1g -cp "$bench_jar" org.trackerd.jmh.loadgen.LoadGenerator "$@"; }
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }
fill() { # port
  loadgen --protocol udp --target "127.0.0.1:$1" --torrents "$torrents" --peers "$peers" --numwant 0 \
    --scrape-ratio 0 --seeders 0.5 --sockets 16 --window 16 --duration "$fill_s" --hashes-file "$work/hashes.txt"
}
warm() { # port: JIT and young generation warmed on other torrents, a thousand peers
  loadgen --protocol udp --target "127.0.0.1:$1" --torrents 500 --peers 1000 --numwant 0 --scrape-ratio 0 \
    --seed 7 --duration 10 >/dev/null
}
loadgen --torrents "$torrents" --duration 0 --hashes-file "$work/whitelist.txt"; chmod 644 "$work/whitelist.txt"

# -- opentracker
taskset -c 0 opentracker -i 127.0.0.1 -p $ot_port -P $ot_port -d "$work" -w whitelist.txt >"$work/ot.log" 2>&1 &
ot=$!; pids+=("$ot"); sleep 2
if [ -z "${SKIP_OPENTRACKER:-}" ]; then
  warm $ot_port || true
  ot_before=$(rss_kib $ot)
  ot_out=$(fill $ot_port)
  ot_after=$(rss_kib $ot)
else
  ot_before=0; ot_after=1; ot_out=""
fi
kill "$ot" 2>/dev/null || true

# -- trackerd
cat > "$work/trackerd.json" <<JSON
{"http":{"listen":["127.0.0.1:$port"]},"udp":{"listen":["127.0.0.1:$port"]},
 "storage":{"path":"$work/data","max_torrents":$((torrents + torrents / 10 + 1000)),"max_peers":$((peers + peers / 10 + 10000))},
 "tracker":{"max_numwant":200}}
JSON
jvm=(@"$root/tuning/jvm-required.options" -Xms256m -Xmx256m -XX:+UseParallelGC)
start_tracker() { taskset -c 0 java "${jvm[@]}" -jar "$tracker_jar" --config "$work/trackerd.json" >>"$work/trackerd.log" 2>&1 & }
wait_ready() { for _ in $(seq 1 600); do grep -q "ready:" "$work/trackerd.log" 2>/dev/null && return 0; sleep 0.1; done; cat "$work/trackerd.log"; exit 1; }
start_tracker; td=$!; pids+=("$td"); wait_ready
warm $port
td_before=$(rss_kib $td)
td_out=$(fill $port)
td_after=$(rss_kib $td)
# The map file's resident pages on their own (the rest of the growth is the JVM: heap pages, JIT code).
td_map_kib=$(awk '/swarms-[0-9]+[.]dat/ {m=1; next} /^[0-9a-f]+-[0-9a-f]+ / {m=0} m && /^Rss:/ {s+=$2} END {print s+0}' "/proc/$td/smaps")
file_mib=$(( $(cat "$work"/data/swarms-*.dat | wc -c) / 1048576 ))

# The first torrent's counts, then how long a restart takes to answer them again.
probe() { # port -> "seeders leechers" of the first hash in hashes.txt, or empty
  python3 - "$1" "$work/hashes.txt" <<'PY'
import socket, struct, sys, os
port = int(sys.argv[1]); h = bytes.fromhex(open(sys.argv[2]).readline().strip())
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(0.2)
try:
    t = int.from_bytes(os.urandom(4), 'big')
    s.sendto(struct.pack('>QII', 0x41727101980, 0, t), ('127.0.0.1', port))
    d, _ = s.recvfrom(64); cid = struct.unpack('>Q', d[8:16])[0]
    s.sendto(struct.pack('>QII', cid, 2, t) + h, ('127.0.0.1', port))
    d, _ = s.recvfrom(64); se, _, le = struct.unpack('>III', d[8:20]); print(se, le)
except Exception:
    pass
PY
}
expected=$(probe $port)
restart() { # signal [busy [structural]]; sets restart_s: seconds from launch to the expected scrape answer
  kill -"$1" "$td"; wait "$td" 2>/dev/null || true
  [ -n "${2:-}" ] && printf '\x01\x00\x00\x00' | dd of="$work/data/in-flight" bs=1 seek=8 conv=notrunc status=none
  [ -n "${3:-}" ] && printf '\x01\x00\x00\x00' | dd of="$work/data/in-flight" bs=1 seek=144 conv=notrunc status=none
  : > "$work/trackerd.log"
  local t0 t1; t0=$(date +%s.%N)
  start_tracker; td=$!; pids+=("$td")
  local tr=""
  for _ in $(seq 1 3000); do
    [ -z "$tr" ] && grep -q "ready:" "$work/trackerd.log" && tr=$(date +%s.%N)
    [ "$(probe $port)" = "$expected" ] && break; sleep 0.01
  done
  t1=$(date +%s.%N)
  [ -z "$tr" ] && tr=$t1
  ready_s=$(awk -v a="$t0" -v b="$tr" 'BEGIN { printf "%.2f", b - a }')
  [ "$(probe $port)" = "$expected" ] || { echo "restart ($1): swarms not back: $(probe $port) vs $expected"; cat "$work/trackerd.log"; exit 1; }
  restart_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
}
startup() { grep -Eo "(store [a-z]+ at [^ ]+ in [0-9]+ ms( \([^)]*\))?|loaded [0-9]+ torrents.* in [0-9]+ ms|[0-9]+ torrents and [0-9]+ peers in the store, counted [a-z ]+)" "$work/trackerd.log" | tr '\n' ' '; }
restart TERM; clean_s=$restart_s; clean_ready=$ready_s; loaded_clean=$(startup)
restart KILL; killed_s=$restart_s; killed_ready=$ready_s; loaded_killed=$(startup)
restart KILL busy; busy_s=$restart_s; busy_ready=$ready_s; loaded_busy=$(startup)
restart KILL busy structural; struct_s=$restart_s; struct_ready=$ready_s; loaded_struct=$(startup)
# The same four with the class-data archive scripts/run-tracker.sh makes and uses (scripts/cds-archive.sh).
"$root/scripts/cds-archive.sh" "$tracker_jar" "$work/trackerd.jsa"
jvm+=(-XX:SharedArchiveFile="$work/trackerd.jsa")
restart TERM; cds_clean_s=$restart_s
restart KILL; cds_killed_s=$restart_s
restart KILL busy; cds_busy_s=$restart_s
restart KILL busy structural; cds_struct_s=$restart_s; loaded_cds_struct=$(startup)

ot_resp=$(echo "$ot_out" | field responses); td_resp=$(echo "$td_out" | field responses)
for r in "opentracker:${ot_resp:-0}" "trackerd:${td_resp:-0}"; do
  [ "${r#*:}" -lt "$peers" ] && echo "WARNING: ${r%%:*} answered ${r#*:} announces, fewer than the $peers peers: not filled, raise FILL_SECONDS"
done
echo "# $torrents torrents, $peers peers (numwant 0, UDP); RSS growth over the fill divided by peers"
printf "%-12s %12s %14s %12s\n" tracker responses "RSS growth MiB" "B/peer"
printf "%-12s %12s %14d %12.1f\n" opentracker "$ot_resp" $(( (ot_after - ot_before) / 1024 )) "$(awk -v a=$ot_after -v b=$ot_before -v p=$peers 'BEGIN{print (a-b)*1024/p}')"
printf "%-12s %12s %14d %12.1f\n" trackerd "$td_resp" $(( (td_after - td_before) / 1024 )) "$(awk -v a=$td_after -v b=$td_before -v p=$peers 'BEGIN{print (a-b)*1024/p}')"
echo "trackerd swarms-*.dat resident: $(( td_map_kib / 1024 )) MiB = $(awk -v m=$td_map_kib -v p=$peers 'BEGIN{printf "%.1f", m*1024/p}') B/peer"
echo "ratio trackerd/opentracker: $(awk -v a=$td_after -v b=$td_before -v c=$ot_after -v d=$ot_before 'BEGIN{printf "%.2f", (a-b)/(c-d)}')"
echo "trackerd swarms-*.dat: $file_mib MiB on disk (allocated for max_torrents/max_peers); first torrent seeders/leechers: $expected"
echo "restart after SIGTERM: ${clean_s} s to the first scrape answered with the swarms, ready: line after ${clean_ready} s ($loaded_clean)"
echo "restart after kill -9: ${killed_s} s, ready: line after ${killed_ready} s ($loaded_killed)"
echo "restart after kill -9 mid-update (in place): ${busy_s} s, ready: line after ${busy_ready} s ($loaded_busy)"
echo "restart after kill -9 mid-update (structural): ${struct_s} s, ready: line after ${struct_ready} s ($loaded_struct)"
echo "with the class-data archive (scripts/cds-archive.sh, as scripts/run-tracker.sh runs): after SIGTERM ${cds_clean_s} s," \
  "kill -9 ${cds_killed_s} s, kill -9 mid-update in place ${cds_busy_s} s, structural ${cds_struct_s} s ($loaded_cds_struct)"
