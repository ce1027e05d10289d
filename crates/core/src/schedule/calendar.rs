//! The calendar: civil dates and unix seconds, RFC 3339, times of day, UTC offsets and day
//! names. Pure arithmetic; no clock and no date crate (wasm size).

/// Seconds in a day (unix time has no leap seconds).
pub const DAY: i64 = 86_400;
/// Seconds in a week.
pub const WEEK: i64 = 7 * DAY;

use std::fmt;

use serde::Deserialize;

use crate::refused::Refused;

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

/// The first and last instants RFC 3339 can write (four-digit years, in UTC).
pub const FIRST_INSTANT: i64 = -62_167_219_200; // 0000-01-01T00:00:00Z
pub const LAST_INSTANT: i64 = 253_402_300_799; // 9999-12-31T23:59:59Z

/// Why a configured UTC offset is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetProblem {
    Form,
    Range,
}

const OFFSET_FORM: &str = "is not a UTC offset like \"+02:00\", \"-05:30\" or \"Z\"";

impl fmt::Display for OffsetProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OffsetProblem::Form => f.write_str(OFFSET_FORM),
            OffsetProblem::Range => {
                write!(f, "{OFFSET_FORM}: hours must be 00..23 and minutes 00..59")
            }
        }
    }
}

/// Parses `Z`/`z` or `+HH:MM`/`-HH:MM` (HH ≤ 23, MM ≤ 59) into seconds east of UTC.
pub fn parse_utc_offset(text: &str) -> Result<i64, OffsetProblem> {
    let bytes = text.as_bytes();
    if bytes == b"Z" || bytes == b"z" {
        return Ok(0);
    }
    let sign = match bytes.first() {
        Some(b'+') => 1,
        Some(b'-') => -1,
        _ => return Err(OffsetProblem::Form),
    };
    if bytes.len() != 6 || bytes[3] != b':' {
        return Err(OffsetProblem::Form);
    }
    let (Some(hours), Some(minutes)) = (digits(&bytes[1..3]), digits(&bytes[4..6])) else {
        return Err(OffsetProblem::Form);
    };
    if hours > 23 || minutes > 59 {
        return Err(OffsetProblem::Range);
    }
    Ok(sign * (i64::from(hours) * 3600 + i64::from(minutes) * 60))
}

/// Why a configured RFC 3339 date-time is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateTimeProblem {
    Form,
    /// A `.` without digits after it.
    Fraction,
    /// No `Z` or UTC offset at the end.
    Offset,
    Month(u32),
    Day {
        year: i64,
        month: u32,
        day: u32,
    },
    Time {
        hour: u32,
        minute: u32,
        second: u32,
    },
    /// Before year 0000 or after 9999 once in UTC (these unix seconds), which RFC 3339 cannot
    /// write back.
    Years(i64),
}

const DATE_TIME_FORM: &str =
    "is not an RFC 3339 date-time like \"2025-06-01T02:00:00Z\" or \"2025-06-01T04:00:00+02:00\"";

impl fmt::Display for DateTimeProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            DateTimeProblem::Form => f.write_str(DATE_TIME_FORM),
            DateTimeProblem::Fraction => {
                write!(f, "{DATE_TIME_FORM}: a '.' must be followed by digits")
            }
            DateTimeProblem::Offset => write!(
                f,
                "{DATE_TIME_FORM}: it must end in \"Z\" or a UTC offset like \"+02:00\""
            ),
            DateTimeProblem::Month(month) => {
                write!(f, "{DATE_TIME_FORM}: month {month:02} does not exist")
            }
            DateTimeProblem::Day { year, month, day } => {
                write!(
                    f,
                    "{DATE_TIME_FORM}: {year:04}-{month:02} has no day {day:02}"
                )
            }
            DateTimeProblem::Time {
                hour,
                minute,
                second,
            } => write!(
                f,
                "{DATE_TIME_FORM}: {hour:02}:{minute:02}:{second:02} is not a time of day"
            ),
            DateTimeProblem::Years(seconds) if seconds > LAST_INSTANT => write!(
                f,
                "is after {} in UTC, the last time RFC 3339 can write (years have four digits)",
                format_rfc3339(LAST_INSTANT)
            ),
            DateTimeProblem::Years(_) => write!(
                f,
                "is before {} in UTC, the first time RFC 3339 can write (years have four digits)",
                format_rfc3339(FIRST_INSTANT)
            ),
        }
    }
}

