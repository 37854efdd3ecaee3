//! `POST /series/{series}/points`: write points as a JSON array, NDJSON or CSV (`t,v` header).
//! The whole body is validated before anything is stored, so a rejected body writes nothing.
//! Creates the series when missing (201), otherwise 200. Returns how many points were written.

use std::sync::Arc;

use tsfn_shared::http::{self, PathParams, Query};
use tsfn_shared::ingest;
use tsfn_shared::{App, Request, Response, Result};

pub const METHOD: &str = "POST";
pub const PATH: &str = "/series/{series}/points";

#[derive(serde::Serialize)]
struct Written<'a> {
    series: &'a str,
    written: usize,
    created: bool,
}

pub async fn handler(app: Arc<App>, req: Request) -> Result<Response> {
    let id = PathParams::parse(&req, PATH)?.series()?;
    Query::parse(&req)?.finish()?;
    let (written, created) = ingest::write_body(
        app.store.as_ref(),
        &id,
        http::content_type(&req),
        http::body(&req),
    )
    .await?;
    let out = Written {
        series: id.as_str(),
        written,
        created,
    };
    Ok(http::json_response(if created { 201 } else { 200 }, &out))
}
