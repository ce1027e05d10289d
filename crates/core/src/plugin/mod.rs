//! The plugin's lifecycle against a [`Host`], whatever the runtime: a host
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

use log::Level;

use crate::host::Host;

pub use root::{Root, VmState, OUTAGE_TICK, TICK};
pub use stream::{Flow, Stream};

/// The host clock in unix seconds. Should it fail, 1970 is outside every window.
fn unix_now(host: &mut impl Host) -> i64 {
    host.now().unwrap_or_else(|| {
        host.log(
            Level::Warn,
            "cannot read the clock; maintenance windows are not applied",
        );
        0
    })
}

#[cfg(test)]
mod features_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod visibility_tests;
