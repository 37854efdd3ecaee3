//! The job half of the Redis backend.
//!
//! - `tsfn:job:{id}` hash: the job record (`spec`, `status`, times, `worker`, `attempts`, ...),
//!   and `ix`, its member in the listing indexes;
//! - `tsfn:jobs` and `tsfn:jobs:{status}`: sorted sets with score 0 whose members
//!   `{created:015}|{id}` sort by creation, so listings page with ZREVRANGEBYLEX;
//! - `tsfn:result:{id}`: the result bytes;
//! - `tsfn:jobs:expiring`: finished jobs' index members scored by their expiry (ms). A finished
//!   job's hash and result get that expiry (PEXPIREAT, `TSFN_JOB_TTL` after it finished), so
//!   Redis drops them exactly on time; the listing skips (and removes) index members whose hash
//!   is gone, and the workers' sweep removes the rest (`purge_expired`);
//! - `tsfn:jobs:announce`: finished jobs owing their announcement (event, notification), ids
//!   scored by when a sweep may take it (`take_due_announcements`); an id whose hash is gone is
//!   dropped by the sweep that takes it;
//! - `tsfn:queue`: the stream of job ids workers read (see `queue`); an entry is acknowledged
//!   (and deleted) in the script that stores its job's final state.
//!
//! Every status change of `jobs::lifecycle` is a Lua script (in `lua/`) that checks the expected
//! state (status, worker, attempt) before writing: a compare-and-set, so no update is lost and no
//! two workers finish one job.

use redis::{Script, Value};

use super::codec::{
    index_key, index_member, job_from_fields, job_from_reply, job_key, result_key, series_key,
    text, ANNOUNCE, EXPIRING, GROUP, QUEUE,
};
use super::conn::{redis_err, Conn};
use crate::error::{Error, Result};
use crate::jobs::lifecycle::{gave_up, lease_until};
use crate::jobs::{Claim, Claimed, Job, JobResult, JobStatus, ListCursor, Outcome, Removal};
use crate::store::not_found;

/// KEYS: job, the two indexes, the queue, then the job's series hashes (checked first: nothing is
/// written when one is missing, and the 1-based position of the first missing one is returned).
const CREATE: &str = include_str!("lua/create_job.lua");

/// The claim rule (see `jobs::lifecycle`) for one job. KEYS: job, the queued, running and
/// failed indexes, the queue, the expiring and announce sets; ARGV: worker, now, the lease's
/// end, max attempts, the stream entry (or ''), the group, the error of a job out of attempts as
/// a format (`%d`: its attempts), its expiry, the job id.
const CLAIM: &str = concat!(
    include_str!("lua/claim_job.lua"),
    include_str!("lua/claim_rule.lua")
);

/// The same rule for the next new entry of the queue, read in the script (KEYS[1] unused, ARGV
/// as above without the entry and id, and ARGV[10] the job keys' prefix, which `CLAIM` ignores).
const CLAIM_NEW: &str = concat!(
    include_str!("lua/claim_new.lua"),
    include_str!("lua/claim_rule.lua")
);

const RENEW: &str = include_str!("lua/renew_job.lua");

const FINISH: &str = include_str!("lua/finish_job.lua");

const RELEASE: &str = include_str!("lua/release_job.lua");

const REMOVE: &str = include_str!("lua/remove_job.lua");

const PURGE: &str = include_str!("lua/purge_expired.lua");

/// Most expired index entries one sweep call removes (one script, so it stays short).
const PURGE_BATCH: usize = 1000;

/// Every listing index, which an expired or deleted job's member must leave.
fn all_indexes() -> [String; 5] {
    [
        index_key(None),
        index_key(Some(JobStatus::Queued)),
        index_key(Some(JobStatus::Running)),
        index_key(Some(JobStatus::Succeeded)),
        index_key(Some(JobStatus::Failed)),
    ]
}

pub(super) struct Jobs {
    conn: Conn,
    create_job: Script,
    claim_job: Script,
    claim_new: Script,
    renew_job: Script,
    finish_job: Script,
    release_job: Script,
    remove_job: Script,
    purge: Script,
    /// `TSFN_JOB_TTL` (ms).
    ttl: i64,
}

