//! Maintenance windows: absolute ones (RFC 3339 bounds) and weekly ones (days, `HH:MM`, a UTC
//! offset). Pure calendar arithmetic on unix seconds; no clock and no date crate (wasm size).

/// Seconds in a day (unix time has no leap seconds).
pub const DAY: i64 = 86_400;
/// Seconds in a week.
pub const WEEK: i64 = 7 * DAY;

/// Day names as the configuration spells them, Monday first (index = [`weekday`]).
pub const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

pub fn is_leap_year(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

pub fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date of a day number (inverse of [`days_from_civil`]): `(year, month, day)`.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    // In range by construction: month 1..=12, day 1..=31.
    (year, month as u32, day as u32)
}

/// Day of the week of a day number: 0 = Monday … 6 = Sunday (1970-01-01 was a Thursday).
pub fn weekday(days: i64) -> usize {
    // rem_euclid(7) is in 0..7.
    (days + 3).rem_euclid(7) as usize
}

/// Parses a non-empty run of ASCII digits (callers pass fixed-width slices).
fn digits(text: &[u8]) -> Option<u32> {
    if text.is_empty() || !text.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(
        text.iter()
            .fold(0u32, |value, digit| value * 10 + u32::from(digit - b'0')),
    )
}

/// Parses `Z`/`z` or `+HH:MM`/`-HH:MM` (HH ≤ 23, MM ≤ 59) into seconds east of UTC.
pub fn parse_utc_offset(text: &str) -> Result<i64, String> {
    const EXPECTED: &str = "is not a UTC offset like \"+02:00\", \"-05:30\" or \"Z\"";
    let bytes = text.as_bytes();
    if bytes == b"Z" || bytes == b"z" {
        return Ok(0);
    }
    let sign = match bytes.first() {
        Some(b'+') => 1,
        Some(b'-') => -1,
        _ => return Err(EXPECTED.to_string()),
    };
    if bytes.len() != 6 || bytes[3] != b':' {
        return Err(EXPECTED.to_string());
    }
    let (Some(hours), Some(minutes)) = (digits(&bytes[1..3]), digits(&bytes[4..6])) else {
        return Err(EXPECTED.to_string());
    };
    if hours > 23 || minutes > 59 {
        return Err(format!(
            "{EXPECTED}: hours must be 00..23 and minutes 00..59"
        ));
    }
    Ok(sign * (i64::from(hours) * 3600 + i64::from(minutes) * 60))
}

/// Parses an RFC 3339 date-time (`2025-06-01T02:00:00Z`, `2025-06-01T04:00:00.5+02:00`) into
/// unix seconds. Fractional seconds are accepted and dropped; second 60 (a leap second) counts
/// as the first second of the next minute.
pub fn parse_rfc3339(text: &str) -> Result<i64, String> {
    const EXPECTED: &str =
        "is not an RFC 3339 date-time like \"2025-06-01T02:00:00Z\" or \"2025-06-01T04:00:00+02:00\"";
    let bytes = text.as_bytes();
    if bytes.len() < 20 {
        return Err(EXPECTED.to_string());
    }
    let field = |range: std::ops::Range<usize>| digits(&bytes[range]);
    let separators_ok = bytes[4] == b'-'
        && bytes[7] == b'-'
        && (bytes[10] == b'T' || bytes[10] == b't')
        && bytes[13] == b':'
        && bytes[16] == b':';
    let (Some(year), Some(month), Some(day), Some(hour), Some(minute), Some(second)) = (
        field(0..4),
        field(5..7),
        field(8..10),
        field(11..13),
        field(14..16),
        field(17..19),
    ) else {
        return Err(EXPECTED.to_string());
    };
    if !separators_ok {
        return Err(EXPECTED.to_string());
    }
    let mut rest = &text[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let length = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if length == 0 {
            return Err(format!("{EXPECTED}: a '.' must be followed by digits"));
        }
        rest = &fraction[length..];
    }
    let offset = parse_utc_offset(rest)
        .map_err(|_| format!("{EXPECTED}: it must end in \"Z\" or a UTC offset like \"+02:00\""))?;
    let year = i64::from(year);
    if !(1..=12).contains(&month) {
        return Err(format!("{EXPECTED}: month {month:02} does not exist"));
    }
    if day == 0 || day > days_in_month(year, month) {
        return Err(format!(
            "{EXPECTED}: {year:04}-{month:02} has no day {day:02}"
        ));
    }
    if hour > 23 || minute > 59 || second > 60 {
        return Err(format!(
            "{EXPECTED}: {hour:02}:{minute:02}:{second:02} is not a time of day"
        ));
    }
    let seconds_of_day = i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second);
    Ok(days_from_civil(year, month, day) * DAY + seconds_of_day - offset)
}

