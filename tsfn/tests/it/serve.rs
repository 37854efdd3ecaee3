//! `tsfn serve` as a process: persistence across restarts, the bundled dataset, graceful
//! shutdown, several processes sharing one SQLite file, a file that was unwritable for a while.
//! The body limit, the API key and every job kind on the dataset need only HTTP: those run
//! against a `tsfn serve` in this process (`support::in_process`).

use crate::conformance;
use crate::support;

use std::time::Duration;

use support::{eventually, in_process, json, rfc, Server};

#[test]
fn data_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let store = format!("sqlite://{}", dir.path().join("db/tsfn.db").display());
    let mut s = Server::start(&store, &[("TSFN_SEED", "0")]);
    s.put_json("/series/keep", &json!({"name": "kept", "unit": "u"}))
        .expect(201);
    s.write("keep", &(0..500).map(|i| (i, i as f64)).collect::<Vec<_>>());
    assert!(s.stop(), "server did not exit on SIGTERM");
    let s = Server::start(&store, &[("TSFN_SEED", "0")]);
    let v = s.get("/series/keep").expect(200);
    assert_eq!(v["name"], "kept");
    assert_eq!(v["count"], 500);
    assert_eq!(v["last"], rfc(499));
}

#[test]
fn fresh_store_gets_the_bundled_dataset_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = format!("sqlite://{}", dir.path().join("tsfn.db").display());
    let mut s = Server::start(&store, &[]);
    let v = s.get("/series/co2").expect(200);
    assert_eq!(v["unit"], "ppm");
    assert_eq!(v["count"], 2225);
    assert_eq!(v["first"], "1958-03-29T00:00:00.000Z");
    let list = s.get("/series").expect(200);
    assert_eq!(list["series"].as_array().unwrap().len(), 6);
    // The example queries printed at start-up answer with data.
    let v = s
        .get("/series/co2/points?from=1990-01-01&to=1991-01-01&limit=5")
        .expect(200);
    assert_eq!(v["points"].as_array().unwrap().len(), 5);
    let v = s
        .get("/series/co2/points?every=365d&agg=mean&limit=5")
        .expect(200);
    assert_eq!(v["points"].as_array().unwrap().len(), 5);
    // A user's deletion is not undone by the next start.
    s.delete("/series/seattle-wind").expect(204);
    s.stop();
    let s = Server::start(&store, &[]);
    s.get("/series/seattle-wind").expect_error(404, None);
    assert_eq!(
        s.get("/series").expect(200)["series"]
            .as_array()
            .unwrap()
            .len(),
        5
    );
}

#[test]
fn oversized_bodies_get_413() {
    let s = in_process::start(
        "sqlite::memory:",
        &[("TSFN_SEED", "0"), ("TSFN_MAX_BODY_BYTES", "1000")],
    );
    let mut csv = String::from("t,v\n");
    for i in 0..200 {
        csv.push_str(&format!("{i},{i}\n"));
    }
    let v = s
        .send("POST", "/series/big/points", Some("text/csv"), csv)
        .expect_error(413, None);
    assert_eq!(v["error"]["code"], "payload_too_large");
    s.get("/series/big").expect_error(404, None);
    s.send("POST", "/series/big/points", Some("text/csv"), "t,v\n1,1\n")
        .expect(201);
}

