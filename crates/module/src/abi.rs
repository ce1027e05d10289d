//! Envoy's dynamic-module ABI, as far as this module uses it: the only `unsafe` in the crate.
//!
//! Declared by hand from `source/extensions/dynamic_modules/abi/abi.h` in Envoy's repository
//! (the HTTP filter section): every event hook the loader requires of an HTTP filter module
//! (it refuses a module that lacks one), and the callbacks `filter.rs` calls. Each callback used
//! here is exported by the pinned Envoy binary (`make module-abi-check` checks the version Envoy
//! reports). C enums are `int`s: they cross as `u32`.
//!
//! Ownership, as the header states it: buffers Envoy hands in (names, configurations, header
//! maps) are valid until the hook returns; the module owns its configuration and filter objects
//! and frees them in the matching `*_destroy` hook.
//!
//! No panic crosses into Envoy: every hook runs inside [`guarded`]; a panic is logged at
//! critical level (by the hook installed in `on_program_init`), the request is answered with a
//! 503 (fail closed, like the wasm's default fail strategy) and the stream's later hooks let
//! the reply through untouched.

use std::ffi::{c_char, c_void, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use crate::filter::{Filter, FilterConfig, RouteConfig};

/// The ABI version the module is written against: Envoy 1.40's. Envoy logs "Dynamic module ABI
/// version v0.2.0 matched." when it expects the same.
pub(crate) const ABI_VERSION: &CStr = c"v0.2.0";

/// `envoy_dynamic_module_type_{envoy,module}_buffer`: bytes owned by one side.
#[repr(C)]
#[derive(Clone, Copy)]
struct Buffer {
    ptr: *const u8,
    length: usize,
}

impl Buffer {
    fn of(bytes: &[u8]) -> Buffer {
        Buffer {
            ptr: bytes.as_ptr(),
            length: bytes.len(),
        }
    }

    const NULL: Buffer = Buffer {
        ptr: std::ptr::null(),
        length: 0,
    };

    /// The bytes (empty for a null buffer).
    ///
    /// # Safety
    /// `ptr` is null or points at `length` bytes valid for `'a`.
    unsafe fn bytes<'a>(self) -> &'a [u8] {
        match self.ptr.is_null() {
            true => &[],
            // SAFETY: the caller's promise.
            false => unsafe { std::slice::from_raw_parts(self.ptr, self.length) },
        }
    }
}

/// `envoy_dynamic_module_type_{envoy,module}_http_header`.
#[repr(C)]
#[derive(Clone, Copy)]
struct Header {
    key: Buffer,
    value: Buffer,
}

/// `envoy_dynamic_module_type_http_header_type`.
const REQUEST_HEADERS: u32 = 0;
const RESPONSE_HEADERS: u32 = 2;

/// `envoy_dynamic_module_type_on_http_filter_*_status`: the same two values for every phase.
const CONTINUE: u32 = 0;
const STOP_ITERATION: u32 = 1;

/// `envoy_dynamic_module_type_metrics_result_Success`.
const METRICS_SUCCESS: u32 = 0;

/// `envoy_dynamic_module_type_log_level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub(crate) enum LogLevel {
    Trace = 0,
    Debug = 1,
    Info = 2,
    Warn = 3,
    Error = 4,
    Critical = 5,
}

/// `envoy_dynamic_module_type_attribute_id`: the attributes the plugin reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub(crate) enum Attribute {
    /// `response.code_details`.
    ResponseCodeDetails = 16,
    /// `source.address`: `ip:port`.
    SourceAddress = 24,
}

type EnvoyPtr = *mut c_void;
type ModulePtr = *const c_void;

