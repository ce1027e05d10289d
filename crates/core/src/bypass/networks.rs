//! Trusted networks: IPv4/IPv6 CIDR ranges matched against Envoy's downstream address.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use serde::Deserialize;

use crate::refused::Refused;

/// One network, stored as masked address bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema),
    schemars(with = "String")
)]
pub enum Cidr {
    V4 { network: u32, mask: u32 },
    V6 { network: u128, mask: u128 },
}

fn mask_v4(prefix: u8) -> u32 {
    u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0)
}

fn mask_v6(prefix: u8) -> u128 {
    u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0)
}

/// Why a configured network is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CidrProblem {
    PrefixLength,
    NotAnAddress,
    Ipv4PrefixTooLong,
    Ipv6PrefixTooLong,
    /// Host bits set; the network it probably means.
    HostBits(String),
}

impl fmt::Display for CidrProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CidrProblem::PrefixLength => f.write_str("has an invalid prefix length after '/'"),
            CidrProblem::NotAnAddress => f.write_str(
                "is not an IPv4 or IPv6 address or CIDR (like \"10.0.0.0/8\" or \"2001:db8::/32\")",
            ),
            CidrProblem::Ipv4PrefixTooLong => {
                f.write_str("has a prefix length above 32 for an IPv4 address")
            }
            CidrProblem::Ipv6PrefixTooLong => {
                f.write_str("has a prefix length above 128 for an IPv6 address")
            }
            CidrProblem::HostBits(network) => {
                write!(f, "has host bits set; the network is \"{network}\"")
            }
        }
    }
}

impl Cidr {
    /// Parses `10.0.0.0/8`, `2001:db8::/32`, or a single address (`/32`, `/128`). Host bits
    /// must be zero (`10.0.0.1/8` is an error), so a typo cannot silently widen a range.
    pub fn parse(text: &str) -> Result<Cidr, CidrProblem> {
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => {
                if prefix.is_empty()
                    || prefix.len() > 3
                    || !prefix.bytes().all(|b| b.is_ascii_digit())
                {
                    return Err(CidrProblem::PrefixLength);
                }
                match prefix.parse::<u8>() {
                    Ok(length) => (address, Some(length)),
                    Err(_) => return Err(CidrProblem::PrefixLength),
                }
            }
            None => (text, None),
        };
        let address: IpAddr = address.parse().map_err(|_| CidrProblem::NotAnAddress)?;
        match address {
            IpAddr::V4(v4) => {
                let prefix = prefix.unwrap_or(32);
                if prefix > 32 {
                    return Err(CidrProblem::Ipv4PrefixTooLong);
                }
                let bits = u32::from(v4);
                let mask = mask_v4(prefix);
                if bits & !mask != 0 {
                    let network = std::net::Ipv4Addr::from(bits & mask);
                    return Err(CidrProblem::HostBits(format!("{network}/{prefix}")));
                }
                Ok(Cidr::V4 {
                    network: bits,
                    mask,
                })
            }
            IpAddr::V6(v6) => {
                let prefix = prefix.unwrap_or(128);
                if prefix > 128 {
                    return Err(CidrProblem::Ipv6PrefixTooLong);
                }
                let bits = u128::from(v6);
                let mask = mask_v6(prefix);
                if bits & !mask != 0 {
                    let network = std::net::Ipv6Addr::from(bits & mask);
                    return Err(CidrProblem::HostBits(format!("{network}/{prefix}")));
                }
                Ok(Cidr::V6 {
                    network: bits,
                    mask,
                })
            }
        }
    }

    pub fn contains(&self, address: IpAddr) -> bool {
        match (self, address) {
            (Cidr::V4 { network, mask }, IpAddr::V4(v4)) => u32::from(v4) & mask == *network,
            (Cidr::V6 { network, mask }, IpAddr::V6(v6)) => u128::from(v6) & mask == *network,
            _ => false,
        }
    }
}

impl FromStr for Cidr {
    type Err = Refused<CidrProblem>;

    fn from_str(text: &str) -> Result<Cidr, Self::Err> {
        Cidr::parse(text).map_err(|why| Refused::new(text, why))
    }
}

impl TryFrom<String> for Cidr {
    type Error = Refused<CidrProblem>;

    fn try_from(text: String) -> Result<Cidr, Self::Error> {
        Cidr::parse(&text).map_err(|why| Refused::new(text, why))
    }
}

