//! The worker function: runs jobs with the same processing code as `tsfn worker`. It takes two
//! kinds of event:
//! - `{"job_id": "<uuid>"}`: run that job; answers `{"job_id", "status"}`;
//! - a DynamoDB Streams batch from the jobs table: every record whose new image is a queued job
//!   is run; answers `{"batchItemFailures": [...]}` naming only the records that failed, so
//!   Lambda retries just those (partial batch response).
//!
//! - `{"sweep": true}` (optionally `"max_jobs": N`, default 25), sent on a schedule: claims and
//!   runs jobs nothing else will, queued jobs whose record never reached the worker and jobs
//!   whose invocation died (timeout, out of memory) once their lease expired; answers
//!   `{"ran": [{"job_id", "status"}, ...]}`. Each sweep event also runs the periodic sweep
//!   (`tsfn_shared::sweep`: expired jobs, points past a series' retention), so the schedule is
//!   its interval on AWS.
//!
//! Duplicate deliveries are harmless: the claim is a compare-and-set, so a job that another
//! invocation already runs or finished is reported, not run again. That is also why a record
//! whose job is running elsewhere is not a failure: if that run dies, the sweep takes it over.

use std::sync::Arc;

pub use aws_lambda_events::event::dynamodb::Event as StreamEvent;
use aws_lambda_events::event::dynamodb::EventRecord;
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use serde::{Deserialize, Serialize};
use serde_dynamo::AttributeValue;
use tsfn_shared::jobs::{parse_id, worker};
use tsfn_shared::{App, Error, Result};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobEvent {
    pub job_id: String,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct JobReport {
    pub job_id: String,
    pub status: &'static str,
}

/// Most jobs a sweep runs in one invocation, so it ends well inside the function's timeout.
pub const DEFAULT_SWEEP_JOBS: usize = 25;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepEvent {
    pub sweep: bool,
    #[serde(default = "default_sweep_jobs")]
    pub max_jobs: usize,
}

fn default_sweep_jobs() -> usize {
    DEFAULT_SWEEP_JOBS
}

#[derive(Debug, Serialize, PartialEq)]
pub struct SweepReport {
    pub ran: Vec<JobReport>,
}

/// What the worker can be invoked with.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum WorkerEvent {
    Job(JobEvent),
    Sweep(SweepEvent),
    Stream(StreamEvent),
}

/// Processes one job event. `invocation` names this run in the job record.
pub async fn handle(app: Arc<App>, event: JobEvent, invocation: &str) -> Result<JobReport> {
    let id = parse_id(&event.job_id)?;
    let status = worker::run_one(&app, &id, invocation, app.settings.policy()).await?;
    Ok(JobReport {
        job_id: id,
        status: status.as_str(),
    })
}

/// Runs the jobs a sweep finds (see the module comment).
pub async fn handle_sweep(
    app: Arc<App>,
    event: SweepEvent,
    invocation: &str,
) -> Result<SweepReport> {
    if !event.sweep {
        return Err(Error::invalid("sweep", "must be true"));
    }
    if event.max_jobs == 0 {
        return Err(Error::invalid("max_jobs", "must be at least 1"));
    }
    let ran = worker::sweep(&app, invocation, app.settings.policy(), event.max_jobs).await?;
    // Announcements due: of jobs that ran out of attempts, and of runs stopped before theirs.
    // A failure is logged; the next scheduled sweep tries again.
    if let Err(e) = tsfn_shared::sweep::announce(&app).await {
        tracing::warn!(error = %e, "cannot make the announcements due; trying again next schedule");
    }
    // The jobs above ran whatever this does: a failed pass is logged, and the next scheduled
    // sweep tries again.
    match tsfn_shared::sweep::once(app.store.as_ref(), tsfn_shared::time::now_ms()).await {
        Ok(s) if s != tsfn_shared::sweep::Swept::default() => {
            tracing::info!(
                jobs = s.jobs,
                points = s.points,
                "swept expired jobs and points past retention"
            )
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "sweep failed; trying again next schedule"),
    }
    Ok(SweepReport {
        ran: ran
            .into_iter()
            .map(|(job_id, s)| JobReport {
                job_id,
                status: s.as_str(),
            })
            .collect(),
    })
}

/// The queued job a stream record announces, if any.
fn queued_job(record: &EventRecord) -> Result<Option<String>> {
    if record.event_name == "REMOVE" {
        return Ok(None);
    }
    let image = &record.change.new_image;
    let text = |k: &str| match image.get(k) {
        Some(AttributeValue::S(s)) => Some(s.as_str()),
        _ => None,
    };
    match text("status") {
        Some("queued") => {}
        Some(_) => return Ok(None),
        None => {
            return Err(Error::invalid(
                "NewImage.status",
                "stream record without a job status (is the stream view NEW_IMAGE?)",
            ))
        }
    }
    let id = text("id")
        .ok_or_else(|| Error::invalid("NewImage.id", "stream record without a job id"))?;
    Ok(Some(parse_id(id)?))
}

/// Runs every queued job of a stream batch; reports the records that failed.
pub async fn handle_stream(
    app: Arc<App>,
    event: StreamEvent,
    invocation: &str,
) -> DynamoDbEventResponse {
    let mut failures = Vec::new();
    let policy = app.settings.policy();
    for record in &event.records {
        let outcome = match queued_job(record) {
            Err(e) => Err(e),
            Ok(None) => Ok(()),
            Ok(Some(id)) => match worker::run_one(&app, &id, invocation, policy).await {
                // Deleted (cancelled) before it ran: nothing left to do, so not a failure.
                Err(Error::NotFound(_)) => Ok(()),
                r => r.map(|_| ()),
            },
        };
        if let Err(e) = outcome {
            tracing::warn!(error = %e, sequence = ?record.change.sequence_number, "stream record failed");
            let mut f = DynamoDbBatchItemFailure::default();
            f.item_identifier = record.change.sequence_number.clone();
            failures.push(f);
        }
    }
    let mut resp = DynamoDbEventResponse::default();
    resp.batch_item_failures = failures;
    resp
}

/// Dispatches either kind of event; the answer is the matching JSON.
pub async fn handle_any(
    app: Arc<App>,
    event: WorkerEvent,
    invocation: &str,
) -> Result<serde_json::Value> {
    let v = match event {
        WorkerEvent::Job(e) => serde_json::to_value(handle(app, e, invocation).await?),
        WorkerEvent::Sweep(e) => serde_json::to_value(handle_sweep(app, e, invocation).await?),
        WorkerEvent::Stream(e) => serde_json::to_value(handle_stream(app, e, invocation).await),
    };
    v.map_err(|e| Error::Internal(e.to_string()))
}
