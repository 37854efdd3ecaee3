//! The worker: claims jobs from the store, runs them while renewing its lease, and records the
//! outcome. Used by `tsfn worker` (a daemon), by `tsfn serve` (in-process workers) and by the
//! worker Lambda (one given job per event).

use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tracing::Instrument;

use super::run::{execute, Progress};
use super::{Claim, Claimed, Job, JobStatus, Policy};
use crate::app::App;
use crate::error::{Error, Result};
use crate::store::Store;
use crate::time::now_ms;

/// How long an idle worker waits before looking for work again (in-process submissions wake it
/// at once; other processes' submissions are seen at the next poll).
const IDLE_POLL: Duration = Duration::from_millis(100);
/// Back-off while the store is unreachable.
const STORE_DOWN_BACKOFF: Duration = Duration::from_secs(1);

/// Keeps the lease of a running job alive and carries its progress to the store.
struct Heartbeat {
    progress: AtomicU8,
    lost: AtomicBool,
}

#[async_trait::async_trait]
impl Progress for Heartbeat {
    async fn report(&self, percent: u8) -> bool {
        self.progress.store(percent, Ordering::Relaxed);
        !self.lost.load(Ordering::Relaxed)
    }
}

/// What happened to a job this worker ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ran {
    Finished(JobStatus),
    /// Another worker owns the job now (our lease expired); our result was discarded.
    Lost,
    /// Handed back to the queue (shutdown).
    Released,
    /// The store failed mid-run; the lease will expire and the job will be retried.
    Interrupted,
}

/// Runs one claimed job to the end, renewing the lease meanwhile. Its log lines carry the job's
/// id and the id of the request that submitted it; its outcome and duration are counted.
pub async fn process(
    store: Arc<dyn Store>,
    job: Job,
    claim: Claim,
    policy: Policy,
    shutdown: watch::Receiver<bool>,
) -> Ran {
    let span = tracing::info_span!(
        "job",
        id = %job.id,
        request_id = %job.spec.request_id.as_deref().unwrap_or("-")
    );
    let kind = job.spec.kind.name();
    let started = std::time::Instant::now();
    let ran = process_in_span(store, job, claim, policy, shutdown)
        .instrument(span.clone())
        .await;
    let took = started.elapsed();
    tracing::info!(parent: &span, kind, ?ran, ms = took.as_millis() as u64, "job done");
    let outcome = match ran {
        Ran::Finished(JobStatus::Succeeded) => Some("succeeded"),
        Ran::Finished(_) => Some("failed"),
        Ran::Interrupted => Some("interrupted"),
        Ran::Lost | Ran::Released => None,
    };
    if let Some(outcome) = outcome {
        crate::metrics::job_finished(kind, outcome, took);
    }
    ran
}