impl Jobs {
    pub(super) fn new(conn: Conn, ttl: i64) -> Self {
        Jobs {
            conn,
            purge: Script::new(PURGE),
            ttl,
            create_job: Script::new(CREATE),
            claim_job: Script::new(CLAIM),
            claim_new: Script::new(CLAIM_NEW),
            renew_job: Script::new(RENEW),
            finish_job: Script::new(FINISH),
            release_job: Script::new(RELEASE),
            remove_job: Script::new(REMOVE),
        }
    }

    pub(super) async fn create(&self, job: &Job) -> Result<()> {
        debug_assert_eq!(job.status, JobStatus::Queued);
        let ix = index_member(job.created, &job.id);
        let mut call = self.create_job.prepare_invoke();
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
            .invoke_async(&mut self.conn.get())
            .await
            .map_err(redis_err)?;
        match missing.checked_sub(1).and_then(|i| job.spec.series.get(i)) {
            Some(id) => Err(not_found(id)),
            None => Ok(()),
        }
    }

    pub(super) async fn get(&self, id: &str) -> Result<Option<Job>> {
        let v: Value = redis::cmd("HGETALL")
            .arg(job_key(id))
            .query_async(&mut self.conn.get())
            .await
            .map_err(redis_err)?;
        job_from_reply(v)
    }

    pub(super) async fn list(
        &self,
        status: Option<JobStatus>,
        after: Option<ListCursor>,
        limit: usize,
    ) -> Result<Vec<Job>> {
        let mut max = match &after {
            Some(a) => format!("({}", index_member(a.created, &a.id)),
            None => "+".into(),
        };
        let mut out = Vec::with_capacity(limit);
        // Members whose hash is gone (expired, or deleted between the two round trips) are
        // left out, removed from the indexes, and the page is filled from further members.
        while out.len() < limit {
            let want = limit - out.len();
            let members: Vec<String> = redis::cmd("ZREVRANGEBYLEX")
                .arg(index_key(status))
                .arg(&max)
                .arg("-")
                .arg("LIMIT")
                .arg(0)
                .arg(want)
                .query_async(&mut self.conn.get())
                .await
                .map_err(redis_err)?;
            if members.is_empty() {
                break;
            }
            let mut pipe = redis::pipe();
            for m in &members {
                let id = m.split_once('|').map_or(m.as_str(), |(_, id)| id);
                pipe.cmd("HGETALL").arg(job_key(id));
            }
            let replies: Vec<Value> = pipe
                .query_async(&mut self.conn.get())
                .await
                .map_err(redis_err)?;
            let mut gone = Vec::new();
            for (m, r) in members.iter().zip(replies) {
                match job_from_reply(r)? {
                    Some(job) => out.push(job),
                    None => gone.push(m.as_str()),
                }
            }
            if !gone.is_empty() {
                let mut pipe = redis::pipe();
                for key in all_indexes().iter().map(String::as_str).chain([EXPIRING]) {
                    pipe.cmd("ZREM").arg(key).arg(&gone).ignore();
                }
                let () = pipe
                    .query_async(&mut self.conn.get())
                    .await
                    .map_err(redis_err)?;
            }
            if members.len() < want {
                break;
            }
            max = format!("({}", members.last().expect("not empty"));
        }
        Ok(out)
    }

    pub(super) async fn claim_by_id(
        &self,
        id: &str,
        receipt: &str,
        worker: &str,
        now: i64,
        lease_ms: i64,
        max_attempts: u32,
    ) -> Result<ClaimResult> {
        let reply = self
            .claim_call(
                &self.claim_job,
                id,
                receipt,
                worker,
                now,
                lease_ms,
                max_attempts,
            )
            .await?;
        claim_result(&reply, worker)
    }

    /// Reads the queue's next new entry for `worker` and claims its job, in one script: `None`
    /// when there is no new entry. Entries whose job cannot run are acknowledged there.
    pub(super) async fn claim_new(
        &self,
        worker: &str,
        now: i64,
        lease_ms: i64,
        max_attempts: u32,
    ) -> Result<Option<ClaimResult>> {
        let reply = self
            .claim_call(&self.claim_new, "", "", worker, now, lease_ms, max_attempts)
            .await?;
        if reply.first().and_then(text).as_deref() == Some("empty") {
            return Ok(None);
        }
        claim_result(&reply, worker).map(Some)
    }

