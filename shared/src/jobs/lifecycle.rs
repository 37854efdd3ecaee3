//! The job lifecycle, stated once: statuses, transitions, the claim rule, attempts, and the
//! messages they record. Each backend expresses these rules in its own language, in one place:
//! SQL WHERE clauses (`store/sqlite/jobs.rs`), DynamoDB condition expressions
//! (`store/dynamodb/jobs.rs`) and Lua scripts (`store/redis/lua/`); the helpers below are the
//! parts they share, and the conformance suite checks that the three agree.
//!
//! Lifecycle: `queued -> running -> succeeded | failed`. Every transition is a compare-and-set in
//! the store keyed on the claim (worker id and attempt number), so a worker that lost its lease
//! can neither finish nor overwrite a job another worker has claimed since. Delivery is at least
//! once: a running job whose lease expires (its worker died) is claimed again; after
//! `max_attempts` claims it fails with a message instead of looping forever.
//!
//! The transitions:
//! - claim: a job is claimable when queued, or running with an expired lease (`lease_until <
//!   now`). Claiming sets `running`, the worker, `attempts + 1`, `started = now`, the lease
//!   ([`lease_until`]) and progress 0. A claimable job whose attempts are used up
//!   ([`exhausted`]) is failed instead, with [`gave_up`] as its error;
//! - renew, finish, release: only for the current claim (status `running`, the claim's worker
//!   and attempt). Renew moves the lease and records progress; finish sets `succeeded` (with the
//!   result) or `failed` (with the error), `finished = now`, progress 100 and drops the lease;
//!   release (graceful shutdown) puts the job back to `queued` without worker, start or lease,
//!   progress 0 and `attempts - 1`, since handing a job back is not a failed attempt;
//! - remove: see [`removal`].

use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobStatus {
    Queued,
    Running,
    Succeeded,
    Failed,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Succeeded => "succeeded",
            JobStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "queued" => JobStatus::Queued,
            "running" => JobStatus::Running,
            "succeeded" => JobStatus::Succeeded,
            "failed" => JobStatus::Failed,
            _ => {
                return Err(Error::invalid(
                    "status",
                    format!("unknown status {s:?}: use queued, running, succeeded or failed"),
                ))
            }
        })
    }

    pub fn is_finished(self) -> bool {
        matches!(self, JobStatus::Succeeded | JobStatus::Failed)
    }
}

/// A worker's claim on a job: only the holder of the current claim may update it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub job_id: String,
    pub worker: String,
    pub attempt: u32,
    /// The backend's delivery handle (a Redis stream entry id), acknowledged when the job ends.
    pub receipt: String,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Succeeded { content_type: String, data: Vec<u8> },
    Failed { error: String },
}

/// What `DELETE /jobs/{id}` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removal {
    /// A finished job and its result were deleted.
    Deleted,
    /// A queued job was withdrawn before any worker took it.
    Cancelled,
    /// The job is running; it cannot be removed under its worker.
    Running,
    NotFound,
}

/// When a lease taken or renewed at `now` expires.
pub fn lease_until(now: i64, lease_ms: i64) -> i64 {
    now + lease_ms
}

/// Whether a claimable job that has been claimed `attempts` times is failed instead of claimed.
pub fn exhausted(attempts: u32, max_attempts: u32) -> bool {
    attempts >= max_attempts
}

/// The error of a job failed for having used up its attempts.
pub fn gave_up(attempts: impl std::fmt::Display) -> String {
    format!(
        "gave up after {attempts} attempts: the worker running it stopped (crash or timeout) each time"
    )
}

/// What removing a job in `status` (`None`: no such job) does: a running job stays (it cannot be
/// removed under its worker), a queued one is withdrawn, a finished one deleted with its result.
pub fn removal(status: Option<JobStatus>) -> Removal {
    match status {
        None => Removal::NotFound,
        Some(JobStatus::Running) => Removal::Running,
        Some(JobStatus::Queued) => Removal::Cancelled,
        Some(JobStatus::Succeeded | JobStatus::Failed) => Removal::Deleted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        assert_eq!(lease_until(1_000, 30_000), 31_000);
        assert!(!exhausted(2, 3));
        assert!(exhausted(3, 3));
        assert_eq!(
            gave_up(3),
            "gave up after 3 attempts: the worker running it stopped (crash or timeout) each time"
        );
        assert_eq!(removal(None), Removal::NotFound);
        assert_eq!(removal(Some(JobStatus::Running)), Removal::Running);
        assert_eq!(removal(Some(JobStatus::Queued)), Removal::Cancelled);
        assert_eq!(removal(Some(JobStatus::Failed)), Removal::Deleted);
    }
}
