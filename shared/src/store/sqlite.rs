//! Embedded SQLite backend (`sqlite://PATH`, `sqlite::memory:`).
//!
//! - WAL journal and a busy timeout make several processes on one file safe (cargo-lambda runs
//!   each function as its own process); writers take the lock up front (`BEGIN IMMEDIATE`).
//! - `points` is a `WITHOUT ROWID` table keyed by `(sid, t)`, so a range scan is one index walk.
//! - Calls run on tokio's blocking pool with a small pool of connections, so SQLite never stalls
//!   the async runtime.

use std::path::Path;
use std::sync::Mutex;

use async_trait::async_trait;
use rusqlite::{
    params, Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior, MAIN_DB,
};
use tokio::sync::Semaphore;

use super::sqlite_jobs as jobs;
use super::{not_found, SeriesPut, Store};
use crate::error::{Error, Result};
use crate::jobs::{Claim, Claimed, Job, JobResult, JobStatus, ListCursor, Outcome, Removal};
use crate::model::{Order, Point, Range, SeriesId, SeriesInfo, SeriesMeta};

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

/// Rows per multi-row INSERT: fewer statement executions for bulk loads (3 params per row).
const INSERT_CHUNK: usize = 256;

pub struct SqliteStore {
    path: Option<String>,
    conns: Mutex<Vec<Connection>>,
    permits: Semaphore,
}

impl SqliteStore {
    /// `rest` is what follows `sqlite:` in the URL: `//PATH` or `:memory:`.
    pub async fn open(rest: &str) -> Result<Self> {
        let path = if rest == ":memory:" {
            None
        } else if let Some(p) = rest.strip_prefix("//") {
            if p.is_empty() {
                return Err(Error::invalid("TSFN_STORE", "sqlite:// needs a file path"));
            }
            Some(p.to_owned())
        } else {
            return Err(Error::invalid(
                "TSFN_STORE",
                "use sqlite://PATH or sqlite::memory:",
            ));
        };
        if let Some(p) = &path {
            if let Some(dir) = Path::new(p).parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| {
                    Error::Unavailable(format!("cannot create {}: {e}", dir.display()))
                })?;
            }
        }
        // An in-memory database lives in one connection, so it gets exactly one.
        let size = if path.is_some() { 8 } else { 1 };
        let store = SqliteStore {
            path,
            conns: Mutex::new(Vec::new()),
            permits: Semaphore::new(size),
        };
        let first = store.connect()?;
        store.conns.lock().unwrap().push(first);
        Ok(store)
    }

    fn connect(&self) -> Result<Connection> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = match &self.path {
            Some(p) => Connection::open_with_flags(p, flags),
            None => Connection::open_in_memory(),
        }
        .map_err(db_err)?;
        // SQLite quietly opens a file it cannot write read-only, and such a connection stays
        // read-only after the file is writable again: refuse it, so no request ever gets one.
        if let Some(p) = &self.path {
            if conn.is_readonly(MAIN_DB).map_err(db_err)? {
                return Err(not_writable(p));
            }
        }
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(db_err)?;
        if self.path.is_some() {
            conn.pragma_update(None, "journal_mode", "WAL")
                .map_err(db_err)?;
            conn.pragma_update(None, "synchronous", "NORMAL")
                .map_err(db_err)?;
        }
        conn.set_prepared_statement_cache_capacity(32);
        // Schema creation takes the write lock so concurrent first starts do not race.
        conn.execute_batch(&format!("BEGIN IMMEDIATE; {SCHEMA} {}", jobs::SCHEMA))
            .and_then(|()| migrate(&conn))
            .and_then(|()| conn.execute_batch("COMMIT"))
            .map_err(|e| {
                let _ = conn.execute_batch("ROLLBACK");
                db_err(e)
            })?;
        Ok(conn)
    }

    /// Runs `f` with a pooled connection on the blocking thread pool.
    async fn with<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| Error::Unavailable("store closed".into()))?;
        let conn = self.conns.lock().unwrap().pop();
        let mut conn = match conn {
            Some(c) => c,
            None => self.connect()?,
        };
        let (conn, out) = tokio::task::spawn_blocking(move || {
            let out = f(&mut conn);
            (conn, out)
        })
        .await
        .map_err(|e| Error::Internal(format!("sqlite task failed: {e}")))?;
        // A connection that failed for a reason other than a busy lock (read-only, I/O error,
        // file gone) may stay broken: drop it, the next call opens (and checks) a new one.
        match &out {
            Err(Error::Unavailable(m)) if m != BUSY => {}
            _ => self.conns.lock().unwrap().push(conn),
        }
        out
    }

    /// Whether a new connection could write: opening one is cheap (no I/O beyond the open, no
    /// lock) and shows what SQLite itself would get.
    fn check_writable(path: &str) -> Result<()> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(db_err)?;
        if conn.is_readonly(MAIN_DB).map_err(db_err)? {
            return Err(not_writable(path));
        }
        Ok(())
    }
}

