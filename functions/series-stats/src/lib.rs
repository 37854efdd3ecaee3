//! `GET /series/{series}/stats?from=&to=`: count, mean, min, max, stddev (population), sum,
//! first and last over an optional range. Statistics of an empty range have count 0 and nulls.

use std::sync::Arc;

use tsfn_shared::http::{self, PathParams, Query};
use tsfn_shared::query;
use tsfn_shared::views::StatsView;
use tsfn_shared::{App, Request, Response, Result};

pub const METHOD: &str = "GET";
pub const PATH: &str = "/series/{series}/stats";

pub async fn handler(app: Arc<App>, req: Request) -> Result<Response> {
    let id = PathParams::parse(&req, PATH)?.series()?;
    let mut q = Query::parse(&req)?;
    let range = q.range()?;
    q.finish()?;
    let stats = query::stats(app.store.as_ref(), &id, range).await?;
    Ok(http::json_response(
        200,
        &StatsView::new(id.as_str(), range, stats),
    ))
}
