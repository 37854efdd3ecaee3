//! Analysis jobs: the job record, its lifecycle (`lifecycle`), the submission contract, running
//! a job, and the worker loop.

pub mod kinds;
pub mod lifecycle;
pub mod run;
pub mod spec;
pub mod worker;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::time;

pub use lifecycle::{Claim, JobStatus, Outcome, Removal};
pub use spec::{JobSpec, Kind, Notify, NotifyStatus};

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

/// A job just claimed, with the claim its worker updates it by.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub job: Job,
    pub claim: Claim,
}

impl Claimed {
    /// `job` as a claim by `worker` left it: the claim is on the attempt it counted.
    pub fn new(job: Job, worker: &str, receipt: &str) -> Self {
        let claim = Claim {
            job_id: job.id.clone(),
            worker: worker.to_owned(),
            attempt: job.attempts,
            receipt: receipt.to_owned(),
        };
        Claimed { job, claim }
    }
}

/// Where a listing page resumes: after the job with this `created` and `id`, in the listing's
/// newest-first order of `(created, id)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListCursor {
    pub created: i64,
    pub id: String,
}

/// What a succeeded job produced: its content type and bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct JobResult {
    pub content_type: String,
    pub data: Vec<u8>,
}

/// Leases and retries: `TSFN_JOB_LEASE_MS`, `TSFN_JOB_MAX_ATTEMPTS` and `TSFN_SHUTDOWN_GRACE_MS`,
/// read and validated with every other setting ([`crate::settings::Settings::policy`]).
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub lease_ms: i64,
    pub max_attempts: u32,
    /// On shutdown, how long a running job may take to finish before it is handed back.
    pub grace_ms: u64,
    /// Whether every finished job is announced (an EventBridge bus is set); a job with a
    /// `notify` always is.
    pub events: bool,
    /// How long after a job finished a sweep takes over an announcement its worker has not
    /// made (the worker stopped): longer than the worker's own delivery can last.
    pub redeliver_ms: i64,
}

impl Policy {
    /// When a job finishing at `now` owes its announcement: with an event or a notification to
    /// send, and only in a binary that sends them (the `events` feature).
    pub fn announce_at(&self, spec: &JobSpec, now: i64) -> Option<i64> {
        (cfg!(feature = "events") && (self.events || spec.notify.is_some()))
            .then(|| now.saturating_add(self.redeliver_ms))
    }
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
    /// The id of the request that submitted it (`x-request-id`).
    pub request_id: Option<&'a str>,
    /// Where the job's notification goes and how its delivery went; absent without `notify`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notify: Option<&'a Notify>,
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
            request_id: j.spec.request_id.as_deref(),
            notify: j.spec.notify.as_ref(),
        }
    }
}
