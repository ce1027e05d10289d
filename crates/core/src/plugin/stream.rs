//! One request: read what the outcome needs, decide it (`outcome/`), carry it out; then, for a
//! request that passed, the response.

use std::sync::Arc;

use log::Level;

use crate::access_log;
use crate::bypass::cookie::CookieHeader;
use crate::decision::Strip;
use crate::host::{Host, Refused};
use crate::metrics::Metrics;
use crate::outcome::request::{fail_closed, for_request};
use crate::outcome::response::for_response;
use crate::outcome::{Armed, Memo, Outcome, ResponseInput};
use crate::plan::Plan;
use crate::plugin::request::HostRequest;
use crate::reply::notice;

/// Whether the host should go on with the request or response, or wait (after a local reply).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Pause,
}

/// The configuration in force and what it remembers between requests; shared by its root and
/// streams.
#[derive(Debug, Default)]
pub(crate) struct Applied {
    pub(crate) plan: Plan,
    pub(crate) memo: Memo,
}

/// One request. A clone of a fresh stream is another fresh stream of the same configuration
/// (the native module keeps one per configuration and clones it for each request).
#[derive(Clone)]
pub struct Stream {
    applied: Arc<Applied>,
    metrics: Metrics,
    /// Replace an upstream failure (armed in the request phase).
    fallback: Option<Armed>,
    /// The `maintenance-notice` value for the response.
    notice: Option<Arc<str>>,
    /// This filter sent a local reply, which it must never replace.
    replied: bool,
}

impl Stream {
    pub(crate) fn new(applied: Arc<Applied>, metrics: Metrics) -> Stream {
        Stream {
            applied,
            metrics,
            fallback: None,
            notice: None,
            replied: false,
        }
    }

    /// The request headers, the only phase where they can be read and changed.
    pub fn on_request_headers(&mut self, host: &mut impl Host) -> Flow {
        let applied = Arc::clone(&self.applied);
        let (plan, memo) = (&applied.plan, &applied.memo);
        let debug = host.log_enabled(Level::Debug);
        let mut outcome = for_request(plan, memo, &HostRequest::new(host), debug);
        self.report(host, &outcome);
        if !strip(host, &outcome.strip) {
            outcome = fail_closed(plan, memo, &HostRequest::new(host));
            self.report(host, &outcome);
        }
        self.fallback = outcome.fallback.take();
        self.notice = outcome.notice.take();
        self.carry_out(host, &outcome)
    }

    /// The response headers, for a request that passed: an upstream failure replaced, or the
    /// notice added. Never the plugin's own reply, which the host shows here too.
    pub fn on_response_headers(&mut self, host: &mut impl Host) -> Flow {
        // Nothing armed, nothing to add: most responses, done without asking the host anything.
        let (fallback, notice) = (self.fallback.take(), self.notice.take());
        if self.replied || (fallback.is_none() && notice.is_none()) {
            return Flow::Continue;
        }
        let debug = host.log_enabled(Level::Debug);
        let applied = Arc::clone(&self.applied);
        let response = &mut HostResponse(host);
        let outcome = for_response(&applied.plan, fallback, notice, response, debug);
        self.report(host, &outcome);
        if let Some(value) = &outcome.notice {
            let set = host.set_response_header(notice::HEADER, value.as_bytes());
            checked(host, Level::Warn, "set the notice", set);
        }
        self.carry_out(host, &outcome)
    }

    /// The access-log label and the debug line, before anything else is done.
    fn report(&self, host: &mut impl Host, outcome: &Outcome) {
        if let Some(label) = outcome.label {
            access_log::record(host, label);
        }
        if let Some(line) = &outcome.trace {
            host.log(Level::Debug, line);
        }
    }

    /// Counts, marks, and replies or lets go on.
    fn carry_out(&mut self, host: &mut impl Host, outcome: &Outcome) -> Flow {
        if let Some(counter) = outcome.counter {
            self.metrics.count(host, counter);
        }
        if let Some(marker) = &outcome.marker {
            for name in &marker.remove {
                let removed = host.remove_request_header(name);
                checked(host, Level::Error, "remove the bypass header", removed);
            }
            if let Some((header, via)) = marker.set {
                let set = host.set_request_header(header, via.name().as_bytes());
                checked(host, Level::Error, "set the bypass header", set);
            }
        }
        let Some(reply) = &outcome.reply else {
            return Flow::Continue;
        };
        self.replied = true;
        let sent = host.send_reply(reply.http());
        checked(host, Level::Warn, "send the local reply", sent);
        Flow::Pause
    }
}

/// Removes bypass secrets from a request about to go upstream. False when a removal failed.
fn strip(host: &mut impl Host, strip: &Strip) -> bool {
    if strip.headers.is_empty() && strip.cookie == CookieHeader::Keep {
        return true;
    }
    let mut removed = true;
    for name in &strip.headers {
        let result = host.remove_request_header(name);
        removed &= checked(host, Level::Error, "remove a bypass secret", result);
    }
    let cookie = match &strip.cookie {
        CookieHeader::Keep => Ok(()),
        CookieHeader::Remove => host.remove_request_header("cookie"),
        CookieHeader::Replace(rest) => host.set_request_header("cookie", rest),
    };
    removed & checked(host, Level::Error, "remove the bypass cookie", cookie)
}

/// Whether a host call went through; logs at `level` that it could not `what` when not.
fn checked(host: &mut impl Host, level: Level, what: &str, result: Result<(), Refused>) -> bool {
    let Err(refused) = result else {
        return true;
    };
    host.log(level, &format!("could not {what}: {refused}"));
    false
}

/// The response as the outcome reads it.
struct HostResponse<'h, H>(&'h mut H);

impl<H: Host> ResponseInput for HostResponse<'_, H> {
    fn header(&mut self, name: &str) -> Option<Vec<u8>> {
        self.0.response_header(name)
    }

    fn code_details(&mut self) -> Option<Vec<u8>> {
        self.0.property(&["response", "code_details"])
    }
}
