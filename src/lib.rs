//! Maintenance mode for Envoy and Istio gateways, as a proxy-wasm HTTP filter.
//!
//! How data flows:
//!
//! ```text
//! configuration bytes --config::parse--> Plan            (on_configure, once per change)
//!   schema (serde) -> compile (validate, index) -> Plan { scope, bypass, response, schedule }
//!
//! request --plugin::Stream--> RequestFacts --decision::decide--> Decision --> reply or pass
//!   reads only the headers     target (path, host)          Maintenance:  negotiate (format),
//!   the plan needs, through    scope (routes)               response (page), Host::send_reply
//!   the Host seam              bypass (paths, networks,     Bypassed: strip secrets, pass
//!                              tokens, cookie)              PassWithFallback: replace an
//!                                                           upstream failure later
//! ```
//!
//! Everything is host-free and tested natively except `wasm.rs`, the thin proxy-wasm adapter
//! that implements the `Host` trait (`host.rs`) and drives `plugin.rs`. Public: [`config::parse`]
//! and what the integration tests and benchmarks use; the rest is private to the crate.

// Natively, only the tests drive the glue (`plugin.rs` and what only it uses); the wasm build
// and its clippy run keep dead-code checking for everything.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

pub(crate) mod access_log;
pub(crate) mod audit;
pub mod bypass;
pub(crate) mod bytes;
pub mod config;
pub(crate) mod current;
pub mod decision;
pub(crate) mod fallback_source;
pub(crate) mod host;
pub(crate) mod json;
pub(crate) mod language;
pub(crate) mod metrics;
pub mod negotiate;
pub(crate) mod notice;
pub(crate) mod plugin;
pub(crate) mod response;
pub(crate) mod schedule;
pub(crate) mod scope;
pub(crate) mod status;
pub mod target;

/// Dates and RFC 3339 times, shared with the CLI so it writes exactly what the plugin reads.
pub use schedule::calendar;

#[cfg(target_arch = "wasm32")]
mod wasm;
