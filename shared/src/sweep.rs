//! The periodic sweep, what keeps the stores within their limits: it removes what expired jobs
//! leave behind (`TSFN_JOB_TTL`; reads already skip them) and the points older than each
//! series' `retention`; and it makes the job announcements that are due ([`announce`]). `tsfn serve` (with workers) and `tsfn worker` run it every
//! `TSFN_SWEEP_INTERVAL` beside their job workers; the worker Lambda runs it on each scheduled
//! sweep event, so on AWS its schedule is the interval.
//!
//! Retention deletes through `Store::delete_points` on every backend, so a series' count,
//! first/last and version stay exact. DynamoDB's TTL would delete chunk items without updating
//! the series item (its count and version), so it is used only for jobs and results.
//! Several processes may sweep at once: deleting the same range twice is harmless.

use std::sync::Arc;

use tokio::sync::watch;

use crate::app::App;
use crate::error::{Error, Result};
use crate::model::Range;
use crate::store::Store;
use crate::time::now_ms;

/// What one pass removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    pub jobs: u64,
    pub points: u64,
}

/// One pass at `now`: expired jobs, then every series with a retention.
pub async fn once(store: &dyn Store, now: i64) -> Result<Swept> {
    let jobs = store.purge_expired_jobs(now).await?;
    let mut points = 0;
    for s in store.list_series().await? {
        let Some(retention) = s.meta.retention else {
            continue;
        };
        let cutoff = retention.cutoff(now);
        // The store keeps `first` exact: a series with nothing past its retention costs no write.
        if s.first.is_none_or(|first| first >= cutoff) {
            continue;
        }
        let range = Range {
            from: None,
            to: Some(cutoff),
        };
        match store.delete_points(&s.id, range).await {
            Ok(n) => points += n,
            // Deleted since the listing: nothing left to trim.
            Err(Error::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(Swept { jobs, points })
}

/// Makes the announcements (events, notifications) that are due: of jobs failed for running
/// out of attempts, and of jobs whose worker stopped before making theirs
/// (`crate::notify::redeliver`). Returns how many it made.
pub async fn announce(app: &App) -> Result<usize> {
    #[cfg(feature = "events")]
    return Box::pin(crate::notify::redeliver(app, app.settings.policy())).await;
    #[cfg(not(feature = "events"))]
    {
        let _ = app;
        Ok(0)
    }
}

/// Runs [`announce`] and [`once`] every `TSFN_SWEEP_INTERVAL` until `shutdown` turns true. A
/// failed pass (the store down) is retried at the next interval; like the workers' claims, an
/// outage is logged when it starts and when it ends, not at every pass.
pub async fn run(app: Arc<App>, mut shutdown: watch::Receiver<bool>) {
    let every = app.settings.sweep_interval;
    let mut failing = false;
    while !*shutdown.borrow() {
        let pass = match announce(&app).await {
            Ok(_) => once(app.store.as_ref(), now_ms()).await,
            Err(e) => Err(e),
        };
        match pass {
            Ok(s) => {
                if failing {
                    tracing::info!("sweeping again");
                    failing = false;
                }
                if s != Swept::default() {
                    tracing::info!(
                        jobs = s.jobs,
                        points = s.points,
                        "swept expired jobs and points past retention"
                    );
                }
            }
            Err(e) if failing => tracing::debug!(error = %e, "sweep failed"),
            Err(e) => {
                tracing::warn!(error = %e, "sweep failed; trying again every interval");
                failing = true;
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.changed() => {}
        }
    }
}
