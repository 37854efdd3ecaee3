//! The worker function: runs the job named by its event with the same processing code as
//! `tsfn worker`. Event: `{"job_id": "<uuid>"}`; answer: `{"job_id", "status"}`.
//! Duplicate deliveries are harmless: the claim is a compare-and-set, so a job that another
//! invocation already runs or finished is reported, not run again.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tsfn_shared::jobs::{parse_id, worker, Policy};
use tsfn_shared::{App, Result};

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

/// Processes one event. `invocation` names this run in the job record (the Lambda request id).
pub async fn handle(app: Arc<App>, event: JobEvent, invocation: &str) -> Result<JobReport> {
    let id = parse_id(&event.job_id)?;
    let status = worker::run_one(&app, &id, invocation, Policy::from_env()?).await?;
    Ok(JobReport {
        job_id: id,
        status: status.as_str(),
    })
}
