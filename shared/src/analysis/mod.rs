//! Analysis kinds run by jobs: pure functions over points already read from the store.
//! Each kind has a params struct (validated at submit time, so bad params are a 400, not a
//! failed job) and a function returning its JSON result.

use crate::model::Point;

/// One series handed to an analysis.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub unit: &'a str,
    pub points: &'a [Point],
}
