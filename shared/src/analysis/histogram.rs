//! `histogram`: counts of values in equal-width bins over `[min, max]` (the data's range unless
//! given). The last bin includes `max`; values outside the range are counted in `below`/`above`.
//! When all values are equal and no range is given, one bin of width 1 is centred on them; when
//! only `min` is given and no value is above it, the range is `[min, min + 1]` (and likewise
//! `[max - 1, max]`). Edges are always finite, even for a range wider than f64::MAX.

use serde::{Deserialize, Serialize};

use super::Input;
use crate::{Error, Result};

fn default_bins() -> usize {
    20
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HistogramParams {
    #[serde(default = "default_bins", deserialize_with = "crate::json::whole")]
    pub bins: usize,
    #[serde(default)]
    pub min: Option<f64>,
    #[serde(default)]
    pub max: Option<f64>,
}

impl Default for HistogramParams {
    fn default() -> Self {
        HistogramParams {
            bins: default_bins(),
            min: None,
            max: None,
        }
    }
}

impl HistogramParams {
    pub fn validate(&self) -> Result<()> {
        if !(1..=1000).contains(&self.bins) {
            return Err(Error::invalid("params.bins", "bins must be from 1 to 1000"));
        }
        for (f, v) in [("params.min", self.min), ("params.max", self.max)] {
            if v.is_some_and(|v| !v.is_finite()) {
                return Err(Error::invalid(f, "must be a finite number"));
            }
        }
        if let (Some(lo), Some(hi)) = (self.min, self.max) {
            if lo >= hi {
                return Err(Error::invalid("params.min", "min must be below max"));
            }
        }
        Ok(())
    }
}

#[derive(Debug, Serialize, PartialEq)]
pub struct Bin {
    pub lo: f64,
    pub hi: f64,
    pub count: u64,
}

/// `{series, count, min, max, bins: [{lo, hi, count}], below, above}`.
#[derive(Debug, Serialize)]
pub struct Histogram {
    pub series: String,
    pub count: u64,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub bins: Vec<Bin>,
    pub below: u64,
    pub above: u64,
}

pub fn histogram(input: Input, p: &HistogramParams) -> Result<Histogram> {
    p.validate()?; // 0 bins would underflow below
    let values = input.points.iter().map(|p| p.v);
    let (dmin, dmax) = values
        .clone()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    let mut out = Histogram {
        series: input.id.to_owned(),
        count: input.points.len() as u64,
        min: None,
        max: None,
        bins: Vec::new(),
        below: 0,
        above: 0,
    };
    let (mut lo, mut hi) = (p.min.unwrap_or(dmin), p.max.unwrap_or(dmax));
    if !lo.is_finite() || !hi.is_finite() {
        return Ok(out); // no data and no range
    }
    let mut bins = p.bins;
    if lo >= hi {
        // All values equal (or one given bound meets the data): a unit-wide range around them,
        // or beside the given bound. Values so large that 1 is below their precision get the
        // narrowest range there is.
        (lo, hi) = if p.min.is_some() {
            (lo, up(lo, 1.0))
        } else if p.max.is_some() {
            (down(hi, 1.0), hi)
        } else {
            bins = 1; // a single value: more bins would all be empty but one
            (down(lo, 0.5), up(lo, 0.5))
        };
    }
    let last = bins - 1;
    // `hi - lo` overflows when the range spans more than f64::MAX (e.g. ±1.7e308): then the
    // range is measured in halves, so every step below stays finite.
    let halves = if (hi - lo).is_finite() { 1.0 } else { 2.0 };
    let step = (hi / halves - lo / halves) / bins as f64;
    // Edges as reported; bin i is [edge(i), edge(i + 1)), the last one closed.
    let edge = |i: usize| {
        if i > last {
            hi
        } else if halves == 1.0 {
            lo + step * i as f64
        } else {
            let d = step * i as f64;
            lo + d + d
        }
    };
    let mut counts = vec![0u64; bins];
    for v in values {
        if v < lo {
            out.below += 1;
        } else if v > hi {
            out.above += 1;
        } else {
            let mut i = (((v / halves - lo / halves) / step) as usize).min(last);
            // The division can round across an edge: settle on the bin the reported edges say.
            if i > 0 && v < edge(i) {
                i -= 1;
            } else if i < last && v >= edge(i + 1) {
                i += 1;
            }
            counts[i] += 1;
        }
    }
    out.bins = counts
        .into_iter()
        .enumerate()
        .map(|(i, count)| Bin {
            lo: edge(i),
            hi: edge(i + 1),
            count,
        })
        .collect();
    (out.min, out.max) = (Some(lo), Some(hi));
    Ok(out)
}

/// `x + d`, or the next number above `x` when `d` is below its precision; `x` at f64::MAX.
fn up(x: f64, d: f64) -> f64 {
    let y = x + d;
    if y > x && y.is_finite() {
        y
    } else if x < f64::MAX {
        x.next_up()
    } else {
        x
    }
}

/// `x - d`, or the next number below `x` when `d` is below its precision; `x` at -f64::MAX.
fn down(x: f64, d: f64) -> f64 {
    -up(-x, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::pts;

    fn run(values: &[f64], p: HistogramParams) -> Histogram {
        let points = pts(values);
        histogram(
            Input {
                id: "h",
                name: "",
                unit: "",
                points: &points,
            },
            &p,
        )
        .unwrap()
    }

    #[test]
    fn counts_edges_and_outliers() {
        let h = run(
            &[0.0, 1.0, 2.5, 5.0, 9.9, 10.0, -1.0, 11.0],
            HistogramParams {
                bins: 2,
                min: Some(0.0),
                max: Some(10.0),
            },
        );
        assert_eq!(
            h.bins,
            vec![
                Bin {
                    lo: 0.0,
                    hi: 5.0,
                    count: 3
                },
                Bin {
                    lo: 5.0,
                    hi: 10.0,
                    count: 3
                }
            ]
        );
        assert_eq!((h.below, h.above, h.count), (1, 1, 8));
    }

    #[test]
    fn counts_agree_with_reported_edges() {
        // 0.1 steps over [0, 1] in 10 bins: values on interior edges must land in the bin whose
        // reported `lo` they equal or exceed, whatever the division rounds to.
        let values: Vec<f64> = (0..=100).map(|i| i as f64 * 0.01).collect();
        let h = run(
            &values,
            HistogramParams {
                bins: 10,
                min: Some(0.0),
                max: Some(1.0),
            },
        );
        for b in &h.bins {
            let want = values
                .iter()
                .filter(|&&v| v >= b.lo && (v < b.hi || (b.hi == 1.0 && v <= 1.0)))
                .count() as u64;
            assert_eq!(b.count, want, "{b:?}");
        }
        assert_eq!(h.bins.iter().map(|b| b.count).sum::<u64>(), 101);
    }

    #[test]
    fn data_range_and_constant_data() {
        let h = run(
            &[1.0, 2.0, 3.0, 4.0],
            HistogramParams {
                bins: 3,
                ..Default::default()
            },
        );
        assert_eq!(
            h.bins.iter().map(|b| b.count).collect::<Vec<_>>(),
            [1, 1, 2]
        );
        // Equal values: one bin of width 1 centred on them, whatever `bins` says.
        let h = run(&[5.0; 30], HistogramParams::default());
        assert_eq!(
            h.bins,
            [Bin {
                lo: 4.5,
                hi: 5.5,
                count: 30
            }]
        );
        assert_eq!((h.min, h.max), (Some(4.5), Some(5.5)));
        // One given bound the data does not pass: the range is 1 wide beside it, in `bins` bins.
        let h = run(
            &[2.0, 3.0],
            HistogramParams {
                bins: 2,
                min: Some(3.0),
                max: None,
            },
        );
        assert_eq!((h.min, h.max, h.below), (Some(3.0), Some(4.0), 1));
        assert_eq!(h.bins.iter().map(|b| b.count).collect::<Vec<_>>(), [1, 0]);
        let h = run(
            &[7.0],
            HistogramParams {
                bins: 4,
                min: None,
                max: Some(5.0),
            },
        );
        assert_eq!(
            (h.min, h.max, h.above, h.bins.len()),
            (Some(4.0), Some(5.0), 1, 4)
        );
        assert!(run(&[], HistogramParams::default()).bins.is_empty());
    }

    /// Every edge finite and not falling, and every value in range counted once.
    fn assert_sound(h: &Histogram, in_range: u64) {
        for b in &h.bins {
            assert!(
                b.lo.is_finite() && b.hi.is_finite() && b.lo <= b.hi,
                "{b:?}"
            );
        }
        for w in h.bins.windows(2) {
            assert_eq!(w[0].hi, w[1].lo);
            assert!(w[0].lo <= w[1].lo, "{w:?}");
        }
        assert_eq!(h.bins.iter().map(|b| b.count).sum::<u64>(), in_range);
        assert_eq!(h.count, in_range + h.below + h.above);
    }

    #[test]
    fn extreme_ranges_have_finite_edges() {
        // max - min overflows: the edges must still be numbers (JSON would show null).
        let h = run(
            &[-1e308, 0.0, 1e308],
            HistogramParams {
                bins: 20,
                min: Some(-1.7e308),
                max: Some(1.7e308),
            },
        );
        assert_sound(&h, 3);
        assert_eq!((h.bins[0].lo, h.bins[19].hi), (-1.7e308, 1.7e308));
        assert_eq!(h.bins[10].lo, 0.0);
        assert_eq!(
            h.bins.iter().map(|b| b.count).collect::<Vec<_>>(),
            [0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0]
        );
        // The data's own range that wide, in one bin and in many.
        for bins in [1, 3, 1000] {
            let h = run(
                &[-f64::MAX, f64::MAX, 0.0],
                HistogramParams {
                    bins,
                    ..Default::default()
                },
            );
            assert_sound(&h, 3);
            assert_eq!((h.min, h.max), (Some(-f64::MAX), Some(f64::MAX)));
        }
        // Equal values too large for a width of 1: the narrowest bin around them.
        for v in [1e300, f64::MAX, -f64::MAX] {
            let h = run(&[v, v], HistogramParams::default());
            assert_sound(&h, 2);
            assert_eq!(h.bins.len(), 1);
            assert!(h.bins[0].lo <= v && v <= h.bins[0].hi, "{h:?}");
        }
        // A range 1 ulp wide in 20 bins: edges repeat (finer than f64 can say), but are numbers.
        let h = run(
            &[1e300],
            HistogramParams {
                min: Some(1e300),
                ..Default::default()
            },
        );
        assert_sound(&h, 1);
    }

    #[test]
    fn validation_names_fields() {
        let bad = |p: HistogramParams, f: &str| match p.validate() {
            Err(Error::Invalid { field, .. }) => assert_eq!(field, f),
            other => panic!("{other:?}"),
        };
        bad(
            HistogramParams {
                bins: 0,
                ..Default::default()
            },
            "params.bins",
        );
        bad(
            HistogramParams {
                min: Some(2.0),
                max: Some(1.0),
                ..Default::default()
            },
            "params.min",
        );
        bad(
            HistogramParams {
                max: Some(f64::INFINITY),
                ..Default::default()
            },
            "params.max",
        );
        assert!(serde_json::from_str::<HistogramParams>(r#"{"buckets": 3}"#).is_err());
        let p: HistogramParams = serde_json::from_str("{}").unwrap();
        assert_eq!((p.bins, p.min, p.max), (20, None, None));
    }
}
