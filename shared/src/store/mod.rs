//! The storage contract. Every backend implements [`Store`]; handlers and workers only see
//! `Arc<dyn Store>`, so behaviour is the same whichever backend `TSFN_STORE` selects.
//!
//! Contract details every backend must honour (the conformance suite checks them):
//! - points are unique per `(series, t)`: writing an existing `t` replaces its value;
//! - `write_points` receives points sorted by `t` without duplicates, every one already validated
//!   (so no backend rejects a point it was given), and creates the series when missing. Every
//!   finite f64 comes back bit for bit, -0.0 included;
//! - a body whose write fails part-way is not all or nothing everywhere: SQLite writes it in one
//!   transaction and Redis in one script (all or nothing); DynamoDB in transactions of at most
//!   100 items and 4 MB (a body whose changes fit one is all or nothing). A failure that may leave
//!   part of a body written is an `Unavailable` whose message says so and that resending is
//!   safe, which it is because rewriting a point is idempotent. Concurrent writes of the same
//!   `t`: the last one wins per point (and each body, or each DynamoDB transaction, is applied
//!   whole);
//! - `updated` is when the metadata was last written (`put_series`, or the write that created the
//!   series); point writes and deletes leave it alone;
//! - reads of a missing series return `Error::NotFound`, never an empty success;
//! - a finished job (and its result) expires `TSFN_JOB_TTL` after it finished (the store is
//!   opened with that TTL and records the expiry when the job finishes): from then on every job
//!   read (get, result, list, remove) treats it as absent, even where the backend deletes it
//!   later (DynamoDB's TTL, up to days late; SQLite's periodic `purge_expired_jobs`).

use std::sync::Arc;

use async_trait::async_trait;

use crate::chunk::Chunk;
use crate::error::{Error, Result};
use crate::jobs::{Claim, Claimed, Job, JobResult, JobStatus, ListCursor, Outcome, Removal};
use crate::model::{Order, Point, Range, SeriesId, SeriesInfo, SeriesMeta};
use crate::settings::Settings;

#[cfg(feature = "dynamodb")]
pub mod dynamodb;
#[cfg(feature = "redis")]
pub mod redis;
#[cfg(feature = "sqlite")]
pub mod sqlite;

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Short backend name for logs and `/ready`.
    fn backend(&self) -> &'static str;

    /// Whether `claim_next` itself waits for work (a blocking queue read), so an idle worker
    /// need not sleep between calls.
    fn claim_waits(&self) -> bool {
        false
    }

    /// Cheap check, used by `/ready`, that the store answers and can take writes.
    async fn ping(&self) -> Result<()>;

    /// Waits, bounded, for a store that is still being set up (DynamoDB tables in CREATING)
    /// before a long-running process starts; `say` reports what it waits for.
    async fn wait_ready(&self, say: &mut (dyn for<'a> FnMut(&'a str) + Send)) -> Result<()> {
        let _ = say;
        Ok(())
    }

    /// What the backend itself says about its size, for `tsfn gather` (bytes, keys, items).
    async fn usage(&self) -> Result<serde_json::Value> {
        Ok(serde_json::json!({}))
    }

    /// Every series, ordered by id.
    async fn list_series(&self) -> Result<Vec<SeriesInfo>>;

    async fn get_series(&self, id: &SeriesId) -> Result<Option<SeriesInfo>>;

    /// Creates the series or replaces its metadata. Returns the series and whether it was created.
    async fn put_series(&self, id: &SeriesId, meta: &SeriesMeta, now: i64) -> Result<SeriesPut>;

    /// Deletes the series and all its points. Returns false when it did not exist.
    async fn delete_series(&self, id: &SeriesId) -> Result<bool>;

    /// Upserts points (sorted by `t`, unique), creating the series when missing.
    /// Returns whether the series was created.
    async fn write_points(&self, id: &SeriesId, points: Vec<Point>, now: i64) -> Result<bool>;

    /// At most `max` of the chunks holding `range`'s points, in `order` of their start: the
    /// last chunk starting at or before the range's start (it may hold points inside the
    /// range), then every chunk starting inside it. A missing series is `NotFound`.
    async fn read_chunks(
        &self,
        id: &SeriesId,
        range: Range,
        order: Order,
        max: usize,
    ) -> Result<Vec<Chunk>>;

    async fn get_point(&self, id: &SeriesId, t: i64) -> Result<Option<Point>> {
        let range = Range {
            from: Some(t),
            to: Some(t.saturating_add(1)),
        };
        let chunks = self.read_chunks(id, range, Order::Asc, 1).await?;
        match chunks.first() {
            Some(c) => Ok(c.points_in(range)?.pop()),
            None => Ok(None),
        }
    }

    /// Deletes the points in `range`; returns how many there were.
    async fn delete_points(&self, id: &SeriesId, range: Range) -> Result<u64>;

    // ---- jobs ----

    /// Stores a new queued job; `NotFound` (and nothing stored) when one of its series does not
    /// exist. A series deleted after this check makes the job fail when it runs.
    async fn create_job(&self, job: &Job) -> Result<()>;

    async fn get_job(&self, id: &str) -> Result<Option<Job>>;

    /// Jobs newest first, optionally of one status, starting after `after`.
    async fn list_jobs(
        &self,
        status: Option<JobStatus>,
        after: Option<ListCursor>,
        limit: usize,
    ) -> Result<Vec<Job>>;

    /// Atomically claims the oldest runnable job: queued, or running with an expired lease
    /// (its worker died). Sets running, the worker, attempts + 1 and a lease until `now + lease_ms`.
    /// A job whose attempts already reached `max_attempts` is failed instead of claimed.
    async fn claim_next(
        &self,
        worker: &str,
        now: i64,
        lease_ms: i64,
        max_attempts: u32,
    ) -> Result<Option<Claimed>>;

    /// The same for one given job (event-driven workers are handed a job id).
    async fn claim_job(
        &self,
        id: &str,
        worker: &str,
        now: i64,
        lease_ms: i64,
        max_attempts: u32,
    ) -> Result<Option<Claimed>>;

    /// Extends the lease and records progress; false when the claim is no longer current.
    async fn renew(&self, claim: &Claim, now: i64, lease_ms: i64, progress: u8) -> Result<bool>;

    /// Stores the outcome (and result) if the claim is still current; false otherwise. With
    /// `announce_at`, the job is recorded, in the same write, as owing its announcement (its
    /// event and notification, `crate::notify`), due at that time unless [`Store::announced`]
    /// comes first: the worker announces at once, and a sweep takes over if it stopped.
    async fn finish(
        &self,
        claim: &Claim,
        outcome: &Outcome,
        now: i64,
        announce_at: Option<i64>,
    ) -> Result<bool>;

    /// Up to `limit` jobs whose announcement is due at `now`, oldest first, each taken: due
    /// again at `retry_at` (so two sweeps do not both take it, and a sweep that stops is
    /// followed by another). A job failed for running out of attempts (in `claim_next` or
    /// `claim_job`) is due at once.
    async fn take_due_announcements(
        &self,
        now: i64,
        retry_at: i64,
        limit: usize,
    ) -> Result<Vec<String>>;

    /// The job's announcement is made: it no longer owes one. With `spec`, its stored spec is
    /// replaced too (the notification's delivery state; nothing else in a spec ever changes).
    /// False when the job is gone.
    async fn announced(&self, id: &str, spec: Option<&crate::jobs::JobSpec>) -> Result<bool>;

    /// Gives a claimed job back to the queue (graceful shutdown); false when the claim is stale.
    async fn release(&self, claim: &Claim) -> Result<bool>;

    /// The result of a succeeded job.
    async fn get_result(&self, id: &str) -> Result<Option<JobResult>>;

    /// Deletes a finished job with its result, or withdraws a queued one.
    async fn remove_job(&self, id: &str) -> Result<Removal>;

    /// How many jobs are queued, counted up to `at_most` (enough to compare with a limit):
    /// an index count, cheap enough for every submission.
    async fn count_queued(&self, at_most: u64) -> Result<u64>;

    /// Removes what expired jobs leave behind that reads already ignore (rows, index entries);
    /// returns how many were removed. Run by the workers' periodic sweep.
    async fn purge_expired_jobs(&self, now: i64) -> Result<u64>;
}

