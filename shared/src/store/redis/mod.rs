//! Redis-compatible backend (`redis://HOST:PORT/DB`): Redis 7+ or Valkey (its scripts declare
//! flags, so a script that would write is refused whole while Redis is out of memory); core
//! commands only.
//!
//! Keys (all prefixed `tsfn:`):
//! - `tsfn:series` sorted set of series ids (score 0, so listing is by id);
//! - `tsfn:series:{id}` hash: `meta` (JSON), `created`, `updated` (ms);
//! - `tsfn:series:{id}` also counts the series' points (`n`) and its writes (`ver`, the
//!   version each chunk write compares and sets);
//! - `tsfn:chunks:{id}` sorted set: score = a chunk's first time (ms), member = the chunk's
//!   bytes (`crate::chunk`); `tsfn:points:{id}` (a member per point) is what earlier versions
//!   wrote, converted on first use;
//! - jobs and results: see `jobs`; the queue stream: see `queue`.
//!
//! Writes that must be atomic are Lua scripts (one round trip, no interleaving; in `lua/`); reads
//! are pipelined into one round trip. One multiplexed connection per process carries every
//! request concurrently and reconnects after Redis restarts. While Redis is unreachable, calls fail
//! within the timeouts of `conn` with `Error::Unavailable` (503); a reply timeout is never
//! retried, so a hung Redis costs a request one `RESPONSE_TIMEOUT`.
//!
//! Its parts: `conn` (the shared connection, errors), `codec` (key names, the job hash),
//! `series`, `points` (chunks), `jobs` and `queue`; each holds
//! its own scripts and a handle on the shared connection, and the `Store` below delegates to them.

mod codec;
mod conn;
mod jobs;
mod points;
mod queue;
mod series;

use async_trait::async_trait;

use self::conn::Conn;
pub use self::conn::Timeouts;
use self::jobs::Jobs;
use self::points::Points;
use self::queue::Queue;
use self::series::Series;
use super::{SeriesPut, Store};
use crate::chunk::Chunk;
use crate::error::Result;
use crate::jobs::{Claim, Claimed, Job, JobResult, JobStatus, ListCursor, Outcome, Removal};
use crate::model::{Order, Point, Range, SeriesId, SeriesInfo, SeriesMeta};

pub struct RedisStore {
    /// The shared connection, for `ping`; each part holds a clone of it.
    conn: Conn,
    series: Series,
    points: Points,
    jobs: Jobs,
    queue: Queue,
}

impl RedisStore {
    /// `url` is the whole `redis://HOST:PORT/DB` URL.
    /// `job_ttl` (ms): how long a finished job is kept.
    pub async fn open(url: &str, timeouts: Timeouts, job_ttl: i64) -> Result<Self> {
        let conn = Conn::open(url, timeouts)?;
        let points = Points::new(conn.clone());
        let store = RedisStore {
            series: Series::new(conn.clone()),
            points,
            jobs: Jobs::new(conn.clone(), job_ttl),
            queue: Queue::new(conn.clone()),
            conn,
        };
        if let Err(e) = store.queue.ensure_group().await {
            tracing::warn!(error = %e, "redis not reachable at start; will retry on use");
        }
        Ok(store)
    }
}

