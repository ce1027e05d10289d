//! How long maintenance has applied: `since` in the status document, and a warning, logged
//! once, when it has applied for more than six days with no end planned: search engines start
//! dropping pages that answer 503 for about a week.
//!
//! With windows, maintenance began when the current period did (overlapping and back-to-back
//! windows count as one). Without them (or in a window open since ever) the plan cannot tell:
//! the proxy remembers when it first saw maintenance apply to this plugin instance (shared data,
//! so every worker agrees and a new configuration that keeps maintenance on keeps the date; an
//! Envoy restart starts counting again). Host-free: `plugin.rs` keeps that memory.

use crate::plan::Plan;
use crate::schedule::calendar::{format_rfc3339, DAY};

/// How long maintenance may apply without an end before the warning.
pub const LONG_OUTAGE: i64 = 6 * DAY;

/// When maintenance, applying at `now`, began by the plan's windows; `None` when the plan
/// cannot tell (no windows, or one open since ever).
pub fn scheduled_since(plan: &Plan, now: i64) -> Option<i64> {
    plan.schedule.as_ref()?.period_start(now).flatten()
}

/// Whether maintenance applying at `now` has no end planned.
pub fn open_ended(plan: &Plan, now: i64) -> bool {
    plan.schedule.as_ref().is_none_or(|schedule| {
        schedule
            .active_window(now)
            .is_some_and(|window| window.end.is_none())
    })
}

/// Whether maintenance applies at `now` and answers requests (not in a dry run): what `since`
/// and the warning are about.
pub fn answering(plan: &Plan, now: i64) -> bool {
    plan.in_effect(now) && !plan.dry_run
}

/// `since` at `now`: when maintenance began to apply, by the windows or else as `observed`;
/// `None` when it does not apply (or only in a dry run).
pub fn since(plan: &Plan, now: i64, observed: Option<i64>) -> Option<i64> {
    if !answering(plan, now) {
        return None;
    }
    scheduled_since(plan, now).or(observed)
}

/// The warning to log at `now`, for maintenance applying `since` then.
pub fn warning(plan: &Plan, now: i64, since: i64) -> Option<String> {
    let long = answering(plan, now) && open_ended(plan, now) && now - since > LONG_OUTAGE;
    long.then(|| {
        format!(
            "maintenance has applied since {} ({} days) with no end planned: search engines \
             start dropping pages answered {} for about a week; plan an end (windows) or turn \
             maintenance off",
            format_rfc3339(since),
            (now - since) / DAY,
            plan.response.status,
        )
    })
}

/// The shared-data value recording when maintenance was first seen to apply.
pub fn encode_observed(since: i64) -> Vec<u8> {
    since.to_string().into_bytes()
}

/// Reads [`encode_observed`]'s value; `None` for anything else (an empty value: cleared).
pub fn decode_observed(bytes: &[u8]) -> Option<i64> {
    std::str::from_utf8(bytes).ok()?.parse().ok()
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
    fn since_comes_from_the_windows_or_the_observation() {
        let plan = parse(
            br#"{"enabled": true, "windows": [
                {"start": "2030-01-01T00:00:00Z", "end": "2030-01-01T06:00:00Z"},
                {"start": "2030-01-01T06:00:00Z"}]}"#,
        )
        .unwrap();
        let start = at("2030-01-01T00:00:00Z");
        assert_eq!(since(&plan, at("2030-01-01T01:00:00Z"), None), Some(start));
        assert_eq!(
            since(&plan, at("2030-03-01T00:00:00Z"), Some(5)),
            Some(start)
        );
        assert_eq!(since(&plan, at("2029-12-31T00:00:00Z"), Some(5)), None);
        let always = parse(br#"{"enabled": true}"#).unwrap();
        assert_eq!(since(&always, 1000, Some(5)), Some(5));
        assert_eq!(since(&always, 1000, None), None);
        let off = parse(br#"{"enabled": false}"#).unwrap();
        assert_eq!(since(&off, 1000, Some(5)), None);
        let dry = parse(br#"{"enabled": true, "dry_run": true}"#).unwrap();
        assert_eq!(since(&dry, 1000, Some(5)), None);
        let open_since_ever =
            parse(br#"{"enabled": true, "windows": [{"end": "2040-01-01T00:00:00Z"}]}"#).unwrap();
        assert_eq!(since(&open_since_ever, 1000, Some(7)), Some(7));
    }

    #[test]
    fn the_warning_needs_six_days_and_no_end() {
        let always = parse(br#"{"enabled": true}"#).unwrap();
        assert_eq!(warning(&always, LONG_OUTAGE, 0), None);
        let line = warning(&always, LONG_OUTAGE + 1, 0).unwrap();
        assert!(
            line.starts_with("maintenance has applied since 1970-01-01T00:00:00Z (6 days)"),
            "{line}"
        );
        assert!(line.contains("answered 503"), "{line}");
        // A planned end, however far: the operator knows.
        let planned = parse(
            br#"{"enabled": true, "windows": [{"start": "2030-01-01T00:00:00Z", "end": "2030-02-01T00:00:00Z"}]}"#,
        )
        .unwrap();
        let start = at("2030-01-01T00:00:00Z");
        assert_eq!(warning(&planned, at("2030-01-20T00:00:00Z"), start), None);
        let open =
            parse(br#"{"enabled": true, "windows": [{"start": "2030-01-01T00:00:00Z"}]}"#).unwrap();
        assert!(warning(&open, at("2030-01-20T00:00:00Z"), start).is_some());
        let dry = parse(br#"{"enabled": true, "dry_run": true}"#).unwrap();
        assert_eq!(warning(&dry, LONG_OUTAGE * 2, 0), None);
        let off = parse(br#"{}"#).unwrap();
        assert_eq!(warning(&off, LONG_OUTAGE * 2, 0), None);
    }

    #[test]
    fn observed_values_round_trip() {
        for since in [0, 1_900_000_000, -5] {
            assert_eq!(decode_observed(&encode_observed(since)), Some(since));
        }
        for junk in [&b""[..], b"x", b"1.5", b"\xff"] {
            assert_eq!(decode_observed(junk), None);
        }
    }
}
