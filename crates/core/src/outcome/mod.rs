//! The whole outcome of a request, decided before anything is done: the reply, what to strip,
//! the `bypass.header` marker, the counter, the access-log label, the fallback to arm and the
//! notice to add. [`decision::decide`](crate::decision::decide) applies the rules; this module
//! reads what they need (through [`RequestInput`], each value at most once and only when
//! needed) and turns their verdict into what a host carries out (`plugin/stream.rs`).
//!
//! - [`input`]: what the outcome may read from a request and a response.
//! - [`request`]: the request phase ([`request::for_request`], and [`request::fail_closed`]
//!   when a secret cannot be stripped).
//! - [`response`]: the response phase ([`response::for_response`]: replace an upstream
//!   failure, or add the notice).
//! - [`memo`]: what a configuration remembers between requests (the current window's
//!   response, the notice, the last `Accept`'s format, the last `Retry-After`).

pub mod input;
pub mod memo;
pub mod request;
pub mod response;

use std::sync::Arc;

use crate::bypass::cookie::CookieHeader;
use crate::bypass::reads_as;
use crate::decision::{Strip, Via};
use crate::metrics::Counter;
use crate::plan::Plan;
use crate::reply::cors::CorsHeaders;
use crate::reply::format::Format;
use crate::reply::local::LocalReply;

pub use input::{Field, RequestInput, ResponseInput};
pub use memo::Memo;

/// Everything a host does for one request (or one response), in the order it does it: record
/// `label`, log `trace`, remove `strip` (on failure: carry out [`request::fail_closed`] instead), count
/// `counter`, apply `marker`, then send `reply` or let the request (or response) go on, keeping
/// `fallback` and `notice` for the response.
#[derive(Debug)]
pub struct Outcome<'p> {
    /// Answer locally instead of passing on.
    pub reply: Option<LocalReply<'p>>,
    /// Bypass secrets to remove before the request goes upstream.
    pub strip: Strip<'p>,
    /// What to do with `bypass.header` (`None`: nothing).
    pub marker: Option<Marker<'p>>,
    pub counter: Option<Counter>,
    /// What Envoy's access log shows (`access_log.rs`).
    pub label: Option<&'static str>,
    /// For a request that passes: replace an upstream failure with the maintenance response.
    pub fallback: Option<Armed>,
    /// The `maintenance-notice` value: in the request phase, for its response; in the response
    /// phase, to set now.
    pub notice: Option<Arc<str>>,
    /// A would-be maintenance response in `dry_run`: the request passes instead.
    pub dry_run: bool,
    /// The debug log line, when the debug log is on.
    pub trace: Option<String>,
}

/// What a passing request's `bypass.header` becomes: every spelling of it a client sent
/// removed (any case, `_` for `-`: a backend reads them all as the header), and set to the
/// bypass the request went through, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker<'p> {
    /// Set this header to the name of this bypass (replacing a client's copy of that name).
    pub set: Option<(&'p str, Via)>,
    /// Remove these request headers (the client's other spellings).
    pub remove: Vec<String>,
}

impl<'p> Marker<'p> {
    /// `None` without `bypass.header`, or when there is nothing to set or remove.
    fn new(plan: &'p Plan, request: &impl RequestInput, via: Option<Via>) -> Option<Marker<'p>> {
        let header = plan.bypass.header.as_deref()?;
        let set = via.map(|via| (header, via));
        let mut remove: Vec<String> = (request.header_names().into_iter())
            .filter(|name| reads_as(name, header) && (set.is_none() || *name != header.as_bytes()))
            .map(|name| String::from_utf8_lossy(name).into_owned())
            .collect();
        remove.sort_unstable();
        remove.dedup();
        (set.is_some() || !remove.is_empty()).then_some(Marker { set, remove })
    }
}

/// A fallback armed in the request phase: the maintenance response's format, language and CORS
/// headers for this request (request headers are unreadable once the response arrives).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Armed {
    pub format: Format,
    pub language: Option<usize>,
    pub cors: Option<CorsHeaders>,
}

/// No secret to strip.
pub const NO_STRIP: Strip<'static> = Strip {
    headers: Vec::new(),
    cookie: CookieHeader::Keep,
};

impl<'p> Outcome<'p> {
    /// Nothing done: the request or response goes on as it is.
    pub fn nothing() -> Outcome<'p> {
        Outcome {
            reply: None,
            strip: NO_STRIP,
            marker: None,
            counter: None,
            label: None,
            fallback: None,
            notice: None,
            dry_run: false,
            trace: None,
        }
    }

    /// A request that passes: counted as `counter`, marked with `via` (see [`Marker`]).
    fn passes(
        plan: &'p Plan,
        request: &impl RequestInput,
        counter: Counter,
        via: Option<Via>,
    ) -> Outcome<'p> {
        Outcome {
            counter: Some(counter),
            marker: Marker::new(plan, request, via),
            ..Outcome::nothing()
        }
    }

    /// A local reply: nothing goes upstream, so nothing is stripped or marked.
    fn replies(reply: LocalReply<'p>, counter: Option<Counter>) -> Outcome<'p> {
        Outcome {
            reply: Some(reply),
            counter,
            ..Outcome::nothing()
        }
    }
}
