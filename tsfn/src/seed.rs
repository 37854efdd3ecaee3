//! The bundled dataset loaded into an empty store by `tsfn serve`, so a fresh start has real data
//! to query. Public-domain NOAA data: the Mauna Loa weekly CO2 record (as shipped by statsmodels'
//! `co2` dataset) and Seattle weather (as shipped by the vega_datasets package).
//! The files are converted to tsfn's own `t,v` CSV and go through the same parser as the API.

use std::collections::BTreeMap;

use tsfn_shared::app::now_ms;
use tsfn_shared::ingest::{self, Format};
use tsfn_shared::jobs::{Job, JobSpec};
use tsfn_shared::model::{SeriesId, SeriesMeta};
use tsfn_shared::store::Store;
use tsfn_shared::Result;

pub struct Dataset {
    pub id: &'static str,
    pub name: &'static str,
    pub unit: &'static str,
    pub description: &'static str,
    pub source: &'static str,
    pub csv: &'static str,
}

pub static DATASETS: &[Dataset] = &[
    Dataset {
        id: "co2",
        name: "Mauna Loa atmospheric CO2 (weekly)",
        unit: "ppm",
        description: "Weekly mean CO2 mole fraction at Mauna Loa Observatory, 1958-2001 (weeks without data omitted)",
        source: "NOAA/Scripps, public domain; via statsmodels' co2 dataset",
        csv: include_str!("../data/co2.csv"),
    },
    Dataset {
        id: "seattle-temp",
        name: "Seattle hourly temperature, 2010",
        unit: "degF",
        description: "Hourly air temperature in Seattle during 2010 (timestamps as published, read as UTC)",
        source: "NOAA, public domain; via vega_datasets' seattle-temps",
        csv: include_str!("../data/seattle-temp.csv"),
    },
    Dataset {
        id: "seattle-temp-max",
        name: "Seattle daily maximum temperature",
        unit: "degC",
        description: "Daily maximum temperature in Seattle, 2012-2015",
        source: "NOAA, public domain; via vega_datasets' seattle-weather",
        csv: include_str!("../data/seattle-temp-max.csv"),
    },
    Dataset {
        id: "seattle-temp-min",
        name: "Seattle daily minimum temperature",
        unit: "degC",
        description: "Daily minimum temperature in Seattle, 2012-2015",
        source: "NOAA, public domain; via vega_datasets' seattle-weather",
        csv: include_str!("../data/seattle-temp-min.csv"),
    },
    Dataset {
        id: "seattle-precipitation",
        name: "Seattle daily precipitation",
        unit: "mm",
        description: "Daily precipitation in Seattle, 2012-2015",
        source: "NOAA, public domain; via vega_datasets' seattle-weather",
        csv: include_str!("../data/seattle-precipitation.csv"),
    },
    Dataset {
        id: "seattle-wind",
        name: "Seattle daily mean wind speed",
        unit: "m/s",
        description: "Daily mean wind speed in Seattle, 2012-2015",
        source: "NOAA, public domain; via vega_datasets' seattle-weather",
        csv: include_str!("../data/seattle-wind.csv"),
    },
];

/// Loads the bundled series when the store has no series at all. Returns how many points it wrote.
pub async fn seed_if_empty(store: &dyn Store) -> Result<usize> {
    if !store.list_series().await?.is_empty() {
        return Ok(0);
    }
    load_all(store).await
}

/// The id of the sample job `load_all` queues (a summary of `co2`); the sample events use it.
pub const SAMPLE_JOB: &str = "00000000-0000-4000-8000-000000000001";

/// Writes every bundled series (metadata and points) and queues the sample job unless it
/// exists; idempotent. Returns how many points.
pub async fn load_all(store: &dyn Store) -> Result<usize> {
    let mut total = 0;
    for d in DATASETS {
        let id = SeriesId::parse(d.id)?;
        let mut labels = BTreeMap::new();
        labels.insert("source".to_owned(), d.source.to_owned());
        let meta = SeriesMeta {
            name: d.name.to_owned(),
            unit: d.unit.to_owned(),
            description: d.description.to_owned(),
            labels,
            retention: None,
        };
        let points = ingest::parse(Format::Csv, d.csv.as_bytes())?;
        total += points.len();
        store.put_series(&id, &meta, now_ms()).await?;
        store.write_points(&id, points, now_ms()).await?;
    }
    if store.get_job(SAMPLE_JOB).await?.is_none() {
        let spec = JobSpec::from_submission(br#"{"kind": "summary", "series": "co2"}"#)?;
        let job = Job {
            id: SAMPLE_JOB.to_owned(),
            ..Job::new(spec, now_ms())
        };
        store.create_job(&job).await?;
    }
    Ok(total)
}
