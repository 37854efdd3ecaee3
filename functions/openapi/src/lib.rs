//! `GET /openapi.json`: the OpenAPI 3.1 document of the whole API
//! ([`tsfn_shared::openapi`]), which `GET /docs` renders for people and clients can be generated
//! from. Open without the API key, like the console: it describes the API and holds no data.
//! Touches no store.

use std::sync::{Arc, OnceLock};

use lambda_http::http::{header, HeaderValue};
use tsfn_shared::http::{self, Query};
use tsfn_shared::{App, Request, Response, Result};

pub const METHOD: &str = "GET";
pub const PATH: &str = "/openapi.json";

pub async fn handler(_app: Arc<App>, req: Request) -> Result<Response> {
    Query::parse(&req)?.finish()?;
    // Built once per process: it depends only on the code.
    static DOC: OnceLock<Vec<u8>> = OnceLock::new();
    let doc = DOC.get_or_init(tsfn_shared::openapi::to_json);
    let mut resp = http::raw_json(200, doc.clone());
    // The same release always serves the same document; a new one is picked up at once.
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(resp)
}
