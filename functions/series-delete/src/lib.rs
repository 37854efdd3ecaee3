//! `DELETE /series/{series}`: delete a series and all its points (204; 404 if unknown).

use std::sync::Arc;

use tsfn_shared::http::{self, PathParams, Query};
use tsfn_shared::{App, Error, Request, Response, Result};

pub const METHOD: &str = "DELETE";
pub const PATH: &str = "/series/{series}";

pub async fn handler(app: Arc<App>, req: Request) -> Result<Response> {
    let id = PathParams::parse(&req, PATH)?.series()?;
    Query::parse(&req)?.finish()?;
    if app.store.delete_series(&id).await? {
        Ok(http::no_content())
    } else {
        Err(Error::NotFound(format!("series {:?}", id.as_str())))
    }
}
