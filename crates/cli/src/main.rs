//! `kubectl-maintenance`: turns the maintenance-mode plugin on and off where it runs: a plain
//! Envoy's ECDS file, an Istio `WasmPlugin` or `TrafficExtension`, an Envoy Gateway
//! `EnvoyExtensionPolicy` (through `kubectl`), or a local manifest. Every configuration it writes
//! is first checked by the plugin's own validation (`maintenance_core::config::parse`); a
//! manifest is also checked against its resource's strict schema.
//!
//! Native only: for wasm32 (where the plugin itself is built) this binary is an empty stub, so
//! the wasm build and its size do not depend on it.

#[cfg(not(target_arch = "wasm32"))]
mod admin;
#[cfg(not(target_arch = "wasm32"))]
mod args;
#[cfg(not(target_arch = "wasm32"))]
mod clock;
#[cfg(not(target_arch = "wasm32"))]
mod ecds;
#[cfg(not(target_arch = "wasm32"))]
mod edit;
#[cfg(not(target_arch = "wasm32"))]
mod files;
#[cfg(not(target_arch = "wasm32"))]
mod kube;
#[cfg(not(target_arch = "wasm32"))]
mod manifest;
#[cfg(not(target_arch = "wasm32"))]
mod run;
#[cfg(not(target_arch = "wasm32"))]
mod schema;
#[cfg(not(target_arch = "wasm32"))]
mod secret;
#[cfg(not(target_arch = "wasm32"))]
mod yaml;

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    run::main(std::env::args_os().skip(1).collect())
}

#[cfg(target_arch = "wasm32")]
fn main() {}
