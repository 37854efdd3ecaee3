//! `tsfn serve` inside the test process: the same pieces `tsfn serve` puts together (the store
//! from the settings, the bundled dataset when asked, the in-process job workers and
//! `tsfn::server::serve` on 127.0.0.1 port 0), on a tokio runtime of its own on a thread of its
//! own, stopped when the [`Server`] is dropped. For contract tests, where a separate process
//! proves nothing and costs a start-up; suites about processes (kill, restart, outage, drain,
//! separate workers, the CLI) start `tsfn` itself (see [`Server::start`]).
//!
//! Its settings come from the variables a test passes, read by the settings' own definitions
//! (so they are validated and defaulted as `tsfn` does), never from the test process's
//! environment.

use std::net::SocketAddr;
use std::sync::mpsc;
use std::thread::JoinHandle;

use clap::{Args, FromArgMatches};
use tokio::sync::{oneshot, watch};
use tsfn_shared::app::App;
use tsfn_shared::jobs::worker as jobs_worker;
use tsfn_shared::settings::Settings;

use super::{client, with_no_seed, RedisProc, Server, START_TIMEOUT};

/// On a fresh SQLite file in its own temporary directory, without the dataset.
pub fn sqlite_file(env: &[(&str, &str)]) -> Server {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = format!("sqlite://{}", dir.path().join("tsfn.db").display());
    let mut s = start(&store, &with_no_seed(env));
    s.dir = Some(dir);
    s
}

/// On an in-memory SQLite database, without the dataset.
pub fn sqlite_memory(env: &[(&str, &str)]) -> Server {
    start("sqlite::memory:", &with_no_seed(env))
}

/// On its own fresh redis-server, without the dataset.
pub fn redis(env: &[(&str, &str)]) -> Server {
    let redis = RedisProc::start();
    let mut s = start(&redis.url(), &with_no_seed(env));
    s.redis = Some(redis);
    s
}

/// Serves `store` with the settings the variables `env` give, on 127.0.0.1 port 0: in process,
/// what [`Server::start`] is as a process.
pub fn start(store: &str, env: &[(&str, &str)]) -> Server {
    let mut vars = vec![("TSFN_STORE", store)];
    vars.extend_from_slice(env);
    let settings = settings(&vars);
    let (host, addr) = InProcess::launch(settings);
    Server {
        child: None,
        host: Some(Box::new(host)),
        base: format!("http://{addr}"),
        store: store.to_owned(),
        client: client(),
        dir: None,
        redis: None,
        log_file: None,
    }
}

/// The settings `tsfn` reads from these variables and nothing else (a later pair wins over an
/// earlier one): each value goes through its setting's parser as the variable's would.
pub fn settings(vars: &[(&str, &str)]) -> Settings {
    let cmd = Settings::augment_args(clap::Command::new("tsfn").no_binary_name(true));
    for (var, _) in vars {
        assert!(
            cmd.get_arguments()
                .any(|a| a.get_env().is_some_and(|e| e == *var)),
            "{var} is not a setting"
        );
    }
    let cmd = cmd.mut_args(|a| {
        let value = a
            .get_env()
            .and_then(|e| vars.iter().rev().find(|(var, _)| e == *var))
            .map(|(_, value)| *value);
        let a = a.env(None);
        match value {
            // As the variable would be, the value becomes the default; empty counts as unset.
            Some(v) if !v.is_empty() => a.default_value(&*Box::leak(v.to_owned().into_boxed_str())),
            _ => a,
        }
    });
    let matches = cmd
        .try_get_matches_from(std::iter::empty::<&str>())
        .unwrap_or_else(|e| panic!("settings {vars:?}: {e}"));
    Settings::from_arg_matches(&matches).unwrap_or_else(|e| panic!("settings {vars:?}: {e}"))
}

/// The running server's thread; dropping it stops the server and its workers.
struct InProcess {
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl InProcess {
    fn launch(settings: Settings) -> (InProcess, SocketAddr) {
        let (ready, started) = mpsc::channel();
        let (stop, stopped) = oneshot::channel();
        let thread = std::thread::Builder::new()
            .name("tsfn-in-process".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .expect("tokio runtime");
                runtime.block_on(serve(settings, ready, stopped));
                // As `tsfn` does at exit: an analysis still on the blocking pool is not waited for.
                runtime.shutdown_background();
            })
            .expect("spawn the server's thread");
        let host = InProcess {
            stop: Some(stop),
            thread: Some(thread),
        };
        match started.recv_timeout(START_TIMEOUT) {
            Ok(Ok(addr)) => (host, addr),
            Ok(Err(e)) => panic!("tsfn did not start in process: {e}"),
            Err(_) => panic!("tsfn did not start in process within {START_TIMEOUT:?}"),
        }
    }
}

impl Drop for InProcess {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// What `tsfn serve` does (tsfn/src/main.rs), with the address reported to the test and the
/// shutdown signal replaced by `stop`.
async fn serve(
    settings: Settings,
    ready: mpsc::Sender<Result<SocketAddr, String>>,
    stop: oneshot::Receiver<()>,
) {
    let seed = settings.seed;
    let store = settings.store.clone();
    let app = match App::new(settings).await {
        Ok(app) => app,
        Err(e) => {
            let _ = ready.send(Err(format!("cannot open store {store}: {e}")));
            return;
        }
    };
    // As `tsfn serve`: a store that is not ready yet is waited for (bounded), not fatal.
    let _ = app.store.wait_ready(&mut |_| {}).await;
    if seed {
        if let Err(e) = tsfn::seed::seed_if_empty(app.store.as_ref()).await {
            let _ = ready.send(Err(format!("loading the bundled dataset: {e}")));
            return;
        }
    }
    let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
        Ok(l) => l,
        Err(e) => {
            let _ = ready.send(Err(format!("cannot listen: {e}")));
            return;
        }
    };
    let addr = listener.local_addr().expect("local address");
    let (stop_workers, workers_stopped) = watch::channel(false);
    let n = app.settings.workers;
    let (policy, name) = (app.settings.policy(), app.settings.worker_name());
    for i in 0..n {
        let worker = if n == 1 {
            name.clone()
        } else {
            format!("{name}/{i}")
        };
        tokio::spawn(jobs_worker::run(
            app.clone(),
            worker,
            policy,
            workers_stopped.clone(),
        ));
    }
    if n > 0 {
        tokio::spawn(tsfn_shared::sweep::run(
            app.clone(),
            workers_stopped.clone(),
        ));
    }
    let _ = ready.send(Ok(addr));
    tsfn::server::serve(app, listener, async {
        let _ = stop.await;
    })
    .await;
    // The workers stop with the runtime, as a process's would with it.
    let _ = stop_workers.send(true);
}
