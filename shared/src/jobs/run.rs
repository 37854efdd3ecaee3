//! Running one job: read its series (page by page, reporting progress), compute the analysis,
//! and produce the result bytes. Deterministic: running a job twice gives the same result, so
//! at-least-once delivery is safe.

use serde::Serialize;

use super::{JobResult, JobSpec, Kind, Outcome};
use crate::analysis::{self, Input};
use crate::error::{Error, Result};
use crate::model::{Order, Point, SeriesId};
use crate::query::Scan;
use crate::store::Store;

/// Reports progress (0-100) while a job runs; returns false when the job was lost (lease taken
/// over or job deleted), so the run stops early.
#[async_trait::async_trait]
pub trait Progress: Send + Sync {
    async fn report(&self, percent: u8) -> bool;
}

/// Loaded data for one series.
pub struct Loaded {
    pub id: SeriesId,
    /// Name and unit, read only for kinds that show them (plots).
    pub name: String,
    pub unit: String,
    pub points: Vec<Point>,
}

/// Inputs up to this many points are analysed on the async thread: well under a millisecond.
const INLINE_POINTS: usize = 4096;

/// Share of the progress bar given to reading data; computing takes the rest.
const LOAD_SHARE: u32 = 80;

async fn load(store: &dyn Store, spec: &JobSpec, progress: &dyn Progress) -> Result<Vec<Loaded>> {
    let mut out = Vec::with_capacity(spec.series.len());
    let gone = |id: &SeriesId| {
        Error::NotFound(format!(
            "series {:?} (deleted since the job was submitted?)",
            id.as_str()
        ))
    };
    let needs_meta = matches!(spec.kind, Kind::Plot(_));
    for (n, id) in spec.series.iter().enumerate() {
        // The first page answers small series in one call; only longer ones need the count
        // (for progress) and further pages.
        let mut scan = Scan::new(store, id, spec.range, Order::Asc);
        let first = match scan.next_page().await {
            Err(Error::NotFound(_)) => return Err(gone(id)),
            r => r?.unwrap_or_default(),
        };
        let info = if needs_meta || !scan.is_done() {
            store.get_series(id).await?.map(|i| (i.meta, i.count))
        } else {
            None
        };
        let total = info.as_ref().map_or(first.len() as u64, |(_, c)| *c).max(1);
        let mut points = first;
        while let Some(page) = scan.next_page().await? {
            points.extend_from_slice(&page);
            // Progress over series and pages: each series gets an equal share of the load phase.
            let done = (points.len() as u64).min(total) as f64 / total as f64;
            let pct = ((n as f64 + done) / spec.series.len() as f64 * LOAD_SHARE as f64) as u8;
            if !progress.report(pct).await {
                return Err(Error::Conflict("job was taken over or deleted".into()));
            }
        }
        let (name, unit) = info.map(|(m, _)| (m.name, m.unit)).unwrap_or_default();
        out.push(Loaded {
            id: id.clone(),
            name,
            unit,
            points,
        });
    }
    Ok(out)
}

fn json<T: Serialize>(v: &T) -> Result<JobResult> {
    let data =
        serde_json::to_vec(v).map_err(|e| Error::Internal(format!("result encoding: {e}")))?;
    Ok(JobResult {
        content_type: "application/json".to_owned(),
        data,
    })
}

fn input(l: &Loaded) -> Input<'_> {
    Input {
        id: l.id.as_str(),
        name: &l.name,
        unit: &l.unit,
        points: &l.points,
    }
}

/// What can only be checked against the data when a job is submitted: a `spectrum` without
/// `every` needs an evenly spaced series. Read page by page, stopping at the first uneven gap,
/// so a long series is not read whole to be refused; a missing series is left to the store's
/// check as the job is queued.
pub async fn check_data(store: &dyn Store, spec: &JobSpec) -> Result<()> {
    let Kind::Spectrum(p) = &spec.kind else {
        return Ok(());
    };
    if p.every.is_some() {
        return Ok(());
    }
    let id = &spec.series[0];
    let mut scan = Scan::new(store, id, spec.range, Order::Asc);
    let (mut count, mut prev, mut step) = (0usize, None::<i64>, None::<i64>);
    loop {
        let page = match scan.next_page().await {
            Err(Error::NotFound(_)) => return Ok(()),
            r => r?,
        };
        let Some(page) = page else { break };
        for pt in page {
            count += 1;
            if let Some(before) = prev {
                let gap = pt.t - before;
                match step {
                    None => step = Some(gap),
                    Some(s) if s != gap => {
                        return Err(analysis::spectrum::uneven(id.as_str(), s, gap, before))
                    }
                    Some(_) => {}
                }
            }
            prev = Some(pt.t);
        }
    }
    if count < analysis::spectrum::MIN_POINTS {
        return Err(analysis::spectrum::too_few(id.as_str(), count));
    }
    Ok(())
}

