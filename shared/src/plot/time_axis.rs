//! The time (x) axis: ticks on calendar boundaries in UTC (round seconds, minutes, hours, days,
//! Mondays, months, years), labelled in the format that suits the tick step. Plotters' own
//! integer axis would put ticks at round millisecond counts, which read as arbitrary dates.

use std::ops::Range;

use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, Ranged, ValueFormatter};

use crate::time;

const SECOND: i64 = 1000;
const MINUTE: i64 = 60 * SECOND;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;
const WEEK: i64 = 7 * DAY;
/// 1970-01-05 is the first Monday after the epoch: weekly ticks fall on Mondays.
const FIRST_MONDAY: i64 = 4 * DAY;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Step {
    /// A fixed length, ticks at its multiples since the epoch (weeks: since a Monday).
    Millis(i64),
    /// Calendar months, ticks on the first of a month whose index is a multiple (years are
    /// multiples of 12, so they start in January of a round year).
    Months(i64),
}

use Step::{Millis, Months};

/// Candidate steps, finest first; the finest whose labels fit the plot width wins.
const STEPS: &[Step] = &[
    Millis(1),
    Millis(2),
    Millis(5),
    Millis(10),
    Millis(20),
    Millis(50),
    Millis(100),
    Millis(200),
    Millis(500),
    Millis(SECOND),
    Millis(2 * SECOND),
    Millis(5 * SECOND),
    Millis(10 * SECOND),
    Millis(15 * SECOND),
    Millis(30 * SECOND),
    Millis(MINUTE),
    Millis(2 * MINUTE),
    Millis(5 * MINUTE),
    Millis(10 * MINUTE),
    Millis(15 * MINUTE),
    Millis(30 * MINUTE),
    Millis(HOUR),
    Millis(2 * HOUR),
    Millis(3 * HOUR),
    Millis(6 * HOUR),
    Millis(12 * HOUR),
    Millis(DAY),
    Millis(2 * DAY),
    Millis(WEEK),
    Months(1),
    Months(2),
    Months(3),
    Months(6),
    Months(12),
    Months(2 * 12),
    Months(5 * 12),
    Months(10 * 12),
    Months(20 * 12),
    Months(50 * 12),
    Months(100 * 12),
    Months(200 * 12),
    Months(500 * 12),
    Months(1000 * 12),
    Months(2000 * 12),
    Months(5000 * 12),
];

impl Step {
    fn nominal_ms(self) -> f64 {
        match self {
            Millis(ms) => ms as f64,
            // The mean Gregorian month.
            Months(m) => m as f64 * 30.436_875 * DAY as f64,
        }
    }
}

/// How a tick reads; chosen by the step so that neighbouring labels differ.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Label {
    /// `12:30:05.250`
    Millis,
    /// `12:30:05`
    Seconds,
    /// `12:30`
    Minutes,
    /// `05-01 12:30`, for sub-day steps over several days.
    DayMinutes,
    /// `2024-05-01`
    Date,
    /// `2024-05`
    Month,
    /// `2024`
    Year,
}

impl Label {
    fn for_step(step: Step, several_days: bool) -> Label {
        match step {
            Millis(ms) if ms < SECOND => Label::Millis,
            Millis(ms) if ms < MINUTE => Label::Seconds,
            Millis(ms) if ms < DAY && several_days => Label::DayMinutes,
            Millis(ms) if ms < DAY => Label::Minutes,
            Millis(_) => Label::Date,
            Months(m) if m % 12 == 0 => Label::Year,
            Months(_) => Label::Month,
        }
    }

    fn chars(self) -> usize {
        match self {
            Label::Millis => 12,
            Label::Seconds => 8,
            Label::Minutes => 5,
            Label::DayMinutes => 11,
            Label::Date => 10,
            Label::Month => 7,
            Label::Year => 4,
        }
    }

