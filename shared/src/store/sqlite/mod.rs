//! Embedded SQLite backend (`sqlite://PATH`, `sqlite::memory:`).
//!
//! - WAL journal and a busy timeout make several processes on one file safe (cargo-lambda runs
//!   each function as its own process); writers take the lock up front (`BEGIN IMMEDIATE`).
//! - `points` is a `WITHOUT ROWID` table keyed by `(sid, t)`, so a range scan is one index walk.
//! - Calls run on tokio's blocking pool with a small pool of connections, so SQLite never stalls
//!   the async runtime.
//!
//! Its parts: `conn` (the pool, errors, write transactions), `schema` (the tables, created on
//! open), `series`, `points` and `jobs` (each a set of functions over one connection, run in the
//! pool by the `Store` below).

mod conn;
mod jobs;
mod points;
mod schema;
mod series;

use std::path::Path;

use async_trait::async_trait;

use self::conn::Pool;
use super::{SeriesPut, Store};
use crate::chunk::Chunk;
use crate::error::{Error, Result};
use crate::jobs::{Claim, Claimed, Job, JobResult, JobStatus, ListCursor, Outcome, Removal};
use crate::model::{Order, Point, Range, SeriesId, SeriesInfo, SeriesMeta};

pub struct SqliteStore {
    pool: Pool,
    /// `TSFN_JOB_TTL` (ms): how long a finished job is kept.
    job_ttl: i64,
}

