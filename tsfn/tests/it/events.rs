//! What happens when a job ends, and signed webhooks in: job notifications delivered to a
//! receiver this test runs (signatures checked here with the hmac crate, retries and their
//! gaps measured, a receiver that never answers), on SQLite and Redis (delivery on DynamoDB too); EventBridge events on
//! moto's EventBridge, read back from an SQS queue a rule targets; `POST /hooks/{source}` with
//! good, wrong, missing and stale signatures.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hmac::{Hmac, KeyInit, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::support::{self, eventually, Server};

const SECRET: &str = "notify-secret-for-the-tests";

fn hmac_hex(secret: &str, msg: &[u8]) -> String {
    let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
    m.update(msg);
    hex(&m.finalize().into_bytes())
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// What the receiver does with its n-th request.
#[derive(Clone, Copy, Debug)]
enum Answer {
    Status(u16),
    /// Reads the request and never answers (the connection stays open).
    Hang,
}

/// A request the receiver got: when, its headers (lowercased names) and its body.
#[derive(Debug, Clone)]
struct Received {
    at: Instant,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Received {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A small HTTP/1.1 receiver on a free loopback port, answering its requests in the order of
/// `answers` (the last one repeats), one request per connection.
struct Receiver {
    port: u16,
    got: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    fn start(answers: Vec<Answer>) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let got: Arc<Mutex<Vec<Received>>> = Arc::default();
        let seen = got.clone();
        std::thread::spawn(move || {
            // Hung connections are kept open here until the test process ends.
            let mut hung: Vec<TcpStream> = Vec::new();
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let Some(req) = read_request(&mut stream) else {
                    continue;
                };
                let n = {
                    let mut g = seen.lock().unwrap();
                    g.push(req);
                    g.len()
                };
                match answers[(n - 1).min(answers.len() - 1)] {
                    Answer::Status(code) => {
                        let _ = write!(
                            stream,
                            "HTTP/1.1 {code} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                        );
                    }
                    Answer::Hang => hung.push(stream),
                }
            }
        });
        Receiver { port, got }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hook", self.port)
    }

    fn got(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }
}

fn read_request(stream: &mut TcpStream) -> Option<Received> {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let at = Instant::now();
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let headers: Vec<(String, String)> = head
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end..].to_vec();
    while body.len() < len {
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Received { at, headers, body })
}

/// Checks a notification as a receiver would: `t=...,sha256=...` over `"{t}.{body}"`, with a
/// recent `t`; returns the job record it carries.
fn verified(r: &Received) -> Value {
    let sig = r
        .header("x-tsfn-signature-256")
        .unwrap_or_else(|| panic!("no signature header: {:?}", r.headers));
    let (t, mac) = sig
        .split_once(",sha256=")
        .and_then(|(t, m)| Some((t.strip_prefix("t=")?, m)))
        .unwrap_or_else(|| panic!("malformed signature {sig:?}"));
    let ts: i64 = t.parse().unwrap();
    assert!((now_secs() - ts).abs() < 60, "stale timestamp {ts}");
    let mut msg = format!("{t}.").into_bytes();
    msg.extend_from_slice(&r.body);
    assert_eq!(mac, hmac_hex(SECRET, &msg), "signature does not verify");
    assert_eq!(r.header("content-type"), Some("application/json"));
    serde_json::from_slice(&r.body).unwrap()
}

/// The user guide's receiver-side check (its Python `verify`), run on a received notification.
fn guide_verify(r: &Received, body: &[u8]) -> bool {
    let guide =
        std::fs::read_to_string(support::workspace_root().join("docs/user-guide.md")).unwrap();
    let snippet = guide
        .split("```python\n")
        .filter_map(|b| b.split("```").next())
        .find(|b| b.contains("def verify("))
        .expect("the user guide's verify example");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("body");
    std::fs::write(&file, body).unwrap();
    let program = format!(
        "{snippet}\nimport sys\nprint(verify({SECRET:?}.encode(), sys.argv[1], open(sys.argv[2], 'rb').read()))\n"
    );
    let out = std::process::Command::new("python3")
        .args(["-c", &program])
        .arg(r.header("x-tsfn-signature-256").unwrap())
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    match String::from_utf8_lossy(&out.stdout).trim() {
        "True" => true,
        "False" => false,
        other => panic!("verify printed {other:?}"),
    }
}

fn notify_env<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut env = vec![
        ("TSFN_NOTIFY_SECRET", SECRET),
        ("TSFN_NOTIFY_ALLOW_HTTP", "1"),
        // The receivers of these tests listen on 127.0.0.1.
        ("TSFN_NOTIFY_ALLOW_PRIVATE", "1"),
    ];
    env.extend_from_slice(extra);
    env
}

