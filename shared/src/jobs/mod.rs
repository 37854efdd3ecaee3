//! Analysis jobs: the job record and its lifecycle, the submission contract, running a job, and
//! the worker loop.
//!
//! Lifecycle: `queued -> running -> succeeded | failed`. Every transition is a compare-and-set in
//! the store keyed on the claim (worker id and attempt number), so a worker that lost its lease
//! can neither finish nor overwrite a job another worker has claimed since. Delivery is at least
//! once: a running job whose lease expires (its worker died) is claimed again; after
//! `max_attempts` claims it fails with a message instead of looping forever.

pub mod run;
pub mod spec;
pub mod worker;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::time;

pub use spec::{JobSpec, Kind};

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

/// A job id: a UUID v4 in its hyphenated lowercase form.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub fn parse_id(s: &str) -> Result<String> {
    match uuid::Uuid::parse_str(s) {
        Ok(u) if s.len() == 36 => Ok(u.hyphenated().to_string()),
        _ => Err(Error::invalid(
            "id",
            format!("invalid job id {s:?}: expected a UUID"),
        )),
    }
}

/// The job record as stored.
#[derive(Debug, Clone)]
pub struct Job {
    pub id: String,
    pub spec: JobSpec,
    pub status: JobStatus,
    pub created: i64,
    pub started: Option<i64>,
    pub finished: Option<i64>,
    /// Who ran (or runs) it: a host/pod name or IP, or a Lambda request id.
    pub worker: Option<String>,
    /// How many times it was claimed.
    pub attempts: u32,
    pub progress: u8,
    pub error: Option<String>,
    pub result_size: Option<u64>,
    pub result_type: Option<String>,
    /// While running: when the claim expires unless renewed (ms).
    pub lease_until: Option<i64>,
}

impl Job {
    pub fn new(spec: JobSpec, now: i64) -> Self {
        Job {
            id: new_id(),
            spec,
            status: JobStatus::Queued,
            created: now,
            started: None,
            finished: None,
            worker: None,
            attempts: 0,
            progress: 0,
            error: None,
            result_size: None,
            result_type: None,
            lease_until: None,
        }
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

/// Leases and retries: `TSFN_JOB_LEASE_MS`, `TSFN_JOB_MAX_ATTEMPTS` and `TSFN_SHUTDOWN_GRACE_MS`,
/// read and validated with every other setting ([`crate::settings::Settings::policy`]).
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub lease_ms: i64,
    pub max_attempts: u32,
    /// On shutdown, how long a running job may take to finish before it is handed back.
    pub grace_ms: u64,
}

/// The JSON shape of a job.
#[derive(Serialize)]
pub struct JobView<'a> {
    pub id: &'a str,
    pub kind: &'static str,
    pub status: &'static str,
    pub series: Vec<&'a str>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub params: serde_json::Value,
    pub created: String,
    pub started: Option<String>,
    pub finished: Option<String>,
    pub worker: Option<&'a str>,
    pub attempts: u32,
    pub progress: u8,
    pub error: Option<&'a str>,
    pub result_size: Option<u64>,
    pub result_type: Option<&'a str>,
    pub result_url: Option<String>,
}

impl<'a> From<&'a Job> for JobView<'a> {
    fn from(j: &'a Job) -> Self {
        JobView {
            id: &j.id,
            kind: j.spec.kind.name(),
            status: j.status.as_str(),
            series: j.spec.series.iter().map(|s| s.as_str()).collect(),
            from: j.spec.range.from.map(time::format),
            to: j.spec.range.to.map(time::format),
            params: j.spec.kind.params_json(),
            created: time::format(j.created),
            started: j.started.map(time::format),
            finished: j.finished.map(time::format),
            worker: j.worker.as_deref(),
            attempts: j.attempts,
            progress: j.progress,
            error: j.error.as_deref(),
            result_size: j.result_size,
            result_type: j.result_type.as_deref(),
            result_url: (j.status == JobStatus::Succeeded)
                .then(|| format!("/jobs/{}/result", j.id)),
        }
    }
}
