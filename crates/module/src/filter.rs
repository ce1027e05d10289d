//! The plugin as a native Envoy filter: the core's [`Host`] over Envoy's dynamic-module ABI
//! (`abi.rs`), and the core's lifecycle driven from Envoy's hooks.
//!
//! - One [`FilterConfig`] per filter configuration Envoy loads (at start and on every change),
//!   made on the main thread and shared by every worker: the configuration is compiled once
//!   (the core's `Root`), and each request clones its fresh `Stream`.
//! - One [`Filter`] per request.
//! - Proxy-wide shared data (who logs the audit line, a window change, an expiry): a
//!   process-wide map with compare-and-swap, the native counterpart of proxy-wasm's.
//! - No timer: Envoy's dynamic-module ABI gives HTTP filters none (only bootstrap extensions
//!   have timers), and the module starts no thread. The window checks the wasm makes every
//!   second (`Root::on_tick`: the `active` gauge, the window-change and expiry log lines) run
//!   on the first request of each second instead; requests themselves always decide on the
//!   current time.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use log::Level;
use maintenance_core::host::{serialize_header_map, Host, MetricKind, Refused, Reply, SetError};
use maintenance_core::plugin::{Flow, Root, Stream as PluginStream, VmState};

use crate::abi::{self, Attribute, ConfigHandle, LogLevel, Stream};

/// The process's shared data.
static SHARED: LazyLock<Mutex<SharedData>> = LazyLock::new(Mutex::default);

/// What the process remembers across configurations (a wasm VM's counterpart).
static VM: LazyLock<Arc<Mutex<VmState>>> = LazyLock::new(Arc::default);

/// The filter state key of the plugin's one property, its decision for the access log: Envoy
/// keeps a wasm filter's property NAME as `wasm.NAME`; the module sets the same key, so one
/// access-log format serves both builds.
const DECISION_KEY: &str = "wasm.maintenance_mode.decision";

/// The filter state key of a plugin property (see [`DECISION_KEY`]), without building the
/// decision's on every request.
fn filter_state_key(property: &str) -> Cow<'static, str> {
    match DECISION_KEY.strip_prefix("wasm.") == Some(property) {
        true => Cow::Borrowed(DECISION_KEY),
        false => Cow::Owned(format!("wasm.{property}")),
    }
}

fn level(level: Level) -> LogLevel {
    match level {
        Level::Error => LogLevel::Error,
        Level::Warn => LogLevel::Warn,
        Level::Info => LogLevel::Info,
        Level::Debug => LogLevel::Debug,
        Level::Trace => LogLevel::Trace,
    }
}

fn unix_now() -> Option<i64> {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).ok()?;
    i64::try_from(since.as_secs()).ok()
}

fn refused(what: &str) -> Refused {
    Refused(what.to_string())
}

/// Envoy, as the plugin sees it in one hook: while a configuration is made (`configuring`), or
/// while a request is handled (`stream`).
struct Envoy<'a, 'h> {
    config: ConfigHandle,
    /// The plugin instance's name: the filter's `filter_name`.
    instance: &'a str,
    /// The configuration being applied, and the tick period the plugin asks for.
    configuring: Option<(&'a [u8], &'a mut Duration)>,
    stream: Option<&'a mut Stream<'h>>,
}

impl<'h> Envoy<'_, 'h> {
    fn stream(&mut self) -> Result<&mut Stream<'h>, Refused> {
        match self.stream.as_deref_mut() {
            Some(stream) => Ok(stream),
            None => Err(refused("no request in this hook")),
        }
    }
}

impl Host for Envoy<'_, '_> {
    fn request_header_map(&mut self) -> Result<Vec<u8>, Refused> {
        let headers = self
            .stream()?
            .request_headers()
            .ok_or_else(|| refused("request headers unavailable"))?;
        Ok(serialize_header_map(headers.iter()))
    }

    fn request_header(&mut self, name: &str) -> Option<Vec<u8>> {
        self.stream().ok()?.request_header(name)
    }

