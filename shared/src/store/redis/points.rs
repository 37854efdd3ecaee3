//! Points: one sorted set of chunks per series (`tsfn:chunks:{id}`): score = the chunk's first
//! time, member = the chunk's bytes (`crate::chunk`), so a range is one script call returning
//! a few members. Writes read the chunks they touch with the series' version, plan, and commit
//! with a script that applies the plan only if the version is unchanged (compare and set), so
//! concurrent writers to one series retry instead of losing points, and every body is all or
//! nothing: one script, whose first write either fails (nothing written) or all succeed.

use std::time::{Duration, Instant};

use redis::{Script, Value};
use tokio::sync::OnceCell;

use super::codec::{chunks_key, decode_point, points_key, score, series_key, SERIES_INDEX};
use super::conn::{reply_err, Conn};
use crate::chunk::{self, Chunk, Plan};
use crate::error::{Error, Result};
use crate::model::{Order, Point, Range, SeriesId, SeriesMeta};
use crate::store::not_found;

const READ_CHUNKS: &str = include_str!("lua/read_chunks.lua");
const COMMIT_CHUNKS: &str = include_str!("lua/commit_chunks.lua");
const MIGRATE_POINTS: &str = include_str!("lua/migrate_points.lua");

/// How long a write keeps planning again after losing to concurrent writers of the same
/// series before answering 503. Between attempts it waits a random, growing pause, so racing
/// writers spread out and each gets through.
const RETRY_FOR: Duration = Duration::from_secs(10);
const MAX_PAUSE_MS: u64 = 64;

/// Pauses before the next attempt: up to 1, 2, 4 ... `MAX_PAUSE_MS` ms, chosen at random.
async fn back_off(attempt: u32) {
    let ceiling = (1u64 << attempt.min(6)).min(MAX_PAUSE_MS);
    let pause = (uuid::Uuid::new_v4().as_u128() as u64) % (ceiling * 1000);
    tokio::time::sleep(Duration::from_micros(pause)).await;
}

pub(super) struct Points {
    conn: Conn,
    read: Script,
    commit: Script,
    migrate: Script,
    /// Series kept in the per-point format of earlier versions are converted once per
    /// process, before its first point operation (at first use, so a process that starts
    /// while Redis is down still converts them once Redis answers).
    migrated: OnceCell<()>,
}

/// The chunks read for a range, and the series' version then (`None`: no such series).
struct Read {
    version: Option<String>,
    chunks: Vec<Chunk>,
}

impl Points {
    pub(super) fn new(conn: Conn) -> Self {
        Points {
            conn,
            read: Script::new(READ_CHUNKS),
            commit: Script::new(COMMIT_CHUNKS),
            migrate: Script::new(MIGRATE_POINTS),
            migrated: OnceCell::new(),
        }
    }

    /// Converts what earlier versions wrote, once per process; every series and point
    /// operation calls it first (a no-op after the first success).
    pub(super) async fn ensure_migrated(&self) -> Result<()> {
        self.migrated
            .get_or_try_init(|| self.migrate_all())
            .await
            .map(|_| ())
    }

    async fn read_range(
        &self,
        id: &SeriesId,
        range: Range,
        order: Order,
        max: usize,
    ) -> Result<Read> {
        self.ensure_migrated().await?;
        // A script rather than MULTI/EXEC: the chunk at or before the start and those inside
        // come from one state, and a script flagged no-writes still runs while Redis is out of
        // memory, where a transaction is refused whole.
        let reply: Value = self
            .read
            .key(series_key(id.as_str()))
            .key(chunks_key(id.as_str()))
            .arg(score(range.lo()))
            .arg(score(range.hi()))
            .arg(if order == Order::Asc { "a" } else { "d" })
            // Lua counts in doubles and Redis wants a plain integer: "all" is a large one.
            .arg(max.min(1_000_000_000))
            .invoke_async(&mut self.conn.get())
            .await
            .map_err(|e| self.conn.err(e))?;
        let items: Option<Vec<Vec<u8>>> = redis::from_redis_value(reply).map_err(reply_err)?;
        let Some(mut items) = items else {
            return Ok(Read {
                version: None,
                chunks: Vec::new(),
            });
        };
        let version = String::from_utf8(items.remove(0)).map_err(reply_err)?;
        let chunks = items
            .into_iter()
            .map(Chunk::from_bytes)
            .collect::<Result<_>>()?;
        Ok(Read {
            version: Some(version),
            chunks,
        })
    }

    pub(super) async fn read(
        &self,
        id: &SeriesId,
        range: Range,
        order: Order,
        max: usize,
    ) -> Result<Vec<Chunk>> {
        let read = self.read_range(id, range, order, max).await?;
        if read.version.is_none() {
            return Err(not_found(id));
        }
        Ok(read.chunks)
    }

