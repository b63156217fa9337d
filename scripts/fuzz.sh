#!/usr/bin/env bash
# Long fuzz runs on the stable toolchain (docs/fuzzing.md).
#
#   FUZZ_CASES=100000 scripts/fuzz.sh          # cases per target per round
#   FUZZ_SECONDS=3600 scripts/fuzz.sh          # keep running rounds (new seeds) for an hour
#   scripts/fuzz.sh scan                       # only targets whose name contains `scan`
#
# Builds with the `fuzz` profile (optimised, overflow checks and debug
# assertions on). Each round draws fresh random seeds; a failure stops the
# run, prints the minimal input, and proptest saves its seed under
# tests/proptest-regressions/ (or next to the unit target) so the normal
# test suite replays it: turn it into a named regression test.
set -euo pipefail
cd "$(dirname "$0")/.."

cases="${FUZZ_CASES:-20000}"
seconds="${FUZZ_SECONDS:-0}"
filter="${1:-}"
export FUZZ_CASES="$cases"
export PROPTEST_MAX_SHRINK_ITERS="${PROPTEST_MAX_SHRINK_ITERS:-4096}"

cargo test --profile fuzz --no-run --quiet --lib --test fuzz
start=$(date +%s)
round=0
while :; do
  round=$((round + 1))
  t0=$(date +%s)
  # The binary targets (tests/fuzz) and the unit targets (`fuzz` modules
  # of the HEC, Elasticsearch and syslog sinks).
  cargo test --profile fuzz --quiet --test fuzz -- "$filter" 2>&1 | grep -v '^$' || exit 1
  cargo test --profile fuzz --quiet --lib -- "fuzz::" 2>&1 | grep -E "${filter:-.}|test result|panicked|minimal" || exit 1
  t1=$(date +%s)
  echo "fuzz: round $round: $FUZZ_CASES cases per target in $((t1 - t0)) s"
  if [ "$seconds" -le 0 ] || [ $((t1 - start)) -ge "$seconds" ]; then
    break
  fi
done
echo "fuzz: $round round(s) of $FUZZ_CASES cases per target, $(( $(date +%s) - start )) s, no failure"
