//! DynamoDB backend (`dynamodb://PREFIX`), with the standard AWS configuration chain (region,
//! credentials, `AWS_ENDPOINT_URL` for local endpoints). The SDK client is built once per process.
//!
//! Tables (created by the SAM template in production, or by `tsfn init-store`; never on a request
//! path):
//! - `PREFIX-series`: key `id`; `meta` (JSON), `created`, `updated`;
//! - `PREFIX-points`: partition `s` (series id), sort `t` (ms); `v`, the value's 8 bytes (IEEE 754,
//!   big-endian) as a binary attribute: a DynamoDB number holds only 38 digits between 1e-130 and
//!   1e126 and has no -0, so it cannot give back every double bit for bit. A range is one Query
//!   (`s = :s AND t BETWEEN :lo AND :hi`) paged with `LastEvaluatedKey`;
//! - `PREFIX-jobs`: key `id`; the job record, `ix` (`{created:015}|{id}`) and `g` = "job", with
//!   the indexes `by_status` (status, ix) and `all` (g, ix) for listings, and a stream of new
//!   images that triggers the worker function;
//! - `PREFIX-results`: partition `id`, sort `part`; results in parts of at most 350 KB, so
//!   results above the 400 KB item limit work.
//!
//! Writes use BatchWriteItem in chunks of 25, several in flight, retrying unprocessed items with
//! backoff; nothing is dropped silently. A body of points is therefore not one transaction:
//! concurrent bodies writing the same timestamps end with the last write of each point, and a
//! write that fails part-way (throttling after every retry, the endpoint lost) answers 503 saying
//! how many points were written; rewriting a point is idempotent, so sending the body again is
//! safe. Status changes are conditional writes (compare-and-set).

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{AttributeValue, DeleteRequest, PutRequest, Select, WriteRequest};
use aws_sdk_dynamodb::Client;

use super::{dynamo_jobs, not_found, Store};
use crate::error::{Error, Result};
use crate::jobs::{Claim, Job, JobStatus, Outcome, Removal};
use crate::model::{Order, Point, Range, SeriesId, SeriesInfo, SeriesMeta};

/// Batch requests in flight at once while writing or deleting points.
const BATCHES_IN_FLIGHT: usize = 8;
/// Attempts for unprocessed batch items before giving up with 503.
const BATCH_RETRIES: u32 = 8;

pub struct DynamoStore {
    pub(super) client: Client,
    pub(super) prefix: String,
}

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

/// A point value as stored: its IEEE 754 bits, big-endian.
fn value_attr(v: f64) -> AttributeValue {
    AttributeValue::B(aws_sdk_dynamodb::primitives::Blob::new(
        v.to_bits().to_be_bytes(),
    ))
}

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

/// A batch write that stopped part-way: how many requests were acknowledged before `error`.
pub(super) struct Partial {
    pub done: usize,
    pub error: Error,
}