/// Parses an RFC 3339 date-time (`2025-06-01T02:00:00Z`, `2025-06-01T04:00:00.5+02:00`) into
/// unix seconds. Fractional seconds are accepted and dropped; second 60 (a leap second) counts
/// as the first second of the next minute. In UTC it must fall in the years 0000 to 9999, so
/// that every time derived from it can be written back (`9999-12-31T23:59:59-23:59` cannot).
pub fn parse_rfc3339(text: &str) -> Result<i64, DateTimeProblem> {
    let bytes = text.as_bytes();
    if bytes.len() < 20 {
        return Err(DateTimeProblem::Form);
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
        return Err(DateTimeProblem::Form);
    };
    if !separators_ok {
        return Err(DateTimeProblem::Form);
    }
    let mut rest = &text[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let length = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if length == 0 {
            return Err(DateTimeProblem::Fraction);
        }
        rest = &fraction[length..];
    }
    let offset = parse_utc_offset(rest).map_err(|_| DateTimeProblem::Offset)?;
    let year = i64::from(year);
    if !(1..=12).contains(&month) {
        return Err(DateTimeProblem::Month(month));
    }
    if day == 0 || day > days_in_month(year, month) {
        return Err(DateTimeProblem::Day { year, month, day });
    }
    if hour > 23 || minute > 59 || second > 60 {
        return Err(DateTimeProblem::Time {
            hour,
            minute,
            second,
        });
    }
    let seconds_of_day = i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second);
    let seconds = days_from_civil(year, month, day) * DAY + seconds_of_day - offset;
    if !(FIRST_INSTANT..=LAST_INSTANT).contains(&seconds) {
        return Err(DateTimeProblem::Years(seconds));
    }
    Ok(seconds)
}

/// Formats unix seconds as an RFC 3339 UTC date-time: `2025-06-01T02:00:00Z`. Outside the
/// years 0000 to 9999 it gives the nearest time RFC 3339 can write (configured times never
/// are; only a clock that far off could be). Written digit by digit: the status document
/// formats one per request, and `format!`'s padding machinery costs several times as much.
pub fn format_rfc3339(seconds: i64) -> String {
    let seconds = seconds.clamp(FIRST_INSTANT, LAST_INSTANT);
    let (year, month, day) = civil_from_days(seconds.div_euclid(DAY));
    let of_day = seconds.rem_euclid(DAY);
    let mut text = String::with_capacity(20);
    push_digits(&mut text, year, 4);
    text.push('-');
    push_digits(&mut text, i64::from(month), 2);
    text.push('-');
    push_digits(&mut text, i64::from(day), 2);
    text.push('T');
    push_digits(&mut text, of_day / 3600, 2);
    text.push(':');
    push_digits(&mut text, of_day / 60 % 60, 2);
    text.push(':');
    push_digits(&mut text, of_day % 60, 2);
    text.push('Z');
    text
}

/// The last `width` decimal digits of `value` (not negative), zero-padded.
fn push_digits(out: &mut String, value: i64, width: u32) {
    const DIGITS: &[u8; 10] = b"0123456789";
    for place in (0..width).rev() {
        let digit = (value / 10_i64.pow(place)).rem_euclid(10);
        let index = usize::try_from(digit).unwrap_or_default();
        out.push(char::from(DIGITS[index]));
    }
}

/// Why a configured time of day is refused (`end_of_day`: `24:00` was allowed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeOfDayProblem {
    end_of_day: bool,
}

impl fmt::Display for TimeOfDayProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let last = if self.end_of_day { "24:00" } else { "23:59" };
        write!(
            f,
            "is not a time of day \"HH:MM\" between \"00:00\" and \"{last}\""
        )
    }
}

/// Parses a time of day `HH:MM` into seconds after midnight. `24:00` (the end of the day) only
/// when `end_of_day_allowed`.
pub fn parse_time_of_day(text: &str, end_of_day_allowed: bool) -> Result<i64, TimeOfDayProblem> {
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
        _ => Err(TimeOfDayProblem {
            end_of_day: end_of_day_allowed,
        }),
    }
}

/// Why a configured day name is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeekdayProblem;

impl fmt::Display for WeekdayProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "is not a day; use one of {}", WEEKDAYS.join(", "))
    }
}

/// Parses a day name (`mon` … `sun`, any case) into its [`weekday`] index.
pub fn parse_weekday(text: &str) -> Result<usize, WeekdayProblem> {
    WEEKDAYS
        .iter()
        .position(|name| name.eq_ignore_ascii_case(text))
        .ok_or(WeekdayProblem)
}

/// An RFC 3339 date-time from the configuration, in unix seconds (see [`parse_rfc3339`]).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema),
    schemars(with = "String")
)]
pub struct DateTime {
    pub seconds: i64,
    /// As written, for messages.
    pub written: String,
}

impl TryFrom<String> for DateTime {
    type Error = Refused<DateTimeProblem>;

    fn try_from(written: String) -> Result<DateTime, Self::Error> {
        match parse_rfc3339(&written) {
            Ok(seconds) => Ok(DateTime { seconds, written }),
            Err(why) => Err(Refused::new(written, why)),
        }
    }
}

/// A local time of day `HH:MM` when a weekly window starts, in seconds after midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema),
    schemars(with = "String")
)]
pub struct StartTime(pub i64);

impl TryFrom<String> for StartTime {
    type Error = Refused<TimeOfDayProblem>;

    fn try_from(written: String) -> Result<StartTime, Self::Error> {
        parse_time_of_day(&written, false)
            .map(StartTime)
            .map_err(|why| Refused::new(written, why))
    }
}

/// A local time of day `HH:MM` when a weekly window ends (`24:00`: the end of the day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema),
    schemars(with = "String")
)]
pub struct EndTime(pub i64);

impl TryFrom<String> for EndTime {
    type Error = Refused<TimeOfDayProblem>;

