//! The queue: `tsfn:queue`, a stream of `job` ids read by the consumer group `workers` with
//! XREADGROUP. An entry is acknowledged (and deleted) once the job's final state is stored.
//! Entries pending longer than the lease are looked up with XPENDING (which leaves their idle
//! time alone) and moved (XCLAIM) to a worker only in the script that claims their job, i.e. once
//! the job's lease has expired; so a look that finds the owner alive does not restart the clock,
//! and a dead worker's job is taken over within a lease and a half. Consumers idle for a lease
//! (and 10 s) with nothing pending (dead workers) are removed from the group.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Script, Value};

use super::codec::{text, GROUP, QUEUE};
use super::conn::{redis_err, Conn};
use super::jobs::{ClaimResult, Jobs};
use crate::error::Result;
use crate::jobs::Claimed;

/// Entries read and claimed in one script per `claim_next` before the blocking read (entries
/// whose job cannot run are skipped that way).
const NEW_TRIES: usize = 8;

/// How long an idle worker's read waits for a new entry.
const BLOCK: Duration = Duration::from_millis(250);

/// Pending entries looked at per XPENDING page, and pages per reclaim pass.
const RECLAIM_PAGE: usize = 32;
const RECLAIM_PAGES: usize = 8;

/// A consumer with nothing pending is removed once idle for a lease, and at least this long: a
/// live worker's blocking reads (`BLOCK`) keep its idle time far below it.
const REAP_IDLE_MIN_MS: i64 = 10_000;

/// Removes the group's consumers (ARGV[1]) idle for more than ARGV[2] ms with no pending entry:
/// workers that died. Atomic, so a consumer that has just been handed an entry is never removed;
/// a live one removed between two reads is simply created again by its next XREADGROUP.
const REAP: &str = include_str!("lua/reap_consumers.lua");

pub(super) struct Queue {
    conn: Conn,
    /// One connection per worker for blocking queue reads, which would stall the shared one.
    blocking: Mutex<HashMap<String, MultiplexedConnection>>,
    /// When this store last looked for dead workers' entries (and consumers).
    last_reclaim: AtomicI64,
    reap: Script,
}

impl Queue {
    pub(super) fn new(conn: Conn) -> Self {
        Queue {
            conn,
            blocking: Mutex::new(HashMap::new()),
            last_reclaim: AtomicI64::new(0),
            reap: Script::new(REAP),
        }
    }

    /// Creates the consumer group (and the stream) unless it exists.
    pub(super) async fn ensure_group(&self) -> Result<()> {
        let r: redis::RedisResult<()> = redis::cmd("XGROUP")
            .arg("CREATE")
            .arg(QUEUE)
            .arg(GROUP)
            .arg("0")
            .arg("MKSTREAM")
            .query_async(&mut self.conn.get())
            .await;
        match r {
            Ok(()) => Ok(()),
            Err(e) if e.to_string().contains("BUSYGROUP") => Ok(()),
            Err(e) => Err(redis_err(e)),
        }
    }

