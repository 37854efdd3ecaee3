//! The `series` table: one row per series, its metadata as JSON; `sid` is the key its points
//! are stored under.

use rusqlite::{params, Connection, OptionalExtension};

use super::conn::{db_err, write_tx};
use crate::error::{Error, Result};
use crate::model::{SeriesId, SeriesInfo, SeriesMeta};
use crate::store::SeriesPut;

pub(super) fn sid_of(conn: &Connection, id: &str) -> Result<Option<i64>> {
    conn.prepare_cached("SELECT sid FROM series WHERE id = ?1")
        .and_then(|mut s| s.query_row([id], |r| r.get(0)).optional())
        .map_err(db_err)
}

/// Adds a series with default metadata (a point write creating it); returns its `sid`.
pub(super) fn insert_default(conn: &Connection, id: &str, now: i64) -> Result<i64> {
    let meta = serde_json::to_string(&SeriesMeta::default()).expect("serializable");
    conn.prepare_cached("INSERT INTO series (id, meta, created, updated) VALUES (?1, ?2, ?3, ?3)")
        .and_then(|mut s| s.execute(params![id, meta, now]))
        .map_err(db_err)?;
    Ok(conn.last_insert_rowid())
}

fn info_of(
    conn: &Connection,
    sid: i64,
    id: &str,
    meta: &str,
    created: i64,
    updated: i64,
) -> Result<SeriesInfo> {
    let (count, first, last) = conn
        .prepare_cached(
            "SELECT coalesce(sum(n), 0), min(start), max(last) FROM chunks WHERE sid = ?1",
        )
        .and_then(|mut s| s.query_row([sid], |r| Ok((r.get::<_, i64>(0)?, r.get(1)?, r.get(2)?))))
        .map_err(db_err)?;
    let meta: SeriesMeta = serde_json::from_str(meta)
        .map_err(|e| Error::Internal(format!("corrupt metadata of {id}: {e}")))?;
    Ok(SeriesInfo {
        id: SeriesId::parse(id)?,
        meta,
        count: count as u64,
        first,
        last,
        created,
        updated,
    })
}

pub(super) fn get(conn: &Connection, id: &str) -> Result<Option<SeriesInfo>> {
    let row = conn
        .prepare_cached("SELECT sid, meta, created, updated FROM series WHERE id = ?1")
        .and_then(|mut s| {
            s.query_row([id], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get(2)?,
                    r.get(3)?,
                ))
            })
            .optional()
        })
        .map_err(db_err)?;
    row.map(|(sid, meta, c, u)| info_of(conn, sid, id, &meta, c, u))
        .transpose()
}

pub(super) fn list(conn: &Connection) -> Result<Vec<SeriesInfo>> {
    let rows: Vec<(i64, String, String, i64, i64)> = conn
        .prepare_cached("SELECT sid, id, meta, created, updated FROM series ORDER BY id")
        .and_then(|mut s| {
            s.query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?
            .collect()
        })
        .map_err(db_err)?;
    rows.iter()
        .map(|(sid, id, meta, cr, up)| info_of(conn, *sid, id, meta, *cr, *up))
        .collect()
}

pub(super) fn put(conn: &mut Connection, id: &str, meta_json: &str, now: i64) -> Result<SeriesPut> {
    let tx = write_tx(conn)?;
    let created = sid_of(&tx, id)?.is_none();
    tx.prepare_cached(
        "INSERT INTO series (id, meta, created, updated) VALUES (?1, ?2, ?3, ?3)
         ON CONFLICT (id) DO UPDATE SET meta = excluded.meta, updated = excluded.updated",
    )
    .and_then(|mut s| s.execute(params![id, meta_json, now]))
    .map_err(db_err)?;
    let info = get(&tx, id)?.ok_or_else(|| Error::Internal("series vanished".into()))?;
    tx.commit().map_err(db_err)?;
    Ok(SeriesPut { info, created })
}

/// Deletes the series and its points; false when it did not exist.
pub(super) fn delete(conn: &mut Connection, id: &str) -> Result<bool> {
    let tx = write_tx(conn)?;
    let Some(sid) = sid_of(&tx, id)? else {
        return Ok(false);
    };
    tx.execute("DELETE FROM chunks WHERE sid = ?1", [sid])
        .map_err(db_err)?;
    tx.execute("DELETE FROM series WHERE sid = ?1", [sid])
        .map_err(db_err)?;
    tx.commit().map_err(db_err)?;
    Ok(true)
}
