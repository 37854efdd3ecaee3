//! Running one job: read its series (page by page, reporting progress), compute the analysis,
//! and produce the result bytes. Deterministic: running a job twice gives the same result, so
//! at-least-once delivery is safe.

use serde::Serialize;

use super::{JobSpec, Kind, Outcome};
use crate::analysis::{self, Input};
use crate::error::{Error, Result};
use crate::model::{Order, Point, SeriesInfo};
use crate::query::SCAN_PAGE;
use crate::store::Store;

/// Reports progress (0-100) while a job runs; returns false when the job was lost (lease taken
/// over or job deleted), so the run stops early.
#[async_trait::async_trait]
pub trait Progress: Send + Sync {
    async fn report(&self, percent: u8) -> bool;
}

/// Loaded data for one series.
pub struct Loaded {
    pub info: SeriesInfo,
    pub points: Vec<Point>,
}

/// Share of the progress bar given to reading data; computing takes the rest.
const LOAD_SHARE: u32 = 80;

async fn load(store: &dyn Store, spec: &JobSpec, progress: &dyn Progress) -> Result<Vec<Loaded>> {
    let mut out = Vec::with_capacity(spec.series.len());
    // Expected total from the series counts: good enough for a progress bar.
    let mut infos = Vec::new();
    for id in &spec.series {
        let info = store.get_series(id).await?.ok_or_else(|| {
            Error::NotFound(format!(
                "series {:?} (deleted since the job was submitted?)",
                id.as_str()
            ))
        })?;
        infos.push(info);
    }
    let total: u64 = infos.iter().map(|i| i.count).sum::<u64>().max(1);
    let mut read = 0u64;
    for info in infos {
        let mut points = Vec::new();
        let mut scan = spec.range;
        loop {
            let page = store
                .query_points(&info.id, scan, Order::Asc, SCAN_PAGE)
                .await?;
            points.extend_from_slice(&page);
            read += page.len() as u64;
            if page.len() < SCAN_PAGE {
                break;
            }
            scan.from = Some(page[page.len() - 1].t + 1);
            let pct = (read.min(total) * LOAD_SHARE as u64 / total) as u8;
            if !progress.report(pct).await {
                return Err(Error::Conflict("job was taken over or deleted".into()));
            }
        }
        out.push(Loaded { info, points });
    }
    Ok(out)
}

fn json<T: Serialize>(v: &T) -> Result<(String, Vec<u8>)> {
    let bytes =
        serde_json::to_vec(v).map_err(|e| Error::Internal(format!("result encoding: {e}")))?;
    Ok(("application/json".to_owned(), bytes))
}

fn input(l: &Loaded) -> Input<'_> {
    Input {
        id: l.info.id.as_str(),
        name: &l.info.meta.name,
        unit: &l.info.meta.unit,
        points: &l.points,
    }
}

/// Computes a job's result from loaded data.
pub fn compute(kind: &Kind, data: &[Loaded]) -> Result<(String, Vec<u8>)> {
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
        Kind::Plot(p) => plot(p, data),
    }
}

#[cfg(feature = "plot")]
fn plot(p: &crate::plot::PlotParams, data: &[Loaded]) -> Result<(String, Vec<u8>)> {
    use crate::plot::{render, PlotSeries};
    let series: Vec<PlotSeries> = data
        .iter()
        .map(|l| PlotSeries {
            label: if l.info.meta.name.is_empty() {
                l.info.id.as_str()
            } else {
                &l.info.meta.name
            },
            unit: &l.info.meta.unit,
            points: &l.points,
        })
        .collect();
    let ids: Vec<&str> = data.iter().map(|l| l.info.id.as_str()).collect();
    let bytes = render(&series, p, &ids.join(", "))?;
    Ok((p.format.content_type().to_owned(), bytes))
}

#[cfg(not(feature = "plot"))]
fn plot(_: &crate::plot::PlotParams, _: &[Loaded]) -> Result<(String, Vec<u8>)> {
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
    // CPU-bound work (a plot over a million points) runs off the async threads.
    let computed = tokio::task::spawn_blocking(move || compute(&kind, &data))
        .await
        .map_err(|e| Error::Internal(format!("analysis task failed: {e}")))?;
    Ok(match computed {
        Ok((content_type, data)) => Outcome::Succeeded { content_type, data },
        Err(e) => Outcome::Failed {
            error: e.to_string(),
        },
    })
}
