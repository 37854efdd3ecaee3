//! `spectrum`: the discrete Fourier transform of an evenly spaced series (rustfft), as an
//! amplitude spectrum: for each frequency, the amplitude of the sine it holds (a series
//! `A sin(2 pi f t)` shows `A` at `f`). The mean is removed first (it would be the zero
//! frequency), or with `detrend: linear` the least-squares line (a rising series would
//! otherwise show as a very long period), and a Hann window (the default) keeps a strong peak from leaking into its
//! neighbours; `window: none` keeps the raw transform.
//!
//! The series must be evenly spaced: every point the same time after the one before. One that
//! is not is refused when the job is submitted, unless `every` asks to resample it first (the
//! mean of each epoch-aligned bucket; empty buckets interpolated linearly between their
//! neighbours, so the spacing is even).
//!
//! The answer lists at most [`MAX_BINS`] frequencies: beyond that, each run of neighbouring
//! frequencies is shown by its strongest, so no peak is lost. `dominant` lists the strongest
//! local peaks (at most `top`) with their periods.

use rustfft::num_complex::Complex;
use serde::{Deserialize, Serialize};

use super::Input;
use crate::model::Point;
use crate::query::aggregate::{bucketize, Agg};
use crate::{Error, Result};

/// The most frequencies a result lists.
pub const MAX_BINS: usize = 4096;
/// Fewer points than this have no spectrum worth the name.
pub const MIN_POINTS: usize = 4;

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Window {
    #[default]
    Hann,
    None,
}

/// What is taken out of the values before the transform.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Detrend {
    /// The mean (what would be the zero frequency).
    #[default]
    Mean,
    /// The least-squares line: a rising or falling series is not read as a very long period.
    Linear,
}

