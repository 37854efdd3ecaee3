//! Parsers for point writes: a JSON array, NDJSON, or CSV with a `t,v` header.
//!
//! Each parser streams over the body once, validates every point (timestamp, finite value) and
//! names the index or line of the first bad one. A rejected body writes nothing: parsing finishes
//! before the store is touched. The result is sorted by time with duplicates resolved in favour of
//! the last occurrence, which is what "writing the same t twice overwrites" means inside one body.

use std::cell::Cell;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::error::{Error, Result};
use crate::model::Point;
use crate::time;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    JsonArray,
    Ndjson,
    Csv,
}

impl Format {
    /// Picks the format from the Content-Type; without a specific one, from the first byte.
    pub fn detect(content_type: Option<&str>, body: &[u8]) -> Result<Self> {
        let ct = content_type.map(|c| {
            c.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
        match ct.as_deref() {
            Some("application/json") => Ok(Format::JsonArray),
            Some(
                "application/x-ndjson"
                | "application/ndjson"
                | "application/jsonl"
                | "application/x-jsonlines",
            ) => Ok(Format::Ndjson),
            Some("text/csv") => Ok(Format::Csv),
            None
            | Some(
                ""
                | "text/plain"
                | "application/octet-stream"
                | "application/x-www-form-urlencoded",
            ) => Ok(match body.iter().find(|c| !c.is_ascii_whitespace()) {
                Some(b'[') => Format::JsonArray,
                Some(b'{') => Format::Ndjson,
                _ => Format::Csv,
            }),
            Some(other) => Err(Error::UnsupportedMediaType(other.to_owned())),
        }
    }
}

/// Parses a body in the given format into sorted, de-duplicated points.
pub fn parse(format: Format, body: &[u8]) -> Result<Vec<Point>> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::invalid(
            "body",
            "request body is empty: send points as JSON, NDJSON or CSV",
        ));
    }
    let mut points = match format {
        Format::JsonArray => parse_json_array(body)?,
        Format::Ndjson => parse_ndjson(body)?,
        Format::Csv => parse_csv(body)?,
    };
    normalize(&mut points);
    Ok(points)
}

/// The points of a request body (JSON array, NDJSON or CSV, by its content type) written to
/// series `id`, as `POST /series/{series}/points` and the signed webhooks take them: parsed and
/// validated whole first, so a refused body writes nothing. Returns how many points were written
/// and whether the series was created.
pub async fn write_body(
    store: &dyn crate::store::Store,
    id: &crate::model::SeriesId,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<(usize, bool)> {
    let points = parse(Format::detect(content_type, body)?, body)?;
    let written = points.len();
    let created = store.write_points(id, points, time::now_ms()).await?;
    crate::metrics::points_written(written);
    Ok((written, created))
}

/// Sorts by time and keeps the last of each run of equal timestamps.
pub fn normalize(points: &mut Vec<Point>) {
    if !points.windows(2).all(|w| w[0].t < w[1].t) {
        points.sort_by_key(|p| p.t); // stable: later duplicates stay later
        let mut out = 0;
        for i in 0..points.len() {
            if out > 0 && points[out - 1].t == points[i].t {
                points[out - 1] = points[i];
            } else {
                points[out] = points[i];
                out += 1;
            }
        }
        points.truncate(out);
    }
}

/// A timestamp in JSON: a string or a number, read from its text so that no digit is lost to a
/// binary float on the way (`1.005` seconds is 1005 ms).
pub fn timestamp(raw: &RawValue) -> Result<i64, String> {
    let text = raw.get();
    match text.as_bytes().first() {
        Some(b'"') => {
            let s: std::borrow::Cow<'_, str> =
                serde_json::from_str(text).map_err(|e| e.to_string())?;
            time::parse(&s)
        }
        Some(b'-' | b'0'..=b'9') => time::parse(text),
        _ => Err(format!(
            "must be a timestamp (an RFC 3339 string or an epoch number), got {}",
            shorten(text)
        )),
    }
}

/// A value in JSON: a finite number, parsed from its text with correct rounding, so every finite
/// double written in its shortest form (as tsfn and most languages print them) comes back bit for
/// bit.
pub fn value(raw: &RawValue) -> Result<f64, String> {
    let text = raw.get();
    if !matches!(text.as_bytes().first(), Some(b'-' | b'0'..=b'9')) {
        return Err(format!("must be a number, got {}", shorten(text)));
    }
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(format!(
            "value {} is not a finite number (it is outside the range of a 64-bit float)",
            shorten(text)
        )),
    }
}