    fn format(self, ms: i64) -> String {
        // `time::format` is fixed-width RFC 3339 (`YYYY-MM-DDTHH:MM:SS.mmmZ`) in years 0-9999.
        let s = time::format(ms.clamp(time::MIN_MS, time::MAX_MS));
        match self {
            Label::Millis => s[11..23].to_owned(),
            Label::Seconds => s[11..19].to_owned(),
            Label::Minutes => s[11..16].to_owned(),
            Label::DayMinutes => format!("{} {}", &s[5..10], &s[11..16]),
            Label::Date => s[..10].to_owned(),
            Label::Month => s[..7].to_owned(),
            Label::Year => s[..4].to_owned(),
        }
    }
}

/// Month index (`year * 12 + month - 1`) of an instant.
fn month_index(ms: i64) -> i64 {
    let s = time::format(ms.clamp(time::MIN_MS, time::MAX_MS));
    let year: i64 = s[..4].parse().unwrap_or(0);
    let month: i64 = s[5..7].parse().unwrap_or(1);
    year * 12 + month - 1
}

/// The first instant of a month index, if it is within years 0-9999.
fn month_start(index: i64) -> Option<i64> {
    let (year, month) = (index.div_euclid(12), index.rem_euclid(12) + 1);
    if !(0..=9999).contains(&year) {
        return None;
    }
    time::parse(&format!("{year:04}-{month:02}-01")).ok()
}

/// The ticks of `step` within `t0..=t1`, or `None` if there would be more than `limit`.
fn ticks(step: Step, t0: i64, t1: i64, limit: usize) -> Option<Vec<i64>> {
    let mut out = Vec::new();
    match step {
        Millis(len) => {
            let origin = if len % WEEK == 0 { FIRST_MONDAY } else { 0 };
            let mut t = (t0 - origin).div_euclid(len) * len + origin;
            if t < t0 {
                t += len;
            }
            while t <= t1 {
                if out.len() == limit {
                    return None;
                }
                out.push(t);
                t += len;
            }
        }
        Months(len) => {
            let mut i = month_index(t0).div_euclid(len) * len;
            while let Some(t) = month_start(i) {
                if t > t1 {
                    break;
                }
                if t >= t0 {
                    if out.len() == limit {
                        return None;
                    }
                    out.push(t);
                }
                i += len;
            }
        }
    }
    Some(out)
}

/// A time axis over `t0..t1` (ms, `t0 < t1`) with its ticks chosen for a plot `width_px` wide.
#[derive(Debug, Clone)]
pub(super) struct TimeAxis {
    t0: i64,
    t1: i64,
    ticks: Vec<i64>,
    label: Label,
}

impl TimeAxis {
    /// `char_px` is the width of one label character; ticks are spaced so labels keep at least
    /// their own width apart.
    pub(super) fn new(t0: i64, t1: i64, width_px: f64, char_px: f64) -> TimeAxis {
        let t1 = t1.max(t0 + 1);
        let (d0, d1) = (
            time::format(t0.clamp(time::MIN_MS, time::MAX_MS)),
            time::format(t1.clamp(time::MIN_MS, time::MAX_MS)),
        );
        let several_days = d0[..10] != d1[..10];
        let span = (t1 - t0) as f64;
        for &step in STEPS {
            let label = Label::for_step(step, several_days);
            let spacing = 1.8 * label.chars() as f64 * char_px + 10.0;
            let limit = ((width_px / spacing) as usize).max(2);
            // Skips steps far too fine without generating their ticks.
            if span / step.nominal_ms() > limit as f64 + 1.0 {
                continue;
            }
            if let Some(ticks) = ticks(step, t0, t1, limit) {
                return TimeAxis {
                    t0,
                    t1,
                    ticks,
                    label,
                };
            }
        }
        TimeAxis::blank(t0, t1)
    }

    /// An axis without ticks (a chart with no data has no time to show).
    pub(super) fn blank(t0: i64, t1: i64) -> TimeAxis {
        TimeAxis {
            t0,
            t1: t1.max(t0 + 1),
            ticks: Vec::new(),
            label: Label::Year,
        }
    }