/// Formats unix seconds as an RFC 3339 UTC date-time: `2025-06-01T02:00:00Z`.
pub fn format_rfc3339(seconds: i64) -> String {
    let (year, month, day) = civil_from_days(seconds.div_euclid(DAY));
    let of_day = seconds.rem_euclid(DAY);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        of_day / 3600,
        of_day / 60 % 60,
        of_day % 60
    )
}

/// Parses a time of day `HH:MM` into seconds after midnight. `24:00` (the end of the day) only
/// when `end_of_day_allowed`.
pub fn parse_time_of_day(text: &str, end_of_day_allowed: bool) -> Result<i64, String> {
    let bytes = text.as_bytes();
    let parsed = if bytes.len() == 5 && bytes[2] == b':' {
        digits(&bytes[..2]).zip(digits(&bytes[3..]))
    } else {
        None
    };
    match parsed {
        Some((hours @ 0..=23, minutes @ 0..=59)) => {
            Ok(i64::from(hours) * 3600 + i64::from(minutes) * 60)
        }
        Some((24, 0)) if end_of_day_allowed => Ok(DAY),
        _ if end_of_day_allowed => {
            Err("is not a time of day \"HH:MM\" between \"00:00\" and \"24:00\"".to_string())
        }
        _ => Err("is not a time of day \"HH:MM\" between \"00:00\" and \"23:59\"".to_string()),
    }
}

/// Parses a day name (`mon` … `sun`, any case) into its [`weekday`] index.
pub fn parse_weekday(text: &str) -> Result<usize, String> {
    WEEKDAYS
        .iter()
        .position(|name| name.eq_ignore_ascii_case(text))
        .ok_or_else(|| format!("is not a day; use one of {}", WEEKDAYS.join(", ")))
}

/// An absolute window `[start, end)`; an absent bound is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: Option<i64>,
    pub end: Option<i64>,
}

impl Window {
    fn contains(&self, now: i64) -> bool {
        self.start.is_none_or(|start| start <= now) && self.end.is_none_or(|end| now < end)
    }
}

/// A window that repeats every week on the given days, in local time at a fixed UTC offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeeklyWindow {
    /// Indexed by [`weekday`]: the local days on which the window starts.
    pub days: [bool; 7],
    /// Local start, seconds after midnight.
    pub start: i64,
    /// 1..=DAY seconds; a window may run past midnight into the next day.
    pub length: i64,
    /// Seconds east of UTC.
    pub utc_offset: i64,
}

impl WeeklyWindow {
    /// Builds one from local `start` and `end` (seconds after midnight, `end` up to `DAY`); an
    /// `end` not after `start` means the window ends the next day. `None` when they are equal.
    pub fn new(days: [bool; 7], start: i64, end: i64, utc_offset: i64) -> Option<WeeklyWindow> {
        if start == end || !(0..DAY).contains(&start) || !(0..=DAY).contains(&end) {
            return None;
        }
        let length = if end > start {
            end - start
        } else {
            end + DAY - start
        };
        Some(WeeklyWindow {
            days,
            start,
            length,
            utc_offset,
        })
    }