/// A JSON value as shown in an error (as `json::describe` does): lists and objects by kind, other
/// values as written, cut at 40 characters.
fn shorten(text: &str) -> String {
    match text.as_bytes().first() {
        Some(b'[') => return "a list".into(),
        Some(b'{') => return "an object".into(),
        _ => {}
    }
    match text.char_indices().nth(40) {
        Some((i, _)) => format!("{}...", &text[..i]),
        None => text.to_owned(),
    }
}

/// One point: `{"t": ..., "v": ...}` or `[t, v]`.
struct PointSeed;

impl<'de> DeserializeSeed<'de> for PointSeed {
    type Value = Point;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Point, D::Error> {
        d.deserialize_any(PointVisitor)
    }
}

struct PointVisitor;

impl<'de> Visitor<'de> for PointVisitor {
    type Value = Point;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(r#"a point {"t": ..., "v": ...} or [t, v]"#)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Point, A::Error> {
        let (mut t, mut v) = (None, None);
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match key.as_ref() {
                "t" => {
                    let raw: &RawValue = map.next_value()?;
                    t = Some(timestamp(raw).map_err(|e| de::Error::custom(format!("t: {e}")))?);
                }
                "v" => {
                    let raw: &RawValue = map.next_value()?;
                    v = Some(value(raw).map_err(|e| de::Error::custom(format!("v: {e}")))?);
                }
                other => {
                    return Err(de::Error::custom(format!(
                        "unknown field {other:?}: a point has only t and v"
                    )))
                }
            }
        }
        match (t, v) {
            (Some(t), Some(v)) => Ok(Point { t, v }),
            (None, _) => Err(de::Error::custom("missing field t")),
            (_, None) => Err(de::Error::custom("missing field v")),
        }
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Point, A::Error> {
        let t: &RawValue = seq
            .next_element()?
            .ok_or_else(|| de::Error::custom("missing t"))?;
        let t = timestamp(t).map_err(de::Error::custom)?;
        let v: &RawValue = seq
            .next_element()?
            .ok_or_else(|| de::Error::custom("missing v"))?;
        let v = value(v).map_err(de::Error::custom)?;
        if seq.next_element::<de::IgnoredAny>()?.is_some() {
            return Err(de::Error::custom("a [t, v] pair has exactly two elements"));
        }
        Ok(Point { t, v })
    }
}

/// The top-level array; remembers the index being parsed so errors can name it.
struct ArraySeed<'a> {
    at: &'a Cell<usize>,
}

impl<'de> DeserializeSeed<'de> for ArraySeed<'_> {
    type Value = Vec<Point>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<Point>, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ArraySeed<'_> {
    type Value = Vec<Point>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON array of points")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Point>, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 20));
        while let Some(p) = seq.next_element_seed(PointSeed)? {
            out.push(p);
            self.at.set(out.len());
        }
        Ok(out)
    }
}

/// Strips serde_json's " at line X column Y" suffix when we name the position ourselves.
fn plain(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_owned(),
        None => s,
    }
}

