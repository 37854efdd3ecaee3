//! The job half of the Redis backend.
//!
//! - `tsfn:job:{id}` hash: the job record (`spec`, `status`, times, `worker`, `attempts`, ...),
//!   and `ix`, its member in the listing indexes;
//! - `tsfn:jobs` and `tsfn:jobs:{status}`: sorted sets with score 0 whose members
//!   `{created:015}|{id}` sort by creation, so listings page with ZREVRANGEBYLEX;
//! - `tsfn:result:{id}`: the result bytes;
//! - `tsfn:queue`: the stream of job ids workers read (see `queue`); an entry is acknowledged
//!   (and deleted) in the script that stores its job's final state.
//!
//! Every status change of `jobs::lifecycle` is a Lua script (in `lua/`) that checks the expected
//! state (status, worker, attempt) before writing: a compare-and-set, so no update is lost and no
//! two workers finish one job.

use redis::{Script, Value};

use super::codec::{
    index_key, index_member, job_from_fields, job_from_reply, job_key, result_key, series_key,
    text, GROUP, QUEUE,
};
use super::conn::{redis_err, Conn};
use crate::error::{Error, Result};
use crate::jobs::lifecycle::{gave_up, lease_until};
use crate::jobs::{Claim, Claimed, Job, JobResult, JobStatus, ListCursor, Outcome, Removal};
use crate::store::not_found;

/// KEYS: job, the two indexes, the queue, then the job's series hashes (checked first: nothing is
/// written when one is missing, and the 1-based position of the first missing one is returned).
const CREATE: &str = include_str!("lua/create_job.lua");

/// The claim rule (see `jobs::lifecycle`). KEYS: job, the queued, running and failed indexes, the
/// queue; ARGV: worker, now, the lease's end, max attempts, the stream entry (or ''), the group,
/// and the error of a job out of attempts as a format (`%d`: its attempts).
const CLAIM: &str = include_str!("lua/claim_job.lua");

const RENEW: &str = include_str!("lua/renew_job.lua");

const FINISH: &str = include_str!("lua/finish_job.lua");

const RELEASE: &str = include_str!("lua/release_job.lua");

const REMOVE: &str = include_str!("lua/remove_job.lua");

pub(super) struct Jobs {
    conn: Conn,
    create_job: Script,
    claim_job: Script,
    renew_job: Script,
    finish_job: Script,
    release_job: Script,
    remove_job: Script,
}

impl Jobs {
    pub(super) fn new(conn: Conn) -> Self {
        Jobs {
            conn,
            create_job: Script::new(CREATE),
            claim_job: Script::new(CLAIM),
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
            .query_async(&mut self.conn.get())
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
        let replies: Vec<Value> = pipe
            .query_async(&mut self.conn.get())
            .await
            .map_err(redis_err)?;
        let mut out = Vec::with_capacity(replies.len());
        for r in replies {
            // Deleted between the two round trips: left out.
            out.extend(job_from_reply(r)?);
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
        let reply: Vec<Value> = self
            .claim_job
            .key(job_key(id))
            .key(index_key(Some(JobStatus::Queued)))
            .key(index_key(Some(JobStatus::Running)))
            .key(index_key(Some(JobStatus::Failed)))
            .key(QUEUE)
            .arg(worker)
            .arg(now)
            .arg(lease_until(now, lease_ms))
            .arg(max_attempts)
            .arg(receipt)
            .arg(GROUP)
            .arg(gave_up("%d"))
            .invoke_async(&mut self.conn.get())
            .await
            .map_err(redis_err)?;
        let tag = reply.first().and_then(text).unwrap_or_default();
        Ok(match tag.as_str() {
            "claimed" => {
                let job = job_from_fields(&reply[1..])?
                    .ok_or_else(|| Error::Internal("claimed job has no fields".into()))?;
                ClaimResult::Ok(Box::new(Claimed::new(job, worker, receipt)))
            }
            "gone" => ClaimResult::Gone,
            "busy" => ClaimResult::Busy,
            "failed" => ClaimResult::Failed,
            _ => ClaimResult::Done,
        })
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

    pub(super) async fn finish(&self, c: &Claim, outcome: &Outcome, now: i64) -> Result<bool> {
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
            .arg(&c.worker)
            .arg(c.attempt)
            .arg(status.as_str())
            .arg(now)
            .arg(error)
            .arg(ctype)
            .arg(data)
            .arg(&c.receipt)
            .arg(GROUP)
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
