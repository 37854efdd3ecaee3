//! `GET /series`: every series with its point count, first and last timestamps.
//!
//! Filters, all optional and all applying at once: `label=KEY:VALUE` (repeatable; every one
//! must match a label exactly) and `q=TEXT` (case-insensitive, within the id or the name).

use std::sync::Arc;

use tsfn_shared::http::{self, Query};
use tsfn_shared::views::SeriesView;
use tsfn_shared::{App, Error, Request, Response, Result};

pub const METHOD: &str = "GET";
pub const PATH: &str = "/series";

#[derive(serde::Serialize)]
struct Listing<'a> {
    series: Vec<SeriesView<'a>>,
}

pub async fn handler(app: Arc<App>, req: Request) -> Result<Response> {
    let mut q = Query::parse_repeating(&req, &["label"])?;
    let mut labels = Vec::new();
    for l in q.take_all("label") {
        match l.split_once(':') {
            Some((k, v)) if !k.is_empty() => labels.push((k.to_owned(), v.to_owned())),
            _ => {
                return Err(Error::invalid(
                    "label",
                    format!("label must be KEY:VALUE, such as label=room:kitchen; got {l:?}"),
                ))
            }
        }
    }
    let text = q.take("q").map(|t| t.to_lowercase());
    q.finish()?;
    let all = app.store.list_series().await?;
    let body = Listing {
        series: all
            .iter()
            .filter(|s| {
                labels
                    .iter()
                    .all(|(k, v)| s.meta.labels.get(k).is_some_and(|have| have == v))
            })
            .filter(|s| {
                text.as_deref().is_none_or(|t| {
                    s.id.as_str().contains(t) || s.meta.name.to_lowercase().contains(t)
                })
            })
            .map(SeriesView::from)
            .collect(),
    };
    Ok(http::json_response(200, &body))
}
