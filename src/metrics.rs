//! The plugin's metrics: their names and which counter each decision feeds. Host-free; the glue
//! in `filter.rs` defines them in the proxy and counts.
//!
//! Envoy files proxy-wasm metrics under its `wasmcustom` namespace (measured on Envoy 1.40):
//! `/stats` shows `wasmcustom.maintenance.responses_total`, `/stats/prometheus` shows
//! `maintenance_responses_total` (no `envoy_` prefix), and a `stats_matcher` must match the full
//! `wasmcustom.` name.

use crate::decision::Decision;

/// The counters, one per outcome of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counter {
    /// Requests answered with the maintenance response.
    Responses,
    /// In-scope requests let through by a bypass rule while maintenance applied.
    Bypassed,
    /// Requests passed through because maintenance was off or they were out of scope.
    Passed,
    /// Upstream responses replaced by the maintenance response.
    UpstreamReplaced,
}

impl Counter {
    pub const ALL: [Counter; 4] = [
        Counter::Responses,
        Counter::Bypassed,
        Counter::Passed,
        Counter::UpstreamReplaced,
    ];

    /// The metric name as defined in the proxy.
    pub fn name(self) -> &'static str {
        match self {
            Counter::Responses => "maintenance.responses_total",
            Counter::Bypassed => "maintenance.bypassed_total",
            Counter::Passed => "maintenance.passed_total",
            Counter::UpstreamReplaced => "maintenance.upstream_replaced_total",
        }
    }

    /// Position in [`Counter::ALL`], for arrays of metric ids.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The counter a request's decision feeds.
    pub fn for_decision(decision: Decision) -> Counter {
        match decision {
            Decision::Maintenance(_) => Counter::Responses,
            Decision::Bypassed => Counter::Bypassed,
            Decision::Off | Decision::OutOfScope => Counter::Passed,
        }
    }
}

/// Gauge: 1 while maintenance applies, 0 otherwise.
pub const ACTIVE_GAUGE: &str = "maintenance.active";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::negotiate::Format;

    #[test]
    fn every_decision_feeds_one_counter() {
        assert_eq!(
            Counter::for_decision(Decision::Maintenance(Format::Grpc)),
            Counter::Responses
        );
        assert_eq!(
            Counter::for_decision(Decision::Maintenance(Format::Html)),
            Counter::Responses
        );
        assert_eq!(Counter::for_decision(Decision::Bypassed), Counter::Bypassed);
        assert_eq!(Counter::for_decision(Decision::Off), Counter::Passed);
        assert_eq!(Counter::for_decision(Decision::OutOfScope), Counter::Passed);
    }

    #[test]
    fn names_are_distinct_under_the_prefix_and_indexes_match() {
        for (position, counter) in Counter::ALL.iter().enumerate() {
            assert_eq!(counter.index(), position);
            assert!(counter.name().starts_with("maintenance."));
        }
        let mut names: Vec<_> = Counter::ALL.iter().map(|c| c.name()).collect();
        names.push(ACTIVE_GAUGE);
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Counter::ALL.len() + 1);
    }
}
