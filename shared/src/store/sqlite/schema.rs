//! The tables, created when a connection opens, and the conversion of databases made by earlier
//! versions.

use rusqlite::Connection;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS series (
    sid     INTEGER PRIMARY KEY,
    id      TEXT    NOT NULL UNIQUE,
    meta    TEXT    NOT NULL,
    created INTEGER NOT NULL,
    updated INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS points (
    sid INTEGER NOT NULL,
    t   INTEGER NOT NULL,
    v   BLOB    NOT NULL,
    PRIMARY KEY (sid, t)
) WITHOUT ROWID;
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
    lease_until INTEGER
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

/// `v` is declared BLOB, not REAL, because a REAL column stores whole-number floats as integers
/// and so gives back -0.0 as 0.0; a column without affinity keeps the 8-byte float as written.
/// Databases made before that are converted once, on open.
const MIGRATE_REAL_POINTS: &str = "
CREATE TABLE points_new (
    sid INTEGER NOT NULL,
    t   INTEGER NOT NULL,
    v   BLOB    NOT NULL,
    PRIMARY KEY (sid, t)
) WITHOUT ROWID;
INSERT INTO points_new (sid, t, v) SELECT sid, t, v FROM points;
DROP TABLE points;
ALTER TABLE points_new RENAME TO points;
";

/// Creates the tables unless they exist and brings an older database to the current schema.
/// Schema creation takes the write lock so concurrent first starts do not race.
pub(super) fn create(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(&format!("BEGIN IMMEDIATE; {SCHEMA} {JOBS_SCHEMA}"))
        .and_then(|()| migrate(conn))
        .and_then(|()| conn.execute_batch("COMMIT"))
        .inspect_err(|_| {
            let _ = conn.execute_batch("ROLLBACK");
        })
}

/// Brings a database written by an earlier version to the current schema (inside the schema
/// transaction, so concurrent first opens convert it once).
fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    let v_type: String = conn.query_row(
        "SELECT type FROM pragma_table_info('points') WHERE name = 'v'",
        [],
        |r| r.get(0),
    )?;
    if v_type.eq_ignore_ascii_case("REAL") {
        conn.execute_batch(MIGRATE_REAL_POINTS)?;
    }
    Ok(())
}
