//! The job half of the SQLite backend: the `jobs` and `job_results` tables (created in `schema`)
//! and the atomic transitions of `jobs::lifecycle`. Each transition is one statement whose WHERE
//! clause is the compare-and-set condition (status, worker, attempt), run in a write transaction.

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::conn::{db_err, write_tx};
use super::series::sid_of;
use crate::error::{Error, Result};
use crate::jobs::lifecycle::{exhausted, gave_up, lease_until, removal};
use crate::jobs::{
    Claim, Claimed, Job, JobResult, JobSpec, JobStatus, ListCursor, Outcome, Removal,
};
use crate::store::not_found;

const COLUMNS: &str =
    "id, spec, status, created, started, finished, worker, attempts, progress, error, result_size, result_type, lease_until";

/// A row of `jobs` before its spec is parsed (which fails with our error type, not rusqlite's).
struct JobRow {
    id: String,
    spec: String,
    status: String,
    created: i64,
    started: Option<i64>,
    finished: Option<i64>,
    worker: Option<String>,
    attempts: u32,
    progress: u8,
    error: Option<String>,
    result_size: Option<i64>,
    result_type: Option<String>,
    lease_until: Option<i64>,
}

fn row_to_job(r: &Row) -> rusqlite::Result<JobRow> {
    Ok(JobRow {
        id: r.get(0)?,
        spec: r.get(1)?,
        status: r.get(2)?,
        created: r.get(3)?,
        started: r.get(4)?,
        finished: r.get(5)?,
        worker: r.get(6)?,
        attempts: r.get(7)?,
        progress: r.get(8)?,
        error: r.get(9)?,
        result_size: r.get(10)?,
        result_type: r.get(11)?,
        lease_until: r.get(12)?,
    })
}

fn decode(r: JobRow) -> Result<Job> {
    Ok(Job {
        spec: JobSpec::from_stored(&r.spec)?,
        status: JobStatus::parse(&r.status)?,
        id: r.id,
        created: r.created,
        started: r.started,
        finished: r.finished,
        worker: r.worker,
        attempts: r.attempts,
        progress: r.progress,
        error: r.error,
        result_size: r.result_size.map(|n| n as u64),
        result_type: r.result_type,
        lease_until: r.lease_until,
    })
}

fn load(conn: &Connection, id: &str) -> Result<Option<Job>> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM jobs WHERE id = ?1"))
        .and_then(|mut s| s.query_row([id], row_to_job).optional())
        .map_err(db_err)?
        .map(decode)
        .transpose()
}

/// Inserts the job if all its series exist, in one write transaction.
pub(super) fn create(conn: &mut Connection, job: &Job) -> Result<()> {
    let tx = write_tx(conn)?;
    for id in &job.spec.series {
        if sid_of(&tx, id.as_str())?.is_none() {
            return Err(not_found(id));
        }
    }
    tx.prepare_cached("INSERT INTO jobs (id, spec, status, created) VALUES (?1, ?2, ?3, ?4)")
        .and_then(|mut s| {
            s.execute(params![
                job.id,
                job.spec.to_stored(),
                job.status.as_str(),
                job.created
            ])
        })
        .map_err(db_err)?;
    tx.commit().map_err(db_err)
}

/// A job that has not expired at `now`; an expired one reads as absent until the sweep deletes it.
pub(super) fn get(conn: &Connection, id: &str, now: i64) -> Result<Option<Job>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM jobs WHERE id = ?1 AND (expires IS NULL OR expires > ?2)"
    ))
    .and_then(|mut s| s.query_row(params![id, now], row_to_job).optional())
    .map_err(db_err)?
    .map(decode)
    .transpose()
}

pub(super) fn list(
    conn: &Connection,
    status: Option<JobStatus>,
    after: Option<ListCursor>,
    limit: usize,
    now: i64,
) -> Result<Vec<Job>> {
    let (ac, ai) = after.map_or((i64::MAX, String::new()), |a| (a.created, a.id));
    // With no cursor every (created, id) is below (MAX, ""), except created == MAX, which no job has.
    let sql = format!(
        "SELECT {COLUMNS} FROM jobs WHERE (?1 IS NULL OR status = ?1) AND (created < ?2 OR (created = ?2 AND id < ?3))
           AND (expires IS NULL OR expires > ?5)
         ORDER BY created DESC, id DESC LIMIT ?4"
    );
    let rows: Vec<JobRow> = conn
        .prepare_cached(&sql)
        .and_then(|mut s| {
            s.query_map(
                params![status.map(|s| s.as_str()), ac, ai, limit as i64, now],
                row_to_job,
            )?
            .collect()
        })
        .map_err(db_err)?;
    rows.into_iter().map(decode).collect()
}

/// Is there anything to claim? A cheap read, so idle workers do not take the write lock.
fn runnable(conn: &Connection, now: i64) -> Result<bool> {
    conn.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM jobs WHERE status = 'queued')
             OR EXISTS (SELECT 1 FROM jobs WHERE status = 'running' AND lease_until < ?1)",
    )
    .and_then(|mut s| s.query_row([now], |r| r.get(0)))
    .map_err(db_err)
}

