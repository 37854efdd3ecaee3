//! `tsfn`: every route in one process. `tsfn serve` (the default) serves the whole HTTP API on
//! one port against the store named by `TSFN_STORE`, loading the bundled dataset into an empty
//! store first.
//!
//! The command line is clap's: the commands below, plus every setting of
//! [`tsfn_shared::settings::Settings`] as a flag backed by its variable, so `tsfn --help` shows
//! the same definitions the Lambda functions read.

use std::process::ExitCode;

// A faster allocator for a server that allocates per request (measured by scripts/bench.sh).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tsfn::{gather, metrics, routes, seed, server};
use tsfn_shared::app::App;
use tsfn_shared::jobs::worker as jobs_worker;
use tsfn_shared::settings::{self, Settings};

/// tsfn: time-series functions
#[derive(Parser)]
#[command(
    name = "tsfn",
    version,
    after_help = "Every option can also be set by the variable shown with it (the option wins); an empty variable counts as unset."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Cmd>,
    #[command(flatten)]
    settings: Settings,
}

#[derive(Subcommand)]
enum Cmd {
    /// Serve the whole HTTP API on one port, with job workers (the default command)
    Serve,
    /// Run job workers only (the API runs elsewhere)
    Worker,
    /// Load the bundled dataset into the store (idempotent)
    Seed,
    /// Create the DynamoDB tables (other stores need nothing)
    InitStore,
    /// Print the route table (method, path, function)
    Routes,
    /// Make API keys
    #[command(subcommand)]
    Key(KeyCmd),
    /// Write a debug bundle (.tar.gz): version, settings with secrets redacted, store
    /// reachability and sizes, queue state, recent failed jobs
    Gather {
        /// Where to write it; `-` for stdout
        #[arg(long, short, value_name = "PATH", default_value = "tsfn-gather.tar.gz")]
        out: String,
    },
    /// Print the OpenAPI 3.1 document of the API (what GET /openapi.json serves)
    Openapi,
    /// Ingest files of points (CSV with the header t,v, NDJSON, or InfluxDB line protocol;
    /// gzip or not), streamed and written in bulk; a file with a bad line writes nothing
    Ingest {
        /// The files
        #[arg(required = true, value_name = "FILE")]
        files: Vec<String>,
        /// The series of CSV and NDJSON files (default: from each path by TSFN_INGEST_PATTERN;
        /// line protocol names its own)
        #[arg(long, value_name = "ID")]
        series: Option<String>,
    },
    /// Print the version
    #[command(hide = true)]
    Version,
}

#[derive(Subcommand)]
enum KeyCmd {
    /// Print a new random key and its TSFN_API_KEYS entry (only the entry, which holds the
    /// key's hash, goes into the configuration; the key goes to the caller)
    New {
        /// The key's name, shown in logs and metrics: letters, digits, '-', '_', '.'
        name: String,
        /// Its scopes: read, write, admin (admin includes the others), comma-separated
        #[arg(long, default_value = "read")]
        scopes: String,
    },
}

fn main() -> ExitCode {
    // Settings are validated before anything starts: clap prints what is wrong and exits with
    // status 2 (0 for --help and --version).
    let matches = settings::prepare(Cli::command())
        .try_get_matches()
        .unwrap_or_else(|e| e.exit());
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let code = runtime.block_on(run(cli, &matches));
    // Whatever is still on the blocking pool was abandoned (an analysis whose job a worker handed
    // back at shutdown): exit now rather than wait for it to finish unused.
    runtime.shutdown_background();
    code
}