    /// A dedicated connection for `worker`'s blocking reads.
    async fn blocking_conn(&self, worker: &str) -> Result<MultiplexedConnection> {
        if let Some(c) = self.blocking.lock().unwrap().get(worker) {
            return Ok(c.clone());
        }
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(self.conn.timeouts().connect))
            .set_response_timeout(Some(self.conn.timeouts().reply + BLOCK));
        let c = self
            .conn
            .client()
            .get_multiplexed_async_connection_with_config(&config)
            .await
            .map_err(redis_err)?;
        self.blocking
            .lock()
            .unwrap()
            .insert(worker.to_owned(), c.clone());
        Ok(c)
    }

    fn drop_blocking_conn(&self, worker: &str) {
        self.blocking.lock().unwrap().remove(worker);
    }

    /// Claims the next job for `worker`: a dead worker's (at most every half lease), else a new
    /// entry, waiting up to `BLOCK` for one.
    pub(super) async fn claim_next(
        &self,
        jobs: &Jobs,
        worker: &str,
        now: i64,
        lease_ms: i64,
        max_attempts: u32,
    ) -> Result<Option<Claimed>> {
        // The claim is made after the reads below, which may block for up to `BLOCK`: its time is
        // the caller's `now` advanced by the time they took (a monotonic clock, not a second
        // reading of the wall clock).
        let started = tokio::time::Instant::now();
        // Entries of dead workers are looked for at least every half lease, even under load.
        let last = self.last_reclaim.load(Ordering::Relaxed);
        let mut candidates = if now - last > lease_ms / 2 {
            self.last_reclaim.store(now, Ordering::Relaxed);
            self.reap_consumers(lease_ms.max(REAP_IDLE_MIN_MS)).await?;
            reclaim_stale(&self.conn, lease_ms).await?
        } else {
            Vec::new()
        };
        if candidates.is_empty() {
            // Under load the next entry is there: read and claimed in one round trip. Only an
            // empty queue takes the blocking read below (and the claim after it).
            for _ in 0..NEW_TRIES {
                let at = now + started.elapsed().as_millis() as i64;
                match jobs.claim_new(worker, at, lease_ms, max_attempts).await? {
                    Some(ClaimResult::Ok(claimed)) => return Ok(Some(*claimed)),
                    // Acknowledged in the script; the next entry may be runnable.
                    Some(_) => continue,
                    None => break,
                }
            }
            candidates = self.read_new(worker).await?;
        }
        for (entry, job_id) in candidates {
            match jobs
                .claim_by_id(
                    &job_id,
                    &entry,
                    worker,
                    now + started.elapsed().as_millis() as i64,
                    lease_ms,
                    max_attempts,
                )
                .await?
            {
                ClaimResult::Ok(claimed) => return Ok(Some(*claimed)),
                // Gone, finished or failed now: acknowledged by the script. Busy: its owner is
                // alive and will acknowledge it when done.
                ClaimResult::Gone | ClaimResult::Done | ClaimResult::Failed | ClaimResult::Busy => {
                }
            }
        }
        Ok(None)
    }

    async fn read_new(&self, worker: &str) -> Result<Vec<(String, String)>> {
        let mut blocking = self.blocking_conn(worker).await?;
        let r: redis::RedisResult<Value> = redis::cmd("XREADGROUP")
            .arg("GROUP")
            .arg(GROUP)
            .arg(worker)
            .arg("COUNT")
            .arg(1)
            .arg("BLOCK")
            .arg(BLOCK.as_millis() as u64)
            .arg("STREAMS")
            .arg(QUEUE)
            .arg(">")
            .query_async(&mut blocking)
            .await;
        let v = match r {
            Ok(v) => v,
            Err(e) if e.to_string().contains("NOGROUP") => {
                // The group vanished (Redis restarted without persistence): recreate it.
                self.ensure_group().await?;
                return Ok(Vec::new());
            }
            Err(e) => {
                self.drop_blocking_conn(worker);
                return Err(redis_err(e));
            }
        };
        // [[stream, entries]] or nil on timeout.
        Ok(match v {
            Value::Array(streams) => streams
                .iter()
                .flat_map(|st| match st {
                    Value::Array(pair) if pair.len() == 2 => entries(&pair[1]),
                    _ => Vec::new(),
                })
                .collect(),
            Value::Map(streams) => streams.iter().flat_map(|(_, e)| entries(e)).collect(),
            _ => Vec::new(),
        })
    }

    /// Removes dead workers' consumers from the group (see `REAP`).
    async fn reap_consumers(&self, idle_ms: i64) -> Result<()> {
        let removed: i64 = self
            .reap
            .key(QUEUE)
            .arg(GROUP)
            .arg(idle_ms)
            .invoke_async(&mut self.conn.get())
            .await
            .map_err(redis_err)?;
        if removed > 0 {
            tracing::debug!(removed, "removed consumers of stopped workers");
        }
        Ok(())
    }
}

/// `(entry id, job id)` pairs from an XREADGROUP/XRANGE entry list.
fn entries(v: &Value) -> Vec<(String, String)> {
    let Value::Array(items) = v else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|e| match e {
            Value::Array(pair) if pair.len() == 2 => {
                let id = text(&pair[0])?;
                let job = match &pair[1] {
                    Value::Array(kv) => kv
                        .chunks(2)
                        .find(|c| c.first().and_then(text).as_deref() == Some("job"))
                        .and_then(|c| c.get(1))
                        .and_then(text),
                    _ => None,
                }?;
                Some((id, job))
            }
            _ => None,
        })
        .collect()
}

/// Entries pending for longer than a lease, with their job ids: candidates whose worker may have
/// died. Only looked at (XPENDING does not touch their idle time); the claim script moves one to
/// this worker if its job's lease has indeed expired.
async fn reclaim_stale(conn: &Conn, lease_ms: i64) -> Result<Vec<(String, String)>> {
    let mut ids: Vec<String> = Vec::new();
    let mut start = "-".to_owned();
    for _ in 0..RECLAIM_PAGES {
        let v: Value = redis::cmd("XPENDING")
            .arg(QUEUE)
            .arg(GROUP)
            .arg("IDLE")
            .arg(lease_ms)
            .arg(&start)
            .arg("+")
            .arg(RECLAIM_PAGE)
            .query_async(&mut conn.get())
            .await
            .map_err(redis_err)?;
        // [[id, consumer, idle ms, deliveries], ...]
        let page: Vec<String> = match v {
            Value::Array(rows) => rows
                .iter()
                .filter_map(|r| match r {
                    Value::Array(f) => f.first().and_then(text),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        let full = page.len() == RECLAIM_PAGE;
        if let Some(last) = page.last() {
            start = format!("({last}");
        }
        ids.extend(page);
        if !full {
            break;
        }
    }
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut pipe = redis::pipe();
    for id in &ids {
        pipe.cmd("XRANGE").arg(QUEUE).arg(id).arg(id);
    }
    let ranges: Vec<Value> = pipe.query_async(&mut conn.get()).await.map_err(redis_err)?;
    let mut found = Vec::with_capacity(ids.len());
    for (id, range) in ids.iter().zip(&ranges) {
        match entries(range).pop() {
            Some(entry) => found.push(entry),
            // Pending but deleted from the stream: nothing to run, only to acknowledge.
            None => ack(conn, id).await?,
        }
    }
    Ok(found)
}

async fn ack(conn: &Conn, entry: &str) -> Result<()> {
    let mut pipe = redis::pipe();
    pipe.cmd("XACK")
        .arg(QUEUE)
        .arg(GROUP)
        .arg(entry)
        .ignore()
        .cmd("XDEL")
        .arg(QUEUE)
        .arg(entry)
        .ignore();
    let () = pipe.query_async(&mut conn.get()).await.map_err(redis_err)?;
    Ok(())
}
