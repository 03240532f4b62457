#!/usr/bin/env bash
# Restart time of trackerd holding a large store, on loopback: seconds from launching the JVM to its `ready:` line
# and to the first UDP scrape answered with the right counts (a known torrent's seeders and leechers as they were
# before the stop), for three stops:
#   term      SIGTERM, idle (a clean shutdown)
#   kill      kill -9, idle
#   kill-load kill -9 after LOAD_S seconds of load, updates in flight: the filled population re-announcing (pages
#             written in place) and, beside it, new peers of other torrents (entries inserted, the store growing);
#             the load stops with the process. After the restart the known torrent must still answer right.
#   kill-new  kill -9 after LOAD_S seconds of new peers only (entries inserted and replaced by larger ones: changes
#             of the map's structure, with growth steps once the first tiers are full): the kill lands inside one
#             often; the "store opened" column says what the start did (a segment recovered alone, a shard's locks
#             reset, a sweep that had changed nothing, ...) and how long its recovery and its scan took
# Each case ROUNDS times, interleaved. With SIMULATED=1 also today's two simulated mid-update crashes (the
# in-flight file's state word at offset 8, then also 144, set to 1 before the start, as if the process died
# holding an entry's lock writing in place / inside an insert or removal): they write into the format of
# dd8742d's store and are for comparison with earlier rounds only.
#   scripts/measure-restart.sh [TORRENTS] [PEERS] [ROUNDS]      (defaults 500000 1000000 3)
#   the issue-19 point: scripts/measure-restart.sh 5000000 10000000 3
# env: STORE=DIR  a store kept by `KEEP_STORE=DIR scripts/measure-memory.sh TORRENTS PEERS` (same TORRENTS and
#                 PEERS): no fill here; the directory is used in place (and left: delete it after use)
#      otherwise trackerd is filled here first (LoadGenerator --shape new-peers --once true, passes of CHUNK peers)
#      CDS="1"    with the class-data archive scripts/run-tracker.sh uses (scripts/cds-archive.sh); "0 1" both
#      TRACKERD_JAVA_OPTS (default @tuning/jvm-shared.options), LOAD_S=8, SERVER_CPU=0 LOAD_CPU=1, PORT_OFFSET=0,
#      SKIP_BUILD=1, KEEP_WORK=1
#      CASES="term kill kill-load kill-new"  the cases, in this order each round (default: all four)
#      PEER_LIFETIME_S  tracker.peer_lifetime_seconds for every start (default: the tracker's, 2100): a STORE kept
#                 longer than that before (or while) it is measured loses its peers to expiry, and the restarts then
#                 count and sweep a shrinking store; e.g. PEER_LIFETIME_S=604800 keeps all of them
set -euo pipefail
torrents=${1:-500000}
peers=${2:-1000000}
rounds=${3:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
server_cpu=${SERVER_CPU:-0}; load_cpu=${LOAD_CPU:-1}; load_s=${LOAD_S:-8}; chunk=${CHUNK:-2000000}
port=$((16979 + ${PORT_OFFSET:-0}))
read -r -a td_opts <<< "${TRACKERD_JAVA_OPTS:-@$root/tuning/jvm-shared.options}"
read -r -a cds_modes <<< "${CDS:-1}"
[ "$rounds" -ge 1 ] && [ "$rounds" -le 20 ] || { echo "ROUNDS 1..20" >&2; exit 2; }

[ -n "${SKIP_BUILD:-}" ] || (cd "$root" && mvn -o -q -B -DskipTests -pl engine,metrics-exporter,io,jmh -am package) >&2
bench_jar="$root/jmh/target/trackerd-benchmarks.jar"
tracker_jar="$root/io/target/trackerd.jar"
work=$(mktemp -d /tmp/measure-restart.XXXXXX); chmod 755 "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; sleep 1
  if [ -n "${KEEP_WORK:-}" ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
loadgen() { taskset -c "$load_cpu" java -Xms256m -Xmx2g -cp "$bench_jar" org.trackerd.jmh.loadgen.LoadGenerator "$@"; }
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }

if [ -n "${STORE:-}" ]; then
  data="$STORE/data"; hashes="$STORE/hashes.txt"
  [ -d "$data" ] && [ -f "$hashes" ] || { echo "STORE=$STORE has no data/ and hashes.txt" >&2; exit 2; }
else
  data="$work/data"; hashes="$work/hashes.txt"
  loadgen --torrents "$torrents" --duration 0 --hashes-file "$hashes"
fi
cat > "$work/trackerd.json" <<JSON
{"http":{"listen":["127.0.0.1:$port"]},"udp":{"listen":["127.0.0.1:$port"]},
 "storage":{"path":"$data","max_torrents":$((torrents + torrents / 10 + 1000)),"max_peers":$((peers + peers / 10 + 10000))},
 "tracker":{"max_numwant":200${PEER_LIFETIME_S:+,\"peer_lifetime_seconds\":$PEER_LIFETIME_S}}}
JSON
jvm=(@"$root/tuning/jvm-required.options" "${td_opts[@]}")
td=""
start_tracker() { taskset -c "$server_cpu" java "${jvm[@]}" -jar "$tracker_jar" --config "$work/trackerd.json" >>"$work/trackerd.log" 2>&1 & td=$!; pids+=("$td"); }

# Polls (every 5 ms, up to 120 s) for the ready: line and the first scrape of the known torrent answered with the
# expected counts; prints "ready_s answer_s" from T0, or "counts A B" when EXPECTED is empty.
probe() { # t0 expected
  python3 - "$port" "$hashes" "$work/trackerd.log" "$1" "$2" <<'PY'
import os, socket, struct, sys, time
port, hashes, log, t0, expected = int(sys.argv[1]), sys.argv[2], sys.argv[3], float(sys.argv[4]), sys.argv[5]
h = bytes.fromhex(open(hashes).readline().strip())
def scrape():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(0.05)
    try:
        t = int.from_bytes(os.urandom(4), 'big')
        s.sendto(struct.pack('>QII', 0x41727101980, 0, t), ('127.0.0.1', port))
        d, _ = s.recvfrom(64); cid = struct.unpack('>Q', d[8:16])[0]
        s.sendto(struct.pack('>QII', cid, 2, t) + h, ('127.0.0.1', port))
        d, _ = s.recvfrom(64)
        if struct.unpack('>I', d[0:4])[0] != 2: return None
        se, _, le = struct.unpack('>III', d[8:20]); return "%d %d" % (se, le)
    except OSError:
        return None
    finally:
        s.close()
if not expected:
    for _ in range(200): # up to ~10 s: the first answers of a fresh JVM on a busy host can take a while
        got = scrape()
        if got: break
    print(got or "none"); sys.exit(0)
ready = None
for _ in range(24000):
    now = time.time()
    if ready is None:
        try:
            if b"ready:" in open(log, 'rb').read(): ready = now
        except OSError:
            pass
    if scrape() == expected:
        print("%.2f %.2f" % ((ready or now) - t0, time.time() - t0)); sys.exit(0)
    if now - t0 > 120: break
    time.sleep(0.005)
print("timeout timeout"); sys.exit(1)
PY
}
wait_ready() { for _ in $(seq 1 1200); do grep -q "ready:" "$work/trackerd.log" 2>/dev/null && return 0; sleep 0.1; done; cat "$work/trackerd.log"; exit 1; }

start_tracker; wait_ready
if [ -z "${STORE:-}" ]; then
  a=0; fill_secs=0
  while [ "$a" -lt "$peers" ]; do
    b=$(( a + chunk < peers ? a + chunk : peers ))
    out=$(loadgen --protocol udp --target "127.0.0.1:$port" --torrents "$torrents" --first-peer "$a" --peers "$b" \
      --numwant 0 --seeders 0.5 --sockets 16 --window 16 --duration 600 --shape new-peers --once true)
    fill_secs=$(awk -v s="$fill_secs" -v d="$(echo "$out" | field duration_s)" 'BEGIN{print s + d}')
    [ "$(echo "$out" | field peers_answered)" -eq $(( b - a )) ] || echo "WARNING: fill pass $a..$b: $out"
    a=$b
  done
  echo "filled $peers peers over $torrents torrents in $fill_secs s"
fi
expected=$(probe 0 "")
[ "$expected" != none ] || { echo "no scrape answer from the filled tracker"; exit 1; }

declare -A res
new_seed=$((100 + $(date +%s) % 1000))
stop_and_restart() { # case
  local c=$1 lg=()
  case "$c" in
    term) kill -TERM "$td" ;;
    kill) kill -9 "$td" ;;
    kill-new)
      new_seed=$((new_seed + 1)) # other torrents each time
      taskset -c "$load_cpu" java -Xms256m -Xmx2g -cp "$bench_jar" org.trackerd.jmh.loadgen.LoadGenerator \
        --protocol udp --target "127.0.0.1:$port" --torrents 1000000 --seed "$new_seed" --numwant 0 \
        --scrape-ratio 0 --sockets 16 --window 32 --duration $((load_s + 30)) --shape new-peers >/dev/null 2>&1 &
      lg+=($!); pids+=($!)
      sleep "$load_s"
      kill -9 "$td" ;;
    kill-load|sim-*)
      if [ "$c" = kill-load ]; then
        # the filled population re-announcing (pages in place) and new peers of other torrents (inserts)
        # (java started here, not through the loadgen function: $! must be the JVM, which kill -9 stops below)
        taskset -c "$load_cpu" java -Xms256m -Xmx2g -cp "$bench_jar" org.trackerd.jmh.loadgen.LoadGenerator \
          --protocol udp --target "127.0.0.1:$port" --torrents "$torrents" --peers "$peers" --numwant 50 \
          --scrape-ratio 0 --seeders 0.5 --sockets 8 --window 16 --duration $((load_s + 30)) >/dev/null 2>&1 &
        lg+=($!); pids+=($!)
        taskset -c "$load_cpu" java -Xms256m -Xmx2g -cp "$bench_jar" org.trackerd.jmh.loadgen.LoadGenerator \
          --protocol udp --target "127.0.0.1:$port" --torrents 100000 --seed 99 --numwant 0 --scrape-ratio 0 \
          --sockets 8 --window 16 --duration $((load_s + 30)) --shape new-peers >/dev/null 2>&1 &
        lg+=($!); pids+=($!)
        sleep "$load_s"
      fi
      kill -9 "$td" ;;
  esac
  wait "$td" 2>/dev/null || true
  for p in "${lg[@]}"; do kill -9 "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  case "$c" in
    sim-place) printf '\x01\x00\x00\x00' | dd of="$data/in-flight" bs=1 seek=8 conv=notrunc status=none ;;
    sim-struct) printf '\x01\x00\x00\x00' | dd of="$data/in-flight" bs=1 seek=8 conv=notrunc status=none
                printf '\x01\x00\x00\x00' | dd of="$data/in-flight" bs=1 seek=144 conv=notrunc status=none ;;
  esac
  cp "$work/trackerd.log" "$work/trackerd.log.prev"; : > "$work/trackerd.log"
  local t0; t0=$(date +%s.%N)
  start_tracker
  probe "$t0" "$expected" > "$work/times" || { echo "restart ($c): the known torrent did not answer $expected"; cat "$work/trackerd.log"; exit 1; }
  # CPU the JVM used up to that answer (all its threads: JIT, GC, the store's opening): steadier than the wall
  # time on a loaded host
  local cpu; cpu=$(awk '{printf "%.2f", ($14 + $15) / 100}' "/proc/$td/stat")
  echo "$(cat "$work/times") $cpu" > "$work/times"
}
read -r -a cases <<< "${CASES:-term kill kill-load kill-new}"
[ -z "${SIMULATED:-}" ] || cases+=(sim-place sim-struct)
for cds in "${cds_modes[@]}"; do
  if [ "$cds" = 1 ]; then
    [ -f "$work/trackerd.jsa" ] || "$root/scripts/cds-archive.sh" "$tracker_jar" "$work/trackerd.jsa" >&2
    jvm=(@"$root/tuning/jvm-required.options" "${td_opts[@]}" -XX:SharedArchiveFile="$work/trackerd.jsa")
  else
    jvm=(@"$root/tuning/jvm-required.options" "${td_opts[@]}")
  fi
  for round in $(seq 1 "$rounds"); do
    for c in "${cases[@]}"; do
      stop_and_restart "$c" # (not in a subshell: it sets td)
      res[$cds,$c,$round]=$(cat "$work/times")
      res[$cds,$c,$round,load]=$(cut -d' ' -f1 /proc/loadavg)
      res[$cds,$c,$round,log]=$(grep -Eo "(store [a-z]+ at [^ ]+ in [0-9]+ ms|the last process died[^:)]*|recovered segment [0-9]+ of shard [0-9]+ alone in [0-9]+ us \([0-9]+ tiers, [0-9]+ entries|cannot be recovered alone|counted shard [0-9]+ in [0-9]+ ms|[0-9]+ torrents and [0-9]+ peers in the store, counted [a-z ]+|loaded [0-9]+ torrents and [0-9]+ peers from the store in [0-9]+ ms \([0-9]+ of [0-9]+ shards scanned)" "$work/trackerd.log" | sed "s| at $data||" | tr '\n' ';' | sed 's/;$//')
    done
  done
