//! What one configuration remembers between requests, so a request pays for none of it while it
//! holds: the maintenance response for the current window (rendered again only when the
//! window's end changes), the advance notice, the last `Accept` value's format, the last
//! `Retry-After` value (formatted once per second, not once per request) and the status
//! document's `since` (formatted once per outage). One per configuration
//! in each VM (in the native module, shared by every worker), shared by its streams: a cache
//! another stream holds is computed afresh, never waited for (`try_lock`).

use std::sync::{Arc, Mutex, PoisonError};

use crate::plan::Plan;
use crate::reply::current_window::CurrentResponse;
use crate::reply::format::{self, AcceptMemo, Format};
use crate::reply::maintenance::MaintenanceResponse;
use crate::reply::notice::NoticeCache;
use crate::schedule::calendar::format_rfc3339;

#[derive(Debug, Default)]
pub struct Memo {
    current: Mutex<CurrentResponse>,
    notice: Mutex<NoticeCache>,
    formats: Mutex<AcceptMemo>,
    retry_after: LastText<u64>,
    since: LastText<i64>,
    /// When this proxy first saw maintenance apply to this instance, as the root keeps it
    /// (`outage.rs`), for the status document's `since`.
    observed_since: Mutex<Option<i64>>,
}

impl Memo {
    /// The maintenance response at `now`: with windows, the one announcing the current
    /// window's end.
    pub fn response_at(&self, plan: &Plan, now: i64) -> Arc<MaintenanceResponse> {
        match self.current.try_lock() {
            Ok(mut current) => current.get(plan, now),
            Err(_) => Arc::clone(&plan.response),
        }
    }

    /// The `maintenance-notice` value at `now` with a lead time of `lead` seconds, if any.
    pub fn notice(&self, plan: &Plan, lead: i64, now: i64) -> Option<Arc<str>> {
        match self.notice.try_lock() {
            Ok(mut cache) => cache.get(plan, lead, now),
            Err(_) => None,
        }
    }

    /// The response format for a request's `content-type` and `accept`.
    pub fn format(&self, content_type: Option<&[u8]>, accept: Option<&[u8]>) -> Format {
        match self.formats.try_lock() {
            Ok(mut memo) => memo.choose(content_type, accept),
            Err(_) => format::choose(content_type, accept),
        }
    }

    /// See `observed_since`.
    pub fn observed_since(&self) -> Option<i64> {
        *self
            .observed_since
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn set_observed_since(&self, since: Option<i64>) {
        *self
            .observed_since
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = since;
    }

    /// `seconds` as a `retry-after` value.
    pub fn retry_after(&self, seconds: u64) -> Arc<str> {
        self.retry_after.get(seconds, |seconds| seconds.to_string())
    }

    /// `since` (unix seconds) as the status document writes it (RFC 3339).
    pub fn since(&self, since: i64) -> Arc<str> {
        self.since.get(since, format_rfc3339)
    }
}

/// The text of the last value asked for, made again only when the value changes.
#[derive(Debug, Default)]
struct LastText<T>(Mutex<Option<(T, Arc<str>)>>);

impl<T: Copy + PartialEq> LastText<T> {
    fn get(&self, value: T, make: impl Fn(T) -> String) -> Arc<str> {
        let Ok(mut last) = self.0.try_lock() else {
            return Arc::from(make(value));
        };
        match &*last {
            Some((cached, text)) if *cached == value => Arc::clone(text),
            _ => {
                let text: Arc<str> = Arc::from(make(value));
                *last = Some((value, Arc::clone(&text)));
                text
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_formatted_once_per_value() {
        let memo = Memo::default();
        let first = memo.retry_after(7200);
        assert_eq!(&*first, "7200");
        assert!(Arc::ptr_eq(&first, &memo.retry_after(7200)));
        let next = memo.retry_after(7199);
        assert_eq!(&*next, "7199");
        assert!(!Arc::ptr_eq(&first, &next));
        assert_eq!(&*memo.retry_after(1), "1");
    }

    #[test]
    fn since_is_formatted_once_per_value() {
        let memo = Memo::default();
        let first = memo.since(1_748_750_400);
        assert_eq!(&*first, "2025-06-01T04:00:00Z");
        assert!(Arc::ptr_eq(&first, &memo.since(1_748_750_400)));
        assert_eq!(&*memo.since(0), "1970-01-01T00:00:00Z");
    }
}
