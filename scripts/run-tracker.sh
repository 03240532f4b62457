#!/usr/bin/env bash
# Builds the tracker if needed and runs it in the foreground.
#   scripts/run-tracker.sh [--config FILE]     (default: example_config.json)
# Extra JVM options: TRACKERD_JAVA_OPTS (e.g. TRACKERD_JAVA_OPTS=@tuning/jvm-dedicated.options, a java argument file).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
jar="io/target/trackerd.jar"
newest_source=$(find pom.xml engine io metrics-exporter -name '*.java' -o -name 'pom.xml' -o -name '*.properties' | xargs ls -t 2>/dev/null | head -n1)
if [ ! -f "$jar" ] || [ "$newest_source" -nt "$jar" ]; then
  echo "building $jar ..." >&2
  mvn -q -B -DskipTests -pl io -am package >&2
fi
flags=(
  --add-opens=java.base/java.lang=ALL-UNNAMED
  --add-opens=java.base/java.lang.reflect=ALL-UNNAMED
  --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
  --add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED
  --add-exports=java.base/jdk.internal.ref=ALL-UNNAMED
  --add-exports=java.base/jdk.internal.misc=ALL-UNNAMED
  --add-exports=java.base/jdk.internal.util=ALL-UNNAMED
  -Dchronicle.analytics.disable=true
  -Dchronicle.announcer.disable=true
)
# shellcheck disable=SC2086
exec java "${flags[@]}" ${TRACKERD_JAVA_OPTS:-} -jar "$jar" "$@"
