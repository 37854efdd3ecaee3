//! `GET /series/{series}/points`: range query.
//!
//! Parameters: `from` (inclusive), `to` (exclusive), `limit` (1-10000, default 1000), `order`
//! (`asc`|`desc`), `cursor` (the `next_cursor` of the previous page). With `every` (e.g. `1h`)
//! the points are grouped in epoch-aligned buckets and reduced with `agg` (mean by default; min,
//! max, sum, count, first, last); each bucket is reported at its start time. With
//! `max_points` (2-100000) the range is drawn instead ([`query::draw`]): the least and greatest
//! point of each of `max_points / 2` equal buckets, their width in the answer as `bucket_ms`,
//! in one answer without a cursor. CSV instead of JSON with `format=csv` or `Accept: text/csv`:
//! a `t,v` header and a row per point (or bucket), the next page's cursor in `x-next-cursor`.

use std::sync::Arc;

use tsfn_shared::http::{self, PathParams, Query};
use tsfn_shared::model::{Order, Range, SeriesId};
use tsfn_shared::query::{self, Agg, Bucketing, Cursor, PointsQuery, DEFAULT_LIMIT, MAX_LIMIT};
use tsfn_shared::{time, views, App, Error, Request, Response, Result};

pub const METHOD: &str = "GET";
pub const PATH: &str = "/series/{series}/points";

pub async fn handler(app: Arc<App>, req: Request) -> Result<Response> {
    let id = PathParams::parse(&req, PATH)?.series()?;
    let mut q = Query::parse(&req)?;
    let range = q.range()?;
    let csv = http::wants_csv(&req, q.take("format").as_deref())?;
    if let Some(n) = q.take("max_points") {
        // Paging and bucketing mean nothing for a drawing: refused by name, not ignored.
        for other in ["limit", "cursor", "order", "every", "agg"] {
            if q.take(other).is_some() {
                return Err(Error::invalid(
                    other,
                    format!(
                        "`{other}` cannot be combined with `max_points`, which returns one \
                         drawing of the whole range in time order"
                    ),
                ));
            }
        }
        q.finish()?;
        return draw(&app, &id, range, &n, csv).await;
    }
    let limit = q.usize_in("limit", DEFAULT_LIMIT, MAX_LIMIT)?;
    let order = q
        .take("order")
        .map(|o| Order::parse(&o))
        .transpose()?
        .unwrap_or_default();
    let cursor = q.take("cursor").map(|c| Cursor::decode(&c)).transpose()?;
    let every = q.take("every");
    let agg = q.take("agg");
    q.finish()?;
    let bucket = match (&every, &agg) {
        (Some(e), a) => Some(Bucketing {
            every: time::parse_duration(e).map_err(|m| Error::invalid("every", m))?,
            agg: a
                .as_deref()
                .map(Agg::parse)
                .transpose()?
                .unwrap_or(Agg::Mean),
        }),
        (None, Some(_)) => {
            return Err(Error::invalid(
                "agg",
                "`agg` needs `every` (the bucket width, e.g. 1h)",
            ))
        }
        (None, None) => None,
    };
    let page = query::points(
        app.store.as_ref(),
        &id,
        &PointsQuery {
            range,
            order,
            limit,
            cursor,
            bucket,
        },
    )
    .await?;
    if csv {
        return Ok(csv_page(&page));
    }
    let extra: Vec<(&str, serde_json::Value)> = match (&every, bucket) {
        (Some(e), Some(b)) => vec![("every", e.as_str().into()), ("agg", b.agg.name().into())],
        _ => Vec::new(),
    };
    Ok(http::raw_json(
        200,
        views::page_json(id.as_str(), &extra, &page),
    ))
}

/// `max_points=N`: the range drawn N/2 buckets wide, with the bounds it covers (`from` and `to`
/// as the query would give them; the series' first and last times where it gave none; null for
/// a range without points).
/// A page as CSV: `t,v`, then a row per point.
fn csv_page(page: &query::Page) -> Response {
    let mut out = b"t,v\n".to_vec();
    http::write_points_csv(&mut out, &page.points);
    http::csv_response(out, page.next.map(|c| c.encode()))
}

async fn draw(app: &App, id: &SeriesId, range: Range, n: &str, csv: bool) -> Result<Response> {
    let max_points = match n.parse::<usize>() {
        Ok(n) if (2..=query::MAX_DRAW_POINTS).contains(&n) => n,
        _ => {
            return Err(Error::invalid(
                "max_points",
                format!(
                    "must be an integer from 2 to {}, got {n:?}",
                    query::MAX_DRAW_POINTS
                ),
            ))
        }
    };
    let d = query::draw(app.store.as_ref(), id, range, max_points).await?;
    if csv {
        return Ok(csv_page(&query::Page {
            points: d.points,
            next: None,
        }));
    }
    // `to` is exclusive: one past a last point at 9999-12-31T23:59:59.999Z has no timestamp.
    let bound = |ms: Option<i64>| match ms {
        Some(ms) if (time::MIN_MS..=time::MAX_MS).contains(&ms) => time::format(ms).into(),
        _ => serde_json::Value::Null,
    };
    let extra = [
        ("max_points", max_points.into()),
        ("bucket_ms", d.bucket_ms.into()),
        ("from", bound(d.span.map(|s| s.0))),
        ("to", bound(d.span.map(|s| s.1))),
    ];
    let page = query::Page {
        points: d.points,
        next: None,
    };
    Ok(http::raw_json(
        200,
        views::page_json(id.as_str(), &extra, &page),
    ))
}
