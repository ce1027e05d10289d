//! What the filter keeps between requests when maintenance follows windows: the response for the
//! current window (rendered again only when the window's end changes) and the last state logged.

use std::sync::Arc;

use crate::plan::Plan;
use crate::reply::maintenance::MaintenanceResponse;
use crate::schedule::ScheduleState;

/// The maintenance response for the window maintenance is in, cached until the next transition.
#[derive(Debug, Default)]
pub struct CurrentResponse {
    cached: Option<Cached>,
    renders: usize,
}

#[derive(Debug)]
struct Cached {
    /// The state was computed at `since`; it holds until `state.next_transition`.
    since: i64,
    state: ScheduleState,
    end: Option<i64>,
    response: Arc<MaintenanceResponse>,
}

impl CurrentResponse {
    /// The response to send at `now`: the plan's own without windows or outside them, else one
    /// announcing the window's end.
    pub fn get(&mut self, plan: &Plan, now: i64) -> Arc<MaintenanceResponse> {
        let Some(schedule) = &plan.schedule else {
            return Arc::clone(&plan.response);
        };
        if let Some(cached) = &self.cached {
            // `since` guards against the clock going back.
            if cached.since <= now && cached.state.next_transition.is_none_or(|next| now < next) {
                return Arc::clone(&cached.response);
            }
        }
        let state = schedule.state_at(now);
        let end = state.active.and_then(|active| active.end);
        let response = match &self.cached {
            Some(cached) if cached.end == end => Arc::clone(&cached.response),
            _ if end.is_none() => Arc::clone(&plan.response),
            _ => {
                self.renders += 1;
                Arc::new(plan.response_spec.render(end))
            }
        };
        self.cached = Some(Cached {
            since: now,
            state,
            end,
            response: Arc::clone(&response),
        });
        response
    }

    /// How many responses were rendered for window ends so far.
    #[cfg(test)]
    pub fn renders(&self) -> usize {
        self.renders
    }
}

/// Remembers whether maintenance was in a window, to log each opening and closing once.
#[derive(Debug, Default)]
pub struct TransitionLog {
    inside: Option<bool>,
}

