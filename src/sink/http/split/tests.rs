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
