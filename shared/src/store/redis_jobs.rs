//! The job half of the Redis backend.
//!
//! - `tsfn:job:{id}` hash: the job record (`spec`, `status`, times, `worker`, `attempts`, ...),
//!   and `ix`, its member in the listing indexes;
//! - `tsfn:jobs` and `tsfn:jobs:{status}`: sorted sets with score 0 whose members
//!   `{created:015}|{id}` sort by creation, so listings page with ZREVRANGEBYLEX;
//! - `tsfn:result:{id}`: the result bytes;
//! - `tsfn:queue`: a stream of `job` ids read by the consumer group `workers` with XREADGROUP.
//!   An entry is acknowledged (and deleted) once the job's final state is stored. Entries pending
//!   longer than the lease are looked up with XPENDING (which leaves their idle time alone) and
//!   moved (XCLAIM) to a worker only in the script that claims their job, i.e. once the job's
//!   lease has expired; so a look that finds the owner alive does not restart the clock, and a
//!   dead worker's job is taken over within a lease and a half. Consumers idle for a lease (and
//!   10 s) with nothing pending (dead workers) are removed from the group.
//!
//! Every status change is a Lua script that checks the expected state (status, worker, attempt)
//! before writing: a compare-and-set, so no update is lost and no two workers finish one job.

use std::sync::atomic::Ordering;
use std::time::Duration;

use redis::{Script, Value};

use super::not_found;
use super::redis::{redis_err, series_key, RedisStore};
use crate::error::{Error, Result};
use crate::jobs::{
    Claim, Claimed, Job, JobResult, JobSpec, JobStatus, ListCursor, Outcome, Removal,
};

pub(super) const QUEUE: &str = "tsfn:queue";
pub(super) const GROUP: &str = "workers";
/// How long an idle worker's read waits for a new entry.
pub(super) const BLOCK: Duration = Duration::from_millis(250);

/// Pending entries looked at per XPENDING page, and pages per reclaim pass.
const RECLAIM_PAGE: usize = 32;
const RECLAIM_PAGES: usize = 8;

/// A consumer with nothing pending is removed once idle for a lease, and at least this long: a
/// live worker's blocking reads (`BLOCK`) keep its idle time far below it.
const REAP_IDLE_MIN_MS: i64 = 10_000;

fn job_key(id: &str) -> String {
    format!("tsfn:job:{id}")
}

fn result_key(id: &str) -> String {
    format!("tsfn:result:{id}")
}

fn index_key(status: Option<JobStatus>) -> String {
    match status {
        None => "tsfn:jobs".into(),
        Some(s) => format!("tsfn:jobs:{}", s.as_str()),
    }
}

fn index_member(created: i64, id: &str) -> String {
    format!("{created:015}|{id}")
}

const CLAIM: &str = r#"
local j = KEYS[1]
local st = redis.call('HGET', j, 'status')
if not st then return {'gone'} end
local now = tonumber(ARGV[2])
if st == 'running' then
  local lease = tonumber(redis.call('HGET', j, 'lease_until') or '0')
  if lease >= now then return {'busy'} end
elseif st ~= 'queued' then
  return {'done'}
end
local ix = redis.call('HGET', j, 'ix')
local attempts = tonumber(redis.call('HGET', j, 'attempts') or '0')
local from = KEYS[2]
if st == 'running' then from = KEYS[3] end
if attempts >= tonumber(ARGV[4]) then
  redis.call('HSET', j, 'status', 'failed', 'finished', ARGV[2], 'error',
    'gave up after ' .. attempts .. ' attempts: the worker running it stopped (crash or timeout) each time')
  redis.call('HDEL', j, 'lease_until')
  redis.call('ZREM', from, ix)
  redis.call('ZADD', KEYS[4], 0, ix)
  return {'failed'}
