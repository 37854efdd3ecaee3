//! Connections: a small pool whose calls run on tokio's blocking threads, SQLite's errors in our
//! terms, and write transactions.

use std::sync::Mutex;

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior, MAIN_DB};
use tokio::sync::Semaphore;

use super::schema;
use crate::error::{Error, Result};

pub(super) struct Pool {
    path: Option<String>,
    /// How long a call waits for another writer's lock (`TSFN_SQLITE_BUSY_TIMEOUT_MS`).
    busy: std::time::Duration,
    conns: Mutex<Vec<Connection>>,
    permits: Semaphore,
}

impl Pool {
    /// Opens the database at `path` (`None`: in memory) and its first connection.
    pub(super) fn open(path: Option<String>, busy: std::time::Duration) -> Result<Self> {
        // An in-memory database lives in one connection, so it gets exactly one.
        let size = if path.is_some() { 8 } else { 1 };
        let pool = Pool {
            path,
            busy,
            conns: Mutex::new(Vec::new()),
            permits: Semaphore::new(size),
        };
        let first = pool.connect()?;
        pool.conns.lock().unwrap().push(first);
        Ok(pool)
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
        conn.busy_timeout(self.busy).map_err(db_err)?;
        if self.path.is_some() {
            conn.pragma_update(None, "journal_mode", "WAL")
                .map_err(db_err)?;
            conn.pragma_update(None, "synchronous", "NORMAL")
                .map_err(db_err)?;
        }
        conn.set_prepared_statement_cache_capacity(32);
        schema::create(&conn).map_err(db_err)?;
        Ok(conn)
    }

    /// Runs `f` with a pooled connection on the blocking thread pool.
    pub(super) async fn with<T, F>(&self, f: F) -> Result<T>
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

    /// Reads through a pooled connection, and checks that the file can be written, so a store
    /// that can only read is not reported ready.
    pub(super) async fn ping(&self) -> Result<()> {
        self.with(|c| c.query_row("SELECT 1", [], |_| Ok(())).map_err(db_err))
            .await?;
        let Some(path) = self.path.clone() else {
            return Ok(());
        };
        tokio::task::spawn_blocking(move || Self::check_writable(&path))
            .await
            .map_err(|e| Error::Internal(format!("sqlite task failed: {e}")))?
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

/// A write transaction that takes the lock up front (`BEGIN IMMEDIATE`).
pub(super) fn write_tx(conn: &mut Connection) -> Result<Transaction<'_>> {
    conn.transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db_err)
}
