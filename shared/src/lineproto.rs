//! InfluxDB line protocol, as the write routes of InfluxDB 1.x (`POST /write`) and 2.x
//! (`POST /api/v2/write`) take it, parsed into tsfn series.
//!
//! `measurement[,tag=value...] field=value[,field=value...] [timestamp]`, one point per line and
//! field; blank lines and lines starting with `#` are skipped. Escapes as the reference defines
//! them: `\,` and `\ ` in measurements, `\,` `\=` `\ ` in tag keys, tag values and field keys,
//! `\"` and `\\` inside string values. Float, integer (`1i`), unsigned (`1u`) and boolean fields
//! become doubles (true 1, false 0); an integer beyond 2^53 has no exact double and is refused,
//! as are string fields. A line without a timestamp takes the server's time; timestamps are
//! floored to the millisecond.
//!
//! Each field of a line becomes a point of the series the [`Template`] names, by default
//! `{db}.{measurement}.{field}` (lowercased; characters a series id cannot hold become `_`),
//! with the tags as the series' labels. Lines whose tags differ must not meet in one series: a
//! body where they do is refused, naming the line, since the template would merge two InfluxDB
//! series into one (put the tag in the template, as in `{db}.{measurement}.{tag:host}.{field}`).
//!
//! Like every point write, the whole body is parsed and checked before anything is stored.

use std::collections::{BTreeMap, HashMap};

use crate::error::{Error, Result};
use crate::model::{Point, SeriesId};
use crate::time;

/// The unit of a body's timestamps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    Ns,
    Us,
    Ms,
    S,
    M,
    H,
}

impl Precision {
    /// `precision` of InfluxDB 1.x (`n`/`ns`, `u`/`us`, `ms`, `s`, `m`, `h`) and 2.x (`ns`,
    /// `us`, `ms`, `s`); nanoseconds when absent.
    pub fn parse(s: Option<&str>) -> Result<Self> {
        Ok(match s.unwrap_or("ns") {
            "n" | "ns" => Precision::Ns,
            "u" | "us" | "µ" | "µs" => Precision::Us,
            "ms" => Precision::Ms,
            "s" => Precision::S,
            "m" => Precision::M,
            "h" => Precision::H,
            other => {
                return Err(Error::invalid(
                    "precision",
                    format!("unknown precision {other:?}: use ns, us, ms, s, m or h"),
                ))
            }
        })
    }

    /// Milliseconds, floored (a nanosecond before the epoch is the millisecond before it).
    fn to_ms(self, n: i64) -> Option<i64> {
        match self {
            Precision::Ns => Some(n.div_euclid(1_000_000)),
            Precision::Us => Some(n.div_euclid(1_000)),
            Precision::Ms => Some(n),
            Precision::S => n.checked_mul(1_000),
            Precision::M => n.checked_mul(60_000),
            Precision::H => n.checked_mul(3_600_000),
        }
    }
}

/// How a line's database, measurement, tags and field name a tsfn series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Db,
    Measurement,
    Field,
    Tag(String),
}

/// The template used unless `TSFN_LINE_TEMPLATE` names another.
pub const DEFAULT_TEMPLATE: &str = "{db}.{measurement}.{field}";

impl Template {
    /// Parses `{db}`, `{measurement}`, `{field}` and `{tag:KEY}` between literal text; it must
    /// hold `{field}` (the fields of one line are different series).
    pub fn parse(s: &str) -> std::result::Result<Self, String> {
        let mut parts = Vec::new();
        let mut rest = s;
        while !rest.is_empty() {
            match rest.find('{') {
                Some(0) => {
                    let end = rest
                        .find('}')
                        .ok_or_else(|| format!("template {s:?}: a '{{' is not closed"))?;
                    let name = &rest[1..end];
                    parts.push(match name {
                        "db" | "bucket" => Part::Db,
                        "measurement" => Part::Measurement,
                        "field" => Part::Field,
                        _ => match name.strip_prefix("tag:") {
                            Some(k) if !k.is_empty() => Part::Tag(k.to_owned()),
                            _ => {
                                return Err(format!(
                                    "template {s:?}: unknown {{{name}}}; use {{db}}, \
                                     {{measurement}}, {{field}} or {{tag:KEY}}"
                                ))
                            }
                        },
                    });
                    rest = &rest[end + 1..];
                }
                Some(i) => {
                    parts.push(Part::Text(rest[..i].to_owned()));
                    rest = &rest[i..];
                }
                None => {
                    parts.push(Part::Text(rest.to_owned()));
                    rest = "";
                }
            }
        }
        if !parts.contains(&Part::Field) {
            return Err(format!(
                "template {s:?} must hold {{field}}: each field of a line is a series of its own"
            ));
        }
        Ok(Template { parts })
    }

