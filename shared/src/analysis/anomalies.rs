//! `anomalies`: points far from the recent past by a robust z-score. For each point after the
//! first `window`, the previous `window` points give the median m and the median absolute
//! deviation MAD; z = 0.6745 (v - m) / MAD, and |z| > threshold is an anomaly. When MAD is 0 (more
//! than half the window equal) the mean absolute deviation scaled by 1.2533 stands in; when that
//! is 0 too, any value different from m is an anomaly with z reported as null (infinite).
//! The window is kept sorted, so the median and MAD cost O(log w) per point after the O(w) shift.

use serde::{Deserialize, Serialize};

use super::window::SortedWindow;
use super::{finite, Input};
use crate::{time, Error, Result};

fn default_window() -> usize {
    50
}

fn default_threshold() -> f64 {
    3.5
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AnomaliesParams {
    #[serde(default = "default_window", deserialize_with = "crate::json::whole")]
    pub window: usize,
    #[serde(default = "default_threshold")]
    pub threshold: f64,
}

impl Default for AnomaliesParams {
    fn default() -> Self {
        AnomaliesParams {
            window: default_window(),
            threshold: default_threshold(),
        }
    }
}

impl AnomaliesParams {
    pub fn validate(&self) -> Result<()> {
        if !(3..=10_000).contains(&self.window) {
            return Err(Error::invalid(
                "params.window",
                "window must be from 3 to 10000 points",
            ));
        }
        if !(self.threshold.is_finite() && self.threshold > 0.0) {
            return Err(Error::invalid(
                "params.threshold",
                "threshold must be a positive number",
            ));
        }
        Ok(())
    }
}

#[derive(Debug, Serialize)]
pub struct Anomaly {
    pub t: String,
    pub v: f64,
    pub median: f64,
    pub z: Option<f64>,
}

/// `{series, window, threshold, checked, anomalies: [{t, v, median, z}]}`.
#[derive(Debug, Serialize)]
pub struct Anomalies {
    pub series: String,
    pub window: usize,
    pub threshold: f64,
    pub checked: usize,
    pub anomalies: Vec<Anomaly>,
}

pub fn anomalies(input: Input, p: &AnomaliesParams) -> Result<Anomalies> {
    p.validate()?;
    let pts = input.points;
    let w = p.window;
    let mut win = SortedWindow::with_capacity(w);
    let mut found = Vec::new();
    for (i, pt) in pts.iter().enumerate() {
        if i >= w {
            let m = win.median();
            let mad = win.mad(m);
            let z = if mad > 0.0 {
                0.6745 * (pt.v - m) / mad
            } else {
                let mean_ad = win.mean_abs_dev(m);
                if mean_ad > 0.0 {
                    (pt.v - m) / (1.2533 * mean_ad)
                } else if pt.v == m {
                    0.0
                } else {
                    f64::INFINITY.copysign(pt.v - m)
                }
            };
            if z.abs() > p.threshold {
                found.push(Anomaly {
                    t: time::format(pt.t),
                    v: pt.v,
                    median: m,
                    z: finite(z),
                });
            }
            win.remove(pts[i - w].v);
        }
        win.insert(pt.v);
    }
    Ok(Anomalies {
        series: input.id.to_owned(),
        window: w,
        threshold: p.threshold,
        checked: pts.len().saturating_sub(w),
        anomalies: found,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::pts;

    fn run(values: &[f64], window: usize, threshold: f64) -> Anomalies {
        let points = pts(values);
        anomalies(
            Input {
                id: "a",
                name: "",
                unit: "",
                points: &points,
            },
            &AnomaliesParams { window, threshold },
        )
        .unwrap()
    }

    fn noise(i: usize) -> f64 {
        ((i * 7919 + 13) % 97) as f64 / 97.0 - 0.5
    }

    #[test]
    fn finds_a_spike_and_only_it() {
        let mut v: Vec<f64> = (0..400).map(|i| 20.0 + noise(i)).collect();
        v[300] = 35.0;
        v[350] = 5.0;
        let a = run(&v, 40, 4.0);
        let at: Vec<String> = a.anomalies.iter().map(|x| x.t.clone()).collect();
        assert_eq!(
            at,
            [crate::time::format(300_000), crate::time::format(350_000)]
        );
        assert!(a.anomalies[0].z.unwrap() > 4.0 && a.anomalies[1].z.unwrap() < -4.0);
        assert_eq!(a.checked, 360);
    }

    #[test]
    fn pure_noise_has_none() {
        let v: Vec<f64> = (0..1000).map(|i| 5.0 + noise(i)).collect();
        assert!(run(&v, 50, 3.5).anomalies.is_empty());
    }

    #[test]
    fn flat_window_uses_fallbacks() {
        let mut v = vec![1.0; 20];
        v.push(2.0);
        let a = run(&v, 10, 3.5);
        assert_eq!(a.anomalies.len(), 1);
        assert!(a.anomalies[0].z.is_none());
        assert!(serde_json::to_string(&a).is_ok());
    }

    #[test]
    fn z_matches_brute_force() {
        // Threshold tiny so every checked point is reported, then each z is recomputed by
        // sorting its trailing window.
        let v: Vec<f64> = (0..300).map(|i| noise(i) * (1 + i % 7) as f64).collect();
        let w = 11;
        let a = run(&v, w, 1e-12);
        let med = |s: &mut Vec<f64>| {
            s.sort_unstable_by(f64::total_cmp);
            let n = s.len();
            (s[(n - 1) / 2] + s[n / 2]) / 2.0
        };
        let mut k = 0;
        for i in w..v.len() {
            let mut win = v[i - w..i].to_vec();
            let m = med(&mut win);
            let mad = med(&mut win.iter().map(|x| (x - m).abs()).collect());
            let z = 0.6745 * (v[i] - m) / mad;
            if z.abs() > 1e-12 {
                assert_eq!(a.anomalies[k].t, crate::time::format(i as i64 * 1000));
                assert_eq!(a.anomalies[k].median, m);
                assert!((a.anomalies[k].z.unwrap() - z).abs() < 1e-9);
                k += 1;
            }
        }
        assert_eq!(k, a.anomalies.len());
    }

    #[test]
    fn validation_and_empty() {
        let field = |p: AnomaliesParams| match p.validate() {
            Err(Error::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        let p = |window, threshold| AnomaliesParams { window, threshold };
        assert_eq!(field(p(50, -1.0)), "params.threshold");
        assert_eq!(field(p(50, f64::NAN)), "params.threshold");
        assert_eq!(field(p(2, 1.0)), "params.window");
        assert_eq!(field(p(10_001, 1.0)), "params.window");
        assert!(serde_json::from_str::<AnomaliesParams>(r#"{"z": 3}"#).is_err());
        let d: AnomaliesParams = serde_json::from_str("{}").unwrap();
        assert_eq!((d.window, d.threshold), (50, 3.5));
        let e = run(&[1.0, 2.0], 50, 3.5);
        assert_eq!((e.checked, e.anomalies.len()), (0, 0));
    }
}
