//! The proxy-wasm glue: the root context owns the compiled configuration, each HTTP context
//! holds only per-request state. Host calls go through `hostcalls` (not the SDK's traits, which
//! unwrap) so a failed call is logged instead of killing the VM.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, UNIX_EPOCH};

use log::{debug, error, info, warn};
use proxy_wasm::hostcalls;
use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{Action, BufferType, ContextType, GrpcStatusCode, LogLevel, MapType};

use crate::config::{self, Plan};
use crate::current::{CurrentResponse, TransitionLog};
use crate::decision::{decide, upstream_failed, Decision, RequestFacts};
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

/// FNV-1a, to tell configurations apart in shared-data keys.
fn fingerprint(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

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

struct MaintenanceRoot {
    plan: Rc<Plan>,
    /// Shared with this configuration's HTTP contexts.
    current: Rc<RefCell<CurrentResponse>>,
    transitions: TransitionLog,
    /// Shared-data key under which the last logged window change of this configuration is kept.
    transition_key: String,
}

impl Context for MaintenanceRoot {}

impl RootContext for MaintenanceRoot {
    fn on_vm_start(&mut self, _vm_configuration_size: usize) -> bool {
        sync_log_level();
        info!("maintenance-mode {} started", env!("CARGO_PKG_VERSION"));
        true
    }

    fn on_configure(&mut self, _plugin_configuration_size: usize) -> bool {
        sync_log_level();
        let bytes = match hostcalls::get_buffer(BufferType::PluginConfiguration, 0, usize::MAX) {
            Ok(bytes) => bytes.unwrap_or_default(),
            Err(status) => {
                error!("invalid plugin configuration: .: cannot be read ({status:?})");
                return false;
            }
        };
        match config::parse(&bytes) {
            Ok(plan) => {
                info!("configuration applied: {}", plan.summary());
                self.transitions = TransitionLog::default();
                self.transition_key = format!(
                    "maintenance-mode.window-change.{:016x}",
                    fingerprint(&bytes)
                );
                let ticks = if plan.enabled && plan.schedule.is_some() {
                    let now = unix_now();
                    if let Some(status) = plan.schedule_status(now) {
                        info!("maintenance schedule: {status}");
                    }
                    self.transitions.observe(&plan, now);
                    TICK
                } else {
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
        if let Some(line) = self.transitions.observe(&self.plan, unix_now()) {
            if first_to_report(&self.transition_key, &line) {
                info!("{line}");
            }
        }
    }

    fn create_http_context(&self, _context_id: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(MaintenanceHttp {
            plan: Rc::clone(&self.plan),
            current: Rc::clone(&self.current),
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

/// The maintenance response's format for this request (request-headers phase only).
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
            return Action::Continue;
        }
        // The clock only matters with windows.
        let now = if self.plan.schedule.is_some() {
            unix_now()
        } else {
            0
        };
        if !fallback && !self.plan.in_effect(now) {
            return Action::Continue;
        }
        // Request headers are readable only in this phase. Each read is a host call (and an
        // allocation callback), so read only what the plan can use: the host and method when
        // routes test them, content-type and accept when a response format is needed.
        let scope = &self.plan.scope;
        let method = if scope.uses_methods() {
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
        let facts = RequestFacts {
            method: &method,
            authority: authority.as_deref(),
            path: &path,
            content_type: None,
            accept: None,
        };
        let decision = match decide(&self.plan, &facts, now) {
            Decision::Maintenance(_) => Decision::Maintenance(response_format()),
            Decision::PassWithFallback(_) => Decision::PassWithFallback(response_format()),
            other => other,
        };
        debug!(
            "{} {} -> {decision:?}",
            String::from_utf8_lossy(&method),
            String::from_utf8_lossy(&path)
        );
        match decision {
            Decision::Maintenance(format) => {
                let response = self.response_at(now);
                self.send_maintenance(&response, format, now);
                Action::Pause
            }
            Decision::PassWithFallback(format) => {
                self.fallback = Some(format);
                Action::Continue
            }
            Decision::Off | Decision::OutOfScope | Decision::Bypassed => Action::Continue,
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
        if !upstream_failed(
            &self.plan,
            format,
            status.as_deref(),
            grpc_status.as_deref(),
        ) {
            return Action::Continue;
        }
        debug!(
            "upstream answered {} (grpc-status {}): sending the maintenance response instead",
            String::from_utf8_lossy(status.as_deref().unwrap_or_default()),
            String::from_utf8_lossy(grpc_status.as_deref().unwrap_or(b"-"))
        );
        // Outside a window there is no end to announce: the plan's own response.
        let response = Rc::clone(&self.plan.response);
        self.send_maintenance(&response, format, 0);
        Action::Pause
    }
}
