//! `DELETE /jobs/{id}`: delete a finished job and its result, or cancel a queued one (it is
//! withdrawn and never runs). Both answer 204. A running job answers 409: it belongs to its worker
//! until it finishes.

use std::sync::Arc;

use tsfn_shared::http::{self, PathParams, Query};
use tsfn_shared::jobs::{parse_id, Removal};
use tsfn_shared::{App, Error, Request, Response, Result};

pub const METHOD: &str = "DELETE";
pub const PATH: &str = "/jobs/{id}";

pub async fn handler(app: Arc<App>, req: Request) -> Result<Response> {
    let id = parse_id(PathParams::parse(&req, PATH)?.get("id")?)?;
    Query::parse(&req)?.finish()?;
    match app.store.remove_job(&id).await? {
        Removal::Deleted | Removal::Cancelled => Ok(http::no_content()),
        Removal::Running => Err(Error::Conflict(format!(
            "job {id} is running; delete it once it has finished"
        ))),
        Removal::NotFound => Err(Error::NotFound(format!("job {id}"))),
    }
}
