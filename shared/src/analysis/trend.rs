//! `trend`: ordinary least squares of value on time. Time is measured in days from the first
//! point, which keeps the sums well conditioned; the slope is reported per day and per year
//! (365.25 days), the intercept as the fitted value at the first point's time.

use serde::{Deserialize, Serialize};

use super::{finite, Input};
use crate::{time, Error, Result};

const DAY_MS: f64 = 86_400_000.0;

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TrendParams {}

impl TrendParams {
    pub fn validate(&self) -> Result<()> {
        Ok(())
    }
}

/// `{series, n, slope_per_day, slope_per_year, intercept, intercept_at: RFC 3339, r2}`; `r2` is
/// null when every value is equal (nothing to explain). Fewer than 2 distinct times fails the
/// job (the data is only known when it runs) with a message naming the series.
#[derive(Debug, Serialize)]
pub struct Trend {
    pub series: String,
    pub n: usize,
    pub slope_per_day: f64,
    pub slope_per_year: f64,
    pub intercept: f64,
    pub intercept_at: String,
    pub r2: Option<f64>,
}

pub fn trend(input: Input) -> Result<Trend> {
    let pts = input.points;
    let n = pts.len();
    let too_few = || {
        Error::invalid(
            "series",
            format!(
                "trend needs at least 2 points at different times; {} has {n} in range",
                input.id
            ),
        )
    };
    let t0 = pts.first().ok_or_else(too_few)?.t;
    let nf = n as f64;
    let xs = pts.iter().map(|p| (p.t - t0) as f64 / DAY_MS);
    let mx = xs.clone().sum::<f64>() / nf;
    let my = pts.iter().map(|p| p.v).sum::<f64>() / nf;
    let (mut sxx, mut sxy, mut syy) = (0.0, 0.0, 0.0);
    for (x, p) in xs.zip(pts) {
        let (dx, dy) = (x - mx, p.v - my);
        sxx += dx * dx;
        sxy += dx * dy;
        syy += dy * dy;
    }
    if sxx == 0.0 {
        return Err(too_few());
    }
    let slope = sxy / sxx;
    let r2 = if syy == 0.0 {
        None
    } else {
        // Cauchy-Schwarz bounds it by 1; rounding may not.
        finite(((sxy * sxy) / (sxx * syy)).min(1.0))
    };
    Ok(Trend {
        series: input.id.to_owned(),
        n,
        slope_per_day: slope,
        slope_per_year: slope * 365.25,
        intercept: my - slope * mx,
        intercept_at: time::format(t0),
        r2,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Point;

    fn run(points: &[Point]) -> Result<Trend> {
        trend(Input {
            id: "t",
            name: "",
            unit: "",
            points,
        })
    }

    #[test]
    fn perfect_line() {
        let day = DAY_MS as i64;
        let p: Vec<Point> = (0..50)
            .map(|i| Point {
                t: 1_700_000_000_000 + i * day,
                v: 3.0 - 0.25 * i as f64,
            })
            .collect();
        let t = run(&p).unwrap();
        assert!((t.slope_per_day + 0.25).abs() < 1e-12);
        assert!((t.intercept - 3.0).abs() < 1e-12);
        assert!((t.r2.unwrap() - 1.0).abs() < 1e-12);
        assert!((t.slope_per_year + 0.25 * 365.25).abs() < 1e-9);
    }

    #[test]
    fn noisy_known_case() {
        // x = 0,1,2,3 days, y = 1,3,2,4: dx = dy-pattern (-1.5,-0.5,0.5,1.5) vs (-1.5,0.5,-0.5,1.5),
        // Sxy = 2.25 - 0.25 - 0.25 + 2.25 = 4, Sxx = Syy = 5: slope 0.8, intercept 2.5 - 0.8 * 1.5 = 1.3,
        // r2 = 4^2 / (5 * 5) = 0.64.
        let day = DAY_MS as i64;
        let p: Vec<Point> = [1.0, 3.0, 2.0, 4.0]
            .iter()
            .enumerate()
            .map(|(i, &v)| Point {
                t: i as i64 * day,
                v,
            })
            .collect();
        let t = run(&p).unwrap();
        assert!((t.slope_per_day - 0.8).abs() < 1e-12);
        assert!((t.intercept - 1.3).abs() < 1e-12);
        assert!((t.r2.unwrap() - 0.64).abs() < 1e-12);
    }

    #[test]
    fn degenerate_inputs() {
        assert!(run(&[]).is_err());
        assert!(run(&[Point { t: 5, v: 1.0 }]).is_err());
        let flat = run(&[Point { t: 0, v: 2.0 }, Point { t: 1000, v: 2.0 }]).unwrap();
        assert_eq!(flat.slope_per_day, 0.0);
        assert!(flat.r2.is_none());
        match run(&[]) {
            Err(Error::Invalid { field, .. }) => assert_eq!(field, "series"),
            other => panic!("{other:?}"),
        }
        assert!(serde_json::from_str::<TrendParams>(r#"{"degree": 2}"#).is_err());
    }
}
