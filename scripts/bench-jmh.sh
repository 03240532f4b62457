#!/usr/bin/env bash
# Builds the JMH benchmarks and runs them with short defaults and the GC profiler (allocation per op).
#   scripts/bench-jmh.sh                          every benchmark, short run, -prof gc
#   scripts/bench-jmh.sh HttpParse                benchmarks whose name matches a regex
#   scripts/bench-jmh.sh SwarmProcessor -p torrents=1000000 -p peersPerTorrent=2 -jvmArgsAppend -Xmx4g
#   scripts/bench-jmh.sh -f 3 -wi 5 -i 10 -w 5s -r 5s HttpEncode     a longer run
#   scripts/bench-jmh.sh -l                       list the benchmarks; -h for JMH's own help
# Every argument goes to JMH. A default (-f 1 -wi 2 -i 3 -w 2s -r 2s -prof gc) is added only for an option
# not given (JMH refuses an option given twice). SKIP_BUILD=1 reuses jmh/target/trackerd-benchmarks.jar.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
jar="jmh/target/trackerd-benchmarks.jar"
if [ "${SKIP_BUILD:-0}" != "1" ] || [ ! -f "$jar" ]; then
  echo "building $jar ..." >&2
  mvn -q -B -DskipTests -pl jmh -am package >&2
fi
given() {
  local opt="$1" a
  shift
  for a in "$@"; do
    [ "$a" = "$opt" ] && return 0
  done
  return 1
}
# Short on purpose: enough to see ns/op and B/op on a shared host, not to publish figures.
defaults=()
given -f "$@" || defaults+=(-f 1)
given -wi "$@" || defaults+=(-wi 2)
given -i "$@" || defaults+=(-i 3)
given -w "$@" || defaults+=(-w 2s)
given -r "$@" || defaults+=(-r 2s)
given -prof "$@" || defaults+=(-prof gc)
# The forked JVMs get the module flags from @Fork in the benchmarks (org.trackerd.jmh.JvmFlags).
exec java -jar "$jar" "${defaults[@]}" "$@"
