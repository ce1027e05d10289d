//! What Envoy itself costs to run a dynamic module HTTP filter: every hook Envoy requires, each
//! doing nothing (the filter object is one static byte, so not even an allocation). The
//! benchmark's floor for the native module, as `bench/noop-filter` is for the wasm. The hooks
//! take no parameters: in the C calling convention a callee may ignore its arguments.

use std::ffi::{c_char, c_void};

/// The filter and configuration object Envoy hands back to every hook: never read.
static OBJECT: u8 = 0;

fn object() -> *const c_void {
    std::ptr::from_ref(&OBJECT).cast()
}

#[no_mangle]
extern "C" fn envoy_dynamic_module_on_program_init() -> *const c_char {
    c"v0.2.0".as_ptr()
}

#[no_mangle]
extern "C" fn envoy_dynamic_module_on_http_filter_config_new() -> *const c_void {
    object()
}

#[no_mangle]
extern "C" fn envoy_dynamic_module_on_http_filter_new() -> *const c_void {
    object()
}

// Every other hook: nothing to do; the status ones return 0 (Continue).
macro_rules! nothing {
    ($($name:ident),* $(,)?) => {$(
        #[no_mangle]
        extern "C" fn $name() {}
    )*};
}
macro_rules! continues {
    ($($name:ident),* $(,)?) => {$(
        #[no_mangle]
        extern "C" fn $name() -> u32 { 0 }
    )*};
}

nothing!(
    envoy_dynamic_module_on_http_filter_config_destroy,
    envoy_dynamic_module_on_http_filter_destroy,
    envoy_dynamic_module_on_http_filter_stream_complete,
    envoy_dynamic_module_on_http_filter_http_callout_done,
    envoy_dynamic_module_on_http_filter_http_stream_headers,
    envoy_dynamic_module_on_http_filter_http_stream_data,
    envoy_dynamic_module_on_http_filter_http_stream_trailers,
    envoy_dynamic_module_on_http_filter_http_stream_complete,
    envoy_dynamic_module_on_http_filter_http_stream_reset,
    envoy_dynamic_module_on_http_filter_scheduled,
    envoy_dynamic_module_on_http_filter_downstream_above_write_buffer_high_watermark,
    envoy_dynamic_module_on_http_filter_downstream_below_write_buffer_low_watermark,
);
continues!(
    envoy_dynamic_module_on_http_filter_request_headers,
    envoy_dynamic_module_on_http_filter_request_body,
    envoy_dynamic_module_on_http_filter_request_trailers,
    envoy_dynamic_module_on_http_filter_response_headers,
    envoy_dynamic_module_on_http_filter_response_body,
    envoy_dynamic_module_on_http_filter_response_trailers,
);