fn submit(s: &Server, series: &str, notify: Option<&str>) -> Value {
    let mut body = json!({"kind": "summary", "series": series});
    if let Some(url) = notify {
        body["notify"] = json!(url);
    }
    s.post_json("/jobs", &body).expect(202)
}

fn job(s: &Server, id: &str) -> Value {
    s.get(&format!("/jobs/{id}")).expect(200)
}

/// 500, 500, then 200: three signed attempts, the gaps growing from the first retry's wait
/// (300 ms, then 600 ms), and the job showing the delivery.
fn retries_until_delivered(s: Server) {
    let rx = Receiver::start(vec![
        Answer::Status(500),
        Answer::Status(500),
        Answer::Status(200),
    ]);
    s.write("s1", &[(1_700_000_000, 1.0), (1_700_000_060, 3.0)]);
    let j = submit(&s, "s1", Some(&rx.url()));
    let id = j["id"].as_str().unwrap().to_owned();
    assert_eq!(
        j["notify"],
        json!({"url": rx.url(), "status": "pending", "attempts": 0, "last_error": null})
    );
    let done = eventually(
        Duration::from_secs(30),
        "the notification delivered",
        || {
            let v = job(&s, &id);
            (v["notify"]["status"] == "delivered").then_some(v)
        },
    );
    assert_eq!(done["status"], "succeeded");
    assert_eq!(
        done["notify"],
        json!({"url": rx.url(), "status": "delivered", "attempts": 3, "last_error": null})
    );
    // No attempt after the delivery.
    std::thread::sleep(Duration::from_millis(1500));
    let got = rx.got();
    assert_eq!(got.len(), 3, "{got:?}");
    for r in &got {
        let record = verified(r);
        assert_eq!(record["id"], id.as_str());
        assert_eq!(record["status"], "succeeded");
        assert_eq!(record["kind"], "summary");
        assert_eq!(record["result_url"], format!("/jobs/{id}/result"));
    }
    // The guide's Python check accepts what tsfn sent, and not a changed body.
    assert!(guide_verify(&got[2], &got[2].body));
    let mut changed = got[2].body.clone();
    changed.push(b' ');
    assert!(!guide_verify(&got[2], &changed));
    let gap1 = got[1].at - got[0].at;
    let gap2 = got[2].at - got[1].at;
    assert!(
        gap1 >= Duration::from_millis(300) && gap1 < Duration::from_millis(1500),
        "first retry after {gap1:?}"
    );
    assert!(
        gap2 >= Duration::from_millis(600) && gap2 < Duration::from_millis(2500),
        "second retry after {gap2:?}"
    );
    assert!(gap2 > gap1, "gaps {gap1:?} then {gap2:?}");
}

const RETRY_ENV: &[(&str, &str)] = &[
    ("TSFN_NOTIFY_FIRST_RETRY_MS", "300"),
    ("TSFN_NOTIFY_MAX_MS", "20000"),
    ("TSFN_NOTIFY_TIMEOUT_MS", "3000"),
];

#[test]
fn notify_retries_then_delivers_sqlite() {
    retries_until_delivered(Server::sqlite_file(&notify_env(RETRY_ENV)));
}

#[test]
fn notify_retries_then_delivers_redis() {
    retries_until_delivered(Server::redis(&notify_env(RETRY_ENV)));
}

#[test]
fn notify_retries_then_delivers_dynamodb() {
    retries_until_delivered(Server::dynamodb(&notify_env(RETRY_ENV)));
}

