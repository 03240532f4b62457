#!/usr/bin/env bash
# Builds a class-data sharing archive (AppCDS, the JDK's dynamic archive) for trackerd.jar: the classes a start
# loads (the config reader, Chronicle Map with its recovery, the frontends), parsed and verified once, so a start
# (a restart after a crash above all) does not load them again. Measured with 2M peers persisted: the store opens
# in ~0.6 s instead of ~1.0 s and the tracker answers ~0.6 s sooner (BENCHMARKS.md).
#
#   scripts/cds-archive.sh [JAR] [ARCHIVE]      (defaults io/target/trackerd.jar io/target/trackerd.jsa)
#   then: java -XX:SharedArchiveFile=ARCHIVE ... -jar JAR ...
#
# Training: two starts on a throw-away store on loopback ephemeral ports. The first creates the store and is
# killed (kill -9) with nothing in flight; its in-flight file is then marked "died inside a structural change of
# segment 0 of shard 0", so the second start runs the recovery of one segment as well as the plain open; it then answers a UDP connect,
# announce and scrape and an HTTP announce and scrape (the classes of the first answers after a restart), is stopped
# with SIGTERM, and the JVM writes the archive as it exits. The archive belongs to this JDK and this jar: rebuild it after either
# changes (a stale or missing archive only costs the speed-up: the JVM warns and loads classes as usual).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
jar=${1:-$root/io/target/trackerd.jar}
archive=${2:-$root/io/target/trackerd.jsa}
[ -f "$jar" ] || { echo "no $jar: build it first (mvn -q -B -DskipTests -pl io -am package)" >&2; exit 1; }
work=$(mktemp -d /tmp/trackerd-cds.XXXXXX)
pid=""
cleanup() { [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
cat > "$work/config.json" <<JSON
{"http":{"listen":["127.0.0.1:0"]},"udp":{"listen":["127.0.0.1:0"]},
 "storage":{"path":"$work/data","max_torrents":1000,"max_peers":10000}}
JSON
start() { # extra JVM options...; waits for the ready: line
  java -Xshare:auto "$@" -jar "$jar" --config "$work/config.json" > "$work/log" 2>&1 &
  pid=$!
  for _ in $(seq 1 600); do
    grep -q "ready:" "$work/log" && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  echo "trackerd did not start for the CDS training run:" >&2; cat "$work/log" >&2; exit 1
}
start
kill -9 "$pid"; wait "$pid" 2>/dev/null || true; pid=""
# in-flight (version 4): state word (offset 8) busy, shard (136) 0, structural word (144) set, segment (148) 0 with
# the replace bit: the next start recovers that one segment alone (SegmentRecovery, Chronicle's per-tier steps and
# its duplicate removal) and counts shard 0 off its pages (ShardCount): the path of a kill -9 inside an insert.
put_i32() { printf "$2" | dd of="$work/data/in-flight" bs=1 seek="$1" conv=notrunc status=none; }
put_i32 8 '\x01\x00\x00\x00'
put_i32 136 '\x00\x00\x00\x00'
put_i32 144 '\x01\x00\x00\x00'
put_i32 148 '\x00\x00\x00\x40'
rm -f "$archive.tmp"
start -XX:ArchiveClassesAtExit="$archive.tmp"
# The request paths too (a start's first answers load them): UDP connect, announce, scrape; HTTP announce, scrape.
udp=$(sed -n 's/.*ready:.* udp=\[\([^]]*\)\].*/\1/p' "$work/log" | head -1)
http=$(sed -n 's/.*ready:.* http=\[\([^],]*\).*/\1/p' "$work/log" | head -1)
python3 - "$udp" <<'PY' || echo "cds-archive.sh: the UDP training requests got no answer (the archive misses those classes)" >&2
import os, socket, struct, sys
host, port = sys.argv[1].rsplit(':', 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(5)
t = int.from_bytes(os.urandom(4), 'big'); h = os.urandom(20)
s.sendto(struct.pack('>QII', 0x41727101980, 0, t), (host, int(port)))
cid = struct.unpack('>Q', s.recv(64)[8:16])[0]
s.sendto(struct.pack('>QII', cid, 1, t) + h + os.urandom(20) + struct.pack('>QQQIIIiH', 0, 0, 0, 2, 0, 0, -1, 6881), (host, int(port)))
s.recv(2048)
s.sendto(struct.pack('>QII', cid, 2, t) + h, (host, int(port)))
s.recv(64)
PY
for q in "announce?info_hash=%01%02%03%04%05%06%07%08%09%0a%0b%0c%0d%0e%0f%10%11%12%13%14&peer_id=-TR3000-000000000000&port=6881&uploaded=0&downloaded=0&left=1&compact=1&event=started" \
         "scrape?info_hash=%01%02%03%04%05%06%07%08%09%0a%0b%0c%0d%0e%0f%10%11%12%13%14"; do
  curl -s -o /dev/null --max-time 5 "http://$http/$q" || echo "cds-archive.sh: no answer to the HTTP training request" >&2
done
kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; pid=""
[ -s "$archive.tmp" ] || { echo "the JVM wrote no archive:" >&2; cat "$work/log" >&2; exit 1; }
mv -f "$archive.tmp" "$archive"
echo "wrote $archive ($(du -h "$archive" | cut -f1))" >&2
