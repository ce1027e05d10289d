//! The proxy-wasm glue: the root context owns the compiled configuration, each HTTP context
//! holds only per-request state. Host calls go through `hostcalls` (not the SDK's traits, which
//! unwrap) so a failed call is logged instead of killing the VM.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use log::{debug, error, info, warn};
use proxy_wasm::hostcalls;
use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{
    Action, BufferType, ContextType, GrpcStatusCode, LogLevel, MapType, MetricType, Status,
};

use crate::audit::{fingerprint, History};
use crate::config::{self, Plan};
use crate::decision::{decide, Decision, RequestFacts};
use crate::metrics::{Counter, ACTIVE_GAUGE};
use crate::negotiate::Format;

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Info);
    proxy_wasm::set_root_context(|_| -> Box<dyn RootContext> {
        Box::new(MaintenanceRoot { plan: Rc::new(Plan::default()), metrics: None })
    });
}}

/// Whether no VM of this plugin version has logged its start in this proxy yet. Envoy starts
/// VMs (and calls on_vm_start) per worker thread and for every configuration it applies; one
/// line per proxy and version is enough. When shared data cannot be used: log.
fn first_start() -> bool {
    let key = concat!("maintenance-mode/started/", env!("CARGO_PKG_VERSION"));
    match hostcalls::get_shared_data(key) {
        Ok((Some(_), _)) => false,
        _ => !matches!(
            hostcalls::set_shared_data(key, Some(b"1"), None),
            Err(Status::CasMismatch)
        ),
    }
}

/// Follows the host's log level so debug lines cost nothing unless Envoy asks for them.
fn sync_log_level() {
    if let Ok(level) = hostcalls::get_log_level() {
        proxy_wasm::set_log_level(level);
    }
}

/// The proxy's metric ids (see `metrics.rs` for names). A metric the proxy refused to define is
/// `None` and simply not counted.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Metrics {
    counters: [Option<u32>; Counter::ALL.len()],
    active: Option<u32>,
}

impl Metrics {
    fn define() -> Metrics {
        let define = |kind, name: &str| match hostcalls::define_metric(kind, name) {
            Ok(id) => Some(id),
            Err(status) => {
                warn!("cannot define metric {name}: {status:?}");
                None
            }
        };
        Metrics {
            counters: Counter::ALL.map(|counter| define(MetricType::Counter, counter.name())),
            active: define(MetricType::Gauge, ACTIVE_GAUGE),
        }
    }

    pub(crate) fn count(&self, counter: Counter) {
        if let Some(id) = self.counters[counter.index()] {
            if let Err(status) = hostcalls::increment_metric(id, 1) {
                debug!("cannot count {}: {status:?}", counter.name());
            }
        }
    }

    /// Counts an upstream response replaced by the maintenance response.
    #[allow(dead_code)] // counted by the upstream-fallback path
    pub(crate) fn upstream_replaced(&self) {
        self.count(Counter::UpstreamReplaced);
    }

    /// Sets the `active` gauge: whether maintenance applies right now.
    pub(crate) fn set_active(&self, active: bool) {
        if let Some(id) = self.active {
            if let Err(status) = hostcalls::record_metric(id, u64::from(active)) {
                debug!("cannot set {ACTIVE_GAUGE}: {status:?}");
            }
        }
    }
}

thread_local! {
    /// Per plugin name: how far this VM has followed the shared history (see `audit.rs`).
    static AUDIT_SEEN: RefCell<BTreeMap<String, u64>> = const { RefCell::new(BTreeMap::new()) };
}

/// Whether this VM is the first to apply this configuration, and so logs the audit line.
/// When the shared history cannot be used: log.
fn first_to_apply(config_bytes: &[u8]) -> bool {
    let plugin = hostcalls::get_property(vec!["plugin_name"])
        .ok()
        .flatten()
        .map(|name| String::from_utf8_lossy(&name).into_owned())
        .unwrap_or_default();
    let key = format!("maintenance-mode/applied/{plugin}");
    let mark = fingerprint(config_bytes);
    let seen = AUDIT_SEEN.with(|seen| seen.borrow().get(&plugin).copied());
    for _ in 0..8 {
        let Ok((stored, cas)) = hostcalls::get_shared_data(&key) else {
            return true;
        };
        let mut history = History::parse(stored.as_deref().unwrap_or_default());
        let verdict = history.apply(seen, &mark);
        let recorded = !verdict.leader
            || match hostcalls::set_shared_data(&key, Some(&history.serialize()), cas) {
                Ok(()) => true,
                Err(Status::CasMismatch) => false,
                Err(_) => return true,
            };
        if recorded {
            AUDIT_SEEN.with(|seen| seen.borrow_mut().insert(plugin, verdict.seen));
            return verdict.leader;
        }
    }
    true
}