fn default_top() -> usize {
    5
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SpectrumParams {
    /// `hann` (default) or `none`.
    #[serde(default)]
    pub window: Window,
    /// `mean` (default) or `linear`.
    #[serde(default)]
    pub detrend: Detrend,
    /// Resample to buckets this wide first (a duration such as `7d`); needed for a series that
    /// is not evenly spaced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every: Option<String>,
    /// How many dominant periods to list, 1 to 20.
    #[serde(default = "default_top", deserialize_with = "crate::json::whole")]
    pub top: usize,
}

impl Default for SpectrumParams {
    fn default() -> Self {
        SpectrumParams {
            window: Window::Hann,
            detrend: Detrend::Mean,
            every: None,
            top: default_top(),
        }
    }
}

impl SpectrumParams {
    pub fn validate(&self) -> Result<()> {
        if !(1..=20).contains(&self.top) {
            return Err(Error::invalid("params.top", "top must be from 1 to 20"));
        }
        if let Some(e) = &self.every {
            super::parse_every(e)?;
        }
        Ok(())
    }
}

/// One frequency of the spectrum.
#[derive(Debug, Serialize, PartialEq)]
pub struct Bin {
    pub hz: f64,
    pub per_day: f64,
    pub magnitude: f64,
}

/// A local peak, with its period.
#[derive(Debug, Serialize, PartialEq)]
pub struct Peak {
    pub period_s: f64,
    pub period_days: f64,
    pub hz: f64,
    pub per_day: f64,
    pub magnitude: f64,
}

/// `{series, n, spacing_ms, every, window, frequencies: [{hz, per_day, magnitude}], dominant:
/// [{period_s, period_days, hz, per_day, magnitude}]}`.
#[derive(Debug, Serialize)]
pub struct Spectrum {
    pub series: String,
    pub detrend: Detrend,
    /// Points transformed (after resampling).
    pub n: usize,
    pub spacing_ms: i64,
    pub every: Option<String>,
    pub window: Window,
    pub frequencies: Vec<Bin>,
    pub dominant: Vec<Peak>,
}

/// The time between consecutive points when it is always the same; otherwise the first two
/// gaps that differ, as a 400 naming the series.
pub fn even_spacing(id: &str, points: &[Point]) -> Result<i64> {
    if points.len() < MIN_POINTS {
        return Err(too_few(id, points.len()));
    }
    let step = points[1].t - points[0].t;
    match points.windows(2).find(|w| w[1].t - w[0].t != step) {
        Some(w) => Err(uneven(id, step, w[1].t - w[0].t, w[0].t)),
        None => Ok(step),
    }
}

pub fn too_few(id: &str, n: usize) -> Error {
    Error::invalid(
        "series",
        format!("spectrum needs at least {MIN_POINTS} points; {id} has {n} in range"),
    )
}

/// A series whose gaps differ: `step` first, then `gap` after the point at `at`.
pub fn uneven(id: &str, step: i64, gap: i64, at: i64) -> Error {
    use crate::time::{format, format_duration};
    Error::invalid(
        "series",
        format!(
            "{id} is not evenly spaced (points {} apart, then {} after {}): give params.every, \
             such as {}, to resample it first",
            format_duration(step),
            format_duration(gap),
            format(at),
            format_duration(step),
        ),
    )
}

/// Means of `every`-wide buckets, the empty ones interpolated between their neighbours.
fn resample(points: &[Point], every: i64) -> Vec<Point> {
    let means = bucketize(points, every, Agg::Mean);
    let mut out: Vec<Point> = Vec::with_capacity(means.len());
    for p in means {
        if let Some(&prev) = out.last() {
            let gaps = (p.t - prev.t) / every;
            for k in 1..gaps {
                let f = k as f64 / gaps as f64;
                out.push(Point {
                    t: prev.t + k * every,
                    v: prev.v + (p.v - prev.v) * f,
                });
            }
        }
        out.push(p);
    }
    out
}

pub fn spectrum(input: Input, p: &SpectrumParams) -> Result<Spectrum> {
    p.validate()?;
    let resampled;
    let points = match &p.every {
        Some(e) => {
            resampled = resample(input.points, super::parse_every(e)?);
            &resampled[..]
        }
        None => input.points,
    };
    let spacing = even_spacing(input.id, points)?;
    let n = points.len();
    let nf = n as f64;
    let mean = points.iter().map(|p| p.v).sum::<f64>() / nf;
    // The line through the points by index (they are evenly spaced), or the mean alone.
    let slope = match p.detrend {
        Detrend::Mean => 0.0,
        Detrend::Linear => {
            let mi = (nf - 1.0) / 2.0;
            let (mut sxy, mut sxx) = (0.0, 0.0);
            for (i, pt) in points.iter().enumerate() {
                let dx = i as f64 - mi;
                sxy += dx * (pt.v - mean);
                sxx += dx * dx;
            }
            sxy / sxx
        }
    };
    let mid = (nf - 1.0) / 2.0;
    let weights: Vec<f64> = (0..n)
        .map(|i| match p.window {
            // The periodic Hann window, as spectral analysis uses it.
            Window::Hann => 0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / n as f64).cos(),
            Window::None => 1.0,
        })
        .collect();
    let gain: f64 = weights.iter().sum();
    let mut buf: Vec<Complex<f64>> = points
        .iter()
        .zip(&weights)
        .enumerate()
        .map(|(i, (pt, w))| Complex::new((pt.v - mean - slope * (i as f64 - mid)) * w, 0.0))
        .collect();
    rustfft::FftPlanner::new()
        .plan_fft_forward(n)
        .process(&mut buf);
    let bins = n / 2 + 1;
    let step_s = spacing as f64 / 1000.0;
    let all: Vec<Bin> = (0..bins)
        .map(|k| {
            // Both halves of a real signal's transform hold each sine; zero and Nyquist once.
            let both = if k == 0 || (n % 2 == 0 && k == n / 2) {
                1.0
            } else {
                2.0
            };
            let hz = k as f64 / (n as f64 * step_s);
            Bin {
                hz,
                per_day: hz * 86_400.0,
                magnitude: buf[k].norm() * both / gain,
            }
        })
        .collect();
    let mut peaks: Vec<&Bin> = (1..bins)
        .filter(|&k| {
            let m = all[k].magnitude;
            m > all[k - 1].magnitude && (k + 1 == bins || m >= all[k + 1].magnitude)
        })
        .map(|k| &all[k])
        .collect();
    peaks.sort_by(|a, b| b.magnitude.total_cmp(&a.magnitude));
    let dominant = peaks
        .iter()
        .take(p.top)
        .map(|b| Peak {
            period_s: 1.0 / b.hz,
            period_days: 1.0 / b.hz / 86_400.0,
            hz: b.hz,
            per_day: b.per_day,
            magnitude: b.magnitude,
        })
        .collect();
    let frequencies = if all.len() <= MAX_BINS {
        all
    } else {
        // Each run of neighbours shown by its strongest.
        let group = all.len().div_ceil(MAX_BINS);
        let mut out = Vec::with_capacity(MAX_BINS);
        let mut it = all.into_iter().peekable();
        while it.peek().is_some() {
            let strongest = it
                .by_ref()
                .take(group)
                .max_by(|a, b| a.magnitude.total_cmp(&b.magnitude))
                .expect("a non-empty group");
            out.push(strongest);
        }
        out
    };
    Ok(Spectrum {
        series: input.id.to_owned(),
        detrend: p.detrend,
        n,
        spacing_ms: spacing,
        every: p.every.clone(),
        window: p.window,
        frequencies,
        dominant,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input<'a>(points: &'a [Point]) -> Input<'a> {
        Input {
            id: "s",
            name: "",
            unit: "",
            points,
        }
    }

    /// Two sines of known periods and amplitudes, sampled hourly for a year: the dominant
    /// periods are theirs, with their amplitudes.
    #[test]
    fn finds_known_periods() {
        let hour = 3_600_000i64;
        let pts: Vec<Point> = (0..(365 * 24) as i64)
            .map(|i| {
                let days = i as f64 / 24.0;
                Point {
                    t: i * hour,
                    v: 10.0
                        + 3.0 * (2.0 * std::f64::consts::PI * days / 1.0).sin()
                        + 1.5 * (2.0 * std::f64::consts::PI * days / 7.0).cos(),
                }
            })
            .collect();
        for window in [Window::None, Window::Hann] {
            let s = spectrum(
                input(&pts),
                &SpectrumParams {
                    window,
                    ..Default::default()
                },
            )
            .unwrap();
            assert_eq!(s.n, pts.len());
            assert_eq!(s.spacing_ms, hour);
            let d = &s.dominant;
            assert!(
                (d[0].period_days - 1.0).abs() < 1e-6,
                "{window:?}: {:?}",
                d[0]
            );
            assert!(
                (d[1].period_days - 7.0).abs() < 0.05,
                "{window:?}: {:?}",
                d[1]
            );
            // On its bin; the weekly sine, between bins, leaks a little into it.
            assert!(
                (d[0].magnitude - 3.0).abs() < 1e-3,
                "{window:?}: {:?}",
                d[0]
            );
            // 365 days is not a whole number of weeks: the weekly peak falls between bins.
            assert!((d[1].magnitude - 1.5).abs() < 0.4, "{window:?}: {:?}", d[1]);
            assert!(s.frequencies.len() <= MAX_BINS);
        }
    }

    /// A steep line under a small daily sine: without detrending the line's leakage wins,
    /// with it the day is the dominant period.
    #[test]
    fn linear_detrend_finds_the_cycle_under_a_trend() {
        let hour = 3_600_000i64;
        let pts: Vec<Point> = (0..24 * 30)
            .map(|i| Point {
                t: i * hour,
                v: 5.0 * i as f64 + (std::f64::consts::TAU * i as f64 / 24.0).sin(),
            })
            .collect();
        let mean = spectrum(input(&pts), &SpectrumParams::default()).unwrap();
        assert!(
            mean.dominant[0].period_days > 10.0,
            "{:?}",
            mean.dominant[0]
        );
        let lin = spectrum(
            input(&pts),
            &SpectrumParams {
                detrend: Detrend::Linear,
                ..Default::default()
            },
        )
        .unwrap();
        assert!(
            (lin.dominant[0].period_days - 1.0).abs() < 1e-9,
            "{:?}",
            lin.dominant[0]
        );
        assert!(
            (lin.dominant[0].magnitude - 1.0).abs() < 1e-6,
            "{:?}",
            lin.dominant[0]
        );
    }

    #[test]
    fn uneven_series_need_every() {
        let pts: Vec<Point> = [0, 10, 20, 40, 50, 60]
            .iter()
            .map(|&t| Point {
                t: t * 1000,
                v: t as f64,
            })
            .collect();
        let e = spectrum(input(&pts), &SpectrumParams::default()).unwrap_err();
        assert!(e.to_string().contains("params.every"), "{e}");
        let s = spectrum(
            input(&pts),
            &SpectrumParams {
                every: Some("10s".into()),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(
            (s.n, s.spacing_ms),
            (7, 10_000),
            "the empty bucket is filled"
        );
    }
}
