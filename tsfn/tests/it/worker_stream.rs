//! The worker function's DynamoDB Streams contract, in process against moto: every queued job of
//! a batch runs, a record that cannot be processed is reported alone in `batchItemFailures` (so
//! Lambda retries only it), and duplicate deliveries (in one batch or in two concurrent
//! invocations) run a job once; the scheduled sweep takes over the jobs of invocations that died
//! and those whose record never arrived.

use crate::support;

use support::{json, Value};
use tsfn_shared::app::App;
use tsfn_shared::jobs::{Job, JobSpec};
use tsfn_shared::model::{Point, SeriesId, SeriesMeta};
use tsfn_shared::Settings;

fn batch(records: Vec<Value>) -> worker::StreamEvent {
    serde_json::from_value(json!({ "Records": records })).expect("a stream batch")
}

async fn queue(app: &App, body: &str) -> String {
    let job = Job::new(
        JobSpec::from_submission(body.as_bytes()).unwrap(),
        tsfn_shared::app::now_ms(),
    );
    app.store.create_job(&job).await.unwrap();
    job.id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_batches_report_only_failed_records_and_run_duplicates_once() {
    // The SDK reads moto's endpoint and credentials from the environment: a process of its own.
    let test = "stream_batches_report_only_failed_records_and_run_duplicates_once";
    if support::rerun_in_child(
        &format!("{}::{test}", module_path!()),
        &support::moto().env(),
    ) {
        return;
    }
    // The environment's settings (moto's TSFN_DYNAMODB_TIMEOUT_MS) on a store of this test.
    let settings = Settings {
        store: "dynamodb://stream".into(),
        ..Settings::from_env().unwrap()
    };
    tsfn_shared::store::init(&settings, &mut |_| {})
        .await
        .unwrap();
    let app = App::new(settings).await.unwrap();
    let id = SeriesId::parse("level").unwrap();
    app.store
        .put_series(&id, &SeriesMeta::default(), 0)
        .await
        .unwrap();
    let points: Vec<Point> = (0..100)
        .map(|i| Point {
            t: 1_700_000_000_000 + i * 60_000,
            v: i as f64,
        })
        .collect();
    app.store.write_points(&id, points, 0).await.unwrap();

    let a = queue(&app, r#"{"kind": "summary", "series": "level"}"#).await;
    let b = queue(&app, r#"{"kind": "trend", "series": "level"}"#).await;
    let image = |id: &str| {
        let moto = support::moto();
        let id = id.to_owned();
        async move {
            tokio::task::spawn_blocking(move || moto.item_image("stream-jobs", &id))
                .await
                .unwrap()
        }
    };
    let (img_a, img_b) = (image(&a).await, image(&b).await);
    assert_eq!(img_a["status"], json!({"S": "queued"}));
    let mut poisoned = img_a.clone();
    poisoned["id"] = json!({"S": "not-a-job-id"});
    let mut running = img_b.clone();
    running["status"] = json!({"S": "running"});
    let event = batch(vec![
        support::stream_record("INSERT", &a, img_a.clone(), "101"),
        support::stream_record("INSERT", "not-a-job-id", poisoned, "102"),
        support::stream_record("INSERT", &a, img_a.clone(), "103"),
        support::stream_record("MODIFY", &b, running, "104"),
        support::stream_record("INSERT", &b, img_b.clone(), "105"),
    ]);
    let resp = worker::handle_stream(app.clone(), event, "lambda:one").await;
    let failed: Vec<_> = resp
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect();
    assert_eq!(failed, vec![Some("102".to_owned())]);
    for (id, kind) in [(&a, "summary"), (&b, "trend")] {
        let job = app.store.get_job(id).await.unwrap().unwrap();
        assert_eq!(job.status.as_str(), "succeeded", "{kind}: {job:?}");
        assert_eq!(job.attempts, 1, "{kind} ran once: {job:?}");
        assert!(app.store.get_result(id).await.unwrap().is_some());
    }
    let summary = app.store.get_result(&a).await.unwrap().unwrap();
    let summary: Value = serde_json::from_slice(&summary.data).unwrap();
    assert_eq!(summary["count"], 100);
    assert_eq!(summary["mean"], 49.5);

    // The same record in two invocations at once: one claims the job, the other reports it.
    let c = queue(&app, r#"{"kind": "summary", "series": "level"}"#).await;
    let img_c = image(&c).await;
    let run = |name: &'static str| {
        let app = app.clone();
        let ev = batch(vec![support::stream_record(
            "INSERT",
            &c,
            img_c.clone(),
            "201",
        )]);
        tokio::spawn(async move { worker::handle_stream(app, ev, name).await })
    };
    let (x, y) = (run("lambda:x"), run("lambda:y"));
    let (x, y) = (x.await.unwrap(), y.await.unwrap());
    assert!(x.batch_item_failures.is_empty() && y.batch_item_failures.is_empty());
    let job = app.store.get_job(&c).await.unwrap().unwrap();
    assert_eq!(job.attempts, 1, "{job:?}");
    assert_eq!(job.status.as_str(), "succeeded", "{job:?}");

    // A record whose job was deleted before it ran is done, not a failure to retry.
    let d = queue(&app, r#"{"kind": "summary", "series": "level"}"#).await;
    let img_d = image(&d).await;
    app.store.remove_job(&d).await.unwrap();
    let resp = worker::handle_stream(
        app.clone(),
        batch(vec![support::stream_record("INSERT", &d, img_d, "301")]),
        "lambda:z",
    )
    .await;
    assert!(resp.batch_item_failures.is_empty(), "{resp:?}");

    // An invocation that died mid-job (a Lambda timeout) leaves its job running under a lease;
    // a job whose record never arrived stays queued. The sweep runs both and leaves a job whose
    // lease is still live alone.
    let summary = r#"{"kind": "summary", "series": "level"}"#;
    let now = tsfn_shared::app::now_ms();
    let dead = queue(&app, summary).await;
    let claimed = app
        .store
        .claim_job(&dead, "lambda:dead", now - 60_000, 30_000, 3);
    assert!(claimed.await.unwrap().is_some());
    let live = queue(&app, summary).await;
    let claimed = app.store.claim_job(&live, "lambda:live", now, 600_000, 3);
    assert!(claimed.await.unwrap().is_some());
    let lost = queue(&app, summary).await;
    let sweep = |body: Value| {
        let app = app.clone();
        async move {
            let ev: worker::WorkerEvent = serde_json::from_value(body).unwrap();
            worker::handle_any(app, ev, "lambda:sweep").await
        }
    };
    let v = sweep(json!({"sweep": true})).await.unwrap();
    let mut ran: Vec<(String, String)> = v["ran"]
        .as_array()
        .unwrap_or_else(|| panic!("{v}"))
        .iter()
        .map(|r| {
            (
                r["job_id"].as_str().unwrap().into(),
                r["status"].as_str().unwrap().into(),
            )
        })
        .collect();
    ran.sort();
    let mut want = vec![
        (dead.clone(), "succeeded".to_owned()),
        (lost.clone(), "succeeded".to_owned()),
    ];
    want.sort();
    assert_eq!(ran, want, "{v}");
    let job = app.store.get_job(&dead).await.unwrap().unwrap();
    assert_eq!(
        (job.attempts, job.worker.as_deref()),
        (2, Some("lambda:sweep")),
        "{job:?}"
    );
    let job = app.store.get_job(&live).await.unwrap().unwrap();
    assert_eq!(job.status.as_str(), "running", "{job:?}");
    assert_eq!(job.attempts, 1, "{job:?}");
    // Nothing left: an empty report; malformed sweeps are refused, naming the field.
    assert_eq!(
        sweep(json!({"sweep": true})).await.unwrap(),
        json!({"ran": []})
    );
    let e = sweep(json!({"sweep": false})).await.unwrap_err();
    assert!(e.to_string().contains("sweep"), "{e}");
    let e = sweep(json!({"sweep": true, "max_jobs": 0}))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("max_jobs"), "{e}");
}
