//! Bad input at scale (`docs/fuzzing.md` §"Bad input at scale"): records
//! of 100 MB, nesting 100,000 deep, invalid UTF-8 and floods of
//! dead-letter records are each dead-lettered or refused with a reason,
//! in bounded memory, and nothing is committed past a record before its
//! dead-letter entry is stored.
//!
//! Memory is measured in a child process (this test binary run again on
//! one `#[ignore]`d test), which reports its peak RSS (`VmHWM`, reset
//! between stages through `/proc/self/clear_refs`): the parent test's
//! own peak would include every test running beside it.

mod flood;
mod huge;
mod pipeline;

use std::process::Command;

/// Set in the child process.
const CHILD: &str = "SIEM_BRIDGE_BAD_INPUT_CHILD";

/// Peak RSS of this process in KiB since the last [`reset_peak`].
pub fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/self/status")
}

/// Resets `VmHWM` to the current RSS (`clear_refs` value 5, Linux ≥ 4.0).
pub fn reset_peak() {
    std::fs::write("/proc/self/clear_refs", "5").unwrap();
}

/// Runs the `#[ignore]`d test `name` of this binary in a child process
/// and returns its standard output (the child prints its figures).
pub fn run_child(name: &str) -> String {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            name,
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "child {name} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The figure `key=<n>` the child printed.
pub fn figure(out: &str, key: &str) -> u64 {
    let tag = format!("{key}=");
    out.split_whitespace()
        .find_map(|w| w.strip_prefix(&tag))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {key} in child output:\n{out}"))
}

/// Whether this process is the child (the `#[ignore]`d tests do their
/// heavy work only there).
pub fn is_child() -> bool {
    std::env::var_os(CHILD).is_some()
}
