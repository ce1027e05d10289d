//! One configuration of the plugin in one VM: apply it (the audit line once per proxy, the
//! metrics defined on the first), and on each tick log window changes and expired credentials
//! once per proxy and keep the `active` gauge current.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use log::Level;

use crate::config;
use crate::host::unix_now;
use crate::host::Host;
use crate::log_once::{self, first_start, first_to_apply, first_to_report, shared_key, Followed};
use crate::metrics::Metrics;
use crate::outage;
use crate::outcome::Memo;
use crate::plan::Plan;
use crate::plugin::stream::{Applied, Stream};
use crate::reply::current_window::TransitionLog;
use crate::schedule::calendar::format_rfc3339;

/// How often the windows are checked, to log openings and closings.
pub const TICK: Duration = Duration::from_secs(1);
/// How often maintenance without windows is checked for the long-outage warning (`outage.rs`).
pub const OUTAGE_TICK: Duration = Duration::from_secs(60);
/// How many problems of a refused configuration are logged (then how many more there are).
const LOGGED_PROBLEMS: usize = 10;

/// What one VM (the native module: the process) remembers across its root contexts.
#[derive(Debug, Default)]
pub struct VmState {
    /// How far this VM has followed each instance's shared audit history.
    followed: Followed,
}

/// One configuration of the plugin in one VM, or in the native module, where one `Root` serves
/// every worker thread: what streams share is behind `Arc`s, its caches behind `Mutex`es
/// (`outcome/memo.rs`).
pub struct Root {
    vm: Arc<Mutex<VmState>>,
    applied: Arc<Applied>,
    transitions: TransitionLog,
    /// Shared-data key under which the last logged window change of this instance and
    /// configuration is kept.
    transition_key: String,
    /// This instance's plugin name, read on the first configuration.
    instance: Option<String>,
    metrics: Option<Metrics>,
    /// The expired credentials this root has seen logged (by itself or another VM).
    expiries_logged: Vec<String>,
    /// The `since` the long-outage warning was logged for.
    outage_warned: Option<i64>,
    /// Whether this root has cleared the shared `since` since maintenance last applied.
    since_cleared: bool,
}

/// The plugin name Envoy gives this plugin instance (Istio: `<namespace>.<name>`); empty when
/// it has none.
fn instance_name(host: &mut impl Host) -> String {
    host.property(&["plugin_name"])
        .map(|name| String::from_utf8_lossy(&name).into_owned())
        .unwrap_or_default()
}

/// `line` naming the plugin instance it is about (Envoy's own log prefix names the root id and
/// VM id, which instances share): `[plugin default.shop] …`.
fn about(instance: &str, line: &str) -> String {
    match instance.is_empty() {
        true => line.to_string(),
        false => format!("[plugin {instance}] {line}"),
    }
}

/// Logs once per proxy that a credential (`bypass.tokens[]`, `bypass.cookie`) has passed its
/// `not_after`.
fn log_expiries(
    host: &mut impl Host,
    instance: &str,
    plan: &Plan,
    now: i64,
    logged: &mut Vec<String>,
) {
    for (what, end) in plan.bypass.expiries.expired_at(now) {
        if logged.iter().any(|known| known == what) {
            continue;
        }
        let line = format!(
            "{what} expired at {}: it lets no one through any more",
            format_rfc3339(end)
        );
        let line = about(instance, &line);
        if first_to_report(host, &shared_key("expired", &line), &line) {
            host.log(Level::Info, &line);
        }
        logged.push(what.to_string());
    }
}

impl Root {
    pub fn new(vm: Arc<Mutex<VmState>>) -> Root {
        Root {
            vm,
            applied: Arc::default(),
            transitions: TransitionLog::default(),
            transition_key: String::new(),
            instance: None,
            metrics: None,
            expiries_logged: Vec::new(),
            outage_warned: None,
            since_cleared: false,
        }
    }

    /// The configuration in force.
    pub fn plan(&self) -> &Plan {
        &self.applied.plan
    }

    fn instance(&mut self, host: &mut impl Host) -> String {
        self.instance
            .get_or_insert_with(|| instance_name(host))
            .clone()
    }

    /// This instance's metrics, defined on first use.
    fn metrics(&mut self, host: &mut impl Host) -> Metrics {
        if let Some(metrics) = self.metrics {
            return metrics;
        }
        let instance = self.instance(host);
        *self.metrics.insert(Metrics::define(host, &instance))
    }

    /// Envoy starts VMs (and calls this) per worker thread and for every configuration it
    /// applies; the start is logged once per proxy and version.
    pub fn on_vm_start(&mut self, host: &mut impl Host) -> bool {
        if first_start(host) {
            let line = format!("maintenance-mode {} started", crate::VERSION);
            host.log(Level::Info, &line);
        }
        // Metrics are defined on the first configuration, where the plugin name is known.
        true
    }

