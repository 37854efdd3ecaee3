//! Attribute values: building and reading items, chunk items (and the per-point items of earlier
//! versions, read as one-point chunks), the listing key of a job, and the one decoder of job
//! items.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use crate::chunk::Chunk;
use crate::error::{Error, Result};
use crate::jobs::{Job, JobSpec, JobStatus};
use crate::model::Point;

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

/// A chunk's item in the points table: `s` the series, `t` its first time, `c` its bytes, `n` its
/// point count and `e` its last time (the last two read without decoding `c`).
pub(super) fn chunk_item(id: &str, c: &Chunk) -> Item {
    Item::from([
        ("s".to_owned(), s(id)),
        ("t".to_owned(), n(c.start())),
        (
            "c".to_owned(),
            AttributeValue::B(aws_sdk_dynamodb::primitives::Blob::new(c.as_bytes())),
        ),
        ("n".to_owned(), n(c.len())),
        ("e".to_owned(), n(c.end())),
    ])
}

/// Whether an item of the points table is a point as earlier versions stored them (`v`, no `c`).
pub(super) fn is_point_item(item: &Item) -> bool {
    !item.contains_key("c") && item.contains_key("v")
}

/// The chunk an item of the points table holds: a chunk item, or a point item of earlier
/// versions read as a chunk of that one point (such points never overlap a chunk, so they are
/// valid chunks as they are).
pub(super) fn chunk_of(mut item: Item) -> Result<Chunk> {
    let t = get_n::<i64>(&item, "t").ok_or_else(|| corrupt_item("without t"))?;
    let chunk = match item.remove("c") {
        Some(AttributeValue::B(b)) => Chunk::from_bytes(b.into_inner())?,
        Some(_) => return Err(corrupt_item("whose c is not binary")),
        None => {
            let v = get_value(&item).ok_or_else(|| corrupt_item("without c or v"))?;
            Chunk::encode(&[Point { t, v }])
        }
    };
    if chunk.start() != t {
        return Err(corrupt_item("whose chunk does not start at its t"));
    }
    Ok(chunk)
}

/// Points an item holds, from its `n` (a point item of earlier versions holds one).
pub(super) fn points_in_item(item: &Item) -> u64 {
    get_n(item, "n").unwrap_or(1)
}

fn corrupt_item(what: &str) -> Error {
    Error::Internal(format!("a points item {what}"))
}

/// A point value as earlier versions stored it: its IEEE 754 bits, big-endian.
#[cfg(test)]
pub(super) fn value_attr(v: f64) -> AttributeValue {
    AttributeValue::B(aws_sdk_dynamodb::primitives::Blob::new(
        v.to_bits().to_be_bytes(),
    ))
}

/// The value of a point item of earlier versions.
fn get_value(item: &Item) -> Option<f64> {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Items as the per-point format wrote them (`v` as 8 bytes, or a number in the oldest)
    /// read as one-point chunks; chunk items read back as written.
    #[test]
    fn point_items_are_one_point_chunks_and_chunk_items_round_trip() {
        for v in [-0.0, 5e-324, f64::MAX, -1.5] {
            let item = Item::from([
                ("s".to_owned(), s("x")),
                ("t".to_owned(), n(-42)),
                ("v".to_owned(), value_attr(v)),
            ]);
            assert!(is_point_item(&item));
            let c = chunk_of(item).unwrap();
            assert_eq!(c.points().unwrap(), vec![Point { t: -42, v }]);
            assert_eq!(c.points().unwrap()[0].v.to_bits(), v.to_bits());
        }
        let old = Item::from([("t".to_owned(), n(7)), ("v".to_owned(), n(2.25))]);
        assert_eq!(
            chunk_of(old).unwrap().points().unwrap(),
            vec![Point { t: 7, v: 2.25 }]
        );

        let points: Vec<Point> = (0..100)
            .map(|i| Point {
                t: i * 3,
                v: i as f64,
            })
            .collect();
        let c = Chunk::encode(&points);
        let item = chunk_item("x", &c);
        assert!(!is_point_item(&item));
        assert_eq!(points_in_item(&item), 100);
        assert_eq!(get_n::<i64>(&item, "e"), Some(297));
        assert_eq!(chunk_of(item).unwrap(), c);

        let mut moved = chunk_item("x", &c);
        moved.insert("t".to_owned(), n(1));
        assert!(chunk_of(moved).is_err());
    }
}