extern "C" {
    fn envoy_dynamic_module_callback_log(level: u32, message: Buffer);
    fn envoy_dynamic_module_callback_log_enabled(level: u32) -> bool;
    fn envoy_dynamic_module_callback_http_get_headers_size(filter: EnvoyPtr, kind: u32) -> usize;
    fn envoy_dynamic_module_callback_http_get_headers(
        filter: EnvoyPtr,
        kind: u32,
        result: *mut Header,
    ) -> bool;
    fn envoy_dynamic_module_callback_http_get_header(
        filter: EnvoyPtr,
        kind: u32,
        key: Buffer,
        result: *mut Buffer,
        index: usize,
        count: *mut usize,
    ) -> bool;
    fn envoy_dynamic_module_callback_http_set_header(
        filter: EnvoyPtr,
        kind: u32,
        key: Buffer,
        value: Buffer,
    ) -> bool;
    fn envoy_dynamic_module_callback_http_send_response(
        filter: EnvoyPtr,
        status: u32,
        headers: *const Header,
        headers_size: usize,
        body: Buffer,
        details: Buffer,
    );
    fn envoy_dynamic_module_callback_http_set_filter_state_bytes(
        filter: EnvoyPtr,
        key: Buffer,
        value: Buffer,
    ) -> bool;
    fn envoy_dynamic_module_callback_http_filter_get_attribute_string(
        filter: EnvoyPtr,
        attribute: u32,
        result: *mut Buffer,
    ) -> bool;
    fn envoy_dynamic_module_callback_http_filter_config_define_counter(
        config: EnvoyPtr,
        name: Buffer,
        label_names: *const Buffer,
        label_names_length: usize,
        id: *mut usize,
    ) -> u32;
    fn envoy_dynamic_module_callback_http_filter_config_define_gauge(
        config: EnvoyPtr,
        name: Buffer,
        label_names: *const Buffer,
        label_names_length: usize,
        id: *mut usize,
    ) -> u32;
    fn envoy_dynamic_module_callback_http_filter_increment_counter(
        filter: EnvoyPtr,
        id: usize,
        label_values: *const Buffer,
        label_values_length: usize,
        value: u64,
    ) -> u32;
    fn envoy_dynamic_module_callback_http_filter_config_set_gauge(
        config: EnvoyPtr,
        id: usize,
        label_values: *const Buffer,
        label_values_length: usize,
        value: u64,
    ) -> u32;
}

/// Logs `line` under Envoy's `dynamic_modules` logger.
pub(crate) fn log(level: LogLevel, line: &str) {
    // SAFETY: a valid buffer for the duration of the call.
    unsafe { envoy_dynamic_module_callback_log(level as u32, Buffer::of(line.as_bytes())) }
}

/// Whether Envoy logs lines at `level`.
pub(crate) fn log_enabled(level: LogLevel) -> bool {
    // SAFETY: no pointers.
    unsafe { envoy_dynamic_module_callback_log_enabled(level as u32) }
}

/// Envoy's object for one filter configuration (`DynamicModuleHttpFilterConfig`): it defines
/// metrics, and sets gauges from any thread. Valid until `on_http_filter_config_destroy`,
/// which drops the module's configuration (the only holder of this handle) first.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConfigHandle(EnvoyPtr);

// SAFETY: Envoy's stats are thread-safe; the handle is used only for metrics while the
// configuration lives (see above).
unsafe impl Send for ConfigHandle {}
// SAFETY: as for Send.
unsafe impl Sync for ConfigHandle {}

impl ConfigHandle {
    fn define(&self, gauge: bool, name: &str) -> Option<usize> {
        let mut id = 0;
        let name = Buffer::of(name.as_bytes());
        // SAFETY: a live configuration, a valid name, no labels, an out-pointer to a local.
        let result = unsafe {
            match gauge {
                true => envoy_dynamic_module_callback_http_filter_config_define_gauge(
                    self.0,
                    name,
                    std::ptr::null(),
                    0,
                    &mut id,
                ),
                false => envoy_dynamic_module_callback_http_filter_config_define_counter(
                    self.0,
                    name,
                    std::ptr::null(),
                    0,
                    &mut id,
                ),
            }
        };
        (result == METRICS_SUCCESS).then_some(id)
    }