/// A receiver that never answers: each attempt times out, delivery ends failed within
/// `TSFN_NOTIFY_MAX_MS`, and meanwhile the one worker runs the next job at once.
fn never_answers(s: Server) {
    let rx = Receiver::start(vec![Answer::Hang]);
    s.write("s1", &[(1_700_000_000, 1.0)]);
    let a = submit(&s, "s1", Some(&rx.url()))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    eventually(Duration::from_secs(20), "job A succeeded", || {
        job(&s, &a)["status"] == "succeeded"
    });
    let b = submit(&s, "s1", None)["id"].as_str().unwrap().to_owned();
    eventually(
        Duration::from_secs(2),
        "job B run while A's receiver hangs",
        || job(&s, &b)["status"] == "succeeded",
    );
    // B ran while A's notification was still being tried.
    assert_eq!(job(&s, &a)["notify"]["status"], "pending");
    let failed = eventually(Duration::from_secs(20), "A's delivery failed", || {
        let v = job(&s, &a);
        (v["notify"]["status"] == "failed").then_some(v)
    });
    let n = &failed["notify"];
    assert!(
        n["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("no answer within")),
        "{n}"
    );
    let attempts = n["attempts"].as_u64().unwrap();
    // 1.5 s in all, 300 ms an attempt, waits of 200 then 400 ms: attempts at 0, 0.5 and 1.2 s.
    assert_eq!(attempts, 3, "{n}");
    let got = rx.got();
    assert_eq!(got.len() as u64, attempts, "{got:?}");
    for r in &got {
        assert_eq!(verified(r)["id"], a.as_str());
    }
    // B had no notify: its record has none.
    assert!(job(&s, &b).get("notify").is_none());
}

const HANG_ENV: &[(&str, &str)] = &[
    ("TSFN_WORKERS", "1"),
    ("TSFN_NOTIFY_FIRST_RETRY_MS", "200"),
    ("TSFN_NOTIFY_MAX_MS", "1500"),
    ("TSFN_NOTIFY_TIMEOUT_MS", "300"),
];

#[test]
fn notify_receiver_never_answers_sqlite() {
    never_answers(Server::sqlite_file(&notify_env(HANG_ENV)));
}

#[test]
fn notify_receiver_never_answers_redis() {
    never_answers(Server::redis(&notify_env(HANG_ENV)));
}

/// Every bad `notify` is a 400 naming it, and queues nothing.
#[test]
fn notify_is_validated_at_submit() {
    let s = Server::sqlite_file(&[("TSFN_NOTIFY_SECRET", SECRET), ("TSFN_WORKERS", "0")]);
    s.write("s1", &[(1_700_000_000, 1.0)]);
    for bad in [
        json!("http://127.0.0.1:1/hook"),
        json!("ftp://example.com/x"),
        json!("example.com/hook"),
        json!("https://"),
        json!(5),
    ] {
        let body = json!({"kind": "summary", "series": "s1", "notify": bad});
        let e = s
            .post_json("/jobs", &body)
            .expect_error(400, Some("notify"));
        assert!(e.to_string().contains("notify"), "{e}");
    }
    let open = Server::sqlite_file(&[("TSFN_WORKERS", "0")]);
    open.write("s1", &[(1_700_000_000, 1.0)]);
    let body = json!({"kind": "summary", "series": "s1", "notify": "https://example.com/hook"});
    let e = open
        .post_json("/jobs", &body)
        .expect_error(400, Some("notify"));
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("TSFN_NOTIFY_SECRET"),
        "{e}"
    );
    for srv in [&s, &open] {
        assert_eq!(srv.get("/jobs").expect(200)["jobs"], json!([]));
    }
    // https is accepted with a secret, and shown pending.
    let j = s.post_json("/jobs", &body).expect(202);
    assert_eq!(j["notify"]["status"], "pending");
    assert_eq!(job(&s, j["id"].as_str().unwrap())["notify"], j["notify"]);
}

