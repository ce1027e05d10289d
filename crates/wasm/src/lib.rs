//! The maintenance-mode filter as a proxy-wasm HTTP filter: implements the core's `Host` with
//! the SDK and hands every callback to the core's `plugin`. The only crate that depends on
//! `proxy-wasm`; built for `wasm32-wasip1` (natively it compiles to nothing).
//!
//! No panic on host data. The SDK's hostcalls panic on any status they do not expect, and its
//! header-map readers panic on non-UTF-8 names or values (which another filter can add), so:
//! - every header-map call goes through the raw ABI below, turning each status into a
//!   `Result` and keeping names and values as bytes; so does `proxy_set_property` (Envoy
//!   answers NotFound outside a stream and BadArgument for a read-only value, which the SDK's
//!   `set_property` would turn into a panic);
//! - the remaining SDK calls are ones Envoy (1.40, proxy-wasm ABI 0.2.1) answers only with the
//!   statuses the SDK maps: `get_log_level`, `get_current_time`, `set_tick_period`, and `log`
//!   (used by the SDK's logger) always return Ok; `get_property` returns Ok, NotFound, SerializationFailure or
//!   InternalFailure (all mapped); `get_shared_data` returns Ok or NotFound, `set_shared_data`
//!   Ok or CasMismatch (both mapped); `get_buffer(PluginConfiguration)` returns Ok or NotFound;
//!   `define_metric` returns Ok for the plugin's constant, valid names; `increment_metric`
//!   and `record_metric` get only ids `define_metric` returned (Ok, or NotFound/BadArgument,
//!   mapped); `send_http_response` returns Ok while a stream is open,
//!   and the plugin sends at most one reply per stream from its own callbacks.
//! - a panic hook logs any panic left at critical level, so a crash is never silent.

#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::ptr::null_mut;
use std::rc::Rc;
use std::time::{Duration, UNIX_EPOCH};

use proxy_wasm::hostcalls;
use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{Action, BufferType, ContextType, LogLevel, MapType, MetricType, Status};

use maintenance_core::host::{Host, MetricKind, Refused, Reply, SetError};
use maintenance_core::plugin::{Flow, Root, Stream, VmState};

mod abi {
    use proxy_wasm::types::{LogLevel, MapType, Status};

    // The header-map calls of the proxy-wasm ABI, declared here so their statuses reach us
    // instead of the SDK's panics. Returned memory is allocated through the SDK's exported
    // `proxy_on_memory_allocate` (a boxed slice of exactly the returned size).
    #[link(wasm_import_module = "env")]
    extern "C" {
        pub(super) fn proxy_log(level: LogLevel, message: *const u8, size: usize) -> Status;
        pub(super) fn proxy_get_header_map_pairs(
            map: MapType,
            data: *mut *mut u8,
            size: *mut usize,
        ) -> Status;
        pub(super) fn proxy_get_header_map_value(
            map: MapType,
            key: *const u8,
            key_size: usize,
            data: *mut *mut u8,
            size: *mut usize,
        ) -> Status;
        pub(super) fn proxy_remove_header_map_value(
            map: MapType,
            key: *const u8,
            key_size: usize,
        ) -> Status;
        pub(super) fn proxy_replace_header_map_value(
            map: MapType,
            key: *const u8,
            key_size: usize,
            value: *const u8,
            value_size: usize,
        ) -> Status;
        pub(super) fn proxy_set_property(
            path: *const u8,
            path_size: usize,
            value: *const u8,
            value_size: usize,
        ) -> Status;
    }
}

/// Takes ownership of memory the host returned (see `abi`).
fn owned(data: *mut u8, size: usize) -> Vec<u8> {
    if data.is_null() {
        return Vec::new();
    }
    // SAFETY: the host filled `size` bytes it allocated with `proxy_on_memory_allocate(size)`,
    // which hands out a leaked `Box<[u8]>` of that length; this takes it back exactly once.
    unsafe { Vec::from_raw_parts(data, size, size) }
}

