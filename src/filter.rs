//! The proxy-wasm glue: the root context owns the compiled configuration, each HTTP context
//! holds only per-request state. Host calls go through `hostcalls`, whose `Result`s are handled
//! here (the SDK's trait helpers unwrap them). The SDK still panics on host statuses it does not
//! expect, so every call is made only in the phase where the host allows it: request headers
//! in `on_http_request_headers`, response headers in `on_http_response_headers`.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::{Duration, UNIX_EPOCH};

use log::{debug, error, info, warn};
use proxy_wasm::hostcalls;
use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{
    Action, BufferType, ContextType, GrpcStatusCode, LogLevel, MapType, MetricType, Status,
};

use crate::audit::{fingerprint, History};
use crate::config::{self, Plan};
use crate::credentials::{join_cookie_headers, CookieHeader};
use crate::current::{CurrentResponse, TransitionLog};
use crate::decision::{decide_with_format, Decision, RequestFacts, Strip};
use crate::fallback_source;
use crate::metrics::{Counter, ACTIVE_GAUGE};
use crate::negotiate::{choose, Format};
use crate::response::MaintenanceResponse;

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Info);
    proxy_wasm::set_root_context(|_| -> Box<dyn RootContext> {
        Box::new(MaintenanceRoot {
            plan: Rc::new(Plan::default()),
            current: Rc::default(),
            transitions: TransitionLog::default(),
            transition_key: String::new(),
            metrics: None,
        })
    });
}}

/// Follows the host's log level so debug lines cost nothing unless Envoy asks for them.
fn sync_log_level() {
    if let Ok(level) = hostcalls::get_log_level() {
        proxy_wasm::set_log_level(level);
    }
}

/// The host clock in unix seconds. Should it ever fail, 1970 is outside every window.
fn unix_now() -> i64 {
    match hostcalls::get_current_time() {
        Ok(time) => time
            .duration_since(UNIX_EPOCH)
            .ok()
            .and_then(|since| i64::try_from(since.as_secs()).ok())
            .unwrap_or(0),
        Err(status) => {
            warn!("cannot read the clock ({status:?}); maintenance windows are not applied");
            0
        }
    }
}

/// How often the windows are checked, to log openings and closings.
const TICK: Duration = Duration::from_secs(1);

/// Whether this VM is the first to report `line` for its configuration. Envoy runs a copy of the
/// plugin per thread and each sees every window change; shared data (process-wide) with a
/// compare-and-swap lets exactly one of them log it.
fn first_to_report(key: &str, line: &str) -> bool {
    match hostcalls::get_shared_data(key) {
        Ok((Some(last), _)) if last == line.as_bytes() => false,
        Ok((_, cas)) => hostcalls::set_shared_data(key, Some(line.as_bytes()), cas).is_ok(),
        Err(_) => true,
    }
}

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
    /// Shared with this configuration's HTTP contexts.
    current: Rc<RefCell<CurrentResponse>>,
    transitions: TransitionLog,
    /// Shared-data key under which the last logged window change of this configuration is kept.
    transition_key: String,
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
                let first = first_to_apply(&bytes);
                if first {
                    info!("configuration applied: {}", plan.summary());
                }
                self.transitions = TransitionLog::default();
                self.transition_key =
                    format!("maintenance-mode.window-change.{}", fingerprint(&bytes));
                let ticks = if plan.enabled && plan.schedule.is_some() {
                    let now = unix_now();
                    if let Some(status) = plan.schedule_status(now) {
                        if first {
                            info!("maintenance schedule: {status}");
                        }
                    }
                    self.transitions.observe(&plan, now);
                    metrics.set_active(plan.in_effect(now));
                    TICK
                } else {
                    metrics.set_active(plan.enabled);
                    Duration::ZERO
                };
                if let Err(status) = hostcalls::set_tick_period(ticks) {
                    warn!("cannot set the tick period ({status:?}); window changes are not logged");
                }
                self.plan = Rc::new(plan);
                self.current = Rc::default();
                true
            }
            Err(problem) => {
                error!("invalid plugin configuration: {problem}");
                false
            }
        }
    }

    fn on_tick(&mut self) {
        let now = unix_now();
        if let Some(line) = self.transitions.observe(&self.plan, now) {
            if first_to_report(&self.transition_key, &line) {
                info!("{line}");
            }
        }
        let metrics = self.metrics();
        metrics.set_active(self.plan.in_effect(now));
    }

    fn create_http_context(&self, _context_id: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(MaintenanceHttp {
            plan: Rc::clone(&self.plan),
            current: Rc::clone(&self.current),
            metrics: self.metrics.unwrap_or_default(),
            fallback: None,
            replied: false,
        }))
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}