impl TransitionLog {
    /// The line to log if a window opened or closed since the last call (the first call only
    /// records the state: the configuration log line already told it).
    pub fn observe(&mut self, plan: &Plan, now: i64) -> Option<String> {
        let inside = plan.in_effect(now);
        let previous = self.inside.replace(inside);
        if previous.is_none_or(|previous| previous == inside) {
            return None;
        }
        let status = plan.schedule_status(now).unwrap_or_default();
        Some(if inside {
            format!("maintenance window opened: maintenance applies; {status}")
        } else {
            format!("maintenance window closed: maintenance no longer applies; {status}")
        })
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

    fn retry_after(response: &MaintenanceResponse) -> Option<&str> {
        response
            .headers
            .iter()
            .find(|(name, _)| name == "retry-after")
            .map(|(_, value)| value.as_str())
    }

    #[test]
    fn without_windows_the_plan_response_is_used() {
        let plan = parse(br#"{"enabled": true, "retry_after": 60}"#).unwrap();
        let mut current = CurrentResponse::default();
        let response = current.get(&plan, 0);
        assert!(Arc::ptr_eq(&response, &plan.response));
        assert_eq!(retry_after(&response), Some("60"));
        assert_eq!(response.retry_after_at(0), None);
        assert_eq!(current.renders(), 0);
    }

    #[test]
    fn rendered_once_per_window_with_its_end() {
        let plan = parse(
            br#"{"enabled": true, "reason": "upgrade",
                "response": {"html": "<p>{{until}}</p>"},
                "windows": [{"start": "2025-06-01T02:00:00Z", "end": "2025-06-01T04:00:00Z"},
                            {"start": "2025-06-02T02:00:00+02:00", "end": "2025-06-02T03:00:00.250+02:00"}]}"#,
        )
        .unwrap();
        let mut current = CurrentResponse::default();
        let first = current.get(&plan, at("2025-06-01T02:00:00Z"));
        assert_eq!(first.html.body, b"<p>2025-06-01T04:00:00Z</p>");
        let json: serde_json::Value = serde_json::from_slice(&first.json.body).unwrap();
        assert_eq!(json["until"], "2025-06-01T04:00:00Z");
        assert_eq!(json["detail"], "upgrade");
        assert!(String::from_utf8_lossy(&first.plain.body).contains("2025-06-01T04:00:00Z"));
        // retry-after is not a fixed header: it counts down per request.
        assert_eq!(retry_after(&first), None);
        assert_eq!(first.retry_after_at(at("2025-06-01T02:00:00Z")), Some(7200));
        assert_eq!(first.retry_after_at(at("2025-06-01T03:59:59Z")), Some(1));
        assert_eq!(first.retry_after_at(at("2025-06-01T04:00:00Z")), Some(1));
        assert_eq!(first.retry_after_at(at("2025-06-01T05:00:00Z")), Some(1));
        // Later in the same window: the same response, no new render.
        let again = current.get(&plan, at("2025-06-01T03:59:59Z"));
        assert!(Arc::ptr_eq(&first, &again));
        assert_eq!(current.renders(), 1);
        // Between windows (not asked for in practice): the plain plan response.
        let between = current.get(&plan, at("2025-06-01T12:00:00Z"));
        assert!(Arc::ptr_eq(&between, &plan.response));
        assert_eq!(between.html.body, b"<p></p>");
        let json: serde_json::Value = serde_json::from_slice(&between.json.body).unwrap();
        assert!(json.get("until").is_none());
        // The next window renders again, with its own end.
        let second = current.get(&plan, at("2025-06-02T00:30:00Z"));
        assert_eq!(second.html.body, b"<p>2025-06-02T01:00:00Z</p>");
        assert_eq!(current.renders(), 2);
        // The clock going back is answered correctly too.
        let back = current.get(&plan, at("2025-06-01T03:00:00Z"));
        assert_eq!(back.html.body, b"<p>2025-06-01T04:00:00Z</p>");
    }

    #[test]
    fn explicit_retry_after_wins_and_open_windows_announce_no_end() {
        let plan = parse(
            br#"{"enabled": true, "retry_after": 30,
                "windows": [{"start": "2025-06-01T02:00:00Z", "end": "2025-06-01T04:00:00Z"}]}"#,
        )
        .unwrap();
        let response = CurrentResponse::default().get(&plan, at("2025-06-01T02:00:00Z"));
        assert_eq!(retry_after(&response), Some("30"));
        assert_eq!(response.retry_after_at(at("2025-06-01T02:00:00Z")), None);
        let json: serde_json::Value = serde_json::from_slice(&response.json.body).unwrap();
        assert_eq!(json["until"], "2025-06-01T04:00:00Z");

        let plan =
            parse(br#"{"enabled": true, "windows": [{"start": "2025-06-01T02:00:00Z"}]}"#).unwrap();
        let mut current = CurrentResponse::default();
        let response = current.get(&plan, at("2030-01-01T00:00:00Z"));
        assert_eq!(retry_after(&response), None);
        assert_eq!(response.retry_after_at(0), None);
        let json: serde_json::Value = serde_json::from_slice(&response.json.body).unwrap();
        assert!(json.get("until").is_none());
        assert!(!String::from_utf8_lossy(&response.html.body).contains("Expected back"));
        assert_eq!(current.renders(), 0);
    }

    #[test]
    fn weekly_windows_render_per_occurrence() {
        let plan = parse(
            br#"{"enabled": true,
                "recurring": [{"days": ["sat"], "start": "23:00", "end": "01:00", "utc_offset": "+01:00"}]}"#,
        )
        .unwrap();
        let mut current = CurrentResponse::default();
        let first = current.get(&plan, at("2025-05-31T23:30:00+01:00"));
        assert_eq!(
            first.retry_after_until,
            Some(at("2025-06-01T01:00:00+01:00"))
        );
        let html = String::from_utf8_lossy(&first.html.body).into_owned();
        assert!(
            html.contains("<time datetime=\"2025-06-01T00:00:00Z\">"),
            "{html}"
        );
        let next_week = current.get(&plan, at("2025-06-08T00:59:59+01:00"));
        assert_eq!(
            next_week.retry_after_until,
            Some(at("2025-06-08T01:00:00+01:00"))
        );
        assert_eq!(
            next_week.retry_after_at(at("2025-06-08T00:59:59+01:00")),
            Some(1)
        );
        assert_eq!(current.renders(), 2);
    }

    #[test]
    fn transitions_are_logged_once() {
        let plan = parse(
            br#"{"enabled": true,
                "windows": [{"start": "2025-06-01T02:00:00Z", "end": "2025-06-01T04:00:00Z"}]}"#,
        )
        .unwrap();
        let mut log = TransitionLog::default();
        assert_eq!(log.observe(&plan, at("2025-06-01T01:59:58Z")), None);
        assert_eq!(log.observe(&plan, at("2025-06-01T01:59:59Z")), None);
        let opened = log.observe(&plan, at("2025-06-01T02:00:00Z")).unwrap();
        assert!(opened.starts_with("maintenance window opened"), "{opened}");
        assert!(opened.contains("until 2025-06-01T04:00:00Z"), "{opened}");
        assert_eq!(log.observe(&plan, at("2025-06-01T02:00:01Z")), None);
        let closed = log.observe(&plan, at("2025-06-01T04:00:00Z")).unwrap();
        assert!(closed.starts_with("maintenance window closed"), "{closed}");
        assert!(closed.contains("none is ahead"), "{closed}");
        assert_eq!(log.observe(&plan, at("2025-06-01T05:00:00Z")), None);
    }
}
