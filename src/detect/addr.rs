//! Source addresses as the detector compares them: an IPv4-mapped IPv6
//! address (`::ffff:198.51.100.5`) is its IPv4 address, and an IPv6
//! address written several ways (`2001:db8:0:0:0:0:0:1`, `2001:DB8::1`)
//! is one address, in its canonical text (`2001:db8::1`). Only the
//! detector's groups see this: the enriched event (and what the sinks
//! receive) keeps the address as written.

use std::borrow::Cow;
use std::net::IpAddr;

/// `ip` parsed (space around it ignored), an IPv4-mapped IPv6 address as
/// its IPv4 address; `None` for what is not an address.
pub fn parse(ip: &str) -> Option<IpAddr> {
    ip.trim().parse::<IpAddr>().ok().map(|a| a.to_canonical())
}

/// The canonical text of `ip`, borrowed when it is already written so;
/// what is not an address (a host name, a zone id) is left as it is.
pub fn canonical(ip: &str) -> Cow<'_, str> {
    match ip.parse::<IpAddr>() {
        // An IPv4 address parses from one text only (four decimal parts,
        // no leading zeros): as written, it is canonical.
        Ok(IpAddr::V4(_)) | Err(_) => Cow::Borrowed(ip),
        Ok(a) => {
            let text = a.to_canonical().to_string();
            if text == ip {
                Cow::Borrowed(ip)
            } else {
                Cow::Owned(text)
            }
        }
    }
}

/// An address to group by without making text: the address when `ip`
/// is one (as [`parse`] reads it), else the text as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Addr<'a> {
    Ip(IpAddr),
    Text(&'a str),
}

impl Addr<'_> {
    pub fn of(ip: &str) -> Addr<'_> {
        parse(ip).map_or(Addr::Text(ip), Addr::Ip)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_address_one_text() {
        for (written, want) in [
            ("2001:db8::1", "2001:db8::1"),
            ("2001:DB8::1", "2001:db8::1"),
            ("2001:db8:0:0:0:0:0:1", "2001:db8::1"),
            ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
            ("::ffff:198.51.100.5", "198.51.100.5"),
            ("::FFFF:c633:6405", "198.51.100.5"),
            // Unchanged: IPv4, and what is not an address.
            ("203.0.113.9", "203.0.113.9"),
            ("fe80::1%eth0", "fe80::1%eth0"),
            ("broker-1.example.com", "broker-1.example.com"),
            // Not IPv4-mapped: the deprecated IPv4-compatible form and
            // NAT64 stay IPv6.
            ("::198.51.100.5", "::c633:6405"),
            ("64:ff9b::198.51.100.5", "64:ff9b::c633:6405"),
        ] {
            assert_eq!(canonical(written), want, "{written}");
        }
        // Already canonical: no copy.
        assert!(matches!(canonical("2001:db8::1"), Cow::Borrowed(_)));
        assert!(matches!(canonical("10.0.0.1"), Cow::Borrowed(_)));
    }

    #[test]
    fn addresses_compare_as_addresses() {
        assert_eq!(Addr::of("2001:db8::1"), Addr::of("2001:db8:0:0:0:0:0:1"));
        assert_eq!(Addr::of("::ffff:192.0.2.1"), Addr::of("192.0.2.1"));
        assert_ne!(Addr::of("192.0.2.1"), Addr::of("192.0.2.2"));
        assert_eq!(Addr::of("not-an-ip"), Addr::Text("not-an-ip"));
        assert_eq!(parse(" ::ffff:192.0.2.1 "), "192.0.2.1".parse().ok());
        assert_eq!(parse("nope"), None);
    }
}
