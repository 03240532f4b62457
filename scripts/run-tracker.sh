#!/usr/bin/env bash
# Builds the tracker if needed and runs it in the foreground.
#   scripts/run-tracker.sh [--config FILE]     (default: example_config.json)
# Extra JVM options: TRACKERD_JAVA_OPTS (e.g. TRACKERD_JAVA_OPTS=@tuning/jvm-dedicated.options, a java argument file).
# A class-data sharing archive (scripts/cds-archive.sh) is made beside the jar when it is missing or older than the
# jar, and used: starts (restarts after a crash above all) take ~0.6 s less. TRACKERD_CDS=0 runs without it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
jar="io/target/trackerd.jar"
# (find -newer, not "ls -t | head": under pipefail a SIGPIPE of ls would end the script silently)
if [ ! -f "$jar" ] || [ -n "$(find pom.xml engine io metrics-exporter \( -name '*.java' -o -name 'pom.xml' -o \
    -name '*.properties' \) -newer "$jar" -print -quit)" ]; then
  echo "building $jar ..." >&2
  mvn -q -B -DskipTests -pl io -am package >&2
fi
archive="io/target/trackerd.jsa"
if [ "${TRACKERD_CDS:-1}" != 0 ]; then
  jdk="$(command -v java) $(java -version 2>&1 | tr '\n' ' ')" # an archive is only good for the JDK that made it
  if [ ! -f "$archive" ] || [ "$jar" -nt "$archive" ] || [ "$(cat "$archive.jdk" 2>/dev/null)" != "$jdk" ]; then
    echo "making the class-data archive $archive (once per build) ..." >&2
    rm -f "$archive"
    if scripts/cds-archive.sh "$jar" "$archive"; then echo "$jdk" > "$archive.jdk"; else
      echo "no class-data archive: starting without it" >&2; fi
  fi
fi
flags=(@"$root/tuning/jvm-required.options") # the flags every trackerd JVM needs, written once
if [ "${TRACKERD_CDS:-1}" != 0 ] && [ -f "$archive" ]; then
  flags+=(-XX:SharedArchiveFile="$archive")
fi
# shellcheck disable=SC2086
exec java "${flags[@]}" ${TRACKERD_JAVA_OPTS:-} -jar "$jar" "$@"
