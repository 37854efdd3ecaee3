//! `PUT /series/{series}/points/{t}`: write one point. Body: `{"v": 1.5}`. Creates the series
//! when missing. Answers 200 with the point.

use std::sync::Arc;

use tsfn_shared::app::now_ms;
use tsfn_shared::http::{self, PathParams, Query};
use tsfn_shared::ingest;
use tsfn_shared::model::Point;
use tsfn_shared::views::PointView;
use tsfn_shared::{App, Error, Request, Response, Result};

pub const METHOD: &str = "PUT";
pub const PATH: &str = "/series/{series}/points/{t}";

/// `v` is kept as its JSON text and read by the same parser as bulk writes, so the value is exact
/// and a number too large for a double is a 400 naming `v`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Body<'a> {
    #[serde(borrow)]
    v: &'a serde_json::value::RawValue,
}

pub async fn handler(app: Arc<App>, req: Request) -> Result<Response> {
    let params = PathParams::parse(&req, PATH)?;
    let (id, t) = (params.series()?, params.timestamp("t")?);
    Query::parse(&req)?.finish()?;
    let body: Body = http::json_body(&req)?;
    let v = ingest::value(body.v).map_err(|m| Error::invalid("v", m))?;
    let p = Point { t, v };
    app.store.write_points(&id, vec![p], now_ms()).await?;
    tsfn_shared::metrics::points_written(1);
    Ok(http::json_response(200, &PointView::from(p)))
}
