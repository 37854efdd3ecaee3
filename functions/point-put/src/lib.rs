//! `PUT /series/{series}/points/{t}`: write one point. Body: `{"v": 1.5}`. Creates the series
//! when missing. Answers 200 with the point.

use std::sync::Arc;

use tsfn_shared::app::now_ms;
use tsfn_shared::http::{self, PathParams, Query};
use tsfn_shared::model::{check_value, Point};
use tsfn_shared::views::PointView;
use tsfn_shared::{App, Request, Response, Result};

pub const METHOD: &str = "PUT";
pub const PATH: &str = "/series/{series}/points/{t}";

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    v: f64,
}

pub async fn handler(app: Arc<App>, req: Request) -> Result<Response> {
    let params = PathParams::parse(&req, PATH)?;
    let (id, t) = (params.series()?, params.timestamp("t")?);
    Query::parse(&req)?.finish()?;
    let body: Body = http::json_body(&req)?;
    let p = Point {
        t,
        v: check_value(body.v, || "v".into())?,
    };
    app.store.write_points(&id, vec![p], now_ms()).await?;
    Ok(http::json_response(200, &PointView::from(p)))
}
