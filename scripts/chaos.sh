#!/usr/bin/env bash
# The full chaos suite (issue 13; RELIABILITY.md): the release build of
# `siem-bridge run` against tansu with the fake HEC, Elasticsearch and
# rsyslog as sinks, under continuous load. The same tests run in
# `cargo test` with small defaults; this script makes them long.
#
#   scripts/chaos.sh                 # every scenario, full size
#   scripts/chaos.sh chaos_kill_9    # one scenario (a test-name filter)
#
# Knobs (environment, defaults below): CHAOS_KILLS (kill -9 of run),
# CHAOS_GROUP_STEPS (members killed/added), CHAOS_BROKER_KILLS and
# CHAOS_BROKER_DOWN_MS (tansu kill -9 and restart), CHAOS_STORM_SECS (each
# sink storm), CHAOS_RATE (records/s), CHAOS_SEED (replay a run),
# CHAOS_BROKER=tansu (the kill -9 scenario on tansu instead of the mock-kafka
# process: tansu's group coordinator keeps killed members, RELIABILITY.md),
# CHAOS_KAFKA_TOML (lines added to the bridges' [kafka] section).
# Figures: target/chaos/results.ndjson, one JSON line per scenario.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

bash scripts/setup.sh
cargo build --release --locked --bin siem-bridge
export CHAOS_BRIDGE_BIN="$root/target/release/siem-bridge"
export CHAOS_KILLS="${CHAOS_KILLS:-100}"
export CHAOS_GROUP_STEPS="${CHAOS_GROUP_STEPS:-30}"
export CHAOS_BROKER_KILLS="${CHAOS_BROKER_KILLS:-5}"
export CHAOS_BROKER_DOWN_MS="${CHAOS_BROKER_DOWN_MS:-10000}"
export CHAOS_STORM_SECS="${CHAOS_STORM_SECS:-120}"
export CHAOS_RATE="${CHAOS_RATE:-200}"
filter="${1:-chaos::chaos_}"
echo "chaos: kills=$CHAOS_KILLS group_steps=$CHAOS_GROUP_STEPS broker_kills=$CHAOS_BROKER_KILLS storm_secs=$CHAOS_STORM_SECS rate=$CHAOS_RATE/s"
cargo test --locked --test integration "$filter" -- --nocapture --test-threads=1 2>&1 \
  | grep -E '^(chaos|test |test result)'
echo "chaos: figures appended to target/chaos/results.ndjson"
