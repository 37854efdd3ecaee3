//! `tsfn`: every route in one process. `tsfn serve` (the default) serves the whole HTTP API on
//! one port against the store named by `TSFN_STORE`, loading the bundled dataset into an empty
//! store first.

use std::process::ExitCode;

// A faster allocator for a server that allocates per request (measured by scripts/bench.sh).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tsfn::{routes, seed, server};
use tsfn_shared::app::{App, Config};
use tsfn_shared::jobs::{worker as jobs_worker, Policy};

const USAGE: &str = "\
tsfn: time-series functions

USAGE:
    tsfn [serve] [--bind ADDR] [--store URL] [--no-seed]
    tsfn worker [--store URL]  run job workers only (the API runs elsewhere)
    tsfn seed [--store URL] load the bundled dataset into the store (idempotent)
    tsfn init-store [--store URL]  create the DynamoDB tables (other stores need nothing)
    tsfn routes            print the route table (method, path, function)
    tsfn --help | --version

ENVIRONMENT (flags win):
    TSFN_BIND             address to listen on (default 127.0.0.1:3000)
    TSFN_STORE            sqlite://PATH (default sqlite://./data/tsfn.db), sqlite::memory:,
                          redis://HOST:PORT/DB, or dynamodb://TABLE_PREFIX
    TSFN_SEED             0 to start without loading the bundled dataset into an empty store
    TSFN_WORKERS          job workers in this process (default 2; 0 in `serve` = API only)
    TSFN_JOB_LEASE_MS     a running job's lease; a dead worker's job is retried after it (default 30000)
    TSFN_JOB_MAX_ATTEMPTS claims before a job fails for good (default 3)
    TSFN_SHUTDOWN_GRACE_MS on SIGTERM, how long a running job may finish before it is handed back (default 20000)
    WORKER_ID / POD_IP    the name workers record in jobs (default host:pid)
    TSFN_API_KEY          require this key (Authorization: Bearer KEY) on every route but /health, /ready
    TSFN_MAX_BODY_BYTES   request body limit in bytes (default 33554432)
    TSFN_DYNAMODB_TIMEOUT_MS  per-attempt bound on a DynamoDB call (default 5000)
    RUST_LOG              log filter (default info)
";

struct Args {
    command: String,
    bind: Option<String>,
    store: Option<String>,
    seed: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        command: "serve".into(),
        bind: None,
        store: None,
        seed: true,
    };
    let mut it = std::env::args().skip(1);
    let mut positional = Vec::new();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--bind" => args.bind = Some(it.next().ok_or("--bind needs an address")?),
            "--store" => args.store = Some(it.next().ok_or("--store needs a URL")?),
            "--no-seed" => args.seed = false,
            "-h" | "--help" => positional.push("help".to_owned()),
            "-V" | "--version" => positional.push("version".to_owned()),
            s if s.starts_with('-') => return Err(format!("unknown option {s}")),
            s => positional.push(s.to_owned()),
        }
    }
    match positional.as_slice() {
        [] => {}
        [c] => args.command = c.clone(),
        _ => return Err(format!("unexpected arguments {positional:?}")),
    }
    Ok(args)
}

fn main() -> ExitCode {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let code = runtime.block_on(run());
    // Whatever is still on the blocking pool was abandoned (an analysis whose job a worker handed
    // back at shutdown): exit now rather than wait for it to finish unused.
    runtime.shutdown_background();
    code
}

