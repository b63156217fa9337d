//! Running the `siem-bridge` binary as a user would, for the command tests.

use std::io::Write;
use std::process::{Command, Stdio};

/// Runs `siem-bridge <args>` with `stdin` (closed at once when `None`),
/// warn-level logs and no config or colour settings inherited from the
/// environment; returns the exit code, standard output and standard error.
pub fn siem_bridge(args: &[&str], stdin: Option<&[u8]>) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_siem-bridge"))
        .args(args)
        .env("SIEM_BRIDGE_LOG", "warn")
        .env_remove("SIEM_BRIDGE_CONFIG")
        .env_remove("NO_COLOR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start siem-bridge");
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input).unwrap();
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}
