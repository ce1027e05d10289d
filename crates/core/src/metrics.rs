//! The plugin's metrics: their names and which counter each decision feeds. Host-free; the glue
//! in `plugin.rs` defines them through the host and counts.
//!
//! Envoy files proxy-wasm metrics under its `wasmcustom` namespace (measured on Envoy 1.40):
//! `/stats` shows `wasmcustom.maintenance.responses_total`, `/stats/prometheus` shows
//! `maintenance_responses_total` (no `envoy_` prefix), and a `stats_matcher` must match the full
//! `wasmcustom.` name.
//!
//! Each plugin instance (filter) has its own metrics, named after the plugin name Envoy gives it
//! (Istio: `<namespace>.<name>`): `maintenance.instance.<plugin name>.responses_total`. Envoy
//! metrics have no labels of their own (the proxy-wasm ABI defines a metric by name only); a
//! `stats_tags` rule turns that name part into a Prometheus label (docs/src/observability.md). An
//! instance without a plugin name keeps the plain names.

use crate::decision::Decision;

/// The counters, one per outcome of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counter {
    /// Requests answered with the maintenance response.
    Responses,
    /// In-scope requests let through by a bypass (path, token, cookie, network) while
    /// maintenance applied, and cookie-link redirects.
    Bypassed,
    /// Requests passed through because maintenance did not apply (off, outside its windows) or
    /// they were out of scope.
    Passed,
    /// Upstream responses replaced by the maintenance response.
    UpstreamReplaced,
    /// `dry_run`: requests that would have got the maintenance response and went through.
    DryRunResponses,
    /// `dry_run`: upstream failures `upstream_fallback` would have replaced, passed on.
    DryRunReplaced,
}

impl Counter {
    pub const ALL: [Counter; 6] = [
        Counter::Responses,
        Counter::Bypassed,
        Counter::Passed,
        Counter::UpstreamReplaced,
        Counter::DryRunResponses,
        Counter::DryRunReplaced,
    ];

    /// The metric's own part of the name (see [`metric_name`]).
    pub fn name(self) -> &'static str {
        match self {
            Counter::Responses => "responses_total",
            Counter::Bypassed => "bypassed_total",
            Counter::Passed => "passed_total",
            Counter::UpstreamReplaced => "upstream_replaced_total",
            Counter::DryRunResponses => "dry_run_responses_total",
            Counter::DryRunReplaced => "dry_run_replaced_total",
        }
    }

    /// Position in [`Counter::ALL`], for arrays of metric ids.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The counter a request's decision feeds.
    /// The counter a request's decision feeds; `in_effect`: whether maintenance applies now
    /// (outside it, a bypass path only exempts a request from the upstream fallback, and the
    /// request counts as passed). A bypass that cannot strip its secret ends in the maintenance
    /// response: the glue counts that as a response instead.
    pub fn for_decision(decision: &Decision, in_effect: bool) -> Counter {
        match decision {
            Decision::Maintenance => Counter::Responses,
            Decision::Bypassed { .. } if !in_effect => Counter::Passed,
            Decision::Bypassed { .. } | Decision::GrantCookie { .. } => Counter::Bypassed,
            Decision::Off | Decision::OutOfScope | Decision::PassWithFallback => Counter::Passed,
        }
    }
}

/// Gauge: 1 while maintenance applies, 0 otherwise.
pub const ACTIVE_GAUGE: &str = "active";

/// The name a metric is defined with for the plugin instance called `instance` (its plugin
/// name): `maintenance.<metric>` without a name, else `maintenance.instance.<name>.<metric>`.
/// Characters outside letters, digits and `._-:/` become `_`, so a name cannot forge another
/// metric's name or an empty stat segment.
pub fn metric_name(instance: &str, metric: &str) -> String {
    if instance.is_empty() {
        return format!("maintenance.{metric}");
    }
    let mut name = String::with_capacity(30 + instance.len() + metric.len());
    name.push_str("maintenance.instance.");
    let mut previous = '.';
    for c in instance.chars() {
        let keep = c.is_ascii_alphanumeric()
            || matches!(c, '_' | '-' | ':' | '/')
            || (c == '.' && previous != '.');
        previous = if keep { c } else { '_' };
        name.push(previous);
    }
    if previous == '.' {
        name.push('_');
    }
    name.push('.');
    name.push_str(metric);
    name
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bypass::cookie::CookieHeader;
    use crate::decision::{SetCookie, Strip, Via};

    #[test]
    fn every_decision_feeds_one_counter() {
        let strip = Strip {
            headers: vec![],
            cookie: CookieHeader::Keep,
        };
        let cases = [
            (Decision::Maintenance, Counter::Responses),
            (Decision::Maintenance, Counter::Responses),
            (
                Decision::Bypassed {
                    via: Via::Token,
                    strip: strip.clone(),
                },
                Counter::Bypassed,
            ),
            (
                Decision::Bypassed {
                    via: Via::Path,
                    strip,
                },
                Counter::Bypassed,
            ),
            (
                Decision::GrantCookie {
                    set_cookie: SetCookie(String::new()),
                },
                Counter::Bypassed,
            ),
            (Decision::Off, Counter::Passed),
            (Decision::OutOfScope, Counter::Passed),
            (Decision::PassWithFallback, Counter::Passed),
        ];
        for (decision, counter) in cases {
            assert_eq!(
                Counter::for_decision(&decision, true),
                counter,
                "{decision:?}"
            );
        }
        let path_outside_maintenance = Decision::Bypassed {
            via: Via::Path,
            strip: Strip {
                headers: vec![],
                cookie: CookieHeader::Keep,
            },
        };
        assert_eq!(
            Counter::for_decision(&path_outside_maintenance, false),
            Counter::Passed
        );
    }

    #[test]
    fn instances_have_their_own_names() {
        assert_eq!(metric_name("", "active"), "maintenance.active");
        assert_eq!(
            metric_name("istio-system.shop", "responses_total"),
            "maintenance.instance.istio-system.shop.responses_total"
        );
        assert_eq!(
            metric_name("envoyextensionpolicy/ns/p/wasm/0", "active"),
            "maintenance.instance.envoyextensionpolicy/ns/p/wasm/0.active"
        );
        // No forged segments: empty ones, spaces, other characters.
        assert_eq!(
            metric_name(".a..b.", "active"),
            "maintenance.instance._a._b._.active"
        );
        assert_eq!(
            metric_name("a b{c}é", "active"),
            "maintenance.instance.a_b_c__.active"
        );
        assert_ne!(metric_name("a", "active"), metric_name("b", "active"));
    }

    #[test]
    fn names_are_distinct_under_the_prefix_and_indexes_match() {
        for (position, counter) in Counter::ALL.iter().enumerate() {
            assert_eq!(counter.index(), position);
            assert!(metric_name("", counter.name()).starts_with("maintenance."));
        }
        let mut names: Vec<_> = Counter::ALL.iter().map(|c| c.name()).collect();
        names.push(ACTIVE_GAUGE);
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Counter::ALL.len() + 1);
    }
}