#[allow(clippy::too_many_arguments)]
pub(super) fn claim(
    conn: &mut Connection,
    only: Option<&str>,
    worker: &str,
    now: i64,
    lease_ms: i64,
    max_attempts: u32,
    ttl_ms: i64,
) -> Result<Option<Claimed>> {
    if only.is_none() && !runnable(conn, now)? {
        return Ok(None);
    }
    let tx = write_tx(conn)?;
    loop {
        let candidate: Option<(String, u32)> = match only {
            Some(id) => tx
                .prepare_cached(
                    "SELECT id, attempts FROM jobs WHERE id = ?1
                       AND (status = 'queued' OR (status = 'running' AND lease_until < ?2))",
                )
                .and_then(|mut s| s.query_row(params![id, now], |r| Ok((r.get(0)?, r.get(1)?))).optional()),
            None => tx
                .prepare_cached("SELECT id, attempts FROM jobs WHERE status = 'queued' ORDER BY created, id LIMIT 1")
                .and_then(|mut s| s.query_row([], |r| Ok((r.get(0)?, r.get(1)?))).optional())
                .and_then(|q| match q {
                    Some(q) => Ok(Some(q)),
                    None => tx
                        .prepare_cached(
                            "SELECT id, attempts FROM jobs WHERE status = 'running' AND lease_until < ?1
                             ORDER BY lease_until LIMIT 1",
                        )
                        .and_then(|mut s| s.query_row([now], |r| Ok((r.get(0)?, r.get(1)?))).optional()),
                }),
        }
        .map_err(db_err)?;
        let Some((id, attempts)) = candidate else {
            tx.commit().map_err(db_err)?;
            return Ok(None);
        };
        if exhausted(attempts, max_attempts) {
            let error = gave_up(attempts);
            tx.prepare_cached(
                "UPDATE jobs SET status = 'failed', finished = ?2, error = ?3, lease_until = NULL,
                     expires = ?4, announce_at = ?2 WHERE id = ?1",
            )
            .and_then(|mut s| s.execute(params![id, now, error, now.saturating_add(ttl_ms)]))
            .map_err(db_err)?;
            if only.is_some() {
                tx.commit().map_err(db_err)?;
                return Ok(None);
            }
            continue;
        }
        tx.prepare_cached(
            "UPDATE jobs SET status = 'running', worker = ?2, attempts = attempts + 1, started = ?3,
                 lease_until = ?4, progress = 0 WHERE id = ?1",
        )
        .and_then(|mut s| s.execute(params![id, worker, now, lease_until(now, lease_ms)]))
        .map_err(db_err)?;
        let job = load(&tx, &id)?.ok_or_else(|| Error::Internal("claimed job vanished".into()))?;
        tx.commit().map_err(db_err)?;
        return Ok(Some(Claimed::new(job, worker, "")));
    }
}

pub(super) fn renew(
    conn: &mut Connection,
    c: &Claim,
    now: i64,
    lease_ms: i64,
    progress: u8,
) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE jobs SET lease_until = ?4, progress = ?5
             WHERE id = ?1 AND status = 'running' AND worker = ?2 AND attempts = ?3",
        )
        .and_then(|mut s| {
            s.execute(params![
                c.job_id,
                c.worker,
                c.attempt,
                lease_until(now, lease_ms),
                progress
            ])
        })
        .map_err(db_err)?;
    Ok(n == 1)
}

pub(super) fn finish(
    conn: &mut Connection,
    c: &Claim,
    outcome: &Outcome,
    now: i64,
    ttl_ms: i64,
    announce_at: Option<i64>,
) -> Result<bool> {
    let tx = write_tx(conn)?;
    let (status, error, size, ctype) = match outcome {
        Outcome::Succeeded { content_type, data } => (
            "succeeded",
            None,
            Some(data.len() as i64),
            Some(content_type.as_str()),
        ),
        Outcome::Failed { error } => ("failed", Some(error.as_str()), None, None),
    };
    let n = tx
        .prepare_cached(
            "UPDATE jobs SET status = ?4, finished = ?5, error = ?6, result_size = ?7, result_type = ?8,
                 lease_until = NULL, progress = 100, expires = ?9, announce_at = ?10
             WHERE id = ?1 AND status = 'running' AND worker = ?2 AND attempts = ?3",
        )
        .and_then(|mut s| {
            s.execute(params![
                c.job_id,
                c.worker,
                c.attempt,
                status,
                now,
                error,
                size,
                ctype,
                now.saturating_add(ttl_ms),
                announce_at
            ])
        })
        .map_err(db_err)?;
    if n == 1 {
        if let Outcome::Succeeded { content_type, data } = outcome {
            tx.prepare_cached(
                "INSERT OR REPLACE INTO job_results (id, content_type, data) VALUES (?1, ?2, ?3)",
            )
            .and_then(|mut s| s.execute(params![c.job_id, content_type, data]))
            .map_err(db_err)?;
        }
    }
    tx.commit().map_err(db_err)?;
    Ok(n == 1)
}

