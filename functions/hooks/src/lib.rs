//! `POST /hooks/{source}?series=ID`: points pushed by another service, in any body
//! `POST /series/{series}/points` accepts (JSON array, NDJSON, CSV), signed by the source with
//! its secret from `TSFN_HOOK_SECRETS` (`X-Hub-Signature-256: sha256=HEX`, the HMAC-SHA256 of the
//! raw body, or of `"{ts}.{body}"` with `X-Tsfn-Timestamp: ts`, then at most five minutes old).
//! Authenticated by that signature, not by an API key. An unknown source is a 404, a missing,
//! wrong or stale signature a 401, both checked before anything else is looked at; the whole
//! body is then validated before anything is stored, so every refused request writes nothing.

use std::sync::Arc;

use tsfn_shared::app::now_ms;
use tsfn_shared::hooks::{self, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use tsfn_shared::http::{self, PathParams, Query};
use tsfn_shared::ingest;
use tsfn_shared::model::SeriesId;
use tsfn_shared::{App, Error, Request, Response, Result};

pub const METHOD: &str = "POST";
pub const PATH: &str = "/hooks/{source}";

#[derive(serde::Serialize)]
struct Written<'a> {
    source: &'a str,
    series: &'a str,
    written: usize,
    created: bool,
}

pub async fn handler(app: Arc<App>, req: Request) -> Result<Response> {
    let params = PathParams::parse(&req, PATH)?;
    let source = params.get("source")?;
    let secret = app
        .settings
        .hook_secrets
        .as_ref()
        .and_then(|h| h.secret(source))
        .ok_or_else(|| Error::NotFound(format!("hook source {source:?}")))?;
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    let body = http::body(&req);
    hooks::verify(
        secret,
        header(SIGNATURE_HEADER),
        header(TIMESTAMP_HEADER),
        body,
        now_ms().div_euclid(1000),
    )?;
    let mut query = Query::parse(&req)?;
    let series = query.take("series").ok_or_else(|| {
        Error::invalid(
            "series",
            "missing query parameter `series`: the series the points go to",
        )
    })?;
    query.finish()?;
    let id = SeriesId::parse(&series).map_err(|e| match e {
        Error::Invalid { message, .. } => Error::invalid("series", message),
        other => other,
    })?;
    let (written, created) =
        ingest::write_body(app.store.as_ref(), &id, http::content_type(&req), body).await?;
    let out = Written {
        source,
        series: id.as_str(),
        written,
        created,
    };
    Ok(http::json_response(if created { 201 } else { 200 }, &out))
}
