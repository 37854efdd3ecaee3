//! `correlation`: Pearson's r between two series, each first reduced to epoch-aligned buckets of
//! `every` (with `agg`), paired on the buckets both have. Bucketing is what lets series sampled at
//! different times be compared.

use serde::{Deserialize, Serialize};

use super::{finite, parse_agg, parse_every, Input};
use crate::query::aggregate::bucketize;
use crate::{Error, Result};

fn default_every() -> String {
    "1h".into()
}

fn default_agg() -> String {
    "mean".into()
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CorrelationParams {
    #[serde(default = "default_every")]
    pub every: String,
    #[serde(default = "default_agg")]
    pub agg: String,
}

impl Default for CorrelationParams {
    fn default() -> Self {
        CorrelationParams {
            every: default_every(),
            agg: default_agg(),
        }
    }
}

impl CorrelationParams {
    pub fn validate(&self) -> Result<()> {
        parse_every(&self.every)?;
        parse_agg(&self.agg)?;
        Ok(())
    }
}

/// `{series: [a, b], every, agg, n, r}`; `r` is null when either side is constant.
#[derive(Debug, Serialize)]
pub struct Correlation {
    pub series: [String; 2],
    pub every: String,
    pub agg: String,
    pub n: usize,
    pub r: Option<f64>,
}

pub fn correlation(a: Input, b: Input, p: &CorrelationParams) -> Result<Correlation> {
    let (every, agg) = (parse_every(&p.every)?, parse_agg(&p.agg)?);
    let (ba, bb) = (
        bucketize(a.points, every, agg),
        bucketize(b.points, every, agg),
    );
    // Both are sorted by bucket start: merge to the common buckets.
    let (mut i, mut j, mut pairs) = (0, 0, Vec::new());
    while i < ba.len() && j < bb.len() {
        match ba[i].t.cmp(&bb[j].t) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                pairs.push((ba[i].v, bb[j].v));
                i += 1;
                j += 1;
            }
        }
    }
    let n = pairs.len();
    if n < 2 {
        return Err(Error::invalid(
            "series",
            format!("correlation needs at least 2 buckets of {} where both {} and {} have data; found {n}", p.every, a.id, b.id),
        ));
    }
    let nf = n as f64;
    let (mx, my) = (
        pairs.iter().map(|p| p.0).sum::<f64>() / nf,
        pairs.iter().map(|p| p.1).sum::<f64>() / nf,
    );
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (x, y) in &pairs {
        sxy += (x - mx) * (y - my);
        sxx += (x - mx).powi(2);
        syy += (y - my).powi(2);
    }
    let r = if sxx == 0.0 || syy == 0.0 {
        None
    } else {
        finite((sxy / (sxx.sqrt() * syy.sqrt())).clamp(-1.0, 1.0))
    };
    Ok(Correlation {
        series: [a.id.to_owned(), b.id.to_owned()],
        every: p.every.clone(),
        agg: agg.name().to_owned(),
        n,
        r,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Point;

    fn input<'a>(id: &'a str, p: &'a [Point]) -> Input<'a> {
        Input {
            id,
            name: "",
            unit: "",
            points: p,
        }
    }

    fn series(f: impl Fn(i64) -> f64, times: impl Iterator<Item = i64>) -> Vec<Point> {
        times
            .map(|t| Point {
                t: t * 1000,
                v: f(t),
            })
            .collect()
    }

    #[test]
    fn self_mirror_and_constant() {
        let a = series(|t| (t as f64 * 0.1).sin() + t as f64 * 0.01, 0..200);
        let neg: Vec<Point> = a.iter().map(|p| Point { t: p.t, v: -p.v }).collect();
        let flat = series(|_| 3.0, 0..200);
        let p = CorrelationParams {
            every: "1s".into(),
            agg: "mean".into(),
        };
        assert!(
            (correlation(input("a", &a), input("a", &a), &p)
                .unwrap()
                .r
                .unwrap()
                - 1.0)
                .abs()
                < 1e-12
        );
        assert!(
            (correlation(input("a", &a), input("n", &neg), &p)
                .unwrap()
                .r
                .unwrap()
                + 1.0)
                .abs()
                < 1e-12
        );
        assert!(correlation(input("a", &a), input("f", &flat), &p)
            .unwrap()
            .r
            .is_none());
    }

    #[test]
    fn aligns_on_common_buckets() {
        // a has seconds 0..10, b has 5..15: buckets of 1 s in common are 5..10.
        let a = series(|t| t as f64, 0..10);
        let b = series(|t| (t * t) as f64, 5..15);
        let c = correlation(
            input("a", &a),
            input("b", &b),
            &CorrelationParams {
                every: "1s".into(),
                agg: "mean".into(),
            },
        )
        .unwrap();
        assert_eq!(c.n, 5);
        assert!(c.r.unwrap() > 0.9);
        let none = series(|t| t as f64, 100..110);
        assert!(correlation(
            input("a", &a),
            input("x", &none),
            &CorrelationParams::default()
        )
        .is_err());
    }

    #[test]
    fn validation() {
        let field = |p: CorrelationParams| match p.validate() {
            Err(Error::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        let every = |e: &str| CorrelationParams {
            every: e.into(),
            ..Default::default()
        };
        assert_eq!(field(every("0h")), "params.every");
        assert_eq!(field(every("soon")), "params.every");
        let agg = CorrelationParams {
            agg: "median".into(),
            ..Default::default()
        };
        assert_eq!(field(agg), "params.agg");
        let p: CorrelationParams = serde_json::from_str("{}").unwrap();
        assert_eq!((p.every.as_str(), p.agg.as_str()), ("1h", "mean"));
        assert!(serde_json::from_str::<CorrelationParams>(r#"{"lag": 1}"#).is_err());
    }
}
