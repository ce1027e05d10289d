//! Bypasses: in-scope requests that still reach the upstream while maintenance applies. One
//! home for every kind: `paths`, [`networks`] (client addresses), `tokens` (secret request
//! headers) and [`cookie`] (a secret cookie, optionally set by a link); [`secret`] holds the
//! digests the secrets are checked against.

pub mod cookie;
pub mod expiry;
pub mod header;
pub mod networks;
pub(crate) mod paths;
pub mod secret;
pub mod tokens;

/// The compiled bypasses of a configuration.
#[derive(Debug, Default)]
pub(crate) struct Bypass {
    pub(crate) paths: paths::BypassPaths,
    pub(crate) networks: networks::Networks,
    pub(crate) tokens: tokens::Tokens,
    pub(crate) cookie: Option<cookie::BypassCookie>,
    /// The credentials that expire (`not_after`), for the log.
    pub(crate) expiries: expiry::Expiries,
    /// `bypass.header`: the lower-case request header naming the bypass a request went through.
    pub(crate) header: Option<String>,
}