struct MaintenanceRoot {
    plan: Rc<Plan>,
    metrics: Option<Metrics>,
}

impl MaintenanceRoot {
    fn metrics(&mut self) -> Metrics {
        *self.metrics.get_or_insert_with(Metrics::define)
    }
}

impl Context for MaintenanceRoot {}

impl RootContext for MaintenanceRoot {
    fn on_vm_start(&mut self, _vm_configuration_size: usize) -> bool {
        sync_log_level();
        if first_start() {
            info!("maintenance-mode {} started", env!("CARGO_PKG_VERSION"));
        }
        self.metrics();
        true
    }

    fn on_configure(&mut self, _plugin_configuration_size: usize) -> bool {
        sync_log_level();
        let metrics = self.metrics();
        let bytes = match hostcalls::get_buffer(BufferType::PluginConfiguration, 0, usize::MAX) {
            Ok(bytes) => bytes.unwrap_or_default(),
            Err(status) => {
                error!("invalid plugin configuration: .: cannot be read ({status:?})");
                return false;
            }
        };
        match config::parse(&bytes) {
            Ok(plan) => {
                if first_to_apply(&bytes) {
                    info!("configuration applied: {}", plan.summary());
                }
                metrics.set_active(plan.enabled);
                self.plan = Rc::new(plan);
                true
            }
            Err(problem) => {
                error!("invalid plugin configuration: {problem}");
                false
            }
        }
    }

    fn create_http_context(&self, _context_id: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(MaintenanceHttp {
            plan: Rc::clone(&self.plan),
            metrics: self.metrics.unwrap_or_default(),
        }))
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}

struct MaintenanceHttp {
    plan: Rc<Plan>,
    metrics: Metrics,
}

impl Context for MaintenanceHttp {}

/// Reads a request header as bytes; `None` when absent or unreadable.
fn request_header(name: &str) -> Option<Vec<u8>> {
    hostcalls::get_map_value_bytes(MapType::HttpRequestHeaders, name)
        .ok()
        .flatten()
}

impl MaintenanceHttp {
    fn send_maintenance(&self, format: Format) {
        let response = &self.plan.response;
        let sent = match response.rendered(format) {
            Some(rendered) => {
                let mut headers: Vec<(&str, &str)> = Vec::with_capacity(response.headers.len() + 1);
                headers.push(("content-type", rendered.content_type));
                headers.extend(
                    response
                        .headers
                        .iter()
                        .map(|(n, v)| (n.as_str(), v.as_str())),
                );
                // Envoy drops the body of a reply to HEAD but keeps its content-length.
                hostcalls::send_http_response(
                    u32::from(response.status),
                    headers,
                    Some(&rendered.body),
                )
            }
            None => hostcalls::send_grpc_response(
                GrpcStatusCode::Unavailable,
                Some(&response.grpc_message),
                response
                    .headers
                    .iter()
                    .map(|(n, v)| (n.as_str(), v.as_bytes()))
                    .collect(),
            ),
        };
        if let Err(status) = sent {
            warn!("could not send the maintenance response: {status:?}");
        }
    }
}

impl HttpContext for MaintenanceHttp {
    fn on_http_request_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        if !self.plan.enabled {
            self.metrics.count(Counter::for_decision(Decision::Off));
            return Action::Continue;
        }
        // Request headers are readable only in this phase: read everything needed now.
        let method = request_header(":method").unwrap_or_default();
        let authority = request_header(":authority");
        let path = request_header(":path").unwrap_or_default();
        let content_type = request_header("content-type");
        let accept = request_header("accept");
        let decision = decide(
            &self.plan,
            &RequestFacts {
                method: &method,
                authority: authority.as_deref(),
                path: &path,
                content_type: content_type.as_deref(),
                accept: accept.as_deref(),
            },
        );
        debug!(
            "{} {} -> {decision:?}",
            String::from_utf8_lossy(&method),
            String::from_utf8_lossy(&path)
        );
        self.metrics.count(Counter::for_decision(decision));
        match decision {
            Decision::Maintenance(format) => {
                self.send_maintenance(format);
                Action::Pause
            }
            Decision::Off | Decision::OutOfScope | Decision::Bypassed => Action::Continue,
        }
    }
}