    /// Runs a claim script (`CLAIM` or `CLAIM_NEW`, which share their keys and arguments; the
    /// job's id and entry are empty for `CLAIM_NEW`, which reads them from the queue).
    #[allow(clippy::too_many_arguments)]
    async fn claim_call(
        &self,
        script: &Script,
        id: &str,
        entry: &str,
        worker: &str,
        now: i64,
        lease_ms: i64,
        max_attempts: u32,
    ) -> Result<Vec<Value>> {
        script
            .key(job_key(id))
            .key(index_key(Some(JobStatus::Queued)))
            .key(index_key(Some(JobStatus::Running)))
            .key(index_key(Some(JobStatus::Failed)))
            .key(QUEUE)
            .key(EXPIRING)
            .key(ANNOUNCE)
            .arg(worker)
            .arg(now)
            .arg(lease_until(now, lease_ms))
            .arg(max_attempts)
            .arg(entry)
            .arg(GROUP)
            .arg(gave_up("%d"))
            .arg(now.saturating_add(self.ttl))
            .arg(id)
            .arg(job_key(""))
            .invoke_async(&mut self.conn.get())
            .await
            .map_err(redis_err)
    }

    pub(super) async fn renew(
        &self,
        c: &Claim,
        now: i64,
        lease_ms: i64,
        progress: u8,
    ) -> Result<bool> {
        let n: i64 = self
            .renew_job
            .key(job_key(&c.job_id))
            .arg(&c.worker)
            .arg(c.attempt)
            .arg(lease_until(now, lease_ms))
            .arg(progress)
            .invoke_async(&mut self.conn.get())
            .await
            .map_err(redis_err)?;
        Ok(n == 1)
    }

    /// Takes due announcements in one script: picked and pushed to `retry_at` together.
    pub(super) async fn take_due_announcements(
        &self,
        now: i64,
        retry_at: i64,
        limit: usize,
    ) -> Result<Vec<String>> {
        Script::new(
            "local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[3]) \
             for _, id in ipairs(ids) do redis.call('ZADD', KEYS[1], 'XX', ARGV[2], id) end \
             return ids",
        )
        .key(ANNOUNCE)
        .arg(now)
        .arg(retry_at)
        .arg(limit)
        .invoke_async(&mut self.conn.get())
        .await
        .map_err(redis_err)
    }

    /// The spec is set only on an existing hash: HSET alone would bring back a deleted or
    /// expired job as a hash holding just its spec. The hash keeps its expiry.
    pub(super) async fn announced(
        &self,
        id: &str,
        spec: Option<&crate::jobs::JobSpec>,
    ) -> Result<bool> {
        let n: i64 = Script::new(
            "redis.call('ZREM', KEYS[2], ARGV[1]) \
             if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end \
             if ARGV[2] ~= '' then redis.call('HSET', KEYS[1], 'spec', ARGV[2]) end \
             return 1",
        )
        .key(job_key(id))
        .key(ANNOUNCE)
        .arg(id)
        .arg(spec.map(|s| s.to_stored()).unwrap_or_default())
        .invoke_async(&mut self.conn.get())
        .await
        .map_err(redis_err)?;
        Ok(n == 1)
    }

    pub(super) async fn finish(
        &self,
        c: &Claim,
        outcome: &Outcome,
        now: i64,
        announce_at: Option<i64>,
    ) -> Result<bool> {
        let (status, error, ctype, data): (JobStatus, &str, &str, &[u8]) = match outcome {
            Outcome::Succeeded { content_type, data } => {
                (JobStatus::Succeeded, "", content_type, data)
            }
            Outcome::Failed { error } => (JobStatus::Failed, error, "", &[]),
        };
        let n: i64 = self
            .finish_job
            .key(job_key(&c.job_id))
            .key(result_key(&c.job_id))
            .key(index_key(Some(JobStatus::Running)))
            .key(index_key(Some(status)))
            .key(QUEUE)
            .key(EXPIRING)
            .key(ANNOUNCE)
            .arg(&c.worker)
            .arg(c.attempt)
            .arg(status.as_str())
            .arg(now)
            .arg(error)
            .arg(ctype)
            .arg(data)
            .arg(&c.receipt)
            .arg(GROUP)
            .arg(now.saturating_add(self.ttl))
            .arg(announce_at.map(|a| a.to_string()).unwrap_or_default())
            .arg(&c.job_id)
            .invoke_async(&mut self.conn.get())
            .await
            .map_err(redis_err)?;
        Ok(n == 1)
    }