    /// The series id for a line: the parts filled in, lowercased, with characters an id cannot
    /// hold replaced by `_`.
    fn id(
        &self,
        db: &str,
        measurement: &str,
        tags: &BTreeMap<String, String>,
        field: &str,
    ) -> std::result::Result<SeriesId, String> {
        let mut raw = String::new();
        for p in &self.parts {
            match p {
                Part::Text(t) => raw.push_str(t),
                Part::Db => raw.push_str(db),
                Part::Measurement => raw.push_str(measurement),
                Part::Field => raw.push_str(field),
                Part::Tag(k) => match tags.get(k) {
                    Some(v) => raw.push_str(v),
                    None => return Err(format!("it has no tag {k:?}, which the template uses")),
                },
            }
        }
        let id: String = raw
            .chars()
            .map(|c| match c.to_ascii_lowercase() {
                c @ ('a'..='z' | '0'..='9' | '_' | '.' | '-') => c,
                _ => '_',
            })
            .collect();
        SeriesId::parse(&id).map_err(|_| {
            format!("it names the series {id:?}, which is not a valid series id (1-128 characters, starting with a letter or digit)")
        })
    }
}

impl Default for Template {
    fn default() -> Self {
        Template::parse(DEFAULT_TEMPLATE).expect("the default template parses")
    }
}

/// The points a body holds for one series, sorted and de-duplicated (the last line wins).
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesPoints {
    pub id: SeriesId,
    /// The tags of its lines.
    pub labels: BTreeMap<String, String>,
    pub points: Vec<Point>,
}

/// What a body's lines name, before the store is touched.
pub struct Body<'t> {
    pub db: &'t str,
    pub precision: Precision,
    pub template: &'t Template,
    /// The time of lines without a timestamp (ms).
    pub now: i64,
}

impl Body<'_> {
    /// Parses a whole body into one [`SeriesPoints`] per series, in the order they first appear.
    pub fn parse(&self, body: &[u8]) -> Result<Vec<SeriesPoints>> {
        let mut lines = Lines::new(self);
        let mut points: Vec<Vec<Point>> = Vec::new();
        for (n, line) in body.split(|&b| b == b'\n').enumerate() {
            lines.line(n + 1, line, &mut |i, p| {
                if i >= points.len() {
                    points.resize_with(i + 1, Vec::new);
                }
                points[i].push(p)
            })?;
        }
        if lines.series.is_empty() {
            return Err(Error::invalid(
                "body",
                "the body holds no line protocol points (only blank lines or comments)",
            ));
        }
        Ok(lines
            .series
            .into_iter()
            .zip(points.into_iter().chain(std::iter::repeat_with(Vec::new)))
            .map(|((id, labels), mut points)| {
                crate::ingest::normalize(&mut points);
                SeriesPoints { id, labels, points }
            })
            .collect())
    }
}

/// Line protocol read one line at a time (a body, or a file streamed line by line): the series
/// seen so far, and each line's points handed out by series index as they are parsed.
pub struct Lines<'b, 't> {
    body: &'b Body<'t>,
    /// Each series (its id and labels), numbered by first appearance.
    pub series: Vec<(SeriesId, BTreeMap<String, String>)>,
    // Series by the raw bytes that name them (the line's measurement and tags, a NUL, the
    // field key): most lines repeat a key already seen, and find it without unescaping.
    by_key: HashMap<Vec<u8>, usize>,
    by_id: HashMap<SeriesId, (usize, usize)>,
    key: Vec<u8>,
}

impl<'b, 't> Lines<'b, 't> {
    pub fn new(body: &'b Body<'t>) -> Self {
        Lines {
            body,
            series: Vec::new(),
            by_key: HashMap::new(),
            by_id: HashMap::new(),
            key: Vec::with_capacity(128),
        }
    }