struct MaintenanceHttp {
    plan: Rc<Plan>,
    current: Rc<RefCell<CurrentResponse>>,
    metrics: Metrics,
    /// For a request that passed in scope and not bypassed: the format of the maintenance
    /// response that replaces an upstream failure.
    fallback: Option<Format>,
    /// This filter sent a local reply, which it must never replace.
    replied: bool,
}

impl Context for MaintenanceHttp {}

/// Reads a request header as bytes; `None` when absent or unreadable.
fn request_header(name: &str) -> Option<Vec<u8>> {
    hostcalls::get_map_value_bytes(MapType::HttpRequestHeaders, name)
        .ok()
        .flatten()
}

/// Every `cookie` header, joined. Reading one header by name returns only the first, and a
/// bypass cookie in a later `cookie` header must be seen (and removed) too.
fn request_cookies() -> Option<Vec<u8>> {
    // Envoy's codecs only admit token header names, so the SDK's UTF-8 conversion of names holds.
    let headers = hostcalls::get_map_bytes(MapType::HttpRequestHeaders).ok()?;
    join_cookie_headers(
        headers
            .iter()
            .filter(|(name, _)| name == "cookie")
            .map(|(_, value)| value.as_slice()),
    )
}

/// Removes bypass secrets from a request about to go upstream. False when a removal failed.
fn strip_secrets(strip: &Strip) -> bool {
    let mut ok = true;
    for name in &strip.headers {
        if let Err(status) = hostcalls::remove_map_value(MapType::HttpRequestHeaders, name) {
            error!("could not remove bypass header {name}: {status:?}");
            ok = false;
        }
    }
    let cookie = match &strip.cookie {
        CookieHeader::Keep => Ok(()),
        CookieHeader::Remove => hostcalls::remove_map_value(MapType::HttpRequestHeaders, "cookie"),
        CookieHeader::Replace(rest) => {
            hostcalls::set_map_value_bytes(MapType::HttpRequestHeaders, "cookie", Some(rest))
        }
    };
    if let Err(status) = cookie {
        error!("could not remove the bypass cookie: {status:?}");
        ok = false;
    }
    ok
}

/// The maintenance response's format for this request, from `content-type` and `accept`
/// (request-headers phase only).
fn response_format() -> Format {
    let content_type = request_header("content-type");
    let accept = request_header("accept");
    choose(content_type.as_deref(), accept.as_deref())
}

/// Reads a response header as bytes; `None` when absent or unreadable.
fn response_header(name: &str) -> Option<Vec<u8>> {
    hostcalls::get_map_value_bytes(MapType::HttpResponseHeaders, name)
        .ok()
        .flatten()
}

impl MaintenanceHttp {
    /// The cookie link: `302` to `/` setting the bypass cookie.
    fn send_grant(&mut self, set_cookie: &str) {
        self.replied = true;
        let headers = vec![
            ("location", "/"),
            ("set-cookie", set_cookie),
            ("cache-control", "no-store"),
            // The link carries the secret in its query: never pass it on as a referrer.
            ("referrer-policy", "no-referrer"),
        ];
        if let Err(status) = hostcalls::send_http_response(302, headers, None) {
            warn!("could not send the bypass cookie redirect: {status:?}");
        }
    }

    /// The response for a request in maintenance at `now`: with windows, the one announcing the
    /// current window's end.
    fn response_at(&self, now: i64) -> Rc<MaintenanceResponse> {
        match self.current.try_borrow_mut() {
            Ok(mut current) => current.get(&self.plan, now),
            Err(_) => Rc::clone(&self.plan.response),
        }
    }

