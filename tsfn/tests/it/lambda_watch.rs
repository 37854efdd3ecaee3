//! The serverless path end to end, locally: cargo-lambda's real emulator (`cargo lambda watch`)
//! serves every function on its real path (routes from the workspace `Cargo.toml`), each
//! function its own process (as `cargo lambda watch` builds it: see support/emulator.rs), against
//! moto's DynamoDB server. Points and a job go in over HTTP; the worker function gets the
//! DynamoDB Streams event the jobs table would deliver, built from the job's stored item; the
//! result comes back over HTTP. Then `cargo lambda invoke` sends every sample event in `events/`.
//! Needs `cargo-lambda` and `moto_server` (scripts/test.sh installs both into .venv). Bounded in
//! time; the emulator and its function processes are stopped at the end (support/emulator.rs).

use crate::support;

use std::process::Command;

use support::{emulator, json, rfc, workspace_root, Value};

#[test]
fn every_route_and_sample_event_under_cargo_lambda() {
    let env = support::moto().env();
    let store = "dynamodb://lambda";
    // Tables as the SAM template would make them; the sample events read the bundled dataset,
    // as after `tsfn seed`.
    for cmd in ["init-store", "seed"] {
        let out = Command::new(support::tsfn_bin())
            .args([cmd, "--store", store])
            .envs(env.iter().copied())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "tsfn {cmd}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let emu = emulator::start(store, &env);
    let dir = tempfile::tempdir().unwrap();
    let base = emu.base();
    let http = support::client();
    emu.wait_ready();

    let call = |method: &str, path: &str, body: Option<(&str, String)>| -> (u16, Value) {
        let mut rb = http.request(method.parse().unwrap(), format!("{base}{path}"));
        if let Some((ct, b)) = body {
            rb = rb.header("content-type", ct).body(b);
        }
        let r = rb.send().unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = r.status().as_u16();
        let text = r.text().unwrap();
        (
            status,
            if text.is_empty() {
                Value::Null
            } else {
                serde_json::from_str(&text)
                    .unwrap_or_else(|_| panic!("{method} {path}: not JSON: {text}"))
            },
        )
    };

    // Every route, on its real path, through its own function process.
    let (s, v) = call(
        "PUT",
        "/series/lab",
        Some((
            "application/json",
            json!({"name": "Lab", "unit": "degC"}).to_string(),
        )),
    );
    assert_eq!((s, v["unit"].clone()), (201, json!("degC")), "{v}");
    let csv: String = std::iter::once("t,v\n".to_owned())
        .chain((0..30).map(|i| format!("{},{}\n", 1_000 + i * 60, i)))
        .collect();
    let (s, v) = call("POST", "/series/lab/points", Some(("text/csv", csv)));
    assert_eq!((s, v["written"].clone()), (200, json!(30)), "{v}");
    let (s, v) = call("GET", "/series/lab/points?limit=20", None);
    assert_eq!(s, 200);
    assert_eq!(v["points"].as_array().unwrap().len(), 20);
    let cursor = v["next_cursor"].as_str().expect("a second page").to_owned();
    let (_, v) = call(
        "GET",
        &format!("/series/lab/points?limit=20&cursor={cursor}"),
        None,
    );
    assert_eq!(v["points"].as_array().unwrap().len(), 10);
    let (_, v) = call("GET", "/series/lab/points?every=10m&agg=sum", None);
    // Points every minute from t=1000 s with value i: the first 10-minute bucket, [600 s, 1200 s),
    // holds t = 1000, 1060, 1120, 1180, so its sum is 0+1+2+3.
    assert_eq!(v["points"][0], json!({"t": rfc(600), "v": 6.0}), "{v}");
    let (s, v) = call("GET", &format!("/series/lab/points/{}", rfc(1_060)), None);
    assert_eq!((s, v["v"].clone()), (200, json!(1.0)));
    let (s, _) = call(
        "PUT",
        &format!("/series/lab/points/{}", rfc(1_060)),
        Some(("application/json", r#"{"v": 42}"#.into())),
    );
    assert_eq!(s, 200);
    let (_, v) = call("GET", "/series/lab/stats", None);
    assert_eq!(v["count"], 30);
    assert_eq!(v["max"], 42.0);
    let (s, _) = call(
        "DELETE",
        &format!("/series/lab/points/{}", rfc(1_060)),
        None,
    );
    assert_eq!(s, 204);
    let (_, v) = call(
        "DELETE",
        &format!("/series/lab/points?from={}", rfc(1_000 + 20 * 60)),
        None,
    );
    assert_eq!(v["deleted"], 10);
    let (_, v) = call("GET", "/series/lab", None);
    assert_eq!(v["count"], 19);
    let (_, v) = call("GET", "/series", None);
    assert!(v["series"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["id"] == "lab"));
    let (s, v) = call("GET", "/series/lab/points?limit=0", None);
    assert_eq!((s, v["error"]["field"].clone()), (400, json!("limit")));
    let (s, _) = call("DELETE", "/series/lab", None);
    assert_eq!(s, 204);
    let (s, v) = call("GET", "/series/lab", None);
    assert_eq!((s, v["error"]["code"].clone()), (404, json!("not_found")));
    let (s, v) = call("GET", "/ready", None);
    assert_eq!((s, v["store"].clone()), (200, json!("dynamodb")));

    // A job submitted over HTTP, run by the worker function from the stream event of its
    // INSERT, its result read over HTTP.
    let (s, v) = call(
        "PUT",
        "/series/flow",
        Some(("application/json", json!({"unit": "m3/s"}).to_string())),
    );
    assert_eq!(s, 201, "{v}");
    let ndjson: String = (0..500)
        .map(|i| format!("{{\"t\":{},\"v\":{}}}\n", 1_700_000_000 + i * 60, i % 10))
        .collect();
    let (s, v) = call(
        "POST",
        "/series/flow/points",
        Some(("application/x-ndjson", ndjson)),
    );
    assert_eq!((s, v["written"].clone()), (200, json!(500)), "{v}");
    let (s, job) = call(
        "POST",
        "/jobs",
        Some((
            "application/json",
            json!({"kind": "summary", "series": "flow"}).to_string(),
        )),
    );
    assert_eq!((s, job["status"].clone()), (202, json!("queued")), "{job}");
    let id = job["id"].as_str().unwrap().to_owned();
    let moto = support::moto();
    let image = moto.item_image("lambda-jobs", &id);
    let event = json!({"Records": [support::stream_record("INSERT", &id, image, "1")]});
    let file = dir.path().join("stream.json");
    std::fs::write(&file, event.to_string()).unwrap();
    let resp = emu.invoke("worker", &file);
    assert_eq!(resp, json!({"batchItemFailures": []}));
    let (_, v) = call("GET", &format!("/jobs/{id}"), None);
    assert_eq!(v["status"], "succeeded", "{v}");
    assert_eq!(v["attempts"], 1, "{v}");
    let (s, v) = call("GET", &format!("/jobs/{id}/result"), None);
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["count"], 500, "{v}");
    assert_eq!(v["mean"], 4.5, "{v}");
    // The same record delivered again does not run the job a second time.
    assert_eq!(
        emu.invoke("worker", &file),
        json!({"batchItemFailures": []})
    );
    let (_, v) = call("GET", &format!("/jobs/{id}"), None);
    assert_eq!(v["attempts"], 1, "{v}");

    // A request id given is returned (and one is made when none is).
    let r = http
        .get(format!("{base}/series/flow"))
        .header("x-request-id", "lambda-trace-1")
        .send()
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "lambda-trace-1");
    let r = http.get(format!("{base}/series")).send().unwrap();
    assert_eq!(r.headers()["x-request-id"].len(), 36);

    // Each function wrote its metrics as CloudWatch Embedded Metric Format lines on stdout:
    // the request counts of the route functions, the job the worker ran.
    let emf = support::eventually(
        std::time::Duration::from_secs(20),
        "EMF lines of points-write and worker",
        || {
            let docs: Vec<Value> = emu
                .output()
                .lines()
                .filter(|l| l.contains("\"_aws\""))
                .filter_map(|l| serde_json::from_str::<Value>(&l[l.find('{')?..]).ok())
                .collect();
            let has = |function: &str, metric: &str| {
                docs.iter().any(|d| {
                    d["function"] == function
                        && d[metric].is_number()
                        && d["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "tsfn"
                })
            };
            (has("points-write", "tsfn_http_requests_total")
                && has("points-write", "tsfn_points_written_total")
                && has("worker", "tsfn_jobs_finished_total"))
            .then_some(docs)
        },
    );
    let write = emf
        .iter()
        .find(|d| {
            d["function"] == "points-write"
                && d["route"] == "/series/{series}/points"
                && d["tsfn_http_requests_total"].is_number()
        })
        .expect("points-write's request count");
    let dims = &write["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0];
    for dim in ["function", "route", "method", "status"] {
        assert!(
            dims.as_array().unwrap().iter().any(|d| d == dim),
            "{dim}: {write}"
        );
    }

    // Every sample event, invoked on its function as Lambda would. `ingest-s3`'s names an
    // object in moto's S3 (events/make_events.py: SAMPLE_BUCKET, SAMPLE_KEY, SAMPLE_CSV).
    let events = workspace_root().join("events");
    let sample = dir.path().join("sample.csv");
    std::fs::write(
        &sample,
        "t,v\n2024-01-01T00:00:00Z,1.5\n2024-01-01T00:01:00Z,2.25\n",
    )
    .unwrap();
    let endpoint = env
        .iter()
        .find(|(k, _)| *k == "AWS_ENDPOINT_URL")
        .unwrap()
        .1;
    let script = workspace_root().join("tsfn/tests/it/ingest_s3.py");
    for args in [
        vec![endpoint, "bucket", "tsfn-ingest"],
        vec![
            endpoint,
            "put",
            "tsfn-ingest",
            "incoming/demo-s3/sample.csv",
            sample.to_str().unwrap(),
        ],
    ] {
        let mut all = vec![script.as_os_str()];
        all.extend(args.iter().map(std::ffi::OsStr::new));
        support::run_python(
            &all,
            &dir.path().join("s3.log"),
            std::time::Duration::from_secs(120),
        );
    }
    for name in std::fs::read_to_string(events.join("ORDER"))
        .unwrap()
        .lines()
    {
        let function = name.split('.').next().unwrap();
        let resp = emu.invoke(function, &events.join(format!("{name}.json")));
        if name == "worker.stream" {
            assert_eq!(resp, json!({"batchItemFailures": []}), "{name}");
            continue;
        }
        if name == "worker.sweep" {
            // The sweep runs the job `jobs-submit` queued (no stream feeds the emulator).
            let ran = resp["ran"].as_array().unwrap_or_else(|| panic!("{resp}"));
            assert_eq!(ran.len(), 1, "{resp}");
            assert_eq!(ran[0]["status"], "succeeded", "{resp}");
            continue;
        }
        if function == "ingest-queue" {
            assert_eq!(resp, json!({"batchItemFailures": []}), "{name}");
            continue;
        }
        if function == "ingest-s3" {
            assert_eq!(resp["ingested"][0]["points"], json!(2), "{resp}");
            let (_, v) = call("GET", "/series/demo-s3/points", None);
            assert_eq!(v["points"].as_array().map(Vec::len), Some(2), "{v}");
            continue;
        }
        if function == "worker" {
            // The worker answers with the job's status, not an HTTP response.
            assert_eq!(resp["status"], "succeeded", "{resp}");
            continue;
        }
        let status = resp["statusCode"].as_u64().unwrap();
        assert!((200..300).contains(&status), "{function}: {resp}");
    }
}
