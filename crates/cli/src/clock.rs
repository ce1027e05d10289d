//! Time for `--until` and `--from`: durations (`2h`, `1h30m`), RFC 3339 instants, and the
//! UTC formatting the plugin's `windows` take. Unix seconds throughout.

use std::time::{SystemTime, UNIX_EPOCH};

use maintenance_core::calendar;

/// Seconds since the Unix epoch, now.
pub fn now() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(_) => 0,
    }
}

/// A point in time as the user wrote it: after a duration, or an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// This many seconds after a reference (now, or the start for `--until`).
    After(i64),
    /// Unix seconds.
    At(i64),
}

impl When {
    pub fn parse(text: &str) -> Result<When, String> {
        if let Some(seconds) = parse_duration(text) {
            return Ok(When::After(seconds));
        }
        if let Some(at) = parse_rfc3339(text) {
            return Ok(When::At(at));
        }
        Err(format!(
            "{text:?} is neither a duration (like 2h, 30m, 1h30m, 1d, 90s) nor an RFC 3339 \
             time (like 2025-06-01T14:00:00Z or 2025-06-01T16:00:00+02:00)"
        ))
    }

    pub fn resolve(self, reference: i64) -> i64 {
        match self {
            When::After(seconds) => reference.saturating_add(seconds),
            When::At(at) => at,
        }
    }
}

/// `2h`, `30m`, `1h30m`, `1d`, `90s`; units d/h/m/s, at least one, each a whole number.
pub fn parse_duration(text: &str) -> Option<i64> {
    if text.is_empty() {
        return None;
    }
    let mut total: i64 = 0;
    let mut number: Option<i64> = None;
    for c in text.chars() {
        if let Some(digit) = c.to_digit(10) {
            let n = number
                .unwrap_or(0)
                .checked_mul(10)?
                .checked_add(i64::from(digit))?;
            number = Some(n);
            continue;
        }
        let unit = match c {
            'd' => 86_400,
            'h' => 3_600,
            'm' => 60,
            's' => 1,
            _ => return None,
        };
        total = total.checked_add(number.take()?.checked_mul(unit)?)?;
    }
    if number.is_some() || total == 0 {
        return None; // a bare number (no unit) or zero
    }
    Some(total)
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` → Unix seconds: the plugin's own parser, so the
/// CLI accepts exactly the instants a configuration may hold.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    calendar::parse_rfc3339(text).ok()
}

/// Unix seconds → `YYYY-MM-DDTHH:MM:SSZ`, as the plugin's windows are written.
pub use calendar::format_rfc3339;

/// `2h 5m`-style rendering of a number of seconds, for messages.
pub fn human(seconds: i64) -> String {
    let s = seconds.max(0);
    let (d, h, m, sec) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60, s % 60);
    let parts: Vec<String> = [(d, "d"), (h, "h"), (m, "m"), (sec, "s")]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, unit)| format!("{n}{unit}"))
        .collect();
    if parts.is_empty() {
        "0s".to_string()
    } else {
        parts.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("2h"), Some(7200));
        assert_eq!(parse_duration("30m"), Some(1800));
        assert_eq!(parse_duration("1h30m"), Some(5400));
        assert_eq!(parse_duration("1d"), Some(86_400));
        assert_eq!(parse_duration("90s"), Some(90));
        for bad in [
            "",
            "2",
            "h",
            "2x",
            "0h",
            "-2h",
            "2h30",
            "1.5h",
            "99999999999999999999h",
        ] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn rfc3339_round_trips_and_offsets() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("2025-06-01T04:00:00Z"), Some(1_748_750_400));
        assert_eq!(
            parse_rfc3339("2025-06-01T06:00:00+02:00"),
            Some(1_748_750_400)
        );
        assert_eq!(
            parse_rfc3339("2025-05-31T22:30:00.250-05:30"),
            Some(1_748_750_400)
        );
        assert_eq!(format_rfc3339(1_748_750_400), "2025-06-01T04:00:00Z");
        assert_eq!(format_rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        for at in [0, 951_782_400, 1_748_750_399, 4_102_444_800] {
            assert_eq!(parse_rfc3339(&format_rfc3339(at)), Some(at));
        }
        for bad in [
            "2025-06-01",
            "2025-06-01T04:00:00",
            "2025-02-30T00:00:00Z",
            "2025-13-01T00:00:00Z",
            "2025-06-01T24:00:00Z",
            "2025-06-01T04:00:00+2:00",
            "2025-06-01T04:00:00Zjunk",
            "2025-06-01T04:00:00.Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn when_resolves_against_the_reference() {
        assert_eq!(When::parse("2h").map(|w| w.resolve(100)), Ok(7300));
        assert_eq!(
            When::parse("2025-06-01T04:00:00Z").map(|w| w.resolve(100)),
            Ok(1_748_750_400)
        );
        let err = When::parse("tomorrow").unwrap_err();
        assert!(err.contains("\"tomorrow\" is neither a duration"), "{err}");
    }

    #[test]
    fn human_durations() {
        assert_eq!(human(7200), "2h");
        assert_eq!(human(5430), "1h 30m 30s");
        assert_eq!(human(0), "0s");
    }
}
