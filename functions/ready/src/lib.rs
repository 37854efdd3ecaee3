//! `GET /ready`: readiness. 200 when the store answers and can write, 503 with the reason when not.

use std::sync::Arc;

use tsfn_shared::{http, App, Request, Response, Result};

pub const METHOD: &str = "GET";
pub const PATH: &str = "/ready";

pub async fn handler(app: Arc<App>, _req: Request) -> Result<Response> {
    app.store.ping().await?;
    Ok(http::json_response(
        200,
        &serde_json::json!({ "status": "ready", "store": app.store.backend() }),
    ))
}
