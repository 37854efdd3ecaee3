//! Bulk ingestion: files and streams of points (CSV with the `t,v` header, NDJSON of `{"t","v"}`
//! objects, or InfluxDB line protocol; gzip or not) read line by line, never whole in memory,
//! and written in batches of up to `TSFN_INGEST_BATCH` points per `write_points` call and
//! series. Used by `tsfn ingest`, the `ingest-s3` function, and (for the parsing of one record)
//! the `ingest-queue` function.
//!
//! A file is all or nothing as far as its content goes: the caller reads it twice, first
//! [`Mode::Validate`] (parse every line, store nothing), then [`Mode::Write`]. One pass cannot
//! do it for a file larger than memory, since a bad last line must leave the store untouched.
//! The second pass then only fails on the store's side (a partial write; ingesting the file
//! again is safe, since rewriting a point is idempotent).

use std::collections::BTreeMap;

use tokio::io::{AsyncBufRead, AsyncBufReadExt, BufReader};

use crate::error::{Error, Result};
use crate::lineproto::{Body, Lines, Precision, SeriesPoints, Template};
use crate::model::{Point, SeriesId};
use crate::store::Store;

/// The longest line accepted (a file without line breaks is not read whole).
pub const MAX_LINE: usize = 1 << 20;

/// The default of `TSFN_INGEST_PATTERN`.
pub const DEFAULT_PATTERN: &str = "incoming/{series}/*";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Csv,
    Ndjson,
    LineProtocol,
}

impl FileFormat {
    /// By the name's suffix (after `.gz`): `.csv`, `.ndjson`/`.jsonl`, `.lp`/`.line`/`.influx`.
    pub fn from_name(name: &str) -> Option<Self> {
        let name = name.to_ascii_lowercase();
        let name = name.strip_suffix(".gz").unwrap_or(&name);
        let ext = name.rsplit_once('.')?.1;
        match ext {
            "csv" => Some(FileFormat::Csv),
            "ndjson" | "jsonl" => Some(FileFormat::Ndjson),
            "lp" | "line" | "influx" => Some(FileFormat::LineProtocol),
            _ => None,
        }
    }

    /// By a Content-Type, when it names one of the formats.
    pub fn from_content_type(ct: &str) -> Option<Self> {
        match ct.split(';').next()?.trim().to_ascii_lowercase().as_str() {
            "text/csv" => Some(FileFormat::Csv),
            "application/x-ndjson" | "application/ndjson" | "application/jsonl" => {
                Some(FileFormat::Ndjson)
            }
            "application/vnd.influx.line-protocol" => Some(FileFormat::LineProtocol),
            _ => None,
        }
    }

    /// By the first bytes of the content: `{` is NDJSON, a first line `t,v` is CSV, anything
    /// else line protocol. A JSON array cannot be streamed line by line and is refused.
    pub fn sniff(head: &[u8]) -> Result<Self> {
        let text = head.trim_ascii_start();
        match text.first() {
            Some(b'{') => Ok(FileFormat::Ndjson),
            Some(b'[') => Err(Error::invalid(
                "line 1",
                "a JSON array cannot be ingested as a file: write one {\"t\",\"v\"} object per \
                 line (NDJSON) instead",
            )),
            _ => {
                let first = text.split(|&c| c == b'\n').next().unwrap_or(b"");
                if crate::ingest::is_csv_header(first.strip_suffix(b"\r").unwrap_or(first)) {
                    Ok(FileFormat::Csv)
                } else {
                    Ok(FileFormat::LineProtocol)
                }
            }
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            FileFormat::Csv => "csv",
            FileFormat::Ndjson => "ndjson",
            FileFormat::LineProtocol => "line protocol",
        }
    }
}

/// `TSFN_INGEST_PATTERN`: how an object key or a file path names the series of its points.
/// Segments separated by `/`: literal text, `*` (any one segment; as the last one, any rest),
/// or text holding `{series}` once (as in `{series}` or `{series}.csv`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPattern {
    segs: Vec<Seg>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    Lit(String),
    Any,
    Series { pre: String, post: String },
}

impl KeyPattern {
    pub fn parse(s: &str) -> std::result::Result<Self, String> {
        let mut segs = Vec::new();
        let mut captures = 0;
        for part in s.trim_matches('/').split('/') {
            if part.is_empty() {
                return Err(format!("pattern {s:?} has an empty segment"));
            }
            segs.push(if part == "*" {
                Seg::Any
            } else if let Some((pre, post)) = part.split_once("{series}") {
                captures += 1;
                Seg::Series {
                    pre: pre.into(),
                    post: post.into(),
                }
            } else {
                Seg::Lit(part.into())
            });
            let braces = |t: &str| t.contains('{') || t.contains('}');
            let bad = match segs.last() {
                Some(Seg::Series { pre, post }) => braces(pre) || braces(post),
                _ => braces(part),
            };
            if bad {
                return Err(format!(
                    "pattern {s:?}: only {{series}} may stand between braces"
                ));
            }
        }
        if captures != 1 {
            return Err(format!("pattern {s:?} must hold {{series}} once"));
        }
        Ok(KeyPattern { segs })
    }

