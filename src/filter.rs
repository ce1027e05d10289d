//! The proxy-wasm glue: the root context owns the compiled configuration, each HTTP context
//! holds only per-request state. Host calls go through `hostcalls` (not the SDK's traits, which
//! unwrap) so a failed call is logged instead of killing the VM.

use std::rc::Rc;

use log::{debug, error, info, warn};
use proxy_wasm::hostcalls;
use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{Action, BufferType, ContextType, GrpcStatusCode, LogLevel, MapType};

use crate::config::{self, Plan};
use crate::decision::{decide, Decision, RequestFacts};
use crate::negotiate::Format;

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Info);
    proxy_wasm::set_root_context(|_| -> Box<dyn RootContext> {
        Box::new(MaintenanceRoot { plan: Rc::new(Plan::default()) })
    });
}}

/// Follows the host's log level so debug lines cost nothing unless Envoy asks for them.
fn sync_log_level() {
    if let Ok(level) = hostcalls::get_log_level() {
        proxy_wasm::set_log_level(level);
    }
}

struct MaintenanceRoot {
    plan: Rc<Plan>,
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
        }))
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}

struct MaintenanceHttp {
    plan: Rc<Plan>,
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
        match decision {
            Decision::Maintenance(format) => {
                self.send_maintenance(format);
                Action::Pause
            }
            Decision::Off | Decision::OutOfScope | Decision::Bypassed => Action::Continue,
        }
    }
}
