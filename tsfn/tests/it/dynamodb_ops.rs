//! DynamoDB in operation, through a fault-injecting proxy in front of moto's server
//! (support/dynamo_proxy.py): tables that DynamoDB is still creating, and an endpoint that stops
//! answering in the middle of a bulk write.

use crate::support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use support::{json, moto, tsfn_bin, which, workspace_root, Server, Value};

/// The proxy process; it exits when its stdin (held here) closes.
struct Proxy {
    child: Child,
    url: &'static str,
    client: reqwest::blocking::Client,
}

impl Proxy {
    fn start() -> Proxy {
        let python = which("python3").expect("python3 (the test venv's)");
        let mut child = Command::new(python)
            .arg(workspace_root().join("tsfn/tests/it/support/dynamo_proxy.py"))
            .arg(format!("http://127.0.0.1:{}", moto().port))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the proxy");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .expect("proxy address");
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("proxy said {line:?}"));
        Proxy {
            child,
            url: Box::leak(url.to_owned().into_boxed_str()),
            client: support::client(),
        }
    }

    fn control(&self, settings: Value) {
        let r = self
            .client
            .post(format!("{}/_control", self.url))
            .json(&settings)
            .send()
            .unwrap();
        assert!(r.status().is_success());
    }

    fn counters(&self) -> Value {
        self.client
            .get(format!("{}/_control", self.url))
            .send()
            .unwrap()
            .json()
            .unwrap()
    }

    /// `tsfn COMMAND --store STORE` through the proxy.
    fn tsfn(&self, command: &str, store: &str) -> std::process::Output {
        Command::new(tsfn_bin())
            .args([command, "--store", store])
            .envs(self.env("20000"))
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("tsfn {command}: {e}"))
    }

    /// moto's environment with the SDK pointed at the proxy instead.
    fn env(&self, timeout_ms: &'static str) -> Vec<(&'static str, &'static str)> {
        let mut env: Vec<_> = moto()
            .env()
            .into_iter()
            .filter(|(k, _)| *k != "AWS_ENDPOINT_URL" && *k != "TSFN_DYNAMODB_TIMEOUT_MS")
            .collect();
        env.push(("AWS_ENDPOINT_URL", self.url));
        env.push(("TSFN_DYNAMODB_TIMEOUT_MS", timeout_ms));
        env
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn prefix() -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "ops{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

fn describes(p: &Proxy, prefix: &str, table: &str) -> i64 {
    p.counters()["describes"][format!("{prefix}-{table}")]
        .as_i64()
        .unwrap_or(0)
}

/// `tsfn init-store` returns only once every table and index is ACTIVE, saying what it waits
/// for; `tsfn serve` started while tables are still CREATING waits for them before it listens
/// (issue: "ready" was printed while the tables were CREATING, and seed or serve then failed).
#[test]
fn init_store_and_serve_wait_for_active_tables() {
    let proxy = Proxy::start();
    proxy.control(json!({"creating": 3}));
    let store = format!("dynamodb://{}", prefix());
    let pfx = store.trim_start_matches("dynamodb://").to_owned();
    let out = proxy.tsfn("init-store", &store);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(&format!("created table {pfx}-jobs")),
        "{stdout}"
    );
    assert!(
        stdout.contains("waiting for dynamodb tables to be ACTIVE")
            && stdout.contains(&format!("{pfx}-series (CREATING)")),
        "{stdout}"
    );
    assert!(
        stdout.trim_end().ends_with(&format!("{store} is ready")),
        "{stdout}"
    );
    for t in ["series", "points", "jobs", "results"] {
        assert!(describes(&proxy, &pfx, t) >= 4, "{t}: {}", proxy.counters());
    }
    // Seeding right after works.
    let seed = proxy.tsfn("seed", &store);
    assert!(
        seed.status.success(),
        "{}",
        String::from_utf8_lossy(&seed.stderr)
    );

    // The tables report CREATING again: serve waits for ACTIVE before it listens.
    proxy.control(json!({"creating": 3}));
    let before = describes(&proxy, &pfx, "points");
    let s = Server::start(
        &store,
        &[proxy.env("20000"), vec![("TSFN_SEED", "0")]].concat(),
    );
    assert!(
        describes(&proxy, &pfx, "points") >= before + 4,
        "{}",
        proxy.counters()
    );
    assert!(!s.get("/series").expect(200)["series"]
        .as_array()
        .unwrap()
        .is_empty());
    s.get("/ready").expect(200);
}

/// An endpoint that stops answering in the middle of a bulk write: the 503 says how many points
/// were acknowledged and that resending is safe; resending once it answers again stores the
/// body whole.
#[test]
fn partial_write_says_what_was_written_and_resending_is_safe() {
    let proxy = Proxy::start();
    let store = format!("dynamodb://{}", prefix());
    let init = proxy.tsfn("init-store", &store);
    assert!(init.status.success());
    // Short timeouts so the hung batches fail fast.
    let s = Server::start(
        &store,
        &[proxy.env("500"), vec![("TSFN_SEED", "0")]].concat(),
    );
    s.write("part", &[(1, 1.0)]);
    proxy.control(json!({"hang_batches_after": 10}));
    let n = 2000i64;
    let body = Value::Array(
        (0..n)
            .map(|i| json!([1_700_000_000 + i, i as f64 / 7.0]))
            .collect(),
    );
    let started = std::time::Instant::now();
    let v = s
        .post_json("/series/part/points", &body)
        .expect_error(503, None);
    assert!(started.elapsed() < Duration::from_secs(60));
    let msg = v["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains(&format!(
            "250 of {n} points were written before the failure"
        )) && msg.contains("sending the same request again is safe"),
        "{msg}"
    );
    assert!(proxy.counters()["batches_hung"].as_i64().unwrap() > 0);

    proxy.control(json!({"hang_batches_after": null}));
    s.post_json("/series/part/points", &body).expect(200);
    assert_eq!(s.get("/series/part").expect(200)["count"], n + 1);
    let last = s.get("/series/part/points?order=desc&limit=1").expect(200);
    assert_eq!(last["points"][0]["v"], (n - 1) as f64 / 7.0);
}
