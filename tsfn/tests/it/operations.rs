//! What operators see: Prometheus metrics from `tsfn serve` (on the API's port for admin keys,
//! and on `TSFN_METRICS_BIND` without one), counting requests, points, store errors and jobs;
//! and `tsfn gather`'s debug bundle. (`tsfn worker`'s metrics, scraped as the Kubernetes
//! annotations say, are checked in `k8s`; the Lambda functions' EMF lines in `lambda_watch`.)

use std::collections::BTreeMap;
use std::io::Read;
use std::process::Command;
use std::time::Duration;

use crate::support::{self, emulator::free_port, eventually, json, Server, Value, WorkerProc};

/// The samples of a Prometheus text page: `name{labels}` -> value.
fn samples(page: &str) -> BTreeMap<String, f64> {
    page.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| {
            let (k, v) = l.rsplit_once(' ')?;
            Some((k.to_owned(), v.parse().ok()?))
        })
        .collect()
}

fn scrape(addr: &str) -> BTreeMap<String, f64> {
    let text = support::client()
        .get(format!("http://{addr}/metrics"))
        .send()
        .expect("metrics answer")
        .text()
        .unwrap();
    samples(&text)
}

#[test]
fn serve_counts_requests_points_jobs_and_store_errors() {
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let mut s = Server::redis(&[
        ("TSFN_METRICS_BIND", &addr),
        ("TSFN_API_KEY", "k"),
        ("TSFN_WORKERS", "1"),
    ]);
    let auth = [("authorization", "Bearer k")];
    let body: String = (0..250)
        .map(|i| format!("{{\"t\":{i},\"v\":{i}}}\n"))
        .collect();
    // The first body creates the series (201), the second rewrites it (200).
    for status in [201, 200] {
        s.send_with(
            "POST",
            "/series/m/points",
            &[auth[0], ("content-type", "application/x-ndjson")],
            body.clone().into_bytes(),
        )
        .expect(status);
    }
    let page = s.get_with("/series/m/points?limit=100", &auth).expect(200);
    assert_eq!(page["points"].as_array().unwrap().len(), 100);
    s.get_with("/series/nope", &auth).expect_error(404, None);
    let job = s
        .send_with(
            "POST",
            "/jobs",
            &[auth[0], ("content-type", "application/json")],
            json!({"kind": "summary", "series": "m"})
                .to_string()
                .into_bytes(),
        )
        .expect(202);
    let id = job["id"].as_str().unwrap().to_owned();
    eventually(Duration::from_secs(30), "the job to finish", || {
        s.get_with(&format!("/jobs/{id}"), &auth).json()["status"] == "succeeded"
    });

    // The metrics port needs no key (the API's port does: `access`).
    let m = eventually(Duration::from_secs(20), "the job's count", || {
        let m = scrape(&addr);
        m.contains_key(r#"tsfn_jobs_finished_total{kind="summary",outcome="succeeded"}"#)
            .then_some(m)
    });
    let get = |k: &str| {
        m.get(k)
            .copied()
            .unwrap_or_else(|| panic!("no {k} in {m:?}"))
    };
    for status in [200, 201] {
        let key = format!(
            r#"tsfn_http_requests_total{{route="/series/{{series}}/points",method="POST",status="{status}"}}"#
        );
        assert_eq!(get(&key), 1.0, "{key}");
    }
    assert_eq!(
        get(r#"tsfn_http_requests_total{route="/series/{series}",method="GET",status="404"}"#),
        1.0
    );
    assert_eq!(get("tsfn_points_written_total"), 500.0);
    // The page of 100 read at least its chunk; the summary read the series whole.
    assert!(get("tsfn_points_read_total") >= 250.0 + 100.0, "{m:?}");
    assert_eq!(
        get(
            r#"tsfn_http_request_duration_seconds_count{route="/series/{series}/points",method="POST"}"#
        ),
        2.0
    );
    assert!(m.contains_key(
        r#"tsfn_http_request_duration_seconds_bucket{route="/series/{series}/points",method="POST",le="+Inf"}"#
    ));
    assert_eq!(
        get(r#"tsfn_job_duration_seconds_count{kind="summary"}"#),
        1.0
    );

    // The store goes away: requests answer 503 and are counted as store errors.
    s.redis.as_mut().unwrap().stop();
    s.get_with("/series/m", &auth).expect_error(503, None);
    let m = scrape(&addr);
    assert!(
        m.get(r#"tsfn_store_errors_total{kind="unavailable"}"#)
            .is_some_and(|n| *n >= 1.0),
        "{m:?}"
    );
    assert!(m
        .keys()
        .any(|k| k.starts_with("tsfn_http_requests_total{") && k.contains("status=\"503\"")));
    s.stop();
}

/// The queue's depth as a gauge, counted by the process whatever its role (here an API with no
/// workers, whose jobs wait).
#[test]
fn the_queued_jobs_gauge_follows_the_queue() {
    let addr = format!("127.0.0.1:{}", free_port());
    let s = Server::sqlite_file(&[("TSFN_METRICS_BIND", &addr), ("TSFN_WORKERS", "0")]);
    s.write("q", &[(1, 1.0)]);
    let gauge = |want: f64| {
        eventually(Duration::from_secs(20), &format!("{want} queued"), || {
            let m = scrape(&addr);
            (m.get("tsfn_jobs_queued") == Some(&want)).then_some(())
        })
    };
    gauge(0.0);
    let mut ids = Vec::new();
    for _ in 0..3 {
        let job = s
            .post_json("/jobs", &json!({"kind": "summary", "series": "q"}))
            .expect(202);
        ids.push(job["id"].as_str().unwrap().to_owned());
    }
    gauge(3.0);
    s.delete(&format!("/jobs/{}", ids[0])).expect(204);
    gauge(2.0);
}

/// `tsfn gather`: a bundle of the store and queue as they are, with no secret in it.
#[test]
fn gather_writes_a_bundle_without_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let store = format!("sqlite://{}", dir.path().join("g.db").display());
    let secret_entry = format!("ro:read:{}", "0f".repeat(32));
    let env = [
        ("TSFN_API_KEY", "very-secret-key"),
        ("TSFN_API_KEYS", secret_entry.as_str()),
        ("TSFN_WORKERS", "0"),
        ("TSFN_SEED", "0"),
    ];
    let s = Server::start(&store, &env);
    let auth = [("authorization", "Bearer very-secret-key")];
    let post = |path: &str, body: Value| {
        s.send_with(
            "POST",
            path,
            &[auth[0], ("content-type", "application/json")],
            body.to_string().into_bytes(),
        )
    };
    post("/series/big/points", json!([[1, 1.0], [2, 2.0], [3, 3.0]])).expect(201);
    post("/series/doomed/points", json!([[1, 1.0]])).expect(201);
    // A job whose series is gone by the time it runs: it fails, with its error kept.
    let doomed = post("/jobs", json!({"kind": "summary", "series": "doomed"})).expect(202);
    s.send_with("DELETE", "/series/doomed", &auth, vec![])
        .expect(204);
    let mut worker = WorkerProc::start(&store, "gather-test", &[]);
    let doomed_id = doomed["id"].as_str().unwrap().to_owned();
    eventually(Duration::from_secs(30), "the doomed job to fail", || {
        s.get_with(&format!("/jobs/{doomed_id}"), &auth).json()["status"] == "failed"
    });
    assert!(worker.terminate(Duration::from_secs(30)));
    // Two jobs waiting, no worker.
    for _ in 0..2 {
        post("/jobs", json!({"kind": "summary", "series": "big"})).expect(202);
    }

    let bundle = dir.path().join("bundle.tar.gz");
    let out = Command::new(support::tsfn_bin())
        .args(["gather", "--out"])
        .arg(&bundle)
        .env("TSFN_STORE", &store)
        .envs(env)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");

    let mut files = BTreeMap::new();
    let gz = flate2::read::GzDecoder::new(std::fs::File::open(&bundle).unwrap());
    for entry in tar::Archive::new(gz).entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().to_string_lossy().into_owned();
        let mut text = String::new();
        entry.read_to_string(&mut text).unwrap();
        assert!(!text.contains("very-secret-key"), "{name} holds the key");
        assert!(
            !text.contains(&"0f".repeat(32)),
            "{name} holds a key's hash"
        );
        files.insert(name, serde_json::from_str::<Value>(&text).unwrap());
    }
    let file = |n: &str| &files[&format!("tsfn-gather/{n}")];
    assert_eq!(file("version.json")["version"], env!("CARGO_PKG_VERSION"));
    let settings = file("settings.json");
    assert_eq!(settings["TSFN_API_KEY"]["value"], "<redacted>");
    assert_eq!(settings["TSFN_API_KEY"]["from"], "environment");
    assert_eq!(settings["TSFN_API_KEYS"]["value"], "<redacted>");
    assert_eq!(settings["TSFN_WORKERS"]["value"], "0");
    assert_eq!(settings["TSFN_JOB_LEASE_MS"]["from"], "default");
    let st = file("store.json");
    assert_eq!(st["reachable"], true, "{st}");
    assert_eq!(st["backend"], "sqlite");
    assert_eq!(st["series"], 1);
    assert_eq!(st["points"], 3);
    assert_eq!(st["largest_series"][0]["id"], "big");
    assert!(st["usage"]["database_bytes"].as_u64().unwrap() > 0, "{st}");
    let q = file("queue.json");
    assert_eq!(q["counts"]["queued"], 2, "{q}");
    assert_eq!(q["counts"]["failed"], 1, "{q}");
    assert!(
        q["oldest_queued"]["waiting_s"].as_f64().unwrap() >= 0.0,
        "{q}"
    );
    let failed = file("failed-jobs.json");
    assert_eq!(failed[0]["id"], doomed_id.as_str());
    assert!(
        failed[0]["error"].as_str().unwrap().contains("doomed"),
        "{failed}"
    );

    // To stdout, for `kubectl exec ... -- tsfn gather --out - > file`.
    let out = Command::new(support::tsfn_bin())
        .args(["gather", "--out", "-"])
        .env("TSFN_STORE", &store)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(&out.stdout[..2], b"\x1f\x8b", "gzip on stdout");

    // A store that cannot be reached is reported, not fatal.
    let out = Command::new(support::tsfn_bin())
        .args(["gather", "--out"])
        .arg(dir.path().join("down.tar.gz"))
        .env("TSFN_STORE", "redis://127.0.0.1:1/0")
        .env("TSFN_REDIS_CONNECT_TIMEOUT_MS", "200")
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
}

/// The Grafana dashboard of these metrics (docs/grafana/tsfn-metrics-dashboard.json) charts
/// every metric tsfn exports and no name it does not.
#[test]
fn the_metrics_dashboard_charts_exactly_the_exported_metrics() {
    let path = support::workspace_root().join("docs/grafana/tsfn-metrics-dashboard.json");
    let d: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut used = std::collections::BTreeSet::new();
    for panel in d["panels"].as_array().unwrap() {
        assert_eq!(
            panel["datasource"]["type"], "prometheus",
            "{}",
            panel["title"]
        );
        for t in panel["targets"].as_array().unwrap() {
            let expr = t["expr"].as_str().unwrap();
            let mut rest = expr;
            while let Some(at) = rest.find("tsfn_") {
                let name: String = rest[at..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                rest = &rest[at + name.len()..];
                let base = ["_bucket", "_count", "_sum"]
                    .iter()
                    .find_map(|s| name.strip_suffix(s))
                    .unwrap_or(&name)
                    .to_owned();
                used.insert(base);
            }
        }
    }
    let exported: std::collections::BTreeSet<String> = tsfn_shared::metrics::ALL
        .iter()
        .map(|(n, _)| n.to_string())
        .collect();
    assert_eq!(used, exported, "dashboard metrics vs shared/src/metrics.rs");
}
