//! The `points` table: partition `s` (series id), sort `t`. Ranges are Queries paged with
//! `LastEvaluatedKey`; writes and deletes are BatchWriteItem in chunks of 25, several in flight,
//! retrying unprocessed items with backoff.

use std::time::Duration;

use aws_sdk_dynamodb::types::{DeleteRequest, PutRequest, Select, WriteRequest};
use aws_sdk_dynamodb::Client;

use super::codec::{get_n, get_value, n, s, value_attr, Item};
use super::conn::{aws_err, Db};
use crate::error::{Error, Result};
use crate::model::{Order, Point};

/// Batch requests in flight at once while writing or deleting points.
const BATCHES_IN_FLIGHT: usize = 8;
/// Attempts for unprocessed batch items before giving up with 503.
const BATCH_RETRIES: u32 = 8;

/// A batch write that stopped part-way: how many requests were acknowledged before `error`.
struct Partial {
    done: usize,
    error: Error,
}

impl Partial {
    /// The error, saying what was done before it when that could leave the data half changed.
    fn describe(self, total: usize, what: &str) -> Error {
        match self.error {
            Error::Unavailable(m) if total > 0 => Error::Unavailable(format!(
                "{m}; {} of {total} points were {what} before the failure and the rest may or may \
                 not have been: sending the same request again is safe",
                self.done
            )),
            e => e,
        }
    }
}

/// Runs write requests (puts or deletes) on a table in batches of 25, several in flight,
/// retrying unprocessed items with exponential backoff. On failure, says how many requests
/// had been acknowledged (batches still in flight are abandoned and may or may not land).
async fn batch_write(
    d: &Db,
    table: &str,
    requests: Vec<WriteRequest>,
) -> std::result::Result<(), Partial> {
    let mut set = tokio::task::JoinSet::new();
    let mut chunks = requests
        .chunks(25)
        .map(<[WriteRequest]>::to_vec)
        .collect::<Vec<_>>()
        .into_iter();
    let spawn = |set: &mut tokio::task::JoinSet<Result<usize>>, chunk: Vec<WriteRequest>| {
        let (client, table) = (d.client.clone(), table.to_owned());
        set.spawn(async move {
            let len = chunk.len();
            write_batch(&client, &table, chunk).await.map(|()| len)
        });
    };
    for chunk in chunks.by_ref().take(BATCHES_IN_FLIGHT) {
        spawn(&mut set, chunk);
    }
    let mut done = 0;
    while let Some(joined) = set.join_next().await {
        let batch = joined
            .map_err(|e| Error::Internal(format!("batch task failed: {e}")))
            .and_then(|r| r);
        match batch {
            Ok(n) => done += n,
            Err(error) => return Err(Partial { done, error }),
        }
        if let Some(chunk) = chunks.next() {
            spawn(&mut set, chunk);
        }
    }
    Ok(())
}

async fn write_batch(client: &Client, table: &str, mut chunk: Vec<WriteRequest>) -> Result<()> {
    let mut delay = Duration::from_millis(25);
    for attempt in 0..=BATCH_RETRIES {
        let out = client
            .batch_write_item()
            .request_items(table, chunk)
            .send()
            .await
            .map_err(aws_err)?;
        match out
            .unprocessed_items
            .and_then(|mut m| m.remove(table))
            .filter(|v| !v.is_empty())
        {
            None => return Ok(()),
            Some(rest) => {
                if attempt == BATCH_RETRIES {
                    return Err(Error::Unavailable(format!(
                        "dynamodb left {} items unprocessed after {BATCH_RETRIES} retries (throttled?)",
                        rest.len()
                    )));
                }
                chunk = rest;
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(2));
            }
        }
    }
    unreachable!("the loop returns on its last attempt")
}

/// Upserts `points` of series `id` (the series item is written by the caller).
pub(super) async fn write(d: &Db, id: &str, points: &[Point]) -> Result<()> {
    let requests = points
        .iter()
        .map(|p| {
            let put = PutRequest::builder()
                .item("s", s(id))
                .item("t", n(p.t))
                .item("v", value_attr(p.v))
                .build()
                .map_err(|e| Error::Internal(e.to_string()))?;
            Ok(WriteRequest::builder().put_request(put).build())
        })
        .collect::<Result<Vec<_>>>()?;
    batch_write(d, &d.table("points"), requests)
        .await
        .map_err(|p| p.describe(points.len(), "written"))
}

