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

/// A sum kept as an unevaluated pair `hi + lo` (double-double, about 106 significant bits).
/// Sums of stored points are built per chunk and then added chunk by chunk; with 106 bits the
/// exact sum of data of similar magnitudes fits, so how the points happen to be chunked does not
/// change a result, and where it could, it changes it by at most one unit in the last place.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Sum2 {
    pub hi: f64,
    pub lo: f64,
}

/// `a + b` as the rounded sum and its exact rounding error (Knuth's TwoSum).
fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
}

impl Sum2 {
    pub fn add(&mut self, x: f64) {
        let (s, e) = two_sum(self.hi, x);
        self.set(s, self.lo + e);
    }

    /// Commutative, so a merge gives the same answer whichever side it is called on.
    pub fn merge(self, other: Sum2) -> Sum2 {
        let (s, e) = two_sum(self.hi, other.hi);
        let mut out = Sum2::default();
        out.set(s, e + (self.lo + other.lo));
        out
    }

    fn set(&mut self, s: f64, lo: f64) {
        if !s.is_finite() {
            // Overflow: the rounded sum is infinite and there is no error term to keep.
            (self.hi, self.lo) = (s, 0.0);
            return;
        }
        let hi = s + lo;
        (self.hi, self.lo) = (hi, lo - (hi - s));
    }

    /// The sum rounded to an f64 (`hi` is kept normalised, so it is that value).
    pub fn value(self) -> f64 {
        self.hi
    }
}

/// What an aggregate needs to know about a run of points in time order: what chunk headers
/// store, what a bucket accumulates and what statistics come from. Built from points with
/// [`Summary::of`] and combined with [`Summary::merge`], so a chunk read whole contributes its
/// stored header and only the chunks cut by a range or bucket edge are decoded.
///
/// The spread is kept as `m2`, the sum of squared deviations from the mean, rather than a raw
/// sum of squares: merging two `m2` (Chan et al.) stays accurate where `sum(v^2) - n*mean^2`
/// cancels catastrophically (large values with a small spread).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub count: u64,
    pub sum: Sum2,
    pub m2: f64,
    /// The point with the least value (the earliest of equal ones), and the greatest: with
    /// their times, so a chart drawn from summaries puts them where they happened.
    pub min: Point,
    pub max: Point,
    pub first: Point,
    pub last: Point,
}

impl Summary {
    /// The summary of points in ascending time order; `None` for none. Two passes (mean, then
    /// the squared deviations from it) for an accurate `m2`.
    pub fn of(points: &[Point]) -> Option<Summary> {
        let (&first, &last) = (points.first()?, points.last()?);
        let (mut sum, mut min, mut max) = (Sum2::default(), first, first);
        for p in points {
            sum.add(p.v);
            // Strict comparisons keep the earliest of equal values (0.0 and -0.0 are equal).
            if p.v < min.v {
                min = *p;
            }
            if p.v > max.v {
                max = *p;
            }
        }
        let count = points.len() as u64;
        let mean = sum.value() / count as f64;
        let m2 = points.iter().map(|p| (p.v - mean) * (p.v - mean)).sum();
        Some(Summary {
            count,
            sum,
            m2,
            min,
            max,
            first,
            last,
        })
    }

    /// The summary of both runs together (they do not share points). Commutative, so a
    /// descending scan gets what an ascending one gets when it merges the same pieces.
    pub fn merge(self, other: Summary) -> Summary {
        let count = self.count + other.count;
        let d = other.mean() - self.mean();
        let (na, nb) = (self.count as f64, other.count as f64);
        Summary {
            count,
            sum: self.sum.merge(other.sum),
            m2: self.m2 + other.m2 + d * d * (na * nb / count as f64),
            min: if other.min.v < self.min.v
                || other.min.v == self.min.v && other.min.t < self.min.t
            {
                other.min
            } else {
                self.min
            },
            max: if other.max.v > self.max.v
                || other.max.v == self.max.v && other.max.t < self.max.t
            {
                other.max
            } else {
                self.max
            },
            first: if other.first.t < self.first.t {
                other.first
            } else {
                self.first
            },
            last: if other.last.t > self.last.t {
                other.last
            } else {
                self.last
            },
        }
    }

