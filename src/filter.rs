//! The proxy-wasm glue: the root context owns the compiled configuration, each HTTP context
//! holds only per-request state. Host calls go through `hostcalls` (not the SDK's traits, which
//! unwrap) so a failed call is logged instead of killing the VM.

use std::rc::Rc;

use log::{debug, error, info, warn};
use proxy_wasm::hostcalls;
use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{Action, BufferType, ContextType, GrpcStatusCode, LogLevel, MapType};

use crate::config::{self, Plan};
use crate::credentials::{join_cookie_headers, CookieHeader};
use crate::decision::{decide, Decision, RequestFacts, Strip};
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

impl MaintenanceHttp {
    /// The cookie link: `302` to `/` setting the bypass cookie.
    fn send_grant(&self, set_cookie: &str) {
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
        // Bypass inputs only for the kinds configured: each read is a host call.
        let token_values: Vec<Option<Vec<u8>>> = self
            .plan
            .bypass_tokens
            .headers()
            .iter()
            .map(|name| request_header(name))
            .collect();
        let cookie = match self.plan.bypass_cookie {
            Some(_) => request_cookies(),
            None => None,
        };
        let source_address = if self.plan.bypass_networks.is_empty() {
            None
        } else {
            hostcalls::get_property(vec!["source", "address"])
                .ok()
                .flatten()
        };
        let decision = decide(
            &self.plan,
            &RequestFacts {
                method: &method,
                authority: authority.as_deref(),
                path: &path,
                content_type: content_type.as_deref(),
                accept: accept.as_deref(),
                token_values: &token_values,
                cookie: cookie.as_deref(),
                source_address: source_address.as_deref(),
            },
        );
        // Without the query: the cookie link carries its secret there.
        let path_only = path.split(|&b| b == b'?').next().unwrap_or_default();
        debug!(
            "{} {} -> {decision:?}",
            String::from_utf8_lossy(&method),
            String::from_utf8_lossy(path_only)
        );
        match decision {
            Decision::Maintenance(format) => {
                self.send_maintenance(format);
                Action::Pause
            }
            Decision::GrantCookie { set_cookie } => {
                self.send_grant(&set_cookie.0);
                Action::Pause
            }
            Decision::Bypassed { strip, .. } => {
                if strip_secrets(&strip) {
                    Action::Continue
                } else {
                    // Fail closed: a bypass secret must not reach the upstream.
                    self.send_maintenance(crate::negotiate::choose(
                        content_type.as_deref(),
                        accept.as_deref(),
                    ));
                    Action::Pause
                }
            }
            Decision::Off | Decision::OutOfScope => Action::Continue,
        }
    }
}
