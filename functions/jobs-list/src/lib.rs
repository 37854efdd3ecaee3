//! `GET /jobs?status=&limit=&cursor=`: jobs, newest first, optionally of one status
//! (`queued`, `running`, `succeeded`, `failed`); `limit` 1-1000 (default 100); pages continue with
//! the `next_cursor` of the previous page.

use std::sync::Arc;

use base64::Engine;
use tsfn_shared::http::{self, Query};
use tsfn_shared::jobs::{JobStatus, JobView, ListCursor};
use tsfn_shared::{App, Error, Request, Response, Result};

pub const METHOD: &str = "GET";
pub const PATH: &str = "/jobs";

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

#[derive(serde::Serialize)]
struct Listing<'a> {
    jobs: Vec<JobView<'a>>,
    next_cursor: Option<String>,
}

fn decode_cursor(c: &str) -> Result<ListCursor> {
    let bad = || {
        Error::invalid(
            "cursor",
            "invalid cursor: pass next_cursor from a previous page unchanged",
        )
    };
    let raw = B64.decode(c).map_err(|_| bad())?;
    let raw = String::from_utf8(raw).map_err(|_| bad())?;
    let (created, id) = raw.split_once('/').ok_or_else(bad)?;
    Ok(ListCursor {
        created: created.parse().map_err(|_| bad())?,
        id: id.to_owned(),
    })
}

pub async fn handler(app: Arc<App>, req: Request) -> Result<Response> {
    let mut q = Query::parse(&req)?;
    let status = q.take("status").map(|s| JobStatus::parse(&s)).transpose()?;
    let limit = q.usize_in("limit", 100, 1000)?;
    let after = q.take("cursor").map(|c| decode_cursor(&c)).transpose()?;
    q.finish()?;
    let mut jobs = app.store.list_jobs(status, after, limit + 1).await?;
    let next_cursor = if jobs.len() > limit {
        jobs.truncate(limit);
        jobs.last()
            .map(|j| B64.encode(format!("{}/{}", j.created, j.id)))
    } else {
        None
    };
    let body = Listing {
        jobs: jobs.iter().map(JobView::from).collect(),
        next_cursor,
    };
    Ok(http::json_response(200, &body))
}
