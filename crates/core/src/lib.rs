//! The maintenance-mode filter's core: everything but the runtime. No proxy-wasm, no I/O, no
//! clock of its own; a host (the proxy-wasm filter in `crates/wasm`, the native Envoy module in
//! `crates/module`) implements [`host::Host`] and hands its callbacks to [`plugin`].
//!
//! How data flows:
//!
//! ```text
//! configuration bytes --config::parse--> Plan                  (on configure, once per change)
//!   config (read, validate, compile) -> plan::Plan { scope, bypass, response, schedule }
//!
//! request --plugin::Stream--> outcome::for_request --> Outcome --> the host carries it out
//!   reads through the Host    reads what it needs       reply, strip, marker, counter,
//!   (plugin/request.rs)       (RequestInput), asks      access-log label, fallback, notice
//!                             decision::decide: scope,
//!                             bypass, the cookie link
//! response --plugin::Stream--> outcome::for_response --> Outcome (replace an upstream failure)
//! ```
//!
//! The map:
//! - [`config`]: the configuration declared once (`config/schema.rs`), read and checked into a
//!   [`plan::Plan`], every problem reported; each value's type parses itself beside its domain
//!   ([`refused::Refused`] carries what was written and why it was refused; [`header_name`]
//!   is what the configuration's header names share).
//! - [`request`]: the request's target, its path and host, normalized as routes are.
//! - [`scope`], [`bypass`], [`schedule`]: which requests maintenance applies to, which pass
//!   anyway, and when.
//! - [`decision`]: the rules: what happens to a request, from what it is.
//! - [`outcome`]: everything a host does for a request or response, decided before anything is
//!   done, and what a configuration remembers between requests.
//! - [`reply`]: the maintenance response in every format and language, the replies the plugin
//!   sends itself, the status endpoint, the notice, the upstream fallback.
//! - [`metrics`], [`access_log`], [`log_once`]: what the plugin reports: its counters and their
//!   names, the decision in Envoy's access log, and which VM logs a line meant once per proxy.
//! - [`host`] and [`plugin`]: the seam a runtime implements, and the lifecycle and per-request
//!   flow driven through it.

#![forbid(unsafe_code)]

pub mod access_log;
pub mod bypass;
pub(crate) mod bytes;
pub mod config;
pub mod decision;
pub mod header_name;
pub mod host;
pub mod log_once;
pub mod metrics;
pub mod outage;
pub mod outcome;
pub mod plan;
pub mod plugin;
pub mod refused;
pub mod reply;
pub mod request;
pub mod schedule;
pub mod scope;

/// `0.2.0 (commit 1a2b3c4d5e6f)`: the version and the commit this build comes from (build.rs),
/// in the plugin's start line and the CLI's `--version`.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("MAINTENANCE_COMMIT"),
    ")"
);

/// Dates and RFC 3339 times, shared with the CLI so it writes exactly what the plugin reads.
pub use schedule::calendar;
