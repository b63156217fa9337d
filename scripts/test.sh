#!/usr/bin/env bash
# The one command that passes the tests on a fresh machine: installs what
# the tests need (scripts/setup.sh), then runs every check CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
cargo fmt --all -- --check
cargo clippy --all-targets --locked -- -D warnings
# Module import cycles: imports only go downward (see src/lib.rs).
if python3 scripts/modcycles.py src | grep '^cycle:'; then
  echo "module import cycles (imports must point only down)" >&2
  exit 1
fi
cargo test --locked
# Benchmarks are compiled (and linted) by clippy above; run them with
# `cargo bench` (BENCHMARKS.md), never as timed tests.
# The Dockerfile's build step, exercised here because no Docker engine runs
# on our machines.
cargo build --release --locked --bin siem-bridge