end
redis.call('HSET', j, 'status', 'running', 'worker', ARGV[1], 'attempts', attempts + 1,
  'started', ARGV[2], 'lease_until', now + tonumber(ARGV[3]), 'progress', 0)
redis.call('ZREM', from, ix)
redis.call('ZADD', KEYS[3], 0, ix)
if ARGV[5] ~= '' then
  redis.call('XCLAIM', KEYS[5], ARGV[6], ARGV[1], 0, ARGV[5], 'JUSTID')
end
local all = redis.call('HGETALL', j)
table.insert(all, 1, 'claimed')
return all
"#;

/// Removes the group's consumers (ARGV[1]) idle for more than ARGV[2] ms with no pending entry:
/// workers that died. Atomic, so a consumer that has just been handed an entry is never removed;
/// a live one removed between two reads is simply created again by its next XREADGROUP.
const REAP: &str = r#"
local removed = 0
for _, c in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
  local f = {}
  for i = 1, #c, 2 do f[c[i]] = c[i + 1] end
  if f['pending'] == 0 and f['idle'] > tonumber(ARGV[2]) then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], f['name'])
    removed = removed + 1
  end
end
return removed
"#;

const RENEW: &str = r#"
local j = KEYS[1]
if redis.call('HGET', j, 'status') ~= 'running' or redis.call('HGET', j, 'worker') ~= ARGV[1]
   or redis.call('HGET', j, 'attempts') ~= ARGV[2] then return 0 end
redis.call('HSET', j, 'lease_until', ARGV[3], 'progress', ARGV[4])
return 1
"#;

const FINISH: &str = r#"
local j = KEYS[1]
if redis.call('HGET', j, 'status') ~= 'running' or redis.call('HGET', j, 'worker') ~= ARGV[1]
   or redis.call('HGET', j, 'attempts') ~= ARGV[2] then return 0 end
local ix = redis.call('HGET', j, 'ix')
redis.call('HSET', j, 'status', ARGV[3], 'finished', ARGV[4], 'progress', 100)
redis.call('HDEL', j, 'lease_until')
if ARGV[3] == 'succeeded' then
  redis.call('HSET', j, 'result_size', string.len(ARGV[7]), 'result_type', ARGV[6])
  redis.call('SET', KEYS[2], ARGV[7])
else
  redis.call('HSET', j, 'error', ARGV[5])
end
redis.call('ZREM', KEYS[3], ix)
redis.call('ZADD', KEYS[4], 0, ix)
if ARGV[8] ~= '' then
  redis.call('XACK', KEYS[5], ARGV[9], ARGV[8])
  redis.call('XDEL', KEYS[5], ARGV[8])
end
return 1
"#;

/// KEYS: job, the two indexes, the queue, then the job's series hashes (checked first: nothing is
/// written when one is missing, and the 1-based position of the first missing one is returned).
const CREATE: &str = r#"
for i = 5, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 0 then return i - 4 end
end
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'spec', ARGV[2], 'status', 'queued',
  'created', ARGV[3], 'attempts', 0, 'progress', 0, 'ix', ARGV[4])
redis.call('ZADD', KEYS[2], 0, ARGV[4])
redis.call('ZADD', KEYS[3], 0, ARGV[4])
redis.call('XADD', KEYS[4], '*', 'job', ARGV[1])
return 0
"#;

const RELEASE: &str = r#"
local j = KEYS[1]
if redis.call('HGET', j, 'status') ~= 'running' or redis.call('HGET', j, 'worker') ~= ARGV[1]
   or redis.call('HGET', j, 'attempts') ~= ARGV[2] then return 0 end
local ix = redis.call('HGET', j, 'ix')
redis.call('HSET', j, 'status', 'queued', 'progress', 0, 'attempts', tonumber(ARGV[2]) - 1)
redis.call('HDEL', j, 'worker', 'started', 'lease_until')
redis.call('ZREM', KEYS[2], ix)
redis.call('ZADD', KEYS[3], 0, ix)
if ARGV[3] ~= '' then
  redis.call('XACK', KEYS[4], ARGV[4], ARGV[3])
  redis.call('XDEL', KEYS[4], ARGV[3])
