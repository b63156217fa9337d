use super::*;

#[test]
fn keeps_the_newest_frames_within_budget() {
    let mut w = Window::new(10);
    for f in ["aaaa", "bbbb", "cccc"] {
        w.push(Bytes::from_static(f.as_bytes()));
    }
    assert_eq!(w.concat(), b"bbbbcccc");
    assert_eq!((w.len(), w.bytes()), (2, 8));
    w.push(Bytes::from_static(b"0123456789AB"));
    assert!(w.is_empty(), "a frame larger than the budget is not kept");
    let mut off = Window::new(0);
    off.push(Bytes::from_static(b"x"));
    assert!(off.is_empty());
}