    /// Merges summaries given in ascending time order (the one fold every reader uses, so
    /// every path to the same pieces gives the same bits).
    pub fn merge_all(pieces: impl IntoIterator<Item = Summary>) -> Option<Summary> {
        pieces.into_iter().reduce(Summary::merge)
    }

    pub fn mean(&self) -> f64 {
        self.sum.value() / self.count as f64
    }

    pub fn value(&self, agg: Agg) -> f64 {
        match agg {
            Agg::Mean => self.mean(),
            Agg::Min => self.min.v,
            Agg::Max => self.max.v,
            Agg::Sum => self.sum.value(),
            Agg::Count => self.count as f64,
            Agg::First => self.first.v,
            Agg::Last => self.last.v,
        }
    }

    /// Statistics of a summary, or of nothing.
    pub fn stats(summary: Option<Summary>) -> Stats {
        match summary {
            None => Stats {
                count: 0,
                sum: 0.0,
                mean: None,
                min: None,
                max: None,
                stddev: None,
                first: None,
                last: None,
            },
            Some(s) => Stats {
                count: s.count,
                sum: s.sum.value(),
                mean: Some(s.mean()),
                min: Some(s.min.v),
                max: Some(s.max.v),
                stddev: Some((s.m2 / s.count as f64).sqrt()),
                first: Some(s.first),
                last: Some(s.last),
            },
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
    points
        .chunk_by(|a, b| bucket_start(a.t, every) == bucket_start(b.t, every))
        .filter_map(|run| {
            let s = Summary::of(run)?;
            Some(Point {
                t: bucket_start(s.first.t, every),
                v: s.value(agg),
            })
        })
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_align_on_epoch() {
        assert_eq!(bucket_start(3_599_999, 3_600_000), 0);
        assert_eq!(bucket_start(-1, 3_600_000), -3_600_000);
    }

    #[test]
    fn merged_summaries_match_one_pass() {
        let pts: Vec<Point> = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]
            .iter()
            .enumerate()
            .map(|(i, &v)| Point { t: i as i64, v })
            .collect();
        let whole = Summary::of(&pts).unwrap();
        let merged = Summary::of(&pts[3..])
            .unwrap()
            .merge(Summary::of(&pts[..3]).unwrap());
        assert_eq!(merged, whole);
        let s = Summary::stats(Some(merged));
        assert_eq!(s.count, 8);
        assert_eq!(s.mean, Some(5.0));
        assert_eq!(s.stddev, Some(2.0));
        assert_eq!(s.first.unwrap().v, 2.0);
        assert_eq!(s.last.unwrap().v, 9.0);
    }

    /// Double-double sums do not depend on grouping where a plain f64 sum would.
    #[test]
    fn sums_do_not_depend_on_grouping() {
        let vals = [1e16, 1.0, -1e16, 3.0, 0.1, 0.2, 0.3, 1e-10];
        let pts: Vec<Point> = vals
            .iter()
            .enumerate()
            .map(|(i, &v)| Point { t: i as i64, v })
            .collect();
        let whole = Summary::of(&pts).unwrap().sum.value();
        for cut in 1..pts.len() {
            let parts = Summary::of(&pts[..cut])
                .unwrap()
                .merge(Summary::of(&pts[cut..]).unwrap());
            assert_eq!(parts.sum.value().to_bits(), whole.to_bits(), "cut at {cut}");
        }
        // 1e16 + 1 - 1e16 + 3 + 0.6 + 1e-10, correctly rounded.
        assert_eq!(whole, 4.6000000001);
    }
}