end
redis.call('XADD', KEYS[4], '*', 'job', ARGV[5])
return 1
"#;

const REMOVE: &str = r#"
local j = KEYS[1]
local st = redis.call('HGET', j, 'status')
if not st then return 'none' end
if st == 'running' then return 'running' end
local ix = redis.call('HGET', j, 'ix')
redis.call('DEL', j, KEYS[2])
redis.call('ZREM', KEYS[3], ix)
redis.call('ZREM', KEYS[4], ix)
redis.call('ZREM', KEYS[5], ix)
redis.call('ZREM', KEYS[6], ix)
if st == 'queued' then return 'cancelled' end
return 'deleted'
"#;

pub(super) struct Scripts {
    create: Script,
    claim: Script,
    reap: Script,
    renew: Script,
    finish: Script,
    release: Script,
    remove: Script,
}

impl Scripts {
    pub(super) fn new() -> Self {
        Scripts {
            create: Script::new(CREATE),
            claim: Script::new(CLAIM),
            reap: Script::new(REAP),
            renew: Script::new(RENEW),
            finish: Script::new(FINISH),
            release: Script::new(RELEASE),
            remove: Script::new(REMOVE),
        }
    }
}

impl RedisStore {
    /// Creates the consumer group (and the stream) unless it exists.
    pub(super) async fn ensure_group(&self) -> Result<()> {
        let r: redis::RedisResult<()> = redis::cmd("XGROUP")
            .arg("CREATE")
            .arg(QUEUE)
            .arg(GROUP)
            .arg("0")
            .arg("MKSTREAM")
            .query_async(&mut self.conn())
            .await;
        match r {
            Ok(()) => Ok(()),
            Err(e) if e.to_string().contains("BUSYGROUP") => Ok(()),
            Err(e) => Err(redis_err(e)),
        }
    }
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::BulkString(b) => Some(String::from_utf8_lossy(b).into_owned()),
        Value::SimpleString(s) => Some(s.clone()),
        Value::Int(i) => Some(i.to_string()),
        _ => None,
    }
}

/// Builds a job from HGETALL's flat `[field, value, ...]`.
fn job_from_fields(fields: &[Value]) -> Result<Option<Job>> {
    if fields.is_empty() {
        return Ok(None);
    }
    let mut m = std::collections::HashMap::new();
    for kv in fields.chunks(2) {
        if let (Some(k), Some(v)) = (kv.first().and_then(text), kv.get(1).and_then(text)) {
            m.insert(k, v);
        }
    }
    let get = |k: &str| m.get(k).filter(|v| !v.is_empty()).cloned();
    let num = |k: &str| get(k).and_then(|v| v.parse::<i64>().ok());
    let bad = |what: &str| Error::Internal(format!("corrupt job record: {what}"));
    Ok(Some(Job {
        id: get("id").ok_or_else(|| bad("id"))?,
        spec: JobSpec::from_stored(&get("spec").ok_or_else(|| bad("spec"))?)?,
        status: JobStatus::parse(&get("status").ok_or_else(|| bad("status"))?)?,
        created: num("created").ok_or_else(|| bad("created"))?,
        started: num("started"),
        finished: num("finished"),
        worker: get("worker"),
        attempts: num("attempts").unwrap_or(0) as u32,
        progress: num("progress").unwrap_or(0).clamp(0, 100) as u8,
        error: get("error"),
        result_size: num("result_size").map(|n| n as u64),
        result_type: get("result_type"),
        lease_until: num("lease_until"),
    }))
}

