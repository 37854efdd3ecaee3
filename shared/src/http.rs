//! The HTTP contract shared by every function: request parsing helpers, JSON responses, and the
//! single mapping from [`Error`] to a status code and `{"error": {"code", "message", "field"}}`.
//!
//! Handlers have the shape `async fn(Arc<App>, Request) -> Result<Response>`; [`dispatch`] wraps
//! one with authentication, the body limit and error mapping, identically on Lambda and in
//! `tsfn serve`.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lambda_http::http::{header, HeaderValue, StatusCode};
use lambda_http::Body;
use percent_encoding::percent_decode_str;
use serde::Serialize;

use crate::app::App;
use crate::error::{Error, Result};
use crate::model::{Point, Range, SeriesId};
use crate::time;

pub type Request = lambda_http::Request;
pub type Response = lambda_http::Response<Body>;

/// Runs a handler with the rules every route shares (the body limit; the API key and rate
/// limits come before, in [`crate::edge`]) and turns any error into its JSON response.
pub async fn dispatch<F, Fut>(app: Arc<App>, req: Request, handler: F) -> Response
where
    F: FnOnce(Arc<App>, Request) -> Fut,
    Fut: Future<Output = Result<Response>>,
{
    if body(&req).len() > app.settings.max_body_bytes {
        return error_response(&Error::TooLarge {
            limit: app.settings.max_body_bytes,
        });
    }
    // `/health` and `/ping` touch no dependency, so their success says nothing about one.
    let uses_store = !matches!(req.uri().path(), "/health" | "/ping");
    match handler(app, req).await {
        Ok(r) => {
            if uses_store {
                outage_over();
            }
            r
        }
        Err(e) => error_response(&e),
    }
}

/// The key a request carries: `x-api-key`, `Authorization: Bearer KEY`, or as InfluxDB clients
/// send their token or password: `Authorization: Token KEY`, HTTP Basic with the key as the
/// password, and on the InfluxDB 1.x write route the `p` query parameter.
pub fn given_key(req: &Request) -> Option<String> {
    if let Some(k) = req.headers().get("x-api-key").and_then(|v| v.to_str().ok()) {
        return Some(k.to_owned());
    }
    if let Some(auth) = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        if let Some(k) = auth
            .strip_prefix("Bearer ")
            .or_else(|| auth.strip_prefix("Token "))
        {
            return Some(k.to_owned());
        }
        if let Some(b64) = auth.strip_prefix("Basic ") {
            use base64::Engine;
            let raw = base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .ok()?;
            let text = String::from_utf8(raw).ok()?;
            return text.split_once(':').map(|(_, pw)| pw.to_owned());
        }
    }
    if req.uri().path() == "/write" {
        return req.uri().query().and_then(|q| {
            q.split('&')
                .filter_map(|kv| kv.split_once('='))
                .find(|(k, _)| *k == "p")
                .map(|(_, v)| percent_decode_str(v).decode_utf8_lossy().into_owned())
        });
    }
    None
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorInner<'a>,
}

#[derive(Serialize)]
struct ErrorInner<'a> {
    code: &'a str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
}

