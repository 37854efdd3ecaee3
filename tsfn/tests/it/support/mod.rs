//! Test support shared by every suite: start `tsfn serve` on a free port against a given store,
//! as a real process ([`Server::start`] and the constructors beside it) or inside this process
//! ([`in_process`]), speak HTTP to it, stop it; start a redis-server, moto or `tsfn worker`; wait
//! for something, bounded ([`eventually`]). Process servers bind 127.0.0.1 port 0 and report
//! the port on their first stdout line.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub use serde_json::{json, Value};

pub mod emulator;
pub mod in_process;
pub mod sam;

pub const START_TIMEOUT: Duration = Duration::from_secs(60);

/// Path of the `tsfn` binary built for these tests.
pub fn tsfn_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tsfn"))
}

pub struct Server {
    /// The `tsfn serve` process, when it is one.
    child: Option<Child>,
    /// Otherwise what serves it, stopped (or given back) when the server is dropped: a server in
    /// this process ([`in_process`]) or a turn on the shared emulator ([`emulator::sqlite`]).
    host: Option<Box<dyn std::any::Any + Send + Sync>>,
    pub base: String,
    pub store: String,
    client: reqwest::blocking::Client,
    /// Keeps the temporary directory (and its database) alive as long as the server.
    pub dir: Option<tempfile::TempDir>,
    /// The Redis this server uses, when the test started one for it.
    pub redis: Option<RedisProc>,
    /// Where its stderr (the log) goes, when the test keeps it: see [`Server::log`].
    pub log_file: Option<tempfile::NamedTempFile>,
}

impl Server {
    /// `tsfn serve` on a fresh SQLite file in its own temporary directory, without the dataset.
    pub fn sqlite_file(env: &[(&str, &str)]) -> Server {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = format!("sqlite://{}", dir.path().join("tsfn.db").display());
        let mut s = Server::start(&store, &with_no_seed(env));
        s.dir = Some(dir);
        s
    }

    /// `tsfn serve` on its own fresh redis-server, without the dataset.
    pub fn redis(env: &[(&str, &str)]) -> Server {
        let redis = RedisProc::start();
        let mut s = Server::start(&redis.url(), &with_no_seed(env));
        s.redis = Some(redis);
        s
    }

    /// [`Server::redis`] with its log (stderr) kept in a file, for [`Server::log`].
    pub fn redis_logged(env: &[(&str, &str)]) -> Server {
        let redis = RedisProc::start();
        let log_file = tempfile::NamedTempFile::new().expect("log file");
        let mut cmd = Server::command(&redis.url(), &with_no_seed(env));
        cmd.stderr(log_file.reopen().expect("log file"));
        let mut s = Server::spawn(cmd, &redis.url());
        s.redis = Some(redis);
        s.log_file = Some(log_file);
        s
    }

    /// [`Server::sqlite_file`] with its log (stderr) kept in a file, for [`Server::log`].
    pub fn sqlite_logged(env: &[(&str, &str)]) -> Server {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = format!("sqlite://{}", dir.path().join("tsfn.db").display());
        let log_file = tempfile::NamedTempFile::new().expect("log file");
        let mut cmd = Server::command(&store, &with_no_seed(env));
        cmd.stderr(log_file.reopen().expect("log file"));
        let mut s = Server::spawn(cmd, &store);
        s.dir = Some(dir);
        s.log_file = Some(log_file);
        s
    }

    /// What the server has logged so far, without colour codes (needs a `*_logged` start).
    pub fn log(&self) -> String {
        let path = self
            .log_file
            .as_ref()
            .expect("started with its log kept")
            .path();
        let raw = std::fs::read_to_string(path).expect("log file");
        // Drop ANSI escape sequences (ESC [ ... letter).
        let mut out = String::with_capacity(raw.len());
        let mut chars = raw.chars();
        while let Some(c) = chars.next() {
            if c == '\u{1b}' {
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            } else {
                out.push(c);
            }
        }
        out
    }