fn refused(status: Status) -> Refused {
    Refused(format!("{status:?}"))
}

fn map_value(map: MapType, name: &str) -> Option<Vec<u8>> {
    let (mut data, mut size) = (null_mut(), 0);
    // SAFETY: valid key pointer and length; out-pointers to locals.
    let status = unsafe {
        abi::proxy_get_header_map_value(map, name.as_ptr(), name.len(), &mut data, &mut size)
    };
    let value = owned(data, size);
    (status == Status::Ok).then_some(value)
}

fn replace_map_value(map: MapType, name: &str, value: &[u8]) -> Result<(), Refused> {
    let (key, len) = (name.as_ptr(), name.len());
    // SAFETY: valid key and value pointers and lengths.
    match unsafe { abi::proxy_replace_header_map_value(map, key, len, value.as_ptr(), value.len()) }
    {
        Status::Ok => Ok(()),
        status => Err(refused(status)),
    }
}

/// Proxy-wasm, as the plugin sees it.
struct ProxyWasm;

impl Host for ProxyWasm {
    fn request_header_map(&mut self) -> Result<Vec<u8>, Refused> {
        let (mut data, mut size) = (null_mut(), 0);
        // SAFETY: out-pointers to locals.
        let status = unsafe {
            abi::proxy_get_header_map_pairs(MapType::HttpRequestHeaders, &mut data, &mut size)
        };
        let bytes = owned(data, size);
        match status {
            Status::Ok => Ok(bytes),
            status => Err(refused(status)),
        }
    }

    fn request_header(&mut self, name: &str) -> Option<Vec<u8>> {
        map_value(MapType::HttpRequestHeaders, name)
    }

    fn remove_request_header(&mut self, name: &str) -> Result<(), Refused> {
        let map = MapType::HttpRequestHeaders;
        // SAFETY: valid key pointer and length.
        match unsafe { abi::proxy_remove_header_map_value(map, name.as_ptr(), name.len()) } {
            Status::Ok => Ok(()),
            status => Err(refused(status)),
        }
    }

    fn set_request_header(&mut self, name: &str, value: &[u8]) -> Result<(), Refused> {
        replace_map_value(MapType::HttpRequestHeaders, name, value)
    }

    fn response_header(&mut self, name: &str) -> Option<Vec<u8>> {
        map_value(MapType::HttpResponseHeaders, name)
    }

    fn set_response_header(&mut self, name: &str, value: &[u8]) -> Result<(), Refused> {
        replace_map_value(MapType::HttpResponseHeaders, name, value)
    }

    fn send_reply(&mut self, reply: Reply) -> Result<(), Refused> {
        match reply {
            Reply::Http {
                status,
                headers,
                body,
            } => hostcalls::send_http_response(u32::from(status), headers, body),
        }
        .map_err(refused)
    }

    fn now(&mut self) -> Option<i64> {
        let since = hostcalls::get_current_time()
            .ok()?
            .duration_since(UNIX_EPOCH)
            .ok()?;
        i64::try_from(since.as_secs()).ok()
    }

    fn property(&mut self, path: &[&str]) -> Option<Vec<u8>> {
        hostcalls::get_property(path.to_vec()).ok().flatten()
    }

    fn set_property(&mut self, name: &str, value: &[u8]) -> Result<(), Refused> {
        // A one-part property path is the name itself (parts are NUL-separated).
        // SAFETY: valid path and value pointers and lengths.
        match unsafe {
            abi::proxy_set_property(name.as_ptr(), name.len(), value.as_ptr(), value.len())
        } {
            Status::Ok => Ok(()),
            status => Err(refused(status)),
        }
    }

    fn plugin_configuration(&mut self) -> Result<Vec<u8>, Refused> {
        hostcalls::get_buffer(BufferType::PluginConfiguration, 0, usize::MAX)
            .map(Option::unwrap_or_default)
            .map_err(refused)
    }

