//! `DELETE /series/{series}/points?from=&to=`: delete the points of `[from, to)` and return how
//! many. At least one bound is required; to delete everything, delete the series.

use std::sync::Arc;

use tsfn_shared::http::{self, PathParams, Query};
use tsfn_shared::{App, Error, Request, Response, Result};

pub const METHOD: &str = "DELETE";
pub const PATH: &str = "/series/{series}/points";

#[derive(serde::Serialize)]
struct Deleted<'a> {
    series: &'a str,
    deleted: u64,
}

pub async fn handler(app: Arc<App>, req: Request) -> Result<Response> {
    let id = PathParams::parse(&req, PATH)?.series()?;
    let mut q = Query::parse(&req)?;
    let range = q.range()?;
    q.finish()?;
    if range.from.is_none() && range.to.is_none() {
        return Err(Error::invalid(
            "from",
            "give `from` and/or `to` to delete a range (DELETE /series/{series} removes everything)",
        ));
    }
    let deleted = app.store.delete_points(&id, range).await?;
    Ok(http::json_response(
        200,
        &Deleted {
            series: id.as_str(),
            deleted,
        },
    ))
}