#[test]
fn api_key_guards_every_route_but_probes_and_the_console_files() {
    let s = in_process::start(
        "sqlite::memory:",
        &[("TSFN_SEED", "0"), ("TSFN_API_KEY", "s3cret")],
    );
    s.get("/series").expect_error(401, None);
    s.get("/health").expect(200);
    s.get("/ready").expect(200);
    // The console's page and files hold no data: open, so the page can ask for the key. The
    // API it calls is not, the kinds included.
    assert_eq!(s.get("/").status, 200);
    assert_eq!(s.get("/console/app.js").status, 200);
    s.get("/console/nothing.js").expect_error(404, None);
    s.get("/jobs/kinds").expect_error(401, None);
    s.get("/series/co2/points?max_points=10")
        .expect_error(401, None);
    // A series whose id is a probe name is still guarded, for reads and writes.
    s.get("/series/health").expect_error(401, None);
    s.send("PUT", "/series/ready", Some("application/json"), "{}")
        .expect_error(401, None);
    let c = support::client();
    let r = c
        .get(s.url("/series"))
        .header("authorization", "Bearer s3cret")
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = c
        .get(s.url("/series"))
        .header("x-api-key", "s3cret")
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = c
        .get(s.url("/series"))
        .header("x-api-key", "wrong")
        .send()
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[test]
fn sigterm_lets_in_flight_requests_finish() {
    let mut s = Server::sqlite_memory(&[]);
    let url = s.url("/series/slow/points");
    // A large write is in flight when the signal arrives; it must still complete.
    let mut csv = String::from("t,v\n");
    for i in 0..200_000 {
        csv.push_str(&format!("{i},{i}\n"));
    }
    let writer = std::thread::spawn(move || {
        let r = support::client()
            .post(url)
            .header("content-type", "text/csv")
            .body(csv)
            .send()
            .unwrap();
        (r.status().as_u16(), r.text().unwrap())
    });
    std::thread::sleep(Duration::from_millis(30));
    assert!(s.stop(), "server did not exit after draining");
    let (status, body) = writer.join().unwrap();
    assert_eq!(status, 201, "{body}");
}

#[test]
fn two_processes_on_one_sqlite_file_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = format!("sqlite://{}", dir.path().join("shared.db").display());
    let a = Server::start(&store, &[("TSFN_SEED", "0")]);
    let b = Server::start(&store, &[("TSFN_SEED", "0")]);
    let (base_a, base_b) = (a.base.clone(), b.base.clone());
    // Each process gets 4 concurrent clients writing disjoint timestamps of the same series,
    // plus one series of its own; 40 batches of 250 points per client.
    let mut handles = Vec::new();
    for (w, base) in [base_a.clone(), base_a, base_b.clone(), base_b]
        .into_iter()
        .cycle()
        .take(8)
        .enumerate()
    {
        handles.push(std::thread::spawn(move || {
            let c = support::client();
            for batch in 0..40 {
                let mut body = String::from("t,v\n");
                for i in 0..250 {
                    let t = (w * 1_000_000 + batch * 1000 + i) as i64;
                    body.push_str(&format!("{t},{w}\n"));
                }
                for series in ["together", &format!("own-{w}")] {
                    let r = c
                        .post(format!("{base}/series/{series}/points"))
                        .header("content-type", "text/csv")
                        .body(body.clone())
                        .send()
                        .unwrap();
                    assert!(r.status().is_success(), "{}", r.text().unwrap());
                }
            }
        }));
    }
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(a.get("/series/together").expect(200)["count"], 8 * 40 * 250);
    assert_eq!(b.get("/series/together").expect(200)["count"], 8 * 40 * 250);
    for w in 0..8 {
        assert_eq!(
            a.get(&format!("/series/own-{w}")).expect(200)["count"],
            40 * 250
        );
    }
}