impl SqliteStore {
    /// `rest` is what follows `sqlite:` in the URL: `//PATH` or `:memory:`; `busy` is how long
    /// a call waits for another writer's lock.
    pub async fn open(rest: &str, busy: std::time::Duration, job_ttl: i64) -> Result<Self> {
        let path = if rest == ":memory:" {
            None
        } else if let Some(p) = rest.strip_prefix("//") {
            if p.is_empty() {
                return Err(Error::invalid("TSFN_STORE", "sqlite:// needs a file path"));
            }
            Some(p.to_owned())
        } else {
            return Err(Error::invalid(
                "TSFN_STORE",
                "use sqlite://PATH or sqlite::memory:",
            ));
        };
        if let Some(p) = &path {
            if let Some(dir) = Path::new(p).parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| {
                    Error::Unavailable(format!("cannot create {}: {e}", dir.display()))
                })?;
            }
        }
        Ok(SqliteStore {
            pool: Pool::open(path, busy)?,
            job_ttl,
        })
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn ping(&self) -> Result<()> {
        self.pool.ping().await
    }

    async fn usage(&self) -> Result<serde_json::Value> {
        self.pool
            .with(|c| {
                let pages: i64 = c
                    .query_row("PRAGMA page_count", [], |r| r.get(0))
                    .map_err(conn::db_err)?;
                let size: i64 = c
                    .query_row("PRAGMA page_size", [], |r| r.get(0))
                    .map_err(conn::db_err)?;
                let free: i64 = c
                    .query_row("PRAGMA freelist_count", [], |r| r.get(0))
                    .map_err(conn::db_err)?;
                Ok(serde_json::json!({
                    "database_bytes": pages * size,
                    "free_bytes": free * size,
                }))
            })
            .await
    }

    async fn list_series(&self) -> Result<Vec<SeriesInfo>> {
        self.pool.with(|c| series::list(c)).await
    }

    async fn get_series(&self, id: &SeriesId) -> Result<Option<SeriesInfo>> {
        let id = id.as_str().to_owned();
        self.pool.with(move |c| series::get(c, &id)).await
    }

    async fn put_series(&self, id: &SeriesId, meta: &SeriesMeta, now: i64) -> Result<SeriesPut> {
        let id = id.as_str().to_owned();
        let json = serde_json::to_string(meta).map_err(|e| Error::Internal(e.to_string()))?;
        self.pool
            .with(move |c| series::put(c, &id, &json, now))
            .await
    }

    async fn delete_series(&self, id: &SeriesId) -> Result<bool> {
        let id = id.as_str().to_owned();
        self.pool.with(move |c| series::delete(c, &id)).await
    }

    async fn write_points(&self, id: &SeriesId, points: Vec<Point>, now: i64) -> Result<bool> {
        let id = id.as_str().to_owned();
        self.pool
            .with(move |c| points::write(c, &id, &points, now))
            .await
    }

    async fn read_chunks(
        &self,
        id: &SeriesId,
        range: Range,
        order: Order,
        max: usize,
    ) -> Result<Vec<Chunk>> {
        let id = id.clone();
        self.pool
            .with(move |c| points::read(c, &id, range, order, max))
            .await
    }

    async fn delete_points(&self, id: &SeriesId, range: Range) -> Result<u64> {
        let id = id.clone();
        self.pool.with(move |c| points::delete(c, &id, range)).await
    }

    async fn create_job(&self, job: &Job) -> Result<()> {
        let job = job.clone();
        self.pool.with(move |c| jobs::create(c, &job)).await
    }

    async fn get_job(&self, id: &str) -> Result<Option<Job>> {
        let id = id.to_owned();
        let now = crate::time::now_ms();
        self.pool.with(move |c| jobs::get(c, &id, now)).await
    }

    async fn list_jobs(
        &self,
        status: Option<JobStatus>,
        after: Option<ListCursor>,
        limit: usize,
    ) -> Result<Vec<Job>> {
        let now = crate::time::now_ms();
        self.pool
            .with(move |c| jobs::list(c, status, after, limit, now))
            .await
    }

    async fn claim_next(
        &self,
        worker: &str,
        now: i64,
        lease_ms: i64,
        max_attempts: u32,
    ) -> Result<Option<Claimed>> {
        let (worker, ttl) = (worker.to_owned(), self.job_ttl);
        self.pool
            .with(move |c| jobs::claim(c, None, &worker, now, lease_ms, max_attempts, ttl))
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
        let (id, worker, ttl) = (id.to_owned(), worker.to_owned(), self.job_ttl);
        self.pool
            .with(move |c| jobs::claim(c, Some(&id), &worker, now, lease_ms, max_attempts, ttl))
            .await
    }

    async fn renew(&self, claim: &Claim, now: i64, lease_ms: i64, progress: u8) -> Result<bool> {
        let claim = claim.clone();
        self.pool
            .with(move |c| jobs::renew(c, &claim, now, lease_ms, progress))
            .await
    }

    async fn finish(
        &self,
        claim: &Claim,
        outcome: &Outcome,
        now: i64,
        announce_at: Option<i64>,
    ) -> Result<bool> {
        let (claim, outcome, ttl) = (claim.clone(), outcome.clone(), self.job_ttl);
        self.pool
            .with(move |c| jobs::finish(c, &claim, &outcome, now, ttl, announce_at))
            .await
    }

    async fn take_due_announcements(
        &self,
        now: i64,
        retry_at: i64,
        limit: usize,
    ) -> Result<Vec<String>> {
        self.pool
            .with(move |c| jobs::take_due_announcements(c, now, retry_at, limit))
            .await
    }

    async fn announced(&self, id: &str, spec: Option<&crate::jobs::JobSpec>) -> Result<bool> {
        let (id, spec) = (id.to_owned(), spec.map(|s| s.to_stored()));
        self.pool
            .with(move |c| jobs::announced(c, &id, spec.as_deref()))
            .await
    }

    async fn release(&self, claim: &Claim) -> Result<bool> {
        let claim = claim.clone();
        self.pool.with(move |c| jobs::release(c, &claim)).await
    }

    async fn get_result(&self, id: &str) -> Result<Option<JobResult>> {
        let id = id.to_owned();
        let now = crate::time::now_ms();
        self.pool.with(move |c| jobs::result(c, &id, now)).await
    }

    async fn remove_job(&self, id: &str) -> Result<Removal> {
        let id = id.to_owned();
        let now = crate::time::now_ms();
        self.pool.with(move |c| jobs::remove(c, &id, now)).await
    }

    async fn count_queued(&self, at_most: u64) -> Result<u64> {
        self.pool
            .with(move |c| jobs::count_queued(c, at_most))
            .await
    }

    async fn purge_expired_jobs(&self, now: i64) -> Result<u64> {
        self.pool.with(move |c| jobs::purge_expired(c, now)).await
    }
}