    /// Defines a counter (at configuration time only); its id.
    pub(crate) fn define_counter(&self, name: &str) -> Option<usize> {
        self.define(false, name)
    }

    /// Defines a gauge (at configuration time only); its id.
    pub(crate) fn define_gauge(&self, name: &str) -> Option<usize> {
        self.define(true, name)
    }

    pub(crate) fn set_gauge(&self, id: usize, value: u64) -> bool {
        // SAFETY: a live configuration, no labels.
        let result = unsafe {
            envoy_dynamic_module_callback_http_filter_config_set_gauge(
                self.0,
                id,
                std::ptr::null(),
                0,
                value,
            )
        };
        result == METRICS_SUCCESS
    }
}

/// Envoy's object for one request (`DynamicModuleHttpFilter`), usable only inside the hook that
/// handed it over: the handle cannot leave it (it borrows the hook's lifetime `'h`), and
/// header bytes read through it are borrowed from it, so no change can invalidate them.
#[derive(Debug)]
pub(crate) struct Stream<'h> {
    ptr: EnvoyPtr,
    hook: std::marker::PhantomData<&'h ()>,
}

impl<'h> Stream<'h> {
    /// Every request header, as Envoy holds them (names lower case), borrowed: the bytes stay
    /// valid until the hook returns or a header is changed, which the borrow of `self` prevents.
    pub(crate) fn request_headers(&mut self) -> Option<Headers<'_>> {
        // SAFETY: a live stream.
        let count = unsafe {
            envoy_dynamic_module_callback_http_get_headers_size(self.ptr, REQUEST_HEADERS)
        };
        let mut raw: Vec<Header> = Vec::with_capacity(count);
        // SAFETY: room for `count` headers, as Envoy asked; Envoy writes each of them.
        let read = unsafe {
            envoy_dynamic_module_callback_http_get_headers(
                self.ptr,
                REQUEST_HEADERS,
                raw.as_mut_ptr(),
            )
        };
        if !read {
            return None;
        }
        // SAFETY: Envoy initialized all `count` entries (it reported success).
        unsafe { raw.set_len(count) };
        Some(Headers {
            raw,
            stream: std::marker::PhantomData,
        })
    }

    /// The first value of a request header.
    pub(crate) fn request_header(&mut self, name: &str) -> Option<Vec<u8>> {
        self.header(REQUEST_HEADERS, name)
    }

    /// The first value of a response header.
    pub(crate) fn response_header(&mut self, name: &str) -> Option<Vec<u8>> {
        self.header(RESPONSE_HEADERS, name)
    }

    fn header(&mut self, map: u32, name: &str) -> Option<Vec<u8>> {
        let mut value = Buffer::NULL;
        let mut count = 0;
        // SAFETY: a live stream, a valid key, out-pointers to locals.
        let found = unsafe {
            envoy_dynamic_module_callback_http_get_header(
                self.ptr,
                map,
                Buffer::of(name.as_bytes()),
                &mut value,
                0,
                &mut count,
            )
        };
        // SAFETY: Envoy's bytes, copied before the hook returns.
        (found && count > 0).then(|| unsafe { value.bytes() }.to_vec())
    }

    /// Replaces every request header `name` by one with `value`; `None` removes them.
    pub(crate) fn set_request_header(&mut self, name: &str, value: Option<&[u8]>) -> bool {
        let value = value.map_or(Buffer::NULL, Buffer::of);
        // SAFETY: a live stream and valid buffers (a null value removes the header).
        unsafe {
            envoy_dynamic_module_callback_http_set_header(
                self.ptr,
                REQUEST_HEADERS,
                Buffer::of(name.as_bytes()),
                value,
            )
        }
    }

    /// Replaces every response header `name` by one with `value`.
    pub(crate) fn set_response_header(&mut self, name: &str, value: &[u8]) -> bool {
        // SAFETY: a live stream and valid buffers.
        unsafe {
            envoy_dynamic_module_callback_http_set_header(
                self.ptr,
                RESPONSE_HEADERS,
                Buffer::of(name.as_bytes()),
                Buffer::of(value),
            )
        }
    }

    /// Answers locally (Envoy adds `content-length`); `details` is the response code details
    /// the access log shows.
    pub(crate) fn send_response(
        &mut self,
        status: u16,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
        details: &str,
    ) {
        let headers: Vec<Header> = headers
            .iter()
            .map(|(name, value)| Header {
                key: Buffer::of(name.as_bytes()),
                value: Buffer::of(value.as_bytes()),
            })
            .collect();
        // SAFETY: a live stream; the header array and buffers outlive the call (Envoy copies).
        unsafe {
            envoy_dynamic_module_callback_http_send_response(
                self.ptr,
                u32::from(status),
                headers.as_ptr(),
                headers.len(),
                body.map_or(Buffer::NULL, Buffer::of),
                Buffer::of(details.as_bytes()),
            )
        }
    }

    /// Sets a filter-state value of this stream (Envoy's access log prints it with
    /// `%FILTER_STATE(key:PLAIN)%`).
    pub(crate) fn set_filter_state(&mut self, key: &str, value: &[u8]) -> bool {
        // SAFETY: a live stream and valid buffers.
        unsafe {
            envoy_dynamic_module_callback_http_set_filter_state_bytes(
                self.ptr,
                Buffer::of(key.as_bytes()),
                Buffer::of(value),
            )
        }
    }

    /// A string attribute of the stream, copied.
    pub(crate) fn attribute(&mut self, attribute: Attribute) -> Option<Vec<u8>> {
        let mut value = Buffer::NULL;
        // SAFETY: a live stream, an out-pointer to a local.
        let found = unsafe {
            envoy_dynamic_module_callback_http_filter_get_attribute_string(
                self.ptr,
                attribute as u32,
                &mut value,
            )
        };
        // SAFETY: Envoy's bytes, copied before the hook returns.
        found.then(|| unsafe { value.bytes() }.to_vec())
    }

    /// Adds one to a counter the stream's configuration defined.
    pub(crate) fn increment_counter(&mut self, id: usize) -> bool {
        // SAFETY: a live stream, no labels.
        let result = unsafe {
            envoy_dynamic_module_callback_http_filter_increment_counter(
                self.ptr,
                id,
                std::ptr::null(),
                0,
                1,
            )
        };
        result == METRICS_SUCCESS
    }
}