    pub(super) async fn release(&self, c: &Claim) -> Result<bool> {
        let n: i64 = self
            .release_job
            .key(job_key(&c.job_id))
            .key(index_key(Some(JobStatus::Running)))
            .key(index_key(Some(JobStatus::Queued)))
            .key(QUEUE)
            .arg(&c.worker)
            .arg(c.attempt)
            .arg(&c.receipt)
            .arg(GROUP)
            .arg(&c.job_id)
            .invoke_async(&mut self.conn.get())
            .await
            .map_err(redis_err)?;
        Ok(n == 1)
    }

    pub(super) async fn result(&self, id: &str) -> Result<Option<JobResult>> {
        let mut pipe = redis::pipe();
        pipe.cmd("HGET")
            .arg(job_key(id))
            .arg("result_type")
            .cmd("GET")
            .arg(result_key(id));
        let (ctype, data): (Option<String>, Option<Vec<u8>>) = pipe
            .query_async(&mut self.conn.get())
            .await
            .map_err(redis_err)?;
        Ok(match (ctype, data) {
            (Some(content_type), Some(data)) => Some(JobResult { content_type, data }),
            _ => None,
        })
    }

    pub(super) async fn remove(&self, id: &str) -> Result<Removal> {
        let r: String = self
            .remove_job
            .key(job_key(id))
            .key(result_key(id))
            .key(index_key(None))
            .key(index_key(Some(JobStatus::Queued)))
            .key(index_key(Some(JobStatus::Succeeded)))
            .key(index_key(Some(JobStatus::Failed)))
            .key(EXPIRING)
            .invoke_async(&mut self.conn.get())
            .await
            .map_err(redis_err)?;
        Ok(match r.as_str() {
            "cancelled" => Removal::Cancelled,
            "deleted" => Removal::Deleted,
            "running" => Removal::Running,
            _ => Removal::NotFound,
        })
    }
}

impl Jobs {
    /// The queue's length: the cardinality of the queued index.
    pub(super) async fn count_queued(&self) -> Result<u64> {
        redis::cmd("ZCARD")
            .arg(index_key(Some(JobStatus::Queued)))
            .query_async(&mut self.conn.get())
            .await
            .map_err(redis_err)
    }

    /// Removes the index entries of jobs expired by `now` (Redis dropped their hashes and
    /// results itself), a batch at a time.
    pub(super) async fn purge_expired(&self, now: i64) -> Result<u64> {
        let mut total = 0;
        loop {
            let mut call = self.purge.prepare_invoke();
            call.key(EXPIRING);
            for k in all_indexes() {
                call.key(k);
            }
            // Redis keeps a key through its expiry's millisecond: its entry goes just after.
            let n: u64 = call
                .arg(now - 1)
                .arg(PURGE_BATCH)
                .invoke_async(&mut self.conn.get())
                .await
                .map_err(redis_err)?;
            total += n;
            if n < PURGE_BATCH as u64 {
                return Ok(total);
            }
        }
    }
}

/// A claim script's reply: `[outcome, entry, job fields...]`.
fn claim_result(reply: &[Value], worker: &str) -> Result<ClaimResult> {
    let tag = reply.first().and_then(text).unwrap_or_default();
    Ok(match tag.as_str() {
        "claimed" => {
            let receipt = reply.get(1).and_then(text).unwrap_or_default();
            let job = job_from_fields(reply.get(2..).unwrap_or_default())?
                .ok_or_else(|| Error::Internal("claimed job has no fields".into()))?;
            ClaimResult::Ok(Box::new(Claimed::new(job, worker, &receipt)))
        }
        "gone" => ClaimResult::Gone,
        "busy" => ClaimResult::Busy,
        "failed" => ClaimResult::Failed,
        _ => ClaimResult::Done,
    })
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