    /// The series a whole key names, when the key matches.
    pub fn series(&self, key: &str) -> Option<String> {
        let parts: Vec<&str> = key.split('/').collect();
        self.match_at(&parts)
    }

    /// The series a path names: the pattern matched against the path's last segments (the
    /// first, longest match from the left), so `/data/incoming/room1/a.csv` matches
    /// `incoming/{series}/*`.
    pub fn series_in_path(&self, path: &str) -> Option<String> {
        let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
        (0..parts.len()).find_map(|i| self.match_at(&parts[i..]))
    }

    fn match_at(&self, parts: &[&str]) -> Option<String> {
        let mut series = None;
        for (i, seg) in self.segs.iter().enumerate() {
            let last = i + 1 == self.segs.len();
            let part = parts.get(i)?;
            match seg {
                Seg::Lit(l) if l == part => {}
                Seg::Lit(_) => return None,
                Seg::Any if last => return series.filter(|_| !part.is_empty()),
                Seg::Any => {}
                Seg::Series { pre, post } => {
                    let s = part
                        .strip_prefix(pre.as_str())?
                        .strip_suffix(post.as_str())?;
                    series = Some(s.to_owned());
                }
            }
        }
        if parts.len() == self.segs.len() {
            series
        } else {
            None
        }
    }
}

impl Default for KeyPattern {
    fn default() -> Self {
        KeyPattern::parse(DEFAULT_PATTERN).expect("the default pattern parses")
    }
}

/// What a file's lines become.
pub struct Options<'a> {
    /// The series of a CSV or NDJSON file's points (line protocol names its own).
    pub series: Option<SeriesId>,
    /// Line protocol's `{db}` (`TSFN_INGEST_DB`), its template and its timestamps' unit.
    pub db: &'a str,
    pub template: &'a Template,
    pub precision: Precision,
    /// The time of line protocol lines without a timestamp.
    pub now: i64,
    /// Most points per `write_points` call (`TSFN_INGEST_BATCH`).
    pub batch: usize,
}

#[derive(Clone, Copy)]
pub enum Mode<'s> {
    /// Parse and check every line; store nothing.
    Validate,
    Write(&'s dyn Store),
}

/// What a pass read.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    pub lines: usize,
    pub points: usize,
    pub series: Vec<String>,
}

/// The reader inflated when it is gzip (by `gzip`, or the gzip magic bytes at its start).
pub async fn decode<R>(
    mut r: R,
    gzip: bool,
) -> std::io::Result<Box<dyn AsyncBufRead + Unpin + Send>>
where
    R: AsyncBufRead + Unpin + Send + 'static,
{
    let head = r.fill_buf().await?;
    if gzip || head.starts_with(&[0x1f, 0x8b]) {
        let mut d = async_compression::tokio::bufread::GzipDecoder::new(r);
        // `cat a.gz b.gz` is a gzip file too.
        d.multiple_members(true);
        Ok(Box::new(BufReader::with_capacity(1 << 16, d)))
    } else {
        Ok(Box::new(r))
    }
}

/// The first bytes of a reader, without consuming them (for [`FileFormat::sniff`]).
pub async fn peek<R: AsyncBufRead + Unpin + ?Sized>(r: &mut R) -> Result<Vec<u8>> {
    let head = r.fill_buf().await.map_err(read_err(0))?;
    Ok(head[..head.len().min(4096)].to_vec())
}

fn read_err(line: usize) -> impl Fn(std::io::Error) -> Error {
    move |e| {
        Error::invalid(
            format!("line {}", line + 1),
            format!("the content cannot be read after line {line}: {e}"),
        )
    }
}

/// Reads the next line (without its `\n`) into `buf`; false at the end.
async fn next_line<R: AsyncBufRead + Unpin + ?Sized>(
    r: &mut R,
    buf: &mut Vec<u8>,
    line_no: usize,
) -> Result<bool> {
    buf.clear();
    loop {
        let chunk = r.fill_buf().await.map_err(read_err(line_no - 1))?;
        if chunk.is_empty() {
            return Ok(!buf.is_empty());
        }
        let (used, done) = match chunk.iter().position(|&c| c == b'\n') {
            Some(i) => {
                buf.extend_from_slice(&chunk[..i]);
                (i + 1, true)
            }
            None => {
                buf.extend_from_slice(chunk);
                (chunk.len(), false)
            }
        };
        r.consume(used);
        if buf.len() > MAX_LINE {
            return Err(Error::invalid(
                format!("line {line_no}"),
                format!("line {line_no} is longer than {MAX_LINE} bytes"),
            ));
        }
        if done {
            return Ok(true);
        }
    }
}