    /// Parses line `line_no` (from 1), giving each of its points to `out` with the index of its
    /// series in [`Lines::series`]. Blank lines and comments give nothing.
    pub fn line(
        &mut self,
        line_no: usize,
        line: &[u8],
        out: &mut dyn FnMut(usize, Point),
    ) -> Result<()> {
        let line = trim(line);
        if line.is_empty() || line[0] == b'#' {
            return Ok(());
        }
        let at = |msg: String| Error::invalid(format!("line {line_no}"), msg);
        let parsed = parse_line(line).map_err(at)?;
        let t = match parsed.timestamp {
            None => self.body.now,
            Some(raw) => self
                .body
                .precision
                .to_ms(raw)
                .filter(|ms| (time::MIN_MS..=time::MAX_MS).contains(ms))
                .ok_or_else(|| {
                    at(format!(
                        "timestamp {raw} is outside years 0000-9999 at precision {:?}",
                        self.body.precision
                    ))
                })?,
        };
        // Every field is checked before any is handed out: a bad line gives no point.
        let mut found = Vec::with_capacity(parsed.fields.len());
        for (fkey, value) in &parsed.fields {
            self.key.clear();
            self.key.extend_from_slice(parsed.series_key);
            self.key.push(0);
            self.key.extend_from_slice(fkey);
            let i = match self.by_key.get(self.key.as_slice()) {
                Some(&i) => i,
                None => {
                    let (measurement, tags) = series_names(parsed.series_key).map_err(at)?;
                    let field = unescape(fkey, b",= ");
                    let id = self
                        .body
                        .template
                        .id(self.body.db, &measurement, &tags, &field)
                        .map_err(at)?;
                    let i = match self.by_id.get(&id) {
                        Some(&(i, first_line)) => {
                            if self.series[i].1 != tags {
                                return Err(at(format!(
                                    "its tags differ from those of line {first_line}, and the \
                                     template puts both in series {:?}: put the tag that \
                                     tells them apart in TSFN_LINE_TEMPLATE, as in \
                                     {{db}}.{{measurement}}.{{tag:host}}.{{field}}",
                                    id.as_str()
                                )));
                            }
                            i
                        }
                        None => {
                            self.by_id.insert(id.clone(), (self.series.len(), line_no));
                            self.series.push((id, tags));
                            self.series.len() - 1
                        }
                    };
                    self.by_key.insert(self.key.clone(), i);
                    i
                }
            };
            let v = field_value(value)
                .map_err(|m| at(format!("field {:?}: {m}", unescape(fkey, b",= "))))?;
            found.push((i, Point { t, v }));
        }
        for (i, p) in found {
            out(i, p);
        }
        Ok(())
    }
}

struct Line<'a> {
    /// The measurement and tags as written (escapes kept).
    series_key: &'a [u8],
    fields: Vec<(&'a [u8], &'a [u8])>,
    timestamp: Option<i64>,
}

fn trim(mut b: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = b {
        if first.is_ascii_whitespace() {
            b = rest;
        } else {
            break;
        }
    }
    while let [rest @ .., last] = b {
        if last.is_ascii_whitespace() {
            b = rest;
        } else {
            break;
        }
    }
    b
}

/// The index of the first unescaped byte of `stops` at or after `from` outside double quotes
/// (when `quotes`), or the end.
fn find_unescaped(b: &[u8], from: usize, stops: &[u8], quotes: bool) -> usize {
    let mut i = from;
    let mut quoted = false;
    while i < b.len() {
        let c = b[i];
        if c == b'\\' {
            i += 2;
            continue;
        }
        if quotes && c == b'"' {
            quoted = !quoted;
        } else if !quoted && stops.contains(&c) {
            return i;
        }
        i += 1;
    }
    b.len()
}

fn parse_line(line: &[u8]) -> std::result::Result<Line<'_>, String> {
    // The series key ends at the first unescaped space.
    let key_end = find_unescaped(line, 0, b" ", false);
    let series_key = &line[..key_end];
    if series_key.is_empty() || series_key[0] == b',' {
        return Err("it has no measurement".into());
    }
    if key_end == line.len() {
        return Err(
            "it has no fields (expected `measurement[,tag=value] field=value [time]`)".into(),
        );
    }
    let mut i = key_end;
    while i < line.len() && line[i] == b' ' {
        i += 1;
    }
    // Fields end at the first unescaped space outside a string value.
    let fields_end = find_unescaped(line, i, b" ", true);
    let mut fields = Vec::new();
    let mut j = i;
    while j < fields_end {
        let end = find_unescaped(&line[..fields_end], j, b",", true);
        let pair = &line[j..end];
        let eq = find_unescaped(pair, 0, b"=", false);
        if eq == 0 || eq + 1 >= pair.len() {
            return Err(format!(
                "field {:?} is not key=value",
                String::from_utf8_lossy(pair)
            ));
        }
        fields.push((&pair[..eq], &pair[eq + 1..]));
        j = end + 1;
    }
    if fields.is_empty() || line[fields_end - 1] == b',' {
        return Err("it has no fields, or a field list ending in a comma".into());
    }
    let rest = trim(&line[fields_end.min(line.len())..]);
    let timestamp = if rest.is_empty() {
        None
    } else {
        Some(
            std::str::from_utf8(rest)
                .ok()
                .and_then(|s| s.parse::<i64>().ok())
                .ok_or_else(|| {
                    format!(
                        "timestamp {:?} is not a whole number",
                        String::from_utf8_lossy(rest)
                    )
                })?,
        )
    };
    Ok(Line {
        series_key,
        fields,
        timestamp,
    })
}