/// Without `TSFN_NOTIFY_ALLOW_PRIVATE`, `notify` must reach a public address: this host,
/// private networks and the cloud metadata address are refused by name at submission (and
/// queue nothing); a name that resolves only to such addresses (this machine's host name) is
/// accepted, then never connected to: its delivery fails saying what the name resolved to, and
/// the receiver listening there gets nothing.
#[test]
fn notify_refuses_private_addresses() {
    let env = [
        ("TSFN_NOTIFY_SECRET", SECRET),
        ("TSFN_NOTIFY_ALLOW_HTTP", "1"),
        ("TSFN_NOTIFY_TIMEOUT_MS", "300"),
        ("TSFN_NOTIFY_FIRST_RETRY_MS", "100"),
        ("TSFN_NOTIFY_MAX_MS", "500"),
    ];
    let s = Server::sqlite_file(&env);
    s.write("s1", &[(1_700_000_000, 1.0)]);
    let rx = Receiver::start(vec![Answer::Status(200)]);
    for bad in [
        rx.url(),
        format!("http://localhost:{}/hook", rx.port),
        format!("http://[::1]:{}/hook", rx.port),
        "http://169.254.169.254/latest/meta-data".to_owned(),
        "https://10.1.2.3/hook".to_owned(),
        "https://[fd00::1]/hook".to_owned(),
    ] {
        let body = json!({"kind": "summary", "series": "s1", "notify": bad});
        let e = s
            .post_json("/jobs", &body)
            .expect_error(400, Some("notify"));
        let msg = e["error"]["message"].as_str().unwrap();
        assert!(
            msg.contains("public address") && msg.contains("TSFN_NOTIFY_ALLOW_PRIVATE"),
            "{bad}: {msg}"
        );
    }
    assert_eq!(s.get("/jobs").expect(200)["jobs"], json!([]));
    // This machine's name, when it resolves to addresses of this host or a private network.
    let name = String::from_utf8(
        std::process::Command::new("hostname")
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap()
    .trim()
    .to_owned();
    use std::net::ToSocketAddrs;
    let resolved: Vec<std::net::IpAddr> = (name.as_str(), rx.port)
        .to_socket_addrs()
        .map(|a| a.map(|a| a.ip()).collect())
        .unwrap_or_default();
    if resolved.is_empty()
        || resolved
            .iter()
            .any(|ip| tsfn_shared::jobs::spec::public_address(*ip))
    {
        println!(
            "{name:?} resolves to {resolved:?}: the delivery-time check is not exercised here"
        );
        return;
    }
    let url = format!("http://{name}:{}/hook", rx.port);
    let id = submit(&s, "s1", Some(&url))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let failed = eventually(Duration::from_secs(20), "the delivery refused", || {
        let v = job(&s, &id);
        (v["notify"]["status"] == "failed").then_some(v)
    });
    let err = failed["notify"]["last_error"].as_str().unwrap();
    assert!(
        err.contains(&format!("{name} resolves to no public address")),
        "{err}"
    );
    assert_eq!(failed["status"], "succeeded");
    assert!(rx.got().is_empty(), "{:?}", rx.got());
}

/// The environment of a `tsfn worker` of these tests: the store's (moto's for DynamoDB), the
/// notification settings, one worker loop, and a sweep every 200 ms.
fn worker_env<'a>(s: &'a Server, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut env = if s.store.starts_with("dynamodb://") {
        support::moto().env()
    } else {
        Vec::new()
    };
    env.extend(notify_env(&[
        ("TSFN_WORKERS", "1"),
        ("TSFN_SWEEP_INTERVAL", "200ms"),
    ]));
    env.extend_from_slice(extra);
    env
}

