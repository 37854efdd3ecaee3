//! Redis-compatible backend (`redis://HOST:PORT/DB`): Redis 6+, Valkey, KeyDB; core commands only.
//!
//! Keys (all prefixed `tsfn:`):
//! - `tsfn:series` sorted set of series ids (score 0, so listing is by id);
//! - `tsfn:series:{id}` hash: `meta` (JSON), `created`, `updated` (ms);
//! - `tsfn:points:{id}` sorted set: score = t (ms), member = 16 bytes (t and v, big-endian);
//! - jobs, results and the queue stream: see `redis_jobs`.
//!
//! Writes that must be atomic are Lua scripts (one round trip, no interleaving); reads are
//! pipelined into one round trip. One multiplexed connection per process carries every request
//! concurrently and reconnects after Redis restarts, except point ranges, which have one of their
//! own with a decoder made for them (`redis_read`). While Redis is unreachable, calls fail within
//! the timeouts below with `Error::Unavailable` (503); a reply timeout is never retried, so a hung
//! Redis costs a request one `RESPONSE_TIMEOUT`.

use std::collections::HashMap;
use std::sync::atomic::AtomicI64;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use redis::aio::{ConnectionManager, ConnectionManagerConfig, MultiplexedConnection};
use redis::{AsyncConnectionConfig, Client, Script, Value};

use super::redis_read::PointReader;
use super::{not_found, redis_jobs, SeriesPut, Store};
use crate::error::{Error, Result};
use crate::jobs::{Claim, Claimed, Job, JobResult, JobStatus, ListCursor, Outcome, Removal};
use crate::model::{Order, Point, Range, SeriesId, SeriesInfo, SeriesMeta};

/// How long to wait for a connection, and for any reply, before answering 503.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
pub const RESPONSE_TIMEOUT: Duration = Duration::from_secs(3);

pub(super) const SERIES_INDEX: &str = "tsfn:series";

/// Points per write script, and scripts per pipelined round trip.
const WRITE_CHUNK: usize = 20_000;
const CHUNKS_PER_PIPELINE: usize = 5;

pub(super) fn series_key(id: &str) -> String {
    format!("tsfn:series:{id}")
}

pub(super) fn points_key(id: &str) -> String {
    format!("tsfn:points:{id}")
}

/// Upserts points; creates the series when missing. Appends (t above the current last point)
/// go straight to ZADD in chunks; earlier timestamps first drop the member stored at that t.
const WRITE_POINTS: &str = r#"
local pts, ser, idx = KEYS[1], KEYS[2], KEYS[3]
local created = 0
if redis.call('EXISTS', ser) == 0 then
  redis.call('HSET', ser, 'meta', ARGV[3], 'created', ARGV[2], 'updated', ARGV[2])
  redis.call('ZADD', idx, 0, ARGV[1])
  created = 1