#[test]
fn every_job_kind_runs_on_the_bundled_dataset() {
    let dir = tempfile::tempdir().unwrap();
    let store = format!("sqlite://{}", dir.path().join("tsfn.db").display());
    let s = in_process::start(&store, &[]);
    let jobs = [
        json!({"kind": "plot", "series": ["seattle-temp-max", "seattle-temp-min"], "from": "2013-01-01", "to": "2014-01-01"}),
        json!({"kind": "plot", "series": "co2", "params": {"format": "svg", "width": 1000, "height": 500}}),
        json!({"kind": "summary", "series": "co2"}),
        json!({"kind": "histogram", "series": "seattle-temp", "params": {"bins": 30}}),
        json!({"kind": "rolling", "series": "co2", "params": {"window": 52, "stat": "median"}}),
        json!({"kind": "resample", "series": "seattle-temp", "params": {"every": "1d", "agg": "max"}}),
        json!({"kind": "trend", "series": "co2"}),
        json!({"kind": "anomalies", "series": "seattle-precipitation", "params": {"window": 60, "threshold": 6}}),
        json!({"kind": "correlation", "series": ["seattle-temp-max", "seattle-temp-min"], "params": {"every": "1d"}}),
    ];
    let mut results = Vec::new();
    for body in jobs {
        let (job, r) = conformance::run_job(&s, body);
        results.push((job["kind"].as_str().unwrap().to_owned(), r));
    }
    let json_of = |k: &str| results.iter().find(|(kind, _)| kind == k).unwrap().1.json();
    // Known facts about the data: CO2 rose about 1.3-1.6 ppm a year over 1958-2001, and daily
    // maximum and minimum temperatures move together.
    let trend = json_of("trend");
    let per_year = trend["slope_per_year"].as_f64().unwrap();
    assert!((1.0..2.0).contains(&per_year), "{trend}");
    assert!(trend["r2"].as_f64().unwrap() > 0.95, "{trend}");
    let corr = json_of("correlation");
    assert!(corr["r"].as_f64().unwrap() > 0.8, "{corr}");
    assert_eq!(corr["n"], 1461);
    assert_eq!(json_of("summary")["count"], 2225);
    assert_eq!(json_of("resample")["points"].as_array().unwrap().len(), 365);
    let hist = json_of("histogram");
    let total: u64 = hist["bins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["count"].as_u64().unwrap())
        .sum();
    assert_eq!(total, 8759);
    assert!(!json_of("anomalies")["anomalies"]
        .as_array()
        .unwrap()
        .is_empty());
    let plots: Vec<&support::Resp> = results
        .iter()
        .filter(|(k, _)| k == "plot")
        .map(|(_, r)| r)
        .collect();
    assert_eq!(plots[0].headers["content-type"], "image/png");
    assert!(plots[0].body.starts_with(b"\x89PNG"));
    assert_eq!(plots[1].headers["content-type"], "image/svg+xml");
    assert!(roxmltree::Document::parse(&plots[1].text()).is_ok());
    // The sample job queued at seeding ran on the in-process workers too.
    let sample = conformance::wait_job(&s, "00000000-0000-4000-8000-000000000001");
    assert_eq!(sample["status"], "succeeded", "{sample}");
}

/// Makes a file unwritable for as long as it lives: mode 0444, or, for root (whom modes do not
/// stop), the immutable attribute. Either way opening it for writing fails, as SQLite will see.
struct Unwritable {
    path: std::path::PathBuf,
    immutable: bool,
}

impl Unwritable {
    fn new(path: &std::path::Path) -> Unwritable {
        use std::os::unix::fs::PermissionsExt;
        let opens = || std::fs::OpenOptions::new().write(true).open(path).is_ok();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o444)).unwrap();
        let mut guard = Unwritable {
            path: path.to_owned(),
            immutable: false,
        };
        if opens() {
            let ok = std::process::Command::new("chattr")
                .arg("+i")
                .arg(path)
                .status()
                .is_ok_and(|s| s.success());
            assert!(ok, "cannot make {} unwritable (chattr +i)", path.display());
            guard.immutable = true;
        }
        assert!(!opens(), "{} is still writable", path.display());
        guard
    }
}

impl Drop for Unwritable {
    fn drop(&mut self) {
        use std::os::unix::fs::PermissionsExt;
        if self.immutable {
            let _ = std::process::Command::new("chattr")
                .arg("-i")
                .arg(&self.path)
                .status();
        }
        let _ = std::fs::set_permissions(&self.path, std::fs::Permissions::from_mode(0o644));
    }
}

