#!/usr/bin/env bash
# The long versions of the robustness tests, kept out of the default test run:
#   scripts/soak-robust.sh                 fuzz 20000 HTTP inputs + 20000 UDP datagrams, 10 kill -9 cycles
#   SEED=42 scripts/soak-robust.sh          replay a given fuzz seed (the seed of every run is printed)
#   FUZZ_HTTP=50000 FUZZ_UDP=50000 KILLS=20 scripts/soak-robust.sh
# Runs offline through the reactor (never installs), with JUnit's per-test timeouts disabled.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
seed="${SEED:-$RANDOM$RANDOM}"
mvn -o -B -pl engine,metrics-exporter,io -am test \
  -Dtest='FuzzRobustTest,KillRestartRobustTest' -Dsurefire.failIfNoSpecifiedTests=false \
  -Djunit.jupiter.execution.timeout.mode=disabled \
  -Dtrackerd.fuzz.seed="$seed" -Dtrackerd.fuzz.http="${FUZZ_HTTP:-20000}" -Dtrackerd.fuzz.udp="${FUZZ_UDP:-20000}" \
  -Dtrackerd.kill.cycles="${KILLS:-10}" "$@" 2>&1 \
  | grep -E 'FuzzRobustTest|KillRestartRobustTest|Tests run:|FAIL|BUILD' || true
