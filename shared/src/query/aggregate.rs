//! Aggregates over points already read: bucket boundaries and per-bucket aggregates, and
//! streaming summary statistics. No store here: range queries (`query`) and analyses both build
//! on these.

use crate::error::{Error, Result};
use crate::model::Point;
use crate::time;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Agg {
    Mean,
    Min,
    Max,
    Sum,
    Count,
    First,
    Last,
}

impl Agg {
    pub fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "mean" | "avg" => Agg::Mean,
            "min" => Agg::Min,
            "max" => Agg::Max,
            "sum" => Agg::Sum,
            "count" => Agg::Count,
            "first" => Agg::First,
            "last" => Agg::Last,
            _ => {
                return Err(Error::invalid(
                    "agg",
                    format!(
                        "unknown aggregate {s:?}: use mean, min, max, sum, count, first or last"
                    ),
                ))
            }
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Agg::Mean => "mean",
            Agg::Min => "min",
            Agg::Max => "max",
            Agg::Sum => "sum",
            Agg::Count => "count",
            Agg::First => "first",
            Agg::Last => "last",
        }
    }
}

/// Running aggregate of one bucket.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Acc {
    count: u64,
    sum: f64,
    min: f64,
    max: f64,
    first: Point,
    last: Point,
}

impl Acc {
    pub(crate) fn new(p: Point) -> Self {
        Acc {
            count: 1,
            sum: p.v,
            min: p.v,
            max: p.v,
            first: p,
            last: p,
        }
    }

    pub(crate) fn add(&mut self, p: Point) {
        self.count += 1;
        self.sum += p.v;
        self.min = self.min.min(p.v);
        self.max = self.max.max(p.v);
        if p.t < self.first.t {
            self.first = p;
        }
        if p.t > self.last.t {
            self.last = p;
        }
    }

    pub(crate) fn value(&self, agg: Agg) -> f64 {
        match agg {
            Agg::Mean => self.sum / self.count as f64,
            Agg::Min => self.min,
            Agg::Max => self.max,
            Agg::Sum => self.sum,
            Agg::Count => self.count as f64,
            Agg::First => self.first.v,
            Agg::Last => self.last.v,
        }
    }
}

/// Start of the bucket holding `t`, buckets aligned on the epoch. It can lie before
/// [`time::MIN_MS`] (a week-wide bucket holding 0000-01-01 starts in year -1): callers that show
/// bucket starts check them with [`check_bucket_start`].
pub fn bucket_start(t: i64, every: i64) -> i64 {
    t - t.rem_euclid(every)
}

/// Fails with a 400 naming `field` when a bucket would start before year 0000, which no
/// RFC 3339 timestamp can write.
pub fn check_bucket_start(start: i64, every: i64, field: &str) -> Result<()> {
    if start >= time::MIN_MS {
        return Ok(());
    }
    Err(Error::invalid(
        field,
        format!(
            "buckets of {} are aligned on 1970-01-01, so the one holding the earliest point \
             would start before 0000-01-01T00:00:00Z, outside the supported range: choose a \
             width that divides a day (such as 1h or 1d), or start the range later",
            time::format_duration(every)
        ),
    ))
}

/// Buckets points already in ascending time order: one point per non-empty bucket, at its start.
pub fn bucketize(points: &[Point], every: i64, agg: Agg) -> Vec<Point> {
    let mut out = Vec::new();
    let mut cur: Option<(i64, Acc)> = None;
    for &p in points {
        let start = bucket_start(p.t, every);
        match &mut cur {
            Some((s, acc)) if *s == start => acc.add(p),
            _ => {
                if let Some((s, acc)) = cur.take() {
                    out.push(Point {
                        t: s,
                        v: acc.value(agg),
                    });
                }
                cur = Some((start, Acc::new(p)));
            }
        }
    }
    if let Some((s, acc)) = cur {
        out.push(Point {
            t: s,
            v: acc.value(agg),
        });
    }
    out
}

/// Summary statistics over a range.
#[derive(Debug, Clone, PartialEq)]
pub struct Stats {
    pub count: u64,
    pub sum: f64,
    pub mean: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// Population standard deviation (divides by n).
    pub stddev: Option<f64>,
    pub first: Option<Point>,
    pub last: Option<Point>,
}

/// Streaming statistics (Welford's algorithm for a numerically stable variance).
#[derive(Debug, Default, Clone)]
pub struct StatsAcc {
    count: u64,
    sum: f64,
    mean: f64,
    m2: f64,
    min: f64,
    max: f64,
    first: Option<Point>,
    last: Option<Point>,
}

impl StatsAcc {
    /// Adds points given in ascending time order.
    pub fn extend(&mut self, points: &[Point]) {
        if points.is_empty() {
            return;
        }
        if self.first.is_none() {
            self.first = Some(points[0]);
            self.min = f64::INFINITY;
            self.max = f64::NEG_INFINITY;
        }
        self.last = points.last().copied();
        for p in points {
            self.count += 1;
            self.sum += p.v;
            let d = p.v - self.mean;
            self.mean += d / self.count as f64;
            self.m2 += d * (p.v - self.mean);
            self.min = self.min.min(p.v);
            self.max = self.max.max(p.v);
        }
    }

    pub fn finish(&self) -> Stats {
        let some = self.count > 0;
        Stats {
            count: self.count,
            sum: self.sum,
            mean: some.then_some(self.mean),
            min: some.then_some(self.min),
            max: some.then_some(self.max),
            stddev: some.then(|| (self.m2 / self.count as f64).sqrt()),
            first: self.first,
            last: self.last,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_align_on_epoch() {
        assert_eq!(bucket_start(3_599_999, 3_600_000), 0);
        assert_eq!(bucket_start(-1, 3_600_000), -3_600_000);
    }

    #[test]
    fn welford_matches_two_pass() {
        let pts: Vec<Point> = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]
            .iter()
            .enumerate()
            .map(|(i, &v)| Point { t: i as i64, v })
            .collect();
        let mut acc = StatsAcc::default();
        acc.extend(&pts[..3]);
        acc.extend(&pts[3..]);
        let s = acc.finish();
        assert_eq!(s.count, 8);
        assert_eq!(s.mean, Some(5.0));
        assert_eq!(s.stddev, Some(2.0));
        assert_eq!(s.first.unwrap().v, 2.0);
        assert_eq!(s.last.unwrap().v, 9.0);
    }
}