done
kill -TERM "$td"; wait "$td" 2>/dev/null || true

echo "# $(date -u '+%F %H:%M') UTC, $(git -C "$root" rev-parse --short HEAD), $(nproc) cores; $torrents torrents, $peers peers; known torrent's seeders/leechers: $expected"
echo "# trackerd JVM: ${td_opts[*]}; store on disk $(( $(du -sk "$data" | cut -f1) / 1024 )) MiB; kill-load: ${load_s} s of load first"
printf "%-4s %-11s %-6s %8s %9s %6s %6s  %s\n" cds stop round "ready s" "answer s" "cpu s" load "store opened"
for cds in "${cds_modes[@]}"; do
  for c in "${cases[@]}"; do
    for round in $(seq 1 "$rounds"); do
      read -r rs as cs <<< "${res[$cds,$c,$round]}"
      printf "%-4s %-11s %-6s %8s %9s %6s %6s  %s\n" "$cds" "$c" "$round" "$rs" "$as" "${cs:-?}" "${res[$cds,$c,$round,load]}" "${res[$cds,$c,$round,log]}"
    done
  done
done
for c in "${cases[@]}"; do
  worst=$(for cds in "${cds_modes[@]}"; do for round in $(seq 1 "$rounds"); do echo "${res[$cds,$c,$round]}" | cut -d' ' -f2; done; done | sort -g | tail -n1)
  echo "# worst answer s, $c: $worst"
done
echo "# ready s: launch to the ready: line; answer s: launch to the first scrape answered with the counts above (goal <= 2 s);" \
  "cpu s: CPU time (user + system, every thread) the JVM had used by then"
