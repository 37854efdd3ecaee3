//! Compaction, run by `tsfn init-store`: earlier versions kept a `points` item per point (`v`,
//! no `c`) and no point count on the series item, and writes among such items leave small
//! chunks. Per-point items are read as one-point chunks meanwhile, so nothing depends on this
//! having run; it saves space, write units and reads.
//!
//! For each series, its items are walked in time order and cut into runs of consecutive items
//! holding at most a chunk's worth of points (`chunk::MAX_POINTS`) together; a run of several items, or one per-point item,
//! becomes one chunk, in transactions that each check and move the series' version like any
//! write: the first puts the merged chunk of the run's first 99 items under the first one's key
//! (replacing it) and deletes the other 98, each next one puts the chunk grown by the next 98
//! and deletes those. Every transaction leaves the series whole (no point in two items, none
//! missing), so this is safe to interrupt, to run again, and to run while tsfn serves: a writer
//! that races a step plans again, and a step that loses to a writer walks the series again. A
//! series without `n` then gets its count, compared and set against the version it was
//! counted at.

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem};

use super::codec::{chunk_item, chunk_of, get_s, is_point_item, n, points_in_item, s, Item};
use super::conn::{aws_err, is_condition_failed, Db};
use super::points::{
    self, chunk_delete, expect_version, head, series_update, transact, Head, Tries, TX_ITEMS,
};
use crate::chunk::{Chunk, MAX_POINTS};
use crate::error::{Error, Result};
use crate::model::Point;

/// Items a step merges in (and deletes): a transaction holds them, the chunk's Put and the
/// series item's Update.
const STEP: usize = TX_ITEMS - 2;

/// What compaction did to one series.
#[derive(Debug, Default)]
struct Done {
    /// Items merged into others or rewritten as chunks, and how many of them were per-point.
    items: u64,
    point_items: u64,
    chunks: u64,
    counted: Option<u64>,
}

/// Compacts every series, saying what it converted.
pub(super) async fn all(d: &Db, say: &mut (dyn for<'a> FnMut(&'a str) + Send)) -> Result<()> {
    let (mut items, mut chunks) = (0, 0);
    for id in series_ids(d).await? {
        let done = series(d, &id).await?;
        if done.items > 0 {
            say(&format!(
                "series {id}: {} items ({} of them per-point items of earlier versions) \
                 compacted into {} chunks",
                done.items, done.point_items, done.chunks
            ));
        }
        if let Some(n) = done.counted {
            say(&format!("series {id}: point count recorded ({n})"));
        }
        items += done.items;
        chunks += done.chunks;
    }
    if items > 0 {
        say(&format!("compacted {items} items into {chunks} chunks"));
    }
    Ok(())
}

async fn series_ids(d: &Db) -> Result<Vec<String>> {
    let mut ids = Vec::new();
    let mut start: Option<Item> = None;
    loop {
        let r = d
            .client
            .scan()
            .table_name(d.table("series"))
            .projection_expression("id")
            .consistent_read(true)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(aws_err)?;
        ids.extend(
            r.items
                .unwrap_or_default()
                .iter()
                .filter_map(|i| get_s(i, "id").map(str::to_owned)),
        );
        start = r.last_evaluated_key;
        if start.is_none() {
            ids.sort();
            return Ok(ids);
        }
    }
}

async fn series(d: &Db, id: &str) -> Result<Done> {
    let mut done = Done::default();
    let mut tries = Tries::new();
    loop {
        match walk(d, id, &mut done, &mut tries).await? {
            true => return Ok(done),
            false if tries.again().await => {}
            false => {
                return Err(Error::Unavailable(format!(
                    "series {id:?} is being written by many writers at once: run \
                     `tsfn init-store` again to finish compacting it"
                )))
            }
        }
    }
}

/// Consecutive items of a series that together hold at most `MAX_POINTS` points.
#[derive(Default)]
struct Run {
    items: Vec<Item>,
    points: u64,
    point_items: u64,
}

impl Run {
    /// Adds the next item of the series; returns the run before it when it does not fit
    /// beside it (the item then starts this one anew).
    fn add(&mut self, item: Item) -> Option<Run> {
        let n = points_in_item(&item);
        let complete = (self.points + n > MAX_POINTS as u64).then(|| std::mem::take(self));
        self.points += n;
        self.point_items += is_point_item(&item) as u64;
        self.items.push(item);
        complete
    }

    /// Whether merging it changes anything: more than one item, or a per-point item.
    fn worth_it(&self) -> bool {
        self.items.len() > 1 || self.point_items > 0
    }
}

/// One pass over the series; false when a step lost to a concurrent writer (walk again).
async fn walk(d: &Db, id: &str, done: &mut Done, tries: &mut Tries) -> Result<bool> {
    let Some(mut head) = head(d, id).await? else {
        return Ok(true); // Deleted meanwhile.
    };
    let mut run = Run::default();
    let mut start: Option<Item> = None;
    loop {
        let r = d
            .client
            .query()
            .table_name(d.table("points"))
            .key_condition_expression("s = :s")
            .expression_attribute_values(":s", s(id))
            .consistent_read(true)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(aws_err)?;
        for item in r.items.unwrap_or_default() {
            if let Some(complete) = run.add(item) {
                if !flush(d, id, &mut head, complete, done, tries).await? {
                    return Ok(false);
                }
            }
        }
        start = r.last_evaluated_key;
        if start.is_none() {
            break;
        }
    }
    if !flush(d, id, &mut head, run, done, tries).await? {
        return Ok(false);
    }
    if head.n.is_none() {
        let count: u64 = points::keys(d, id).await?.iter().map(|(_, n)| n).sum();
        if !record_count(d, id, head, count).await? {
            return Ok(false);
        }
        done.counted = Some(count);
    }
    Ok(true)
}