    /// Applies `plan` if the series is still at `version`; `Ok(None)` when it moved on.
    async fn commit(
        &self,
        id: &SeriesId,
        version: &str,
        plan: &Plan,
        now: i64,
    ) -> Result<Option<bool>> {
        let meta = serde_json::to_string(&SeriesMeta::default()).expect("serializable");
        let mut call = self.commit.prepare_invoke();
        call.key(series_key(id.as_str()))
            .key(chunks_key(id.as_str()))
            .key(SERIES_INDEX)
            .arg(version)
            .arg(id.as_str())
            .arg(now)
            .arg(meta)
            .arg(plan.added)
            .arg(plan.remove.len());
        for start in &plan.remove {
            call.arg(*start);
        }
        for c in &plan.put {
            call.arg(c.start()).arg(c.as_bytes());
        }
        let flag: i64 = call
            .invoke_async(&mut self.conn.get())
            .await
            .map_err(|e| self.conn.err(e))?;
        Ok((flag >= 0).then_some(flag == 1))
    }

    /// Upserts `points` (sorted, unique), creating the series when missing; returns whether it
    /// was created.
    pub(super) async fn write(&self, id: &SeriesId, points: Vec<Point>, now: i64) -> Result<bool> {
        // An empty body still creates the series.
        let span = match (points.first(), points.last()) {
            (Some(first), Some(last)) => Range {
                from: Some(first.t),
                to: Some(last.t.saturating_add(1)),
            },
            _ => Range {
                from: Some(0),
                to: Some(0),
            },
        };
        let began = Instant::now();
        for attempt in 0.. {
            if attempt > 0 {
                if began.elapsed() > RETRY_FOR {
                    break;
                }
                back_off(attempt).await;
            }
            let read = self.read_range(id, span, Order::Asc, usize::MAX).await?;
            let plan = if points.is_empty() {
                Plan::default()
            } else {
                let starts: Vec<i64> = read.chunks.iter().map(Chunk::start).collect();
                chunk::plan_write(&starts, &read.chunks, &points)?
            };
            if plan.is_empty() && read.version.is_some() {
                return Ok(false);
            }
            let version = read.version.as_deref().unwrap_or("");
            if let Some(created) = self.commit(id, version, &plan, now).await? {
                return Ok(created);
            }
        }
        Err(contended(id))
    }

    /// Deletes the points in `range`; returns how many there were.
    pub(super) async fn delete(&self, id: &SeriesId, range: Range) -> Result<u64> {
        let began = Instant::now();
        for attempt in 0.. {
            if attempt > 0 {
                if began.elapsed() > RETRY_FOR {
                    break;
                }
                back_off(attempt).await;
            }
            let read = self.read_range(id, range, Order::Asc, usize::MAX).await?;
            let Some(version) = read.version else {
                return Err(not_found(id));
            };
            let plan = chunk::plan_delete(&read.chunks, range)?;
            if plan.is_empty() {
                return Ok(0);
            }
            if self.commit(id, &version, &plan, 0).await?.is_some() {
                return Ok(plan.added.unsigned_abs());
            }
        }
        Err(contended(id))
    }

    /// Converts every series still in the per-point format (`tsfn:points:{id}`, a sorted set of
    /// 16-byte members) into chunks.
    async fn migrate_all(&self) -> Result<()> {
        let ids: Vec<String> = redis::cmd("ZRANGE")
            .arg(SERIES_INDEX)
            .arg(0)
            .arg(-1)
            .query_async(&mut self.conn.get())
            .await
            .map_err(|e| self.conn.err(e))?;
        for id in ids {
            let members: Vec<Vec<u8>> = redis::cmd("ZRANGE")
                .arg(points_key(&id))
                .arg(0)
                .arg(-1)
                .query_async(&mut self.conn.get())
                .await
                .map_err(|e| self.conn.err(e))?;
            if members.is_empty() {
                continue;
            }
            let points = members
                .iter()
                .map(|m| decode_point(m))
                .collect::<Result<Vec<_>>>()?;
            let mut call = self.migrate.prepare_invoke();
            call.key(series_key(&id))
                .key(points_key(&id))
                .key(chunks_key(&id))
                .arg(points.len());
            for run in points.chunks(chunk::MAX_POINTS) {
                let c = Chunk::encode(run);
                call.arg(c.start()).arg(c.into_bytes());
            }
            let moved: i64 = call
                .invoke_async(&mut self.conn.get())
                .await
                .map_err(|e| self.conn.err(e))?;
            if moved == 1 {
                tracing::info!(series = %id, points = points.len(), "converted to chunks");
            }
        }
        Ok(())
    }
}

fn contended(id: &SeriesId) -> Error {
    Error::Unavailable(format!(
        "series {:?} is being written by many writers at once; nothing of this request was \
         written: send it again",
        id.as_str()
    ))
}