#[test]
fn sqlite_writes_recover_once_the_file_is_writable_again() {
    let s = Server::sqlite_file(&[("TSFN_WORKERS", "0")]);
    let db = s.dir.as_ref().unwrap().path().join("tsfn.db");
    s.write("w", &(0..2000).map(|i| (i, i as f64)).collect::<Vec<_>>());
    s.get("/ready").expect(200);

    let locked = Unwritable::new(&db);
    // Concurrent reads make the server open more connections while the file is unwritable.
    let burst = |s: &Server| {
        let handles: Vec<_> = (0..16)
            .map(|_| {
                let url = s.url("/series/w/points?limit=2000");
                std::thread::spawn(move || {
                    let c = support::client();
                    (0..5)
                        .map(|_| c.get(&url).send().unwrap().status().as_u16())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect::<Vec<u16>>()
    };
    for status in burst(&s) {
        assert!(status == 200 || status == 503, "{status}");
    }
    // A store that cannot write is not ready, and says why.
    let v = s.get("/ready").expect_error(503, None);
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not writable"),
        "{v}"
    );
    drop(locked);

    s.get("/ready").expect(200);
    // Every write succeeds now, whichever pooled connection it gets (several run at once).
    let writers: Vec<_> = (0..8)
        .map(|w| {
            let url = s.url("/series/w/points");
            std::thread::spawn(move || {
                let c = support::client();
                for i in 0..10 {
                    let r = c
                        .post(&url)
                        .header("content-type", "text/csv")
                        .body(format!("t,v\n{},1\n", 10_000 + w * 100 + i))
                        .send()
                        .unwrap();
                    assert_eq!(r.status().as_u16(), 200, "{}", r.text().unwrap());
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    assert_eq!(s.get("/series/w").expect(200)["count"], 2080);
    assert!(burst(&s).iter().all(|&st| st == 200));
}

/// Reads one HTTP/1.1 response (headers and a Content-Length body): status and body.
fn read_response(conn: &mut std::net::TcpStream) -> (u16, String) {
    use std::io::Read;
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        assert_eq!(
            conn.read(&mut byte).unwrap(),
            1,
            "connection closed mid-headers"
        );
        buf.push(byte[0]);
    }
    let head = String::from_utf8(buf).unwrap();
    let status = head[9..12].parse().unwrap();
    let len: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().unwrap())
        })
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    conn.read_exact(&mut body).unwrap();
    (status, String::from_utf8(body).unwrap())
}

#[test]
fn sigterm_refuses_new_connections_while_draining() {
    use std::io::Write;
    use std::net::TcpStream;
    let mut s = Server::sqlite_memory(&[("TSFN_WORKERS", "0")]);
    let addr = s.base.trim_start_matches("http://").to_owned();
    let mut conn = TcpStream::connect(&addr).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    // A first request proves the server has accepted this connection.
    conn.write_all(b"GET /health HTTP/1.1\r\nhost: t\r\n\r\n")
        .unwrap();
    assert_eq!(read_response(&mut conn).0, 200);
    // The second one is in flight until the test sends the rest of its body.
    let body = b"t,v\n1,1\n2,2\n";
    conn.write_all(
        format!(
            "POST /series/late/points HTTP/1.1\r\nhost: t\r\ncontent-type: text/csv\r\ncontent-length: {}\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    )
    .unwrap();
    conn.write_all(&body[..6]).unwrap();

    support::unsafe_kill(s.pid(), "TERM");
    // While that request drains (up to 20 s), a new connection is refused, not left waiting in
    // the backlog.
    let what = "new connections to be refused after SIGTERM";
    eventually(Duration::from_secs(10), what, || {
        match TcpStream::connect(&addr) {
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => Ok(()),
            Err(e) => panic!("connecting failed other than refused: {e}"),
            Ok(_) => Err("still accepting connections"),
        }
    });
    conn.write_all(&body[6..]).unwrap();
    let (status, text) = read_response(&mut conn);
    assert_eq!(status, 201, "{text}");
    assert!(s.stop(), "server did not exit after draining");
}

/// `tsfn serve` killed with SIGKILL while bodies that rewrite every chunk of a series are in
/// flight (merging into stored chunks is where a chunk store could lose points): after a
/// restart the series holds every point, all from one body (bodies are all or nothing), and
/// no older body than the last one acknowledged.
fn sigkill_while_rewriting_chunks_loses_nothing(s: &Server) {
    const N: i64 = 100_000;
    let body = |k: i64| -> String {
        let mut b = String::with_capacity(N as usize * 16);
        b.push_str("t,v\n");
        for i in 0..N {
            b.push_str(&format!("{},{}\n", i * 1000, k * 1_000_000 + i));
        }
        b
    };
    // Made up front, so the writer sends the next body the moment one is acknowledged.
    let bodies: Vec<String> = (0..20).map(body).collect();
    let post = move |base: &str, body: String| {
        support::client()
            .post(format!("{base}/series/crash/points"))
            .header("content-type", "text/csv")
            .body(body)
            .send()
    };
    assert!(post(&s.base, bodies[0].clone())
        .unwrap()
        .status()
        .is_success());
    let acked = std::sync::Arc::new(std::sync::atomic::AtomicI64::new(0));
    let writer = {
        let (base, acked) = (s.base.clone(), acked.clone());
        std::thread::spawn(move || {
            for (k, body) in bodies.into_iter().enumerate().skip(1) {
                match post(&base, body) {
                    Ok(r) if r.status().is_success() => {
                        acked.store(k as i64, std::sync::atomic::Ordering::SeqCst)
                    }
                    _ => return, // The server is gone.
                }
            }
            panic!("every body was acknowledged before the kill");
        })
    };
    // Let a few bodies land, then kill the server in the middle of one.
    eventually(Duration::from_secs(120), "two bodies acknowledged", || {
        acked.load(std::sync::atomic::Ordering::SeqCst) >= 2
    });
    support::unsafe_kill(s.pid(), "KILL");
    writer.join().expect("the writer saw the server go");
    let last_acked = acked.load(std::sync::atomic::Ordering::SeqCst);

    let again = Server::start(&s.store, &[("TSFN_SEED", "0")]);
    assert_eq!(again.get("/series/crash").expect(200)["count"], N);
    let mut seen = std::collections::BTreeSet::new();
    let mut cursor: Option<String> = None;
    let mut i = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/series/crash/points?limit=10000&cursor={c}"),
            None => "/series/crash/points?limit=10000".into(),
        };
        let page = again.get(&path).expect(200);
        for p in page["points"].as_array().unwrap() {
            let v = p["v"].as_f64().unwrap() as i64;
            assert_eq!(v % 1_000_000, i, "point {i} holds {v}");
            seen.insert(v / 1_000_000);
            i += 1;
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(i, N);
    assert_eq!(seen.len(), 1, "points from several bodies: {seen:?}");
    let k = *seen.first().unwrap();
    assert!(
        k >= last_acked,
        "body {k} stored, but body {last_acked} was acknowledged"
    );
}

#[test]
fn sigkill_while_rewriting_chunks_loses_nothing_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let store = format!("sqlite://{}", dir.path().join("crash.db").display());
    let s = Server::start(&store, &[("TSFN_SEED", "0")]);
    sigkill_while_rewriting_chunks_loses_nothing(&s);
}

#[test]
fn sigkill_while_rewriting_chunks_loses_nothing_on_redis() {
    let s = Server::redis(&[]);
    sigkill_while_rewriting_chunks_loses_nothing(&s);
}

/// Reads every series, point and job of the per-point fixtures (`tsfn/tests/fixtures/v1`,
/// written by the release before chunks) through the API and checks them against the
/// manifest, bit for bit; then the migrated store takes new writes and runs the queued job.
fn per_point_fixture_reads_back_exactly(s: &Server, store: &str) {
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixtures().join("manifest.json")).unwrap())
            .unwrap();
    let shown = &manifest["stores"][store];
    for series in manifest["series"].as_array().unwrap() {
        let id = series["id"].as_str().unwrap();
        let info = s.get(&format!("/series/{id}")).expect(200);
        let want = &shown["series"][id];
        for field in [
            "name", "unit", "labels", "count", "first", "last", "created",
        ] {
            assert_eq!(info[field], want[field], "{id} {field}");
        }
        let mut got = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(c) => format!("/series/{id}/points?limit=10000&cursor={c}"),
                None => format!("/series/{id}/points?limit=10000"),
            };
            let page = s.get(&path).expect(200);
            for p in page["points"].as_array().unwrap() {
                got.push((
                    p["t"].as_str().unwrap().to_owned(),
                    p["v"].as_f64().unwrap().to_bits(),
                ));
            }
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
        }
        let want: Vec<(String, u64)> = series["points"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    tsfn_shared::time::format(p[0].as_i64().unwrap()),
                    u64::from_str_radix(p[1].as_str().unwrap(), 16).unwrap(),
                )
            })
            .collect();
        assert_eq!(got, want, "{id}: points differ");
    }
    for job in shown["jobs"].as_array().unwrap() {
        let id = job["id"].as_str().unwrap();
        let mut got = s.get(&format!("/jobs/{id}")).expect(200);
        assert_eq!(got["kind"], job["kind"], "{id}");
        // A field the job record gained since that release: empty for its jobs.
        assert!(got["request_id"].is_null(), "{id}: request_id");
        got.as_object_mut().unwrap().remove("request_id");
        if job["status"] == "succeeded" {
            assert_eq!(got, job["record"], "{id}");
            let result = s.get(&format!("/jobs/{id}/result")).expect(200);
            assert_eq!(result, job["result"], "{id}");
        }
    }
    // The converted series takes writes: one point overwritten, one appended.
    s.write(
        "fx.walk",
        &[
            (1_704_067_200_000, -1.5),
            (1_704_067_200_000 + 5_000_000, 7.0),
        ],
    );
    let info = s.get("/series/fx.walk").expect(200);
    assert_eq!(info["count"], 5001);
    let first = s.get("/series/fx.walk/points?limit=1").expect(200);
    assert_eq!(first["points"][0]["v"], -1.5);
    // The job queued before the upgrade runs.
    let queued = shown["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["status"] == "queued")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    eventually(Duration::from_secs(60), "the queued job to run", || {
        let job = s.get(&format!("/jobs/{queued}")).expect(200);
        if job["status"] == "succeeded" {
            Ok(())
        } else {
            Err(job)
        }
    });
}