    fn try_from(written: String) -> Result<EndTime, Self::Error> {
        parse_time_of_day(&written, true)
            .map(EndTime)
            .map_err(|why| Refused::new(written, why))
    }
}

impl fmt::Display for EndTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 3600, self.0 / 60 % 60)
    }
}

/// A UTC offset (`+02:00`, `-05:30`, `Z`), in seconds east of UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema),
    schemars(with = "String")
)]
pub struct UtcOffset(pub i64);

impl TryFrom<String> for UtcOffset {
    type Error = Refused<OffsetProblem>;

    fn try_from(written: String) -> Result<UtcOffset, Self::Error> {
        parse_utc_offset(&written)
            .map(UtcOffset)
            .map_err(|why| Refused::new(written, why))
    }
}

/// A day of the week (`mon` … `sun`, any case).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema),
    schemars(with = "String")
)]
pub struct Weekday {
    /// 0 = Monday … 6 = Sunday.
    pub index: usize,
    /// As written, for messages.
    pub written: String,
}

impl TryFrom<String> for Weekday {
    type Error = Refused<WeekdayProblem>;

    fn try_from(written: String) -> Result<Weekday, Self::Error> {
        match parse_weekday(&written) {
            Ok(index) => Ok(Weekday { index, written }),
            Err(why) => Err(Refused::new(written, why)),
        }
    }
}

/// A whole number of seconds from `MIN` to `MAX`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "u64")]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema),
    schemars(with = "u64")
)]
pub struct Seconds<const MIN: u64, const MAX: u64>(pub u64);

/// Seconds outside their bounds: the value, and the bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecondsProblem {
    seconds: u64,
    min: u64,
    max: u64,
}

impl fmt::Display for SecondsProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (seconds, min, max) = (self.seconds, self.min, self.max);
        write!(f, "{seconds} is not between {min} and {max} seconds")?;
        let days = max / DAY as u64;
        if max % DAY as u64 == 0 && days > 1 {
            write!(f, " ({days} days)")?;
        }
        Ok(())
    }
}

impl<const MIN: u64, const MAX: u64> TryFrom<u64> for Seconds<MIN, MAX> {
    type Error = SecondsProblem;

    fn try_from(seconds: u64) -> Result<Self, SecondsProblem> {
        match (MIN..=MAX).contains(&seconds) {
            true => Ok(Seconds(seconds)),
            false => Err(SecondsProblem {
                seconds,
                min: MIN,
                max: MAX,
            }),
        }
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

    #[test]
    fn date_times_stay_within_four_digit_years_in_utc() {
        assert_eq!(t("9999-12-31T23:59:59Z"), LAST_INSTANT);
        assert_eq!(t("0000-01-01T00:00:00Z"), FIRST_INSTANT);
        assert_eq!(
            t("9999-12-31T23:00:00-00:59"),
            LAST_INSTANT - 59 + 60 * 59 - 3540
        );
        for (text, at) in [
            ("9999-12-31T23:59:59-23:59", "after 9999-12-31T23:59:59Z"),
            ("9999-12-31T23:59:59.5-00:01", "after 9999-12-31T23:59:59Z"),
            ("0000-01-01T00:00:00+01:00", "before 0000-01-01T00:00:00Z"),
        ] {
            let why = parse_rfc3339(text).unwrap_err().to_string();
            assert!(
                why.contains(at) && why.contains("four digits"),
                "{text}: {why}"
            );
        }
        // Written back, a time is always RFC 3339, whatever the clock says.
        assert_eq!(
            format_rfc3339(LAST_INSTANT + 86_340),
            "9999-12-31T23:59:59Z"
        );
        assert_eq!(format_rfc3339(FIRST_INSTANT - 1), "0000-01-01T00:00:00Z");
        assert_eq!(format_rfc3339(LAST_INSTANT), "9999-12-31T23:59:59Z");
    }

    #[test]
    fn formats_as_format_would() {
        let reference = |seconds: i64| {
            let (year, month, day) = civil_from_days(seconds.div_euclid(DAY));
            let of_day = seconds.rem_euclid(DAY);
            format!(
                "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
                of_day / 3600,
                of_day / 60 % 60,
                of_day % 60
            )
        };
        // Every year's start and a second before, and odd instants across the whole range.
        let mut instants = vec![FIRST_INSTANT, LAST_INSTANT, 0, -1, 951_782_400];
        for year in 0..=9999 {
            let start = days_from_civil(year, 1, 1) * DAY;
            instants.extend([start, start - 1, start + 86_399 + 37 * 3_661]);
        }
        let step = (LAST_INSTANT - FIRST_INSTANT) / 100_003;
        instants.extend((0..100_003).map(|i| FIRST_INSTANT + i * step + i % 86_400));
        for seconds in instants
            .into_iter()
            .filter(|s| (FIRST_INSTANT..=LAST_INSTANT).contains(s))
        {
            let text = format_rfc3339(seconds);
            assert_eq!(text, reference(seconds), "{seconds}");
            assert_eq!(parse_rfc3339(&text), Ok(seconds), "{text}");
        }
    }
}