pub(super) fn release(conn: &mut Connection, c: &Claim) -> Result<bool> {
    // Handing a job back is not a failed attempt, so the count goes back down.
    let n = conn
        .prepare_cached(
            "UPDATE jobs SET status = 'queued', worker = NULL, started = NULL, lease_until = NULL,
                 progress = 0, attempts = attempts - 1
             WHERE id = ?1 AND status = 'running' AND worker = ?2 AND attempts = ?3",
        )
        .and_then(|mut s| s.execute(params![c.job_id, c.worker, c.attempt]))
        .map_err(db_err)?;
    Ok(n == 1)
}

pub(super) fn result(conn: &Connection, id: &str, now: i64) -> Result<Option<JobResult>> {
    conn.prepare_cached(
        "SELECT r.content_type, r.data FROM job_results r JOIN jobs j ON j.id = r.id
         WHERE r.id = ?1 AND (j.expires IS NULL OR j.expires > ?2)",
    )
    .and_then(|mut s| {
        s.query_row(params![id, now], |r| {
            Ok(JobResult {
                content_type: r.get(0)?,
                data: r.get(1)?,
            })
        })
        .optional()
    })
    .map_err(db_err)
}

pub(super) fn remove(conn: &mut Connection, id: &str, now: i64) -> Result<Removal> {
    let tx = write_tx(conn)?;
    let status: Option<String> = tx
        .prepare_cached(
            "SELECT status FROM jobs WHERE id = ?1 AND (expires IS NULL OR expires > ?2)",
        )
        .and_then(|mut s| s.query_row(params![id, now], |r| r.get(0)).optional())
        .map_err(db_err)?;
    let outcome = removal(status.as_deref().map(JobStatus::parse).transpose()?);
    if matches!(outcome, Removal::Cancelled | Removal::Deleted) {
        tx.execute("DELETE FROM jobs WHERE id = ?1", [id])
            .map_err(db_err)?;
        tx.execute("DELETE FROM job_results WHERE id = ?1", [id])
            .map_err(db_err)?;
    }
    tx.commit().map_err(db_err)?;
    Ok(outcome)
}

/// Queued jobs, counted up to `at_most` on the status index.
pub(super) fn count_queued(conn: &Connection, at_most: u64) -> Result<u64> {
    conn.prepare_cached(
        "SELECT count(*) FROM (SELECT 1 FROM jobs WHERE status = 'queued' LIMIT ?1)",
    )
    .and_then(|mut s| {
        s.query_row([at_most.min(i64::MAX as u64) as i64], |r| {
            r.get::<_, i64>(0)
        })
    })
    .map(|n| n as u64)
    .map_err(db_err)
}

/// Deletes the jobs expired at `now` and their results, in one write transaction.
pub(super) fn purge_expired(conn: &mut Connection, now: i64) -> Result<u64> {
    let tx = write_tx(conn)?;
    tx.execute(
        "DELETE FROM job_results WHERE id IN (SELECT id FROM jobs WHERE expires <= ?1)",
        [now],
    )
    .map_err(db_err)?;
    let n = tx
        .execute("DELETE FROM jobs WHERE expires <= ?1", [now])
        .map_err(db_err)?;
    tx.commit().map_err(db_err)?;
    Ok(n as u64)
}

/// Takes the due announcements in one write transaction: picked and pushed to `retry_at`
/// together, so two sweeps never take the same one. Expired jobs are left to the purge.
pub(super) fn take_due_announcements(
    conn: &mut Connection,
    now: i64,
    retry_at: i64,
    limit: usize,
) -> Result<Vec<String>> {
    let tx = write_tx(conn)?;
    let ids: Vec<String> = tx
        .prepare_cached(
            "SELECT id FROM jobs WHERE announce_at IS NOT NULL AND announce_at <= ?1
               AND (expires IS NULL OR expires > ?1)
             ORDER BY announce_at LIMIT ?2",
        )
        .and_then(|mut st| {
            st.query_map(params![now, limit as i64], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()
        })
        .map_err(db_err)?;
    for id in &ids {
        tx.prepare_cached("UPDATE jobs SET announce_at = ?2 WHERE id = ?1")
            .and_then(|mut st| st.execute(params![id, retry_at]))
            .map_err(db_err)?;
    }
    tx.commit().map_err(db_err)?;
    Ok(ids)
}

pub(super) fn announced(conn: &mut Connection, id: &str, spec: Option<&str>) -> Result<bool> {
    let tx = write_tx(conn)?;
    let n = tx
        .prepare_cached(
            "UPDATE jobs SET announce_at = NULL, spec = coalesce(?2, spec) WHERE id = ?1",
        )
        .and_then(|mut st| st.execute(params![id, spec]))
        .map_err(db_err)?;
    tx.commit().map_err(db_err)?;
    Ok(n == 1)
}