/// A worker killed while its receiver has the notification (before any answer): the job's
/// notification stays owed, and another worker's sweep delivers it once the first worker's
/// delivery could no longer be running (`TSFN_NOTIFY_MAX_MS` and five attempt timeouts after
/// the job finished: 1.5 + 7.5 s here), not before. The serve process runs no jobs.
fn redelivered_after_worker_killed(s: Server) {
    let rx = Receiver::start(vec![Answer::Hang, Answer::Status(200)]);
    s.write("s1", &[(1_700_000_000, 1.0)]);
    let id = submit(&s, "s1", Some(&rx.url()))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let timing = [
        ("TSFN_NOTIFY_TIMEOUT_MS", "1500"),
        ("TSFN_NOTIFY_MAX_MS", "1500"),
    ];
    let mut first = support::WorkerProc::start(&s.store, "first", &worker_env(&s, &timing));
    eventually(
        Duration::from_secs(30),
        "the first delivery attempt",
        || !rx.got().is_empty(),
    );
    // Within its attempt's 1.5 s: the delivery is in flight when the worker dies.
    first.kill();
    let killed = Instant::now();
    let v = job(&s, &id);
    assert_eq!(v["status"], "succeeded", "{v}");
    assert_eq!(v["notify"]["status"], "pending", "{v}");
    let _second = support::WorkerProc::start(&s.store, "second", &worker_env(&s, &timing));
    let done = eventually(
        Duration::from_secs(40),
        "the notification redelivered",
        || {
            let v = job(&s, &id);
            (v["notify"]["status"] == "delivered").then_some(v)
        },
    );
    assert_eq!(
        done["notify"],
        json!({"url": rx.url(), "status": "delivered", "attempts": 1, "last_error": null})
    );
    let got = rx.got();
    assert_eq!(got.len(), 2, "{got:?}");
    for r in &got {
        let record = verified(r);
        assert_eq!(record["id"], id.as_str());
        assert_eq!(record["status"], "succeeded");
    }
    // Not taken over while the first worker's delivery could still have been running (it
    // finished the job at most a few ms before the first attempt arrived).
    let gap = got[1].at - got[0].at;
    assert!(
        gap >= Duration::from_millis(8_500),
        "redelivered after {gap:?}"
    );
    assert!(killed.elapsed() < Duration::from_secs(40));
}

#[test]
fn notify_redelivered_after_worker_killed_sqlite() {
    redelivered_after_worker_killed(Server::sqlite_file(&notify_env(&[("TSFN_WORKERS", "0")])));
}

#[test]
fn notify_redelivered_after_worker_killed_redis() {
    redelivered_after_worker_killed(Server::redis(&notify_env(&[("TSFN_WORKERS", "0")])));
}

#[test]
fn notify_redelivered_after_worker_killed_dynamodb() {
    redelivered_after_worker_killed(Server::dynamodb(&notify_env(&[("TSFN_WORKERS", "0")])));
}

/// A job whose worker died on its last attempt fails for good when the next worker finds it;
/// that failure is announced like any other end: the receiver gets the failed record, signed.
/// The dead worker is this test: it claims the job through the store with a 1 ms lease and
/// never finishes it.
fn gave_up_is_notified(s: Server) {
    let rx = Receiver::start(vec![Answer::Status(200)]);
    s.write("s1", &[(1_700_000_000, 1.0)]);
    let id = submit(&s, "s1", Some(&rx.url()))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let settings = tsfn_shared::settings::Settings {
            store: s.store.clone(),
            ..Default::default()
        };
        let store = tsfn_shared::store::open(&settings).await.unwrap();
        let now = tsfn_shared::time::now_ms();
        let claimed = store.claim_job(&id, "dead", now, 1, 1).await.unwrap();
        assert!(claimed.is_some(), "the dead worker's claim");
    });
    std::thread::sleep(Duration::from_millis(20));
    let _w = support::WorkerProc::start(
        &s.store,
        "next",
        &worker_env(&s, &[("TSFN_JOB_MAX_ATTEMPTS", "1")]),
    );
    let done = eventually(Duration::from_secs(30), "the failure announced", || {
        let v = job(&s, &id);
        (v["notify"]["status"] == "delivered").then_some(v)
    });
    assert_eq!(done["status"], "failed", "{done}");
    assert_eq!(done["attempts"], 1, "{done}");
    let got = rx.got();
    assert_eq!(got.len(), 1, "{got:?}");
    let record = verified(&got[0]);
    assert_eq!(record["id"], id.as_str());
    assert_eq!(record["status"], "failed");
    assert!(
        record["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("gave up after 1 attempts")),
        "{record}"
    );
}