/// Count, first and last timestamps of a series' points.
pub(super) async fn stats(d: &Db, id: &str) -> Result<(u64, Option<i64>, Option<i64>)> {
    let mut count = 0u64;
    let mut start: Option<Item> = None;
    loop {
        let out = d
            .client
            .query()
            .table_name(d.table("points"))
            .key_condition_expression("s = :s")
            .expression_attribute_values(":s", s(id))
            .select(Select::Count)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(aws_err)?;
        count += out.count as u64;
        start = out.last_evaluated_key;
        if start.is_none() {
            break;
        }
    }
    let first = page(d, id, i64::MIN, i64::MAX, Order::Asc, 1)
        .await?
        .first()
        .map(|p| p.t);
    let last = page(d, id, i64::MIN, i64::MAX, Order::Desc, 1)
        .await?
        .first()
        .map(|p| p.t);
    Ok((count, first, last))
}

/// Up to `limit` points of `[lo, hi]`, following DynamoDB's 1 MB pages.
pub(super) async fn page(
    d: &Db,
    id: &str,
    lo: i64,
    hi: i64,
    order: Order,
    limit: usize,
) -> Result<Vec<Point>> {
    let mut out = Vec::with_capacity(limit.min(16_384));
    let mut start: Option<Item> = None;
    while out.len() < limit {
        let want = (limit - out.len()).min(i32::MAX as usize) as i32;
        let r = d
            .client
            .query()
            .table_name(d.table("points"))
            .key_condition_expression("s = :s AND t BETWEEN :lo AND :hi")
            .expression_attribute_values(":s", s(id))
            .expression_attribute_values(":lo", n(lo))
            .expression_attribute_values(":hi", n(hi))
            .scan_index_forward(order == Order::Asc)
            .limit(want)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(aws_err)?;
        for item in r.items.unwrap_or_default() {
            let (Some(t), Some(v)) = (get_n::<i64>(&item, "t"), get_value(&item)) else {
                return Err(Error::Internal("point item without t or v".into()));
            };
            out.push(Point { t, v });
        }
        start = r.last_evaluated_key;
        if start.is_none() {
            break;
        }
    }
    Ok(out)
}

/// Deletes every point in `[lo, hi]`; returns how many there were.
pub(super) async fn delete(d: &Db, id: &str, lo: i64, hi: i64) -> Result<u64> {
    let keys = keys_in(d, id, lo, hi).await?;
    delete_keys(d, id, &keys).await?;
    Ok(keys.len() as u64)
}

/// Sort keys of every point in `[lo, hi]`.
async fn keys_in(d: &Db, id: &str, lo: i64, hi: i64) -> Result<Vec<i64>> {
    let mut keys = Vec::new();
    let mut start: Option<Item> = None;
    loop {
        let r = d
            .client
            .query()
            .table_name(d.table("points"))
            .key_condition_expression("s = :s AND t BETWEEN :lo AND :hi")
            .expression_attribute_values(":s", s(id))
            .expression_attribute_values(":lo", n(lo))
            .expression_attribute_values(":hi", n(hi))
            .projection_expression("t")
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(aws_err)?;
        keys.extend(
            r.items
                .unwrap_or_default()
                .iter()
                .filter_map(|i| get_n::<i64>(i, "t")),
        );
        start = r.last_evaluated_key;
        if start.is_none() {
            return Ok(keys);
        }
    }
}

async fn delete_keys(d: &Db, id: &str, keys: &[i64]) -> Result<()> {
    let total = keys.len();
    let requests = keys
        .iter()
        .map(|t| {
            let del = DeleteRequest::builder()
                .key("s", s(id))
                .key("t", n(t))
                .build()
                .map_err(|e| Error::Internal(e.to_string()))?;
            Ok(WriteRequest::builder().delete_request(del).build())
        })
        .collect::<Result<Vec<_>>>()?;
    batch_write(d, &d.table("points"), requests)
        .await
        .map_err(|p| p.describe(total, "deleted"))
}
