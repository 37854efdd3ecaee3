//! InfluxDB's client libraries, unmodified, write into `tsfn serve` through their normal APIs
//! (`influx_clients.py`: `influxdb-client` for the 2.x API, its batching writer included, and
//! `influxdb` for 1.x), and every point reads back bit for bit through tsfn's API; a refused
//! write is reported by each client as it reports InfluxDB's errors. Once open, once with an
//! API key the clients pass as their token or password.

use std::time::Duration;

use crate::support::{self, in_process, workspace_root};

fn run_clients(server: &support::Server, key: Option<&str>) {
    let script = workspace_root().join("tsfn/tests/it/influx_clients.py");
    let url = server.url("");
    let mut args: Vec<&std::ffi::OsStr> = vec![script.as_os_str(), "--url".as_ref(), url.as_ref()];
    if let Some(k) = key {
        args.push("--key".as_ref());
        args.push(k.as_ref());
    }
    let dir = tempfile::tempdir().unwrap();
    support::run_python(
        &args,
        &dir.path().join("influx_clients.log"),
        Duration::from_secs(180),
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
