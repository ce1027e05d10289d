//! The plugin's metrics: their names, and their ids in the host ([`Metrics`]: defined once per
//! plugin instance, then counted). Which counter a request feeds is the outcome's
//! (`outcome/`).
//!
//! Envoy files proxy-wasm metrics under its `wasmcustom` namespace (measured on Envoy 1.40):
//! `/stats` shows `wasmcustom.maintenance.responses_total`, `/stats/prometheus` shows
//! `maintenance_responses_total` (no `envoy_` prefix), and a `stats_matcher` must match the full
//! `wasmcustom.` name.
//!
//! Each plugin instance (filter) has its own metrics, named after the plugin name Envoy gives it
//! (Istio: `<namespace>.<name>`): `maintenance.instance.<plugin name>.responses_total`. Envoy
//! metrics have no labels of their own (the proxy-wasm ABI defines a metric by name only); a
//! `stats_tags` rule turns that name part into a Prometheus label (README, "Metrics"). An
//! instance without a plugin name keeps the plain names.

use log::Level;

use crate::host::{Host, MetricKind};

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
}

/// Gauge: 1 while maintenance applies, 0 otherwise.
pub const ACTIVE_GAUGE: &str = "active";

/// One plugin instance's metric ids in the host. A metric the host refused to define is `None`
/// and simply not counted.
#[derive(Debug, Clone, Copy, Default)]
pub struct Metrics {
    counters: [Option<u32>; Counter::ALL.len()],
    active: Option<u32>,
}

impl Metrics {
    /// Defines the metrics of the plugin instance called `instance` (see [`metric_name`]).
    pub fn define(host: &mut impl Host, instance: &str) -> Metrics {
        let mut define = |kind, metric: &str| {
            let name = metric_name(instance, metric);
            match host.define_metric(kind, &name) {
                Ok(id) => Some(id),
                Err(refused) => {
                    let line = format!("cannot define metric {name}: {refused}");
                    host.log(Level::Warn, &line);
                    None
                }
            }
        };
        let mut counters = [None; Counter::ALL.len()];
        for counter in Counter::ALL {
            counters[counter.index()] = define(MetricKind::Counter, counter.name());
        }
        let active = define(MetricKind::Gauge, ACTIVE_GAUGE);
        Metrics { counters, active }
    }

    pub fn count(&self, host: &mut impl Host, counter: Counter) {
        if let Some(id) = self.counters[counter.index()] {
            if let Err(refused) = host.increment_metric(id) {
                let line = format!("cannot count {}: {refused}", counter.name());
                host.log(Level::Debug, &line);
            }
        }
    }

    /// Sets the `active` gauge: whether maintenance applies right now.
    pub fn set_active(&self, host: &mut impl Host, active: bool) {
        if let Some(id) = self.active {
            if let Err(refused) = host.record_metric(id, u64::from(active)) {
                let line = format!("cannot set {ACTIVE_GAUGE}: {refused}");
                host.log(Level::Debug, &line);
            }
        }
    }
}

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
    use crate::host::fake::FakeHost;

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

    #[test]
    fn each_instance_defines_its_metrics_once_and_counts_them() {
        let mut host = FakeHost::new();
        let shop = Metrics::define(&mut host, "default.shop");
        let plain = Metrics::define(&mut host, "");
        assert_eq!(host.metrics.len(), 2 * (Counter::ALL.len() + 1));
        shop.count(&mut host, Counter::Responses);
        shop.count(&mut host, Counter::Responses);
        plain.count(&mut host, Counter::Passed);
        shop.set_active(&mut host, true);
        let name = "maintenance.instance.default.shop.responses_total";
        assert_eq!(host.metric(name), Some(2));
        assert_eq!(host.metric("maintenance.passed_total"), Some(1));
        assert_eq!(host.metric("maintenance.responses_total"), Some(0));
        assert_eq!(
            host.metric("maintenance.instance.default.shop.active"),
            Some(1)
        );
        assert_eq!(host.metric("maintenance.active"), Some(0));
        // Defining them again (another root of the same instance) finds the same metrics.
        let again = Metrics::define(&mut host, "default.shop");
        again.count(&mut host, Counter::Responses);
        assert_eq!(host.metric(name), Some(3));
        // Metrics the host never defined are not counted, and nothing fails.
        Metrics::default().count(&mut host, Counter::Responses);
        Metrics::default().set_active(&mut host, true);
        assert_eq!(host.metric(name), Some(3));
    }
}