/// The one mapping from domain errors to HTTP.
pub fn error_response(e: &Error) -> Response {
    match e {
        Error::Internal(detail) => {
            crate::metrics::store_error("internal");
            tracing::error!(%detail, "internal error")
        }
        Error::Unavailable(detail) => {
            crate::metrics::store_error("unavailable");
            outage_failure(detail)
        }
        _ => tracing::debug!(error = %e, "request rejected"),
    }
    let field = match e {
        Error::Invalid { field, .. } => Some(field.as_str()),
        Error::BadSignature { field, .. } => Some(*field),
        _ => None,
    };
    let body = ErrorBody {
        error: ErrorInner {
            code: e.code(),
            message: e.to_string(),
            field,
        },
    };
    let mut resp = json_response(e.status(), &body);
    // A full queue drains at the workers' pace, slower than an outage usually ends.
    let retry_after = match e {
        Error::Unavailable(_) => Some(1),
        Error::QueueFull { .. } => Some(5),
        Error::TooManyRequests { retry_after } => Some(*retry_after),
        _ => None,
    };
    if let Some(secs) = retry_after {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    if matches!(e, Error::Unauthorized) {
        resp.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    resp
}

/// At most one "still unavailable" line per this long while a dependency is down.
const OUTAGE_REPORT_EVERY: Duration = Duration::from_secs(10);

/// Whether requests are failing for an unavailable dependency: the only state a successful
/// request reads, so the common path takes no lock.
static DOWN: AtomicBool = AtomicBool::new(false);
static OUTAGE: Mutex<OutageLog> = Mutex::new(OutageLog::new());

/// A failed request (503): logged when it starts an outage, else counted, and the count logged
/// at most every [`OUTAGE_REPORT_EVERY`]. During an outage every request fails, and a line each
/// would flood the log (160,000 lines in 10 s were seen).
fn outage_failure(detail: &str) {
    tracing::debug!(%detail, "dependency unavailable");
    let line = {
        let mut log = OUTAGE.lock().unwrap();
        // Set under the lock, so it never disagrees with the log for long.
        DOWN.store(true, Ordering::Relaxed);
        log.failed(Instant::now())
    };
    match line {
        Some(Line::Down) => tracing::warn!(
            %detail,
            "dependency unavailable: requests fail with 503 (counted, not logged each)"
        ),
        Some(Line::Still { failed, down_for }) => tracing::warn!(
            %detail,
            failed,
            down_secs = down_for.as_secs(),
            "dependency still unavailable"
        ),
        _ => {}
    }
}

/// A request that succeeded with the store: ends an outage, if there was one.
fn outage_over() {
    if !DOWN.load(Ordering::Relaxed) {
        return;
    }
    let line = {
        let mut log = OUTAGE.lock().unwrap();
        DOWN.store(false, Ordering::Relaxed);
        log.succeeded(Instant::now())
    };
    if let Some(Line::Back { failed, down_for }) = line {
        tracing::info!(
            failed,
            down_secs = down_for.as_secs_f64(),
            "dependency available again"
        );
    }
}

/// What to log about an outage (the pure part of the logic above, so it can be tested).
#[derive(Debug, PartialEq)]
enum Line {
    Down,
    /// `failed` counts the outage's failed requests from its start.
    Still {
        failed: u64,
        down_for: Duration,
    },
    Back {
        failed: u64,
        down_for: Duration,
    },
}

struct OutageLog {
    down: bool,
    /// Failed requests of the current (or last) outage.
    failed: u64,
    since: Option<Instant>,
    /// The last line logged and when.
    last: Option<(LineKind, Instant)>,
}

#[derive(Clone, Copy, PartialEq)]
enum LineKind {
    Down,
    Still,
    Back,
}

impl OutageLog {
    const fn new() -> Self {
        OutageLog {
            down: false,
            failed: 0,
            since: None,
            last: None,
        }
    }

    /// A dependency that flaps (some requests fail, some succeed) must not log a pair of lines per
    /// request either: a failure soon after a "back" line resumes that outage without a line.
    fn recently_back(&self, now: Instant) -> bool {
        matches!(self.last, Some((LineKind::Back, t)) if now - t < OUTAGE_REPORT_EVERY)
    }

    fn failed(&mut self, now: Instant) -> Option<Line> {
        if !self.down {
            self.down = true;
            if self.recently_back(now) {
                self.failed += 1;
                return None;
            }
            self.failed = 1;
            self.since = Some(now);
            self.last = Some((LineKind::Down, now));
            return Some(Line::Down);
        }
        self.failed += 1;
        let last = self.last.map_or(now, |(_, t)| t);
        if now - last < OUTAGE_REPORT_EVERY {
            return None;
        }
        self.last = Some((LineKind::Still, now));
        Some(Line::Still {
            failed: self.failed,
            down_for: now - self.since.unwrap_or(now),
        })
    }

    fn succeeded(&mut self, now: Instant) -> Option<Line> {
        if !self.down {
            return None;
        }
        self.down = false;
        if self.recently_back(now) {
            return None;
        }
        self.last = Some((LineKind::Back, now));
        Some(Line::Back {
            failed: self.failed,
            down_for: now - self.since.unwrap_or(now),
        })
    }
}

/// A JSON response from a serializable value.
pub fn json_response<T: Serialize + ?Sized>(status: u16, value: &T) -> Response {
    let bytes = serde_json::to_vec(value).expect("response types serialize");
    raw_json(status, bytes)
}

/// A JSON response from bytes already holding JSON.
pub fn raw_json(status: u16, bytes: Vec<u8>) -> Response {
    let mut r = Response::new(Body::Text(String::from_utf8(bytes).expect("JSON is UTF-8")));
    *r.status_mut() = StatusCode::from_u16(status).expect("valid status");
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// An empty `204 No Content`.
pub fn no_content() -> Response {
    let mut r = Response::new(Body::Empty);
    *r.status_mut() = StatusCode::NO_CONTENT;
    r
}

/// The request body as bytes (API Gateway may deliver text or base64-decoded binary).
pub fn body(req: &Request) -> &[u8] {
    match req.body() {
        Body::Empty => &[],
        Body::Text(s) => s.as_bytes(),
        Body::Binary(b) => b,
        _ => &[],
    }
}

pub fn content_type(req: &Request) -> Option<&str> {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
}

/// Parses a JSON object body into `T`, naming the offending field on error (see [`crate::json`]).
pub fn json_body<'a, T: serde::Deserialize<'a>>(req: &'a Request) -> Result<T> {
    crate::json::object(body(req))
}

/// The one path matcher, shared by `tsfn serve`'s router (`tsfn/src/routes.rs`) and every
/// handler's [`PathParams`], so a path means the same route on either host. A route template
/// (`/series/{series}/points`) is compared segment by segment with the request path, `{name}`
/// matching any one segment; slashes at either end are ignored (`/series/` is `/series`).
///
/// The template is matched against the *end* of the path: on API Gateway a stage or base path may
/// come first (`/prod/series/co2`), and those leading segments are counted in
/// [`PathMatch::prefix`]. The host's router accepts only `prefix == 0`, the route itself.
pub fn match_path<'t, 'p>(template: &'t str, path: &'p str) -> Option<PathMatch<'t, 'p>> {
    let prefix = segments(path)
        .count()
        .checked_sub(segments(template).count())?;
    segments(template)
        .zip(segments(path).skip(prefix))
        .all(|(t, p)| param_name(t).is_some() || t == p)
        .then_some(PathMatch {
            prefix,
            template,
            path,
        })
}

/// A path that [`match_path`] matched to a template.
#[derive(Debug)]
pub struct PathMatch<'t, 'p> {
    /// Segments in front of the template's (a stage or base path); 0 for the route itself.
    pub prefix: usize,
    template: &'t str,
    path: &'p str,
}

impl<'t, 'p> PathMatch<'t, 'p> {
    /// The template's `{name}` segments with their raw (still percent-encoded) values, in order.
    pub fn params(&self) -> impl Iterator<Item = (&'t str, &'p str)> {
        segments(self.template)
            .zip(segments(self.path).skip(self.prefix))
            .filter_map(|(t, p)| param_name(t).map(|name| (name, p)))
    }
}

fn segments(path: &str) -> std::str::Split<'_, char> {
    path.trim_start_matches('/')
        .trim_end_matches('/')
        .split('/')
}

fn param_name(segment: &str) -> Option<&str> {
    segment.strip_prefix('{')?.strip_suffix('}')
}

/// Path parameters of a request, by [`match_path`] against the handler's route template (so a
/// stage prefix in front does not matter). Values are percent-decoded.
pub struct PathParams {
    values: Vec<(&'static str, String)>,
}

impl PathParams {
    pub fn parse(req: &Request, template: &'static str) -> Result<Self> {
        let m = match_path(template, req.uri().path()).ok_or(Error::NoRoute)?;
        let values = m
            .params()
            .map(|(name, raw)| {
                percent_decode_str(raw)
                    .decode_utf8()
                    .map(|v| (name, v.into_owned()))
                    .map_err(|_| Error::invalid(name, "path segment is not valid UTF-8"))
            })
            .collect::<Result<_>>()?;
        Ok(PathParams { values })
    }

    pub fn get(&self, name: &str) -> Result<&str> {
        self.values
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
            .ok_or_else(|| Error::Internal(format!("route has no path parameter {name}")))
    }

    pub fn series(&self) -> Result<SeriesId> {
        SeriesId::parse(self.get("series")?)
    }

    pub fn timestamp(&self, name: &str) -> Result<i64> {
        time::parse(self.get(name)?).map_err(|m| Error::invalid(name, m))
    }
}

/// Query parameters. Every parameter must be consumed: [`Query::finish`] rejects unknown ones,
/// so a typo such as `limt=10` is a 400 rather than silently ignored.
pub struct Query {
    params: Vec<(String, String)>,
}

impl Query {
    pub fn parse(req: &Request) -> Result<Self> {
        Self::parse_repeating(req, &[])
    }

    /// Like [`Query::parse`], but the parameters named in `repeatable` may be given more than
    /// once (read them with [`Query::take_all`]); any other given twice is still a 400.
    pub fn parse_repeating(req: &Request, repeatable: &[&str]) -> Result<Self> {
        let mut params: Vec<(String, String)> = Vec::new();
        for pair in req
            .uri()
            .query()
            .unwrap_or("")
            .split('&')
            .filter(|p| !p.is_empty())
        {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let dec = |s: &str| {
                percent_decode_str(&s.replace('+', " "))
                    .decode_utf8()
                    .map(|c| c.into_owned())
                    .map_err(|_| Error::invalid("query", "query string is not valid UTF-8"))
            };
            let (k, v) = (dec(k)?, dec(v)?);
            if !repeatable.contains(&k.as_str()) && params.iter().any(|(n, _)| *n == k) {
                return Err(Error::invalid(k, "parameter given more than once"));
            }
            params.push((k, v));
        }
        Ok(Query { params })
    }

    /// Every value of a repeatable parameter, in the order given.
    pub fn take_all(&mut self, name: &str) -> Vec<String> {
        let mut out = Vec::new();
        self.params.retain(|(k, v)| {
            if k == name {
                out.push(v.clone());
                false
            } else {
                true
            }
        });
        out
    }

    pub fn take(&mut self, name: &str) -> Option<String> {
        let i = self.params.iter().position(|(k, _)| k == name)?;
        Some(self.params.swap_remove(i).1)
    }

    pub fn timestamp(&mut self, name: &str) -> Result<Option<i64>> {
        self.take(name)
            .map(|v| time::parse(&v).map_err(|m| Error::invalid(name, m)))
            .transpose()
    }

    /// `from` and `to` as a half-open range.
    pub fn range(&mut self) -> Result<Range> {
        let from = self.timestamp("from")?;
        let to = self.timestamp("to")?;
        Range::new(from, to)
    }

    pub fn usize_in(&mut self, name: &str, default: usize, max: usize) -> Result<usize> {
        match self.take(name) {
            None => Ok(default),
            Some(v) => match v.parse::<usize>() {
                Ok(n) if (1..=max).contains(&n) => Ok(n),
                _ => Err(Error::invalid(
                    name,
                    format!("must be an integer from 1 to {max}, got {v:?}"),
                )),
            },
        }
    }

    /// Fails on any parameter no one took.
    pub fn finish(self) -> Result<()> {
        match self.params.first() {
            None => Ok(()),
            Some((k, _)) => Err(Error::invalid(
                k.clone(),
                format!("unknown query parameter {k:?}"),
            )),
        }
    }
}

/// Appends a JSON array of points `[{"t":"...","v":...},...]` without intermediate values.
pub fn write_points_json(out: &mut Vec<u8>, points: &[Point]) {
    out.reserve(points.len() * 48);
    out.push(b'[');
    let mut num = ryu::Buffer::new();
    for (i, p) in points.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"t\":\"");
        time::write_rfc3339(out, p.t);
        out.extend_from_slice(b"\",\"v\":");
        write_value(out, &mut num, p.v, b"null");
        out.push(b'}');
    }
    out.push(b']');
}

/// A value as JSON and CSV write it, or `none` when it is not finite: stored values always
/// are, but an aggregate of values near the largest double can overflow (the mean of a bucket
/// holding 1.7e308 twice), and no number may stand for it.
pub fn write_value(out: &mut Vec<u8>, num: &mut ryu::Buffer, v: f64, none: &[u8]) {
    if v.is_finite() {
        out.extend_from_slice(num.format_finite(v).as_bytes());
    } else {
        out.extend_from_slice(none);
    }
}

/// Appends points as CSV rows `t,v` (RFC 3339 time, the value's shortest exact form, as in
/// JSON), each ended by a newline; what `POST .../points` reads back as CSV.
pub fn write_points_csv(out: &mut Vec<u8>, points: &[Point]) {
    out.reserve(points.len() * 40);
    let mut num = ryu::Buffer::new();
    for p in points {
        time::write_rfc3339(out, p.t);
        out.push(b',');
        write_value(out, &mut num, p.v, b"");
        out.push(b'\n');
    }
}

/// Whether a read answers in CSV: `format=csv` (or `json`), else an `Accept` naming
/// `text/csv` before any JSON type.
pub fn wants_csv(req: &Request, format: Option<&str>) -> Result<bool> {
    match format {
        Some("csv") => return Ok(true),
        Some("json") => return Ok(false),
        Some(other) => {
            return Err(Error::invalid(
                "format",
                format!("format must be json or csv, got {other:?}"),
            ))
        }
        None => {}
    }
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let pos = |needle: &str| accept.find(needle);
    Ok(match (pos("text/csv"), pos("json")) {
        (Some(c), Some(j)) => c < j,
        (Some(_), None) => true,
        _ => false,
    })
}

/// A CSV response (`text/csv`), with the next page's cursor, if any, in `x-next-cursor`.
pub fn csv_response(body: Vec<u8>, next_cursor: Option<String>) -> Response {
    let mut r = Response::new(Body::Binary(body));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Some(c) = next_cursor {
        r.headers_mut().insert(
            "x-next-cursor",
            HeaderValue::from_str(&c).expect("a cursor is URL-safe base64"),
        );
    }
    r
}

/// Appends a JSON string (with escaping) to `out`.
pub fn write_json_str(out: &mut Vec<u8>, s: &str) {
    serde_json::to_writer(&mut *out, s).expect("writing to a Vec cannot fail");
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An aggregate that overflowed is null (JSON) or an empty cell (CSV), never a number.
    #[test]
    fn values_that_are_not_finite_are_not_numbers() {
        let pts = [
            Point {
                t: 0,
                v: f64::INFINITY,
            },
            Point { t: 1, v: 2.5 },
        ];
        let mut json = Vec::new();
        write_points_json(&mut json, &pts);
        assert_eq!(
            String::from_utf8(json).unwrap(),
            r#"[{"t":"1970-01-01T00:00:00.000Z","v":null},{"t":"1970-01-01T00:00:00.001Z","v":2.5}]"#
        );
        let mut csv = Vec::new();
        write_points_csv(&mut csv, &pts);
        assert_eq!(
            String::from_utf8(csv).unwrap(),
            "1970-01-01T00:00:00.000Z,\n1970-01-01T00:00:00.001Z,2.5\n"
        );
    }

    #[test]
    fn paths_match_templates_from_the_end() {
        let m = match_path("/series/{series}/points", "/series/co2/points/").unwrap();
        assert_eq!(m.prefix, 0);
        assert_eq!(m.params().collect::<Vec<_>>(), [("series", "co2")]);
        let m = match_path("/series/{series}/points/{t}", "/prod/series/a%20b/points/1").unwrap();
        assert_eq!(m.prefix, 1);
        assert_eq!(
            m.params().collect::<Vec<_>>(),
            [("series", "a%20b"), ("t", "1")]
        );
        assert!(match_path("/series/{series}/points", "/series/co2").is_none());
        assert!(match_path("/series/{series}", "/series/co2/points").is_none());
        assert!(match_path("/health", "/").is_none());
        assert_eq!(match_path("/series", "//series//").unwrap().prefix, 0);
    }

    #[test]
    fn an_outage_logs_its_start_a_count_every_interval_and_its_end() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let mut log = OutageLog::new();
        assert_eq!(log.succeeded(at(0)), None);
        assert_eq!(log.failed(at(0)), Some(Line::Down));
        // Thousands of failures within the interval: no line.
        for i in 1..5000 {
            assert_eq!(log.failed(at(i)), None);
        }
        assert_eq!(
            log.failed(at(10_000)),
            Some(Line::Still {
                failed: 5001,
                down_for: Duration::from_secs(10)
            })
        );
        assert_eq!(log.failed(at(15_000)), None);
        assert_eq!(
            log.succeeded(at(16_000)),
            Some(Line::Back {
                failed: 5002,
                down_for: Duration::from_secs(16)
            })
        );
        assert_eq!(log.succeeded(at(16_001)), None);
        // A new outage long after starts a new count.
        assert_eq!(log.failed(at(60_000)), Some(Line::Down));
        assert_eq!(
            log.succeeded(at(61_000)),
            Some(Line::Back {
                failed: 1,
                down_for: Duration::from_secs(1)
            })
        );
    }

    #[test]
    fn a_flapping_dependency_logs_at_most_a_line_per_interval() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let mut log = OutageLog::new();
        let mut lines = Vec::new();
        // Every other request fails, for 25 s.
        for i in 0..25_000 {
            let line = if i % 2 == 0 {
                log.failed(at(i))
            } else {
                log.succeeded(at(i))
            };
            lines.extend(line);
        }
        // The start, its first end, then a line per 10 s at most.
        assert!(lines.len() <= 4, "{lines:?}");
        assert_eq!(lines[0], Line::Down);
        assert!(
            matches!(lines[1], Line::Back { failed: 1, .. }),
            "{lines:?}"
        );
        // The failures in between are counted, not lost: 10,001 by 20 s.
        assert!(
            matches!(lines.last(), Some(Line::Back { failed: 10_001, .. })),
            "{lines:?}"
        );
    }
}