fn fixtures() -> std::path::PathBuf {
    support::workspace_root().join("tsfn/tests/fixtures/v1")
}

#[test]
fn a_sqlite_file_of_the_per_point_format_is_converted_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("old.db");
    std::fs::copy(fixtures().join("sqlite.db"), &copy).unwrap();
    let s = Server::start(
        &format!("sqlite://{}", copy.display()),
        &[("TSFN_SEED", "0")],
    );
    per_point_fixture_reads_back_exactly(&s, "sqlite");
}

#[test]
fn a_redis_database_of_the_per_point_format_is_converted_exactly() {
    /// A redis-server loading the fixture's RDB (without AOF, which would start it empty).
    struct Loaded(std::process::Child);
    impl Drop for Loaded {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixtures().join("redis.rdb"), dir.path().join("redis.rdb")).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string();
    let _redis = Loaded(
        std::process::Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &port, "--appendonly", "no"])
            .args(["--save", "", "--dbfilename", "redis.rdb"])
            .arg("--dir")
            .arg(dir.path())
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server"),
    );
    eventually(Duration::from_secs(20), "redis-server to listen", || {
        std::net::TcpStream::connect(format!("127.0.0.1:{port}"))
    });
    let s = Server::start(
        &format!("redis://127.0.0.1:{port}/0"),
        &[("TSFN_SEED", "0")],
    );
    per_point_fixture_reads_back_exactly(&s, "redis");
}

#[test]
fn dynamodb_tables_of_the_per_point_format_work_in_place() {
    let moto = support::moto();
    // The tables and items exactly as the per-point release left them (make.py restores them).
    let prefix = "fxv1";
    let restore = std::process::Command::new(support::workspace_root().join(".venv/bin/python"))
        .arg("-c")
        .arg(format!(
            "import json, sys; sys.path.insert(0, {dir:?}); import make; \
             make.restore_tables({port}, {prefix:?}, json.load(open({file:?})))",
            dir = fixtures().display().to_string(),
            port = moto.port,
            file = fixtures().join("dynamodb.json").display().to_string(),
        ))
        .status()
        .expect("python");
    assert!(restore.success(), "restoring the DynamoDB fixture failed");
    let s = Server::start(
        &format!("dynamodb://{prefix}"),
        &[moto.env(), vec![("TSFN_SEED", "0")]].concat(),
    );
    per_point_fixture_reads_back_exactly(&s, "dynamodb");
}
