#!/usr/bin/env bash
# Soak (issue 13; RELIABILITY.md): the release `siem-bridge run` for
# SOAK_SECS (default 1800) at CHAOS_RATE records/s (default 200) against
# tansu, the fake HEC, the fake Elasticsearch and rsyslog, with a sink storm
# (HEC 503, 429, 401/403, ES item 429s, syslog resets, HEC never answering,
# in turn) for 5 s of every 30 s. RSS is sampled every SOAK_SAMPLE_SECS
# (default 5) into SOAK_CSV (default target/chaos/soak-rss.csv:
# seconds,rss_kb,produced,hec_indexed,fault); the summary line (also in
# target/chaos/results.ndjson) gives RSS after warm-up (second fifth)
# against the last fifth, and ids missing/duplicated per sink.
#
#   SOAK_SECS=300 scripts/soak.sh    # a 5-minute soak
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

bash scripts/setup.sh
cargo build --release --locked --bin siem-bridge
export CHAOS_BRIDGE_BIN="$root/target/release/siem-bridge"
export SOAK_SECS="${SOAK_SECS:-1800}"
export CHAOS_RATE="${CHAOS_RATE:-200}"
echo "soak: ${SOAK_SECS}s at ${CHAOS_RATE}/s, RSS into ${SOAK_CSV:-target/chaos/soak-rss.csv}"
cargo test --locked --test integration chaos::soak::soak -- --ignored --nocapture 2>&1 \
  | grep -E '^(chaos|test |test result)'
