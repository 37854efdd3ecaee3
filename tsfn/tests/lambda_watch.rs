//! End to end under cargo-lambda's real emulator: `cargo lambda watch` serves every function on
//! its real path (routes from the workspace `Cargo.toml`), each function running as its own
//! process on one SQLite file; then `cargo lambda invoke` sends every sample event in `events/`.
//! Needs `cargo-lambda` on PATH (scripts/test.sh installs it). Bounded in time; the emulator
//! and its function processes are stopped as a process group.

mod support;

use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::{json, rfc, workspace_root, Value};

/// First use compiles the function binaries under the emulator.
const READY_TIMEOUT: Duration = Duration::from_secs(600);

struct Emulator {
    child: Child,
    port: u16,
}

impl Drop for Emulator {
    fn drop(&mut self) {
        // The emulator runs each function through `cargo run`: stop the whole group.
        support::unsafe_kill(self.child.id(), "TERM");
        let _ = Command::new("kill")
            .args(["-TERM", &format!("-{}", self.child.id())])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = Command::new("kill")
            .args(["-KILL", &format!("-{}", self.child.id())])
            .status();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn require_cargo_lambda() {
    let ok = Command::new("cargo")
        .args(["lambda", "--version"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(ok, "cargo-lambda is not installed: run ./scripts/test.sh (it installs it into .venv) or `pip install cargo-lambda`");
}

fn start(store: &str) -> Emulator {
    require_cargo_lambda();
    let port = free_port();
    let child = Command::new("cargo")
        .args([
            "lambda",
            "watch",
            "--ignore-changes",
            "--invoke-address",
            "127.0.0.1",
            "--invoke-port",
        ])
        .arg(port.to_string())
        .current_dir(workspace_root())
        .env("TSFN_STORE", store)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .expect("spawn cargo lambda watch");
    Emulator { child, port }
}

#[test]
fn every_route_and_sample_event_under_cargo_lambda() {
    let dir = tempfile::tempdir().unwrap();
    let store = format!("sqlite://{}", dir.path().join("lambda.db").display());
    // The sample events read the bundled dataset, as after `tsfn seed`.
    let seeded = Command::new(support::tsfn_bin())
        .args(["seed", "--store", &store])
        .status()
        .unwrap();
    assert!(seeded.success());
    let emu = start(&store);
    let base = format!("http://127.0.0.1:{}", emu.port);
    let http = support::client();

    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        match http.get(format!("{base}/health")).send() {
            Ok(r) if r.status() == 200 => break,
            _ if Instant::now() > deadline => {
                panic!("cargo lambda watch did not serve /health within {READY_TIMEOUT:?}")
            }
            _ => std::thread::sleep(Duration::from_millis(500)),
        }
    }

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
    assert_eq!((s, v["store"].clone()), (200, json!("sqlite")));

    // Every sample event, invoked on its function as Lambda would.
    let events = workspace_root().join("events");
    for function in std::fs::read_to_string(events.join("ORDER"))
        .unwrap()
        .lines()
    {
        let out = Command::new("cargo")
            .args([
                "lambda",
                "invoke",
                function,
                "--invoke-address",
                "127.0.0.1",
                "--invoke-port",
                &emu.port.to_string(),
                "--data-file",
            ])
            .arg(events.join(format!("{function}.json")))
            .current_dir(workspace_root())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{function}: {text} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let resp: Value =
            serde_json::from_str(text.trim()).unwrap_or_else(|_| panic!("{function}: {text}"));
        if function == "worker" {
            // The worker answers with the job's status, not an HTTP response.
            assert_eq!(resp["status"], "succeeded", "{resp}");
            continue;
        }
        let status = resp["statusCode"].as_u64().unwrap();
        assert!((200..300).contains(&status), "{function}: {resp}");
    }
}
