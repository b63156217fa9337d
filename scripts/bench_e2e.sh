#!/usr/bin/env bash
# End-to-end cost per event (BENCHMARKS.md, "End to end"): the release
# `siem-bridge run` binary against the `mock-kafka` helper process and the
# in-repo fake HEC, _bulk and syslog receivers (examples/e2e/).
# Knobs (environment): EVENTS, SINKS, PARTITIONS, RATE, BUCKETS, PERF.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --bin siem-bridge --bin mock-kafka --example e2e
exec target/release/examples/e2e "$@"
