use super::*;

#[test]
fn never_printed() {
    let s = Secret::new("hunter2");
    assert_eq!(format!("{s} {s:?}"), "**REDACTED** **REDACTED**");
    #[derive(Debug)]
    #[allow(dead_code)]
    struct Holder {
        token: Secret,
    }
    assert!(!format!("{:?}", Holder { token: s.clone() }).contains("hunter2"));
    assert_eq!(s.expose(), "hunter2");
}

#[test]
fn from_file_trims_newline() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("tok");
    std::fs::write(&p, "abc\n").unwrap();
    let s = load(None, Some(p.to_str().unwrap())).unwrap().unwrap();
    assert_eq!(s.expose(), "abc");
    assert!(load(Some(&s), Some("x")).is_err());
}
