//! Points, in the `chunks` table: one row per chunk (see `crate::chunk`), keyed by
//! `(sid, start)`, with the chunk's last time and point count beside its bytes so a series'
//! count and span come from an index walk. Every write or delete is one transaction: load the
//! chunks it touches, plan, store.

use rusqlite::{params, Connection, Transaction};

use super::conn::{db_err, write_tx};
use super::series;
use crate::chunk::{self, Chunk, Plan};
use crate::error::{Error, Result};
use crate::model::{Order, Point, Range, SeriesId};
use crate::store::not_found;

/// The chunks for a range (the last one starting at or before its start, then those starting
/// inside it); the caller picks the columns and the order.
const FOR_RANGE: &str = "FROM chunks WHERE sid = ?1 AND start <= ?3 AND start >= coalesce(
    (SELECT max(start) FROM chunks WHERE sid = ?1 AND start <= ?2), ?2)";

/// [`FOR_RANGE`] with the series given by its id (`?1`).
const FOR_RANGE_BY_ID: &str = "FROM chunks WHERE sid = (SELECT sid FROM series WHERE id = ?1)
    AND start <= ?3 AND start >= coalesce((SELECT max(start) FROM chunks
    WHERE sid = (SELECT sid FROM series WHERE id = ?1) AND start <= ?2), ?2)";

fn read_chunk(bytes: Vec<u8>) -> Result<Chunk> {
    Chunk::from_bytes(bytes)
}

/// Starts of the chunks for `range`, ascending.
fn starts(tx: &Transaction, sid: i64, range: Range) -> Result<Vec<i64>> {
    let mut stmt = tx
        .prepare_cached(&format!("SELECT start {FOR_RANGE} ORDER BY start"))
        .map_err(db_err)?;
    let rows = stmt
        .query_map(params![sid, range.lo(), range.hi()], |r| r.get(0))
        .map_err(db_err)?;
    rows.collect::<rusqlite::Result<_>>().map_err(db_err)
}

fn load(tx: &Transaction, sid: i64, start: i64) -> Result<Chunk> {
    let bytes: Vec<u8> = tx
        .prepare_cached("SELECT data FROM chunks WHERE sid = ?1 AND start = ?2")
        .and_then(|mut s| s.query_row(params![sid, start], |r| r.get(0)))
        .map_err(db_err)?;
    read_chunk(bytes)
}

fn apply(tx: &Transaction, sid: i64, plan: &Plan) -> Result<()> {
    let mut del = tx
        .prepare_cached("DELETE FROM chunks WHERE sid = ?1 AND start = ?2")
        .map_err(db_err)?;
    for start in &plan.remove {
        del.execute(params![sid, start]).map_err(db_err)?;
    }
    let mut put = tx
        .prepare_cached(
            "INSERT INTO chunks (sid, start, last, n, data) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (sid, start) DO UPDATE SET last = excluded.last, n = excluded.n,
             data = excluded.data",
        )
        .map_err(db_err)?;
    for c in &plan.put {
        put.execute(params![
            sid,
            c.start(),
            c.end(),
            c.len() as i64,
            c.as_bytes()
        ])
        .map_err(db_err)?;
    }
    Ok(())
}

/// Stores `points` into the series `sid` inside `tx`.
pub(super) fn insert(tx: &Transaction, sid: i64, points: &[Point]) -> Result<()> {
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return Ok(());
    };
    let starts = starts(
        tx,
        sid,
        Range {
            from: Some(first.t),
            to: Some(last.t.saturating_add(1)),
        },
    )?;
    let owning = chunk::owners(&starts, points)
        .into_iter()
        .filter_map(|(s, _)| s)
        .map(|s| load(tx, sid, s))
        .collect::<Result<Vec<_>>>()?;
    apply(tx, sid, &chunk::plan_write(&starts, &owning, points)?)
}

/// Upserts `points` in one transaction, creating the series when missing; returns whether it
/// was created.
pub(super) fn write(conn: &mut Connection, id: &str, points: &[Point], now: i64) -> Result<bool> {
    let tx = write_tx(conn)?;
    // `updated` is when the metadata was last written, so point writes leave it alone.
    let (sid, created) = match series::sid_of(&tx, id)? {
        Some(sid) => (sid, false),
        None => (series::insert_default(&tx, id, now)?, true),
    };
    insert(&tx, sid, points)?;
    tx.commit().map_err(db_err)?;
    Ok(created)
}

pub(super) fn read(
    conn: &Connection,
    id: &SeriesId,
    range: Range,
    order: Order,
    max: usize,
) -> Result<Vec<Chunk>> {
    if range.is_empty() {
        series::sid_of(conn, id.as_str())?.ok_or_else(|| not_found(id))?;
        return Ok(Vec::new());
    }
    // One statement (one read transaction, one round of file locks) finds the series and reads
    // its chunks: a range query is this call alone, so it is what bounds ranges per second.
    let sql = match order {
        Order::Asc => format!("SELECT data {FOR_RANGE_BY_ID} ORDER BY start ASC LIMIT ?4"),
        Order::Desc => format!("SELECT data {FOR_RANGE_BY_ID} ORDER BY start DESC LIMIT ?4"),
    };
    let mut stmt = conn.prepare_cached(&sql).map_err(db_err)?;
    let mut rows = stmt
        .query(params![id.as_str(), range.lo(), range.hi(), max as i64])
        .map_err(db_err)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(db_err)? {
        out.push(read_chunk(r.get(0).map_err(db_err)?)?);
    }
    if out.is_empty() {
        // No chunk: a series without points there, or no series.
        series::sid_of(conn, id.as_str())?.ok_or_else(|| not_found(id))?;
    }
    Ok(out)
}

/// Deletes the points in `range`; returns how many there were.
pub(super) fn delete(conn: &mut Connection, id: &SeriesId, range: Range) -> Result<u64> {
    let tx = write_tx(conn)?;
    let sid = series::sid_of(&tx, id.as_str())?.ok_or_else(|| not_found(id))?;
    if range.is_empty() {
        return Ok(0);
    }
    let chunks = starts(&tx, sid, range)?
        .into_iter()
        .map(|s| load(&tx, sid, s))
        .collect::<Result<Vec<_>>>()?;
    let plan = chunk::plan_delete(&chunks, range)?;
    apply(&tx, sid, &plan)?;
    tx.commit().map_err(db_err)?;
    u64::try_from(-plan.added).map_err(|_| Error::Internal("a delete added points".into()))
}
