//! `GET /jobs/{id}/result`: the result of a succeeded job, with its content type: JSON for the
//! analyses, `image/png` or `image/svg+xml` for plots (chosen with the plot's `format` param).
//! A job that has not succeeded answers 409 with its status (and error, if it failed).

use std::sync::Arc;

use lambda_http::http::{header, HeaderValue, StatusCode};
use lambda_http::Body;
use tsfn_shared::http::{PathParams, Query};
use tsfn_shared::jobs::{parse_id, JobResult, JobStatus};
use tsfn_shared::{App, Error, Request, Response, Result};

pub const METHOD: &str = "GET";
pub const PATH: &str = "/jobs/{id}/result";

pub async fn handler(app: Arc<App>, req: Request) -> Result<Response> {
    let id = parse_id(PathParams::parse(&req, PATH)?.get("id")?)?;
    Query::parse(&req)?.finish()?;
    let job = app
        .store
        .get_job(&id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("job {id}")))?;
    match job.status {
        JobStatus::Succeeded => {}
        JobStatus::Failed => {
            return Err(Error::Conflict(format!(
                "job {id} failed: {}",
                job.error.as_deref().unwrap_or("no message")
            )))
        }
        s => {
            return Err(Error::Conflict(format!(
                "job {id} is {}: its result is not ready yet",
                s.as_str()
            )))
        }
    }
    let JobResult { content_type, data } = app
        .store
        .get_result(&id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("result of job {id}")))?;
    let mut resp = Response::new(Body::Binary(data));
    *resp.status_mut() = StatusCode::OK;
    let ct = HeaderValue::from_str(&content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    resp.headers_mut().insert(header::CONTENT_TYPE, ct);
    // Results never change once written.
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=31536000, immutable"),
    );
    Ok(resp)
}
