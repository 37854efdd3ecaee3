//! The `series` table: key `id`; `meta` (JSON), `created`, `updated`. Counts and first and last
//! timestamps come from the points table.

use aws_sdk_dynamodb::types::ReturnValue;

use super::codec::{get_n, get_s, n, s, Item};
use super::conn::{aws_err, is_condition_failed, Db};
use super::points;
use crate::error::{Error, Result};
use crate::model::{SeriesId, SeriesInfo, SeriesMeta};
use crate::store::SeriesPut;

/// The series' item, read consistently; `None` when it does not exist.
pub(super) async fn item(d: &Db, id: &str) -> Result<Option<Item>> {
    d.item("series", id).await
}

async fn info(d: &Db, item: Item) -> Result<SeriesInfo> {
    let id = get_s(&item, "id")
        .ok_or_else(|| Error::Internal("series item without id".into()))?
        .to_owned();
    let meta: SeriesMeta = serde_json::from_str(get_s(&item, "meta").unwrap_or("{}"))
        .map_err(|e| Error::Internal(format!("corrupt metadata of {id}: {e}")))?;
    let (count, first, last) = points::stats(d, &id).await?;
    Ok(SeriesInfo {
        id: SeriesId::parse(&id)?,
        meta,
        count,
        first,
        last,
        created: get_n(&item, "created").unwrap_or(0),
        updated: get_n(&item, "updated").unwrap_or(0),
    })
}

pub(super) async fn list(d: &Db) -> Result<Vec<SeriesInfo>> {
    let mut items = Vec::new();
    let mut start: Option<Item> = None;
    loop {
        let r = d
            .client
            .scan()
            .table_name(d.table("series"))
            .consistent_read(true)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(aws_err)?;
        items.extend(r.items.unwrap_or_default());
        start = r.last_evaluated_key;
        if start.is_none() {
            break;
        }
    }
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        out.push(info(d, item).await?);
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}

pub(super) async fn get(d: &Db, id: &SeriesId) -> Result<Option<SeriesInfo>> {
    match item(d, id.as_str()).await? {
        Some(item) => Ok(Some(info(d, item).await?)),
        None => Ok(None),
    }
}

pub(super) async fn put(d: &Db, id: &SeriesId, meta: &SeriesMeta, now: i64) -> Result<SeriesPut> {
    let json = serde_json::to_string(meta).map_err(|e| Error::Internal(e.to_string()))?;
    let out = d
        .client
        .update_item()
        .table_name(d.table("series"))
        .key("id", s(id.as_str()))
        .update_expression("SET meta = :m, updated = :now, created = if_not_exists(created, :now)")
        .expression_attribute_values(":m", s(json))
        .expression_attribute_values(":now", n(now))
        .return_values(ReturnValue::AllOld)
        .send()
        .await
        .map_err(aws_err)?;
    let created = out.attributes.is_none_or(|a| !a.contains_key("created"));
    let info = get(d, id)
        .await?
        .ok_or_else(|| Error::Conflict("series deleted concurrently".into()))?;
    Ok(SeriesPut { info, created })
}

/// Creates the series with default metadata unless it exists (a point write creating it);
/// returns whether it was created.
pub(super) async fn create_if_missing(d: &Db, id: &SeriesId, now: i64) -> Result<bool> {
    match d
        .client
        .put_item()
        .table_name(d.table("series"))
        .item("id", s(id.as_str()))
        .item(
            "meta",
            s(serde_json::to_string(&SeriesMeta::default()).expect("serializable")),
        )
        .item("created", n(now))
        .item("updated", n(now))
        .condition_expression("attribute_not_exists(id)")
        .send()
        .await
    {
        Ok(_) => Ok(true),
        Err(e) if is_condition_failed(&e) => Ok(false),
        Err(e) => Err(aws_err(e)),
    }
}

/// Deletes the series and its points; false when it did not exist.
pub(super) async fn delete(d: &Db, id: &SeriesId) -> Result<bool> {
    if item(d, id.as_str()).await?.is_none() {
        return Ok(false);
    }
    // Points first: if this stops half-way the series still exists and DELETE can be resent.
    points::delete(d, id.as_str(), i64::MIN, i64::MAX).await?;
    d.client
        .delete_item()
        .table_name(d.table("series"))
        .key("id", s(id.as_str()))
        .send()
        .await
        .map_err(aws_err)?;
    Ok(true)
}
