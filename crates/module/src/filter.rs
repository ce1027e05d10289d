//! The filter: one configuration shared by every worker, one object per request.

use std::sync::Arc;

use crate::abi::{self, ConfigHandle, LogLevel, Stream};

/// The `filter_name` this module answers to.
const FILTER_NAME: &[u8] = b"maintenance-mode";

/// One filter configuration, shared by all workers.
pub(crate) struct FilterConfig {
    reason: String,
}

impl FilterConfig {
    pub(crate) fn new(_envoy: ConfigHandle, name: &[u8], config: &[u8]) -> Option<FilterConfig> {
        if name != FILTER_NAME {
            abi::log(
                LogLevel::Error,
                &format!(
                    "unknown filter_name {:?}: this module provides {:?}",
                    String::from_utf8_lossy(name),
                    String::from_utf8_lossy(FILTER_NAME)
                ),
            );
            return None;
        }
        Some(FilterConfig {
            reason: String::from_utf8_lossy(config).into_owned(),
        })
    }
}

/// A per-route configuration.
pub(crate) struct RouteConfig;

impl RouteConfig {
    pub(crate) fn new(_name: &[u8], _config: &[u8]) -> Option<RouteConfig> {
        Some(RouteConfig)
    }
}

/// One request.
pub(crate) struct Filter {
    config: Arc<FilterConfig>,
}

impl Filter {
    pub(crate) fn new(config: Arc<FilterConfig>) -> Filter {
        Filter { config }
    }

    /// True: go on; false: stop (answered).
    pub(crate) fn on_request_headers(&mut self, mut stream: Stream) -> bool {
        let _ = stream.route_config();
        stream.send_response(
            503,
            &[("content-type", "text/plain"), ("retry-after", "60")],
            Some(self.config.reason.as_bytes()),
            "maintenance",
        );
        false
    }

    pub(crate) fn on_response_headers(&mut self, _stream: Stream) -> bool {
        true
    }
}