impl Partial {
    /// The error, saying what was done before it when that could leave the data half changed.
    pub(super) fn describe(self, total: usize, what: &str) -> Error {
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

pub(super) fn get_n<T: std::str::FromStr>(item: &Item, k: &str) -> Option<T> {
    item.get(k)
        .and_then(|v| v.as_n().ok())
        .and_then(|x| x.parse().ok())
}

/// Maps an SDK error: throttling, timeouts and unreachable endpoints are 503; a missing table is
/// a 503 that says to run `tsfn init-store`.
pub(super) fn aws_err<E>(e: SdkError<E, HttpResponse>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let code = e.code().map(str::to_owned);
    let text = format!("{}", DisplayErrorContext(&e));
    match (&e, code.as_deref()) {
        (SdkError::TimeoutError(_) | SdkError::DispatchFailure(_), _) => {
            Error::Unavailable(format!("dynamodb unreachable: {text}"))
        }
        (_, Some("ResourceNotFoundException")) => Error::Unavailable(format!(
            "dynamodb table missing (create the tables with `tsfn init-store`): {text}"
        )),
        (_, Some(c))
            if c.contains("Throttl")
                || c == "ProvisionedThroughputExceededException"
                || c == "RequestLimitExceeded" =>
        {
            Error::Unavailable(format!("dynamodb is throttling: {text}"))
        }
        (SdkError::ServiceError(se), _) if se.raw().status().as_u16() >= 500 => {
            Error::Unavailable(format!("dynamodb error: {text}"))
        }
        _ => Error::Internal(format!("dynamodb: {text}")),
    }
}

pub(super) fn is_condition_failed<E: ProvideErrorMetadata, R>(e: &SdkError<E, R>) -> bool {
    e.code() == Some("ConditionalCheckFailedException")
}

impl DynamoStore {
    /// `prefix` is what follows `dynamodb://`.
    pub async fn open(prefix: &str, attempt: Duration) -> Result<Self> {
        if prefix.is_empty()
            || !prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        {
            return Err(Error::invalid(
                "TSFN_STORE",
                "dynamodb://PREFIX needs a table prefix of letters, digits, '_', '-', '.'",
            ));
        }
        // DynamoDB answers in milliseconds; a bound per attempt turns a hung endpoint into a 503.
        // Emulators that scan whole tables per query (moto) need more: TSFN_DYNAMODB_TIMEOUT_MS.
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .timeout_config(
                aws_config::timeout::TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(2))
                    .operation_attempt_timeout(attempt)
                    .operation_timeout(attempt * 3)
                    .build(),
            )
            .load()
            .await;
        Ok(DynamoStore {
            client: Client::new(&config),
            prefix: prefix.to_owned(),
        })
    }

    pub(super) fn table(&self, name: &str) -> String {
        format!("{}-{name}", self.prefix)
    }

    /// Runs write requests (puts or deletes) on a table in batches of 25, several in flight,
    /// retrying unprocessed items with exponential backoff. On failure, says how many requests
    /// had been acknowledged (batches still in flight are abandoned and may or may not land).
    pub(super) async fn batch_write(
        &self,
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
            let (client, table) = (self.client.clone(), table.to_owned());
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

    pub(super) async fn series_item(&self, id: &str) -> Result<Option<Item>> {
        let out = self
            .client
            .get_item()
            .table_name(self.table("series"))
            .key("id", s(id))
            .consistent_read(true)
            .send()
            .await
            .map_err(aws_err)?;
        Ok(out.item)
    }

    /// Count, first and last timestamps of a series' points.
    async fn point_stats(&self, id: &str) -> Result<(u64, Option<i64>, Option<i64>)> {
        let mut count = 0u64;
        let mut start: Option<Item> = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(self.table("points"))
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
        let first = self
            .page(id, i64::MIN, i64::MAX, Order::Asc, 1)
            .await?
            .first()
            .map(|p| p.t);
        let last = self
            .page(id, i64::MIN, i64::MAX, Order::Desc, 1)
            .await?
            .first()
            .map(|p| p.t);
        Ok((count, first, last))
    }

    async fn info(&self, item: Item) -> Result<SeriesInfo> {
        let id = get_s(&item, "id")
            .ok_or_else(|| Error::Internal("series item without id".into()))?
            .to_owned();
        let meta: SeriesMeta = serde_json::from_str(get_s(&item, "meta").unwrap_or("{}"))
            .map_err(|e| Error::Internal(format!("corrupt metadata of {id}: {e}")))?;
        let (count, first, last) = self.point_stats(&id).await?;
        Ok(SeriesInfo {
            id: SeriesId::parse(&id)?,
            meta,
            count,
            first,
            last,
            created: get_n(&item, "created").unwrap_or(0),
            updated: get_n(&item, "updated").unwrap_or(0),
        })
    }

    /// Up to `limit` points of `[lo, hi]`, following DynamoDB's 1 MB pages.
    async fn page(
        &self,
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
            let r = self
                .client
                .query()
                .table_name(self.table("points"))
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

    async fn range(
        &self,
        id: &SeriesId,
        lo: i64,
        hi: i64,
        order: Order,
        limit: usize,
    ) -> Result<Vec<Point>> {
        let points = if limit == 0 {
            Vec::new()
        } else {
            self.page(id.as_str(), lo, hi, order, limit).await?
        };
        if points.is_empty() && self.series_item(id.as_str()).await?.is_none() {
            return Err(not_found(id));
        }
        Ok(points)
    }

    /// Sort keys of every point in `[lo, hi]`.
    async fn keys_in(&self, id: &str, lo: i64, hi: i64) -> Result<Vec<i64>> {
        let mut keys = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let r = self
                .client
                .query()
                .table_name(self.table("points"))
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

    async fn delete_keys(&self, id: &str, keys: &[i64]) -> Result<()> {
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
        self.batch_write(&self.table("points"), requests)
            .await
            .map_err(|p| p.describe(total, "deleted"))
    }
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

#[async_trait]
impl Store for DynamoStore {
    fn backend(&self) -> &'static str {
        "dynamodb"
    }

    async fn wait_ready(&self, say: &mut (dyn for<'a> FnMut(&'a str) + Send)) -> Result<()> {
        dynamo_jobs::wait_active(self, dynamo_jobs::ACTIVE_WAIT, false, say).await
    }

    async fn ping(&self) -> Result<()> {
        self.client
            .describe_table()
            .table_name(self.table("series"))
            .send()
            .await
            .map_err(aws_err)?;
        Ok(())
    }

    async fn list_series(&self) -> Result<Vec<SeriesInfo>> {
        let mut items = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let r = self
                .client
                .scan()
                .table_name(self.table("series"))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(aws_err)?;
            items.extend(r.items.unwrap_or_default());
            start = r.last_evaluated_key;
            if start.is_none() {
                break;
            }
        }
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            out.push(self.info(item).await?);
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    async fn get_series(&self, id: &SeriesId) -> Result<Option<SeriesInfo>> {
        match self.series_item(id.as_str()).await? {
            Some(item) => Ok(Some(self.info(item).await?)),
            None => Ok(None),
        }
    }

    async fn put_series(
        &self,
        id: &SeriesId,
        meta: &SeriesMeta,
        now: i64,
    ) -> Result<(SeriesInfo, bool)> {
        let json = serde_json::to_string(meta).map_err(|e| Error::Internal(e.to_string()))?;
        let out = self
            .client
            .update_item()
            .table_name(self.table("series"))
            .key("id", s(id.as_str()))
            .update_expression(
                "SET meta = :m, updated = :now, created = if_not_exists(created, :now)",
            )
            .expression_attribute_values(":m", s(json))
            .expression_attribute_values(":now", n(now))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await
            .map_err(aws_err)?;
        let created = out.attributes.is_none_or(|a| !a.contains_key("created"));
        let info = self
            .get_series(id)
            .await?
            .ok_or_else(|| Error::Conflict("series deleted concurrently".into()))?;
        Ok((info, created))
    }

    async fn delete_series(&self, id: &SeriesId) -> Result<bool> {
        if self.series_item(id.as_str()).await?.is_none() {
            return Ok(false);
        }
        // Points first: if this stops half-way the series still exists and DELETE can be resent.
        let keys = self.keys_in(id.as_str(), i64::MIN, i64::MAX).await?;
        self.delete_keys(id.as_str(), &keys).await?;
        self.client
            .delete_item()
            .table_name(self.table("series"))
            .key("id", s(id.as_str()))
            .send()
            .await
            .map_err(aws_err)?;
        Ok(true)
    }

    async fn write_points(&self, id: &SeriesId, points: Vec<Point>, now: i64) -> Result<bool> {
        let created = match self
            .client
            .put_item()
            .table_name(self.table("series"))
            .item("id", s(id.as_str()))
            .item(
                "meta",
                s(serde_json::to_string(&SeriesMeta::default()).expect("serializable")),
            )
            .item("created", n(now))
            .item("updated", n(now))
            .condition_expression("attribute_not_exists(id)")
            .send()
            .await
        {
            Ok(_) => true,
            Err(e) if is_condition_failed(&e) => false,
            Err(e) => return Err(aws_err(e)),
        };
        let requests = points
            .iter()
            .map(|p| {
                let put = PutRequest::builder()
                    .item("s", s(id.as_str()))
                    .item("t", n(p.t))
                    .item("v", value_attr(p.v))
                    .build()
                    .map_err(|e| Error::Internal(e.to_string()))?;
                Ok(WriteRequest::builder().put_request(put).build())
            })
            .collect::<Result<Vec<_>>>()?;
        // `updated` is when the metadata was last written, so point writes leave it alone.
        self.batch_write(&self.table("points"), requests)
            .await
            .map_err(|p| p.describe(points.len(), "written"))?;
        Ok(created)
    }

    async fn query_points(
        &self,
        id: &SeriesId,
        range: Range,
        order: Order,
        limit: usize,
    ) -> Result<Vec<Point>> {
        self.range(id, range.lo(), range.hi(), order, limit).await
    }

    async fn get_point(&self, id: &SeriesId, t: i64) -> Result<Option<Point>> {
        Ok(self.range(id, t, t, Order::Asc, 1).await?.pop())
    }

    async fn delete_points(&self, id: &SeriesId, range: Range) -> Result<u64> {
        if self.series_item(id.as_str()).await?.is_none() {
            return Err(not_found(id));
        }
        let keys = self.keys_in(id.as_str(), range.lo(), range.hi()).await?;
        self.delete_keys(id.as_str(), &keys).await?;
        Ok(keys.len() as u64)
    }

    async fn create_job(&self, job: &Job) -> Result<()> {
        dynamo_jobs::create(self, job).await
    }

    async fn get_job(&self, id: &str) -> Result<Option<Job>> {
        dynamo_jobs::get(self, id).await
    }

    async fn list_jobs(
        &self,
        status: Option<JobStatus>,
        after: Option<(i64, String)>,
        limit: usize,
    ) -> Result<Vec<Job>> {
        dynamo_jobs::list(self, status, after, limit).await
    }

    async fn claim_next(
        &self,
        worker: &str,
        now: i64,
        lease_ms: i64,
        max_attempts: u32,
    ) -> Result<Option<(Job, Claim)>> {
        dynamo_jobs::claim_next(self, worker, now, lease_ms, max_attempts).await
    }

    async fn claim_job(
        &self,
        id: &str,
        worker: &str,
        now: i64,
        lease_ms: i64,
        max_attempts: u32,
    ) -> Result<Option<(Job, Claim)>> {
        dynamo_jobs::claim(self, id, worker, now, lease_ms, max_attempts).await
    }

    async fn renew(&self, claim: &Claim, now: i64, lease_ms: i64, progress: u8) -> Result<bool> {
        dynamo_jobs::renew(self, claim, now, lease_ms, progress).await
    }

    async fn finish(&self, claim: &Claim, outcome: &Outcome, now: i64) -> Result<bool> {
        dynamo_jobs::finish(self, claim, outcome, now).await
    }

    async fn release(&self, claim: &Claim) -> Result<bool> {
        dynamo_jobs::release(self, claim).await
    }

    async fn get_result(&self, id: &str) -> Result<Option<(String, Vec<u8>)>> {
        dynamo_jobs::result(self, id).await
    }

    async fn remove_job(&self, id: &str) -> Result<Removal> {
        dynamo_jobs::remove(self, id).await
    }
}
