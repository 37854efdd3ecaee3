//! `POST /jobs`: submit an analysis job. Body:
//! `{"kind": "plot", "series": "co2" | ["a", "b"], "from": ..., "to": ..., "params": {...}}`.
//! Everything is validated here (unknown kind, bad params, wrong number of series: 400; a series
//! that does not exist: 404, checked by the store as it queues the job; a `spectrum` of a series
//! that is not evenly spaced: 400, read from the data), so a job that is accepted can run. Answers 202 with a `Location` header and the job record; 503 `queue_full` (with Retry-After,
//! nothing queued) while `TSFN_MAX_QUEUED_JOBS` jobs are queued already.

use std::sync::Arc;

use lambda_http::http::{header, HeaderValue};
use tsfn_shared::app::now_ms;
use tsfn_shared::http::{self, Query};
use tsfn_shared::jobs::{Job, JobSpec, JobView};
use tsfn_shared::{App, Error, Request, Response, Result};

pub const METHOD: &str = "POST";
pub const PATH: &str = "/jobs";

pub async fn handler(app: Arc<App>, req: Request) -> Result<Response> {
    Query::parse(&req)?.finish()?;
    let mut spec = JobSpec::parse_submission(http::body(&req), app.settings.notify_rules())?;
    spec.request_id = tsfn_shared::edge::request_id(&req).map(str::to_owned);
    tsfn_shared::jobs::run::check_data(app.store.as_ref(), &spec).await?;
    let max = app.settings.max_queued_jobs;
    // Check, then insert: two submissions at once may both see room, so the queue can go a few
    // jobs over the limit under concurrency. Approximate on purpose: an exact bound would need
    // a counter changed atomically with every status change, in every store.
    if max > 0 {
        let queued = app.store.count_queued(max).await?;
        // What a Lambda function reports of the queue (a process's workers count it too).
        tsfn_shared::metrics::jobs_queued(queued);
        if queued >= max {
            return Err(Error::QueueFull { limit: max });
        }
    }
    let job = Job::new(spec, now_ms());
    app.store.create_job(&job).await?;
    app.job_signal.notify_one();
    let mut resp = http::json_response(202, &JobView::from(&job));
    if let Ok(v) = HeaderValue::from_str(&format!("/jobs/{}", job.id)) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    Ok(resp)
}
