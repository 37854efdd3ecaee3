//! `PUT /series/{series}`: create a series or replace its metadata (name, unit, description,
//! labels). Answers 201 when created, 200 when replaced.

use std::sync::Arc;

use tsfn_shared::app::now_ms;
use tsfn_shared::http::{self, PathParams, Query};
use tsfn_shared::model::SeriesMeta;
use tsfn_shared::views::SeriesView;
use tsfn_shared::{App, Request, Response, Result};

pub const METHOD: &str = "PUT";
pub const PATH: &str = "/series/{series}";

pub async fn handler(app: Arc<App>, req: Request) -> Result<Response> {
    let id = PathParams::parse(&req, PATH)?.series()?;
    Query::parse(&req)?.finish()?;
    let meta: SeriesMeta = http::json_body(&req)?;
    meta.validate()?;
    let put = app.store.put_series(&id, &meta, now_ms()).await?;
    Ok(http::json_response(
        if put.created { 201 } else { 200 },
        &SeriesView::from(&put.info),
    ))
}
