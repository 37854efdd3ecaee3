//! The value (y) axis: ticks at round multiples (1, 2 or 5 times a power of ten) and labels with
//! exactly the decimals the step needs, switching to a shared exponent for very large or very
//! small values so labels stay short enough for the label column.

use std::ops::Range;

use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, Ranged, ValueFormatter};

/// At most this many ticks are computed, whatever the caller asks (a guard for odd ranges).
const MAX_TICKS: usize = 50;

#[derive(Debug, Clone)]
pub(super) struct ValueAxis {
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
    /// Decimal exponent of the tick step.
    step_exp: i32,
    /// Shared exponent of the labels (`2.5e9`), when plain decimals would be too long.
    sci_exp: Option<i32>,
}

impl ValueAxis {
    /// An axis over `lo..hi` (finite, `lo < hi`) with at most `max_ticks` ticks.
    pub(super) fn new(lo: f64, hi: f64, max_ticks: usize) -> ValueAxis {
        let mut axis = ValueAxis::blank(lo, hi);
        let raw = (hi - lo) / max_ticks.clamp(1, MAX_TICKS) as f64;
        if !(raw.is_finite() && raw > 0.0) {
            return axis;
        }
        let mut exp = raw.log10().floor() as i32;
        let base = 10f64.powi(exp);
        let mult = [1.0, 2.0, 5.0, 10.0]
            .into_iter()
            .find(|m| m * base >= raw * (1.0 - 1e-9))
            .unwrap_or(10.0);
        if mult == 10.0 {
            exp += 1;
        }
        let step = mult * base;
        // The tolerance keeps a tick that rounding puts a hair outside the range (3e-9 / 1e-9).
        let (first, last) = ((lo / step - 1e-9).ceil(), (hi / step + 1e-9).floor());
        if !(first.is_finite() && last.is_finite()) || last - first > MAX_TICKS as f64 {
            return axis;
        }
        // Multiples of the step (rather than repeated additions) keep 0 exactly 0.
        axis.ticks = (first as i64..=last as i64)
            .map(|k| k as f64 * step)
            .collect();
        axis.step_exp = exp;
        let largest = lo.abs().max(hi.abs());
        if largest >= 1e9 || exp < -6 {
            axis.sci_exp = Some(largest.log10().floor() as i32);
        }
        axis
    }

    /// An axis without ticks (a chart with no data has no values to show).
    pub(super) fn blank(lo: f64, hi: f64) -> ValueAxis {
        ValueAxis {
            lo,
            hi,
            ticks: Vec::new(),
            step_exp: 0,
            sci_exp: None,
        }
    }

    pub(super) fn labels(&self) -> Vec<String> {
        self.ticks.iter().map(|&v| self.label(v)).collect()
    }

    fn label(&self, v: f64) -> String {
        // `+ 0.0` turns -0.0 into 0.0, which would print as "-0".
        let v = v + 0.0;
        match self.sci_exp {
            Some(_) if v == 0.0 => "0".to_owned(),
            Some(e) => {
                let digits = (e - self.step_exp).clamp(0, 15) as usize;
                format!("{:.digits$}e{e}", v / 10f64.powi(e))
            }
            None => {
                let digits = (-self.step_exp).max(0) as usize;
                format!("{v:.digits$}")
            }
        }
    }
}

impl Ranged for ValueAxis {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let f = (value - self.lo) / (self.hi - self.lo);
        let px = limit.0 as f64 + f * (limit.1 - limit.0) as f64 + 1e-3;
        // Saturating float-to-int keeps absurd values on (or just off) the canvas.
        px.floor().clamp(-1e6, 1e6) as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        // Grid lines only at labelled ticks: the light sub-grid adds clutter, not information.
        if hint.weight().allow_light_points() {
            return Vec::new();
        }
        self.ticks.clone()
    }

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}

impl ValueFormatter<f64> for ValueAxis {
    fn format_ext(&self, value: &f64) -> String {
        self.label(*value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_steps_and_matching_decimals() {
        assert_eq!(
            ValueAxis::new(9.0, 31.0, 8).labels(),
            ["10", "15", "20", "25", "30"]
        );
        assert_eq!(
            ValueAxis::new(-0.12, 0.31, 8).labels(),
            ["-0.1", "0.0", "0.1", "0.2", "0.3"]
        );
        assert_eq!(
            ValueAxis::new(0.0, 1.0, 5).labels(),
            ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]
        );
    }

    #[test]
    fn extreme_magnitudes_use_an_exponent() {
        let labels = ValueAxis::new(1.0e9, 4.0e9, 4).labels();
        assert_eq!(labels, ["1e9", "2e9", "3e9", "4e9"]);
        let labels = ValueAxis::new(1.0e9, 1.25e9, 5).labels();
        assert_eq!(
            labels,
            ["1.00e9", "1.05e9", "1.10e9", "1.15e9", "1.20e9", "1.25e9"]
        );
        let labels = ValueAxis::new(1.0e-9, 3.0e-9, 2).labels();
        assert_eq!(labels, ["1e-9", "2e-9", "3e-9"]);
        assert!(ValueAxis::new(-f64::MAX, f64::MAX, 8).labels().len() <= MAX_TICKS + 1);
        assert!(ValueAxis::new(0.0, 0.0, 8).labels().is_empty());
    }
}