#[test]
fn notify_when_out_of_attempts_sqlite() {
    gave_up_is_notified(Server::sqlite_file(&notify_env(&[("TSFN_WORKERS", "0")])));
}

#[test]
fn notify_when_out_of_attempts_redis() {
    gave_up_is_notified(Server::redis(&notify_env(&[("TSFN_WORKERS", "0")])));
}

/// The job's event on moto's EventBridge: a rule on the bus sends it to an SQS queue, read back
/// by `events_bridge.py` with boto3.
#[test]
fn eventbridge_event_on_moto() {
    let moto = support::moto();
    let env = moto.env();
    let tag = format!("t{}-{}", std::process::id(), now_secs());
    let bus = format!("bus-{tag}");
    let queue = format!("q-{tag}");
    let run = |args: &[&str]| bridge(&env, args);
    run(&["setup", &bus, &queue]);
    let mut all = env.clone();
    all.push(("TSFN_EVENT_BUS", &bus));
    let s = Server::sqlite_file(&all);
    s.write("s1", &[(1_700_000_000, 2.0), (1_700_000_060, 4.0)]);
    let id = submit(&s, "s1", None)["id"].as_str().unwrap().to_owned();
    eventually(Duration::from_secs(20), "the job succeeded", || {
        job(&s, &id)["status"] == "succeeded"
    });
    let events: Vec<Value> = eventually(Duration::from_secs(20), "the event in the queue", || {
        let out = run(&["read", &queue]);
        let v: Vec<Value> = serde_json::from_str(&out).unwrap();
        (!v.is_empty()).then_some(v)
    });
    assert_eq!(events.len(), 1, "{events:?}");
    let e = &events[0];
    assert_eq!(e["source"], "tsfn");
    assert_eq!(e["detail-type"], "tsfn.job.finished");
    assert_eq!(e["detail"], job(&s, &id), "the detail is the job record");
}