async fn run(cli: Cli, matches: &clap::ArgMatches) -> ExitCode {
    let settings = cli.settings;
    tsfn_shared::telemetry::init(&settings);
    let result = match cli.command.unwrap_or(Cmd::Serve) {
        Cmd::Serve => serve(settings).await,
        Cmd::Seed => seed_store(settings).await,
        Cmd::InitStore => init_store(settings).await,
        Cmd::Worker => worker(settings).await,
        Cmd::Routes => {
            for r in routes::ROUTES {
                println!("{:<7} {:<32} {}", r.method, r.path, r.function);
            }
            Ok(())
        }
        Cmd::Key(KeyCmd::New { name, scopes }) => new_key(&name, &scopes),
        Cmd::Gather { out } => {
            // The subcommand's matches: where each setting came from, as given after it too.
            let m = matches.subcommand_matches("gather").unwrap_or(matches);
            gather::write(settings, m, &out).await
        }
        Cmd::Openapi => {
            println!(
                "{}",
                String::from_utf8(tsfn_shared::openapi::to_json()).expect("JSON is UTF-8")
            );
            Ok(())
        }
        Cmd::Ingest { files, series } => {
            tsfn::ingest::run(&settings, &files, series.as_deref()).await
        }
        Cmd::Version => {
            println!("tsfn {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn new_key(name: &str, scopes: &str) -> Result<(), String> {
    use base64::Engine;
    let mut raw = [0u8; 32];
    getrandom::fill(&mut raw).map_err(|e| format!("no random source: {e}"))?;
    let key = format!(
        "tsfn_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
    );
    let entry = format!("{name}:{scopes}:{}", tsfn_shared::access::sha256_hex(&key));
    // The same check the server makes of the entry.
    tsfn_shared::access::Keys::parse(&entry)?;
    println!("key:   {key}");
    println!("entry: {entry}");
    eprintln!("Give the key to its caller and add the entry to TSFN_API_KEYS or TSFN_API_KEYS_FILE; the key is not shown again.");
    Ok(())
}

async fn init_store(settings: Settings) -> Result<(), String> {
    tsfn_shared::store::init(&settings, &mut |line| println!("{line}"))
        .await
        .map_err(|e| e.to_string())?;
    println!("{} is ready", settings.store);
    Ok(())
}

async fn seed_store(settings: Settings) -> Result<(), String> {
    let store_url = settings.store.clone();
    let app = App::new(settings)
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

async fn serve(settings: Settings) -> Result<(), String> {
    let (seed, bind) = (settings.seed, settings.bind.clone());
    let store_url = settings.store.clone();
    let app = App::new(settings)
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
    metrics::listen(app.clone(), metrics::install()).await?;
    metrics::count_queue(app.clone());
    let (stop, stopped) = watch::channel(false);
    let workers = spawn_workers(&app, stopped);
    server::serve(app, listener, shutdown_signal()).await;
    let _ = stop.send(true);
    for w in workers {
        let _ = w.await;
    }
    Ok(())
}

/// Starts `TSFN_WORKERS` (default 2) worker loops in this process, and with them the periodic
/// sweep (expired jobs, retention); with no workers (an API-only `serve`) no sweep either.
fn spawn_workers(app: &std::sync::Arc<App>, stopped: watch::Receiver<bool>) -> Vec<JoinHandle<()>> {
    let n = app.settings.workers;
    let policy = app.settings.policy();
    let name = app.settings.worker_name();
    let sweeper =
        (n > 0).then(|| tokio::spawn(tsfn_shared::sweep::run(app.clone(), stopped.clone())));
    (0..n)
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
        .chain(sweeper)
        .collect()
}

/// `tsfn worker`: job workers against the configured store, no HTTP. Stops on SIGINT/SIGTERM after
/// finishing (or handing back) the jobs in hand.
async fn worker(settings: Settings) -> Result<(), String> {
    let store_url = settings.store.clone();
    let app = App::new(settings)
        .await
        .map_err(|e| format!("cannot open store {store_url}: {e}"))?;
    wait_ready(&app).await;
    metrics::listen(app.clone(), metrics::install()).await?;
    metrics::count_queue(app.clone());
    let (stop, stopped) = watch::channel(false);
    let workers = spawn_workers(&app, stopped);
    println!(
        "tsfn worker {} running {} worker(s) on {store_url}",
        app.settings.worker_name(),
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