pub(super) async fn create(s: &RedisStore, job: &Job) -> Result<()> {
    debug_assert_eq!(job.status, JobStatus::Queued);
    let ix = index_member(job.created, &job.id);
    let mut call = s.scripts.jobs.create.prepare_invoke();
    call.key(job_key(&job.id))
        .key(index_key(None))
        .key(index_key(Some(JobStatus::Queued)))
        .key(QUEUE);
    for id in &job.spec.series {
        call.key(series_key(id.as_str()));
    }
    let missing: usize = call
        .arg(&job.id)
        .arg(job.spec.to_stored())
        .arg(job.created)
        .arg(&ix)
        .invoke_async(&mut s.conn())
        .await
        .map_err(redis_err)?;
    match missing.checked_sub(1).and_then(|i| job.spec.series.get(i)) {
        Some(id) => Err(not_found(id)),
        None => Ok(()),
    }
}

pub(super) async fn get(s: &RedisStore, id: &str) -> Result<Option<Job>> {
    let v: Value = redis::cmd("HGETALL")
        .arg(job_key(id))
        .query_async(&mut s.conn())
        .await
        .map_err(redis_err)?;
    match v {
        Value::Array(fields) => job_from_fields(&fields),
        Value::Map(pairs) => {
            let flat: Vec<Value> = pairs.into_iter().flat_map(|(k, v)| [k, v]).collect();
            job_from_fields(&flat)
        }
        _ => Ok(None),
    }
}

pub(super) async fn list(
    s: &RedisStore,
    status: Option<JobStatus>,
    after: Option<ListCursor>,
    limit: usize,
) -> Result<Vec<Job>> {
    let max = match &after {
        Some(a) => format!("({}", index_member(a.created, &a.id)),
        None => "+".into(),
    };
    let members: Vec<String> = redis::cmd("ZREVRANGEBYLEX")
        .arg(index_key(status))
        .arg(max)
        .arg("-")
        .arg("LIMIT")
        .arg(0)
        .arg(limit)
        .query_async(&mut s.conn())
        .await
        .map_err(redis_err)?;
    if members.is_empty() {
        return Ok(Vec::new());
    }
    let mut pipe = redis::pipe();
    for m in &members {
        let id = m.split_once('|').map_or(m.as_str(), |(_, id)| id);
        pipe.cmd("HGETALL").arg(job_key(id));
    }
    let replies: Vec<Value> = pipe.query_async(&mut s.conn()).await.map_err(redis_err)?;
    let mut out = Vec::with_capacity(replies.len());
    for r in replies {
        let job = match r {
            Value::Array(fields) => job_from_fields(&fields)?,
            Value::Map(pairs) => job_from_fields(
                &pairs
                    .into_iter()
                    .flat_map(|(k, v)| [k, v])
                    .collect::<Vec<_>>(),
            )?,
            _ => None,
        };
        // Deleted between the two round trips: left out.
        out.extend(job);
    }
    Ok(out)
}

/// What the claim script found.
pub(super) enum ClaimResult {
    Ok(Box<Claimed>),
    /// The job no longer exists (cancelled or deleted).
    Gone,
    /// Another worker holds a live lease on it.
    Busy,
    /// Already finished.
    Done,
    /// Out of attempts: marked failed now.
    Failed,
}

impl ClaimResult {
    pub(super) fn claimed(self) -> Option<Claimed> {
        match self {
            ClaimResult::Ok(claimed) => Some(*claimed),
            _ => None,
        }
    }
}