/// `events_bridge.py` (boto3 on moto's EventBridge and SQS) with `args`.
fn bridge(env: &[(&str, &str)], args: &[&str]) -> String {
    let script = support::workspace_root().join("tsfn/tests/it/events_bridge.py");
    let python = support::which("python").expect("the test venv's python");
    let out = std::process::Command::new(python)
        .arg(&script)
        .args(args)
        .envs(env.iter().copied())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The serverless path: route functions and the worker function under `cargo lambda watch`,
/// on one SQLite file, with moto's EventBridge. A job submitted with `notify` through
/// `jobs-submit`, run by the worker function on its job event: before the invocation returns,
/// the receiver has the signed record, the job shows the delivery, and the bus has the event;
/// likewise for a job the invocation fails for running out of attempts.
#[test]
fn lambda_worker_notifies_and_puts_the_event() {
    let moto = support::moto();
    let env = moto.env();
    let tag = format!("l{}-{}", std::process::id(), now_secs());
    let (bus, queue) = (format!("bus-{tag}"), format!("q-{tag}"));
    bridge(&env, &["setup", &bus, &queue]);
    let dir = tempfile::tempdir().unwrap();
    let store = format!("sqlite://{}", dir.path().join("lambda.db").display());
    let out = std::process::Command::new(support::tsfn_bin())
        .args(["init-store", "--store", &store])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut all = env.clone();
    all.extend(notify_env(&[("TSFN_EVENT_BUS", &bus)]));
    let emu = support::emulator::start(&store, &all);
    emu.wait_ready();
    let http = support::client();
    let base = emu.base();
    let r = http
        .post(format!("{base}/series/s1/points"))
        .json(&json!([[1_700_000_000, 1.5], [1_700_000_060, 2.5]]))
        .send()
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    let rx = Receiver::start(vec![Answer::Status(200)]);
    let r = http
        .post(format!("{base}/jobs"))
        .json(&json!({"kind": "summary", "series": "s1", "notify": rx.url()}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 202);
    let id = r.json::<Value>().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let event = dir.path().join("job.json");
    std::fs::write(&event, json!({"job_id": id}).to_string()).unwrap();
    let report = emu.invoke("worker", &event);
    assert_eq!(report, json!({"job_id": id, "status": "succeeded"}));
    // All of it done within the invocation.
    let got = rx.got();
    assert_eq!(got.len(), 1, "{got:?}");
    let record = verified(&got[0]);
    assert_eq!(record["id"], id.as_str());
    assert_eq!(record["status"], "succeeded");
    let v: Value = http
        .get(format!("{base}/jobs/{id}"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(v["notify"]["status"], "delivered", "{v}");
    let events: Vec<Value> = eventually(Duration::from_secs(20), "the event in the queue", || {
        let v: Vec<Value> = serde_json::from_str(&bridge(&env, &["read", &queue])).unwrap();
        (!v.is_empty()).then_some(v)
    });
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["detail-type"], "tsfn.job.finished");
    assert_eq!(events[0]["detail"]["id"], id.as_str());
    assert_eq!(events[0]["detail"]["status"], "succeeded");
    // The same job's event again (a retried invocation) does not announce twice.
    let again = emu.invoke("worker", &event);
    assert_eq!(again["status"], "succeeded");
    assert_eq!(rx.got().len(), 1);

    // A job whose runs all died (this test claims it with 1 ms leases, as many times as the
    // worker's default TSFN_JOB_MAX_ATTEMPTS, 3): the invocation that finds it out of attempts
    // fails it and announces that before it returns.
    let r = http
        .post(format!("{base}/jobs"))
        .json(&json!({"kind": "summary", "series": "s1", "notify": rx.url()}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 202);
    let dead = r.json::<Value>().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let settings = tsfn_shared::settings::Settings {
            store: store.clone(),
            ..Default::default()
        };
        let st = tsfn_shared::store::open(&settings).await.unwrap();
        for attempt in 0..3 {
            let now = tsfn_shared::time::now_ms() + attempt * 10;
            let c = st.claim_job(&dead, "dead", now, 1, 3).await.unwrap();
            assert!(c.is_some(), "dead claim {attempt}");
        }
    });
    std::thread::sleep(Duration::from_millis(50));
    std::fs::write(&event, json!({"job_id": dead}).to_string()).unwrap();
    let report = emu.invoke("worker", &event);
    assert_eq!(report, json!({"job_id": dead, "status": "failed"}));
    let got = rx.got();
    assert_eq!(got.len(), 2, "{got:?}");
    let record = verified(&got[1]);
    assert_eq!(record["id"], dead.as_str());
    assert_eq!(record["status"], "failed");
    assert!(
        record["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("gave up after 3 attempts")),
        "{record}"
    );
    let events: Vec<Value> = eventually(Duration::from_secs(20), "its event in the queue", || {
        let v: Vec<Value> = serde_json::from_str(&bridge(&env, &["read", &queue])).unwrap();
        (!v.is_empty()).then_some(v)
    });
    assert_eq!(events[0]["detail"]["id"], dead.as_str(), "{events:?}");
    assert_eq!(events[0]["detail"]["status"], "failed");
}

const HOOK_SECRET: &str = "hook-secret-of-source-one";

fn hook_sig(prefix: Option<&str>, body: &[u8]) -> String {
    let mut msg = prefix
        .map(|p| format!("{p}.").into_bytes())
        .unwrap_or_default();
    msg.extend_from_slice(body);
    format!("sha256={}", hmac_hex(HOOK_SECRET, &msg))
}

/// Signed webhooks: good signatures (plain and timestamped) write exactly their points; wrong,
/// missing and stale signatures are 401 naming the header and write nothing; an unknown source
/// is a 404. No API key is needed, though the server requires one elsewhere.
#[test]
fn hooks_signed_webhooks() {
    let key = "test-key-hooks";
    let s = Server::sqlite_file(&[
        (
            "TSFN_HOOK_SECRETS",
            &format!("one:{HOOK_SECRET};two:another-secret-0123456"),
        ),
        ("TSFN_API_KEY", key),
    ]);
    let post = |path: &str, headers: &[(&str, &str)], body: &[u8]| {
        let mut h = vec![("content-type", "application/json")];
        h.extend_from_slice(headers);
        s.send_with("POST", path, &h, body.to_vec())
    };
    let points = |series: &str| -> Value {
        let r = s.get_with(&format!("/series/{series}/points"), &[("x-api-key", key)]);
        if r.status == 404 {
            return Value::Null;
        }
        r.expect(200)["points"].clone()
    };

    let bad_body = br#"[{"t": "2024-05-01T00:00:00Z", "v": 9.0}]"#;
    // Missing signature.
    post("/hooks/one?series=h1", &[], bad_body).expect_error(401, Some("x-hub-signature-256"));
    // Wrong signature: signed with another secret, and the right MAC of another body.
    let other = format!("sha256={}", hmac_hex("another-secret-0123456", bad_body));
    post(
        "/hooks/one?series=h1",
        &[("x-hub-signature-256", &other)],
        bad_body,
    )
    .expect_error(401, Some("x-hub-signature-256"));
    let of_other_body = hook_sig(None, b"[]");
    post(
        "/hooks/one?series=h1",
        &[("x-hub-signature-256", &of_other_body)],
        bad_body,
    )
    .expect_error(401, Some("x-hub-signature-256"));
    // Replayed: a correct signature over a timestamp six minutes old.
    let old = (now_secs() - 360).to_string();
    let stale = hook_sig(Some(&old), bad_body);
    post(
        "/hooks/one?series=h1",
        &[("x-hub-signature-256", &stale), ("x-tsfn-timestamp", &old)],
        bad_body,
    )
    .expect_error(401, Some("x-tsfn-timestamp"));
    // A timestamped signature sent without its timestamp does not verify either.
    post(
        "/hooks/one?series=h1",
        &[("x-hub-signature-256", &stale)],
        bad_body,
    )
    .expect_error(401, Some("x-hub-signature-256"));
    // Unknown source, even with a signature made with a known secret.
    let good = hook_sig(None, bad_body);
    post(
        "/hooks/three?series=h1",
        &[("x-hub-signature-256", &good)],
        bad_body,
    )
    .expect_error(404, None);
    assert_eq!(points("h1"), Value::Null, "a refused hook wrote something");

    // Good: plain, then timestamped (fresh) into the same series.
    let body1 = br#"[{"t": "2024-05-01T00:00:00Z", "v": 1.5}, [1714521660, -0.25]]"#;
    let r = post(
        "/hooks/one?series=h1",
        &[("x-hub-signature-256", &hook_sig(None, body1))],
        body1,
    )
    .expect(201);
    assert_eq!(
        r,
        json!({"source": "one", "series": "h1", "written": 2, "created": true})
    );
    let ts = now_secs().to_string();
    let body2 = b"t,v\n2024-05-01T00:02:00Z,7\n";
    let r = s
        .send_with(
            "POST",
            "/hooks/one?series=h1",
            &[
                ("content-type", "text/csv"),
                ("x-hub-signature-256", &hook_sig(Some(&ts), body2)),
                ("x-tsfn-timestamp", &ts),
            ],
            body2.to_vec(),
        )
        .expect(200);
    assert_eq!(r["written"], 1);
    assert_eq!(
        points("h1"),
        json!([
            {"t": "2024-05-01T00:00:00.000Z", "v": 1.5},
            {"t": "2024-05-01T00:01:00.000Z", "v": -0.25},
            {"t": "2024-05-01T00:02:00.000Z", "v": 7.0},
        ])
    );
    // A signed body that is not valid points: 400, nothing written.
    let junk = br#"[{"t": "2024-05-01T00:03:00Z", "v": "x"}]"#;
    post(
        "/hooks/one?series=h1",
        &[("x-hub-signature-256", &hook_sig(None, junk))],
        junk,
    )
    .expect(400);
    // A missing `series` is a 400 naming it.
    post(
        "/hooks/one",
        &[("x-hub-signature-256", &hook_sig(None, body1))],
        body1,
    )
    .expect_error(400, Some("series"));
    assert_eq!(points("h1").as_array().unwrap().len(), 3);
}