/// A stream's request headers, borrowed from Envoy (see [`Stream::request_headers`]).
pub(crate) struct Headers<'s> {
    raw: Vec<Header>,
    stream: std::marker::PhantomData<&'s mut ()>,
}

impl Headers<'_> {
    /// (name, value) pairs in Envoy's order.
    pub(crate) fn iter(&self) -> impl ExactSizeIterator<Item = (&[u8], &[u8])> + Clone {
        // SAFETY: Envoy's bytes, valid while the stream is borrowed (see `request_headers`),
        // which outlives `self`.
        self.raw
            .iter()
            .map(|header| unsafe { (header.key.bytes(), header.value.bytes()) })
    }
}

/// The message of a panic payload.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a panic")
}

/// Runs a hook body; a panic becomes `fallback`, logged at critical level with what Envoy
/// does then (`outcome`).
fn guarded<R>(hook: &str, outcome: &str, fallback: R, body: impl FnOnce() -> R) -> R {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|payload| {
        log(
            LogLevel::Critical,
            &format!(
                "maintenance-mode: {hook} failed ({}); {outcome}",
                panic_message(&*payload)
            ),
        );
        fallback
    })
}

/// The reply of a request whose hook panicked: fail closed, as the wasm's default fail
/// strategy (a broken filter must not let a request through that maintenance would stop).
fn fail_closed(stream: &mut Stream) {
    stream.send_response(
        503,
        &[
            ("cache-control", "no-store"),
            ("content-type", "text/plain"),
        ],
        Some(b"Service Unavailable\n"),
        "maintenance_mode_failed",
    );
}

