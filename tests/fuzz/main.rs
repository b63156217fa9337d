//! Fuzz targets on the stable toolchain (`docs/fuzzing.md`): proptest
//! properties over structured, near-valid inputs (mutated fixture events,
//! mutated config files) as well as random bytes.
//!
//! `cargo test --test fuzz` runs a bounded number of cases per target;
//! `scripts/fuzz.sh` runs them long (`FUZZ_CASES`, `FUZZ_SECONDS`).
//! Inputs that once failed are named regression tests in each module.

mod config;
mod crn;
mod gen;
mod json;
mod principal;
mod scan;
mod time;
