//! `rolling`: a moving mean, median or standard deviation over a window of `window` points.
//! Output point i is at the time of the window's last point, starting with the first full window.
//! Mean and std slide in O(1) per point with sums centred on a recent window mean (so values
//! around 1e9 stay accurate) and are recomputed exactly once per window to stop drift.

use serde::{Deserialize, Serialize};

use super::window::SortedWindow;
use super::{Input, TimedValue};
use crate::model::Point;
use crate::{Error, Result};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RollingStat {
    #[default]
    Mean,
    Median,
    Std,
}

fn default_window() -> usize {
    10
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RollingParams {
    #[serde(default = "default_window", deserialize_with = "crate::json::whole")]
    pub window: usize,
    #[serde(default)]
    pub stat: RollingStat,
}

impl Default for RollingParams {
    fn default() -> Self {
        RollingParams {
            window: default_window(),
            stat: RollingStat::Mean,
        }
    }
}

impl RollingParams {
    pub fn validate(&self) -> Result<()> {
        if !(2..=10_000).contains(&self.window) {
            return Err(Error::invalid(
                "params.window",
                "window must be from 2 to 10000 points",
            ));
        }
        Ok(())
    }
}

/// `{series, window, stat, points: [{t, v}]}`.
#[derive(Debug, Serialize)]
pub struct Rolling {
    pub series: String,
    pub window: usize,
    pub stat: RollingStat,
    pub points: Vec<TimedValue>,
}

pub fn rolling(input: Input, p: &RollingParams) -> Result<Rolling> {
    p.validate()?; // a window of 0 or 1 would underflow below
    let points = match p.stat {
        RollingStat::Mean | RollingStat::Std => {
            moments(input.points, p.window, p.stat == RollingStat::Std)
        }
        RollingStat::Median => medians(input.points, p.window),
    };
    Ok(Rolling {
        series: input.id.to_owned(),
        window: p.window,
        stat: p.stat,
        points: points.into_iter().map(TimedValue::from).collect(),
    })
}

fn moments(points: &[Point], w: usize, std: bool) -> Vec<Point> {
    if points.len() < w {
        return Vec::new();
    }
    let n = w as f64;
    // Sums of x - c with c the mean of a recent window: the terms stay small, so nothing large
    // cancels. `exact` re-centres on the window ending at `end` (two passes).
    let exact = |end: usize| {
        let win = &points[end + 1 - w..=end];
        let c = win.iter().map(|p| p.v).sum::<f64>() / n;
        let s1 = win.iter().map(|p| p.v - c).sum::<f64>();
        let s2 = win.iter().map(|p| (p.v - c).powi(2)).sum::<f64>();
        (c, s1, s2)
    };
    let (mut c, mut s1, mut s2) = exact(w - 1);
    let mut peak = s2;
    let mut out = Vec::with_capacity(points.len() + 1 - w);
    for (i, p) in points.iter().enumerate().skip(w - 1) {
        if i >= w {
            let (x_in, x_out) = (p.v - c, points[i - w].v - c);
            s1 += x_in - x_out;
            s2 += x_in * x_in - x_out * x_out;
            peak = peak.max(s2);
            // Re-centre once per window (drift; O(w) every w steps keeps the pass O(n)), and
            // when the spread fell far below what the sums held (a spike or jump just left):
            // their rounding error would otherwise dominate.
            if (i + 1) % w == 0 || s2 - s1 * s1 / n < 1e-4 * peak {
                (c, s1, s2) = exact(i);
                peak = s2;
            }
        }
        let mean = s1 / n;
        let v = if std {
            (s2 / n - mean * mean).max(0.0).sqrt()
        } else {
            c + mean
        };
        out.push(Point { t: p.t, v });
    }
    out
}

fn medians(points: &[Point], w: usize) -> Vec<Point> {
    let mut win = SortedWindow::with_capacity(w);
    let mut out = Vec::with_capacity(points.len().saturating_sub(w - 1));
    for (i, p) in points.iter().enumerate() {
        win.insert(p.v);
        if i >= w {
            win.remove(points[i - w].v);
        }
        if i + 1 >= w {
            out.push(Point {
                t: p.t,
                v: win.median(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::pts;

    fn run(values: &[f64], window: usize, stat: RollingStat) -> Vec<f64> {
        let points = pts(values);
        let r = rolling(
            Input {
                id: "r",
                name: "",
                unit: "",
                points: &points,
            },
            &RollingParams { window, stat },
        )
        .unwrap();
        r.points.iter().map(|p| p.v).collect()
    }

    #[test]
    fn constant_mean_and_zero_std() {
        assert_eq!(run(&[7.0; 20], 5, RollingStat::Mean), vec![7.0; 16]);
        assert_eq!(run(&[7.0; 20], 5, RollingStat::Std), vec![0.0; 16]);
    }

    #[test]
    fn medians_by_hand() {
        // Windows of 3: [5,1,4] -> 4, [1,4,2] -> 2, [4,2,8] -> 4, [2,8,3] -> 3.
        assert_eq!(
            run(&[5.0, 1.0, 4.0, 2.0, 8.0, 3.0], 3, RollingStat::Median),
            [4.0, 2.0, 4.0, 3.0]
        );
        assert_eq!(
            run(&[1.0, 3.0, 2.0, 10.0], 2, RollingStat::Median),
            [2.0, 2.5, 6.0]
        );
    }

    #[test]
    fn std_matches_two_pass_even_far_from_zero() {
        let values: Vec<f64> = (0..500)
            .map(|i| 1e9 + ((i * 7919) % 101) as f64 * 0.37)
            .collect();
        let got = run(&values, 25, RollingStat::Std);
        for (k, g) in got.iter().enumerate() {
            let win = &values[k..k + 25];
            let m = win.iter().sum::<f64>() / 25.0;
            let want = (win.iter().map(|v| (v - m).powi(2)).sum::<f64>() / 25.0).sqrt();
            assert!(
                (g - want).abs() <= 1e-6 * want.max(1.0),
                "{k}: {g} vs {want}"
            );
        }
        let means = run(&values, 25, RollingStat::Mean);
        assert!((means[0] - values[..25].iter().sum::<f64>() / 25.0).abs() < 1e-6);
    }

    #[test]
    fn std_survives_a_jump_to_1e9() {
        // Starts near 0 and jumps to ~1e9: a shift by the first value would not help here.
        let values: Vec<f64> = (0..3000)
            .map(|i| {
                let base = if i < 1000 { 0.0 } else { 1e9 };
                base + ((i * 7919) % 101) as f64 * 0.013
            })
            .collect();
        for (stat, w) in [(RollingStat::Std, 30), (RollingStat::Mean, 30)] {
            let got = run(&values, w, stat);
            assert_eq!(got.len(), values.len() - w + 1);
            for (k, g) in got.iter().enumerate() {
                let win = &values[k..k + w];
                let m = win.iter().sum::<f64>() / w as f64;
                let sd = (win.iter().map(|v| (v - m).powi(2)).sum::<f64>() / w as f64).sqrt();
                let want = if stat == RollingStat::Std { sd } else { m };
                assert!(
                    (g - want).abs() <= 1e-6 * want.abs().max(1e-3),
                    "{stat:?} {k}: {g} vs {want}"
                );
            }
        }
    }

    #[test]
    fn output_times_and_validation() {
        let points = pts(&[1.0, 2.0, 3.0]);
        let r = rolling(
            Input {
                id: "r",
                name: "",
                unit: "",
                points: &points,
            },
            &RollingParams {
                window: 2,
                stat: RollingStat::Mean,
            },
        )
        .unwrap();
        assert_eq!(r.points[0].t, crate::time::format(1000));
        assert!(RollingParams {
            window: 1,
            ..Default::default()
        }
        .validate()
        .is_err());
        assert!(serde_json::from_str::<RollingParams>(r#"{"stat": "mode"}"#).is_err());
        assert!(run(&[1.0], 5, RollingStat::Median).is_empty());
    }
}
