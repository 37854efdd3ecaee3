//! `POST /api/v2/write`: InfluxDB 2.x line protocol, as InfluxDB 2.x answers it, so its client
//! libraries (and Telegraf's `influxdb_v2` output) write to tsfn unchanged. Parameters: `bucket`
//! (required; `{db}` or `{bucket}` of the series template), `precision` (`ns` by default, `us`,
//! `ms`, `s`), and `org`/`orgID`, accepted and not used (tsfn has no organisations). The token
//! is the API key (`Authorization: Token KEY`). The body may be gzip. 204 on success; errors as
//! `{"code": "...", "message": "..."}` with tsfn's status.

use std::sync::Arc;

use tsfn_shared::http::Query;
use tsfn_shared::lineproto::{self, Api};
use tsfn_shared::{App, Request, Response, Result};

pub const METHOD: &str = "POST";
pub const PATH: &str = "/api/v2/write";

pub async fn handler(app: Arc<App>, req: Request) -> Result<Response> {
    let mut q = match Query::parse(&req) {
        Ok(q) => q,
        Err(e) => return Ok(lineproto::influx_error(&e, Api::V2)),
    };
    let bucket = q.take("bucket");
    let precision = q.take("precision");
    for accepted in ["org", "orgID"] {
        q.take(accepted);
    }
    if let Err(e) = q.finish() {
        return Ok(lineproto::influx_error(&e, Api::V2));
    }
    Ok(lineproto::write_request(&app, &req, Api::V2, bucket, precision).await)
}
