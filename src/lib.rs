//! Maintenance mode for Envoy and Istio gateways, as a proxy-wasm HTTP filter.
//!
//! Everything but [`filter`] is pure and host-free, so it is unit-tested natively; `filter` is the
//! thin proxy-wasm glue, built only for wasm.

pub mod audit;
pub mod cidr;
pub mod config;
pub mod credentials;
pub mod current;
pub mod decision;
pub mod fallback_source;
pub mod metrics;
pub mod negotiate;
pub mod path;
pub mod response;
pub mod schedule;
pub mod scope;

#[cfg(target_arch = "wasm32")]
mod filter;
