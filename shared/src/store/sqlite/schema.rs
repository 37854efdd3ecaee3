//! The tables, created when a connection opens, and the conversion of databases made by earlier
//! versions.

use rusqlite::{params, Connection};

use crate::chunk::{Chunk, MAX_POINTS};
use crate::model::Point;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS series (
    sid     INTEGER PRIMARY KEY,
    id      TEXT    NOT NULL UNIQUE,
    meta    TEXT    NOT NULL,
    created INTEGER NOT NULL,
    updated INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
    sid   INTEGER NOT NULL,
    start INTEGER NOT NULL,
    last  INTEGER NOT NULL,
    n     INTEGER NOT NULL,
    data  BLOB    NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS chunks_key ON chunks (sid, start);
CREATE INDEX IF NOT EXISTS chunks_span ON chunks (sid, start, last, n);
";

/// The `jobs` and `job_results` tables (see `jobs`).
const JOBS_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS jobs (
    id          TEXT PRIMARY KEY,
    spec        TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    created     INTEGER NOT NULL,
    started     INTEGER,
    finished    INTEGER,
    worker      TEXT,
    attempts    INTEGER NOT NULL DEFAULT 0,
    progress    INTEGER NOT NULL DEFAULT 0,
    error       TEXT,
    result_size INTEGER,
    result_type TEXT,
    lease_until INTEGER,
    expires     INTEGER,
    announce_at INTEGER
);
CREATE INDEX IF NOT EXISTS jobs_by_created ON jobs (created, id);
CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs (status, created, id);
CREATE INDEX IF NOT EXISTS jobs_by_lease ON jobs (status, lease_until);
CREATE TABLE IF NOT EXISTS job_results (
    id           TEXT PRIMARY KEY,
    content_type TEXT NOT NULL,
    data         BLOB NOT NULL
);
";

/// Created after `migrate`, which adds the column to databases of earlier versions. Partial:
/// only finished jobs have an expiry, and the sweep only looks those up.
const EXPIRY_INDEX: &str =
    "CREATE INDEX IF NOT EXISTS jobs_by_expiry ON jobs (expires) WHERE expires IS NOT NULL;";

/// Finished jobs owing their announcement (`announce_at`, when it is due): few at any time, so
/// the sweep's look costs nothing however many jobs are kept.
const ANNOUNCE_INDEX: &str = "CREATE INDEX IF NOT EXISTS jobs_by_announce ON jobs (announce_at) \
                              WHERE announce_at IS NOT NULL;";

/// Creates the tables unless they exist and brings an older database to the current schema.
/// Schema creation takes the write lock so concurrent first starts do not race.
pub(super) fn create(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(&format!("BEGIN IMMEDIATE; {SCHEMA} {JOBS_SCHEMA}"))
        .and_then(|()| add_job_column(conn, "expires"))
        .and_then(|()| conn.execute_batch(EXPIRY_INDEX))
        .and_then(|()| add_job_column(conn, "announce_at"))
        .and_then(|()| conn.execute_batch(ANNOUNCE_INDEX))
        .and_then(|()| migrate(conn))
        .and_then(|()| conn.execute_batch("COMMIT"))
        .inspect_err(|_| {
            let _ = conn.execute_batch("ROLLBACK");
        })
}

/// Adds an INTEGER column that jobs tables of earlier versions lack. Without `expires` their
/// finished jobs never expire (they can still be deleted), and jobs finished from now on do;
/// without `announce_at` their finished jobs owe no announcement.
fn add_job_column(conn: &Connection, name: &str) -> rusqlite::Result<()> {
    let has: bool = conn.query_row(
        "SELECT count(*) FROM pragma_table_info('jobs') WHERE name = ?1",
        [name],
        |r| r.get(0),
    )?;
    if has {
        return Ok(());
    }
    conn.execute_batch(&format!("ALTER TABLE jobs ADD COLUMN {name} INTEGER"))
}

/// Brings a database written by an earlier version to the current schema (inside the schema
/// transaction, so concurrent first opens convert it once): points kept a row each, in a
/// `points` table, move into chunks, series by series, and that table is dropped.
fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    let old: bool = conn.query_row(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'points'",
        [],
        |r| r.get(0),
    )?;
    if !old {
        return Ok(());
    }
    let sids: Vec<i64> = conn
        .prepare("SELECT DISTINCT sid FROM points")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    // A column of type REAL (the first format) gave whole floats back as integers.
    let mut read =
        conn.prepare("SELECT t, CAST(v AS REAL) FROM points WHERE sid = ?1 ORDER BY t")?;
    let mut put =
        conn.prepare("INSERT INTO chunks (sid, start, last, n, data) VALUES (?1, ?2, ?3, ?4, ?5)")?;
    for sid in sids {
        let points: Vec<Point> = read
            .query_map([sid], |r| {
                Ok(Point {
                    t: r.get(0)?,
                    v: r.get(1)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        for run in points.chunks(MAX_POINTS) {
            let c = Chunk::encode(run);
            put.execute(params![
                sid,
                c.start(),
                c.end(),
                c.len() as i64,
                c.as_bytes()
            ])?;
        }
    }
    conn.execute_batch("DROP TABLE points")
}
