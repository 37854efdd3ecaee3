//! `GET /jobs/kinds`: every job kind with what it does, how many series it takes and its params
//! (type, choices, bounds, whether required, and the default a job records), as data: what the
//! console builds its job forms from. Touches no store.

use std::sync::Arc;

use tsfn_shared::http::{self, Query};
use tsfn_shared::jobs::kinds;
use tsfn_shared::{App, Request, Response, Result};

pub const METHOD: &str = "GET";
pub const PATH: &str = "/jobs/kinds";

pub async fn handler(_app: Arc<App>, req: Request) -> Result<Response> {
    Query::parse(&req)?.finish()?;
    #[derive(serde::Serialize)]
    struct Kinds {
        kinds: Vec<kinds::KindInfo>,
    }
    // Serialized from the structs, so each kind reads in field order (kind, description, ...).
    Ok(http::json_response(
        200,
        &Kinds {
            kinds: kinds::catalogue(),
        },
    ))
}