/// Merges a run into one chunk if that changes anything; false when the series moved on.
async fn flush(
    d: &Db,
    id: &str,
    head: &mut Head,
    run: Run,
    done: &mut Done,
    tries: &mut Tries,
) -> Result<bool> {
    if !run.worth_it() {
        return Ok(true);
    }
    let chunks = run
        .items
        .into_iter()
        .map(chunk_of)
        .collect::<Result<Vec<_>>>()?;
    if !merge(d, id, head, &chunks, tries).await? {
        return Ok(false);
    }
    done.items += chunks.len() as u64;
    done.point_items += run.point_items;
    done.chunks += 1;
    Ok(true)
}

/// Turns consecutive chunks (ascending, at most `MAX_POINTS` points in all) into one chunk under the
/// first one's key, step by step; false when the series moved on.
async fn merge(
    d: &Db,
    id: &str,
    head: &mut Head,
    run: &[Chunk],
    tries: &mut Tries,
) -> Result<bool> {
    let mut points: Vec<Point> = run[0].points()?;
    // The chunk's Put replaces the first item.
    let mut merged = 1;
    loop {
        let upto = (merged + STEP).min(run.len());
        for c in &run[merged..upto] {
            points.extend(c.points()?);
        }
        let put = Put::builder()
            .table_name(d.table("points"))
            .set_item(Some(chunk_item(id, &Chunk::encode(&points))))
            .build()
            .map_err(|e| Error::Internal(e.to_string()))?;
        let mut actions = vec![TransactWriteItem::builder().put(put).build()];
        for c in &run[merged..upto] {
            actions.push(chunk_delete(d, id, c.start())?);
        }
        actions.push(series_update(d, id, Some(*head), 0, 0)?);
        if !transact(d, actions).await? {
            return Ok(false);
        }
        head.ver += 1;
        tries.progress();
        merged = upto;
        if merged == run.len() {
            return Ok(true);
        }
    }
}

/// Records the point count of a series that has none, if it is still at the version counted.
async fn record_count(d: &Db, id: &str, head: Head, count: u64) -> Result<bool> {
    match d
        .client
        .update_item()
        .table_name(d.table("series"))
        .key("id", s(id))
        .update_expression("SET #n = :count, #ver = if_not_exists(#ver, :zero) + :one")
        .condition_expression(expect_version(Some(head)))
        .expression_attribute_names("#n", "n")
        .expression_attribute_names("#ver", "ver")
        .expression_attribute_values(":count", n(count))
        .expression_attribute_values(":ver", n(head.ver))
        .expression_attribute_values(":zero", n(0))
        .expression_attribute_values(":one", n(1))
        .send()
        .await
    {
        Ok(_) => Ok(true),
        Err(e) if is_condition_failed(&e) || e.code() == Some("TransactionConflictException") => {
            Ok(false)
        }
        Err(e) => Err(aws_err(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::dynamodb::codec::chunk_item;

    fn point_item(t: i64) -> Item {
        Item::from([
            ("s".to_owned(), s("x")),
            ("t".to_owned(), n(t)),
            (
                "v".to_owned(),
                aws_sdk_dynamodb::types::AttributeValue::B(
                    aws_sdk_dynamodb::primitives::Blob::new(1.5f64.to_bits().to_be_bytes()),
                ),
            ),
        ])
    }

    fn chunk(t: i64, len: i64) -> Item {
        let points: Vec<Point> = (t..t + len).map(|t| Point { t, v: 0.5 }).collect();
        chunk_item("x", &Chunk::encode(&points))
    }

    /// Runs hold at most a chunk's worth of points; a lone chunk item is left alone, a lone
    /// per-point item is rewritten as a chunk.
    #[test]
    fn runs_cut_at_a_chunks_worth_of_points() {
        let m = MAX_POINTS as i64;
        let mut items: Vec<Item> = (0..m + m / 2).map(point_item).collect();
        items.push(chunk(50_000, m - 8));
        items.extend((80_000..80_005).map(point_item));
        items.push(chunk(90_000, m));
        items.push(point_item(200_000));
        let mut run = Run::default();
        let mut runs: Vec<Run> = items.into_iter().filter_map(|i| run.add(i)).collect();
        runs.push(run);
        let shape: Vec<(usize, u64, u64, bool)> = runs
            .iter()
            .map(|r| (r.items.len(), r.points, r.point_items, r.worth_it()))
            .collect();
        let (mu, mp) = (MAX_POINTS, MAX_POINTS as u64);
        assert_eq!(
            shape,
            vec![
                (mu, mp, mp, true),
                (mu / 2, mp / 2, mp / 2, true),
                (6, mp - 3, 5, true),
                (1, mp, 0, false),
                (1, 1, 1, true),
            ]
        );
    }
}