    /// The occurrences that could contain `now` or start soon after: starting on the local day
    /// before `now` through `extra_days` after it.
    fn occurrences(&self, now: i64, extra_days: i64) -> impl Iterator<Item = (i64, i64)> + '_ {
        let today = (now + self.utc_offset).div_euclid(DAY);
        (today - 1..=today + extra_days)
            .filter(|&day| self.days[weekday(day)])
            .map(move |day| {
                let start = day * DAY + self.start - self.utc_offset;
                (start, start + self.length)
            })
    }

    /// The end of the occurrence containing `now` that ends last, if any.
    fn end_of_occurrence_containing(&self, now: i64) -> Option<i64> {
        self.occurrences(now, 0)
            .filter(|&(start, end)| start <= now && now < end)
            .map(|(_, end)| end)
            .max()
    }

    /// The first start after `now`.
    fn next_start_after(&self, now: i64) -> Option<i64> {
        self.occurrences(now, 8)
            .map(|(start, _)| start)
            .find(|&start| start > now)
    }
}

/// The window maintenance is in right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActiveWindow {
    /// The first instant no window covers (overlapping and back-to-back windows count as one);
    /// `None` when no end is in sight (an open-ended window, or weekly windows covering it all).
    pub end: Option<i64>,
}

/// Where the schedule stands at one instant, and until when that holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScheduleState {
    pub active: Option<ActiveWindow>,
    /// The next instant the state changes; `None` if never.
    pub next_transition: Option<i64>,
}

/// All windows of a configuration. Maintenance applies while any of them covers the instant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Schedule {
    pub windows: Vec<Window>,
    pub weekly: Vec<WeeklyWindow>,
}

impl Schedule {
    /// Whether any window covers `now` (cheap: one pass, no chaining).
    pub fn covers(&self, now: i64) -> bool {
        self.windows.iter().any(|window| window.contains(now))
            || self
                .weekly
                .iter()
                .any(|weekly| weekly.end_of_occurrence_containing(now).is_some())
    }

    /// The latest end among the windows covering `now`: `Err(())` if one of them never ends,
    /// `Ok(None)` if none covers `now`.
    fn latest_end_covering(&self, now: i64) -> Result<Option<i64>, ()> {
        let mut latest = None;
        for window in self.windows.iter().filter(|window| window.contains(now)) {
            let end = window.end.ok_or(())?;
            latest = latest.max(Some(end));
        }
        for weekly in &self.weekly {
            latest = latest.max(weekly.end_of_occurrence_containing(now));
        }
        Ok(latest)
    }

    /// The window covering `now`, with its end, or `None` outside every window.
    pub fn active_window(&self, now: i64) -> Option<ActiveWindow> {
        // Past the last absolute end only weekly windows remain; if they then cover a whole
        // week without a gap, they cover everything after it too.
        let last_absolute_end = self.windows.iter().filter_map(|window| window.end).max();
        let horizon = last_absolute_end
            .unwrap_or(now)
            .max(now)
            .saturating_add(WEEK);
        let mut end = match self.latest_end_covering(now) {
            Ok(Some(end)) => end,
            Ok(None) => return None,
            Err(()) => return Some(ActiveWindow { end: None }),
        };
        // Each step strictly advances `end`, so this ends by the horizon; the bound is a guard.
        for _ in 0..100_000 {
            if end >= horizon {
                return Some(ActiveWindow { end: None });
            }
            match self.latest_end_covering(end) {
                Ok(Some(later)) => end = later,
                Ok(None) => return Some(ActiveWindow { end: Some(end) }),
                Err(()) => return Some(ActiveWindow { end: None }),
            }
        }
        Some(ActiveWindow { end: None })
    }

    /// The first instant after `now` at which the first window opens, while outside every window.
    fn next_start_after(&self, now: i64) -> Option<i64> {
        let absolute = self
            .windows
            .iter()
            .filter_map(|window| window.start)
            .filter(|&start| start > now);
        let weekly = self
            .weekly
            .iter()
            .filter_map(|weekly| weekly.next_start_after(now));
        absolute.chain(weekly).min()
    }

