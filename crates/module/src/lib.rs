//! Maintenance mode for Envoy as a native dynamic module (`envoy.filters.http.dynamic_modules`):
//! the same core as the wasm (`maintenance-core`), driven by Envoy's hooks.
//!
//! `abi.rs` is Envoy's dynamic-module ABI: the only `unsafe`, and every hook guarded so no
//! panic reaches Envoy. `filter.rs` is the filter: the core's `Host` over that ABI.

#![deny(unsafe_code)]
// The test build leaves out the exported hooks (they call into Envoy), so most of the crate is
// unused there.
#![cfg_attr(test, allow(dead_code))]

// A module that aborts on a panic would take Envoy down with it; abi.rs catches every panic,
// which needs unwinding.
#[cfg(all(panic = "abort", not(target_family = "wasm")))]
compile_error!("build the module with panic = \"unwind\": `make module` (cargo build --profile module -p maintenance-module)");

#[allow(unsafe_code)]
mod abi;
mod filter;
