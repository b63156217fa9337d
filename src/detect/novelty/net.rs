//! Addresses and networks for `new_source_ip`: an address's network
//! (its /24 or /64), remembered per address, and the trusted networks.
//! An IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) is its IPv4 address
//! ([`addr::parse`]).

use std::net::IpAddr;

use crate::detect::addr;
use crate::detect::hash::FastMap;

/// Addresses → their networks, remembered (most events come from
/// addresses seen before: no parse, no string made for them, one lookup).
#[derive(Debug)]
pub struct Networks {
    pub v4_bits: u8,
    pub v6_bits: u8,
    /// Address → its place in `nets`, `None` for what is not an address.
    known: FastMap<Box<str>, Option<u32>>,
    nets: Vec<Box<str>>,
}

/// Most addresses [`Networks`] remembers; then it starts over.
const KNOWN_ADDRESSES: usize = 8192;

impl Networks {
    pub fn new(v4_bits: u8, v6_bits: u8) -> Networks {
        Networks {
            v4_bits,
            v6_bits,
            known: FastMap::default(),
            nets: Vec::new(),
        }
    }

    /// The network of `ip` (see [`network`]).
    pub fn of(&mut self, ip: &str) -> Option<&str> {
        let at = match self.known.get(ip) {
            Some(&at) => at,
            None => {
                if self.known.len() >= KNOWN_ADDRESSES {
                    self.known.clear();
                    self.nets.clear();
                }
                let at = network(ip, self.v4_bits, self.v6_bits).map(|n| {
                    self.nets.push(n.into());
                    (self.nets.len() - 1) as u32
                });
                self.known.insert(ip.into(), at);
                at
            }
        };
        at.map(|i| &*self.nets[i as usize])
    }
}

/// `addr` with every bit after the first `bits` cleared (`bits` capped
/// at the address's length).
fn masked(addr: IpAddr, bits: u8) -> IpAddr {
    match addr {
        IpAddr::V4(a) => {
            let bits = bits.min(32);
            let mask = u32::MAX.checked_shl(32 - bits as u32).unwrap_or(0);
            IpAddr::V4((u32::from(a) & mask).into())
        }
        IpAddr::V6(a) => {
            let bits = bits.min(128);
            let mask = u128::MAX.checked_shl(128 - bits as u32).unwrap_or(0);
            IpAddr::V6((u128::from(a) & mask).into())
        }
    }
}

/// The network of `ip` at the given prefix lengths, as `a.b.c.0/24`.
pub fn network(ip: &str, v4_bits: u8, v6_bits: u8) -> Option<String> {
    let addr = addr::parse(ip)?;
    let bits = if addr.is_ipv4() {
        v4_bits.min(32)
    } else {
        v6_bits.min(128)
    };
    Some(format!("{}/{bits}", masked(addr, bits)))
}

/// A network written `10.0.0.0/8`, `2001:db8::/32` or as one address;
/// one written IPv4-mapped (`::ffff:10.0.0.0/104`) is its IPv4 network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    bits: u8,
}

impl Cidr {
    pub fn parse(s: &str) -> Option<Cidr> {
        let (a, bits) = match s.split_once('/') {
            Some((a, b)) => (a, Some(b.parse::<u8>().ok()?)),
            None => (s, None),
        };
        let addr: IpAddr = a.trim().parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let bits = bits.unwrap_or(max);
        match addr.to_canonical() {
            _ if bits > max => None,
            IpAddr::V4(v4) if addr.is_ipv6() && bits >= 96 => Some(Cidr {
                addr: v4.into(),
                bits: bits - 96,
            }),
            _ => Some(Cidr { addr, bits }),
        }
    }

    pub fn contains(&self, ip: &str) -> bool {
        let Some(ip) = addr::parse(ip) else {
            return false;
        };
        ip.is_ipv4() == self.addr.is_ipv4() && masked(ip, self.bits) == masked(self.addr, self.bits)
    }
}