/// The measurement and the tags of a series key.
fn series_names(key: &[u8]) -> std::result::Result<(String, BTreeMap<String, String>), String> {
    let m_end = find_unescaped(key, 0, b",", false);
    let measurement = unescape(&key[..m_end], b", ");
    let mut tags = BTreeMap::new();
    let mut i = m_end + 1;
    while i <= key.len() && m_end < key.len() {
        let end = find_unescaped(key, i, b",", false);
        let pair = &key[i..end];
        let eq = find_unescaped(pair, 0, b"=", false);
        if eq == 0 || eq >= pair.len().saturating_sub(1) {
            return Err(format!(
                "tag {:?} is not key=value",
                String::from_utf8_lossy(pair)
            ));
        }
        tags.insert(
            unescape(&pair[..eq], b",= "),
            unescape(&pair[eq + 1..], b",= "),
        );
        i = end + 1;
    }
    Ok((measurement, tags))
}

/// Removes the backslash in front of the bytes it escapes here; other backslashes stay.
fn unescape(b: &[u8], escaped: &[u8]) -> String {
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() && (escaped.contains(&b[i + 1]) || b[i + 1] == b'\\') {
            out.push(b[i + 1]);
            i += 2;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The largest integer every smaller one of which a double holds exactly.
const EXACT_INT: u64 = 1 << 53;

fn field_value(raw: &[u8]) -> std::result::Result<f64, String> {
    let text = std::str::from_utf8(raw).map_err(|_| "its value is not UTF-8".to_owned())?;
    match text {
        "t" | "T" | "true" | "True" | "TRUE" => return Ok(1.0),
        "f" | "F" | "false" | "False" | "FALSE" => return Ok(0.0),
        _ => {}
    }
    if text.starts_with('"') {
        return Err(
            "string fields cannot be stored: tsfn keeps numbers (floats, integers, booleans)"
                .into(),
        );
    }
    let whole = |digits: &str, kind: &str| -> std::result::Result<f64, String> {
        let n: i128 = digits
            .parse()
            .map_err(|_| format!("{text:?} is not an {kind}"))?;
        if n.unsigned_abs() > EXACT_INT as u128 {
            return Err(format!(
                "{text:?} is beyond 2^53, where a double (how tsfn stores values) cannot hold every integer"
            ));
        }
        Ok(n as f64)
    };
    if let Some(d) = text.strip_suffix('i') {
        return whole(d, "integer");
    }
    if let Some(d) = text.strip_suffix('u') {
        if d.starts_with('-') {
            return Err(format!("{text:?} is not an unsigned integer"));
        }
        return whole(d, "unsigned integer");
    }
    // Digits, sign, point and exponent only: Rust would also read "inf" and "nan".
    if !text
        .bytes()
        .all(|c| c.is_ascii_digit() || b"+-.eE".contains(&c))
    {
        return Err(format!("{text:?} is not a number"));
    }
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => Err(format!("{text:?} is outside the range of a double")),
        Err(_) => Err(format!("{text:?} is not a number")),
    }
}

/// Which InfluxDB API a write came through: their clients read errors in their own shapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// `{"error": "..."}`
    V1,
    /// `{"code": "...", "message": "..."}`
    V2,
}