    /// `tsfn serve` on DynamoDB (moto's server, shared by the tests of this binary) with tables
    /// of its own, created by `tsfn init-store`; without the dataset.
    pub fn dynamodb(env: &[(&str, &str)]) -> Server {
        let moto = moto();
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let prefix = format!(
            "t{}-{}",
            std::process::id(),
            N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        let store = format!("dynamodb://{prefix}");
        let mut all = moto.env();
        all.extend_from_slice(env);
        let out = Command::new(tsfn_bin())
            .args(["init-store", "--store", &store])
            .envs(all.iter().copied())
            .output()
            .expect("tsfn init-store");
        assert!(
            out.status.success(),
            "init-store failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Server::start(&store, &with_no_seed(&all))
    }

    /// `tsfn serve` on an in-memory SQLite database, without the dataset.
    pub fn sqlite_memory(env: &[(&str, &str)]) -> Server {
        Server::start("sqlite::memory:", &with_no_seed(env))
    }

    /// Starts `tsfn serve --bind 127.0.0.1:0` with `TSFN_STORE=store` and extra environment.
    pub fn start(store: &str, env: &[(&str, &str)]) -> Server {
        Server::spawn(Server::command(store, env), store)
    }

    /// The command [`Server::start`] runs.
    pub fn command(store: &str, env: &[(&str, &str)]) -> Command {
        let mut cmd = Command::new(tsfn_bin());
        cmd.args(["serve", "--bind", "127.0.0.1:0"])
            .env("TSFN_STORE", store)
            .env_remove("TSFN_API_KEY")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd
    }

    /// Runs a prepared `tsfn serve` command (its stdout is taken to learn the address).
    pub fn spawn(mut cmd: Command, store: &str) -> Server {
        cmd.stdin(Stdio::null()).stdout(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn tsfn");
        let base = read_listen_line(child.stdout.take().expect("stdout"), START_TIMEOUT)
            .unwrap_or_else(|e| {
                let _ = child.kill();
                panic!("tsfn did not start: {e}")
            });
        Server {
            child: Some(child),
            host: None,
            base,
            store: store.to_owned(),
            client: client(),
            dir: None,
            redis: None,
            log_file: None,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn get(&self, path: &str) -> Resp {
        Resp::from(self.client.get(self.url(path)).send())
    }

    /// GET with request headers.
    pub fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Resp {
        let mut rb = self.client.get(self.url(path));
        for (k, v) in headers {
            rb = rb.header(*k, *v);
        }
        Resp::from(rb.send())
    }

    pub fn delete(&self, path: &str) -> Resp {
        Resp::from(self.client.delete(self.url(path)).send())
    }

    pub fn put_json(&self, path: &str, body: &Value) -> Resp {
        Resp::from(self.client.put(self.url(path)).json(body).send())
    }

    pub fn post_json(&self, path: &str, body: &Value) -> Resp {
        Resp::from(self.client.post(self.url(path)).json(body).send())
    }

    /// Sends raw bytes with a content type (None: no Content-Type header).
    pub fn send(
        &self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: impl Into<Vec<u8>>,
    ) -> Resp {
        let mut rb = self
            .client
            .request(method.parse().expect("method"), self.url(path))
            .body(body.into());
        if let Some(ct) = content_type {
            rb = rb.header("content-type", ct);
        }
        Resp::from(rb.send())
    }

    /// Sends raw bytes with request headers.
    pub fn send_with(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Resp {
        let mut rb = self
            .client
            .request(method.parse().expect("method"), self.url(path))
            .body(body);
        for (k, v) in headers {
            rb = rb.header(*k, *v);
        }
        Resp::from(rb.send())
    }

    /// Writes points given as `(epoch seconds, value)` pairs and asserts success.
    pub fn write(&self, series: &str, points: &[(i64, f64)]) {
        let body: Vec<Value> = points.iter().map(|(t, v)| json!([t, v])).collect();
        let r = self.post_json(&format!("/series/{series}/points"), &Value::Array(body));
        assert!(r.status == 200 || r.status == 201, "write failed: {r:?}");
    }

    /// Sends SIGTERM and waits (bounded) for a clean exit; returns whether it exited by itself.
    pub fn stop(&mut self) -> bool {
        let Some(mut child) = self.child.take() else {
            return true;
        };
        unsafe_kill(child.id(), "TERM");
        if wait_exit(&mut child, Duration::from_secs(30)).is_some() {
            return true;
        }
        let _ = child.kill();
        let _ = child.wait();
        false
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        // Before its directory and its Redis go.
        self.host.take();
    }
}

fn with_no_seed<'a>(env: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut v = vec![("TSFN_SEED", "0")];
    v.extend_from_slice(env);
    v
}

/// Once this test process is gone, stops the process group `pgid` (SIGTERM, then SIGKILL) and
/// removes `paths`: for what is started once for the whole run and so never dropped (statics
/// are not). Returns the watchdog shell, to be kept, never waited (it ends after this process).
pub fn clean_up_after_this_process(pgid: u32, paths: &[&Path]) -> Child {
    let paths: Vec<String> = paths
        .iter()
        .map(|p| {
            let p = p.display().to_string();
            assert!(!p.contains('\''), "{p}");
            format!("'{p}'")
        })
        .collect();
    let script = format!(
        "while kill -0 {} 2>/dev/null; do sleep 0.5; done; kill -TERM -{pgid} 2>/dev/null; sleep 5; kill -KILL -{pgid} 2>/dev/null; rm -rf {}",
        std::process::id(),
        paths.join(" ")
    );
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn a watchdog")
}

/// Sends a signal with the system `kill` (keeps the tests free of libc bindings).
pub fn unsafe_kill(pid: u32, signal: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status();
}

pub fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("client")
}

/// Reads a child's stdout until the `listening on http://ADDR` line; returns `http://ADDR`.
pub fn read_listen_line(
    stdout: impl std::io::Read + Send + 'static,
    timeout: Duration,
) -> Result<String, String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        let mut sent = false;
        for line in lines.by_ref() {
            let Ok(line) = line else { break };
            if !sent {
                if let Some(i) = line.find("http://") {
                    let url = line[i..].split_whitespace().next().unwrap_or("").to_owned();
                    let _ = tx.send(url);
                    sent = true;
                }
            }
            // Keep draining so the child never blocks on a full pipe.
        }
    });
    rx.recv_timeout(timeout)
        .map_err(|_| format!("no listening line within {timeout:?}"))
}

// ---- waiting ----

/// What a check given to [`eventually`] or [`poll`] returns: done, with a value, or not yet, with
/// what it saw. `true`/`Some(value)`/`Ok(value)` are done; `false`/`None`/`Err(observation)` are
/// not yet (an `Err` carries the observation the timeout message shows).
pub trait Awaited {
    type Output;
    fn outcome(self) -> Result<Self::Output, String>;
}

impl Awaited for bool {
    type Output = ();
    fn outcome(self) -> Result<(), String> {
        if self {
            Ok(())
        } else {
            Err("false".into())
        }
    }
}

impl<T> Awaited for Option<T> {
    type Output = T;
    fn outcome(self) -> Result<T, String> {
        self.ok_or_else(|| "nothing yet".into())
    }
}

impl<T, E: std::fmt::Display> Awaited for Result<T, E> {
    type Output = T;
    fn outcome(self) -> Result<T, String> {
        self.map_err(|e| e.to_string())
    }
}

/// Calls `check` until it is done or `timeout` has passed, pausing 5 ms after the first call and
/// up to 100 ms later on: `Ok(its value)`, or `Err(what it saw last)`. For waits whose timeout is
/// not a failure (a process that must then be killed); otherwise use [`eventually`].
pub fn poll<A: Awaited>(
    timeout: Duration,
    mut check: impl FnMut() -> A,
) -> Result<A::Output, String> {
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_millis(5);
    loop {
        let last = match check().outcome() {
            Ok(v) => return Ok(v),
            Err(last) => last,
        };
        let now = Instant::now();
        if now >= deadline {
            return Err(last);
        }
        std::thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(Duration::from_millis(100));
    }
}

/// Waits until `check` is done, at most `timeout`, and returns its value; panics naming `what`
/// was awaited and the last observation when it never is. Every bounded wait of the suites
/// goes through here.
#[track_caller]
pub fn eventually<A: Awaited>(
    timeout: Duration,
    what: &str,
    check: impl FnMut() -> A,
) -> A::Output {
    match poll(timeout, check) {
        Ok(v) => v,
        Err(last) => panic!("gave up after {timeout:?} waiting for {what}; last seen: {last}"),
    }
}

/// Waits (bounded) for a child process to exit: its status, or `None` if it is still running.
pub fn wait_exit(child: &mut Child, timeout: Duration) -> Option<std::process::ExitStatus> {
    poll(timeout, || child.try_wait().ok().flatten()).ok()
}

/// A redis-server of the test's own: loopback, a free port, its own directory, AOF on.
pub struct RedisProc {
    child: Option<Child>,
    pub port: u16,
    pub dir: tempfile::TempDir,
}

impl RedisProc {
    pub fn start() -> RedisProc {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut r = RedisProc {
            child: None,
            port,
            dir: tempfile::tempdir().expect("tempdir"),
        };
        r.restart();
        r
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// Starts (again) on the same port and data directory, and waits until it answers PING.
    pub fn restart(&mut self) {
        let child = Command::new("redis-server")
            .args([
                "--bind",
                "127.0.0.1",
                "--port",
                &self.port.to_string(),
                "--save",
                "",
                "--appendonly",
                "yes",
            ])
            .args(["--appendfsync", "always", "--protected-mode", "no"])
            .arg("--dir")
            .arg(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start redis-server ({e}): run ./scripts/test.sh, which installs it")
            });
        self.child = Some(child);
        let what = format!("redis-server to answer PING on port {}", self.port);
        eventually(Duration::from_secs(20), &what, || self.answers());
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// Runs one command with `redis-cli` (raw output, one reply element per line), bounded.
    pub fn cli(&self, args: &[&str]) -> String {
        let out = Command::new("timeout")
            .args(["20", "redis-cli", "--raw", "-p", &self.port.to_string()])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("redis-cli");
        assert!(
            out.status.success(),
            "redis-cli {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn answers(&self) -> bool {
        use std::io::{Read, Write};
        let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
        let mut buf = [0u8; 7];
        s.write_all(b"PING\r\n").is_ok() && s.read_exact(&mut buf).is_ok() && &buf == b"+PONG\r\n"
    }

    /// Graceful stop (SIGTERM: Redis flushes its AOF), bounded.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            unsafe_kill(c.id(), "TERM");
            if wait_exit(&mut c, Duration::from_secs(20)).is_some() {
                return;
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for RedisProc {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// moto's DynamoDB-compatible server on a free loopback port, one per test run, stopped when the
/// test binary exits (it is started with a parent-death watchdog). A test rerun in a child
/// process ([`rerun_in_child`]) uses its parent's.
pub struct Moto {
    pub port: u16,
    /// The watchdog shell; kept so the handle is owned, never waited (it ends with this process).
    _watchdog: Option<Child>,
}

impl Moto {
    /// Environment that points the AWS SDK at this server.
    pub fn env(&self) -> Vec<(&'static str, &'static str)> {
        let url: &'static str =
            Box::leak(format!("http://127.0.0.1:{}", self.port).into_boxed_str());
        vec![
            ("AWS_ENDPOINT_URL", url),
            ("AWS_REGION", "us-east-1"),
            ("AWS_ACCESS_KEY_ID", "test"),
            ("AWS_SECRET_ACCESS_KEY", "test"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
            // moto walks the whole table on every Query: seconds for tens of thousands of points.
            ("TSFN_DYNAMODB_TIMEOUT_MS", "120000"),
        ]
    }
}

impl Moto {
    /// The stored item with key `id` of `table`, in the JSON form a DynamoDB stream carries.
    pub fn item_image(&self, table: &str, id: &str) -> Value {
        use aws_sdk_dynamodb::config::{Credentials, Region};
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version_latest()
            .endpoint_url(format!("http://127.0.0.1:{}", self.port))
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
            .build();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let item = rt
            .block_on(
                aws_sdk_dynamodb::Client::from_conf(config)
                    .get_item()
                    .table_name(table)
                    .key("id", aws_sdk_dynamodb::types::AttributeValue::S(id.into()))
                    .consistent_read(true)
                    .send(),
            )
            .unwrap()
            .item
            .unwrap_or_else(|| panic!("no item {id} in {table}"));
        Value::Object(item.iter().map(|(k, v)| (k.clone(), attr(v))).collect())
    }
}

/// An attribute value in DynamoDB's JSON form.
fn attr(v: &aws_sdk_dynamodb::types::AttributeValue) -> Value {
    use aws_sdk_dynamodb::types::AttributeValue as A;
    match v {
        A::S(s) => json!({ "S": s }),
        A::N(n) => json!({ "N": n }),
        A::Bool(b) => json!({ "BOOL": b }),
        A::Null(_) => json!({ "NULL": true }),
        A::L(l) => json!({ "L": l.iter().map(attr).collect::<Vec<_>>() }),
        A::M(m) => {
            json!({ "M": m.iter().map(|(k, v)| (k.clone(), attr(v))).collect::<serde_json::Map<_, _>>() })
        }
        other => panic!("unexpected attribute: {other:?}"),
    }
}

/// One DynamoDB Streams record (view NEW_IMAGE) of a jobs table change.
pub fn stream_record(event_name: &str, id: &str, new_image: Value, sequence: &str) -> Value {
    json!({
        "eventID": format!("ev-{sequence}"),
        "eventName": event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {
            "Keys": {"id": {"S": id}},
            "NewImage": new_image,
            "SequenceNumber": sequence,
            "SizeBytes": 200,
            "StreamViewType": "NEW_IMAGE"
        },
        "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/tsfn-jobs/stream/1"
    })
}

static MOTO: std::sync::OnceLock<Moto> = std::sync::OnceLock::new();

pub fn moto() -> &'static Moto {
    MOTO.get_or_init(|| {
        if let Some(port) = std::env::var("TSFN_TEST_MOTO_PORT")
            .ok()
            .and_then(|p| p.parse().ok())
        {
            return Moto {
                port,
                _watchdog: None,
            };
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let server = which("moto_server").unwrap_or_else(|| panic!("moto_server not found: run ./scripts/test.sh (it installs moto[server] into .venv)"));
        // The shell watches this test process and stops moto when it is gone.
        let script = format!(
            "{} -H 127.0.0.1 -p {port} >/dev/null 2>&1 & m=$!; while kill -0 {} 2>/dev/null; do sleep 0.5; done; kill $m",
            server.display(),
            std::process::id()
        );
        let watchdog = Command::new("sh")
            .arg("-c")
            .arg(script)
            .stdin(Stdio::null())
            .spawn()
            .expect("spawn moto_server");
        eventually(
            Duration::from_secs(60),
            &format!("moto_server to listen on {port}"),
            || std::net::TcpStream::connect(("127.0.0.1", port)).is_ok(),
        );
        Moto {
            port,
            _watchdog: Some(watchdog),
        }
    })
}

/// A tool from the test venv (`.venv/bin`, made by scripts/test.sh), else from PATH.
pub fn which(cmd: &str) -> Option<PathBuf> {
    let venv = workspace_root().join(".venv/bin").join(cmd);
    if venv.exists() {
        return Some(venv);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(cmd))
            .find(|p| p.exists())
    })
}

// ---- Python scripts of the suites ----

/// Runs `args` with the test venv's Python (the suites' scripts: the browser test, InfluxDB's
/// clients, numpy's FFT), its stdout and stderr into `log`, killed after `limit`; prints the
/// log and asserts the script exited 0.
pub fn run_python(args: &[&std::ffi::OsStr], log: &Path, limit: Duration) {
    let python = which("python").expect("the test venv's python: run ./scripts/test.sh");
    let file = std::fs::File::create(log).unwrap();
    let mut child = Command::new(python)
        .args(args)
        .stdin(Stdio::null())
        .stdout(file.try_clone().unwrap())
        .stderr(file)
        .spawn()
        .expect("run python");
    let status = wait_exit(&mut child, limit);
    if status.is_none() {
        let _ = child.kill();
        let _ = child.wait();
    }
    let text = std::fs::read_to_string(log).unwrap_or_default();
    println!("{text}");
    assert!(
        status.is_some_and(|s| s.success()),
        "{:?} failed or ran over {limit:?} ({status:?}):\n{text}",
        args.first()
    );
}

// ---- one test in a process of its own ----

/// Runs the test `path` (`module::test`, as `module_path!()` and the name give it) again in a
/// child process of this test binary, with `env` added to its environment, and asserts it passed;
/// returns `true` in the parent, which has nothing left to do, and `false` in the child, which
/// runs the test's body.
///
/// For tests of code that reads the environment while they run: the AWS SDK reads its endpoint
/// and credentials from it, and setting variables in this process, whose other tests run on
/// other threads and start processes that inherit them, would race with those tests. The child
/// uses this process's moto server.
pub fn rerun_in_child(path: &str, env: &[(&str, &str)]) -> bool {
    let name = path.split_once("::").map_or(path, |(_crate, rest)| rest);
    if std::env::var("TSFN_TEST_CHILD").is_ok_and(|n| n == name) {
        return false;
    }
    let mut cmd = Command::new(std::env::current_exe().expect("this test binary"));
    cmd.args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env("TSFN_TEST_CHILD", name)
        .envs(env.iter().copied())
        .stdin(Stdio::null());
    if let Some(moto) = MOTO.get() {
        cmd.env("TSFN_TEST_MOTO_PORT", moto.port.to_string());
    }
    let out = cmd.output().expect("run this test binary again");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(
        out.status.success() && stdout.contains("test result: ok. 1 passed"),
        "{name} in its own process: {}\n---- stdout ----\n{stdout}\n---- stderr ----\n{stderr}",
        out.status
    );
    true
}

/// A `tsfn worker` process against a store.
pub struct WorkerProc {
    child: Option<Child>,
    pub name: String,
}

impl WorkerProc {
    pub fn start(store: &str, name: &str, env: &[(&str, &str)]) -> WorkerProc {
        let mut cmd = Command::new(tsfn_bin());
        cmd.arg("worker")
            .env("TSFN_STORE", store)
            .env("WORKER_ID", name)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        for (k, v) in env {
            cmd.env(k, v);
        }
        WorkerProc {
            child: Some(cmd.spawn().expect("spawn tsfn worker")),
            name: name.to_owned(),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// SIGKILL: the process dies mid-whatever, as in a crash.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGTERM, then waits (bounded) for the exit; returns whether it exited by itself.
    pub fn terminate(&mut self, within: Duration) -> bool {
        let Some(mut c) = self.child.take() else {
            return true;
        };
        unsafe_kill(c.id(), "TERM");
        if wait_exit(&mut c, within).is_some() {
            return true;
        }
        let _ = c.kill();
        let _ = c.wait();
        false
    }
}

impl Drop for WorkerProc {
    fn drop(&mut self) {
        self.kill();
    }
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Resp {
    fn from(r: reqwest::Result<reqwest::blocking::Response>) -> Resp {
        let r = r.expect("request failed");
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let body = r.bytes().expect("body").to_vec();
        Resp {
            status,
            headers,
            body,
        }
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Asserts the status and returns the JSON body.
    #[track_caller]
    pub fn expect(&self, status: u16) -> Value {
        assert_eq!(
            self.status,
            status,
            "unexpected status; body: {}",
            self.text()
        );
        if self.body.is_empty() {
            Value::Null
        } else {
            self.json()
        }
    }

    /// Asserts an error response: status, `error.code`, and (when given) `error.field`.
    #[track_caller]
    pub fn expect_error(&self, status: u16, field: Option<&str>) -> Value {
        let v = self.expect(status);
        let err = &v["error"];
        assert!(
            err["code"].is_string() && err["message"].is_string(),
            "malformed error body: {v}"
        );
        if let Some(f) = field {
            assert_eq!(err["field"], f, "error names the wrong field: {v}");
        }
        v
    }
}

/// The workspace root (for reading Cargo.toml, events/, docs).
pub fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
}

/// `(METHOD, path, function)` entries of `[workspace.metadata.lambda.watch.router]`, in order.
pub fn cargo_router() -> Vec<(String, String, String)> {
    let manifest = std::fs::read_to_string(workspace_root().join("Cargo.toml")).unwrap();
    let manifest: toml::Value = toml::from_str(&manifest).unwrap();
    let router = manifest["workspace"]["metadata"]["lambda"]["watch"]["router"]
        .as_table()
        .expect("router table");
    let mut out = Vec::new();
    for (path, entries) in router {
        for e in entries.as_array().expect("list of {method, function}") {
            out.push((
                e["method"].as_str().unwrap().to_owned(),
                path.clone(),
                e["function"].as_str().unwrap().to_owned(),
            ));
        }
    }
    out
}

/// `(epoch seconds) -> RFC 3339 as the API returns it`.
pub fn rfc(secs: i64) -> String {
    tsfn_shared::time::format(secs * 1000)
}