    fn send_maintenance(&mut self, response: &MaintenanceResponse, format: Format, now: i64) {
        self.replied = true;
        let retry_after = response
            .retry_after_at(now)
            .map(|seconds| seconds.to_string());
        let mut headers: Vec<(&str, &str)> = response
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        if let Some(seconds) = &retry_after {
            headers.push(("retry-after", seconds));
        }
        let sent = match response.rendered(format) {
            Some(rendered) => {
                headers.insert(0, ("content-type", rendered.content_type));
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
                headers
                    .into_iter()
                    .map(|(n, v)| (n, v.as_bytes()))
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
        let fallback = !self.plan.fallback_statuses.is_empty();
        if !self.plan.enabled && !fallback {
            self.metrics.count(Counter::Passed);
            return Action::Continue;
        }
        // The clock only matters with windows.
        let now = if self.plan.schedule.is_some() {
            unix_now()
        } else {
            0
        };
        if !fallback && !self.plan.in_effect(now) {
            self.metrics.count(Counter::Passed);
            return Action::Continue;
        }
        // Request headers are readable only in this phase. Each read is a host call (and an
        // allocation callback), so read the host and the method only when routes test them (or
        // the method for the debug log), and content-type and accept only when a response format
        // is needed.
        let scope = &self.plan.scope;
        let method = if scope.uses_methods() || log::log_enabled!(log::Level::Debug) {
            request_header(":method").unwrap_or_default()
        } else {
            Vec::new()
        };
        let authority = if scope.uses_hosts() {
            request_header(":authority")
        } else {
            None
        };
        let path = request_header(":path").unwrap_or_default();
        // Bypass inputs only while maintenance applies, and only for the kinds configured: each
        // read is a host call.
        let plan = Rc::clone(&self.plan);
        let in_effect = plan.in_effect(now);
        let token_values: Vec<Option<Vec<u8>>> = match in_effect {
            true => plan
                .bypass_tokens
                .headers()
                .iter()
                .map(|name| request_header(name))
                .collect(),
            false => Vec::new(),
        };
        let cookie = match plan.bypass_cookie {
            Some(_) if in_effect => request_cookies(),
            _ => None,
        };
        let source_address = if in_effect && !plan.bypass_networks.is_empty() {
            hostcalls::get_property(vec!["source", "address"])
                .ok()
                .flatten()
        } else {
            None
        };
        let decision = decide_with_format(
            &plan,
            &RequestFacts {
                method: &method,
                authority: authority.as_deref(),
                path: &path,
                token_values: &token_values,
                cookie: cookie.as_deref(),
                source_address: source_address.as_deref(),
                ..RequestFacts::default()
            },
            now,
            response_format,
        );
        // Without the query: the cookie link carries its secret there.
        let path_only = path.split(|&b| b == b'?').next().unwrap_or_default();
        debug!(
            "{} {} -> {decision:?}",
            String::from_utf8_lossy(&method),
            String::from_utf8_lossy(path_only)
        );
        let counter = Counter::for_decision(&decision, in_effect);
        match decision {
            Decision::Maintenance(format) => {
                self.metrics.count(counter);
                let response = self.response_at(now);
                self.send_maintenance(&response, format, now);
                Action::Pause
            }
            Decision::GrantCookie { set_cookie } => {
                self.metrics.count(counter);
                self.send_grant(&set_cookie.0);
                Action::Pause
            }
            Decision::Bypassed { strip, .. } => {
                if strip_secrets(&strip) {
                    self.metrics.count(counter);
                    Action::Continue
                } else {
                    // Fail closed: a bypass secret must not reach the upstream.
                    self.metrics.count(Counter::Responses);
                    let format = response_format();
                    let response = self.response_at(now);
                    self.send_maintenance(&response, format, now);
                    Action::Pause
                }
            }
            Decision::PassWithFallback(format) => {
                self.metrics.count(counter);
                self.fallback = Some(format);
                Action::Continue
            }
            Decision::Off | Decision::OutOfScope => {
                self.metrics.count(counter);
                Action::Continue
            }
        }
    }

    fn on_http_response_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        // Never our own reply, and only requests that passed in scope and not bypassed.
        if self.replied {
            return Action::Continue;
        }
        let Some(format) = self.fallback else {
            return Action::Continue;
        };
        let status = response_header(":status");
        let grpc_status = match format {
            Format::Grpc => response_header("grpc-status"),
            _ => None,
        };
        // Only upstream responses and Envoy's own replies for a failed upstream, never another
        // filter's or plugin instance's local reply (see fallback_source.rs).
        let code_details = || {
            hostcalls::get_property(vec!["response", "code_details"])
                .ok()
                .flatten()
        };
        if !fallback_source::replace(
            &self.plan,
            format,
            status.as_deref(),
            grpc_status.as_deref(),
            code_details,
        ) {
            return Action::Continue;
        }
        debug!(
            "upstream answered {} (grpc-status {}): sending the maintenance response instead",
            String::from_utf8_lossy(status.as_deref().unwrap_or_default()),
            String::from_utf8_lossy(grpc_status.as_deref().unwrap_or(b"-"))
        );
        self.metrics.upstream_replaced();
        // Outside a window there is no end to announce: the plan's own response.
        let response = Rc::clone(&self.plan.response);
        self.send_maintenance(&response, format, 0);
        Action::Pause
    }
}
