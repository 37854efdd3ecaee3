//! The ingest-s3 function: files of points put into an S3 bucket, ingested on their
//! ObjectCreated events. The object is streamed (CSV with the header `t,v`, NDJSON of
//! `{"t","v"}` objects, or InfluxDB line protocol; gzip by `Content-Encoding`, a `.gz` suffix or
//! its magic bytes), never held whole in memory, and its points written in batches of
//! `TSFN_INGEST_BATCH` per series (`tsfn_shared::bulk`). The series of a CSV or NDJSON file
//! comes from its key by `TSFN_INGEST_PATTERN` (default `incoming/{series}/*`); line protocol
//! names its own series (`TSFN_LINE_TEMPLATE`, with `TSFN_INGEST_DB` as `{db}`).
//!
//! All or nothing per file: the object is read twice, first to check every line, then (the same
//! version, by its ETag) to write. A bad file writes nothing; it is logged with its bucket, key
//! and line, and reported beside it as the object `KEY.error.json`, which a later good upload
//! of the same key removes. Keys ending in `.error.json` are never ingested.

pub use aws_lambda_events::event::s3::S3Event;
use aws_lambda_events::event::s3::S3EventRecord;
use aws_sdk_s3::Client;
use serde::Serialize;
use tokio::io::AsyncBufRead;
use tsfn_shared::bulk::{self, FileFormat, Mode, Options};
use tsfn_shared::lineproto::Precision;
use tsfn_shared::model::SeriesId;
use tsfn_shared::{App, Error};

/// The suffix of the report written beside a refused object.
pub const ERROR_SUFFIX: &str = ".error.json";

/// An S3 client on the configuration of every AWS client of tsfn (`tsfn_shared::aws`);
/// path-style addressing when an endpoint is set (`AWS_ENDPOINT_URL`, such as a local S3
/// emulator without bucket host names).
pub async fn client() -> Client {
    let config = tsfn_shared::aws::config(None).await;
    let s3 = aws_sdk_s3::config::Builder::from(&config)
        .force_path_style(config.endpoint_url().is_some())
        .build();
    Client::from_conf(s3)
}

