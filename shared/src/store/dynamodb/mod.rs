//! DynamoDB backend (`dynamodb://PREFIX`), with the standard AWS configuration chain (region,
//! credentials, `AWS_ENDPOINT_URL` for local endpoints). The SDK client is built once per process.
//!
//! Tables (created by the SAM template in production, or by `tsfn init-store`; never on a request
//! path):
//! - `PREFIX-series`: key `id`; `meta` (JSON), `created`, `updated`, `n` (the series' point
//!   count) and `ver` (its version: chunk transactions so far);
//! - `PREFIX-points`: partition `s` (series id), sort `t`: one item per chunk (`crate::chunk`),
//!   `t` its first time, `c` its bytes (binary; every double kept bit for bit), `n` its point
//!   count, `e` its last time. A chunk of 1,024 points of typical data is about 1.7 KB, and at
//!   most about 17 KB (times and values that do not compress), well under the 400 KB item limit.
//!   Items of earlier versions, one per point (`v`: the value's 8 bytes, big-endian, or an older
//!   number), are read as one-point chunks, which they are (a read gathers a run of them into
//!   one chunk in memory); `tsfn init-store` compacts them (`compact`). A series item of earlier
//!   versions has no `ver` (version 0) and no `n` (counted from the items until `init-store`
//!   records it);
//! - `PREFIX-jobs`: key `id`; the job record, `ix` (`{created:015}|{id}`) and `g` = "job", with
//!   the indexes `by_status` (status, ix) and `all` (g, ix) for listings, the sparse index
//!   `announce` (ag, announce_at) of finished jobs owing their announcement (`crate::notify`),
//!   and a stream of new images that triggers the worker function;
//! - `PREFIX-results`: partition `id`, sort `part`; results in parts of at most 350 KB, so
//!   results above the 400 KB item limit work.
//!
//! A finished job item and its result items carry `expires_at` (epoch seconds, `TSFN_JOB_TTL`
//! after the job finished), the attribute of the two tables' DynamoDB TTL. DynamoDB deletes
//! expired items lazily (within days), so every job read treats an item past `expires_at` as
//! absent. Chunk items get no TTL: a chunk deleted by DynamoDB would leave the series item's
//! point count and version wrong, so per-series retention deletes points through `delete_points`
//! (see `crate::sweep`).
//!
//! A range is two consistent Queries: the last chunk starting at or before its start
//! (descending, `Limit` 1) and the chunks starting inside it, paged with `LastEvaluatedKey`.
//! Writes and deletes read the series item (its `ver`) and then the chunks they touch, plan
//! (`chunk::plan_write`, `plan_delete`) and commit with TransactWriteItems: the chunks' Puts and
//! Deletes and an Update of the series item that checks `ver` is unchanged, increments it and
//! keeps `n` (compare and set). A writer that lost to a concurrent one plans again after a short
//! random pause, for up to 10 s, then answers 503 saying nothing was written. A transaction holds
//! at most 100 items and 4 MB, so a body whose changes need more (more than about 98,000 points
//! appended, or a body spread over many stored chunks) is committed in several, each complete
//! by itself: such a body that fails part-way answers 503 saying how many of its points were
//! written and that sending it again is safe (rewriting a point is idempotent); a body that fits
//! one transaction is all or nothing. Job status changes are conditional writes too.
//!
//! A Query is read-committed item by item, not a snapshot: a read that races a transaction
//! re-chunking the same span can see part of it. Reads that find chunks overlapping read
//! again; one that misses a chunk of the racing write sees, for that moment, the points the
//! write moved to it missing. A writer's own read has the same window in principle: DynamoDB
//! applies a committed transaction to its items one by one, so a writer whose GetItem already
//! sees the other's version but whose Query does not yet see one of its new chunks would plan
//! without it and pass the version check. That needs the two reads to fall inside the other
//! transaction's commit phase (milliseconds); closing it would take TransactGetItems of keys a
//! Query has to find first. Every other interleaving fails the check and plans again.
//!
//! Its parts: `conn` (the client, table names, errors), `codec` (attribute values, chunk items,
//! the job decoder), `series`, `points`, `jobs`, `results` (one table each), `schema` and
//! `compact` (`init-store`); the `Store` below composes them.

mod codec;
mod compact;
mod conn;
mod jobs;
mod points;
mod results;
mod schema;
mod series;

use async_trait::async_trait;

use self::conn::{aws_err, Db};
use super::{SeriesPut, Store};
use crate::chunk::Chunk;
use crate::error::Result;
use crate::jobs::{Claim, Claimed, Job, JobResult, JobStatus, ListCursor, Outcome, Removal};
use crate::model::{Order, Point, Range, SeriesId, SeriesInfo, SeriesMeta};

pub struct DynamoStore {
    db: Db,
}

impl DynamoStore {
    /// `prefix` is what follows `dynamodb://`; `attempt` bounds each attempt of a call,
    /// `connect` the opening of a connection; `job_ttl` (ms) is how long a finished job is kept.
    pub async fn open(
        prefix: &str,
        attempt: std::time::Duration,
        connect: std::time::Duration,
        job_ttl: i64,
    ) -> Result<Self> {
        Ok(DynamoStore {
            db: Db::open(prefix, attempt, connect, job_ttl).await?,
        })
    }

