//! cargo-lambda's emulator, `cargo lambda watch`: every function of the workspace served on its
//! real path (the router in the workspace `Cargo.toml`), each function its own process started
//! through `cargo run`, as API Gateway and Lambda would run them. Two users:
//!
//! - `lambda_watch` starts one for its test, on DynamoDB (moto);
//! - `conformance_lambda` runs the conformance suite on one emulator shared by its tests
//!   ([`sqlite`]), all its functions on one SQLite file, so each route is an independent process
//!   and the store is all they have in common.
//!
//! Both build the functions the same way, as `cargo lambda watch` does in this workspace: `cargo
//! run --bin NAME` at its root, where cargo unifies features over the default members, and `tsfn`
//! turns on every store of tsfn-shared (so the functions have the `sqlite` feature, whatever
//! their own defaults). One build serves both; keep it that way: `cargo run` puts a function's
//! binary at one path (`target/debug/NAME`) whatever the features, so two emulators building
//! with different features could each start the other's binary.
//!
//! Needs `cargo-lambda` (scripts/test.sh installs it into .venv). Bounded in time; an emulator
//! stops its function processes when it gets SIGTERM, sent to its process group.

use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::Duration;

use super::{client, eventually, json, unsafe_kill, workspace_root, Server, Value};

/// First use compiles the function binaries under the emulator.
pub const READY_TIMEOUT: Duration = Duration::from_secs(600);

pub struct Emulator {
    child: Child,
    pub port: u16,
    /// Its output (cargo's build messages and the functions' logs), shown when it fails to start.
    log: tempfile::NamedTempFile,
}