const BUSY: &str = "database is busy, retry";

fn not_writable(path: &str) -> Error {
    Error::Unavailable(format!("database file {path} is not writable"))
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

pub(super) fn db_err(e: rusqlite::Error) -> Error {
    use rusqlite::ErrorCode::*;
    match e.sqlite_error_code() {
        Some(DatabaseBusy | DatabaseLocked) => Error::Unavailable(BUSY.into()),
        Some(CannotOpen | DiskFull | SystemIoFailure | ReadOnly | PermissionDenied) => {
            Error::Unavailable(format!("database unavailable: {e}"))
        }
        _ => Error::Internal(format!("sqlite: {e}")),
    }
}

pub(super) fn sid_of(conn: &Connection, id: &str) -> Result<Option<i64>> {
    conn.prepare_cached("SELECT sid FROM series WHERE id = ?1")
        .and_then(|mut s| s.query_row([id], |r| r.get(0)).optional())
        .map_err(db_err)
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
        .prepare_cached("SELECT count(*), min(t), max(t) FROM points WHERE sid = ?1")
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

fn get_info(conn: &Connection, id: &str) -> Result<Option<SeriesInfo>> {
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

pub(super) fn write_tx(conn: &mut Connection) -> Result<Transaction<'_>> {
    conn.transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db_err)
}

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

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    /// Reads through a pooled connection, and checks that the file can be written, so a store
    /// that can only read is not reported ready.
    async fn ping(&self) -> Result<()> {
        self.with(|c| c.query_row("SELECT 1", [], |_| Ok(())).map_err(db_err))
            .await?;
        let Some(path) = self.path.clone() else {
            return Ok(());
        };
        tokio::task::spawn_blocking(move || Self::check_writable(&path))
            .await
            .map_err(|e| Error::Internal(format!("sqlite task failed: {e}")))?
    }

    async fn list_series(&self) -> Result<Vec<SeriesInfo>> {
        self.with(|c| {
            let rows: Vec<(i64, String, String, i64, i64)> = c
                .prepare_cached("SELECT sid, id, meta, created, updated FROM series ORDER BY id")
                .and_then(|mut s| {
                    s.query_map([], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                    })?
                    .collect()
                })
                .map_err(db_err)?;
            rows.iter()
                .map(|(sid, id, meta, cr, up)| info_of(c, *sid, id, meta, *cr, *up))
                .collect()
        })
        .await
    }

    async fn get_series(&self, id: &SeriesId) -> Result<Option<SeriesInfo>> {
        let id = id.as_str().to_owned();
        self.with(move |c| get_info(c, &id)).await
    }

    async fn put_series(&self, id: &SeriesId, meta: &SeriesMeta, now: i64) -> Result<SeriesPut> {
        let id = id.as_str().to_owned();
        let json = serde_json::to_string(meta).map_err(|e| Error::Internal(e.to_string()))?;
        self.with(move |c| {
            let tx = write_tx(c)?;
            let created = sid_of(&tx, &id)?.is_none();
            tx.prepare_cached(
                "INSERT INTO series (id, meta, created, updated) VALUES (?1, ?2, ?3, ?3)
                 ON CONFLICT (id) DO UPDATE SET meta = excluded.meta, updated = excluded.updated",
            )
            .and_then(|mut s| s.execute(params![id, json, now]))
            .map_err(db_err)?;
            let info =
                get_info(&tx, &id)?.ok_or_else(|| Error::Internal("series vanished".into()))?;
            tx.commit().map_err(db_err)?;
            Ok(SeriesPut { info, created })
        })
        .await
    }

    async fn delete_series(&self, id: &SeriesId) -> Result<bool> {
        let id = id.as_str().to_owned();
        self.with(move |c| {
            let tx = write_tx(c)?;
            let Some(sid) = sid_of(&tx, &id)? else {
                return Ok(false);
            };
            tx.execute("DELETE FROM points WHERE sid = ?1", [sid])
                .map_err(db_err)?;
            tx.execute("DELETE FROM series WHERE sid = ?1", [sid])
                .map_err(db_err)?;
            tx.commit().map_err(db_err)?;
            Ok(true)
        })
        .await
    }

    async fn write_points(&self, id: &SeriesId, points: Vec<Point>, now: i64) -> Result<bool> {
        let id = id.as_str().to_owned();
        self.with(move |c| {
            let tx = write_tx(c)?;
            // `updated` is when the metadata was last written, so point writes leave it alone.
            let (sid, created) = match sid_of(&tx, &id)? {
                Some(sid) => (sid, false),
                None => {
                    let meta = serde_json::to_string(&SeriesMeta::default()).expect("serializable");
                    tx.prepare_cached(
                        "INSERT INTO series (id, meta, created, updated) VALUES (?1, ?2, ?3, ?3)",
                    )
                    .and_then(|mut s| s.execute(params![id, meta, now]))
                    .map_err(db_err)?;
                    (tx.last_insert_rowid(), true)
                }
            };
            insert_points(&tx, sid, &points)?;
            tx.commit().map_err(db_err)?;
            Ok(created)
        })
        .await
    }

    async fn query_points(
        &self,
        id: &SeriesId,
        range: Range,
        order: Order,
        limit: usize,
    ) -> Result<Vec<Point>> {
        let sid_name = id.clone();
        self.with(move |c| {
            let sid = sid_of(c, sid_name.as_str())?.ok_or_else(|| not_found(&sid_name))?;
            let sql = match order {
                Order::Asc => "SELECT t, v FROM points WHERE sid = ?1 AND t BETWEEN ?2 AND ?3 ORDER BY t ASC LIMIT ?4",
                Order::Desc => "SELECT t, v FROM points WHERE sid = ?1 AND t BETWEEN ?2 AND ?3 ORDER BY t DESC LIMIT ?4",
            };
            let mut stmt = c.prepare_cached(sql).map_err(db_err)?;
            let mut rows = stmt.query(params![sid, range.lo(), range.hi(), limit as i64]).map_err(db_err)?;
            let mut out = Vec::with_capacity(limit.min(65_536));
            while let Some(r) = rows.next().map_err(db_err)? {
                out.push(Point { t: r.get(0).map_err(db_err)?, v: r.get(1).map_err(db_err)? });
            }
            Ok(out)
        })
        .await
    }

    async fn get_point(&self, id: &SeriesId, t: i64) -> Result<Option<Point>> {
        let id = id.clone();
        self.with(move |c| {
            let sid = sid_of(c, id.as_str())?.ok_or_else(|| not_found(&id))?;
            c.prepare_cached("SELECT v FROM points WHERE sid = ?1 AND t = ?2")
                .and_then(|mut s| s.query_row(params![sid, t], |r| r.get(0)).optional())
                .map(|v| v.map(|v| Point { t, v }))
                .map_err(db_err)
        })
        .await
    }

    async fn delete_points(&self, id: &SeriesId, range: Range) -> Result<u64> {
        let id = id.clone();
        self.with(move |c| {
            let tx = write_tx(c)?;
            let sid = sid_of(&tx, id.as_str())?.ok_or_else(|| not_found(&id))?;
            let n = tx
                .prepare_cached("DELETE FROM points WHERE sid = ?1 AND t BETWEEN ?2 AND ?3")
                .and_then(|mut s| s.execute(params![sid, range.lo(), range.hi()]))
                .map_err(db_err)?;
            tx.commit().map_err(db_err)?;
            Ok(n as u64)
        })
        .await
    }

    async fn create_job(&self, job: &Job) -> Result<()> {
        let job = job.clone();
        self.with(move |c| jobs::create(c, &job)).await
    }

    async fn get_job(&self, id: &str) -> Result<Option<Job>> {
        let id = id.to_owned();
        self.with(move |c| jobs::get(c, &id)).await
    }

    async fn list_jobs(
        &self,
        status: Option<JobStatus>,
        after: Option<ListCursor>,
        limit: usize,
    ) -> Result<Vec<Job>> {
        self.with(move |c| jobs::list(c, status, after, limit))
            .await
    }

    async fn claim_next(
        &self,
        worker: &str,
        now: i64,
        lease_ms: i64,
        max_attempts: u32,
    ) -> Result<Option<Claimed>> {
        let worker = worker.to_owned();
        self.with(move |c| jobs::claim(c, None, &worker, now, lease_ms, max_attempts))
            .await
    }

    async fn claim_job(
        &self,
        id: &str,
        worker: &str,
        now: i64,
        lease_ms: i64,
        max_attempts: u32,
    ) -> Result<Option<Claimed>> {
        let (id, worker) = (id.to_owned(), worker.to_owned());
        self.with(move |c| jobs::claim(c, Some(&id), &worker, now, lease_ms, max_attempts))
            .await
    }

    async fn renew(&self, claim: &Claim, now: i64, lease_ms: i64, progress: u8) -> Result<bool> {
        let claim = claim.clone();
        self.with(move |c| jobs::renew(c, &claim, now, lease_ms, progress))
            .await
    }

    async fn finish(&self, claim: &Claim, outcome: &Outcome, now: i64) -> Result<bool> {
        let (claim, outcome) = (claim.clone(), outcome.clone());
        self.with(move |c| jobs::finish(c, &claim, &outcome, now))
            .await
    }

    async fn release(&self, claim: &Claim) -> Result<bool> {
        let claim = claim.clone();
        self.with(move |c| jobs::release(c, &claim)).await
    }

    async fn get_result(&self, id: &str) -> Result<Option<JobResult>> {
        let id = id.to_owned();
        self.with(move |c| jobs::result(c, &id)).await
    }

    async fn remove_job(&self, id: &str) -> Result<Removal> {
        let id = id.to_owned();
        self.with(move |c| jobs::remove(c, &id)).await
    }
}