    /// The axis title, with the date (or year) the tick labels leave out.
    pub(super) fn description(&self) -> String {
        let (a, b) = (
            time::format(self.t0.clamp(time::MIN_MS, time::MAX_MS)),
            time::format(self.t1.clamp(time::MIN_MS, time::MAX_MS)),
        );
        let context = match self.label {
            _ if self.ticks.is_empty() => return "time (UTC)".to_owned(),
            Label::Millis | Label::Seconds | Label::Minutes => (&a[..10], &b[..10]),
            Label::DayMinutes => (&a[..4], &b[..4]),
            Label::Date | Label::Month | Label::Year => return "time (UTC)".to_owned(),
        };
        if context.0 == context.1 {
            format!("time (UTC), {}", context.0)
        } else {
            format!("time (UTC), {} – {}", context.0, context.1)
        }
    }

    /// Characters in one tick label, to size the margin the last label overhangs into.
    pub(super) fn label_chars(&self) -> usize {
        self.label.chars()
    }

    #[cfg(test)]
    fn labels(&self) -> Vec<String> {
        self.ticks.iter().map(|&t| self.label.format(t)).collect()
    }
}

impl Ranged for TimeAxis {
    type FormatOption = NoDefaultFormatting;
    type ValueType = i64;

    fn map(&self, value: &i64, limit: (i32, i32)) -> i32 {
        let f = (*value - self.t0) as f64 / (self.t1 - self.t0) as f64;
        limit.0 + (f * (limit.1 - limit.0) as f64 + 1e-3).floor() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<i64> {
        // Grid lines only at labelled ticks: the light sub-grid adds clutter, not information.
        if hint.weight().allow_light_points() {
            return Vec::new();
        }
        self.ticks.clone()
    }

    fn range(&self) -> Range<i64> {
        self.t0..self.t1
    }
}

impl ValueFormatter<i64> for TimeAxis {
    fn format_ext(&self, value: &i64) -> String {
        self.label.format(*value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> i64 {
        time::parse(s).unwrap()
    }

    fn axis(a: &str, b: &str) -> TimeAxis {
        TimeAxis::new(at(a), at(b), 1100.0, 8.3)
    }

    #[test]
    fn a_year_gets_month_ticks_on_the_first() {
        let x = axis("2024-01-01T00:00:00Z", "2024-12-31T23:00:00Z");
        assert_eq!(
            x.labels(),
            ["2024-01", "2024-03", "2024-05", "2024-07", "2024-09", "2024-11"]
        );
        assert_eq!(x.description(), "time (UTC)");
    }

    #[test]
    fn a_day_gets_hours_and_the_date_in_the_description() {
        let x = axis("2024-05-01T00:00:00Z", "2024-05-01T23:59:00Z");
        let labels = x.labels();
        assert_eq!(labels[0], "00:00");
        assert!(labels.iter().all(|l| l.ends_with(":00")), "{labels:?}");
        assert_eq!(x.description(), "time (UTC), 2024-05-01");
    }

    #[test]
    fn several_days_show_the_day_and_weeks_start_on_monday() {
        let x = axis("2024-05-01T06:00:00Z", "2024-05-03T18:00:00Z");
        assert!(x.labels()[0].starts_with("05-01 "), "{:?}", x.labels());
        let x = axis("2024-05-01T00:00:00Z", "2024-06-10T00:00:00Z");
        // 2024-05-06 is a Monday.
        assert_eq!(x.labels()[0], "2024-05-06", "{:?}", x.labels());
    }

    #[test]
    fn long_and_short_spans_and_extremes() {
        let x = axis("1900-01-01T00:00:00Z", "2024-01-01T00:00:00Z");
        assert!(x.labels().iter().all(|l| l.len() == 4), "{:?}", x.labels());
        let x = TimeAxis::new(1_000, 1_004, 1100.0, 8.3);
        assert_eq!(x.labels()[0], "00:00:01.000");
        let x = TimeAxis::new(time::MIN_MS - 3_600_000, time::MAX_MS, 1100.0, 8.3);
        assert!(!x.labels().is_empty());
        let x = TimeAxis::new(5, 5, 200.0, 8.3);
        assert_eq!(x.range(), 5..6);
    }
}
