//! `POST /write`: InfluxDB 1.x line protocol, as InfluxDB 1.x answers it, so its clients and
//! Telegraf write to tsfn unchanged. Parameters: `db` (required; `{db}` of the series template),
//! `precision` (`n`/`ns` by default, `u`, `ms`, `s`, `m`, `h`), and `rp`, `u`, `p`, `consistency`,
//! which InfluxDB clients send and tsfn accepts (`p` may carry the API key). The body may be
//! gzip (`Content-Encoding: gzip`). 204 on success; errors as `{"error": "..."}` with tsfn's
//! status. See `tsfn_shared::lineproto` for the format and how lines name series.

use std::sync::Arc;

use tsfn_shared::http::Query;
use tsfn_shared::lineproto::{self, Api};
use tsfn_shared::{App, Request, Response, Result};

pub const METHOD: &str = "POST";
pub const PATH: &str = "/write";

pub async fn handler(app: Arc<App>, req: Request) -> Result<Response> {
    let mut q = match Query::parse(&req) {
        Ok(q) => q,
        Err(e) => return Ok(lineproto::influx_error(&e, Api::V1)),
    };
    let db = q.take("db");
    let precision = q.take("precision");
    for accepted in ["rp", "u", "p", "consistency"] {
        q.take(accepted);
    }
    if let Err(e) = q.finish() {
        return Ok(lineproto::influx_error(&e, Api::V1));
    }
    Ok(lineproto::write_request(&app, &req, Api::V1, db, precision).await)
}