    /// Applies the host's plugin configuration; false (the host keeps the last good one) when
    /// it is invalid.
    pub fn on_configure(&mut self, host: &mut impl Host) -> bool {
        let metrics = self.metrics(host);
        let instance = self.instance(host);
        let bytes = match host.plugin_configuration() {
            Ok(bytes) => bytes,
            Err(refused) => {
                let line = format!("invalid plugin configuration: .: cannot be read ({refused})");
                host.log(Level::Error, &about(&instance, &line));
                return false;
            }
        };
        let mark = log_once::fingerprint(&bytes);
        let plan = match config::parse_owned(bytes) {
            Ok(plan) => plan,
            Err(problems) => {
                for problem in problems.bounded(LOGGED_PROBLEMS) {
                    let line = format!("invalid plugin configuration: {problem}");
                    host.log(Level::Error, &about(&instance, &line));
                }
                return false;
            }
        };
        let mut vm = self.vm.lock().unwrap_or_else(PoisonError::into_inner);
        let first = first_to_apply(host, &mut vm.followed, &instance, &mark);
        drop(vm);
        if first {
            let line = format!("configuration applied: {}", plan.summary());
            host.log(Level::Info, &about(&instance, &line));
            if !plan.bypass.jwt.is_empty() && !host.reads_dynamic_metadata() {
                let line = "bypass.jwt: this build cannot read the payloads jwt_authn verified, \
                            so these rules pass no request; use the wasm build for a JWT bypass";
                host.log(Level::Warn, &about(&instance, line));
            }
        }
        self.transitions = TransitionLog::default();
        self.transition_key = shared_key("window-change", &format!("{instance}/{mark}"));
        let ticks = if plan.enabled && plan.schedule.is_some() {
            let now = unix_now(host);
            if let (true, Some(status)) = (first, plan.schedule_status(now)) {
                let line = format!("maintenance schedule: {status}");
                host.log(Level::Info, &about(&instance, &line));
            }
            self.transitions.observe(&plan, now);
            metrics.set_active(host, plan.in_effect(now));
            TICK
        } else {
            metrics.set_active(host, plan.enabled);
            Duration::ZERO
        };
        // Credentials that expire: the tick logs when they do.
        self.expiries_logged.clear();
        let ticks = if plan.bypass.expiries.is_empty() {
            ticks
        } else {
            let now = unix_now(host);
            log_expiries(host, &instance, &plan, now, &mut self.expiries_logged);
            TICK
        };
        // Maintenance without windows: a slow tick watches for the long outage.
        let ticks = match ticks.is_zero() && plan.enabled && !plan.dry_run {
            true => OUTAGE_TICK,
            false => ticks,
        };
        if let Err(refused) = host.set_tick_period(ticks) {
            let line =
                format!("cannot set the tick period ({refused}); window changes are not logged");
            host.log(Level::Warn, &line);
        }
        self.applied = Arc::new(Applied {
            plan,
            memo: Memo::default(),
        });
        let now = unix_now(host);
        self.track_outage(host, now);
        true
    }

    /// Keeps `since` (`outage.rs`) for the status document, and logs the long-outage warning
    /// once per proxy: on each configuration and tick.
    fn track_outage(&mut self, host: &mut impl Host, now: i64) {
        let instance = self.instance(host);
        let key = shared_key("since", &instance);
        let applied = Arc::clone(&self.applied);
        let plan = &applied.plan;
        if !outage::answering(plan, now) {
            applied.memo.set_observed_since(None);
            if !self.since_cleared {
                // Next time maintenance applies, it begins anew.
                let _ = host.shared_set(&key, b"", None);
                self.since_cleared = true;
            }
            return;
        }
        self.since_cleared = false;
        let observed = match outage::scheduled_since(plan, now) {
            Some(_) => None,
            None => Some(log_once::first_recorded_time(host, &key, now)),
        };
        applied.memo.set_observed_since(observed);
        let Some(since) = outage::since(plan, now, observed) else {
            return;
        };
        if self.outage_warned == Some(since) {
            return;
        }
        if let Some(line) = outage::warning(plan, now, since) {
            let line = about(&instance, &line);
            if first_to_report(host, &shared_key("long-outage", &instance), &line) {
                host.log(Level::Warn, &line);
            }
            self.outage_warned = Some(since);
        }
    }

    /// Logs a window opening or closing (once per proxy) and keeps the `active` gauge current.
    pub fn on_tick(&mut self, host: &mut impl Host) {
        let now = unix_now(host);
        let plan = &self.applied.plan;
        if let Some(line) = self.transitions.observe(plan, now) {
            if first_to_report(host, &self.transition_key, &line) {
                let instance = self.instance(host);
                host.log(Level::Info, &about(&instance, &line));
            }
        }
        if !self.applied.plan.bypass.expiries.is_empty() {
            let instance = self.instance(host);
            let plan = &self.applied.plan;
            log_expiries(host, &instance, plan, now, &mut self.expiries_logged);
        }
        let metrics = self.metrics(host);
        metrics.set_active(host, self.applied.plan.in_effect(now));
        self.track_outage(host, now);
    }

    pub fn new_stream(&self) -> Stream {
        Stream::new(Arc::clone(&self.applied), self.metrics.unwrap_or_default())
    }
}
