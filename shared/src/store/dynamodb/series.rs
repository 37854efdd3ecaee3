//! The `series` table: key `id`; `meta` (JSON), `created`, `updated`, `n` (points) and `ver`
//! (chunk transactions so far, what writers compare and set). First and last timestamps come
//! from the points table; so does the count of a series of earlier versions that has no `n`
//! yet (`tsfn init-store` records it).

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::ReturnValue;

use super::codec::{get_n, get_s, n, s, Item};
use super::conn::{aws_err, is_condition_failed, Db};
use super::points::{self, Tries};
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
    let (count, first, last) = points::stats(d, &id, &item).await?;
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
    // A new series starts with a point count and a version, so it never needs counting.
    let created = match d
        .client
        .put_item()
        .table_name(d.table("series"))
        .item("id", s(id.as_str()))
        .item("meta", s(json.clone()))
        .item("created", n(now))
        .item("updated", n(now))
        .item("n", n(0))
        .item("ver", n(0))
        .condition_expression("attribute_not_exists(id)")
        .send()
        .await
    {
        Ok(_) => true,
        Err(e) if is_condition_failed(&e) => update_meta(d, id, &json, now).await?,
        Err(e) => return Err(aws_err(e)),
    };
    let info = get(d, id)
        .await?
        .ok_or_else(|| Error::Conflict("series deleted concurrently".into()))?;
    Ok(SeriesPut { info, created })
}

/// Replaces the metadata of an existing series; returns whether it was created after all
/// (deleted since the caller found it). A point write's transaction holding the item makes the
/// update fail with TransactionConflict: it is tried again, as writes are.
async fn update_meta(d: &Db, id: &SeriesId, json: &str, now: i64) -> Result<bool> {
    let mut tries = Tries::new();
    loop {
        match d
            .client
            .update_item()
            .table_name(d.table("series"))
            .key("id", s(id.as_str()))
            .update_expression(
                "SET meta = :m, updated = :now, created = if_not_exists(created, :now)",
            )
            .expression_attribute_values(":m", s(json))
            .expression_attribute_values(":now", n(now))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
        {
            Ok(out) => return Ok(out.attributes.is_none_or(|a| !a.contains_key("created"))),
            Err(e) if e.code() == Some("TransactionConflictException") && tries.again().await => {}
            Err(e) => return Err(aws_err(e)),
        }
    }
}

/// Deletes the series and its points; false when it did not exist.
pub(super) async fn delete(d: &Db, id: &SeriesId) -> Result<bool> {
    points::delete_series(d, id).await
}
