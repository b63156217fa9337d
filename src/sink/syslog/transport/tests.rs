use super::*;

#[tokio::test]
async fn backoff_doubles_with_jitter_up_to_the_cap() {
    let mut b = Backoff::new(Duration::from_millis(100), Duration::from_millis(1000));
    for full in [100, 200, 400, 800, 1000, 1000] {
        let before = Instant::now();
        b.failed();
        let d = b.next.unwrap() - before;
        let full = Duration::from_millis(full);
        assert!(
            d >= full / 2 && d <= full + Duration::from_millis(5),
            "{d:?} vs {full:?}"
        );
    }
    b.succeeded();
    assert!(b.next.is_none());
    b.failed();
    assert!(b.next.unwrap() - Instant::now() <= Duration::from_millis(100));
}