/// A write of line protocol, as the InfluxDB routes take it: the body (gzip when the request
/// says so, inflated up to the body limit), parsed whole, then each series' points written in
/// bulk. A series the body creates gets the line's tags as labels. On success 204, as InfluxDB
/// answers; an error in the shape the API's clients read, with tsfn's status and message.
pub async fn write_request(
    app: &crate::App,
    req: &crate::Request,
    api: Api,
    db: Option<String>,
    precision: Option<String>,
) -> crate::Response {
    match write_inner(app, req, api, db, precision).await {
        Ok(()) => crate::http::no_content(),
        Err(e) => influx_error(&e, api),
    }
}

async fn write_inner(
    app: &crate::App,
    req: &crate::Request,
    api: Api,
    db: Option<String>,
    precision: Option<String>,
) -> Result<()> {
    let (field, what) = match api {
        Api::V1 => ("db", "the database (`db`)"),
        Api::V2 => ("bucket", "the bucket (`bucket`)"),
    };
    let db = db
        .filter(|d| !d.is_empty())
        .ok_or_else(|| Error::invalid(field, format!("{what} is required: it names the series")))?;
    let precision = Precision::parse(precision.as_deref())?;
    let raw = crate::http::body(req);
    let gzip = req
        .headers()
        .get("content-encoding")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("gzip"));
    let inflated;
    let body: &[u8] = if gzip {
        inflated = inflate(raw, app.settings.max_body_bytes)?;
        &inflated
    } else {
        raw
    };
    let now = crate::app::now_ms();
    let series = Body {
        db: &db,
        precision,
        template: &app.settings.line_template,
        now,
    }
    .parse(body)?;
    store(app.store.as_ref(), series, now).await
}

/// A gzip body inflated, refused (413) when it would pass `limit` bytes.
fn inflate(raw: &[u8], limit: usize) -> Result<Vec<u8>> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(raw)
        .take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| Error::invalid("body", format!("the gzip body cannot be read: {e}")))?;
    if out.len() > limit {
        return Err(Error::TooLarge { limit });
    }
    Ok(out)
}

