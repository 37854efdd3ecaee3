//! JSON shapes of responses, written in one place so every route renders a thing the same way.

use serde::Serialize;

use crate::model::{Point, SeriesInfo};
use crate::query::{Page, Stats};
use crate::time;

#[derive(Serialize)]
pub struct SeriesView<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub unit: &'a str,
    pub description: &'a str,
    pub labels: &'a std::collections::BTreeMap<String, String>,
    /// `null` when every point is kept.
    pub retention: Option<crate::model::Retention>,
    pub count: u64,
    pub first: Option<String>,
    pub last: Option<String>,
    pub created: String,
    pub updated: String,
}

impl<'a> From<&'a SeriesInfo> for SeriesView<'a> {
    fn from(s: &'a SeriesInfo) -> Self {
        SeriesView {
            id: s.id.as_str(),
            name: &s.meta.name,
            unit: &s.meta.unit,
            description: &s.meta.description,
            labels: &s.meta.labels,
            retention: s.meta.retention,
            count: s.count,
            first: s.first.map(time::format),
            last: s.last.map(time::format),
            created: time::format(s.created),
            updated: time::format(s.updated),
        }
    }
}

#[derive(Serialize)]
pub struct PointView {
    pub t: String,
    pub v: f64,
}

impl From<Point> for PointView {
    fn from(p: Point) -> Self {
        PointView {
            t: time::format(p.t),
            v: p.v,
        }
    }
}

#[derive(Serialize)]
pub struct StatsView {
    pub series: String,
    pub from: Option<String>,
    pub to: Option<String>,
    pub count: u64,
    pub mean: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub stddev: Option<f64>,
    pub sum: f64,
    pub first: Option<PointView>,
    pub last: Option<PointView>,
}

impl StatsView {
    pub fn new(series: &str, range: crate::model::Range, s: Stats) -> Self {
        StatsView {
            series: series.to_owned(),
            from: range.from.map(time::format),
            to: range.to.map(time::format),
            count: s.count,
            mean: s.mean,
            min: s.min,
            max: s.max,
            stddev: s.stddev,
            sum: s.sum,
            first: s.first.map(PointView::from),
            last: s.last.map(PointView::from),
        }
    }
}

/// `{"series": ..., [extra fields,] "points": [...], "next_cursor": ...}` written directly.
pub fn page_json(series: &str, extra: &[(&str, serde_json::Value)], page: &Page) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + page.points.len() * 48);
    out.extend_from_slice(b"{\"series\":");
    crate::http::write_json_str(&mut out, series);
    for (k, v) in extra {
        out.push(b',');
        crate::http::write_json_str(&mut out, k);
        out.push(b':');
        serde_json::to_writer(&mut out, v).expect("a JSON value serializes");
    }
    out.extend_from_slice(b",\"points\":");
    crate::http::write_points_json(&mut out, &page.points);
    out.extend_from_slice(b",\"next_cursor\":");
    match page.next {
        Some(c) => crate::http::write_json_str(&mut out, &c.encode()),
        None => out.extend_from_slice(b"null"),
    }
    out.push(b'}');
    out
}