async fn process_in_span(
    store: Arc<dyn Store>,
    job: Job,
    claim: Claim,
    policy: Policy,
    mut shutdown: watch::Receiver<bool>,
) -> Ran {
    let beat = Arc::new(Heartbeat {
        progress: AtomicU8::new(0),
        lost: AtomicBool::new(false),
    });
    let ticker =
        {
            let (store, beat, claim) = (store.clone(), beat.clone(), claim.clone());
            tokio::spawn(async move {
            // Often enough that progress shows while a job runs, and well within the lease.
            let every = Duration::from_millis((policy.lease_ms / 3).clamp(50, 500) as u64);
            // Logged once per run of failures: a store outage would otherwise log every tick.
            let mut failing = false;
            loop {
                tokio::time::sleep(every).await;
                let pct = beat.progress.load(Ordering::Relaxed);
                match store.renew(&claim, now_ms(), policy.lease_ms, pct).await {
                    Ok(true) => failing = false,
                    Ok(false) => {
                        beat.lost.store(true, Ordering::Relaxed);
                        return;
                    }
                    Err(e) if failing => {
                        tracing::debug!(job = %claim.job_id, error = %e, "lease renewal failed")
                    }
                    Err(e) => {
                        tracing::warn!(job = %claim.job_id, error = %e, "lease renewal failed");
                        failing = true;
                    }
                }
            }
        }.in_current_span())
        };
    let announce = |at| policy.announce_at(&job.spec, at);
    let run = execute(store.as_ref(), &job.spec, beat.as_ref());
    tokio::pin!(run);
    let shutting_down = async {
        while !*shutdown.borrow() {
            if shutdown.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
        tokio::time::sleep(Duration::from_millis(policy.grace_ms)).await;
    };
    // After the grace the run is dropped; an analysis already on the blocking pool cannot be
    // stopped and runs on unused, so the process exits without waiting for it (tsfn's main).
    let result = tokio::select! {
        r = &mut run => Some(r),
        _ = shutting_down => None,
    };
    ticker.abort();
    let now = now_ms();
    match result {
        None => match store.release(&claim).await {
            Ok(true) => Ran::Released,
            _ => Ran::Lost,
        },
        Some(Ok(outcome)) => match store.finish(&claim, &outcome, now, announce(now)).await {
            Ok(true) => {
                let status = match outcome {
                    super::Outcome::Succeeded { .. } => JobStatus::Succeeded,
                    super::Outcome::Failed { .. } => JobStatus::Failed,
                };
                Ran::Finished(status)
            }
            Ok(false) => Ran::Lost,
            Err(e) => {
                tracing::warn!(job = %claim.job_id, error = %e, "could not store the outcome; the job will be retried");
                Ran::Interrupted
            }
        },
        Some(Err(Error::Conflict(_))) => Ran::Lost,
        Some(Err(e)) => {
            tracing::warn!(job = %claim.job_id, error = %e, "job interrupted; it will be retried after its lease");
            Ran::Interrupted
        }
    }
}

/// What follows a job's end: its event and notification (`crate::notify`), after the outcome
/// is stored, for a job that owes them ([`Policy::announce_at`]). Without the `events` feature
/// (binaries that run no jobs) there is nothing to send.
async fn job_ended(app: &App, id: &str) {
    // Boxed: inlined, its HTTP client's and the SDK's futures make the worker binary's
    // entry future deeper than the compiler's layout limit.
    #[cfg(feature = "events")]
    Box::pin(crate::notify::job_ended(app, id)).await;
    #[cfg(not(feature = "events"))]
    let _ = (app, id);
}

/// The worker loop: until `shutdown` turns true, claim and run jobs one at a time.
pub async fn run(app: Arc<App>, name: String, policy: Policy, mut shutdown: watch::Receiver<bool>) {
    tracing::info!(worker = %name, "worker started");
    // When the store became unreachable: its outage is logged when it starts and ends, not at
    // every retry.
    let mut down_since: Option<std::time::Instant> = None;
    while !*shutdown.borrow() {
        let claimed = app
            .store
            .claim_next(&name, now_ms(), policy.lease_ms, policy.max_attempts)
            .await;
        match (&claimed, down_since) {
            (Err(e), None) => {
                tracing::warn!(worker = %name, error = %e, "cannot claim jobs; retrying every second");
                down_since = Some(std::time::Instant::now());
            }
            (Err(e), Some(_)) => tracing::debug!(worker = %name, error = %e, "cannot claim jobs"),
            (Ok(_), Some(since)) => {
                tracing::info!(worker = %name, down_secs = since.elapsed().as_secs_f64(), "claiming jobs again");
                down_since = None;
            }
            (Ok(_), None) => {}
        }
        match claimed {
            Ok(Some(Claimed { job, claim })) => {
                let id = job.id.clone();
                let owes = policy.announce_at(&job.spec, 0).is_some();
                let ran = process(app.store.clone(), job, claim, policy, shutdown.clone())
                    .instrument(tracing::info_span!("worker", name = %name))
                    .await;
                if let (Ran::Finished(_), true) = (ran, owes) {
                    // On a task of its own: a slow receiver must not keep this worker from
                    // the next job.
                    let app = app.clone();
                    tokio::spawn(async move { job_ended(&app, &id).await });
                }
            }
            Ok(None) if app.store.claim_waits() => {}
            Ok(None) => {
                tokio::select! {
                    _ = app.job_signal.notified() => {}
                    _ = tokio::time::sleep(IDLE_POLL) => {}
                    _ = shutdown.changed() => {}
                }
            }
            Err(_) => {
                tokio::select! {
                    _ = tokio::time::sleep(STORE_DOWN_BACKOFF) => {}
                    _ = shutdown.changed() => {}
                }
            }
        }
    }
    tracing::info!(worker = %name, "worker stopped");
}

/// Claims and runs jobs until none is claimable or `max` ran: queued jobs whose event never
/// arrived, and jobs whose runner died (a Lambda timeout, an OOM kill) once their lease expired.
/// The event-driven path has no long-lived worker to notice those, so a scheduled sweep does.
/// Returns each job run with its status after.
pub async fn sweep(
    app: &App,
    name: &str,
    policy: Policy,
    max: usize,
) -> Result<Vec<(String, JobStatus)>> {
    let (_tx, rx) = watch::channel(false);
    let mut ran = Vec::new();
    while ran.len() < max {
        let claimed = app
            .store
            .claim_next(name, now_ms(), policy.lease_ms, policy.max_attempts)
            .await?;
        let Some(Claimed { job, claim }) = claimed else {
            break;
        };
        let id = job.id.clone();
        let owes = policy.announce_at(&job.spec, 0).is_some();
        let status = match process(app.store.clone(), job, claim, policy, rx.clone()).await {
            Ran::Finished(s) => {
                // Awaited here: a Lambda sandbox freezes once its invocation returns.
                if owes {
                    job_ended(app, &id).await;
                }
                s
            }
            Ran::Interrupted | Ran::Lost | Ran::Released => JobStatus::Running,
        };
        ran.push((id, status));
    }
    Ok(ran)
}

/// Runs the one job named by an event (the event-driven path). Returns the job's status after.
pub async fn run_one(app: &App, job_id: &str, name: &str, policy: Policy) -> Result<JobStatus> {
    let claimed = app
        .store
        .claim_job(job_id, name, now_ms(), policy.lease_ms, policy.max_attempts)
        .await?;
    let Some(Claimed { job, claim }) = claimed else {
        // Already taken, finished or deleted: a duplicate delivery is not an error.
        return match app.store.get_job(job_id).await? {
            Some(j) => {
                if j.status == JobStatus::Failed {
                    // Possibly failed just now, by this claim, for running out of attempts: its
                    // announcement is due at once, so it is made before the invocation returns
                    // rather than at the next scheduled sweep. A failure is left to that sweep.
                    if let Err(e) = crate::sweep::announce(app).await {
                        tracing::warn!(job = %job_id, error = %e, "cannot make the announcements due; the next sweep will");
                    }
                }
                Ok(j.status)
            }
            None => Err(Error::NotFound(format!("job {job_id}"))),
        };
    };
    let (_tx, rx) = watch::channel(false);
    let owes = policy.announce_at(&job.spec, 0).is_some();
    match process(app.store.clone(), job, claim, policy, rx).await {
        Ran::Finished(s) => {
            // Awaited here: a Lambda sandbox freezes once its invocation returns.
            if owes {
                job_ended(app, job_id).await;
            }
            Ok(s)
        }
        Ran::Interrupted => Err(Error::Unavailable(format!(
            "job {job_id} was interrupted; it will be retried"
        ))),
        Ran::Lost | Ran::Released => Ok(JobStatus::Running),
    }
}
