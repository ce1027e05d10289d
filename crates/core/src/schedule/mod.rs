//! Maintenance windows: absolute ones (RFC 3339 bounds) and weekly ones (days, `HH:MM`, a UTC
//! offset), and where a schedule of them stands at a given time. Dates are `calendar.rs`'s.

pub mod calendar;

use calendar::*;

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

    /// The start of the occurrence containing `now` that started first, if any.
    fn start_of_occurrence_containing(&self, now: i64) -> Option<i64> {
        self.occurrences(now, 0)
            .filter(|&(start, end)| start <= now && now < end)
            .map(|(start, _)| start)
            .min()
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
    pub fn contains(&self, now: i64) -> bool {
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

    /// The earliest start among the windows covering `now`: `Err(())` if one of them has no
    /// start, `Ok(None)` if none covers `now`.
    fn earliest_start_covering(&self, now: i64) -> Result<Option<i64>, ()> {
        let mut earliest: Option<i64> = None;
        for window in self.windows.iter().filter(|window| window.contains(now)) {
            let start = window.start.ok_or(())?;
            earliest = Some(earliest.map_or(start, |known| known.min(start)));
        }
        for weekly in &self.weekly {
            if let Some(start) = weekly.start_of_occurrence_containing(now) {
                earliest = Some(earliest.map_or(start, |known| known.min(start)));
            }
        }
        Ok(earliest)
    }

    /// When the period covering `now` began (overlapping and back-to-back windows count as
    /// one): `None` outside every window, `Some(None)` when no start is in sight (a window open
    /// since ever, or weekly windows covering the whole week before).
    pub fn period_start(&self, now: i64) -> Option<Option<i64>> {
        let first_absolute_start = self.windows.iter().filter_map(|window| window.start).min();
        let horizon = first_absolute_start
            .unwrap_or(now)
            .min(now)
            .saturating_sub(WEEK);
        let mut start = match self.earliest_start_covering(now) {
            Ok(Some(start)) => start,
            Ok(None) => return None,
            Err(()) => return Some(None),
        };
        // Each step strictly moves `start` back, so this ends by the horizon; the bound is a
        // guard.
        for _ in 0..100_000 {
            if start <= horizon {
                return Some(None);
            }
            match self.earliest_start_covering(start - 1) {
                Ok(Some(earlier)) if earlier < start => start = earlier,
                Ok(_) => return Some(Some(start)),
                Err(()) => return Some(None),
            }
        }
        Some(None)
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

    /// The next period that opens after `now` (after the current one when inside one): its
    /// start and end (`None`: open-ended). Overlapping and back-to-back windows count as one.
    pub fn next_period(&self, now: i64) -> Option<(i64, Option<i64>)> {
        let state = self.state_at(now);
        let mut start = state.next_transition?;
        if state.active.is_some() {
            start = self.state_at(start).next_transition?;
        }
        let end = self.active_window(start)?.end;
        Some((start, end))
    }

    /// The next instant after `now` at which maintenance starts or stops applying.
    #[cfg(test)]
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
    fn period_start_joins_overlapping_and_back_to_back_windows() {
        let window = |start: Option<&str>, end: Option<&str>| Window {
            start: start.map(t),
            end: end.map(t),
        };
        let schedule = Schedule {
            windows: vec![
                window(Some("2030-01-01T00:00:00Z"), Some("2030-01-01T02:00:00Z")),
                window(Some("2030-01-01T02:00:00Z"), Some("2030-01-01T03:00:00Z")),
                window(Some("2030-01-01T01:00:00Z"), Some("2030-01-01T05:00:00Z")),
                window(Some("2030-02-01T00:00:00Z"), None),
                window(None, Some("2029-06-01T00:00:00Z")),
            ],
            weekly: Vec::new(),
        };
        let joined = Some(Some(t("2030-01-01T00:00:00Z")));
        assert_eq!(schedule.period_start(t("2030-01-01T00:00:00Z")), joined);
        assert_eq!(schedule.period_start(t("2030-01-01T04:59:59Z")), joined);
        assert_eq!(schedule.period_start(t("2030-01-01T05:00:00Z")), None);
        assert_eq!(
            schedule.period_start(t("2031-01-01T00:00:00Z")),
            Some(Some(t("2030-02-01T00:00:00Z")))
        );
        // Open since ever: no start in sight.
        assert_eq!(schedule.period_start(t("2029-01-01T00:00:00Z")), Some(None));
    }

    #[test]
    fn period_start_of_weekly_windows() {
        // Sundays 22:00 to Monday 02:00 at +01:00, and Mondays 02:00 to 03:00 (back to back).
        let schedule = Schedule {
            windows: Vec::new(),
            weekly: vec![
                WeeklyWindow::new(
                    [false, false, false, false, false, false, true],
                    22 * 3600,
                    2 * 3600,
                    3600,
                )
                .unwrap(),
                WeeklyWindow::new(
                    [true, false, false, false, false, false, false],
                    2 * 3600,
                    3 * 3600,
                    3600,
                )
                .unwrap(),
            ],
        };
        // Monday 2030-01-07 02:30 at +01:00.
        assert_eq!(
            schedule.period_start(t("2030-01-07T01:30:00Z")),
            Some(Some(t("2030-01-06T21:00:00Z")))
        );
        assert_eq!(schedule.period_start(t("2030-01-07T02:00:00Z")), None);
        // Every day, all day: no start in sight.
        let always = Schedule {
            windows: Vec::new(),
            weekly: vec![WeeklyWindow::new([true; 7], 0, DAY, 0).unwrap()],
        };
        assert_eq!(always.period_start(t("2030-01-07T01:30:00Z")), Some(None));
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
        assert!(!plan.contains(start - 1));
        assert!(plan.contains(start));
        assert!(plan.contains(end - 1));
        assert!(!plan.contains(end));
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
        assert!(!until.contains(end));
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
        assert!(!plan.contains(saturday - 1));
        assert!(plan.contains(saturday));
        assert!(plan.contains(saturday + 2 * 3600 - 1));
        assert!(!plan.contains(saturday + 2 * 3600));
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
        assert!(plan.contains(sunday + 3600));
        assert_eq!(
            plan.next_transition(sunday + 2 * 3600),
            Some(saturday + WEEK)
        );
        // Friday 23:30 UTC is Saturday 01:30 local: not yet.
        assert!(!plan.contains(saturday - 1800));
    }

    #[test]
    fn weekly_window_across_midnight() {
        // Saturday 22:00 to Sunday 02:00 local at -05:00 (03:00 to 07:00 UTC Sunday).
        let plan = schedule(vec![], vec![weekly(&["sat"], "22:00", "02:00", "-05:00")]);
        let start = t("2025-05-31T22:00:00-05:00");
        let end = t("2025-06-01T02:00:00-05:00");
        assert_eq!(end - start, 4 * 3600);
        assert!(!plan.contains(start - 1));
        assert!(plan.contains(start));
        // Past local midnight, on Sunday (not a configured day), still inside.
        assert!(plan.contains(t("2025-06-01T00:30:00-05:00")));
        assert!(plan.contains(end - 1));
        assert!(!plan.contains(end));
        assert_eq!(
            plan.active_window(t("2025-06-01T01:00:00-05:00")),
            Some(ActiveWindow { end: Some(end) })
        );
        // A Sunday-evening window would start on Sunday, not Saturday.
        assert!(!plan.contains(t("2025-06-01T23:00:00-05:00")));
        assert_eq!(plan.next_transition(end), Some(start + WEEK));
    }

    #[test]
    fn weekly_window_at_a_large_positive_offset_crosses_the_utc_day() {
        // Monday 01:00–03:00 at +14:00 is Sunday 11:00–13:00 UTC.
        let plan = schedule(vec![], vec![weekly(&["mon"], "01:00", "03:00", "+14:00")]);
        assert!(plan.contains(t("2025-06-01T11:00:00Z")));
        assert!(plan.contains(t("2025-06-01T12:59:59Z")));
        assert!(!plan.contains(t("2025-06-01T13:00:00Z")));
        assert!(!plan.contains(t("2025-06-02T11:30:00Z")));
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
            assert_eq!(state.active.is_some(), plan.contains(now));
            let next = state.next_transition.unwrap();
            assert!(next > now);
            let mut probe = now;
            while probe < next.min(saturday + 2 * WEEK) {
                assert_eq!(plan.contains(probe), state.active.is_some(), "{probe}");
                assert_eq!(plan.active_window(probe), state.active, "{probe}");
                probe += 601;
            }
            if next < saturday + 2 * WEEK {
                assert_ne!(plan.contains(next), state.active.is_some(), "{next}");
                assert!(plan.contains(next - 1) == state.active.is_some());
            }
            transitions += 1;
            now = next;
        }
        // The first state, then 2 weekend nights per week, 2 Wednesdays and the Tuesday window,
        // each opening and closing (none of them touch).
        assert_eq!(transitions, 1 + 2 * (4 + 2 + 1));
    }
}
