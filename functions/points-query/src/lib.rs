//! `GET /series/{series}/points`: range query.
//!
//! Parameters: `from` (inclusive), `to` (exclusive), `limit` (1-10000, default 1000), `order`
//! (`asc`|`desc`), `cursor` (the `next_cursor` of the previous page). With `every` (e.g. `1h`)
//! the points are grouped in epoch-aligned buckets and reduced with `agg` (mean by default; min,
//! max, sum, count, first, last); each bucket is reported at its start time.

use std::sync::Arc;

use tsfn_shared::http::{self, PathParams, Query};
use tsfn_shared::model::Order;
use tsfn_shared::query::{self, Agg, Bucketing, Cursor, PointsQuery, DEFAULT_LIMIT, MAX_LIMIT};
use tsfn_shared::{time, views, App, Error, Request, Response, Result};

pub const METHOD: &str = "GET";
pub const PATH: &str = "/series/{series}/points";

pub async fn handler(app: Arc<App>, req: Request) -> Result<Response> {
    let id = PathParams::parse(&req, PATH)?.series()?;
    let mut q = Query::parse(&req)?;
    let range = q.range()?;
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
    let extra: Vec<(&str, &str)> = match (&every, bucket) {
        (Some(e), Some(b)) => vec![("every", e.as_str()), ("agg", b.agg.name())],
        _ => Vec::new(),
    };
    Ok(http::raw_json(
        200,
        views::page_json(id.as_str(), &extra, &page),
    ))
}
