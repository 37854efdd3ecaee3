//! `GET /jobs/{id}`: a job's status and metadata (worker, attempts, progress, error, result size).

use std::sync::Arc;

use tsfn_shared::http::{self, PathParams, Query};
use tsfn_shared::jobs::{parse_id, JobView};
use tsfn_shared::{App, Error, Request, Response, Result};

pub const METHOD: &str = "GET";
pub const PATH: &str = "/jobs/{id}";

pub async fn handler(app: Arc<App>, req: Request) -> Result<Response> {
    let id = parse_id(PathParams::parse(&req, PATH)?.get("id")?)?;
    Query::parse(&req)?.finish()?;
    let job = app
        .store
        .get_job(&id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("job {id}")))?;
    Ok(http::json_response(200, &JobView::from(&job)))
}
