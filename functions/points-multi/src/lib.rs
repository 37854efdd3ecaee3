//! `GET /points`: several series in one query, on the same buckets. Parameters: `series`
//! (repeated, 1 to 32 ids), `every` (required, the bucket width), `agg` (mean by default),
//! `from`, `to`, `fill` (`null`, `previous`, `linear` or `zero`: a row for every bucket of the
//! range, so both bounds are needed; without it, rows only where some series has points) and
//! `format` (`json`, or `csv` as does `Accept: text/csv`).
//!
//! JSON: `{"series": [...], "every", "agg", "fill", "points": [{"t", "v": [one per series]}]}`,
//! null where a series has no value. CSV: `t,<series>...`, an empty cell for null.

use std::sync::Arc;

use tsfn_shared::http::{self, Query};
use tsfn_shared::model::SeriesId;
use tsfn_shared::query::{self, Agg, Bucketing, Fill};
use tsfn_shared::{time, App, Error, Request, Response, Result};

pub const METHOD: &str = "GET";
pub const PATH: &str = "/points";

/// The most series one query may align.
const MAX_SERIES: usize = 32;

pub async fn handler(app: Arc<App>, req: Request) -> Result<Response> {
    let mut q = Query::parse_repeating(&req, &["series"])?;
    let mut ids = Vec::new();
    for s in q.take_all("series") {
        let id = SeriesId::parse(&s)?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    if ids.is_empty() || ids.len() > MAX_SERIES {
        return Err(Error::invalid(
            "series",
            format!("give 1 to {MAX_SERIES} series, as series=a&series=b"),
        ));
    }
    let range = q.range()?;
    let every = q.take("every").ok_or_else(|| {
        Error::invalid(
            "every",
            "every is required: the bucket width the series are aligned on, e.g. 1h",
        )
    })?;
    let width = time::parse_duration(&every).map_err(|m| Error::invalid("every", m))?;
    let agg = q
        .take("agg")
        .map(|a| Agg::parse(&a))
        .transpose()?
        .unwrap_or(Agg::Mean);
    let fill = q.take("fill").map(|f| Fill::parse(&f)).transpose()?;
    let csv = http::wants_csv(&req, q.take("format").as_deref())?;
    q.finish()?;
    let a = query::aligned(
        app.store.as_ref(),
        &ids,
        range,
        Bucketing { every: width, agg },
        fill,
    )
    .await?;
    if csv {
        return Ok(http::csv_response(to_csv(&ids, &a), None));
    }
    #[derive(serde::Serialize)]
    struct Row {
        t: String,
        v: Vec<Option<f64>>,
    }
    #[derive(serde::Serialize)]
    struct Answer<'a> {
        series: Vec<&'a str>,
        every: &'a str,
        agg: &'static str,
        fill: Option<&'static str>,
        points: Vec<Row>,
    }
    let points = a
        .times
        .iter()
        .enumerate()
        .map(|(i, &t)| Row {
            t: time::format(t),
            v: a.columns.iter().map(|c| c[i]).collect(),
        })
        .collect();
    Ok(http::json_response(
        200,
        &Answer {
            series: ids.iter().map(SeriesId::as_str).collect(),
            every: &every,
            agg: agg.name(),
            fill: fill.map(Fill::name),
            points,
        },
    ))
}

fn to_csv(ids: &[SeriesId], a: &query::Aligned) -> Vec<u8> {
    let mut out = b"t".to_vec();
    for id in ids {
        out.push(b',');
        out.extend_from_slice(id.as_str().as_bytes());
    }
    out.push(b'\n');
    let mut num = ryu::Buffer::new();
    for (i, &t) in a.times.iter().enumerate() {
        time::write_rfc3339(&mut out, t);
        for c in &a.columns {
            out.push(b',');
            // Empty for null, and for an aggregate that overflowed.
            http::write_value(&mut out, &mut num, c[i].unwrap_or(f64::NAN), b"");
        }
        out.push(b'\n');
    }
    out
}