/// Reads Envoy's `source.address` property: `ip:port`, `[ipv6]:port`, or a bare address.
/// An IPv4-mapped IPv6 address (`::ffff:10.1.2.3`, from a dual-stack listener) counts as the
/// IPv4 address. Anything else (a pipe, garbage) is `None` and matches no network.
pub fn parse_source_address(raw: &[u8]) -> Option<IpAddr> {
    let text = std::str::from_utf8(raw).ok()?;
    let address = match text.parse::<SocketAddr>() {
        Ok(socket) => socket.ip(),
        Err(_) => text.parse::<IpAddr>().ok()?,
    };
    Some(address.to_canonical())
}

/// The configured trusted networks.
#[derive(Debug, Default)]
pub struct Networks {
    cidrs: Vec<Cidr>,
}

impl Networks {
    pub fn new(cidrs: Vec<Cidr>) -> Networks {
        Networks { cidrs }
    }

    pub fn len(&self) -> usize {
        self.cidrs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cidrs.is_empty()
    }

    /// Whether the raw `source.address` lies in one of the networks.
    pub fn contains(&self, source_address: Option<&[u8]>) -> bool {
        match source_address.and_then(parse_source_address) {
            Some(address) => self.cidrs.iter().any(|cidr| cidr.contains(address)),
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn networks(cidrs: &[&str]) -> Networks {
        Networks::new(cidrs.iter().map(|c| Cidr::parse(c).unwrap()).collect())
    }

    #[test]
    fn ipv4_ranges_match_their_addresses_only() {
        let nets = networks(&["10.0.0.0/8", "192.168.1.7", "172.16.0.0/12"]);
        for inside in [
            "10.0.0.1:1234",
            "10.255.255.255:1",
            "192.168.1.7:80",
            "172.31.0.1:5",
        ] {
            assert!(nets.contains(Some(inside.as_bytes())), "{inside}");
        }
        for outside in [
            "11.0.0.1:1234",
            "9.255.255.255:1",
            "192.168.1.8:80",
            "172.32.0.1:5",
            "[::1]:80",
        ] {
            assert!(!nets.contains(Some(outside.as_bytes())), "{outside}");
        }
        assert!(!nets.contains(None));
    }

    #[test]
    fn ipv6_ranges_and_mapped_ipv4() {
        let nets = networks(&["2001:db8::/32", "::1/128", "10.0.0.0/8"]);
        assert!(nets.contains(Some(b"[2001:db8:1::5]:443")));
        assert!(nets.contains(Some(b"[::1]:10000")));
        assert!(nets.contains(Some(b"::1")));
        assert!(nets.contains(Some(b"[::ffff:10.1.2.3]:5000")));
        assert!(!nets.contains(Some(b"[2001:db9::1]:443")));
        assert!(!nets.contains(Some(b"[::2]:1")));
    }

    #[test]
    fn edge_prefixes() {
        let all_v4 = networks(&["0.0.0.0/0"]);
        assert!(all_v4.contains(Some(b"203.0.113.9:1")));
        assert!(!all_v4.contains(Some(b"[2001:db8::1]:1")));
        let all_v6 = networks(&["::/0"]);
        assert!(all_v6.contains(Some(b"[2001:db8::1]:1")));
        assert!(!all_v6.contains(Some(b"203.0.113.9:1")));
        let one = networks(&["127.0.0.1/32"]);
        assert!(one.contains(Some(b"127.0.0.1:9")));
        assert!(!one.contains(Some(b"127.0.0.2:9")));
    }

    #[test]
    fn unreadable_source_addresses_match_nothing() {
        let nets = networks(&["0.0.0.0/0", "::/0"]);
        for raw in [
            &b""[..],
            b"/var/run/envoy.sock",
            b"localhost:80",
            b"10.0.0.1:99999",
            b"\xff",
            b"[10.0.0.1]:80",
        ] {
            assert!(!nets.contains(Some(raw)), "{raw:?}");
        }
    }

    #[test]
    fn bad_cidrs_are_rejected() {
        for bad in [
            "",
            "10.0.0.0/",
            "10.0.0.0/33",
            "10.0.0.0/-1",
            "10.0.0.0/+8",
            "10.0.0.0/0008",
            "10.0.0/8",
            "10.0.0.0.0/8",
            "2001:db8::/129",
            "10.0.0.0/256",
            "10.0.0.1/999",
            "::/300",
            "example.com/8",
            " 10.0.0.0/8",
            "10.0.0.0/8 ",
            "[::1]/128",
            "10.0.0.1/8",
            "2001:db8::1/32",
        ] {
            assert!(Cidr::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Cidr::parse("10.0.0.1/8")
            .unwrap_err()
            .to_string()
            .contains("\"10.0.0.0/8\""));
        assert!(Cidr::parse("2001:db8::1/32")
            .unwrap_err()
            .to_string()
            .contains("\"2001:db8::/32\""));
    }
}