/// Computes a job's result from loaded data.
pub fn compute(kind: &Kind, data: &[Loaded]) -> Result<JobResult> {
    let first = data
        .first()
        .ok_or_else(|| Error::Internal("job without series".into()))?;
    match kind {
        Kind::Summary(_) => json(&analysis::summary::summary(input(first))),
        Kind::Histogram(p) => json(&analysis::histogram::histogram(input(first), p)?),
        Kind::Rolling(p) => json(&analysis::rolling::rolling(input(first), p)?),
        Kind::Resample(p) => json(&analysis::resample::resample(input(first), p)?),
        Kind::Trend(_) => json(&analysis::trend::trend(input(first))?),
        Kind::Anomalies(p) => json(&analysis::anomalies::anomalies(input(first), p)?),
        Kind::Correlation(p) => json(&analysis::correlation::correlation(
            input(first),
            input(&data[1]),
            p,
        )?),
        Kind::Spectrum(p) => json(&analysis::spectrum::spectrum(input(first), p)?),
        Kind::Plot(p) => plot(p, data),
    }
}

#[cfg(feature = "plot")]
fn plot(p: &crate::plot::PlotParams, data: &[Loaded]) -> Result<JobResult> {
    use crate::plot::{render, PlotSeries};
    let series: Vec<PlotSeries> = data
        .iter()
        .map(|l| PlotSeries {
            label: if l.name.is_empty() {
                l.id.as_str()
            } else {
                &l.name
            },
            unit: &l.unit,
            points: &l.points,
        })
        .collect();
    // Only jobs stored before submission filled in the title fall back to this one.
    let default_title = crate::plot::PlotParams::default_title(data.iter().map(|l| l.id.as_str()));
    let data = render(&series, p, &default_title)?;
    Ok(JobResult {
        content_type: p.format.content_type().to_owned(),
        data,
    })
}

#[cfg(not(feature = "plot"))]
fn plot(_: &crate::plot::PlotParams, _: &[Loaded]) -> Result<JobResult> {
    Err(Error::Internal(
        "this worker was built without the `plot` feature".into(),
    ))
}

/// Runs a job to its outcome. Errors that retrying cannot fix (a deleted series, bad data for the
/// analysis) become a failed outcome; store outages are returned as errors so the job is retried.
pub async fn execute(
    store: &dyn Store,
    spec: &JobSpec,
    progress: &dyn Progress,
) -> Result<Outcome> {
    let data = match load(store, spec, progress).await {
        Ok(d) => d,
        Err(e @ (Error::Unavailable(_) | Error::Conflict(_))) => return Err(e),
        Err(e) => {
            return Ok(Outcome::Failed {
                error: e.to_string(),
            })
        }
    };
    progress.report(LOAD_SHARE as u8).await;
    let kind = spec.kind.clone();
    // CPU-bound work (a plot over a million points) runs off the async threads; a small input
    // is done sooner than a hand-over to the blocking pool and back (two thread wake-ups).
    let points: usize = data.iter().map(|l| l.points.len()).sum();
    let computed = if points <= INLINE_POINTS && !matches!(kind, Kind::Plot(_)) {
        compute(&kind, &data)
    } else {
        tokio::task::spawn_blocking(move || compute(&kind, &data))
            .await
            .map_err(|e| Error::Internal(format!("analysis task failed: {e}")))?
    };
    Ok(match computed {
        Ok(JobResult { content_type, data }) => Outcome::Succeeded { content_type, data },
        Err(e) => Outcome::Failed {
            error: e.to_string(),
        },
    })
}