async fn run() -> ExitCode {
    tsfn_shared::telemetry::init();
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let result = match args.command.as_str() {
        "serve" => serve(args).await,
        "seed" => seed_store(args).await,
        "init-store" => init_store(args).await,
        "worker" => worker(args).await,
        "routes" => {
            for r in routes::ROUTES {
                println!("{:<7} {:<32} {}", r.method, r.path, r.function);
            }
            Ok(())
        }
        "help" => {
            print!("{USAGE}");
            Ok(())
        }
        "version" => {
            println!("tsfn {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
        other => Err(format!("unknown command {other:?}\n\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn config(args: &Args) -> Result<Config, String> {
    let mut config = Config::from_env().map_err(|e| e.to_string())?;
    if let Some(s) = &args.store {
        config.store = s.clone();
    }
    Ok(config)
}

async fn init_store(args: Args) -> Result<(), String> {
    let config = config(&args)?;
    tsfn_shared::store::init(&config.store, &mut |line| println!("{line}"))
        .await
        .map_err(|e| e.to_string())?;
    println!("{} is ready", config.store);
    Ok(())
}

async fn seed_store(args: Args) -> Result<(), String> {
    let config = config(&args)?;
    let store_url = config.store.clone();
    let app = App::new(config)
        .await
        .map_err(|e| format!("cannot open store {store_url}: {e}"))?;
    wait_ready(&app).await;
    let n = seed::load_all(app.store.as_ref())
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "loaded {n} points in {} series into {store_url}",
        seed::DATASETS.len()
    );
    Ok(())
}

async fn serve(args: Args) -> Result<(), String> {
    let config = config(&args)?;
    let seed = args.seed && std::env::var("TSFN_SEED").map_or(true, |v| v != "0" && v != "false");
    let bind = args
        .bind
        .or_else(|| std::env::var("TSFN_BIND").ok())
        .unwrap_or_else(|| "127.0.0.1:3000".into());
    let store_url = config.store.clone();
    let app = App::new(config)
        .await
        .map_err(|e| format!("cannot open store {store_url}: {e}"))?;
    wait_ready(&app).await;
    if seed {
        let n = seed::seed_if_empty(app.store.as_ref())
            .await
            .map_err(|e| format!("loading the bundled dataset: {e}"))?;
        if n > 0 {
            tracing::info!(
                points = n,
                series = seed::DATASETS.len(),
                "loaded the bundled dataset"
            );
        }
    }
    let listener = TcpListener::bind(&bind)
        .await
        .map_err(|e| format!("cannot listen on {bind}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    // The first stdout line is machine-readable for scripts and tests that bind port 0.
    println!("tsfn listening on http://{addr} (store {store_url})");
    println!("try:");
    println!("  curl -s http://{addr}/series");
    println!("  curl -s 'http://{addr}/series/co2/points?from=1990-01-01&to=1991-01-01&limit=5'");
    println!("  curl -s 'http://{addr}/series/co2/points?every=365d&agg=mean&limit=5'");
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let (stop, stopped) = watch::channel(false);
    let workers = spawn_workers(&app, stopped)?;
    server::serve(app, listener, shutdown_signal()).await;
    let _ = stop.send(true);
    for w in workers {
        let _ = w.await;
    }
    Ok(())
}

/// Starts `TSFN_WORKERS` (default 2) worker loops in this process.
fn spawn_workers(
    app: &std::sync::Arc<App>,
    stopped: watch::Receiver<bool>,
) -> Result<Vec<JoinHandle<()>>, String> {
    let n: usize = match std::env::var("TSFN_WORKERS") {
        Ok(v) if !v.is_empty() => v
            .parse()
            .map_err(|_| format!("TSFN_WORKERS: not a number: {v:?}"))?,
        _ => 2,
    };
    let policy = Policy::from_env().map_err(|e| e.to_string())?;
    let name = jobs_worker::worker_name();
    Ok((0..n)
        .map(|i| {
            let worker = if n == 1 {
                name.clone()
            } else {
                format!("{name}/{i}")
            };
            tokio::spawn(jobs_worker::run(
                app.clone(),
                worker,
                policy,
                stopped.clone(),
            ))
        })
        .collect())
}

/// `tsfn worker`: job workers against the configured store, no HTTP. Stops on SIGINT/SIGTERM after
/// finishing (or handing back) the jobs in hand.
async fn worker(args: Args) -> Result<(), String> {
    let config = config(&args)?;
    let store_url = config.store.clone();
    let app = App::new(config)
        .await
        .map_err(|e| format!("cannot open store {store_url}: {e}"))?;
    wait_ready(&app).await;
    let (stop, stopped) = watch::channel(false);
    let workers = spawn_workers(&app, stopped)?;
    println!(
        "tsfn worker {} running {} worker(s) on {store_url}",
        jobs_worker::worker_name(),
        workers.len()
    );
    use std::io::Write;
    let _ = std::io::stdout().flush();
    shutdown_signal().await;
    let _ = stop.send(true);
    for w in workers {
        let _ = w.await;
    }
    Ok(())
}

/// Waits (bounded) for a store still being set up, such as DynamoDB tables just created. A store
/// that stays unusable is logged, not fatal: requests answer 503 saying why until it is fixed.
async fn wait_ready(app: &App) {
    let waited = app
        .store
        .wait_ready(&mut |line| tracing::info!("{line}"))
        .await;
    if let Err(e) = waited {
        tracing::warn!(error = %e, "store not ready at start");
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("signal handler");
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
