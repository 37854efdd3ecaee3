//! `GET /series`: every series with its point count, first and last timestamps.

use std::sync::Arc;

use tsfn_shared::http::{self, Query};
use tsfn_shared::views::SeriesView;
use tsfn_shared::{App, Request, Response, Result};

pub const METHOD: &str = "GET";
pub const PATH: &str = "/series";

#[derive(serde::Serialize)]
struct Listing<'a> {
    series: Vec<SeriesView<'a>>,
}

pub async fn handler(app: Arc<App>, req: Request) -> Result<Response> {
    Query::parse(&req)?.finish()?;
    let all = app.store.list_series().await?;
    let body = Listing {
        series: all.iter().map(SeriesView::from).collect(),
    };
    Ok(http::json_response(200, &body))
}
