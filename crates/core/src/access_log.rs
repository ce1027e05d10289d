//! The decision in Envoy's access log. While maintenance applies (or in dry run), the plugin
//! records what it decided for each request in the stream's filter state through a proxy-wasm
//! property; Envoy (1.40) keeps a property `NAME` set by a wasm filter under the filter-state
//! key `wasm.NAME`, which the access log prints with `%FILTER_STATE(wasm.NAME:PLAIN)%` (without
//! `:PLAIN` it prints the value as a base64 protobuf `BytesValue`). Which label a request gets
//! is the outcome's (`outcome/`); the flow records it with [`record`].

use log::Level;

use crate::decision::{Decision, Via};
use crate::host::Host;

/// The property holding the decision; Envoy's access log reads it as
/// `%FILTER_STATE(wasm.maintenance_mode.decision:PLAIN)%`.
pub const PROPERTY: &str = "maintenance_mode.decision";

/// A CORS preflight answered by the plugin while maintenance applies (`reply/cors.rs`).
pub const PREFLIGHT: &str = "cors_preflight";
/// One of the page's assets served (or refused) by the plugin (`reply/assets.rs`).
pub const ASSET: &str = "asset";
/// An upstream failure replaced by the maintenance response.
pub const REPLACED: &str = "replaced";
/// An upstream failure `upstream_fallback` would have replaced, in dry run.
pub const DRY_RUN_REPLACED: &str = "dry_run:replaced";

/// What the access log shows for a request's decision; `dry_run`: the plan's.
pub fn label(decision: &Decision, dry_run: bool) -> &'static str {
    match decision {
        Decision::Maintenance if dry_run => "dry_run",
        Decision::Maintenance => "maintenance",
        Decision::Bypassed { via, .. } => match via {
            Via::Path => "bypass:path",
            Via::Token => "bypass:token",
            Via::Cookie => "bypass:cookie",
            Via::Network => "bypass:network",
            Via::Acme => "bypass:acme",
            Via::Jwt => "bypass:jwt",
        },
        Decision::GrantCookie { .. } => "cookie_link",
        Decision::OutOfScope => "out_of_scope",
        // Only in dry run: maintenance does not apply now.
        Decision::Off => "off",
        Decision::PassWithFallback => "pass",
    }
}

/// Records `label` for Envoy's access log, on the stream being handled.
pub fn record(host: &mut impl Host, label: &str) {
    if let Err(refused) = host.set_property(PROPERTY, label.as_bytes()) {
        let line = format!("cannot record the decision for the access log: {refused}");
        host.log(Level::Debug, &line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bypass::cookie::CookieHeader;
    use crate::decision::{SetCookie, Strip};

    #[test]
    fn every_decision_has_a_distinct_label() {
        let bypassed = |via| Decision::Bypassed {
            via,
            strip: Strip {
                headers: vec![],
                cookie: CookieHeader::Keep,
            },
        };
        let decisions = [
            Decision::Maintenance,
            bypassed(Via::Path),
            bypassed(Via::Token),
            bypassed(Via::Cookie),
            bypassed(Via::Network),
            bypassed(Via::Acme),
            bypassed(Via::Jwt),
            Decision::GrantCookie {
                set_cookie: SetCookie(String::new()),
            },
            Decision::OutOfScope,
            Decision::Off,
            Decision::PassWithFallback,
        ];
        let mut labels: Vec<&str> = decisions.iter().map(|d| label(d, false)).collect();
        labels.push(label(&Decision::Maintenance, true));
        labels.push(REPLACED);
        labels.push(PREFLIGHT);
        labels.push(ASSET);
        labels.push(DRY_RUN_REPLACED);
        assert_eq!(labels[0], "maintenance");
        assert_eq!(labels[11], "dry_run");
        let count = labels.len();
        labels.sort_unstable();
        labels.dedup();
        assert_eq!(labels.len(), count);
        // Plain ASCII words: safe in any access-log format.
        assert!(labels.iter().all(|l| l
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b == b'_' || b == b':')));
    }
}