impl Drop for Emulator {
    fn drop(&mut self) {
        // The emulator runs each function through `cargo run`: stop the whole group. `--` before
        // the group: without it procps-ng 4.0's kill reads `-TERM -1234` as `kill(-1, SIGTERM)`,
        // a signal to every process the user may signal (its first digit taken for the group).
        unsafe_kill(self.child.id(), "TERM");
        let _ = Command::new("kill")
            .args(["-TERM", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        super::wait_exit(&mut self.child, Duration::from_secs(10));
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
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

/// The hook sources of the sample events: `events/hooks.json` is signed for `demo`.
pub const SAMPLE_HOOK_SECRETS: &str = "demo:sample-hook-secret-0123456789";

/// `cargo lambda watch` on a free port with `TSFN_STORE=store` and `env` for every function.
pub fn start(store: &str, env: &[(&str, &str)]) -> Emulator {
    require_cargo_lambda();
    let port = free_port();
    let log = tempfile::NamedTempFile::new().expect("log file");
    // One open file for both streams, so they append to each other instead of overwriting.
    let out = log.reopen().expect("log file");
    let err = out.try_clone().expect("log file");
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
        // The secret events/hooks.json is signed with (events/make_events.py).
        .env("TSFN_HOOK_SECRETS", SAMPLE_HOOK_SECRETS)
        .envs(env.iter().copied())
        .env("RUST_LOG", "warn")
        // Nothing the test starts may read the runner's input.
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .process_group(0)
        .spawn()
        .expect("spawn cargo lambda watch");
    Emulator { child, port, log }
}

impl Emulator {
    /// The process id of `cargo lambda watch`, whose descendants are the function processes.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Waits until the `health` function answers (its first request compiles the functions).
    pub fn wait_ready(&self) {
        let http = client();
        let url = format!("{}/health", self.base());
        let what = format!(
            "cargo lambda watch to serve /health (its output: {})",
            self.log.path().display()
        );
        eventually(READY_TIMEOUT, &what, || {
            let r = http.get(&url).send();
            let seen = match &r {
                Ok(r) => format!("status {}", r.status()),
                Err(e) => e.to_string(),
            };
            match r {
                Ok(r) if r.status() == 200 => Ok(()),
                _ if self.exited() => Err(format!("it exited:\n{}", self.log_tail())),
                _ => {
                    std::thread::sleep(Duration::from_millis(500));
                    Err(seen)
                }
            }
        });
    }

    fn exited(&self) -> bool {
        // `try_wait` needs `&mut`; the process is still ours when kill -0 finds it.
        !Command::new("kill")
            .args(["-0", &self.child.id().to_string()])
            .status()
            .is_ok_and(|s| s.success())
    }

    /// Everything it printed so far: cargo's messages and its functions' stdout and stderr.
    pub fn output(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap_or_default()
    }

    /// The last lines of its output.
    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(self.log.path()).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    /// `cargo lambda invoke FUNCTION --data-file FILE`: the function's JSON answer.
    pub fn invoke(&self, function: &str, file: &std::path::Path) -> Value {
        let out = Command::new("cargo")
            .args([
                "lambda",
                "invoke",
                function,
                "--invoke-address",
                "127.0.0.1",
                "--invoke-port",
                &self.port.to_string(),
                "--data-file",
            ])
            .arg(file)
            .current_dir(workspace_root())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{function} {}: {text} {}",
            file.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_str(text.trim()).unwrap_or_else(|_| panic!("{function}: {text}"))
    }
}

// ---- the conformance suite's shared emulator ----

/// The conformance suite on independent route functions: a [`Server`] on the one shared
/// emulator whose functions share one SQLite file. The test
/// has the emulator to itself until it drops the server (tests take turns), and starts on an
/// empty store: whatever the previous test left is deleted through the API first.
///
/// Jobs run as on AWS without a stream (none feeds the emulator): the `worker` function is
/// invoked with the scheduled sweep event, `{"sweep": true}`, over and over while a test holds
/// the emulator; `TSFN_WORKERS=0` stops those sweeps for the test, the emulator's "no workers".
pub fn sqlite(env: &[(&str, &str)]) -> Server {
    let mut sweeping = true;
    for (var, value) in env {
        match (*var, *value) {
            ("TSFN_WORKERS", "0") => sweeping = false,
            ("TSFN_WORKERS", _) => {}
            // Its sweeper invokes the worker's sweep over and over, more often than any interval.
            ("TSFN_SWEEP_INTERVAL", _) => {}
            _ => panic!(
                "{var}: the shared emulator takes no settings but TSFN_WORKERS and TSFN_SWEEP_INTERVAL"
            ),
        }
    }
    let shared = Shared::get();
    // No sweep runs between turns: the store is emptied with no job running.
    let turn = shared.take_turn();
    shared.empty_the_store();
    shared.sweeper.set(sweeping);
    Server {
        child: None,
        host: Some(Box::new(turn)),
        base: shared.emulator.base(),
        store: shared.store.clone(),
        client: client(),
        dir: None,
        redis: None,
        log_file: None,
    }
}

struct Shared {
    emulator: Emulator,
    /// Stops it once this process is gone (see [`super::clean_up_after_this_process`]).
    _watchdog: Child,
    store: String,
    _dir: tempfile::TempDir,
    /// Whether a test has the emulator.
    taken: Arc<(Mutex<bool>, Condvar)>,
    sweeper: Arc<Sweeper>,
}

/// A test's turn on the shared emulator, given back when dropped (the sweeps stop until the
/// next turn).
struct Turn {
    taken: Arc<(Mutex<bool>, Condvar)>,
    sweeper: Arc<Sweeper>,
}

impl Drop for Turn {
    fn drop(&mut self) {
        self.sweeper.set(false);
        let (taken, free) = &*self.taken;
        *taken.lock().unwrap_or_else(|e| e.into_inner()) = false;
        free.notify_one();
    }
}

impl Shared {
    /// Started by the first test that needs it; if that fails, every later test fails at once
    /// with the same message rather than trying (and waiting) again.
    fn get() -> &'static Shared {
        static SHARED: OnceLock<Result<Shared, String>> = OnceLock::new();
        let started = SHARED.get_or_init(|| {
            std::panic::catch_unwind(Shared::start).map_err(|e| {
                e.downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default()
            })
        });
        match started {
            Ok(shared) => shared,
            Err(e) => panic!("the shared cargo lambda watch did not start: {e}"),
        }
    }

    fn start() -> Shared {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = format!("sqlite://{}", dir.path().join("lambda.db").display());
        // The schema, made once before the function processes open the file.
        let out = Command::new(super::tsfn_bin())
            .args(["init-store", "--store", &store])
            .stdin(Stdio::null())
            .output()
            .expect("tsfn init-store");
        assert!(
            out.status.success(),
            "tsfn init-store: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let emulator = start(&store, &[]);
        // It outlives every test (a static is never dropped): stopped, and its files removed, when
        // this process is gone.
        let watchdog = super::clean_up_after_this_process(
            emulator.child.id(),
            &[dir.path(), emulator.log.path()],
        );
        emulator.wait_ready();
        warm_up(&emulator);
        // Every function opened the file: the emulator serves the store under test.
        let ready: Value = client()
            .get(format!("{}/ready", emulator.base()))
            .send()
            .and_then(|r| r.json())
            .expect("GET /ready");
        assert_eq!(ready, json!({"status": "ready", "store": "sqlite"}));
        let sweeper = Arc::new(Sweeper::default());
        let url = format!(
            "{}/2015-03-31/functions/worker/invocations",
            emulator.base()
        );
        let s = sweeper.clone();
        std::thread::Builder::new()
            .name("lambda-sweeper".into())
            .spawn(move || s.run(&url))
            .expect("sweeper thread");
        Shared {
            emulator,
            _watchdog: watchdog,
            store,
            _dir: dir,
            taken: Arc::new((Mutex::new(false), Condvar::new())),
            sweeper,
        }
    }

    fn take_turn(&self) -> Turn {
        let (taken, free) = &*self.taken;
        let mut t = taken.lock().unwrap_or_else(|e| e.into_inner());
        while *t {
            t = free.wait(t).unwrap_or_else(|e| e.into_inner());
        }
        *t = true;
        Turn {
            taken: self.taken.clone(),
            sweeper: self.sweeper.clone(),
        }
    }

    /// Deletes every job and series through the API (no job runs: the sweeps are stopped).
    fn empty_the_store(&self) {
        let http = client();
        let base = self.emulator.base();
        let get = |path: &str| -> Value {
            let r = http.get(format!("{base}{path}")).send().unwrap();
            assert_eq!(r.status(), 200, "GET {path}");
            r.json().unwrap()
        };
        let delete = |path: String| {
            let r = http.delete(format!("{base}{path}")).send().unwrap();
            let status = r.status();
            assert_eq!(
                status,
                204,
                "emptying the store: DELETE {path}: {}",
                r.text().unwrap()
            );
        };
        loop {
            let jobs = get("/jobs?limit=1000")["jobs"].as_array().unwrap().clone();
            if jobs.is_empty() {
                break;
            }
            for j in jobs {
                delete(format!("/jobs/{}", j["id"].as_str().unwrap()));
            }
        }
        for s in get("/series")["series"].as_array().unwrap() {
            delete(format!("/series/{}", s["id"].as_str().unwrap()));
        }
        assert_eq!(get("/series")["series"], json!([]));
    }
}

/// Starts every function once (its first invocation builds it under the emulator), so no test
/// pays for that: each route with a request it refuses or answers at once.
fn warm_up(emulator: &Emulator) {
    let http = reqwest::blocking::Client::builder()
        .timeout(READY_TIMEOUT)
        .build()
        .expect("client");
    let base = emulator.base();
    let mut threads = Vec::new();
    for (method, path, function) in super::cargo_router() {
        let path = path
            .replace("{series}", "warm-up")
            .replace("{t}", "0")
            .replace("{id}", "00000000-0000-4000-8000-000000000000");
        let (http, url) = (http.clone(), format!("{base}{path}"));
        threads.push(std::thread::spawn(move || {
            let r = http.request(method.parse().unwrap(), &url).send();
            let r = r.unwrap_or_else(|e| panic!("{function}: {method} {url}: {e}"));
            assert!(
                r.status().as_u16() < 500,
                "{function}: {method} {url}: {}",
                r.status()
            );
        }));
    }
    let sweep = format!("{base}/2015-03-31/functions/worker/invocations");
    threads.push(std::thread::spawn(move || {
        let r = http.post(&sweep).body(r#"{"sweep": true}"#).send();
        assert!(
            r.is_ok_and(|r| r.status().is_success()),
            "worker: the sweep"
        );
    }));
    for t in threads {
        t.join().expect("warm-up");
    }
}

/// Invokes the worker function with the sweep event while it is on.
#[derive(Default)]
struct Sweeper {
    state: Mutex<SweepState>,
    changed: Condvar,
}

#[derive(Default)]
struct SweepState {
    on: bool,
    /// A sweep is in flight.
    busy: bool,
}

impl Sweeper {
    /// Turns the sweeps on or off; returns once no sweep is in flight.
    fn set(&self, on: bool) {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        st.on = on;
        self.changed.notify_all();
        while st.busy {
            st = self.changed.wait(st).unwrap_or_else(|e| e.into_inner());
        }
    }

    fn run(&self, url: &str) {
        let http = reqwest::blocking::Client::builder()
            .timeout(READY_TIMEOUT)
            .build()
            .expect("client");
        loop {
            {
                let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
                while !st.on {
                    st = self.changed.wait(st).unwrap_or_else(|e| e.into_inner());
                }
                st.busy = true;
            }
            let ran = match http.post(url).body(r#"{"sweep": true}"#).send() {
                Ok(r) => {
                    let status = r.status();
                    let text = r.text().unwrap_or_default();
                    match serde_json::from_str::<Value>(&text) {
                        Ok(v) if status.is_success() && v["ran"].is_array() => {
                            v["ran"].as_array().map_or(0, Vec::len)
                        }
                        _ => {
                            eprintln!(
                                "conformance_lambda: the worker's sweep answered {status}: {text}"
                            );
                            0
                        }
                    }
                }
                Err(e) => {
                    eprintln!("conformance_lambda: the worker's sweep failed: {e}");
                    0
                }
            };
            {
                let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
                st.busy = false;
                self.changed.notify_all();
            }
            if ran == 0 {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
}