    /// The state at `now`; it holds from `now` until `next_transition`.
    pub fn state_at(&self, now: i64) -> ScheduleState {
        match self.active_window(now) {
            Some(active) => ScheduleState {
                active: Some(active),
                next_transition: active.end,
            },
            None => ScheduleState {
                active: None,
                next_transition: self.next_start_after(now),
            },
        }
    }

    /// The next instant after `now` at which maintenance starts or stops applying.
    pub fn next_transition(&self, now: i64) -> Option<i64> {
        self.state_at(now).next_transition
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(text: &str) -> i64 {
        parse_rfc3339(text).unwrap_or_else(|why| panic!("{text}: {why}"))
    }

    #[test]
    fn civil_round_trips_over_four_centuries() {
        // Every day from 1600 to 2400 maps back to itself and days advance by one.
        let first = days_from_civil(1600, 1, 1);
        let last = days_from_civil(2400, 12, 31);
        let mut expected = (1600, 1, 1);
        for days in first..=last {
            assert_eq!(civil_from_days(days), expected, "{days}");
            assert_eq!(days_from_civil(expected.0, expected.1, expected.2), days);
            let (year, month, day) = expected;
            expected = if day < days_in_month(year, month) {
                (year, month, day + 1)
            } else if month < 12 {
                (year, month + 1, 1)
            } else {
                (year + 1, 1, 1)
            };
        }
    }

    #[test]
    fn known_days() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
        assert_eq!(civil_from_days(-719_468), (0, 3, 1));
        assert_eq!(weekday(0), 3); // Thursday
        assert_eq!(weekday(-1), 2); // Wednesday 1969-12-31
        assert_eq!(weekday(days_from_civil(2024, 2, 29)), 3); // Thursday
        assert_eq!(weekday(days_from_civil(2025, 6, 1)), 6); // Sunday
    }

    #[test]
    fn leap_years() {
        assert!(is_leap_year(2024) && is_leap_year(2000) && is_leap_year(1600));
        assert!(!is_leap_year(1900) && !is_leap_year(2100) && !is_leap_year(2023));
        assert_eq!(days_in_month(2024, 2), 29);
        assert_eq!(days_in_month(2100, 2), 28);
        assert_eq!(days_in_month(2000, 2), 29);
        assert_eq!(t("2024-02-29T00:00:00Z") + DAY, t("2024-03-01T00:00:00Z"));
        assert_eq!(t("2023-02-28T00:00:00Z") + DAY, t("2023-03-01T00:00:00Z"));
        assert!(parse_rfc3339("2023-02-29T00:00:00Z").is_err());
        assert!(parse_rfc3339("2100-02-29T00:00:00Z").is_err());
        assert!(parse_rfc3339("2000-02-29T00:00:00Z").is_ok());
    }

    #[test]
    fn month_ends() {
        for (month, last) in [(1, 31), (4, 30), (6, 30), (9, 30), (11, 30), (12, 31)] {
            let text = format!("2025-{month:02}-{last:02}T23:59:59Z");
            assert!(parse_rfc3339(&text).is_ok(), "{text}");
            let text = format!("2025-{month:02}-{:02}T00:00:00Z", last + 1);
            assert!(parse_rfc3339(&text).is_err(), "{text}");
        }
        assert_eq!(t("2025-12-31T23:59:59Z") + 1, t("2026-01-01T00:00:00Z"));
        assert_eq!(t("2025-04-30T23:59:59Z") + 1, t("2025-05-01T00:00:00Z"));
    }

