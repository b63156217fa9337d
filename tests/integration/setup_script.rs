//! `scripts/setup-python.sh`: the Python tools go into a virtual
//! environment the script creates, never into the system Python (which
//! Debian 12 refuses: PEP 668), and a second run changes nothing.

use std::process::Command;

#[test]
fn python_tools_go_into_a_virtual_environment_of_their_own() {
    let dir = tempfile::tempdir().unwrap();
    let venv = dir.path().join("venv");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/setup-python.sh");
    let run = || {
        let out = Command::new("bash")
            .arg(script)
            .env("SIEM_BRIDGE_VENV", &venv)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        text
    };
    let first = run();
    let v = venv.display();
    assert!(
        first.contains(&format!(
            "setup: creating a Python virtual environment in {v}\n"
        )),
        "{first}"
    );
    assert!(
        first.contains(&format!(
            "setup: installing osmem-server 0.1.6 into {v} (pip)\n"
        )),
        "{first}"
    );
    // The package is in the venv, not found through some other Python.
    let out = Command::new(venv.join("bin/python"))
        .args([
            "-c",
            "import osmem_server, sys; print(osmem_server.__file__.startswith(sys.prefix))",
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "True");
    // Idempotent: nothing created or installed the second time.
    let second = run();
    assert_eq!(second, format!("setup: osmem-server ready in {v}\n"));
}
