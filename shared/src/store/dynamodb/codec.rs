//! Attribute values: building and reading items, a point value as 8 bytes, the listing key of a
//! job, and the one decoder of job items.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use crate::error::{Error, Result};
use crate::jobs::{Job, JobSpec, JobStatus};

pub(super) type Item = HashMap<String, AttributeValue>;

pub(super) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub(super) fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

pub(super) fn get_s<'a>(item: &'a Item, k: &str) -> Option<&'a str> {
    item.get(k).and_then(|v| v.as_s().ok()).map(String::as_str)
}

pub(super) fn get_n<T: std::str::FromStr>(item: &Item, k: &str) -> Option<T> {
    item.get(k)
        .and_then(|v| v.as_n().ok())
        .and_then(|x| x.parse().ok())
}

/// A point value as stored: its IEEE 754 bits, big-endian.
pub(super) fn value_attr(v: f64) -> AttributeValue {
    AttributeValue::B(aws_sdk_dynamodb::primitives::Blob::new(
        v.to_bits().to_be_bytes(),
    ))
}

pub(super) fn get_value(item: &Item) -> Option<f64> {
    match item.get("v")? {
        AttributeValue::B(b) => Some(f64::from_bits(u64::from_be_bytes(
            b.as_ref().try_into().ok()?,
        ))),
        // Items written before values were stored as bytes.
        AttributeValue::N(x) => x.parse().ok(),
        _ => None,
    }
}

/// A job's sort key in the listing indexes: `{created:015}|{id}`, so pages sort by creation.
pub(super) fn ix(created: i64, id: &str) -> String {
    format!("{created:015}|{id}")
}

pub(super) fn job_from(item: &Item) -> Result<Job> {
    let bad = |what: &str| Error::Internal(format!("corrupt job item: {what}"));
    Ok(Job {
        id: get_s(item, "id").ok_or_else(|| bad("id"))?.to_owned(),
        spec: JobSpec::from_stored(get_s(item, "spec").ok_or_else(|| bad("spec"))?)?,
        status: JobStatus::parse(get_s(item, "status").ok_or_else(|| bad("status"))?)?,
        created: get_n(item, "created").ok_or_else(|| bad("created"))?,
        started: get_n(item, "started"),
        finished: get_n(item, "finished"),
        worker: get_s(item, "worker").map(str::to_owned),
        attempts: get_n(item, "attempts").unwrap_or(0),
        progress: get_n(item, "progress").unwrap_or(0),
        error: get_s(item, "error").map(str::to_owned),
        result_size: get_n(item, "result_size"),
        result_type: get_s(item, "result_type").map(str::to_owned),
        lease_until: get_n(item, "lease_until"),
    })
}
