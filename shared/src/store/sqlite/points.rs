//! The `points` table: a `WITHOUT ROWID` table keyed by `(sid, t)`, so a range scan is one index
//! walk; bulk writes are multi-row upserts.

use rusqlite::{params, Connection, OptionalExtension, Transaction};

use super::conn::{db_err, write_tx};
use super::series;
use crate::error::Result;
use crate::model::{Order, Point, Range, SeriesId};
use crate::store::not_found;

/// Rows per multi-row INSERT: fewer statement executions for bulk loads (3 params per row).
const INSERT_CHUNK: usize = 256;

fn insert_points(tx: &Transaction, sid: i64, points: &[Point]) -> Result<()> {
    let mut chunks = points.chunks_exact(INSERT_CHUNK);
    if points.len() >= INSERT_CHUNK {
        let rows = vec!["(?,?,?)"; INSERT_CHUNK].join(",");
        let sql = format!("INSERT INTO points (sid, t, v) VALUES {rows} ON CONFLICT (sid, t) DO UPDATE SET v = excluded.v");
        let mut stmt = tx.prepare_cached(&sql).map_err(db_err)?;
        let mut args: Vec<rusqlite::types::Value> = Vec::with_capacity(INSERT_CHUNK * 3);
        for chunk in &mut chunks {
            args.clear();
            for p in chunk {
                args.extend([sid.into(), p.t.into(), p.v.into()]);
            }
            stmt.execute(rusqlite::params_from_iter(args.iter()))
                .map_err(db_err)?;
        }
    }
    let mut one = tx
        .prepare_cached("INSERT INTO points (sid, t, v) VALUES (?1, ?2, ?3) ON CONFLICT (sid, t) DO UPDATE SET v = excluded.v")
        .map_err(db_err)?;
    for p in chunks.remainder() {
        one.execute(params![sid, p.t, p.v]).map_err(db_err)?;
    }
    Ok(())
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
    insert_points(&tx, sid, points)?;
    tx.commit().map_err(db_err)?;
    Ok(created)
}

pub(super) fn query(
    conn: &Connection,
    id: &SeriesId,
    range: Range,
    order: Order,
    limit: usize,
) -> Result<Vec<Point>> {
    let sid = series::sid_of(conn, id.as_str())?.ok_or_else(|| not_found(id))?;
    let sql = match order {
        Order::Asc => "SELECT t, v FROM points WHERE sid = ?1 AND t BETWEEN ?2 AND ?3 ORDER BY t ASC LIMIT ?4",
        Order::Desc => "SELECT t, v FROM points WHERE sid = ?1 AND t BETWEEN ?2 AND ?3 ORDER BY t DESC LIMIT ?4",
    };
    let mut stmt = conn.prepare_cached(sql).map_err(db_err)?;
    let mut rows = stmt
        .query(params![sid, range.lo(), range.hi(), limit as i64])
        .map_err(db_err)?;
    let mut out = Vec::with_capacity(limit.min(65_536));
    while let Some(r) = rows.next().map_err(db_err)? {
        out.push(Point {
            t: r.get(0).map_err(db_err)?,
            v: r.get(1).map_err(db_err)?,
        });
    }
    Ok(out)
}

pub(super) fn get(conn: &Connection, id: &SeriesId, t: i64) -> Result<Option<Point>> {
    let sid = series::sid_of(conn, id.as_str())?.ok_or_else(|| not_found(id))?;
    conn.prepare_cached("SELECT v FROM points WHERE sid = ?1 AND t = ?2")
        .and_then(|mut s| s.query_row(params![sid, t], |r| r.get(0)).optional())
        .map(|v| v.map(|v| Point { t, v }))
        .map_err(db_err)
}

/// Deletes the points in `range`; returns how many there were.
pub(super) fn delete(conn: &mut Connection, id: &SeriesId, range: Range) -> Result<u64> {
    let tx = write_tx(conn)?;
    let sid = series::sid_of(&tx, id.as_str())?.ok_or_else(|| not_found(id))?;
    let n = tx
        .prepare_cached("DELETE FROM points WHERE sid = ?1 AND t BETWEEN ?2 AND ?3")
        .and_then(|mut s| s.execute(params![sid, range.lo(), range.hi()]))
        .map_err(db_err)?;
    tx.commit().map_err(db_err)?;
    Ok(n as u64)
}
