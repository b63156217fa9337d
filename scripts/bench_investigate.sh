#!/usr/bin/env bash
# `investigate` over 1,000,000 events from a file: events/s and peak RSS
# (BENCHMARKS.md, "investigate"). The data (≈ 670 MB, made once) and the
# report stay under target/investigate-bench/.
set -euo pipefail
cd "$(dirname "$0")/.."
n="${EVENTS:-1000000}"
dir=target/investigate-bench
data="$dir/events-$n.jsonl"
mkdir -p "$dir"
[ -f "$data" ] || python3 scripts/investigate_bench_data.py "$n" "$data"
cargo build --release --quiet --bin siem-bridge
for run in 1 2 3; do
  /usr/bin/time -f "run $run: %e s wall, %U s user, peak RSS %M KB" \
    target/release/siem-bridge investigate --json "$data" > "$dir/report.json"
done
/usr/bin/time -f "for comparison, detect alone: %e s wall, peak RSS %M KB" \
  target/release/siem-bridge detect "$data" > /dev/null
echo "events: $n (events/s = events / wall seconds)"