#[async_trait]
impl Store for RedisStore {
    fn backend(&self) -> &'static str {
        "redis"
    }

    fn claim_waits(&self) -> bool {
        true
    }

    async fn ping(&self) -> Result<()> {
        let _: String = redis::cmd("PING")
            .query_async(&mut self.conn.get())
            .await
            .map_err(conn::redis_err)?;
        Ok(())
    }

    async fn usage(&self) -> Result<serde_json::Value> {
        let info: String = redis::cmd("INFO")
            .arg("memory")
            .query_async(&mut self.conn.get())
            .await
            .map_err(conn::redis_err)?;
        let keys: u64 = redis::cmd("DBSIZE")
            .query_async(&mut self.conn.get())
            .await
            .map_err(conn::redis_err)?;
        let field = |name: &str| {
            info.lines()
                .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
                .map(|v| v.trim().to_owned())
        };
        Ok(serde_json::json!({
            "keys": keys,
            "used_memory": field("used_memory").and_then(|v| v.parse::<u64>().ok()),
            "used_memory_peak": field("used_memory_peak").and_then(|v| v.parse::<u64>().ok()),
            "maxmemory": field("maxmemory").and_then(|v| v.parse::<u64>().ok()),
            "maxmemory_policy": field("maxmemory_policy"),
        }))
    }

    async fn list_series(&self) -> Result<Vec<SeriesInfo>> {
        self.points.ensure_migrated().await?;
        self.series.list().await
    }

    async fn get_series(&self, id: &SeriesId) -> Result<Option<SeriesInfo>> {
        self.points.ensure_migrated().await?;
        self.series.get(id).await
    }

    async fn put_series(&self, id: &SeriesId, meta: &SeriesMeta, now: i64) -> Result<SeriesPut> {
        self.points.ensure_migrated().await?;
        self.series.put(id, meta, now).await
    }

    async fn delete_series(&self, id: &SeriesId) -> Result<bool> {
        self.points.ensure_migrated().await?;
        self.series.delete(id).await
    }

    async fn write_points(&self, id: &SeriesId, points: Vec<Point>, now: i64) -> Result<bool> {
        self.points.write(id, points, now).await
    }

    async fn read_chunks(
        &self,
        id: &SeriesId,
        range: Range,
        order: Order,
        max: usize,
    ) -> Result<Vec<Chunk>> {
        self.points.read(id, range, order, max).await
    }

    async fn delete_points(&self, id: &SeriesId, range: Range) -> Result<u64> {
        self.points.delete(id, range).await
    }

    async fn create_job(&self, job: &Job) -> Result<()> {
        self.jobs.create(job).await
    }

    async fn get_job(&self, id: &str) -> Result<Option<Job>> {
        self.jobs.get(id).await
    }

    async fn list_jobs(
        &self,
        status: Option<JobStatus>,
        after: Option<ListCursor>,
        limit: usize,
    ) -> Result<Vec<Job>> {
        self.jobs.list(status, after, limit).await
    }

    async fn claim_next(
        &self,
        worker: &str,
        now: i64,
        lease_ms: i64,
        max_attempts: u32,
    ) -> Result<Option<Claimed>> {
        self.queue
            .claim_next(&self.jobs, worker, now, lease_ms, max_attempts)
            .await
    }

    async fn claim_job(
        &self,
        id: &str,
        worker: &str,
        now: i64,
        lease_ms: i64,
        max_attempts: u32,
    ) -> Result<Option<Claimed>> {
        self.jobs
            .claim_by_id(id, "", worker, now, lease_ms, max_attempts)
            .await
            .map(|r| r.claimed())
    }

    async fn renew(&self, claim: &Claim, now: i64, lease_ms: i64, progress: u8) -> Result<bool> {
        self.jobs.renew(claim, now, lease_ms, progress).await
    }

    async fn finish(
        &self,
        claim: &Claim,
        outcome: &Outcome,
        now: i64,
        announce_at: Option<i64>,
    ) -> Result<bool> {
        self.jobs.finish(claim, outcome, now, announce_at).await
    }

    async fn take_due_announcements(
        &self,
        now: i64,
        retry_at: i64,
        limit: usize,
    ) -> Result<Vec<String>> {
        self.jobs.take_due_announcements(now, retry_at, limit).await
    }

    async fn announced(&self, id: &str, spec: Option<&crate::jobs::JobSpec>) -> Result<bool> {
        self.jobs.announced(id, spec).await
    }

    async fn release(&self, claim: &Claim) -> Result<bool> {
        self.jobs.release(claim).await
    }

    async fn get_result(&self, id: &str) -> Result<Option<JobResult>> {
        self.jobs.result(id).await
    }

    async fn remove_job(&self, id: &str) -> Result<Removal> {
        self.jobs.remove(id).await
    }

    async fn count_queued(&self, _at_most: u64) -> Result<u64> {
        self.jobs.count_queued().await
    }

    async fn purge_expired_jobs(&self, now: i64) -> Result<u64> {
        self.jobs.purge_expired(now).await
    }
}
