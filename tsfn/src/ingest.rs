//! `tsfn ingest FILE...`: files of points (CSV, NDJSON or line protocol, gzip or not) streamed
//! into the store in bulk, as the `ingest-s3` function does with S3 objects
//! (`tsfn_shared::bulk`). Each file is read twice, checked whole and then written, so a bad
//! line writes nothing of its file; the other files are still ingested, and the command exits
//! with status 1 naming each bad file and line.

use tokio::io::BufReader;
use tsfn_shared::bulk::{self, FileFormat, Mode, Options};
use tsfn_shared::lineproto::Precision;
use tsfn_shared::model::SeriesId;
use tsfn_shared::settings::Settings;
use tsfn_shared::store::Store;

/// Ingests `files` into the store; `series` names the series of CSV and NDJSON files (else
/// `TSFN_INGEST_PATTERN` finds it in each path).
pub async fn run(
    settings: &Settings,
    files: &[String],
    series: Option<&str>,
) -> Result<(), String> {
    let series = series
        .map(SeriesId::parse)
        .transpose()
        .map_err(|e| format!("--series: {e}"))?;
    let store = tsfn_shared::store::open(settings)
        .await
        .map_err(|e| format!("cannot open store {}: {e}", settings.store))?;
    let mut failed = Vec::new();
    for file in files {
        match one(settings, store.as_ref(), file, series.clone()).await {
            Ok(s) => println!(
                "{file}: {} points from {} lines into {}",
                s.points,
                s.lines,
                s.series.join(", ")
            ),
            Err(e) => {
                eprintln!("error: {file}: {e}");
                failed.push(file.as_str());
            }
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} of {} files not ingested (nothing written from them): {}",
            failed.len(),
            files.len(),
            failed.join(", ")
        ))
    }
}

async fn open(path: &str) -> Result<Box<dyn tokio::io::AsyncBufRead + Unpin + Send>, String> {
    let f = tokio::fs::File::open(path)
        .await
        .map_err(|e| format!("cannot open it: {e}"))?;
    let gzip = path.to_ascii_lowercase().ends_with(".gz");
    bulk::decode(BufReader::with_capacity(1 << 16, f), gzip)
        .await
        .map_err(|e| format!("cannot read it: {e}"))
}

async fn one(
    settings: &Settings,
    store: &dyn Store,
    path: &str,
    series: Option<SeriesId>,
) -> Result<bulk::Summary, String> {
    let mut r = open(path).await?;
    let format = match FileFormat::from_name(path) {
        Some(f) => f,
        None => FileFormat::sniff(&bulk::peek(&mut r).await.map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?,
    };
    let series = match series {
        Some(s) => Some(s),
        None if format == FileFormat::LineProtocol => None,
        None => {
            let s = settings.ingest_pattern.series_in_path(path).ok_or(
                "no series: give --series, or put the file where TSFN_INGEST_PATTERN \
                     finds it in the path",
            )?;
            Some(SeriesId::parse(&s).map_err(|e| format!("the series {s:?} from its path: {e}"))?)
        }
    };
    let opts = Options {
        series,
        db: &settings.ingest_db,
        template: &settings.line_template,
        precision: Precision::Ns,
        now: tsfn_shared::time::now_ms(),
        batch: settings.ingest_batch,
    };
    bulk::run(&mut r, format, &opts, Mode::Validate)
        .await
        .map_err(|e| e.to_string())?;
    let mut r = open(path).await?;
    bulk::run(&mut r, format, &opts, Mode::Write(store))
        .await
        .map_err(|e| e.to_string())
}
