use super::*;

#[test]
fn halves_until_alone() {
    assert_eq!(
        too_large(vec![4, 5, 6]),
        TooLarge::Halves(vec![4], vec![5, 6])
    );
    assert_eq!(too_large(vec![9]), TooLarge::Alone(vec![9]));
    assert_eq!(too_large(10..14), TooLarge::Halves(10..12, 12..14));
    assert_eq!(too_large(3..4), TooLarge::Alone(3..4));
}

#[test]
fn by_caps_caps_bytes_and_events() {
    let sizes = [400; 7];
    assert_eq!(by_caps(sizes, 1000, 100), vec![0..2, 2..4, 4..6, 6..7]);
    assert_eq!(by_caps(sizes, 10_000, 3), vec![0..3, 3..6, 6..7]);
    let big = [10, 5000, 10];
    assert_eq!(by_caps(big, 1000, 100), vec![0..1, 1..2, 2..3]);
    assert_eq!(by_caps([], 1000, 100), Vec::<Range<usize>>::new());
}
