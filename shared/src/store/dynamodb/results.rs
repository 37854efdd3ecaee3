//! The `results` table: partition `id`, sort `part`; a result in parts of at most 350 KB, so
//! results above the 400 KB item limit work. The job item records how many parts there are.

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;

use super::codec::{n, s, Item};
use super::conn::{aws_err, Db};
use crate::error::{Error, Result};

/// Result bytes per item: below the 400 KB item limit with room for the keys.
const PART_BYTES: usize = 350 * 1024;

/// Stores `data` as the result of job `id`, expiring with it at `expires_at` (epoch seconds);
/// returns the number of parts.
pub(super) async fn put(d: &Db, id: &str, data: &[u8], expires_at: i64) -> Result<usize> {
    let parts = data.chunks(PART_BYTES).collect::<Vec<_>>();
    for (i, part) in parts.iter().enumerate() {
        d.client
            .put_item()
            .table_name(d.table("results"))
            .item("id", s(id))
            .item("part", n(i))
            .item("data", AttributeValue::B(Blob::new(part.to_vec())))
            .item(super::schema::TTL_ATTRIBUTE, n(expires_at))
            .send()
            .await
            .map_err(aws_err)?;
    }
    Ok(parts.len())
}

/// The `parts` parts of job `id`'s result, joined (`size` is the expected length).
pub(super) async fn read(d: &Db, id: &str, parts: usize, size: usize) -> Result<Vec<u8>> {
    let mut data = Vec::with_capacity(size);
    let mut start: Option<Item> = None;
    let mut seen = 0;
    loop {
        let r = d
            .client
            .query()
            .table_name(d.table("results"))
            .key_condition_expression("id = :id AND part < :n")
            .expression_attribute_values(":id", s(id))
            .expression_attribute_values(":n", n(parts))
            .consistent_read(true)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(aws_err)?;
        for it in r.items.unwrap_or_default() {
            let blob = it
                .get("data")
                .and_then(|v| v.as_b().ok())
                .ok_or_else(|| Error::Internal("result part without data".into()))?;
            data.extend_from_slice(blob.as_ref());
            seen += 1;
        }
        start = r.last_evaluated_key;
        if start.is_none() {
            break;
        }
    }
    if seen != parts {
        return Err(Error::Internal(format!(
            "result of job {id} has {seen} of {parts} parts"
        )));
    }
    Ok(data)
}

/// Deletes the `parts` parts of job `id`'s result.
pub(super) async fn delete(d: &Db, id: &str, parts: usize) -> Result<()> {
    for part in 0..parts {
        d.client
            .delete_item()
            .table_name(d.table("results"))
            .key("id", s(id))
            .key("part", n(part))
            .send()
            .await
            .map_err(aws_err)?;
    }
    Ok(())
}