// Envoy hands the configuration objects to every worker and may move a request's filter between
// threads; the raw pointers below would hide it if they could not go.
const _: () = {
    const fn shared<T: Send + Sync>() {}
    const fn sent<T: Send>() {}
    shared::<FilterConfig>();
    shared::<RouteConfig>();
    sent::<FilterBox>();
};

/// One request's filter object, as Envoy holds it.
struct FilterBox {
    filter: Filter,
    /// A hook of this stream panicked and the request was answered: hands off from now on.
    failed: bool,
}

/// Runs a request hook: the body's status, or after a panic the 503 and `StopIteration`.
///
/// # Safety
/// `filter_module` is a pointer `on_http_filter_new` returned and Envoy has not destroyed;
/// `filter_envoy` is the live stream Envoy passed with it.
unsafe fn request_hook(
    hook: &str,
    filter_envoy: EnvoyPtr,
    filter_module: ModulePtr,
    body: impl FnOnce(&mut Filter, Stream) -> bool,
) -> u32 {
    // SAFETY: the caller's promise; Envoy calls one stream's hooks on one thread, one at a time.
    let state = unsafe { &mut *(filter_module as *mut FilterBox) };
    if state.failed {
        return CONTINUE;
    }
    let stream = Stream {
        ptr: filter_envoy,
        hook: std::marker::PhantomData,
    };
    let outcome = catch_unwind(AssertUnwindSafe(|| body(&mut state.filter, stream)));
    match outcome {
        Ok(true) => CONTINUE,
        Ok(false) => STOP_ITERATION,
        Err(payload) => {
            state.failed = true;
            log(
                LogLevel::Critical,
                &format!(
                    "maintenance-mode: {hook} failed ({}); the request is answered 503",
                    panic_message(&*payload)
                ),
            );
            let mut stream = Stream {
                ptr: filter_envoy,
                hook: std::marker::PhantomData,
            };
            // Sending the reply must not panic across the boundary either.
            let _ = catch_unwind(AssertUnwindSafe(|| fail_closed(&mut stream)));
            STOP_ITERATION
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Event hooks. The test build leaves them out: they call into Envoy, which a test binary cannot
// link.

#[cfg_attr(not(test), no_mangle)]
extern "C" fn envoy_dynamic_module_on_program_init() -> *const c_char {
    guarded(
        "program init",
        "Envoy does not load the module",
        std::ptr::null(),
        || {
            // The panic hook logs through Envoy (the default would print to stderr only).
            std::panic::set_hook(Box::new(|info| {
                let location = info
                    .location()
                    .map(|at| format!(" at {}:{}", at.file(), at.line()))
                    .unwrap_or_default();
                let message = panic_message(info.payload());
                log(
                    LogLevel::Critical,
                    &format!("maintenance-mode panicked{location}: {message}"),
                );
            }));
            ABI_VERSION.as_ptr()
        },
    )
}

#[cfg_attr(not(test), no_mangle)]
extern "C" fn envoy_dynamic_module_on_http_filter_config_new(
    config_envoy: EnvoyPtr,
    name: Buffer,
    config: Buffer,
) -> ModulePtr {
    guarded(
        "configuration",
        "Envoy rejects it",
        std::ptr::null(),
        || {
            // SAFETY: Envoy's buffers, valid during this call.
            let (name, config) = unsafe { (name.bytes(), config.bytes()) };
            match FilterConfig::new(ConfigHandle(config_envoy), name, config) {
                Some(config) => Arc::into_raw(Arc::new(config)).cast(),
                None => std::ptr::null(),
            }
        },
    )
}

#[cfg_attr(not(test), no_mangle)]
extern "C" fn envoy_dynamic_module_on_http_filter_config_destroy(config: ModulePtr) {
    guarded("configuration destroy", "its memory stays", (), || {
        // SAFETY: the pointer `on_http_filter_config_new` made with `Arc::into_raw`, destroyed
        // once by Envoy.
        drop(unsafe { Arc::from_raw(config.cast::<FilterConfig>()) });
    })
}

#[cfg_attr(not(test), no_mangle)]
extern "C" fn envoy_dynamic_module_on_http_filter_per_route_config_new(
    name: Buffer,
    config: Buffer,
) -> ModulePtr {
    guarded(
        "route configuration",
        "Envoy rejects it",
        std::ptr::null(),
        || {
            // SAFETY: Envoy's buffers, valid during this call.
            let (name, config) = unsafe { (name.bytes(), config.bytes()) };
            match RouteConfig::new(name, config) {
                Some(config) => Arc::into_raw(Arc::new(config)).cast(),
                None => std::ptr::null(),
            }
        },
    )
}

#[cfg_attr(not(test), no_mangle)]
extern "C" fn envoy_dynamic_module_on_http_filter_per_route_config_destroy(config: ModulePtr) {
    guarded(
        "route configuration destroy",
        "its memory stays",
        (),
        || {
            // SAFETY: the pointer `on_http_filter_per_route_config_new` made with `Arc::into_raw`,
            // destroyed once by Envoy.
            drop(unsafe { Arc::from_raw(config.cast::<RouteConfig>()) });
        },
    )
}

#[cfg_attr(not(test), no_mangle)]
extern "C" fn envoy_dynamic_module_on_http_filter_new(
    config: ModulePtr,
    _filter_envoy: EnvoyPtr,
) -> ModulePtr {
    // Without a filter object Envoy closes the stream: fail closed.
    guarded(
        "the request's filter",
        "Envoy closes the stream",
        std::ptr::null(),
        || {
            let config = config.cast::<FilterConfig>();
            // SAFETY: a live configuration from `on_http_filter_config_new`: take a reference of
            // our own for the stream.
            let config = unsafe {
                Arc::increment_strong_count(config);
                Arc::from_raw(config)
            };
            let filter = Box::new(FilterBox {
                filter: Filter::new(config),
                failed: false,
            });
            Box::into_raw(filter).cast_const().cast()
        },
    )
}

#[cfg_attr(not(test), no_mangle)]
extern "C" fn envoy_dynamic_module_on_http_filter_destroy(filter_module: ModulePtr) {
    guarded("filter destroy", "its memory stays", (), || {
        // SAFETY: the box `on_http_filter_new` made, destroyed once by Envoy.
        drop(unsafe { Box::from_raw(filter_module as *mut FilterBox) });
    })
}

#[cfg_attr(not(test), no_mangle)]
extern "C" fn envoy_dynamic_module_on_http_filter_request_headers(
    filter_envoy: EnvoyPtr,
    filter_module: ModulePtr,
    _end_of_stream: bool,
) -> u32 {
    // SAFETY: Envoy's live stream and the filter it got from `on_http_filter_new`.
    unsafe {
        request_hook(
            "request headers",
            filter_envoy,
            filter_module,
            |filter, stream| filter.on_request_headers(stream),
        )
    }
}

#[cfg_attr(not(test), no_mangle)]
extern "C" fn envoy_dynamic_module_on_http_filter_response_headers(
    filter_envoy: EnvoyPtr,
    filter_module: ModulePtr,
    _end_of_stream: bool,
) -> u32 {
    // SAFETY: Envoy's live stream and the filter it got from `on_http_filter_new`.
    unsafe {
        request_hook(
            "response headers",
            filter_envoy,
            filter_module,
            |filter, stream| filter.on_response_headers(stream),
        )
    }
}

// The hooks the filter has no use for: the loader requires them all. They touch nothing, so
// they cannot panic.

#[cfg_attr(not(test), no_mangle)]
extern "C" fn envoy_dynamic_module_on_http_filter_request_body(
    _filter_envoy: EnvoyPtr,
    _filter_module: ModulePtr,
    _end_of_stream: bool,
) -> u32 {
    CONTINUE
}

#[cfg_attr(not(test), no_mangle)]
extern "C" fn envoy_dynamic_module_on_http_filter_request_trailers(
    _filter_envoy: EnvoyPtr,
    _filter_module: ModulePtr,
) -> u32 {
    CONTINUE
}

#[cfg_attr(not(test), no_mangle)]
extern "C" fn envoy_dynamic_module_on_http_filter_response_body(
    _filter_envoy: EnvoyPtr,
    _filter_module: ModulePtr,
    _end_of_stream: bool,
) -> u32 {
    CONTINUE
}

#[cfg_attr(not(test), no_mangle)]
extern "C" fn envoy_dynamic_module_on_http_filter_response_trailers(
    _filter_envoy: EnvoyPtr,
    _filter_module: ModulePtr,
) -> u32 {
    CONTINUE
}

#[cfg_attr(not(test), no_mangle)]
extern "C" fn envoy_dynamic_module_on_http_filter_stream_complete(
    _filter_envoy: EnvoyPtr,
    _filter_module: ModulePtr,
) {
}

#[cfg_attr(not(test), no_mangle)]
#[allow(clippy::too_many_arguments)]
extern "C" fn envoy_dynamic_module_on_http_filter_http_callout_done(
    _filter_envoy: EnvoyPtr,
    _filter_module: ModulePtr,
    _callout_id: u64,
    _result: u32,
    _headers: *const Header,
    _headers_size: usize,
    _body_chunks: *const Buffer,
    _body_chunks_size: usize,
) {
}

#[cfg_attr(not(test), no_mangle)]
extern "C" fn envoy_dynamic_module_on_http_filter_http_stream_headers(
    _filter_envoy: EnvoyPtr,
    _filter_module: ModulePtr,
    _stream_id: u64,
    _headers: *const Header,
    _headers_size: usize,
    _end_stream: bool,
) {
}

#[cfg_attr(not(test), no_mangle)]
extern "C" fn envoy_dynamic_module_on_http_filter_http_stream_data(
    _filter_envoy: EnvoyPtr,
    _filter_module: ModulePtr,
    _stream_id: u64,
    _data: *const Buffer,
    _data_count: usize,
    _end_stream: bool,
) {
}

#[cfg_attr(not(test), no_mangle)]
extern "C" fn envoy_dynamic_module_on_http_filter_http_stream_trailers(
    _filter_envoy: EnvoyPtr,
    _filter_module: ModulePtr,
    _stream_id: u64,
    _trailers: *const Header,
    _trailers_size: usize,
) {
}

#[cfg_attr(not(test), no_mangle)]
extern "C" fn envoy_dynamic_module_on_http_filter_http_stream_complete(
    _filter_envoy: EnvoyPtr,
    _filter_module: ModulePtr,
    _stream_id: u64,
) {
}

#[cfg_attr(not(test), no_mangle)]
extern "C" fn envoy_dynamic_module_on_http_filter_http_stream_reset(
    _filter_envoy: EnvoyPtr,
    _filter_module: ModulePtr,
    _stream_id: u64,
    _reason: u32,
) {
}

#[cfg_attr(not(test), no_mangle)]
extern "C" fn envoy_dynamic_module_on_http_filter_scheduled(
    _filter_envoy: EnvoyPtr,
    _filter_module: ModulePtr,
    _event_id: u64,
) {
}

#[cfg_attr(not(test), no_mangle)]
extern "C" fn envoy_dynamic_module_on_http_filter_downstream_above_write_buffer_high_watermark(
    _filter_envoy: EnvoyPtr,
    _filter_module: ModulePtr,
) {
}

#[cfg_attr(not(test), no_mangle)]
extern "C" fn envoy_dynamic_module_on_http_filter_downstream_below_write_buffer_low_watermark(
    _filter_envoy: EnvoyPtr,
    _filter_module: ModulePtr,
) {
}