    /// Creates the tables unless they exist (`tsfn init-store`), waits until they can be used,
    /// then compacts what earlier versions wrote (per-point items into chunks, point counts);
    /// `say` gets a line per table created, per state waited for and per series compacted.
    pub async fn init(&self, say: &mut (dyn for<'a> FnMut(&'a str) + Send)) -> Result<()> {
        for t in schema::init_tables(&self.db).await? {
            say(&format!("created table {t}"));
        }
        // DynamoDB answers CreateTable at once and builds the table (and its indexes) after.
        schema::wait_active(&self.db, schema::ACTIVE_WAIT, true, say).await?;
        say("every table and index is ACTIVE");
        if schema::add_announce_index(&self.db).await? {
            say(&format!(
                "adding index announce to table {}",
                self.db.table("jobs")
            ));
            schema::wait_active(&self.db, schema::ACTIVE_WAIT, false, say).await?;
        }
        for t in schema::enable_ttl(&self.db).await? {
            say(&format!("enabled TTL on expires_at of table {t}"));
        }
        compact::all(&self.db, say).await
    }
}

#[async_trait]
impl Store for DynamoStore {
    fn backend(&self) -> &'static str {
        "dynamodb"
    }

    async fn wait_ready(&self, say: &mut (dyn for<'a> FnMut(&'a str) + Send)) -> Result<()> {
        schema::wait_active(&self.db, schema::ACTIVE_WAIT, false, say).await
    }

    async fn ping(&self) -> Result<()> {
        self.db
            .client
            .describe_table()
            .table_name(self.db.table("series"))
            .send()
            .await
            .map_err(aws_err)?;
        Ok(())
    }

    /// DynamoDB's own figures, which it updates about every six hours.
    async fn usage(&self) -> Result<serde_json::Value> {
        let mut out = serde_json::Map::new();
        for table in ["series", "points", "jobs", "results"] {
            let d = self
                .db
                .client
                .describe_table()
                .table_name(self.db.table(table))
                .send()
                .await
                .map_err(aws_err)?;
            let t = d.table();
            out.insert(
                self.db.table(table),
                serde_json::json!({
                    "items": t.and_then(|t| t.item_count()),
                    "bytes": t.and_then(|t| t.table_size_bytes()),
                    "status": t.and_then(|t| t.table_status()).map(|s| s.as_str().to_owned()),
                }),
            );
        }
        Ok(serde_json::Value::Object(out))
    }

    async fn list_series(&self) -> Result<Vec<SeriesInfo>> {
        series::list(&self.db).await
    }

    async fn get_series(&self, id: &SeriesId) -> Result<Option<SeriesInfo>> {
        series::get(&self.db, id).await
    }

    async fn put_series(&self, id: &SeriesId, meta: &SeriesMeta, now: i64) -> Result<SeriesPut> {
        series::put(&self.db, id, meta, now).await
    }

    async fn delete_series(&self, id: &SeriesId) -> Result<bool> {
        series::delete(&self.db, id).await
    }

    async fn write_points(&self, id: &SeriesId, points: Vec<Point>, now: i64) -> Result<bool> {
        // `updated` is when the metadata was last written, so point writes leave it alone.
        points::write(&self.db, id, &points, now).await
    }

    async fn read_chunks(
        &self,
        id: &SeriesId,
        range: Range,
        order: Order,
        max: usize,
    ) -> Result<Vec<Chunk>> {
        points::read(&self.db, id, range, order, max).await
    }

    async fn delete_points(&self, id: &SeriesId, range: Range) -> Result<u64> {
        points::delete(&self.db, id, range).await
    }

    async fn create_job(&self, job: &Job) -> Result<()> {
        jobs::create(&self.db, job).await
    }

    async fn get_job(&self, id: &str) -> Result<Option<Job>> {
        jobs::get(&self.db, id).await
    }

    async fn list_jobs(
        &self,
        status: Option<JobStatus>,
        after: Option<ListCursor>,
        limit: usize,
    ) -> Result<Vec<Job>> {
        jobs::list(&self.db, status, after, limit).await
    }

    async fn claim_next(
        &self,
        worker: &str,
        now: i64,
        lease_ms: i64,
        max_attempts: u32,
    ) -> Result<Option<Claimed>> {
        jobs::claim_next(&self.db, worker, now, lease_ms, max_attempts).await
    }

    async fn claim_job(
        &self,
        id: &str,
        worker: &str,
        now: i64,
        lease_ms: i64,
        max_attempts: u32,
    ) -> Result<Option<Claimed>> {
        jobs::claim(&self.db, id, worker, now, lease_ms, max_attempts).await
    }

    async fn renew(&self, claim: &Claim, now: i64, lease_ms: i64, progress: u8) -> Result<bool> {
        jobs::renew(&self.db, claim, now, lease_ms, progress).await
    }

    async fn finish(
        &self,
        claim: &Claim,
        outcome: &Outcome,
        now: i64,
        announce_at: Option<i64>,
    ) -> Result<bool> {
        jobs::finish(&self.db, claim, outcome, now, announce_at).await
    }

    async fn take_due_announcements(
        &self,
        now: i64,
        retry_at: i64,
        limit: usize,
    ) -> Result<Vec<String>> {
        jobs::take_due_announcements(&self.db, now, retry_at, limit).await
    }

    async fn announced(&self, id: &str, spec: Option<&crate::jobs::JobSpec>) -> Result<bool> {
        jobs::announced(&self.db, id, spec).await
    }

    async fn release(&self, claim: &Claim) -> Result<bool> {
        jobs::release(&self.db, claim).await
    }

    async fn get_result(&self, id: &str) -> Result<Option<JobResult>> {
        jobs::result(&self.db, id).await
    }

    async fn remove_job(&self, id: &str) -> Result<Removal> {
        jobs::remove(&self.db, id).await
    }

    async fn count_queued(&self, at_most: u64) -> Result<u64> {
        jobs::count_queued(&self.db, at_most).await
    }

    async fn purge_expired_jobs(&self, _now: i64) -> Result<u64> {
        // DynamoDB's TTL deletes expired items itself; until it does, reads skip them.
        Ok(0)
    }
}
