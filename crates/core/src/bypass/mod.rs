//! Bypasses: in-scope requests that still reach the upstream while maintenance applies. One
//! home for every kind: `paths`, [`networks`] (client addresses), `tokens` (secret request
//! headers) and [`cookie`] (a secret cookie, optionally set by a link); [`secret`] holds the
//! digests the secrets are checked against.

pub mod acme;
pub mod cookie;
pub mod expiry;
pub mod header;
pub mod jwt;
pub mod networks;
pub(crate) mod paths;
pub mod secret;
pub mod tokens;

/// The compiled bypasses of a configuration.
#[derive(Debug)]
pub(crate) struct Bypass {
    pub(crate) paths: paths::BypassPaths,
    pub(crate) networks: networks::Networks,
    pub(crate) tokens: tokens::Tokens,
    pub(crate) cookie: Option<cookie::BypassCookie>,
    /// The credentials that expire (`not_after`), for the log.
    pub(crate) expiries: expiry::Expiries,
    /// `bypass.header`: the lower-case request header naming the bypass a request went through.
    pub(crate) header: Option<String>,
    /// `bypass.acme`: ACME challenges pass (`acme.rs`).
    pub(crate) acme: bool,
    /// `bypass.jwt`: verified JWT claims that pass (`jwt.rs`).
    pub(crate) jwt: jwt::JwtRules,
}

impl Default for Bypass {
    fn default() -> Bypass {
        Bypass {
            paths: Default::default(),
            networks: Default::default(),
            tokens: Default::default(),
            cookie: None,
            expiries: Default::default(),
            header: None,
            acme: true,
            jwt: Default::default(),
        }
    }
}

/// Whether a backend may read the request header `name` as `header` (lower case): the same
/// name ignoring ASCII case, with `_` for `-` anywhere (WSGI, Rack, PHP and CGI turn both
/// into `_`, so `x_maintenance_via` reaches them as `x-maintenance-via`).
pub fn reads_as(name: &[u8], header: &str) -> bool {
    let fold = |b: u8| match b {
        b'_' => b'-',
        b => b.to_ascii_lowercase(),
    };
    name.len() == header.len()
        && name
            .iter()
            .zip(header.bytes())
            .all(|(&a, b)| fold(a) == fold(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_backend_reads_underscores_and_any_case_as_the_header() {
        for name in [
            &b"x-maintenance-via"[..],
            b"x_maintenance_via",
            b"X-Maintenance_Via",
            b"x-maintenance_via",
        ] {
            assert!(reads_as(name, "x-maintenance-via"), "{name:?}");
        }
        for name in [
            &b"x-maintenance-vi"[..],
            b"x-maintenance-viaa",
            b"x.maintenance.via",
            b"xmaintenancevia",
            b"x-maintenance-v\xc3",
            b"",
        ] {
            assert!(!reads_as(name, "x-maintenance-via"), "{name:?}");
        }
    }
}
