//! `GET /health`: liveness. Answers 200 while the process can serve; touches no dependency.

use std::sync::Arc;

use tsfn_shared::{http, App, Request, Response, Result};

pub const METHOD: &str = "GET";
pub const PATH: &str = "/health";

pub async fn handler(_app: Arc<App>, _req: Request) -> Result<Response> {
    Ok(http::json_response(
        200,
        &serde_json::json!({ "status": "ok" }),
    ))
}
