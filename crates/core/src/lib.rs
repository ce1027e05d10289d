//! The maintenance-mode filter's core: everything but the runtime. No proxy-wasm, no I/O, no
//! clock of its own; a host (the proxy-wasm filter in `crates/wasm`, the native Envoy module in
//! `crates/module`) implements [`host::Host`] and hands its callbacks to [`plugin`].
//!
//! How data flows:
//!
//! ```text
//! configuration bytes --config::parse--> Plan             (on configure, once per change)
//!   config (read, validate, compile) -> plan::Plan { scope, bypass, response, schedule }
//!
//! request --plugin::Stream--> RequestFacts --decision::decide--> Decision --> reply or pass
//!   reads only the headers     request (path, host)         Maintenance:  reply::format,
//!   the plan needs, through    scope (routes)               reply::maintenance, Host::send_reply
//!   the Host seam              bypass (paths, networks,     Bypassed: strip secrets, pass
//!                              tokens, cookie)              PassWithFallback: replace an
//!                                                           upstream failure later
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
//! - [`decision`]: the pure per-request decision.
//! - [`reply`]: the maintenance response in every format and language, the status endpoint,
//!   the notice, the upstream fallback.
//! - [`host`] and [`plugin`]: the seam a runtime implements, and the lifecycle and per-request
//!   flow driven through it; `metrics`, `audit` and `access_log` hold what the flow reports.

#![forbid(unsafe_code)]

pub(crate) mod access_log;
pub(crate) mod audit;
pub mod bypass;
pub(crate) mod bytes;
pub mod config;
pub mod decision;
pub mod header_name;
pub mod host;
pub(crate) mod metrics;
pub mod plan;
pub mod plugin;
pub mod refused;
pub mod reply;
pub mod request;
pub mod schedule;
pub mod scope;

/// Dates and RFC 3339 times, shared with the CLI so it writes exactly what the plugin reads.
pub use schedule::calendar;
