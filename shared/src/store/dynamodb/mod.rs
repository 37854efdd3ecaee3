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
//!
//! Its parts: `conn` (the client, table names, errors), `codec` (attribute values, the job
//! decoder), `series`, `points`, `jobs`, `results` (one table each) and `schema` (`init-store`);
//! the `Store` below composes them.

mod codec;
mod conn;
mod jobs;
mod points;
mod results;
mod schema;
mod series;

use async_trait::async_trait;

use self::conn::{aws_err, Db};
use super::{not_found, SeriesPut, Store};
use crate::error::Result;
use crate::jobs::{Claim, Claimed, Job, JobResult, JobStatus, ListCursor, Outcome, Removal};
use crate::model::{Order, Point, Range, SeriesId, SeriesInfo, SeriesMeta};

pub struct DynamoStore {
    db: Db,
}

impl DynamoStore {
    /// `prefix` is what follows `dynamodb://`; `attempt` bounds each attempt of a call,
    /// `connect` the opening of a connection.
    pub async fn open(
        prefix: &str,
        attempt: std::time::Duration,
        connect: std::time::Duration,
    ) -> Result<Self> {
        Ok(DynamoStore {
            db: Db::open(prefix, attempt, connect).await?,
        })
    }

    /// Creates the tables unless they exist (`tsfn init-store`) and waits until they can be
    /// used; `say` gets a line per table created and per state waited for.
    pub async fn init(&self, say: &mut (dyn for<'a> FnMut(&'a str) + Send)) -> Result<()> {
        for t in schema::init_tables(&self.db).await? {
            say(&format!("created table {t}"));
        }
        // DynamoDB answers CreateTable at once and builds the table (and its indexes) after.
        schema::wait_active(&self.db, schema::ACTIVE_WAIT, true, say).await?;
        say("every table and index is ACTIVE");
        Ok(())
    }

    /// Points of one series in `[lo, hi]`; `NotFound` when none came back and the series does
    /// not exist (asked only then, so the common case is one Query).
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
            points::page(&self.db, id.as_str(), lo, hi, order, limit).await?
        };
        if points.is_empty() && series::item(&self.db, id.as_str()).await?.is_none() {
            return Err(not_found(id));
        }
        Ok(points)
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
        let created = series::create_if_missing(&self.db, id, now).await?;
        // `updated` is when the metadata was last written, so point writes leave it alone.
        points::write(&self.db, id.as_str(), &points).await?;
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
        if series::item(&self.db, id.as_str()).await?.is_none() {
            return Err(not_found(id));
        }
        points::delete(&self.db, id.as_str(), range.lo(), range.hi()).await
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

    async fn finish(&self, claim: &Claim, outcome: &Outcome, now: i64) -> Result<bool> {
        jobs::finish(&self.db, claim, outcome, now).await
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
}
