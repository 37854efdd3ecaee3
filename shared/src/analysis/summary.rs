//! `summary`: count, mean, min, max, population stddev, sum, first and last point, and the
//! percentiles p1 p5 p25 p50 p75 p95 p99 (linear interpolation between closest ranks).

use serde::{Deserialize, Serialize};

use super::{finite, window::percentile_sorted, Input, TimedValue};
use crate::query::aggregate::Summary as Acc;
use crate::Result;

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SummaryParams {}

impl SummaryParams {
    pub fn validate(&self) -> Result<()> {
        Ok(())
    }
}

#[derive(Debug, Serialize)]
pub struct Percentiles {
    pub p1: f64,
    pub p5: f64,
    pub p25: f64,
    pub p50: f64,
    pub p75: f64,
    pub p95: f64,
    pub p99: f64,
}

/// `{series, count, mean, min, max, stddev, sum, first: {t, v}, last: {t, v},
/// percentiles: {p1, p5, p25, p50, p75, p95, p99}}`; with no points `count` and `sum` are 0 (as in
/// `GET /stats`) and the rest is null. `stddev` is the population one (divides by n), so one
/// point gives 0.
#[derive(Debug, Serialize)]
pub struct Summary {
    pub series: String,
    pub count: u64,
    pub mean: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub stddev: Option<f64>,
    pub sum: f64,
    pub first: Option<TimedValue>,
    pub last: Option<TimedValue>,
    pub percentiles: Option<Percentiles>,
}

pub fn summary(input: Input) -> Summary {
    let s = Acc::stats(Acc::of(input.points));
    let percentiles = (!input.points.is_empty()).then(|| {
        let mut v: Vec<f64> = input.points.iter().map(|p| p.v).collect();
        v.sort_unstable_by(f64::total_cmp);
        let p = |q| percentile_sorted(&v, q);
        Percentiles {
            p1: p(0.01),
            p5: p(0.05),
            p25: p(0.25),
            p50: p(0.5),
            p75: p(0.75),
            p95: p(0.95),
            p99: p(0.99),
        }
    });
    Summary {
        series: input.id.to_owned(),
        count: s.count,
        mean: s.mean.and_then(finite),
        min: s.min,
        max: s.max,
        stddev: s.stddev.and_then(finite),
        sum: s.sum,
        first: s.first.map(TimedValue::from),
        last: s.last.map(TimedValue::from),
        percentiles,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::pts;

    fn input(p: &[crate::model::Point]) -> Input<'_> {
        Input {
            id: "s",
            name: "",
            unit: "",
            points: p,
        }
    }

    #[test]
    fn hand_worked_summary() {
        let p = pts(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]);
        let s = summary(input(&p));
        assert_eq!(
            (s.count, s.mean, s.stddev, s.sum),
            (8, Some(5.0), Some(2.0), 40.0)
        );
        let q = s.percentiles.unwrap();
        // sorted [2,4,4,4,5,5,7,9], h = 7q: p50 -> h 3.5 -> 4 + 0.5 (5 - 4) = 4.5;
        // p25 -> h 1.75 -> 4; p75 -> h 5.25 -> 5 + 0.25 (7 - 5) = 5.5; p99 -> h 6.93 -> 7 + 0.93 * 2.
        assert_eq!((q.p25, q.p50, q.p75), (4.0, 4.5, 5.5));
        assert!((q.p99 - 8.86).abs() < 1e-12);
        assert_eq!(q.p1, 2.0 + 0.07 * 2.0);
    }

    #[test]
    fn empty_is_zero_count_and_sum_and_nulls() {
        let s = summary(input(&[]));
        assert_eq!((s.count, s.sum), (0, 0.0));
        assert!(s.mean.is_none() && s.percentiles.is_none());
        assert!(s.first.is_none() && s.stddev.is_none());
        assert!(serde_json::to_string(&s).is_ok());
    }

    #[test]
    fn percentiles_of_1_to_100() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        let p = pts(&v);
        let q = summary(input(&p)).percentiles.unwrap();
        // h = 99 q, value = 1 + h (the data are 1 + index): p1 -> 1.99, p5 -> 5.95, p25 -> 25.75,
        // p50 -> 50.5, p75 -> 75.25, p95 -> 95.05, p99 -> 99.01.
        let want = [1.99, 5.95, 25.75, 50.5, 75.25, 95.05, 99.01];
        let got = [q.p1, q.p5, q.p25, q.p50, q.p75, q.p95, q.p99];
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-9, "{g} vs {w}");
        }
    }

    #[test]
    fn params_reject_unknown_fields() {
        assert!(serde_json::from_str::<SummaryParams>("{}").is_ok());
        assert!(serde_json::from_str::<SummaryParams>(r#"{"bins": 3}"#).is_err());
    }
}