fn parse_json_array(body: &[u8]) -> Result<Vec<Point>> {
    let at = Cell::new(0);
    let mut de = serde_json::Deserializer::from_slice(body);
    let result = ArraySeed { at: &at }
        .deserialize(&mut de)
        .and_then(|v| de.end().map(|_| v));
    result.map_err(|e| {
        if e.is_syntax() || e.is_eof() {
            Error::invalid("body", format!("malformed JSON: {e}"))
        } else if e.to_string().starts_with("invalid type")
            && at.get() == 0
            && !body.trim_ascii_start().starts_with(b"[")
        {
            Error::invalid("body", "expected a JSON array of points")
        } else {
            let i = at.get();
            Error::invalid(
                format!("points[{i}]"),
                format!("point at index {i}: {}", plain(&e)),
            )
        }
    })
}

fn parse_ndjson(body: &[u8]) -> Result<Vec<Point>> {
    let mut out = Vec::with_capacity(body.len() / 32);
    for (n, line) in body.split(|&c| c == b'\n').enumerate() {
        if let Some(p) = ndjson_line(n + 1, line)? {
            out.push(p);
        }
    }
    Ok(out)
}

/// One NDJSON line (numbered from 1): a point, or `None` for a blank line.
pub fn ndjson_line(ln: usize, line: &[u8]) -> Result<Option<Point>> {
    let line = line.trim_ascii();
    if line.is_empty() {
        return Ok(None);
    }
    let mut de = serde_json::Deserializer::from_slice(line);
    PointSeed
        .deserialize(&mut de)
        .and_then(|p| de.end().map(|_| Some(p)))
        .map_err(|e| Error::invalid(format!("line {ln}"), format!("line {ln}: {}", plain(&e))))
}

fn unquote(field: &[u8]) -> &[u8] {
    let f = field.trim_ascii();
    if f.len() >= 2 && f[0] == b'"' && f[f.len() - 1] == b'"' {
        &f[1..f.len() - 1]
    } else {
        f
    }
}

fn parse_csv(body: &[u8]) -> Result<Vec<Point>> {
    let mut lines = body
        .split(|&c| c == b'\n')
        .enumerate()
        .filter(|(_, l)| !l.trim_ascii().is_empty());
    let (hn, header) = lines
        .next()
        .ok_or_else(|| Error::invalid("body", "CSV body is empty"))?;
    csv_header(hn + 1, header)?;
    let mut out = Vec::with_capacity(body.len() / 24);
    for (n, line) in lines {
        out.push(csv_line(n + 1, line)?);
    }
    Ok(out)
}

/// Whether a line is the CSV header `t,v` (any case, quoted or not, after a byte order mark).
pub fn is_csv_header(line: &[u8]) -> bool {
    let cols: Vec<_> = line
        .split(|&c| c == b',')
        .map(|c| unquote(c).to_ascii_lowercase())
        .collect();
    let header_ok = cols.len() == 2 && cols[0] == b"t" && cols[1] == b"v";
    // A UTF-8 byte order mark before the header is common in spreadsheet exports.
    header_ok || (cols.len() == 2 && cols[0] == "\u{feff}t".as_bytes() && cols[1] == b"v")
}

/// The first non-blank line of a CSV body (numbered from 1), which must be the header.
pub fn csv_header(ln: usize, line: &[u8]) -> Result<()> {
    if is_csv_header(line) {
        Ok(())
    } else {
        Err(Error::invalid(
            format!("line {ln}"),
            "CSV must start with the header line `t,v`",
        ))
    }
}