    #[test]
    fn rfc3339_values() {
        assert_eq!(t("1970-01-01T00:00:00Z"), 0);
        assert_eq!(t("2025-06-01T02:00:00Z"), 1_748_743_200);
        assert_eq!(t("2025-06-01T04:00:00+02:00"), 1_748_743_200);
        assert_eq!(t("2025-05-31T21:30:00-04:30"), 1_748_743_200);
        assert_eq!(t("2025-06-01t02:00:00z"), 1_748_743_200);
        assert_eq!(t("2025-06-01T02:00:00-00:00"), 1_748_743_200);
        // Fractions are dropped, whatever their length.
        assert_eq!(t("2025-06-01T02:00:00.999999999Z"), 1_748_743_200);
        assert_eq!(t("2025-06-01T04:00:00.5+02:00"), 1_748_743_200);
        // A leap second is the first second of the next minute.
        assert_eq!(t("2016-12-31T23:59:60Z"), t("2017-01-01T00:00:00Z"));
        // Offsets cross day, month and year boundaries.
        assert_eq!(t("2025-01-01T01:00:00+02:00"), t("2024-12-31T23:00:00Z"));
        assert_eq!(t("2024-02-28T23:00:00-02:00"), t("2024-02-29T01:00:00Z"));
        assert_eq!(t("1969-12-31T23:59:59Z"), -1);
        assert_eq!(t("0000-03-01T00:00:00Z"), -719_468 * DAY);
        assert_eq!(t("9999-12-31T23:59:59Z"), 253_402_300_799);
    }

    #[test]
    fn rfc3339_rejects() {
        for text in [
            "",
            "2025-06-01",
            "2025-06-01T02:00:00",
            "2025-06-01 02:00:00Z",
            "2025-06-01T02:00Z",
            "2025-6-01T02:00:00Z",
            "2025/06/01T02:00:00Z",
            "25-06-01T02:00:00Z",
            "+2025-06-01T02:00:00Z",
            "2025-13-01T02:00:00Z",
            "2025-00-01T02:00:00Z",
            "2025-06-00T02:00:00Z",
            "2025-06-31T02:00:00Z",
            "2025-06-01T24:00:00Z",
            "2025-06-01T02:60:00Z",
            "2025-06-01T02:00:61Z",
            "2025-06-01T02:00:00.Z",
            "2025-06-01T02:00:00,5Z",
            "2025-06-01T02:00:00+2:00",
            "2025-06-01T02:00:00+0200",
            "2025-06-01T02:00:00+24:00",
            "2025-06-01T02:00:00+02:60",
            "2025-06-01T02:00:00Z ",
            " 2025-06-01T02:00:00Z",
            "2025-06-01T02:00:00ZZ",
            "2025-06-01T0२:00:00Z",
            "2025-06-01T02:00:00+02:00:00",
        ] {
            assert!(parse_rfc3339(text).is_err(), "{text:?} accepted");
        }
    }

    #[test]
    fn formats_rfc3339() {
        assert_eq!(format_rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_rfc3339(-1), "1969-12-31T23:59:59Z");
        assert_eq!(format_rfc3339(1_748_743_200), "2025-06-01T02:00:00Z");
        assert_eq!(
            format_rfc3339(t("2024-02-29T12:34:56Z")),
            "2024-02-29T12:34:56Z"
        );
        for seconds in (0..2_000_000_000).step_by(9_999_991) {
            assert_eq!(t(&format_rfc3339(seconds)), seconds);
        }
    }

    #[test]
    fn offsets_and_times_of_day() {
        assert_eq!(parse_utc_offset("+02:00"), Ok(7200));
        assert_eq!(parse_utc_offset("-05:30"), Ok(-19_800));
        assert_eq!(parse_utc_offset("+00:00"), Ok(0));
        assert_eq!(parse_utc_offset("Z"), Ok(0));
        assert_eq!(parse_utc_offset("+23:59"), Ok(86_340));
        for bad in [
            "", "02:00", "+2:00", "+02", "+0200", "+24:00", "+02:60", "UTC", "+02:0x",
        ] {
            assert!(parse_utc_offset(bad).is_err(), "{bad:?}");
        }
        assert_eq!(parse_time_of_day("00:00", false), Ok(0));
        assert_eq!(parse_time_of_day("23:59", false), Ok(86_340));
        assert_eq!(parse_time_of_day("24:00", true), Ok(DAY));
        for bad in [
            "24:00", "2:00", "02:00:00", "12:60", "25:00", "ab:cd", "", "12-00",
        ] {
            assert!(parse_time_of_day(bad, false).is_err(), "{bad:?}");
        }
        assert!(parse_time_of_day("24:01", true).is_err());
        assert_eq!(parse_weekday("sat"), Ok(5));
        assert_eq!(parse_weekday("SUN"), Ok(6));
        assert!(parse_weekday("saturday").is_err());
        assert!(parse_weekday("").is_err());
    }

