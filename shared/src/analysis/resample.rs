//! `resample`: points grouped into epoch-aligned buckets of `every`, reduced with `agg` (the same
//! aggregates as bucketed range queries). Empty buckets are left out.

use serde::{Deserialize, Serialize};

use super::{parse_agg, parse_every, Input, TimedValue};
use crate::query::aggregate::{bucketize, check_bucket_start};
use crate::{Error, Result};

fn default_agg() -> String {
    "mean".into()
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ResampleParams {
    #[serde(default)]
    pub every: String,
    #[serde(default = "default_agg")]
    pub agg: String,
}

impl ResampleParams {
    pub fn validate(&self) -> Result<()> {
        if self.every.is_empty() {
            return Err(Error::invalid(
                "params.every",
                "every is required: the bucket width, e.g. 1h or 1d",
            ));
        }
        parse_every(&self.every)?;
        parse_agg(&self.agg)?;
        Ok(())
    }
}

/// `{series, every, agg, points: [{t: bucket start, v}]}`.
#[derive(Debug, Serialize)]
pub struct Resampled {
    pub series: String,
    pub every: String,
    pub agg: String,
    pub points: Vec<TimedValue>,
}

pub fn resample(input: Input, p: &ResampleParams) -> Result<Resampled> {
    let (every, agg) = (parse_every(&p.every)?, parse_agg(&p.agg)?);
    let buckets = bucketize(input.points, every, agg);
    if let Some(first) = buckets.first() {
        check_bucket_start(first.t, every, "params.every")?;
    }
    let points = buckets.into_iter().map(TimedValue::from).collect();
    Ok(Resampled {
        series: input.id.to_owned(),
        every: p.every.clone(),
        agg: agg.name().to_owned(),
        points,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::pts;

    fn run(values: &[f64], every: &str, agg: &str) -> Vec<f64> {
        let points = pts(values); // one point per second
        let p = ResampleParams {
            every: every.into(),
            agg: agg.into(),
        };
        p.validate().unwrap();
        resample(
            Input {
                id: "r",
                name: "",
                unit: "",
                points: &points,
            },
            &p,
        )
        .unwrap()
        .points
        .iter()
        .map(|p| p.v)
        .collect()
    }

    #[test]
    fn buckets_by_hand() {
        let v = [1.0, 2.0, 3.0, 10.0, 20.0];
        assert_eq!(run(&v, "3s", "mean"), [2.0, 15.0]);
        assert_eq!(run(&v, "3s", "sum"), [6.0, 30.0]);
        assert_eq!(run(&v, "3s", "count"), [3.0, 2.0]);
        assert_eq!(run(&v, "3s", "first"), [1.0, 10.0]);
        assert_eq!(run(&v, "3s", "last"), [3.0, 20.0]);
        assert_eq!(run(&v, "2s", "max"), [2.0, 10.0, 20.0]);
    }

    #[test]
    fn validation() {
        let field = |p: ResampleParams| match p.validate() {
            Err(Error::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            field(ResampleParams {
                every: "".into(),
                agg: "mean".into()
            }),
            "params.every"
        );
        assert_eq!(
            field(ResampleParams {
                every: "1y".into(),
                agg: "mean".into()
            }),
            "params.every"
        );
        assert_eq!(
            field(ResampleParams {
                every: "1d".into(),
                agg: "median".into()
            }),
            "params.agg"
        );
        assert!(serde_json::from_str::<ResampleParams>(r#"{"every": "1h", "fill": 0}"#).is_err());
        let p: ResampleParams = serde_json::from_str(r#"{"every": "1d"}"#).unwrap();
        assert_eq!(p.agg, "mean");
        assert!(p.validate().is_ok());
        assert!(serde_json::from_str::<ResampleParams>("{}")
            .unwrap()
            .validate()
            .is_err());
    }

    #[test]
    fn bucket_starts_are_epoch_aligned() {
        let points = [1_500, 2_500, 7_000].map(|t| crate::model::Point { t, v: 1.0 });
        let r = resample(
            Input {
                id: "r",
                name: "",
                unit: "",
                points: &points,
            },
            &ResampleParams {
                every: "5s".into(),
                agg: "count".into(),
            },
        )
        .unwrap();
        let ts: Vec<&str> = r.points.iter().map(|p| p.t.as_str()).collect();
        assert_eq!(ts, ["1970-01-01T00:00:00.000Z", "1970-01-01T00:00:05.000Z"]);
        assert_eq!(r.points[0].v, 2.0);
    }
}