/// One non-blank CSV line after the header (numbered from 1).
pub fn csv_line(ln: usize, line: &[u8]) -> Result<Point> {
    let bad = |m: String| Error::invalid(format!("line {ln}"), format!("line {ln}: {m}"));
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let comma = line
        .iter()
        .rposition(|&c| c == b',')
        .ok_or_else(|| bad("expected `t,v`".into()))?;
    let (t, v) = (unquote(&line[..comma]), unquote(&line[comma + 1..]));
    let t = std::str::from_utf8(t).map_err(|_| bad("timestamp is not UTF-8".into()))?;
    if t.contains(',') {
        return Err(bad("expected exactly two columns `t,v`".into()));
    }
    let t = time::parse(t).map_err(bad)?;
    let v = std::str::from_utf8(v)
        .ok()
        .and_then(|v| v.parse::<f64>().ok());
    let v = match v {
        Some(v) if v.is_finite() => v,
        _ => {
            return Err(bad(format!(
                "value {:?} is not a finite number",
                String::from_utf8_lossy(&line[comma + 1..])
            )))
        }
    };
    Ok(Point { t, v })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(r: Result<Vec<Point>>) -> String {
        match r {
            Err(Error::Invalid { field, .. }) => field,
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    #[test]
    fn json_array_objects_and_pairs() {
        let p = parse(
            Format::JsonArray,
            br#"[{"t":"1970-01-01T00:00:02Z","v":2},[1,1.5],{"v":3,"t":2}]"#,
        )
        .unwrap();
        assert_eq!(
            p,
            vec![Point { t: 1000, v: 1.5 }, Point { t: 2000, v: 3.0 }]
        );
    }

    #[test]
    fn json_errors_name_the_index() {
        assert_eq!(
            field(parse(
                Format::JsonArray,
                br#"[{"t":1,"v":1},{"t":"x","v":1}]"#
            )),
            "points[1]"
        );
        assert_eq!(
            field(parse(Format::JsonArray, br#"[{"t":1,"v":1},{"t":2}]"#)),
            "points[1]"
        );
        assert_eq!(
            field(parse(Format::JsonArray, br#"[{"t":1,"v":"a"}]"#)),
            "points[0]"
        );
        assert_eq!(
            field(parse(Format::JsonArray, br#"[{"t":1,"v":1e999}]"#)),
            "points[0]"
        );
        assert_eq!(
            field(parse(Format::JsonArray, br#"[{"t":1,"v":1}"#)),
            "body"
        );
        assert_eq!(field(parse(Format::JsonArray, br#"{"t":1,"v":1}"#)), "body");
        assert_eq!(
            field(parse(Format::JsonArray, br#"[{"t":1,"v":1,"x":0}]"#)),
            "points[0]"
        );
    }

    #[test]
    fn ndjson_and_csv() {
        let p = parse(
            Format::Ndjson,
            b"{\"t\":1,\"v\":1}\n\n{\"t\":2,\"v\":2}\r\n",
        )
        .unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(
            field(parse(Format::Ndjson, b"{\"t\":1,\"v\":1}\n{\"t\":2}\n")),
            "line 2"
        );
        let p = parse(Format::Csv, b"t,v\r\n1970-01-01T00:00:01Z,1.5\r\n2,\"2\"\n").unwrap();
        assert_eq!(
            p,
            vec![Point { t: 1000, v: 1.5 }, Point { t: 2000, v: 2.0 }]
        );
        assert_eq!(field(parse(Format::Csv, b"t,v\n1,1\n2,NaN\n")), "line 3");
        assert_eq!(field(parse(Format::Csv, b"t,v\n1,inf\n")), "line 2");
        assert_eq!(field(parse(Format::Csv, b"time,value\n1,1\n")), "line 1");
        assert_eq!(field(parse(Format::Csv, b"t,v\nfoo,1\n")), "line 2");
    }

    #[test]
    fn duplicates_keep_the_last() {
        let p = parse(Format::JsonArray, b"[[3,1],[1,1],[3,2],[1,5]]").unwrap();
        assert_eq!(
            p,
            vec![Point { t: 1000, v: 5.0 }, Point { t: 3000, v: 2.0 }]
        );
    }

    #[test]
    fn detects_format() {
        assert_eq!(Format::detect(None, b" [1]").unwrap(), Format::JsonArray);
        assert_eq!(Format::detect(None, b"{}").unwrap(), Format::Ndjson);
        assert_eq!(Format::detect(None, b"t,v").unwrap(), Format::Csv);
        assert_eq!(
            Format::detect(Some("text/csv; charset=utf-8"), b"[").unwrap(),
            Format::Csv
        );
        assert!(Format::detect(Some("application/xml"), b"").is_err());
    }
}