    fn days(names: &[&str]) -> [bool; 7] {
        let mut days = [false; 7];
        for name in names {
            days[parse_weekday(name).unwrap()] = true;
        }
        days
    }

    fn weekly(names: &[&str], start: &str, end: &str, offset: &str) -> WeeklyWindow {
        WeeklyWindow::new(
            days(names),
            parse_time_of_day(start, false).unwrap(),
            parse_time_of_day(end, true).unwrap(),
            parse_utc_offset(offset).unwrap(),
        )
        .unwrap()
    }

    fn schedule(windows: Vec<Window>, weekly: Vec<WeeklyWindow>) -> Schedule {
        Schedule { windows, weekly }
    }

    #[test]
    fn weekly_window_lengths() {
        assert_eq!(weekly(&["mon"], "02:00", "04:00", "Z").length, 2 * 3600);
        assert_eq!(weekly(&["mon"], "22:00", "02:00", "Z").length, 4 * 3600);
        assert_eq!(weekly(&["mon"], "00:00", "24:00", "Z").length, DAY);
        assert_eq!(weekly(&["mon"], "12:00", "24:00", "Z").length, 12 * 3600);
        assert_eq!(weekly(&["mon"], "23:59", "00:00", "Z").length, 60);
        assert!(WeeklyWindow::new(days(&["mon"]), 3600, 3600, 0).is_none());
        assert!(WeeklyWindow::new(days(&["mon"]), 0, 0, 0).is_none());
        // 10:00 to 24:00 is 14 hours, not "10:00 through 10:00 next day".
        assert_eq!(
            WeeklyWindow::new(days(&["mon"]), 36_000, DAY, 0).map(|w| w.length),
            Some(14 * 3600)
        );
    }

    #[test]
    fn absolute_windows() {
        let start = t("2025-06-01T02:00:00Z");
        let end = t("2025-06-01T04:00:00Z");
        let plan = schedule(
            vec![Window {
                start: Some(start),
                end: Some(end),
            }],
            vec![],
        );
        assert!(!plan.covers(start - 1));
        assert!(plan.covers(start));
        assert!(plan.covers(end - 1));
        assert!(!plan.covers(end));
        assert_eq!(
            plan.active_window(start),
            Some(ActiveWindow { end: Some(end) })
        );
        assert_eq!(plan.active_window(end), None);
        assert_eq!(plan.next_transition(start - 100), Some(start));
        assert_eq!(plan.next_transition(start), Some(end));
        assert_eq!(plan.next_transition(end), None);

        let open_ended = schedule(
            vec![Window {
                start: Some(start),
                end: None,
            }],
            vec![],
        );
        assert_eq!(
            open_ended.active_window(start + 1_000_000_000),
            Some(ActiveWindow { end: None })
        );
        assert_eq!(open_ended.next_transition(start), None);
        assert_eq!(open_ended.next_transition(start - 1), Some(start));

        let until = schedule(
            vec![Window {
                start: None,
                end: Some(end),
            }],
            vec![],
        );
        assert_eq!(
            until.active_window(i64::MIN / 2),
            Some(ActiveWindow { end: Some(end) })
        );
        assert!(!until.covers(end));
    }

