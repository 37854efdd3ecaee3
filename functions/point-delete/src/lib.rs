//! `DELETE /series/{series}/points/{t}`: delete one point (204; 404 if there is none).

use std::sync::Arc;

use tsfn_shared::http::{self, PathParams, Query};
use tsfn_shared::model::Range;
use tsfn_shared::{time, App, Error, Request, Response, Result};

pub const METHOD: &str = "DELETE";
pub const PATH: &str = "/series/{series}/points/{t}";

pub async fn handler(app: Arc<App>, req: Request) -> Result<Response> {
    let params = PathParams::parse(&req, PATH)?;
    let (id, t) = (params.series()?, params.timestamp("t")?);
    Query::parse(&req)?.finish()?;
    let range = Range {
        from: Some(t),
        to: Some(t + 1),
    };
    match app.store.delete_points(&id, range).await? {
        0 => Err(Error::NotFound(format!(
            "point at {} in series {:?}",
            time::format(t),
            id.as_str()
        ))),
        _ => Ok(http::no_content()),
    }
}