    fn shared_get(&mut self, key: &str) -> Result<(Option<Vec<u8>>, Option<u32>), Refused> {
        hostcalls::get_shared_data(key).map_err(refused)
    }

    fn shared_set(&mut self, key: &str, value: &[u8], cas: Option<u32>) -> Result<(), SetError> {
        hostcalls::set_shared_data(key, Some(value), cas).map_err(|status| match status {
            Status::CasMismatch => SetError::CasMismatch,
            status => SetError::Refused(refused(status)),
        })
    }

    fn define_metric(&mut self, kind: MetricKind, name: &str) -> Result<u32, Refused> {
        let kind = match kind {
            MetricKind::Counter => MetricType::Counter,
            MetricKind::Gauge => MetricType::Gauge,
        };
        hostcalls::define_metric(kind, name).map_err(refused)
    }

    fn increment_metric(&mut self, id: u32) -> Result<(), Refused> {
        hostcalls::increment_metric(id, 1).map_err(refused)
    }

    fn record_metric(&mut self, id: u32, value: u64) -> Result<(), Refused> {
        hostcalls::record_metric(id, value).map_err(refused)
    }

    fn set_tick_period(&mut self, period: Duration) -> Result<(), Refused> {
        hostcalls::set_tick_period(period).map_err(refused)
    }

    fn log_enabled(&self, level: log::Level) -> bool {
        level <= log::max_level()
    }

    fn log(&mut self, level: log::Level, line: &str) {
        log::log!(level, "{line}");
    }
}

/// Follows the host's log level so debug lines cost nothing unless Envoy asks for them.
fn sync_log_level() {
    if let Ok(level) = hostcalls::get_log_level() {
        proxy_wasm::set_log_level(level);
    }
}

fn flow(flow: Flow) -> Action {
    match flow {
        Flow::Continue => Action::Continue,
        Flow::Pause => Action::Pause,
    }
}

proxy_wasm::main! {{
    // Installs the SDK's logger (and its panic hook, replaced below).
    proxy_wasm::set_log_level(LogLevel::Info);
    std::panic::set_hook(Box::new(|panic| {
        // The raw log call: the SDK's would panic again on an unexpected status.
        let line = format!("maintenance-mode panicked (the VM stops): {panic}");
        // SAFETY: valid message pointer and length.
        let _ = unsafe { abi::proxy_log(LogLevel::Critical, line.as_ptr(), line.len()) };
    }));
    proxy_wasm::set_root_context(|_| -> Box<dyn RootContext> {
        Box::new(RootAdapter(Root::new(VM.with(Rc::clone))))
    });
}}

thread_local! {
    /// What this VM remembers across its root contexts (one VM is one wasm instance).
    static VM: Rc<RefCell<VmState>> = Rc::default();
}

struct RootAdapter(Root);

impl Context for RootAdapter {}

impl RootContext for RootAdapter {
    fn on_vm_start(&mut self, _vm_configuration_size: usize) -> bool {
        sync_log_level();
        self.0.on_vm_start(&mut ProxyWasm)
    }

    fn on_configure(&mut self, _plugin_configuration_size: usize) -> bool {
        sync_log_level();
        let applied = self.0.on_configure(&mut ProxyWasm);
        // For `make bench`: this VM's linear memory, which never shrinks (its peak so far).
        if log::log_enabled!(log::Level::Debug) {
            let pages = core::arch::wasm32::memory_size(0);
            log::debug!("linear memory after configuration: {} bytes", pages * 65536);
        }
        applied
    }

    fn on_tick(&mut self) {
        self.0.on_tick(&mut ProxyWasm);
    }

    fn create_http_context(&self, _context_id: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(StreamAdapter(self.0.new_stream())))
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}

struct StreamAdapter(Stream);

impl Context for StreamAdapter {}

impl HttpContext for StreamAdapter {
    fn on_http_request_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        flow(self.0.on_request_headers(&mut ProxyWasm))
    }

    fn on_http_response_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        flow(self.0.on_response_headers(&mut ProxyWasm))
    }
}