    #[test]
    fn overlapping_and_back_to_back_windows_merge() {
        let at = |hour: i64| t("2025-06-01T00:00:00Z") + hour * 3600;
        let window = |from: i64, to: i64| Window {
            start: Some(at(from)),
            end: Some(at(to)),
        };
        // 1–3, 2–5 (overlap), 5–6 (back to back), 7–8 (a gap before it).
        let plan = schedule(
            vec![window(1, 3), window(5, 6), window(2, 5), window(7, 8)],
            vec![],
        );
        for hour in [1, 2, 4, 5] {
            assert_eq!(
                plan.active_window(at(hour)),
                Some(ActiveWindow { end: Some(at(6)) }),
                "{hour}"
            );
        }
        assert_eq!(plan.active_window(at(6)), None);
        assert_eq!(plan.next_transition(at(6)), Some(at(7)));
        assert_eq!(plan.next_transition(at(0)), Some(at(1)));
        // An open-ended window anywhere in the chain means no end.
        let plan = schedule(
            vec![
                window(1, 3),
                Window {
                    start: Some(at(3)),
                    end: None,
                },
            ],
            vec![],
        );
        assert_eq!(plan.active_window(at(1)), Some(ActiveWindow { end: None }));
    }

    #[test]
    fn weekly_window_with_offset() {
        // Saturdays and Sundays 02:00–04:00 at +02:00, i.e. 00:00–02:00 UTC.
        let plan = schedule(
            vec![],
            vec![weekly(&["sat", "sun"], "02:00", "04:00", "+02:00")],
        );
        let saturday = t("2025-05-31T00:00:00Z");
        assert_eq!(weekday(saturday.div_euclid(DAY)), 5);
        assert!(!plan.covers(saturday - 1));
        assert!(plan.covers(saturday));
        assert!(plan.covers(saturday + 2 * 3600 - 1));
        assert!(!plan.covers(saturday + 2 * 3600));
        assert_eq!(
            plan.active_window(saturday + 60),
            Some(ActiveWindow {
                end: Some(saturday + 2 * 3600)
            })
        );
        assert_eq!(
            plan.next_transition(saturday + 2 * 3600),
            Some(saturday + DAY)
        );
        // Sunday's window, then nothing until next Saturday.
        let sunday = saturday + DAY;
        assert!(plan.covers(sunday + 3600));
        assert_eq!(
            plan.next_transition(sunday + 2 * 3600),
            Some(saturday + WEEK)
        );
        // Friday 23:30 UTC is Saturday 01:30 local: not yet.
        assert!(!plan.covers(saturday - 1800));
    }

    #[test]
    fn weekly_window_across_midnight() {
        // Saturday 22:00 to Sunday 02:00 local at -05:00 (03:00 to 07:00 UTC Sunday).
        let plan = schedule(vec![], vec![weekly(&["sat"], "22:00", "02:00", "-05:00")]);
        let start = t("2025-05-31T22:00:00-05:00");
        let end = t("2025-06-01T02:00:00-05:00");
        assert_eq!(end - start, 4 * 3600);
        assert!(!plan.covers(start - 1));
        assert!(plan.covers(start));
        // Past local midnight, on Sunday (not a configured day), still inside.
        assert!(plan.covers(t("2025-06-01T00:30:00-05:00")));
        assert!(plan.covers(end - 1));
        assert!(!plan.covers(end));
        assert_eq!(
            plan.active_window(t("2025-06-01T01:00:00-05:00")),
            Some(ActiveWindow { end: Some(end) })
        );
        // A Sunday-evening window would start on Sunday, not Saturday.
        assert!(!plan.covers(t("2025-06-01T23:00:00-05:00")));
        assert_eq!(plan.next_transition(end), Some(start + WEEK));
    }

    #[test]
    fn weekly_window_at_a_large_positive_offset_crosses_the_utc_day() {
        // Monday 01:00–03:00 at +14:00 is Sunday 11:00–13:00 UTC.
        let plan = schedule(vec![], vec![weekly(&["mon"], "01:00", "03:00", "+14:00")]);
        assert!(plan.covers(t("2025-06-01T11:00:00Z")));
        assert!(plan.covers(t("2025-06-01T12:59:59Z")));
        assert!(!plan.covers(t("2025-06-01T13:00:00Z")));
        assert!(!plan.covers(t("2025-06-02T11:30:00Z")));
    }