pub(super) async fn claim_by_id(
    s: &RedisStore,
    id: &str,
    receipt: &str,
    worker: &str,
    now: i64,
    lease_ms: i64,
    max_attempts: u32,
) -> Result<ClaimResult> {
    let reply: Vec<Value> = s
        .scripts
        .jobs
        .claim
        .key(job_key(id))
        .key(index_key(Some(JobStatus::Queued)))
        .key(index_key(Some(JobStatus::Running)))
        .key(index_key(Some(JobStatus::Failed)))
        .key(QUEUE)
        .arg(worker)
        .arg(now)
        .arg(lease_ms)
        .arg(max_attempts)
        .arg(receipt)
        .arg(GROUP)
        .invoke_async(&mut s.conn())
        .await
        .map_err(redis_err)?;
    let tag = reply.first().and_then(text).unwrap_or_default();
    Ok(match tag.as_str() {
        "claimed" => {
            let job = job_from_fields(&reply[1..])?
                .ok_or_else(|| Error::Internal("claimed job has no fields".into()))?;
            let claim = Claim {
                job_id: id.to_owned(),
                worker: worker.to_owned(),
                attempt: job.attempts,
                receipt: receipt.to_owned(),
            };
            ClaimResult::Ok(Box::new(Claimed { job, claim }))
        }
        "gone" => ClaimResult::Gone,
        "busy" => ClaimResult::Busy,
        "failed" => ClaimResult::Failed,
        _ => ClaimResult::Done,
    })
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

async fn read_new(s: &RedisStore, worker: &str) -> Result<Vec<(String, String)>> {
    let mut conn = s.blocking_conn(worker).await?;
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
        .query_async(&mut conn)
        .await;
    let v = match r {
        Ok(v) => v,
        Err(e) if e.to_string().contains("NOGROUP") => {
            // The group vanished (Redis restarted without persistence): recreate it.
            s.ensure_group().await?;
            return Ok(Vec::new());
        }
        Err(e) => {
            s.drop_blocking_conn(worker);
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

/// Entries pending for longer than a lease, with their job ids: candidates whose worker may have
/// died. Only looked at (XPENDING does not touch their idle time); the claim script moves one to
/// this worker if its job's lease has indeed expired.
async fn reclaim_stale(s: &RedisStore, lease_ms: i64) -> Result<Vec<(String, String)>> {
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
            .query_async(&mut s.conn())
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
    let ranges: Vec<Value> = pipe.query_async(&mut s.conn()).await.map_err(redis_err)?;
    let mut found = Vec::with_capacity(ids.len());
    for (id, range) in ids.iter().zip(&ranges) {
        match entries(range).pop() {
            Some(entry) => found.push(entry),
            // Pending but deleted from the stream: nothing to run, only to acknowledge.
            None => ack(s, id).await?,
        }
    }
    Ok(found)
}

/// Removes dead workers' consumers from the group (see `REAP`).
async fn reap_consumers(s: &RedisStore, idle_ms: i64) -> Result<()> {
    let removed: i64 = s
        .scripts
        .jobs
        .reap
        .key(QUEUE)
        .arg(GROUP)
        .arg(idle_ms)
        .invoke_async(&mut s.conn())
        .await
        .map_err(redis_err)?;
    if removed > 0 {
        tracing::debug!(removed, "removed consumers of stopped workers");
    }
    Ok(())
}

async fn ack(s: &RedisStore, entry: &str) -> Result<()> {
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
    let () = pipe.query_async(&mut s.conn()).await.map_err(redis_err)?;
    Ok(())
}

pub(super) async fn claim_next(
    s: &RedisStore,
    worker: &str,
    now: i64,
    lease_ms: i64,
    max_attempts: u32,
) -> Result<Option<Claimed>> {
    // The claim is made after the reads below, which may block for up to `BLOCK`: its time is
    // the caller's `now` advanced by the time they took (a monotonic clock, not a second reading
    // of the wall clock).
    let started = tokio::time::Instant::now();
    // Entries of dead workers are looked for at least every half lease, even under load.
    let last = s.last_reclaim.load(Ordering::Relaxed);
    let mut candidates = if now - last > lease_ms / 2 {
        s.last_reclaim.store(now, Ordering::Relaxed);
        reap_consumers(s, lease_ms.max(REAP_IDLE_MIN_MS)).await?;
        reclaim_stale(s, lease_ms).await?
    } else {
        Vec::new()
    };
    if candidates.is_empty() {
        candidates = read_new(s, worker).await?;
    }
    for (entry, job_id) in candidates {
        match claim_by_id(
            s,
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
            ClaimResult::Gone | ClaimResult::Done | ClaimResult::Failed => ack(s, &entry).await?,
            // Its owner is alive and will acknowledge it when done.
            ClaimResult::Busy => {}
        }
    }
    Ok(None)
}

pub(super) async fn renew(
    s: &RedisStore,
    c: &Claim,
    now: i64,
    lease_ms: i64,
    progress: u8,
) -> Result<bool> {
    let n: i64 = s
        .scripts
        .jobs
        .renew
        .key(job_key(&c.job_id))
        .arg(&c.worker)
        .arg(c.attempt)
        .arg(now + lease_ms)
        .arg(progress)
        .invoke_async(&mut s.conn())
        .await
        .map_err(redis_err)?;
    Ok(n == 1)
}

pub(super) async fn finish(s: &RedisStore, c: &Claim, outcome: &Outcome, now: i64) -> Result<bool> {
    let (status, error, ctype, data): (JobStatus, &str, &str, &[u8]) = match outcome {
        Outcome::Succeeded { content_type, data } => (JobStatus::Succeeded, "", content_type, data),
        Outcome::Failed { error } => (JobStatus::Failed, error, "", &[]),
    };
    let n: i64 = s
        .scripts
        .jobs
        .finish
        .key(job_key(&c.job_id))
        .key(result_key(&c.job_id))
        .key(index_key(Some(JobStatus::Running)))
        .key(index_key(Some(status)))
        .key(QUEUE)
        .arg(&c.worker)
        .arg(c.attempt)
        .arg(status.as_str())
        .arg(now)
        .arg(error)
        .arg(ctype)
        .arg(data)
        .arg(&c.receipt)
        .arg(GROUP)
        .invoke_async(&mut s.conn())
        .await
        .map_err(redis_err)?;
    Ok(n == 1)
}

pub(super) async fn release(s: &RedisStore, c: &Claim) -> Result<bool> {
    let n: i64 = s
        .scripts
        .jobs
        .release
        .key(job_key(&c.job_id))
        .key(index_key(Some(JobStatus::Running)))
        .key(index_key(Some(JobStatus::Queued)))
        .key(QUEUE)
        .arg(&c.worker)
        .arg(c.attempt)
        .arg(&c.receipt)
        .arg(GROUP)
        .arg(&c.job_id)
        .invoke_async(&mut s.conn())
        .await
        .map_err(redis_err)?;
    Ok(n == 1)
}

pub(super) async fn result(s: &RedisStore, id: &str) -> Result<Option<JobResult>> {
    let mut pipe = redis::pipe();
    pipe.cmd("HGET")
        .arg(job_key(id))
        .arg("result_type")
        .cmd("GET")
        .arg(result_key(id));
    let (ctype, data): (Option<String>, Option<Vec<u8>>) =
        pipe.query_async(&mut s.conn()).await.map_err(redis_err)?;
    Ok(match (ctype, data) {
        (Some(content_type), Some(data)) => Some(JobResult { content_type, data }),
        _ => None,
    })
}

pub(super) async fn remove(s: &RedisStore, id: &str) -> Result<Removal> {
    let r: String = s
        .scripts
        .jobs
        .remove
        .key(job_key(id))
        .key(result_key(id))
        .key(index_key(None))
        .key(index_key(Some(JobStatus::Queued)))
        .key(index_key(Some(JobStatus::Succeeded)))
        .key(index_key(Some(JobStatus::Failed)))
        .invoke_async(&mut s.conn())
        .await
        .map_err(redis_err)?;
    Ok(match r.as_str() {
        "cancelled" => Removal::Cancelled,
        "deleted" => Removal::Deleted,
        "running" => Removal::Running,
        _ => Removal::NotFound,
    })
}