#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub ingested: Vec<Ingested>,
    pub rejected: Vec<Rejected>,
    /// Keys not ingested by design (the error reports).
    pub skipped: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Ingested {
    pub bucket: String,
    pub key: String,
    pub lines: usize,
    pub points: usize,
    pub series: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Rejected {
    pub bucket: String,
    pub key: String,
    /// `line N`, `series`, or `body`.
    pub field: Option<String>,
    pub error: String,
    /// Where the report was written.
    pub report: String,
}

/// Handles an S3 event. A refused file is reported, not an error (retrying cannot fix it); a
/// store or S3 failure is, so Lambda retries the event (rewriting points is idempotent).
pub async fn handle(app: &App, s3: &Client, event: S3Event) -> Result<Report, Error> {
    let mut report = Report::default();
    for record in event.records {
        let (bucket, key) = names(&record)?;
        if key.ends_with(ERROR_SUFFIX) {
            report.skipped.push(key);
            continue;
        }
        match ingest(app, s3, &bucket, &key).await {
            Ok(s) => {
                tracing::info!(bucket = %bucket, key = %key, points = s.points, series = ?s.series, "ingest-s3: ingested");
                // A report left by an earlier, bad upload of this key no longer holds.
                s3.delete_object()
                    .bucket(&bucket)
                    .key(format!("{key}{ERROR_SUFFIX}"))
                    .send()
                    .await
                    .map_err(|e| unavailable(&bucket, &key, e))?;
                report.ingested.push(Ingested {
                    bucket,
                    key,
                    lines: s.lines,
                    points: s.points,
                    series: s.series,
                });
            }
            Err(Error::Invalid { field, message }) => {
                let error = Error::Invalid {
                    field: field.clone(),
                    message,
                }
                .to_string();
                tracing::error!(bucket = %bucket, key = %key, field = %field, error = %error, "ingest-s3: file refused, nothing written");
                let at = format!("{key}{ERROR_SUFFIX}");
                let body = serde_json::json!({
                    "bucket": bucket,
                    "key": key,
                    "field": field,
                    "error": error,
                    "at": tsfn_shared::time::format(tsfn_shared::time::now_ms()),
                });
                s3.put_object()
                    .bucket(&bucket)
                    .key(&at)
                    .content_type("application/json")
                    .body(serde_json::to_vec_pretty(&body).expect("JSON").into())
                    .send()
                    .await
                    .map_err(|e| unavailable(&bucket, &at, e))?;
                report.rejected.push(Rejected {
                    bucket,
                    key,
                    field: Some(field),
                    error,
                    report: at,
                });
            }
            Err(e) => {
                tracing::error!(bucket = %bucket, key = %key, error = %e, "ingest-s3: failed, to be retried");
                return Err(e);
            }
        }
    }
    Ok(report)
}

/// The bucket and the key (S3 events carry keys URL-encoded, spaces as `+`).
fn names(record: &S3EventRecord) -> Result<(String, String), Error> {
    let bucket = record.s3.bucket.name.clone().unwrap_or_default();
    let raw = record.s3.object.key.clone().unwrap_or_default();
    let key = percent_encoding::percent_decode_str(&raw.replace('+', " "))
        .decode_utf8()
        .map_err(|_| Error::invalid("key", format!("the key {raw:?} is not UTF-8")))?
        .into_owned();
    if bucket.is_empty() || key.is_empty() {
        return Err(Error::invalid(
            "Records",
            "an S3 record without bucket or key",
        ));
    }
    Ok((bucket, key))
}

fn unavailable(bucket: &str, key: &str, e: impl std::fmt::Debug) -> Error {
    Error::Unavailable(format!("s3://{bucket}/{key}: {e:?}"))
}

/// The object's content, inflated when gzip, and its format.
async fn open(
    s3: &Client,
    bucket: &str,
    key: &str,
    etag: Option<&str>,
) -> Result<
    (
        Box<dyn AsyncBufRead + Unpin + Send>,
        FileFormat,
        Option<String>,
    ),
    Error,
> {
    let out = s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .set_if_match(etag.map(str::to_owned))
        .send()
        .await
        .map_err(|e| unavailable(bucket, key, e))?;
    let gzip = key.to_ascii_lowercase().ends_with(".gz")
        || out
            .content_encoding()
            .is_some_and(|c| c.trim().eq_ignore_ascii_case("gzip"));
    let name_format = FileFormat::from_name(key)
        .or_else(|| out.content_type().and_then(FileFormat::from_content_type));
    let etag = out.e_tag().map(str::to_owned);
    let mut r = bulk::decode(out.body.into_async_read(), gzip)
        .await
        .map_err(|e| unavailable(bucket, key, e))?;
    let format = match name_format {
        Some(f) => f,
        None => FileFormat::sniff(&bulk::peek(&mut r).await?)?,
    };
    Ok((r, format, etag))
}

async fn ingest(app: &App, s3: &Client, bucket: &str, key: &str) -> Result<bulk::Summary, Error> {
    let (mut r, format, etag) = open(s3, bucket, key, None).await?;
    let series = match format {
        FileFormat::LineProtocol => None,
        _ => {
            let s = app.settings.ingest_pattern.series(key).ok_or_else(|| {
                Error::invalid(
                    "series",
                    "the key does not match TSFN_INGEST_PATTERN, which names the series of a \
                     CSV or NDJSON file",
                )
            })?;
            Some(SeriesId::parse(&s).map_err(|e| {
                Error::invalid("series", format!("the series {s:?} from the key: {e}"))
            })?)
        }
    };
    let opts = Options {
        series,
        db: &app.settings.ingest_db,
        template: &app.settings.line_template,
        precision: Precision::Ns,
        now: tsfn_shared::time::now_ms(),
        batch: app.settings.ingest_batch,
    };
    bulk::run(&mut r, format, &opts, Mode::Validate).await?;
    drop(r);
    // The same version again: an object replaced in between is not half checked.
    let (mut r, _, _) = open(s3, bucket, key, etag.as_deref()).await?;
    bulk::run(&mut r, format, &opts, Mode::Write(app.store.as_ref())).await
}
