//! InfluxDB's client libraries, unmodified, write into `tsfn serve` through their normal APIs
//! (`influx_clients.py`: `influxdb-client` for the 2.x API, its batching writer included, and
//! `influxdb` for 1.x), and every point reads back bit for bit through tsfn's API; a refused
//! write is reported by each client as it reports InfluxDB's errors. Once open, once with an
//! API key the clients pass as their token or password.

use std::process::Command;
use std::time::Duration;

use crate::support::{self, in_process, which, workspace_root};

fn run_clients(server: &support::Server, key: Option<&str>) {
    let python = which("python").expect("the test venv's python: run ./scripts/test.sh");
    let script = workspace_root().join("tsfn/tests/it/influx_clients.py");
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("influx_clients.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut cmd = Command::new(python);
    cmd.arg(&script).args(["--url", &server.url("")]);
    if let Some(k) = key {
        cmd.args(["--key", k]);
    }
    let mut child = cmd
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("run influx_clients.py");
    let status = support::wait_exit(&mut child, Duration::from_secs(180));
    if status.is_none() {
        let _ = child.kill();
        let _ = child.wait();
    }
    let text = std::fs::read_to_string(&log_path).unwrap_or_default();
    println!("{text}");
    assert!(
        status.is_some_and(|s| s.success()),
        "influx_clients.py failed or ran over 180 s ({status:?}):\n{text}"
    );
}

#[test]
fn influxdb_client_libraries_write_exactly() {
    let s = in_process::sqlite_memory(&[]);
    run_clients(&s, None);
}

#[test]
fn influxdb_client_libraries_pass_the_api_key() {
    let s = in_process::sqlite_memory(&[("TSFN_API_KEY", "influx-key")]);
    // Without it, nothing gets in.
    s.send("POST", "/write?db=x", None, "m v=1 1").expect(401);
    run_clients(&s, Some("influx-key"));
}