/// Writes each series' points; a series created here gets its tags as labels. A failure of
/// the store part-way says how many points were written (resending is safe: rewriting a point
/// is idempotent).
pub async fn store(
    store: &dyn crate::store::Store,
    series: Vec<SeriesPoints>,
    now: i64,
) -> Result<()> {
    let total: usize = series.iter().map(|s| s.points.len()).sum();
    let mut written = 0;
    for s in series {
        let n = s.points.len();
        let result = async {
            let n = s.points.len();
            let created = store.write_points(&s.id, s.points, now).await?;
            crate::metrics::points_written(n);
            if created && !s.labels.is_empty() {
                let meta = crate::model::SeriesMeta {
                    labels: s.labels,
                    ..Default::default()
                };
                meta.validate()?;
                store.put_series(&s.id, &meta, now).await?;
            }
            Ok::<_, Error>(())
        }
        .await;
        match result {
            Ok(()) => written += n,
            Err(Error::Unavailable(m)) if written > 0 => {
                return Err(Error::Unavailable(format!(
                    "{m}; {written} of the body's {total} points were written before this, \
                     and sending the body again is safe"
                )))
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// tsfn's error with its status and headers, in the body InfluxDB's clients read.
pub fn influx_error(e: &Error, api: Api) -> crate::Response {
    let mut resp = crate::http::error_response(e);
    let message = match e {
        // The line or parameter first: clients show only the message.
        Error::Invalid { field, message } => format!("{field}: {message}"),
        other => other.to_string(),
    };
    let body = match api {
        Api::V1 => serde_json::json!({ "error": message }),
        Api::V2 => serde_json::json!({ "code": e.code(), "message": message }),
    };
    *resp.body_mut() = lambda_http::Body::Text(body.to_string());
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str, precision: Precision) -> Result<Vec<SeriesPoints>> {
        Body {
            db: "db",
            precision,
            template: &Template::default(),
            now: 42,
        }
        .parse(body.as_bytes())
    }

    fn field_of(e: Error) -> String {
        match e {
            Error::Invalid { field, .. } => field,
            other => panic!("{other}"),
        }
    }

    #[test]
    fn lines_fields_tags_and_escapes() {
        let body = "# a comment\n\
                    cpu,host=a,region=eu\\ west usage=0.5,idle=1i,up=t 1700000000123456789\n\
                    \n\
                    my\\ meas\\,ure,k\\=ey=v\\,al x=-1.5e3,s=2u 1700000000000000000\n\
                    cpu,host=a,region=eu\\ west usage=0.25 1700000000123000000\n\
                    cpu,region=eu\\ west,host=a usage=0.75 1700000000123999999\r\n";
        let out = parse(body, Precision::Ns).unwrap();
        let ids: Vec<&str> = out.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "db.cpu.usage",
                "db.cpu.idle",
                "db.cpu.up",
                "db.my_meas_ure.x",
                "db.my_meas_ure.s"
            ]
        );
        // Tags in another order are the same tags; the last point at one millisecond wins.
        assert_eq!(
            out[0].points,
            vec![Point {
                t: 1_700_000_000_123,
                v: 0.75
            }]
        );
        assert_eq!(out[0].labels["region"], "eu west");
        assert_eq!(out[1].points[0].v, 1.0);
        assert_eq!(out[2].points[0].v, 1.0);
        assert_eq!(out[3].labels["k=ey"], "v,al");
        assert_eq!(
            out[3].points[0],
            Point {
                t: 1_700_000_000_000,
                v: -1500.0
            }
        );
        assert_eq!(out[4].points[0].v, 2.0);
    }

    #[test]
    fn precision_and_server_time() {
        let out = parse("m v=1 5\nm w=2", Precision::S).unwrap();
        assert_eq!(out[0].points[0].t, 5_000);
        assert_eq!(out[1].points[0].t, 42, "no timestamp: the server's time");
        // Floored: a nanosecond before the epoch is the millisecond before it.
        let out = parse("m v=1 -1", Precision::Ns).unwrap();
        assert_eq!(out[0].points[0].t, -1);
        let out = parse("m v=1 3", Precision::H).unwrap();
        assert_eq!(out[0].points[0].t, 3 * 3_600_000);
        assert_eq!(
            field_of(parse("m v=1 9999999999999999", Precision::S).unwrap_err()),
            "line 1"
        );
    }

    #[test]
    fn bad_lines_are_named() {
        for (body, line) in [
            ("m v=1\nm v=\"text\"", "line 2"),
            ("m v=1\n\nm", "line 3"),
            ("m v=abc", "line 1"),
            ("m v=1 12x", "line 1"),
            ("m v=9007199254740993i", "line 1"),
            ("m v=-1u", "line 1"),
            ("m v=inf", "line 1"),
            ("m v=1e999", "line 1"),
            (",t=1 v=1", "line 1"),
            ("m,t v=1", "line 1"),
            ("m =1", "line 1"),
            ("m a=1,,b=2", "line 1"),
            ("m a=1, 5", "line 1"),
            ("m a=1,", "line 1"),
        ] {
            let e = parse(body, Precision::Ns).unwrap_err();
            assert_eq!(field_of(e), line, "{body:?}");
        }
        assert!(parse("m v=9007199254740992i", Precision::Ns).is_ok());
        assert_eq!(
            field_of(parse("\n# only\n", Precision::Ns).unwrap_err()),
            "body"
        );
        // Two tag sets in one series under the default template: refused, naming the line.
        let e = parse("cpu,host=a v=1 1\ncpu,host=b v=2 1", Precision::Ns).unwrap_err();
        assert_eq!(field_of(e), "line 2");
    }

    #[test]
    fn templates() {
        let t = Template::parse("{db}.{measurement}.{tag:host}.{field}").unwrap();
        let out = Body {
            db: "Telegraf",
            precision: Precision::Ns,
            template: &t,
            now: 0,
        }
        .parse(b"cpu,host=A v=1 1\ncpu,host=b v=2 1")
        .unwrap();
        assert_eq!(out[0].id.as_str(), "telegraf.cpu.a.v");
        assert_eq!(out[1].id.as_str(), "telegraf.cpu.b.v");
        assert!(Template::parse("{db}.{measurement}").is_err());
        assert!(Template::parse("{db}.{nope}.{field}").is_err());
        assert!(Template::parse("{db}.{field").is_err());
        let missing = Body {
            db: "d",
            precision: Precision::Ns,
            template: &t,
            now: 0,
        }
        .parse(b"cpu v=1 1")
        .unwrap_err();
        assert_eq!(field_of(missing), "line 1");
    }

    #[test]
    fn string_values_with_spaces_and_commas_are_skipped_over_correctly() {
        // A string field is refused, but finding the fields' end must not stop inside it.
        let e = parse("m a=1,b=\"x, y z\" 5", Precision::Ns).unwrap_err();
        let Error::Invalid { message, .. } = e else {
            panic!()
        };
        assert!(message.contains("string fields"), "{message}");
    }
}
