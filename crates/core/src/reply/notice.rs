//! `notice_before`: during the lead time before a planned period opens, responses that pass in
//! scope carry a `maintenance-notice` header (`start=<RFC 3339>; end=<RFC 3339>`, `end` left
//! out for an open-ended period) so an app can warn its users. The value is cached until the
//! state changes, so outside the lead time a request costs a comparison.

use std::sync::Arc;

use crate::plan::Plan;
use crate::schedule::calendar::format_rfc3339;

/// The response header carrying the notice.
pub const HEADER: &str = "maintenance-notice";

/// The header value for a period from `start` to `end`.
pub fn header_value(start: i64, end: Option<i64>) -> String {
    match end {
        Some(end) => format!(
            "start={}; end={}",
            format_rfc3339(start),
            format_rfc3339(end)
        ),
        None => format!("start={}", format_rfc3339(start)),
    }
}

/// The notice for the current instant, kept until it can change.
#[derive(Debug, Default)]
pub struct NoticeCache {
    cached: Option<Cached>,
}

#[derive(Debug)]
struct Cached {
    /// Computed at `since`; holds until `until` (`None`: for ever).
    since: i64,
    until: Option<i64>,
    value: Option<Arc<str>>,
}

impl NoticeCache {
    /// The header value to add at `now` with a lead time of `lead` seconds, if any.
    pub fn get(&mut self, plan: &Plan, lead: i64, now: i64) -> Option<Arc<str>> {
        if let Some(cached) = &self.cached {
            // `since` guards against the clock going back.
            if cached.since <= now && cached.until.is_none_or(|until| now < until) {
                return cached.value.clone();
            }
        }
        let schedule = plan.schedule.as_ref()?;
        let state = schedule.state_at(now);
        let (value, until) = match (state.active, state.next_transition) {
            // Inside a period: maintenance applies, no notice until it ends.
            (Some(_), end) => (None, end),
            (None, None) => (None, None),
            (None, Some(start)) if now >= start.saturating_sub(lead) => {
                let end = schedule.active_window(start).and_then(|window| window.end);
                (Some(Arc::from(header_value(start, end))), Some(start))
            }
            (None, Some(start)) => (None, Some(start.saturating_sub(lead))),
        };
        self.cached = Some(Cached {
            since: now,
            until,
            value: value.clone(),
        });
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse;
    use crate::schedule::calendar::parse_rfc3339;

    fn at(text: &str) -> i64 {
        parse_rfc3339(text).unwrap()
    }

    #[test]
    fn only_inside_the_lead_time() {
        let plan = parse(
            br#"{"enabled": true, "notice_before": 3600, "windows": [
                {"start": "2030-01-01T02:00:00Z", "end": "2030-01-01T04:00:00Z"},
                {"start": "2030-01-02T00:00:00Z"}]}"#,
        )
        .unwrap();
        let mut cache = NoticeCache::default();
        let mut get = |text: &str| cache.get(&plan, 3600, at(text)).map(|v| v.to_string());
        assert_eq!(get("2030-01-01T00:59:59Z"), None);
        let first = "start=2030-01-01T02:00:00Z; end=2030-01-01T04:00:00Z";
        assert_eq!(get("2030-01-01T01:00:00Z").as_deref(), Some(first));
        assert_eq!(get("2030-01-01T01:59:59Z").as_deref(), Some(first));
        assert_eq!(get("2030-01-01T02:00:00Z"), None);
        assert_eq!(get("2030-01-01T22:59:59Z"), None);
        assert_eq!(
            get("2030-01-01T23:30:00Z").as_deref(),
            Some("start=2030-01-02T00:00:00Z")
        );
        // The clock going back is recomputed, not served from the cache.
        assert_eq!(get("2030-01-01T01:30:00Z").as_deref(), Some(first));
        assert_eq!(get("2030-01-03T00:00:00Z"), None);
    }
}