/// Points buffered per series until a batch is full.
struct Batches<'m> {
    mode: Mode<'m>,
    batch: usize,
    series: Vec<(SeriesId, BTreeMap<String, String>)>,
    pending: Vec<Vec<Point>>,
    buffered: usize,
    written: usize,
}

impl Batches<'_> {
    async fn push(&mut self, i: usize, p: Point) -> Result<()> {
        if let Mode::Validate = self.mode {
            return Ok(());
        }
        if i >= self.pending.len() {
            self.pending.resize_with(i + 1, Vec::new);
        }
        self.pending[i].push(p);
        self.buffered += 1;
        if self.pending[i].len() >= self.batch {
            self.flush_one(i).await?;
        } else if self.buffered >= self.batch.saturating_mul(10) {
            // Many series at once: memory stays bounded by ten batches.
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush_one(&mut self, i: usize) -> Result<()> {
        let Mode::Write(store) = self.mode else {
            return Ok(());
        };
        let mut points = std::mem::take(&mut self.pending[i]);
        if points.is_empty() {
            return Ok(());
        }
        self.buffered -= points.len();
        // Within a batch the last of equal timestamps wins, as later batches overwrite earlier
        // ones: the file's last occurrence of a point is what stays.
        crate::ingest::normalize(&mut points);
        let n = points.len();
        let (id, labels) = self.series[i].clone();
        crate::lineproto::store(store, vec![SeriesPoints { id, labels, points }], self.now())
            .await
            .map_err(|e| match e {
                Error::Unavailable(m) => Error::Unavailable(format!(
                    "{m}; {} points of this file were written before this, and ingesting it \
                     again is safe",
                    self.written
                )),
                e => e,
            })?;
        self.written += n;
        Ok(())
    }

    async fn flush(&mut self) -> Result<()> {
        for i in 0..self.pending.len() {
            self.flush_one(i).await?;
        }
        Ok(())
    }

    fn now(&self) -> i64 {
        crate::app::now_ms()
    }
}

/// One pass over a file's (inflated) content in `format`: every line parsed and checked, and in
/// [`Mode::Write`] the points written in batches. An error names the line.
pub async fn run<R: AsyncBufRead + Unpin + ?Sized>(
    r: &mut R,
    format: FileFormat,
    opts: &Options<'_>,
    mode: Mode<'_>,
) -> Result<Summary> {
    let mut out = Batches {
        mode,
        batch: opts.batch.max(1),
        series: Vec::new(),
        pending: Vec::new(),
        buffered: 0,
        written: 0,
    };
    let mut buf = Vec::with_capacity(256);
    let mut line_no = 0;
    let mut points = 0;
    match format {
        FileFormat::Csv | FileFormat::Ndjson => {
            let id = opts.series.clone().ok_or_else(|| {
                Error::invalid(
                    "series",
                    format!(
                        "a {} file needs its series: from the key or path pattern, or named",
                        format.name()
                    ),
                )
            })?;
            out.series.push((id, BTreeMap::new()));
            let mut header = format == FileFormat::Csv;
            while next_line(r, &mut buf, line_no + 1).await? {
                line_no += 1;
                let point = match format {
                    FileFormat::Csv => {
                        if buf.trim_ascii().is_empty() {
                            continue;
                        }
                        if header {
                            crate::ingest::csv_header(line_no, &buf)?;
                            header = false;
                            continue;
                        }
                        crate::ingest::csv_line(line_no, &buf)?
                    }
                    _ => match crate::ingest::ndjson_line(line_no, &buf)? {
                        Some(p) => p,
                        None => continue,
                    },
                };
                points += 1;
                out.push(0, point).await?;
            }
        }
        FileFormat::LineProtocol => {
            let body = Body {
                db: opts.db,
                precision: opts.precision,
                template: opts.template,
                now: opts.now,
            };
            let mut lines = Lines::new(&body);
            let mut found = Vec::new();
            while next_line(r, &mut buf, line_no + 1).await? {
                line_no += 1;
                found.clear();
                lines.line(line_no, &buf, &mut |i, p| found.push((i, p)))?;
                if out.series.len() < lines.series.len() {
                    out.series
                        .extend_from_slice(&lines.series[out.series.len()..]);
                }
                for &(i, p) in &found {
                    points += 1;
                    out.push(i, p).await?;
                }
            }
        }
    }
    if points == 0 {
        return Err(Error::invalid(
            "body",
            format!("the {} content holds no points", format.name()),
        ));
    }
    out.flush().await?;
    Ok(Summary {
        lines: line_no,
        points,
        series: out
            .series
            .iter()
            .map(|(id, _)| id.as_str().to_owned())
            .collect(),
    })
}

/// One record of a queue or stream: a JSON object with its series and either one point
/// (`{"series": "s", "t": ..., "v": ...}`) or the points the points API takes
/// (`{"series": "s", "points": [...]}`), or line protocol text (naming its own series, with
/// `db` as `{db}`, nanosecond timestamps). An error names the field or line.
pub fn parse_record(
    data: &[u8],
    db: &str,
    template: &Template,
    now: i64,
) -> Result<Vec<SeriesPoints>> {
    if data.trim_ascii_start().starts_with(b"{") {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Rec<'a> {
            #[serde(borrow)]
            series: std::borrow::Cow<'a, str>,
            #[serde(borrow)]
            t: Option<&'a serde_json::value::RawValue>,
            #[serde(borrow)]
            v: Option<&'a serde_json::value::RawValue>,
            #[serde(borrow)]
            points: Option<&'a serde_json::value::RawValue>,
        }
        let rec: Rec = serde_json::from_slice(data).map_err(|e| {
            Error::invalid(
                "record",
                format!(
                    "a record is {{\"series\", \"t\", \"v\"}} or {{\"series\", \"points\"}}: {e}"
                ),
            )
        })?;
        let id = SeriesId::parse(&rec.series)?;
        let mut points = match (rec.t, rec.v, rec.points) {
            (Some(t), Some(v), None) => vec![Point {
                t: crate::ingest::timestamp(t)
                    .map_err(|m| Error::invalid("t", format!("t: {m}")))?,
                v: crate::ingest::value(v).map_err(|m| Error::invalid("v", format!("v: {m}")))?,
            }],
            (None, None, Some(points)) => {
                crate::ingest::parse(crate::ingest::Format::JsonArray, points.get().as_bytes())?
            }
            _ => {
                return Err(Error::invalid(
                    "record",
                    "a record holds either t and v, or points",
                ))
            }
        };
        crate::ingest::normalize(&mut points);
        Ok(vec![SeriesPoints {
            id,
            labels: BTreeMap::new(),
            points,
        }])
    } else {
        Body {
            db,
            precision: Precision::Ns,
            template,
            now,
        }
        .parse(data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        let p = KeyPattern::default();
        assert_eq!(p.series("incoming/room1/a.csv").as_deref(), Some("room1"));
        assert_eq!(
            p.series("incoming/room1/2024/a.csv").as_deref(),
            Some("room1")
        );
        assert_eq!(p.series("incoming/room1"), None);
        assert_eq!(p.series("other/room1/a.csv"), None);
        assert_eq!(
            p.series_in_path("/data/incoming/room1/a.csv").as_deref(),
            Some("room1")
        );
        let p = KeyPattern::parse("drop/{series}.csv").unwrap();
        assert_eq!(p.series("drop/x.csv").as_deref(), Some("x"));
        assert_eq!(p.series_in_path("/tmp/drop/x.csv").as_deref(), Some("x"));
        assert!(KeyPattern::parse("incoming/*").is_err());
        assert!(KeyPattern::parse("a/{db}/{series}").is_err());
    }

    #[test]
    fn sniffs() {
        assert_eq!(FileFormat::sniff(b"t,v\n1,2").unwrap(), FileFormat::Csv);
        assert_eq!(
            FileFormat::sniff(b" {\"t\":1}").unwrap(),
            FileFormat::Ndjson
        );
        assert_eq!(
            FileFormat::sniff(b"m f=1 1").unwrap(),
            FileFormat::LineProtocol
        );
        assert!(FileFormat::sniff(b"[[1,2]]").is_err());
        assert_eq!(FileFormat::from_name("a.CSV.gz"), Some(FileFormat::Csv));
        assert_eq!(FileFormat::from_name("a.jsonl"), Some(FileFormat::Ndjson));
        assert_eq!(FileFormat::from_name("a"), None);
    }

    #[test]
    fn records() {
        let t = Template::default();
        let r = parse_record(br#"{"series":"s","t":1.005,"v":0.1}"#, "q", &t, 0).unwrap();
        assert_eq!(r[0].points, vec![Point { t: 1005, v: 0.1 }]);
        let r = parse_record(br#"{"series":"s","points":[[2,1],[1,2]]}"#, "q", &t, 0).unwrap();
        assert_eq!(r[0].points.len(), 2);
        let r = parse_record(b"m,h=a f=1,g=2i 1000000", "q", &t, 0).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].id.as_str(), "q.m.f");
        assert!(parse_record(br#"{"series":"s","t":1}"#, "q", &t, 0).is_err());
        assert!(parse_record(br#"{"series":"s","t":1,"v":"x"}"#, "q", &t, 0).is_err());
    }
}