end
local maxs = nil
local last = redis.call('ZRANGE', pts, -1, -1, 'WITHSCORES')
if last[2] then maxs = tonumber(last[2]) end
local batch = {}
for i = 4, #ARGV, 2 do
  if maxs and tonumber(ARGV[i]) <= maxs then
    redis.call('ZREMRANGEBYSCORE', pts, ARGV[i], ARGV[i])
  end
  batch[#batch + 1] = ARGV[i]
  batch[#batch + 1] = ARGV[i + 1]
  if #batch >= 2000 then
    redis.call('ZADD', pts, unpack(batch))
    batch = {}
  end
end
if #batch > 0 then redis.call('ZADD', pts, unpack(batch)) end
return created
"#;

const PUT_SERIES: &str = r#"
local created = 0
if redis.call('EXISTS', KEYS[1]) == 0 then
  created = 1
  redis.call('HSET', KEYS[1], 'created', ARGV[3])
end
redis.call('HSET', KEYS[1], 'meta', ARGV[2], 'updated', ARGV[3])
redis.call('ZADD', KEYS[2], 0, ARGV[1])
return created
"#;

const DELETE_SERIES: &str = r#"
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('ZREM', KEYS[3], ARGV[1])
return 1
"#;

const DELETE_RANGE: &str = r#"
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
return redis.call('ZREMRANGEBYSCORE', KEYS[2], ARGV[1], ARGV[2])
"#;

pub(super) fn encode_point(p: &Point) -> [u8; 16] {
    let mut m = [0u8; 16];
    m[..8].copy_from_slice(&p.t.to_be_bytes());
    m[8..].copy_from_slice(&p.v.to_bits().to_be_bytes());
    m
}

fn decode_point(m: &[u8]) -> Result<Point> {
    let m: &[u8; 16] = m
        .try_into()
        .map_err(|_| Error::Internal(format!("unexpected point member of {} bytes", m.len())))?;
    Ok(member_point(m))
}

/// The inverse of [`encode_point`].
pub(super) fn member_point(m: &[u8; 16]) -> Point {
    let t = i64::from_be_bytes(m[..8].try_into().expect("8 bytes"));
    let v = f64::from_bits(u64::from_be_bytes(m[8..].try_into().expect("8 bytes")));
    Point { t, v }
}

fn score(x: i64) -> String {
    match x {
        i64::MIN => "-inf".into(),
        i64::MAX => "+inf".into(),
        _ => x.to_string(),
    }
}

pub(super) fn redis_err(e: redis::RedisError) -> Error {
    if e.is_io_error() || e.is_timeout() || e.is_connection_dropped() || e.is_connection_refusal() {
        Error::Unavailable(format!("redis unreachable: {e}"))
    } else {
        match e.kind() {
            // maxmemory reached: writes fail until memory is freed or the limit raised.
            _ if e.code() == Some("OOM") => {
                Error::Unavailable(format!("redis is out of memory (maxmemory): {e}"))
            }
            redis::ErrorKind::Server(
                redis::ServerErrorKind::BusyLoading
                | redis::ServerErrorKind::TryAgain
                | redis::ServerErrorKind::ClusterDown,
            ) => Error::Unavailable(format!("redis not ready: {e}")),
            _ => Error::Internal(format!("redis: {e}")),
        }
    }
}

fn reply_err(e: impl std::fmt::Display) -> Error {
    Error::Internal(format!("unexpected redis reply: {e}"))
}

pub struct RedisStore {
    pub(super) client: Client,
    pub(super) conn: ConnectionManager,
    /// One connection per worker for blocking queue reads, which would stall the shared one.
    pub(super) blocking: Mutex<HashMap<String, MultiplexedConnection>>,
    pub(super) scripts: Scripts,
    /// Point ranges, on connections of their own with a reply decoder made for them.
    reader: PointReader,
    /// When this store last looked for dead workers' entries (and consumers).
    pub(super) last_reclaim: AtomicI64,
}

pub(super) struct Scripts {
    write_points: Script,
    put_series: Script,
    delete_series: Script,
    delete_range: Script,
    pub(super) jobs: redis_jobs::Scripts,
}

impl RedisStore {
    /// `url` is the whole `redis://HOST:PORT/DB` URL.
    pub async fn open(url: &str) -> Result<Self> {
        let client = Client::open(url)
            .map_err(|e| Error::invalid("TSFN_STORE", format!("bad redis URL: {e}")))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_millis(500));
        // Lazy: the process starts even while Redis is down, answers 503, and recovers by itself.
        let conn =
            ConnectionManager::new_lazy_with_config(client.clone(), config).map_err(redis_err)?;
        let reader = PointReader::new(client.get_connection_info())?;
        let store = RedisStore {
            reader,
            client,
            conn,
            blocking: Mutex::new(HashMap::new()),
            last_reclaim: AtomicI64::new(0),
            scripts: Scripts {
                write_points: Script::new(WRITE_POINTS),
                put_series: Script::new(PUT_SERIES),
                delete_series: Script::new(DELETE_SERIES),
                delete_range: Script::new(DELETE_RANGE),
                jobs: redis_jobs::Scripts::new(),
            },
        };
        if let Err(e) = store.ensure_group().await {
            tracing::warn!(error = %e, "redis not reachable at start; will retry on use");
        }
        Ok(store)
    }

    pub(super) fn conn(&self) -> ConnectionManager {
        self.conn.clone()
    }

    /// A dedicated connection for `worker`'s blocking reads.
    pub(super) async fn blocking_conn(&self, worker: &str) -> Result<MultiplexedConnection> {
        if let Some(c) = self.blocking.lock().unwrap().get(worker) {
            return Ok(c.clone());
        }
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT + redis_jobs::BLOCK));
        let c = self
            .client
            .get_multiplexed_async_connection_with_config(&config)
            .await
            .map_err(redis_err)?;
        self.blocking
            .lock()
            .unwrap()
            .insert(worker.to_owned(), c.clone());
        Ok(c)
    }

    pub(super) fn drop_blocking_conn(&self, worker: &str) {
        self.blocking.lock().unwrap().remove(worker);
    }

    async fn info(&self, ids: &[String]) -> Result<Vec<Option<SeriesInfo>>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::pipe();
        for id in ids {
            pipe.cmd("HMGET")
                .arg(series_key(id))
                .arg(&["meta", "created", "updated"]);
            pipe.cmd("ZCARD").arg(points_key(id));
            pipe.cmd("ZRANGE").arg(points_key(id)).arg(0).arg(0);
            pipe.cmd("ZRANGE").arg(points_key(id)).arg(-1).arg(-1);
        }
        let replies: Vec<Value> = pipe
            .query_async(&mut self.conn())
            .await
            .map_err(redis_err)?;
        let mut out = Vec::with_capacity(ids.len());
        for (id, r) in ids.iter().zip(replies.chunks(4)) {
            let (meta, created, updated): (Option<String>, Option<i64>, Option<i64>) =
                redis::from_redis_value_ref(&r[0]).map_err(reply_err)?;
            let Some(meta) = meta else {
                out.push(None);
                continue;
            };
            let count: u64 = redis::from_redis_value_ref(&r[1]).map_err(reply_err)?;
            let first: Vec<Vec<u8>> = redis::from_redis_value_ref(&r[2]).map_err(reply_err)?;
            let last: Vec<Vec<u8>> = redis::from_redis_value_ref(&r[3]).map_err(reply_err)?;
            let meta: SeriesMeta = serde_json::from_str(&meta)
                .map_err(|e| Error::Internal(format!("corrupt metadata of {id}: {e}")))?;
            out.push(Some(SeriesInfo {
                id: SeriesId::parse(id)?,
                meta,
                count,
                first: first
                    .first()
                    .map(|m| decode_point(m))
                    .transpose()?
                    .map(|p| p.t),
                last: last
                    .first()
                    .map(|m| decode_point(m))
                    .transpose()?
                    .map(|p| p.t),
                created: created.unwrap_or(0),
                updated: updated.unwrap_or(0),
            }));
        }
        Ok(out)
    }

    /// Points of one series in `range`. Whether the series exists is only asked when no point
    /// came back, so the common case is one plain command. (Returning pages as one concatenated
    /// string from a Lua script was measured slower: Lua interns every member.)
    async fn range(
        &self,
        id: &SeriesId,
        lo: i64,
        hi: i64,
        order: Order,
        limit: usize,
    ) -> Result<Vec<Point>> {
        let key = points_key(id.as_str());
        let (lo, hi, limit) = (score(lo), score(hi), limit.to_string());
        let (command, start, stop) = match order {
            Order::Asc => ("ZRANGEBYSCORE", &lo, &hi),
            Order::Desc => ("ZREVRANGEBYSCORE", &hi, &lo),
        };
        let args: [&[u8]; 7] = [
            command.as_bytes(),
            key.as_bytes(),
            start.as_bytes(),
            stop.as_bytes(),
            b"LIMIT",
            b"0",
            limit.as_bytes(),
        ];
        let points = self.reader.points(&args).await?;
        if points.is_empty() {
            let exists: bool = redis::cmd("EXISTS")
                .arg(series_key(id.as_str()))
                .query_async(&mut self.conn())
                .await
                .map_err(redis_err)?;
            if !exists {
                return Err(not_found(id));
            }
        }
        Ok(points)
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
            .query_async(&mut self.conn())
            .await
            .map_err(redis_err)?;
        Ok(())
    }

    async fn list_series(&self) -> Result<Vec<SeriesInfo>> {
        let ids: Vec<String> = redis::cmd("ZRANGE")
            .arg(SERIES_INDEX)
            .arg(0)
            .arg(-1)
            .query_async(&mut self.conn())
            .await
            .map_err(redis_err)?;
        // A series deleted between the two round trips is simply left out.
        Ok(self.info(&ids).await?.into_iter().flatten().collect())
    }

    async fn get_series(&self, id: &SeriesId) -> Result<Option<SeriesInfo>> {
        Ok(self.info(&[id.as_str().to_owned()]).await?.pop().flatten())
    }

    async fn put_series(&self, id: &SeriesId, meta: &SeriesMeta, now: i64) -> Result<SeriesPut> {
        let json = serde_json::to_string(meta).map_err(|e| Error::Internal(e.to_string()))?;
        let created: i64 = self
            .scripts
            .put_series
            .key(series_key(id.as_str()))
            .key(SERIES_INDEX)
            .arg(id.as_str())
            .arg(json)
            .arg(now)
            .invoke_async(&mut self.conn())
            .await
            .map_err(redis_err)?;
        let info = self
            .get_series(id)
            .await?
            .ok_or_else(|| Error::Conflict("series deleted concurrently".into()))?;
        Ok(SeriesPut {
            info,
            created: created == 1,
        })
    }

    async fn delete_series(&self, id: &SeriesId) -> Result<bool> {
        let n: i64 = self
            .scripts
            .delete_series
            .key(series_key(id.as_str()))
            .key(points_key(id.as_str()))
            .key(SERIES_INDEX)
            .arg(id.as_str())
            .invoke_async(&mut self.conn())
            .await
            .map_err(redis_err)?;
        Ok(n == 1)
    }

    async fn write_points(&self, id: &SeriesId, points: Vec<Point>, now: i64) -> Result<bool> {
        let meta = serde_json::to_string(&SeriesMeta::default()).expect("serializable");
        let (pts, ser) = (points_key(id.as_str()), series_key(id.as_str()));
        let hash = self.scripts.write_points.get_hash().to_owned();
        let chunks: Vec<&[Point]> = if points.is_empty() {
            vec![&[][..]]
        } else {
            points.chunks(WRITE_CHUNK).collect()
        };
        let (mut created, mut written) = (false, 0);
        // Chunks keep each script short (Redis stays responsive, replies stay within the
        // timeout); a few chunks travel per pipeline. Each chunk is atomic, so a body of at most
        // WRITE_CHUNK points is all or nothing; a larger one that fails part-way says how far it
        // got, and since rewriting points is idempotent the client simply sends it again.
        let partial = |e: Error, written: usize| {
            match e {
            Error::Unavailable(m) if points.len() > WRITE_CHUNK => Error::Unavailable(format!(
                "{m}; the first {written} of {} points (in time order) were written before the \
                 failure and the rest may or may not have been: sending the same body again is safe",
                points.len()
            )),
            e => e,
        }
        };
        for group in chunks.chunks(CHUNKS_PER_PIPELINE) {
            let mut loaded = false;
            loop {
                let mut pipe = redis::pipe();
                // Each chunk's own reply, so a failure part-way tells how many were written.
                pipe.ignore_errors();
                for chunk in group {
                    let c = pipe
                        .cmd("EVALSHA")
                        .arg(&hash)
                        .arg(3)
                        .arg(&pts)
                        .arg(&ser)
                        .arg(SERIES_INDEX);
                    c.arg(id.as_str()).arg(now).arg(&meta);
                    for p in *chunk {
                        c.arg(p.t).arg(&encode_point(p)[..]);
                    }
                }
                let replies: Vec<redis::RedisResult<i64>> = pipe
                    .query_async(&mut self.conn())
                    .await
                    .map_err(|e| partial(redis_err(e), written))?;
                let (mut in_order, mut failed) = (0, None);
                for (chunk, reply) in group.iter().zip(replies) {
                    match reply {
                        Ok(flag) => {
                            created |= flag == 1;
                            if failed.is_none() {
                                in_order += chunk.len();
                            }
                        }
                        Err(e) => {
                            failed.get_or_insert(e);
                        }
                    }
                }
                match failed {
                    None => {
                        written += in_order;
                        break;
                    }
                    // Redis restarted (script cache empty): load it and send the group again.
                    Some(e)
                        if !loaded
                            && e.kind()
                                == redis::ErrorKind::Server(redis::ServerErrorKind::NoScript) =>
                    {
                        let _: String = redis::cmd("SCRIPT")
                            .arg("LOAD")
                            .arg(WRITE_POINTS)
                            .query_async(&mut self.conn())
                            .await
                            .map_err(|e| partial(redis_err(e), written))?;
                        loaded = true;
                    }
                    Some(e) => return Err(partial(redis_err(e), written + in_order)),
                }
            }
        }
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
        let n: i64 = self
            .scripts
            .delete_range
            .key(series_key(id.as_str()))
            .key(points_key(id.as_str()))
            .arg(score(range.lo()))
            .arg(score(range.hi()))
            .invoke_async(&mut self.conn())
            .await
            .map_err(redis_err)?;
        if n < 0 {
            return Err(not_found(id));
        }
        Ok(n as u64)
    }

    async fn create_job(&self, job: &Job) -> Result<()> {
        redis_jobs::create(self, job).await
    }

    async fn get_job(&self, id: &str) -> Result<Option<Job>> {
        redis_jobs::get(self, id).await
    }

    async fn list_jobs(
        &self,
        status: Option<JobStatus>,
        after: Option<ListCursor>,
        limit: usize,
    ) -> Result<Vec<Job>> {
        redis_jobs::list(self, status, after, limit).await
    }

    async fn claim_next(
        &self,
        worker: &str,
        now: i64,
        lease_ms: i64,
        max_attempts: u32,
    ) -> Result<Option<Claimed>> {
        redis_jobs::claim_next(self, worker, now, lease_ms, max_attempts).await
    }

    async fn claim_job(
        &self,
        id: &str,
        worker: &str,
        now: i64,
        lease_ms: i64,
        max_attempts: u32,
    ) -> Result<Option<Claimed>> {
        redis_jobs::claim_by_id(self, id, "", worker, now, lease_ms, max_attempts)
            .await
            .map(|r| r.claimed())
    }

    async fn renew(&self, claim: &Claim, now: i64, lease_ms: i64, progress: u8) -> Result<bool> {
        redis_jobs::renew(self, claim, now, lease_ms, progress).await
    }

    async fn finish(&self, claim: &Claim, outcome: &Outcome, now: i64) -> Result<bool> {
        redis_jobs::finish(self, claim, outcome, now).await
    }

    async fn release(&self, claim: &Claim) -> Result<bool> {
        redis_jobs::release(self, claim).await
    }

    async fn get_result(&self, id: &str) -> Result<Option<JobResult>> {
        redis_jobs::result(self, id).await
    }

    async fn remove_job(&self, id: &str) -> Result<Removal> {
        redis_jobs::remove(self, id).await
    }
}
