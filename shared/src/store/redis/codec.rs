//! How tsfn's data is written in Redis: key names (the layout is in the module docs of
//! `store::redis` and `jobs`), the 16-byte point member, score bounds, and the job hash.

use redis::Value;

use crate::error::{Error, Result};
use crate::jobs::{Job, JobSpec, JobStatus};
use crate::model::Point;

pub(super) const SERIES_INDEX: &str = "tsfn:series";
pub(super) const QUEUE: &str = "tsfn:queue";
/// The queue's consumer group.
pub(super) const GROUP: &str = "workers";

pub(super) fn series_key(id: &str) -> String {
    format!("tsfn:series:{id}")
}

/// The chunks of a series (see `points`).
pub(super) fn chunks_key(id: &str) -> String {
    format!("tsfn:chunks:{id}")
}

/// The per-point sorted set of earlier versions, converted to chunks on first use.
pub(super) fn points_key(id: &str) -> String {
    format!("tsfn:points:{id}")
}

pub(super) fn job_key(id: &str) -> String {
    format!("tsfn:job:{id}")
}

pub(super) fn result_key(id: &str) -> String {
    format!("tsfn:result:{id}")
}

pub(super) fn index_key(status: Option<JobStatus>) -> String {
    match status {
        None => "tsfn:jobs".into(),
        Some(s) => format!("tsfn:jobs:{}", s.as_str()),
    }
}

/// Sorted set of finished jobs' index members, scored by when they expire (ms): what the sweep
/// removes from the listing indexes once the job hashes have expired.
pub(super) const EXPIRING: &str = "tsfn:jobs:expiring";
/// Finished jobs owing their announcement (event, notification): ids scored by when it is due.
pub(super) const ANNOUNCE: &str = "tsfn:jobs:announce";

pub(super) fn index_member(created: i64, id: &str) -> String {
    format!("{created:015}|{id}")
}

/// A point member of the per-point format (t and v, 8 bytes each, big-endian).
pub(super) fn decode_point(m: &[u8]) -> Result<Point> {
    let m: &[u8; 16] = m
        .try_into()
        .map_err(|_| Error::Internal(format!("unexpected point member of {} bytes", m.len())))?;
    Ok(member_point(m))
}

fn member_point(m: &[u8; 16]) -> Point {
    let t = i64::from_be_bytes(m[..8].try_into().expect("8 bytes"));
    let v = f64::from_bits(u64::from_be_bytes(m[8..].try_into().expect("8 bytes")));
    Point { t, v }
}

/// A score bound: the open ends of a range are the infinities.
pub(super) fn score(x: i64) -> String {
    match x {
        i64::MIN => "-inf".into(),
        i64::MAX => "+inf".into(),
        _ => x.to_string(),
    }
}

pub(super) fn text(v: &Value) -> Option<String> {
    match v {
        Value::BulkString(b) => Some(String::from_utf8_lossy(b).into_owned()),
        Value::SimpleString(s) => Some(s.clone()),
        Value::Int(i) => Some(i.to_string()),
        _ => None,
    }
}

/// Builds a job from an HGETALL reply: a map, or a flat `[field, value, ...]` array (RESP2);
/// `None` when the hash does not exist.
pub(super) fn job_from_reply(v: Value) -> Result<Option<Job>> {
    match v {
        Value::Array(fields) => job_from_fields(&fields),
        Value::Map(pairs) => {
            let flat: Vec<Value> = pairs.into_iter().flat_map(|(k, v)| [k, v]).collect();
            job_from_fields(&flat)
        }
        _ => Ok(None),
    }
}

/// Builds a job from HGETALL's flat `[field, value, ...]`.
pub(super) fn job_from_fields(fields: &[Value]) -> Result<Option<Job>> {
    if fields.is_empty() {
        return Ok(None);
    }
    let mut m = std::collections::HashMap::new();
    for kv in fields.chunks(2) {
        if let (Some(k), Some(v)) = (kv.first().and_then(text), kv.get(1).and_then(text)) {
            m.insert(k, v);
        }
    }
    let get = |k: &str| m.get(k).filter(|v| !v.is_empty()).cloned();
    let num = |k: &str| get(k).and_then(|v| v.parse::<i64>().ok());
    let bad = |what: &str| Error::Internal(format!("corrupt job record: {what}"));
    Ok(Some(Job {
        id: get("id").ok_or_else(|| bad("id"))?,
        spec: JobSpec::from_stored(&get("spec").ok_or_else(|| bad("spec"))?)?,
        status: JobStatus::parse(&get("status").ok_or_else(|| bad("status"))?)?,
        created: num("created").ok_or_else(|| bad("created"))?,
        started: num("started"),
        finished: num("finished"),
        worker: get("worker"),
        attempts: num("attempts").unwrap_or(0) as u32,
        progress: num("progress").unwrap_or(0).clamp(0, 100) as u8,
        error: get("error"),
        result_size: num("result_size").map(|n| n as u64),
        result_type: get("result_type"),
        lease_until: num("lease_until"),
    }))
}