    fn remove_request_header(&mut self, name: &str) -> Result<(), Refused> {
        match self.stream()?.set_request_header(name, None) {
            true => Ok(()),
            false => Err(refused("request headers unavailable")),
        }
    }

    fn set_request_header(&mut self, name: &str, value: &[u8]) -> Result<(), Refused> {
        match self.stream()?.set_request_header(name, Some(value)) {
            true => Ok(()),
            false => Err(refused("request headers unavailable")),
        }
    }

    fn response_header(&mut self, name: &str) -> Option<Vec<u8>> {
        self.stream().ok()?.response_header(name)
    }

    fn set_response_header(&mut self, name: &str, value: &[u8]) -> Result<(), Refused> {
        match self.stream()?.set_response_header(name, value) {
            true => Ok(()),
            false => Err(refused("response headers unavailable")),
        }
    }

    fn send_reply(&mut self, reply: Reply) -> Result<(), Refused> {
        let Reply::Http {
            status,
            headers,
            body,
        } = reply;
        // No response code details, as the wasm's replies (proxy-wasm's Rust SDK sends none):
        // `upstream_fallback` of another instance then leaves this reply alone.
        self.stream()?.send_response(status, &headers, body, "");
        Ok(())
    }

    fn now(&mut self) -> Option<i64> {
        unix_now()
    }

    /// A header read here is a plain call (about 440 instructions with the copy), where the
    /// whole map, copied and serialized in proxy-wasm's format, cost about 2,900.
    fn reads_whole_map(&self) -> bool {
        false
    }

    fn reads_dynamic_metadata(&self) -> bool {
        false
    }

    fn property(&mut self, path: &[&str]) -> Option<Vec<u8>> {
        match path {
            ["plugin_name"] => Some(self.instance.as_bytes().to_vec()),
            ["source", "address"] => self.stream().ok()?.attribute(Attribute::SourceAddress),
            ["response", "code_details"] => self
                .stream()
                .ok()?
                .attribute(Attribute::ResponseCodeDetails),
            _ => None,
        }
    }

    fn set_property(&mut self, name: &str, value: &[u8]) -> Result<(), Refused> {
        match self
            .stream()?
            .set_filter_state(&filter_state_key(name), value)
        {
            true => Ok(()),
            false => Err(refused("filter state refused")),
        }
    }

    fn plugin_configuration(&mut self) -> Result<Vec<u8>, Refused> {
        match &self.configuring {
            Some((configuration, _)) => Ok(configuration.to_vec()),
            None => Err(refused("no configuration in this hook")),
        }
    }

    fn shared_get(&mut self, key: &str) -> Result<(Option<Vec<u8>>, Option<u32>), Refused> {
        Ok(SHARED
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(key))
    }

    fn shared_set(&mut self, key: &str, value: &[u8], cas: Option<u32>) -> Result<(), SetError> {
        SHARED
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .set(key, value, cas)
    }

    fn define_metric(&mut self, kind: MetricKind, name: &str) -> Result<u32, Refused> {
        let id = match kind {
            MetricKind::Counter => self.config.define_counter(name),
            MetricKind::Gauge => self.config.define_gauge(name),
        };
        id.and_then(|id| u32::try_from(id).ok())
            .ok_or_else(|| refused("Envoy refused the metric"))
    }

    fn increment_metric(&mut self, id: u32) -> Result<(), Refused> {
        let id = usize::try_from(id).map_err(|_| refused("no such metric"))?;
        match self.stream()?.increment_counter(id) {
            true => Ok(()),
            false => Err(refused("Envoy refused the increment")),
        }
    }

    fn record_metric(&mut self, id: u32, value: u64) -> Result<(), Refused> {
        let id = usize::try_from(id).map_err(|_| refused("no such metric"))?;
        match self.config.set_gauge(id, value) {
            true => Ok(()),
            false => Err(refused("Envoy refused the gauge value")),
        }
    }

    fn set_tick_period(&mut self, period: Duration) -> Result<(), Refused> {
        match &mut self.configuring {
            Some((_, ticks)) => {
                **ticks = period;
                Ok(())
            }
            None => Err(refused("the tick period is set with the configuration")),
        }
    }

