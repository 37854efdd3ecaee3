//! The ingest-queue function: point records from an SQS queue or a Kinesis stream (one function
//! for both event shapes). Each record is a JSON object, `{"series": "s", "t": ..., "v": ...}`
//! or `{"series": "s", "points": [...]}` (the points in any shape `POST /series/{id}/points`
//! takes as JSON), or InfluxDB line protocol text naming its own series with `TSFN_INGEST_DB`
//! as `{db}` (`tsfn_shared::bulk::parse_record`).
//!
//! A batch is parsed record by record, then the points of all good records are grouped per
//! series and written in bulk, one `write_points` call per series (records in batch order, so
//! the last record of a point wins). The answer is `{"batchItemFailures": [...]}` naming
//! exactly the records that failed (SQS message ids, Kinesis sequence numbers): those that do
//! not parse (logged with the error, naming the field or line) and those with a point in a
//! series whose write failed. Lambda redelivers just those; a redelivered record rewrites the
//! same points, which is idempotent.

use std::collections::BTreeMap;

use aws_lambda_events::event::kinesis::KinesisEvent;
use aws_lambda_events::event::sqs::SqsEvent;
use serde::{Deserialize, Serialize};
use tsfn_shared::lineproto::SeriesPoints;
use tsfn_shared::model::SeriesId;
use tsfn_shared::App;

/// What the function is invoked with: Kinesis first, since an SQS record has no required field.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum QueueEvent {
    Kinesis(KinesisEvent),
    Sqs(SqsEvent),
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Failure {
    #[serde(rename = "itemIdentifier")]
    pub item_identifier: String,
}

/// The partial batch response SQS and Kinesis event sources read.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct BatchResponse {
    #[serde(rename = "batchItemFailures")]
    pub batch_item_failures: Vec<Failure>,
}

/// Each record of the event as (its id, its data).
fn records(event: QueueEvent) -> Vec<(String, Vec<u8>)> {
    match event {
        QueueEvent::Kinesis(k) => k
            .records
            .into_iter()
            .map(|r| (r.kinesis.sequence_number, r.kinesis.data.0))
            .collect(),
        QueueEvent::Sqs(s) => s
            .records
            .into_iter()
            .enumerate()
            .map(|(i, m)| {
                (
                    m.message_id.unwrap_or_else(|| format!("#{i}")),
                    m.body.unwrap_or_default().into_bytes(),
                )
            })
            .collect(),
    }
}

/// A series' share of a batch: its labels (line protocol tags), its points in record order, and
/// the records holding them.
#[derive(Default)]
struct Group {
    labels: BTreeMap<String, String>,
    points: Vec<tsfn_shared::model::Point>,
    records: Vec<usize>,
}

pub async fn handle(app: &App, event: QueueEvent) -> BatchResponse {
    let now = tsfn_shared::time::now_ms();
    let mut failed: Vec<String> = Vec::new();
    let mut by_series: BTreeMap<SeriesId, Group> = BTreeMap::new();
    let recs = records(event);
    for (i, (id, data)) in recs.iter().enumerate() {
        match tsfn_shared::bulk::parse_record(
            data,
            &app.settings.ingest_db,
            &app.settings.line_template,
            now,
        ) {
            Ok(series) => {
                for s in series {
                    let g = by_series.entry(s.id).or_default();
                    if g.labels.is_empty() {
                        g.labels = s.labels;
                    }
                    g.points.extend(s.points);
                    g.records.push(i);
                }
            }
            Err(e) => {
                tracing::error!(record = %id, error = %e, "ingest-queue: record refused");
                failed.push(id.clone());
            }
        }
    }
    let mut failed_recs = std::collections::BTreeSet::new();
    for (
        id,
        Group {
            labels,
            mut points,
            records: holders,
        },
    ) in by_series
    {
        if holders.iter().all(|i| failed_recs.contains(i)) {
            continue;
        }
        tsfn_shared::ingest::normalize(&mut points);
        let n = points.len();
        let series = id.as_str().to_owned();
        let result = tsfn_shared::lineproto::store(
            app.store.as_ref(),
            vec![SeriesPoints { id, labels, points }],
            now,
        )
        .await;
        match result {
            Ok(()) => tracing::info!(series = %series, points = n, "ingest-queue: written"),
            Err(e) => {
                tracing::error!(series = %series, error = %e, "ingest-queue: write failed");
                failed_recs.extend(holders);
            }
        }
    }
    failed.extend(failed_recs.into_iter().map(|i| recs[i].0.clone()));
    BatchResponse {
        batch_item_failures: failed
            .into_iter()
            .map(|item_identifier| Failure { item_identifier })
            .collect(),
    }
}