pub type DynStore = Arc<dyn Store>;

/// What `put_series` did: the series as stored, and whether this call created it.
#[derive(Debug, Clone)]
pub struct SeriesPut {
    pub info: SeriesInfo,
    pub created: bool,
}

/// Opens the store named by the `TSFN_STORE` setting.
pub async fn open(settings: &Settings) -> Result<DynStore> {
    let url = settings.store.as_str();
    #[cfg(feature = "sqlite")]
    if let Some(rest) = url.strip_prefix("sqlite:") {
        return Ok(Arc::new(
            sqlite::SqliteStore::open(rest, settings.sqlite_busy_timeout(), settings.job_ttl)
                .await?,
        ));
    }
    #[cfg(feature = "redis")]
    if url.starts_with("redis://") {
        let timeouts = redis::Timeouts {
            connect: std::time::Duration::from_millis(settings.redis_connect_timeout_ms),
            reply: std::time::Duration::from_millis(settings.redis_timeout_ms),
        };
        return Ok(Arc::new(
            redis::RedisStore::open(url, timeouts, settings.job_ttl).await?,
        ));
    }
    #[cfg(feature = "dynamodb")]
    if let Some(prefix) = url.strip_prefix("dynamodb://") {
        return Ok(Arc::new(
            dynamodb::DynamoStore::open(
                prefix,
                settings.dynamodb_timeout(),
                settings.dynamodb_connect_timeout(),
                settings.job_ttl,
            )
            .await?,
        ));
    }
    let scheme = url.split(':').next().unwrap_or(url);
    Err(Error::invalid(
        "TSFN_STORE",
        format!(
            "unsupported store {scheme:?} in this build (built with: {})",
            compiled_backends().join(", ")
        ),
    ))
}

pub fn compiled_backends() -> Vec<&'static str> {
    [
        ("sqlite", cfg!(feature = "sqlite")),
        ("redis", cfg!(feature = "redis")),
        ("dynamodb", cfg!(feature = "dynamodb")),
    ]
    .into_iter()
    .filter(|(_, on)| *on)
    .map(|(name, _)| name)
    .collect()
}

/// Creates what the store needs before first use: the DynamoDB tables (the other backends create
/// their schema when they open), and waits until they can be used. `say` gets a line per table
/// created and per state waited for.
pub async fn init(
    settings: &Settings,
    say: &mut (dyn for<'a> FnMut(&'a str) + Send),
) -> Result<()> {
    #[cfg(feature = "dynamodb")]
    if let Some(prefix) = settings.store.strip_prefix("dynamodb://") {
        return dynamodb::DynamoStore::open(
            prefix,
            settings.dynamodb_timeout(),
            settings.dynamodb_connect_timeout(),
            settings.job_ttl,
        )
        .await?
        .init(say)
        .await;
    }
    open(settings).await?;
    let _ = say;
    Ok(())
}

#[cfg(any(feature = "sqlite", feature = "redis", feature = "dynamodb"))]
pub(crate) fn not_found(id: &SeriesId) -> Error {
    Error::NotFound(format!("series {:?}", id.as_str()))
}