    fn log_enabled(&self, level_: Level) -> bool {
        abi::log_enabled(level(level_))
    }

    fn log(&mut self, level_: Level, line: &str) {
        abi::log(level(level_), line);
    }
}

/// Proxy-wide shared data as proxy-wasm defines it: each key's value and a version that a
/// compare-and-swap write must name.
#[derive(Debug, Default)]
struct SharedData(HashMap<String, (Vec<u8>, u32)>);

impl SharedData {
    fn get(&self, key: &str) -> (Option<Vec<u8>>, Option<u32>) {
        match self.0.get(key) {
            Some((value, version)) => (Some(value.clone()), Some(*version)),
            None => (None, None),
        }
    }

    /// Writes `value` if the key's version is still `cas` (`None`: unconditionally).
    fn set(&mut self, key: &str, value: &[u8], cas: Option<u32>) -> Result<(), SetError> {
        let current = self.0.get(key).map(|(_, version)| *version);
        if cas.is_some_and(|cas| current != Some(cas)) {
            return Err(SetError::CasMismatch);
        }
        let version = current.map_or(1, |version| version.wrapping_add(1));
        self.0.insert(key.to_string(), (value.to_vec(), version));
        Ok(())
    }
}

/// One filter configuration, shared by every worker.
pub(crate) struct FilterConfig {
    envoy: ConfigHandle,
    instance: String,
    /// The compiled configuration; locked only for the window checks.
    root: Mutex<Root>,
    /// A fresh request of this configuration, cloned for each.
    fresh: PluginStream,
    /// The unix second from which the next window check is due; `i64::MAX`: never (the
    /// configuration has no windows nor expiring credentials).
    next_check: AtomicI64,
}

impl FilterConfig {
    /// Compiles `config` for the filter `name` (the plugin instance's name); `None` when the
    /// plugin rejects it (it has logged why), which fails Envoy's configuration load.
    pub(crate) fn new(envoy: ConfigHandle, name: &[u8], config: &[u8]) -> Option<FilterConfig> {
        let instance = String::from_utf8_lossy(name).into_owned();
        let mut root = Root::new(Arc::clone(&VM));
        let mut ticks = Duration::ZERO;
        let mut host = Envoy {
            config: envoy,
            instance: &instance,
            configuring: Some((config, &mut ticks)),
            stream: None,
        };
        root.on_vm_start(&mut host);
        if !root.on_configure(&mut host) {
            return None;
        }
        let next_check = match ticks.is_zero() {
            true => i64::MAX,
            false => unix_now().map_or(0, |now| now.saturating_add(1)),
        };
        Some(FilterConfig {
            envoy,
            fresh: root.new_stream(),
            root: Mutex::new(root),
            instance,
            next_check: AtomicI64::new(next_check),
        })
    }

    /// The window check (`Root::on_tick`), at most once a second, by the first request that
    /// finds it due; a request never waits for another's check.
    fn check_windows(&self) {
        let due = self.next_check.load(Ordering::Relaxed);
        if due == i64::MAX {
            return;
        }
        let Some(now) = unix_now() else { return };
        if now < due
            || self
                .next_check
                .compare_exchange(
                    due,
                    now.saturating_add(1),
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                )
                .is_err()
        {
            return;
        }
        if let Ok(mut root) = self.root.try_lock() {
            let mut host = Envoy {
                config: self.envoy,
                instance: &self.instance,
                configuring: None,
                stream: None,
            };
            root.on_tick(&mut host);
        }
    }
}

/// A per-route configuration (`DynamicModuleFilterPerRoute`): refused with a clear message.
/// Envoy Gateway enables the filter per route with a plain `FilterConfig`, which needs none.
pub(crate) struct RouteConfig;

impl RouteConfig {
    pub(crate) fn new(_name: &[u8], _config: &[u8]) -> Option<RouteConfig> {
        abi::log(
            LogLevel::Error,
            "per-route configurations (DynamicModuleFilterPerRoute) are not supported: give the \
             route its own filter, or enable and disable the filter per route with FilterConfig",
        );
        None
    }
}

