//! What one configuration remembers between requests, so a request pays for none of it while it
//! holds: the maintenance response for the current window (rendered again only when the
//! window's end changes), the advance notice, the last `Accept` value's format, and the last
//! `Retry-After` value (formatted once per second, not once per request). One per configuration
//! in each VM, shared by its streams.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use crate::plan::Plan;
use crate::reply::current_window::CurrentResponse;
use crate::reply::format::{self, AcceptMemo, Format};
use crate::reply::maintenance::MaintenanceResponse;
use crate::reply::notice::NoticeCache;

#[derive(Debug, Default)]
pub struct Memo {
    current: RefCell<CurrentResponse>,
    notice: RefCell<NoticeCache>,
    formats: RefCell<AcceptMemo>,
    retry_after: RefCell<Option<(u64, Rc<str>)>>,
    /// When this proxy first saw maintenance apply to this instance, as the root keeps it
    /// (`outage.rs`), for the status document's `since`.
    observed_since: Cell<Option<i64>>,
}

impl Memo {
    /// The maintenance response at `now`: with windows, the one announcing the current
    /// window's end.
    pub fn response_at(&self, plan: &Plan, now: i64) -> Rc<MaintenanceResponse> {
        match self.current.try_borrow_mut() {
            Ok(mut current) => current.get(plan, now),
            Err(_) => Rc::clone(&plan.response),
        }
    }

    /// The `maintenance-notice` value at `now` with a lead time of `lead` seconds, if any.
    pub fn notice(&self, plan: &Plan, lead: i64, now: i64) -> Option<Rc<str>> {
        match self.notice.try_borrow_mut() {
            Ok(mut cache) => cache.get(plan, lead, now),
            Err(_) => None,
        }
    }

    /// The response format for a request's `content-type` and `accept`.
    pub fn format(&self, content_type: Option<&[u8]>, accept: Option<&[u8]>) -> Format {
        match self.formats.try_borrow_mut() {
            Ok(mut memo) => memo.choose(content_type, accept),
            Err(_) => format::choose(content_type, accept),
        }
    }

    /// See `observed_since`.
    pub fn observed_since(&self) -> Option<i64> {
        self.observed_since.get()
    }

    pub(crate) fn set_observed_since(&self, since: Option<i64>) {
        self.observed_since.set(since);
    }

    /// `seconds` as a `retry-after` value.
    pub fn retry_after(&self, seconds: u64) -> Rc<str> {
        let Ok(mut last) = self.retry_after.try_borrow_mut() else {
            return Rc::from(seconds.to_string());
        };
        match &*last {
            Some((cached, text)) if *cached == seconds => Rc::clone(text),
            _ => {
                let text: Rc<str> = Rc::from(seconds.to_string());
                *last = Some((seconds, Rc::clone(&text)));
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
        assert!(Rc::ptr_eq(&first, &memo.retry_after(7200)));
        let next = memo.retry_after(7199);
        assert_eq!(&*next, "7199");
        assert!(!Rc::ptr_eq(&first, &next));
        assert_eq!(&*memo.retry_after(1), "1");
    }
}
