//! `GET /series/{series}`: metadata plus point count, first and last timestamps.

use std::sync::Arc;

use tsfn_shared::http::{self, PathParams, Query};
use tsfn_shared::views::SeriesView;
use tsfn_shared::{App, Error, Request, Response, Result};

pub const METHOD: &str = "GET";
pub const PATH: &str = "/series/{series}";

pub async fn handler(app: Arc<App>, req: Request) -> Result<Response> {
    let id = PathParams::parse(&req, PATH)?.series()?;
    Query::parse(&req)?.finish()?;
    let info = app
        .store
        .get_series(&id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("series {:?}", id.as_str())))?;
    Ok(http::json_response(200, &SeriesView::from(&info)))
}
