//! Every function as a Lambda: its sample event from `events/` is decoded by lambda_http into
//! the request type Lambda hands the function, and goes through the function's own handler.
//! (`route_table.rs` checks the events and the `cargo lambda watch` router against the routes.)

use crate::support;

use std::collections::BTreeSet;

use tsfn::routes::ROUTES;
use tsfn_shared::app::App;
use tsfn_shared::http::dispatch;
use tsfn_shared::Settings;

fn expected_status(function: &str) -> u16 {
    match function {
        "series-put" => 201,
        "jobs-submit" => 202,
        "series-delete" | "point-delete" | "job-delete" | "write-v1" | "write-v2" | "ping" => 204,
        _ => 200,
    }
}

#[tokio::test]
async fn every_sample_event_succeeds_through_its_handler() {
    let settings = Settings {
        store: "sqlite::memory:".into(),
        hook_secrets: Some(
            tsfn_shared::hooks::HookSecrets::parse(support::emulator::SAMPLE_HOOK_SECRETS).unwrap(),
        ),
        ..Settings::default()
    };
    let app = App::new(settings).await.unwrap();
    tsfn::seed::load_all(app.store.as_ref()).await.unwrap();
    let dir = support::workspace_root().join("events");
    let order = std::fs::read_to_string(dir.join("ORDER")).unwrap();
    let order: Vec<&str> = order.lines().collect();
    let mut functions: BTreeSet<&str> = ROUTES.iter().map(|r| r.function).collect();
    functions.extend(["worker", "ingest-s3", "ingest-queue"]);
    // An event's function is its name up to the first dot (`worker.stream` -> `worker`).
    assert_eq!(
        order
            .iter()
            .map(|e| e.split('.').next().unwrap())
            .collect::<BTreeSet<_>>(),
        functions,
        "events/ORDER must cover every function"
    );
    for function in order {
        if function == "worker.stream" {
            // A DynamoDB Streams batch announcing the queued sample job: it runs the job.
            let raw = std::fs::read_to_string(dir.join("worker.stream.json")).unwrap();
            let event: worker::WorkerEvent = serde_json::from_str(&raw).unwrap();
            let worker::WorkerEvent::Stream(event) = event else {
                panic!("worker.stream.json is not a stream batch")
            };
            let resp = worker::handle_stream(app.clone(), event, "lambda:sample").await;
            assert!(resp.batch_item_failures.is_empty(), "{resp:?}");
            let job = app
                .store
                .get_job(tsfn::seed::SAMPLE_JOB)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(job.status.as_str(), "succeeded");
            continue;
        }
        if function == "worker.sweep" {
            // The scheduled sweep runs what no event announced: the job `jobs-submit` queued.
            let raw = std::fs::read_to_string(dir.join("worker.sweep.json")).unwrap();
            let event: worker::WorkerEvent = serde_json::from_str(&raw).unwrap();
            let worker::WorkerEvent::Sweep(event) = event else {
                panic!("worker.sweep.json is not a sweep event")
            };
            let report = worker::handle_sweep(app.clone(), event, "lambda:sweep")
                .await
                .unwrap();
            assert_eq!(report.ran.len(), 1, "{report:?}");
            assert_eq!(report.ran[0].status, "succeeded", "{report:?}");
            let job = app
                .store
                .get_job(&report.ran[0].job_id)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(job.spec.kind.name(), "trend", "{job:?}");
            continue;
        }
        if function.starts_with("ingest-queue") {
            // An SQS and a Kinesis batch of point records: every record written.
            let raw = std::fs::read_to_string(dir.join(format!("{function}.json"))).unwrap();
            let event: ingest_queue::QueueEvent = serde_json::from_str(&raw).unwrap();
            let resp = ingest_queue::handle(&app, event).await;
            assert!(resp.batch_item_failures.is_empty(), "{function}: {resp:?}");
            continue;
        }
        if function == "ingest-s3" {
            // It reads its object from S3: run in the `ingest` and `lambda_watch` suites; here
            // the event must be what the function decodes.
            let raw = std::fs::read_to_string(dir.join("ingest-s3.json")).unwrap();
            let event: ingest_s3::S3Event = serde_json::from_str(&raw).unwrap();
            assert_eq!(event.records.len(), 1);
            continue;
        }
        if function == "worker" {
            // Not an HTTP event: the worker reports the job its event names (run above by the
            // stream event, so this is a duplicate delivery: no second run).
            let raw = std::fs::read_to_string(dir.join("worker.json")).unwrap();
            let event: worker::JobEvent = serde_json::from_str(&raw).unwrap();
            let report = worker::handle(app.clone(), event, "lambda:sample")
                .await
                .unwrap();
            assert_eq!(report.status, "succeeded", "{report:?}");
            continue;
        }
        // `console.asset` is a second route of `console`: the event's routeKey says which.
        let raw = std::fs::read_to_string(dir.join(format!("{function}.json"))).unwrap();
        let event: serde_json::Value = serde_json::from_str(&raw).unwrap();
        let owner = function.split('.').next().unwrap();
        let route = ROUTES
            .iter()
            .find(|r| {
                r.function == owner && event["routeKey"] == format!("{} {}", r.method, r.path)
            })
            .unwrap_or_else(|| panic!("{function}: routeKey is not a route of {owner}"));
        let req = lambda_http::request::from_str(&raw)
            .unwrap_or_else(|e| panic!("{function}: not an API Gateway event: {e}"));
        let resp = dispatch(app.clone(), req, route.handler).await;
        let text = String::from_utf8_lossy(body_of(&resp)).into_owned();
        assert_eq!(
            resp.status().as_u16(),
            expected_status(function),
            "{function}: {text}"
        );
        match function {
            "points-query" => {
                let v: serde_json::Value = serde_json::from_str(&text).unwrap();
                assert_eq!(v["points"].as_array().unwrap().len(), 5, "{text}");
                assert_eq!(v["points"][0]["t"], "1990-01-06T00:00:00.000Z");
            }
            "point-get" => assert!(text.contains("353.4"), "{text}"),
            "job-get" => {
                let v: serde_json::Value = serde_json::from_str(&text).unwrap();
                assert_eq!(v["worker"], "lambda:sample", "{text}");
                assert_eq!(v["attempts"], 1, "ran once for two deliveries: {text}");
            }
            "job-result" => assert!(text.contains("\"count\":2225"), "{text}"),
            "jobs-kinds" => {
                let v: serde_json::Value = serde_json::from_str(&text).unwrap();
                assert_eq!(v["kinds"].as_array().unwrap().len(), 9, "{text}");
            }
            // Asked with `accept-encoding: gzip`: compressed, and named so.
            "console" | "console.asset" => {
                assert_eq!(resp.headers()["content-encoding"], "gzip", "{function}");
                let mut plain = String::new();
                std::io::Read::read_to_string(
                    &mut flate2::read::GzDecoder::new(body_of(&resp)),
                    &mut plain,
                )
                .unwrap();
                let want = if function == "console" {
                    "<html"
                } else {
                    "fetch("
                };
                assert!(plain.contains(want), "{function}: {plain:.200}");
            }
            "series-stats" => {
                let v: serde_json::Value = serde_json::from_str(&text).unwrap();
                assert!(v["count"].as_u64().unwrap() > 500, "{text}");
            }
            _ => {}
        }
    }
    // The line protocol landed in its series, exactly, with its tag as a label.
    for (id, want) in [
        ("lab.room.temp", vec![21.5, 21.7]),
        ("lab.room.humidity", vec![40.0, 41.0]),
        ("lab.room.co2", vec![612.0]),
    ] {
        let sid = tsfn_shared::model::SeriesId::parse(id).unwrap();
        let info = app.store.get_series(&sid).await.unwrap().expect(id);
        assert_eq!(info.meta.labels["room"], "kitchen", "{id}");
        let chunks = app
            .store
            .read_chunks(
                &sid,
                tsfn_shared::model::Range {
                    from: None,
                    to: None,
                },
                tsfn_shared::model::Order::Asc,
                10,
            )
            .await
            .unwrap();
        let values: Vec<f64> = chunks
            .iter()
            .flat_map(|c| c.points().unwrap())
            .map(|p| p.v)
            .collect();
        assert_eq!(values, want, "{id}");
        assert_eq!(info.first, Some(1_704_067_200_000), "{id}");
    }
    // The writes happened and the deletes undid them.
    let demo = tsfn_shared::model::SeriesId::parse("demo").unwrap();
    assert!(app.store.get_series(&demo).await.unwrap().is_none());
}

fn body_of(r: &tsfn_shared::Response) -> &[u8] {
    match r.body() {
        lambda_http::Body::Text(s) => s.as_bytes(),
        lambda_http::Body::Binary(b) => b,
        _ => &[],
    }
}
