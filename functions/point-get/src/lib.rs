//! `GET /series/{series}/points/{t}`: one point by timestamp (any accepted timestamp form).

use std::sync::Arc;

use tsfn_shared::http::{self, PathParams, Query};
use tsfn_shared::views::PointView;
use tsfn_shared::{time, App, Error, Request, Response, Result};

pub const METHOD: &str = "GET";
pub const PATH: &str = "/series/{series}/points/{t}";

pub async fn handler(app: Arc<App>, req: Request) -> Result<Response> {
    let params = PathParams::parse(&req, PATH)?;
    let (id, t) = (params.series()?, params.timestamp("t")?);
    Query::parse(&req)?.finish()?;
    let p = app.store.get_point(&id, t).await?.ok_or_else(|| {
        Error::NotFound(format!(
            "point at {} in series {:?}",
            time::format(t),
            id.as_str()
        ))
    })?;
    Ok(http::json_response(200, &PointView::from(p)))
}