/// One request.
pub(crate) struct Filter {
    config: Arc<FilterConfig>,
    stream: PluginStream,
    #[cfg(feature = "fault-injection")]
    fault: Option<Vec<u8>>,
}

impl Filter {
    pub(crate) fn new(config: Arc<FilterConfig>) -> Filter {
        let stream = config.fresh.clone();
        Filter {
            config,
            stream,
            #[cfg(feature = "fault-injection")]
            fault: None,
        }
    }

    fn host<'a, 'h>(config: &'a FilterConfig, stream: &'a mut Stream<'h>) -> Envoy<'a, 'h> {
        Envoy {
            config: config.envoy,
            instance: &config.instance,
            configuring: None,
            stream: Some(stream),
        }
    }

    /// True: the request goes on; false: it was answered.
    pub(crate) fn on_request_headers(&mut self, mut stream: Stream) -> bool {
        #[cfg(feature = "fault-injection")]
        fault::inject(&mut stream, &mut self.fault, b"request");
        self.config.check_windows();
        let flow = self
            .stream
            .on_request_headers(&mut Filter::host(&self.config, &mut stream));
        flow == Flow::Continue
    }

    /// True: the response goes on; false: it was replaced.
    pub(crate) fn on_response_headers(&mut self, mut stream: Stream) -> bool {
        #[cfg(feature = "fault-injection")]
        fault::inject(&mut stream, &mut self.fault, b"response");
        let flow = self
            .stream
            .on_response_headers(&mut Filter::host(&self.config, &mut stream));
        flow == Flow::Continue
    }
}

/// Test builds only (`fault-injection`): a panic in the hook a request names, to show the panic
/// guard in `abi.rs` at work on the real Envoy.
#[cfg(feature = "fault-injection")]
mod fault {
    use crate::abi::Stream;

    const HEADER: &[u8] = b"x-maintenance-fault";

    /// Panics in `hook` when the request's fault header names it (read in the request phase).
    #[allow(clippy::panic)]
    pub(super) fn inject(stream: &mut Stream, fault: &mut Option<Vec<u8>>, hook: &[u8]) {
        if hook == b"request" {
            *fault = stream.request_headers().and_then(|headers| {
                let (_, value) = headers.iter().find(|(name, _)| *name == HEADER)?;
                Some(value.to_vec())
            });
        }
        if fault.as_deref() == Some(hook) {
            panic!(
                "fault injected in the {} hook",
                String::from_utf8_lossy(hook)
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_data_writes_only_over_the_version_it_read() {
        let mut shared = SharedData::default();
        assert_eq!(shared.get("k"), (None, None));
        // A write naming a version of a key nobody wrote is stale.
        assert_eq!(shared.set("k", b"x", Some(1)), Err(SetError::CasMismatch));
        assert_eq!(shared.set("k", b"a", None), Ok(()));
        let (value, version) = shared.get("k");
        assert_eq!(value.as_deref(), Some(&b"a"[..]));
        // Two writers read the same version: the first wins, the second must read again.
        assert_eq!(shared.set("k", b"b", version), Ok(()));
        assert_eq!(shared.set("k", b"c", version), Err(SetError::CasMismatch));
        assert_eq!(shared.get("k").0.as_deref(), Some(&b"b"[..]));
        let (_, newer) = shared.get("k");
        assert_ne!(newer, version);
        assert_eq!(shared.set("k", b"c", newer), Ok(()));
        // Keys are independent.
        assert_eq!(shared.get("other"), (None, None));
    }

    #[test]
    fn the_decision_property_has_the_wasm_filter_state_key() {
        // The access-log recipe (%FILTER_STATE(wasm.maintenance_mode.decision:PLAIN)%) serves both.
        assert_eq!(
            filter_state_key("maintenance_mode.decision"),
            "wasm.maintenance_mode.decision"
        );
        assert_eq!(filter_state_key("other"), "wasm.other");
    }
}
