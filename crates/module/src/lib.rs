//! Maintenance mode for Envoy as a native dynamic module (`envoy.filters.http.dynamic_modules`).
//!
//! `abi.rs` is Envoy's ABI (the only `unsafe`, every hook guarded against panics); `filter.rs`
//! is the filter itself.

#![deny(unsafe_code)]

#[allow(unsafe_code)]
mod abi;
mod filter;