    #[test]
    fn back_to_back_weekly_windows_merge_and_a_full_week_never_ends() {
        // Sat and Sun all day: Saturday's window ends when Sunday's starts, so one span.
        let plan = schedule(vec![], vec![weekly(&["sat", "sun"], "00:00", "24:00", "Z")]);
        let saturday = t("2025-05-31T00:00:00Z");
        assert_eq!(
            plan.active_window(saturday + 3600),
            Some(ActiveWindow {
                end: Some(saturday + 2 * DAY)
            })
        );
        let every_day = schedule(
            vec![],
            vec![weekly(
                &["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                "00:00",
                "24:00",
                "Z",
            )],
        );
        assert_eq!(
            every_day.active_window(saturday),
            Some(ActiveWindow { end: None })
        );
        assert_eq!(every_day.next_transition(saturday), None);
        // Every night across midnight chains into the next night's window only if they touch.
        let nightly = schedule(
            vec![],
            vec![weekly(
                &["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                "22:00",
                "02:00",
                "Z",
            )],
        );
        assert_eq!(
            nightly.active_window(saturday + 3600),
            Some(ActiveWindow {
                end: Some(saturday + 2 * 3600)
            })
        );
    }

    #[test]
    fn absolute_and_weekly_windows_chain() {
        // An absolute window that runs into a weekly one: the end is the weekly window's end.
        let saturday = t("2025-05-31T00:00:00Z");
        let plan = schedule(
            vec![Window {
                start: Some(saturday - 3 * 3600),
                end: Some(saturday + 3600),
            }],
            vec![weekly(&["sat"], "00:00", "06:00", "Z")],
        );
        assert_eq!(
            plan.active_window(saturday - 3600),
            Some(ActiveWindow {
                end: Some(saturday + 6 * 3600)
            })
        );
        // A long absolute window and an every-day window beyond it: still no end in sight.
        let plan = schedule(
            vec![Window {
                start: Some(saturday),
                end: Some(saturday + 30 * DAY),
            }],
            vec![weekly(
                &["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                "00:00",
                "24:00",
                "Z",
            )],
        );
        assert_eq!(
            plan.active_window(saturday),
            Some(ActiveWindow { end: None })
        );
    }

    #[test]
    fn state_holds_until_the_next_transition() {
        // Walk through two weeks minute by minute: covers() may only change at transitions.
        let saturday = t("2025-05-31T00:00:00Z");
        let plan = schedule(
            vec![Window {
                start: Some(saturday + 3 * DAY + 7 * 3600),
                end: Some(saturday + 3 * DAY + 9 * 3600 + 1234),
            }],
            vec![
                weekly(&["sat", "sun"], "22:30", "01:15", "+05:45"),
                weekly(&["wed"], "08:00", "24:00", "-03:00"),
            ],
        );
        let mut now = saturday;
        let mut transitions = 0;
        while now < saturday + 2 * WEEK {
            let state = plan.state_at(now);
            assert_eq!(state.active.is_some(), plan.covers(now));
            let next = state.next_transition.unwrap();
            assert!(next > now);
            let mut probe = now;
            while probe < next.min(saturday + 2 * WEEK) {
                assert_eq!(plan.covers(probe), state.active.is_some(), "{probe}");
                assert_eq!(plan.active_window(probe), state.active, "{probe}");
                probe += 601;
            }
            if next < saturday + 2 * WEEK {
                assert_ne!(plan.covers(next), state.active.is_some(), "{next}");
                assert!(plan.covers(next - 1) == state.active.is_some());
            }
            transitions += 1;
            now = next;
        }
        // The first state, then 2 weekend nights per week, 2 Wednesdays and the Tuesday window,
        // each opening and closing (none of them touch).
        assert_eq!(transitions, 1 + 2 * (4 + 2 + 1));
    }
}
