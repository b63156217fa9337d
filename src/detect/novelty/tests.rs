use super::*;

#[test]
fn networks_and_cidrs() {
    assert_eq!(network("192.0.2.77", 24, 64).unwrap(), "192.0.2.0/24");
    assert_eq!(
        network("2001:db8:1:2:3::9", 24, 64).unwrap(),
        "2001:db8:1:2::/64"
    );
    assert!(network("not-an-ip", 24, 64).is_none());
    let c = Cidr::parse("10.0.0.0/8").unwrap();
    assert!(c.contains("10.200.1.1"));
    assert!(!c.contains("11.0.0.1"));
    assert!(Cidr::parse("192.0.2.5").unwrap().contains("192.0.2.5"));
    assert!(Cidr::parse("10.0.0.0/33").is_none());
    assert!(Cidr::parse("2001:db8::/32")
        .unwrap()
        .contains("2001:db8:ffff::1"));
}
