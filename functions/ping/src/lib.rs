//! `GET /ping`: the probe InfluxDB's clients call (`ping()` in the 1.x and 2.x libraries): 204
//! with the version headers they read. Touches no dependency, like `/health`.

use std::sync::Arc;

use lambda_http::http::HeaderValue;
use tsfn_shared::{http, App, Request, Response, Result};

pub const METHOD: &str = "GET";
pub const PATH: &str = "/ping";

pub async fn handler(_app: Arc<App>, _req: Request) -> Result<Response> {
    let mut r = http::no_content();
    let version = concat!("tsfn-", env!("CARGO_PKG_VERSION"));
    r.headers_mut()
        .insert("x-influxdb-version", HeaderValue::from_static(version));
    r.headers_mut()
        .insert("x-influxdb-build", HeaderValue::from_static("tsfn"));
    Ok(r)
}
