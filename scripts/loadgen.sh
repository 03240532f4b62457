#!/usr/bin/env bash
# Runs the load generator against a tracker on loopback (builds the benchmark jar if needed).
#   scripts/loadgen.sh --protocol udp|http --target 127.0.0.1:6969 [--torrents N] [--peers N] [--seeders 0.2]
#                      [--numwant 50] [--scrape-ratio 0.05] [--duration S<=600] [--sockets N] [--window N]
#                      [--rate REQ_PER_S] [--http-mode keepalive|close] [--seed N] [--hashes-file FILE]
#                      [--shape reannounce|new-peers|churn] [--once true [--first-peer N]]
# (--shape new-peers --once true: peers FIRST..PEERS-1 announced once each, event started: a fill to a known size)
# Loopback targets only; every run is bounded by --duration. Pin it apart from the server, e.g.
#   taskset -c 1 scripts/loadgen.sh --protocol udp --target 127.0.0.1:6969 --duration 10
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
jar="$root/jmh/target/trackerd-benchmarks.jar"
if [ ! -f "$jar" ] || [ -n "$(find "$root/jmh/src" "$root/engine/src/main" "$root/io/src/main" -newer "$jar" -name '*.java' | head -n1)" ]; then
  (cd "$root" && mvn -q -B -DskipTests -pl jmh -am package) >&2
fi
exec java -Xms256m -Xmx1g -cp "$jar" org.trackerd.jmh.loadgen.LoadGenerator "$@"
