//! The plugin's lifecycle against a [`Host`](crate::host::Host), whatever the runtime: a host
//! adapter (`crates/wasm`, the native module) creates a [`Root`] per configuration and a
//! [`Stream`] per request, and hands them its callbacks.
//!
//! - [`root`]: one configuration: apply it (log it once per proxy, define the metrics), follow
//!   its windows and expiring credentials on each tick.
//! - [`stream`]: one request: read what the outcome needs, decide, carry it out; then the
//!   response.
//! - `request`: reading a request's headers through the host, each at most once.

mod request;
pub mod root;
pub mod stream;

pub use root::{Root, VmState, OUTAGE_TICK, TICK};
pub use stream::{Flow, Stream};

#[cfg(test)]
mod features_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod visibility_tests;
