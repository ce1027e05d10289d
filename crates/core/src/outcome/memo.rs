//! What one configuration remembers between requests, so a request pays for none of it while it
//! holds: the maintenance response for the current window (rendered again only when the
//! window's end changes), the advance notice, the last `Accept` value's format, and the last
//! `Retry-After` value (formatted once per second, not once per request). One per configuration
//! in each VM (in the native module, shared by every worker), shared by its streams: a cache
//! another stream holds is computed afresh, never waited for (`try_lock`).

use std::sync::{Arc, Mutex, PoisonError};

use crate::plan::Plan;
use crate::reply::current_window::CurrentResponse;
use crate::reply::format::{self, AcceptMemo, Format};
use crate::reply::maintenance::MaintenanceResponse;
use crate::reply::notice::NoticeCache;

#[derive(Debug, Default)]
pub struct Memo {
    current: Mutex<CurrentResponse>,
    notice: Mutex<NoticeCache>,
    formats: Mutex<AcceptMemo>,
    retry_after: Mutex<Option<(u64, Arc<str>)>>,
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
        let Ok(mut last) = self.retry_after.try_lock() else {
            return Arc::from(seconds.to_string());
        };
        match &*last {
            Some((cached, text)) if *cached == seconds => Arc::clone(text),
            _ => {
                let text: Arc<str> = Arc::from(seconds.to_string());
                *last = Some((seconds, Arc::clone(&text)));
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
}
