//! Analysis kinds run by jobs: pure functions over points already read from the store.
//! Each kind has a params struct (validated at submit time, so bad params are a 400, not a
//! failed job) and a function returning its JSON-serializable result.

pub mod anomalies;
pub mod correlation;
pub mod histogram;
pub mod resample;
pub mod rolling;
pub mod spectrum;
pub mod summary;
pub mod trend;
mod window;

use serde::Serialize;

use crate::model::Point;
use crate::time;

/// One series handed to an analysis.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub unit: &'a str,
    pub points: &'a [Point],
}

/// A point as results show it: RFC 3339 time and value.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TimedValue {
    pub t: String,
    pub v: f64,
}

impl From<Point> for TimedValue {
    fn from(p: Point) -> Self {
        TimedValue {
            t: time::format(p.t),
            v: p.v,
        }
    }
}

/// `Some(x)` when `x` is finite: JSON has no NaN or infinity, so those become null.
pub(crate) fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// A bucket width given as a duration string in params.
pub(crate) fn parse_every(s: &str) -> crate::Result<i64> {
    time::parse_duration(s).map_err(|m| crate::Error::invalid("params.every", m))
}

pub(crate) fn parse_agg(s: &str) -> crate::Result<crate::query::aggregate::Agg> {
    crate::query::aggregate::Agg::parse(s).map_err(|e| match e {
        crate::Error::Invalid { message, .. } => crate::Error::invalid("params.agg", message),
        other => other,
    })
}

#[cfg(test)]
pub(crate) fn pts(values: &[f64]) -> Vec<Point> {
    values
        .iter()
        .enumerate()
        .map(|(i, &v)| Point {
            t: i as i64 * 1000,
            v,
        })
        .collect()
}
