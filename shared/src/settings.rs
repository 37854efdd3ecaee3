//! Every setting of tsfn as one typed value, [`Settings`], built once per process (per `tsfn`
//! run, per Lambda sandbox) from the environment, and for `tsfn` also from its command line.
//!
//! Each setting is defined once, below: its variable, its flag, its default, what it accepts and
//! its help. clap turns those definitions into the parser, into `tsfn --help` and into the
//! list `tsfn/tests/settings.rs` checks the README's Settings table and docs/deploy.md against.
//! The Lambda functions parse the same definitions with no arguments, so they read exactly the
//! variables `tsfn` reads, with the same defaults and the same validation.
//!
//! Rules every setting follows:
//! - a flag wins over its variable, the variable over the default;
//! - an empty variable counts as unset (SAM parameters and container specs leave some empty, e.g.
//!   `TSFN_API_KEY: ""` for an open API);
//! - a value is validated here, before anything starts: `tsfn` stops with status 2 and a message
//!   naming the variable and what it accepts; a Lambda function fails its init with that message.
//!
//! Nothing else in the workspace reads the environment, tests aside (the AWS SDK reads its own
//! standard variables, such as `AWS_REGION`, which are not tsfn settings).
//!
//! Why clap in the Lambda binaries too: one definition per setting is the point, and parsing an
//! empty command line costs microseconds at init. What clap cannot do: a variable set to a bad
//! value is an error even when its flag is given as well (clap reads the variable at each command
//! level before it merges them), which is a reason to fix the environment, not a hazard.

use std::ffi::OsStr;
use std::time::Duration;

use clap::builder::TypedValueParser;
use clap::error::ErrorKind;
use clap::{Arg, ArgAction, Args, Command, FromArgMatches};

use crate::access::{Keys, Rate};
use crate::jobs::Policy;

pub const DEFAULT_STORE: &str = "sqlite://./data/tsfn.db";
pub const DEFAULT_MAX_BODY: usize = 32 << 20;

#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Store URL: sqlite://PATH, sqlite::memory:, redis://HOST:PORT/DB or dynamodb://PREFIX
    #[arg(long, env = "TSFN_STORE", value_name = "URL", default_value = DEFAULT_STORE)]
    pub store: String,

    /// Address `tsfn serve` listens on (port 0 picks a free one)
    #[arg(
        long,
        env = "TSFN_BIND",
        value_name = "HOST:PORT",
        default_value = "127.0.0.1:3000",
        value_parser = Check::new(host_port, "HOST:PORT, such as 127.0.0.1:3000 or 0.0.0.0:3000"),
    )]
    pub bind: String,

    /// Do not load the bundled dataset into an empty store when `tsfn serve` starts (the
    /// variable: 1 or true loads it, the default; 0 or false does not)
    #[arg(
        long = "no-seed",
        env = "TSFN_SEED",
        action = ArgAction::Set,
        num_args = 0,
        default_missing_value = "0",
        default_value = "1",
        value_parser = Check::new(boolean, "1, true, 0 or false"),
    )]
    pub seed: bool,

    /// Job workers per `tsfn serve` or `tsfn worker` process (0 in `serve`: API only)
    #[arg(
        long,
        env = "TSFN_WORKERS",
        value_name = "N",
        default_value = "2",
        value_parser = Check::new(|s| s.parse::<usize>().ok(), "a whole number (0 or more)"),
    )]
    pub workers: usize,

    /// A running job's lease in ms, renewed while it runs; a dead worker's job is retried after it
    #[arg(
        long,
        env = "TSFN_JOB_LEASE_MS",
        value_name = "MS",
        default_value = "30000",
        // At most a day, so `now + lease` can never overflow.
        value_parser = Check::new(
            |s| s.parse::<i64>().ok().filter(|ms| (100..=86_400_000).contains(ms)),
            "a whole number of milliseconds from 100 to 86400000 (a day)",
        ),
    )]
    pub job_lease_ms: i64,

    /// Claims before a job fails for good
    #[arg(
        long,
        env = "TSFN_JOB_MAX_ATTEMPTS",
        value_name = "N",
        default_value = "3",
        value_parser = Check::new(
            |s| s.parse::<u32>().ok().filter(|n| *n >= 1),
            "a whole number, 1 or more",
        ),
    )]
    pub job_max_attempts: u32,

    /// How long a finished job and its result are kept (such as 7d, 12h, 30s); then they are
    /// gone: 404 on the job and its result, absent from the listing
    #[arg(
        long,
        env = "TSFN_JOB_TTL",
        value_name = "DURATION",
        default_value = "7d",
        value_parser = Check::new(|s| crate::time::parse_duration(s).ok().filter(|ms| *ms >= 1000), "a duration of 1s or more, such as 7d, 12h, 30m or 30s"),
    )]
    /// In ms.
    pub job_ttl: i64,

    /// Most queued jobs; above it `POST /jobs` answers 503 with Retry-After and queues nothing
    /// (0: no limit)
    #[arg(
        long,
        env = "TSFN_MAX_QUEUED_JOBS",
        value_name = "N",
        default_value = "10000",
        value_parser = Check::new(|s| s.parse::<u64>().ok(), "a whole number (0 for no limit)"),
    )]
    pub max_queued_jobs: u64,

    /// How often workers remove expired jobs and the points older than each series' retention
    #[arg(
        long,
        env = "TSFN_SWEEP_INTERVAL",
        value_name = "DURATION",
        default_value = "1m",
        value_parser = Check::new(|s| crate::time::parse_duration(s).ok().filter(|ms| (100..=86_400_000).contains(ms)).map(|ms| Duration::from_millis(ms as u64)), "a duration from 100ms to 1d, such as 1m, 30s or 1h"),
    )]
    pub sweep_interval: Duration,

    /// On SIGTERM, how long (ms) a running job may take to finish before it is handed back
    #[arg(
        long,
        env = "TSFN_SHUTDOWN_GRACE_MS",
        value_name = "MS",
        default_value = "20000",
        value_parser = Check::new(|s| s.parse::<u64>().ok(), "a whole number of milliseconds (0 or more)"),
    )]
    pub shutdown_grace_ms: u64,

    /// Per-attempt bound (ms) on a DynamoDB call, the whole call 3x: a hung endpoint becomes a 503
    #[arg(
        long,
        env = "TSFN_DYNAMODB_TIMEOUT_MS",
        value_name = "MS",
        default_value = "5000",
        value_parser = Check::new(
            |s| s.parse::<u64>().ok().filter(|ms| *ms > 0),
            "a whole number of milliseconds, 1 or more",
        ),
    )]
    pub dynamodb_timeout_ms: u64,

    /// How long (ms) a request waits for a Redis reply before answering 503
    #[arg(
        long,
        env = "TSFN_REDIS_TIMEOUT_MS",
        value_name = "MS",
        default_value = "3000",
        value_parser = Check::new(positive_ms, "a whole number of milliseconds, 1 or more"),
    )]
    pub redis_timeout_ms: u64,

    /// How long (ms) a request waits for a connection to Redis before answering 503
    #[arg(
        long,
        env = "TSFN_REDIS_CONNECT_TIMEOUT_MS",
        value_name = "MS",
        default_value = "1000",
        value_parser = Check::new(positive_ms, "a whole number of milliseconds, 1 or more"),
    )]
    pub redis_connect_timeout_ms: u64,

    /// How long (ms) a DynamoDB connection may take to open
    #[arg(
        long,
        env = "TSFN_DYNAMODB_CONNECT_TIMEOUT_MS",
        value_name = "MS",
        default_value = "2000",
        value_parser = Check::new(positive_ms, "a whole number of milliseconds, 1 or more"),
    )]
    pub dynamodb_connect_timeout_ms: u64,

    /// How long (ms) a SQLite call waits for another writer's lock before answering 503
    #[arg(
        long,
        env = "TSFN_SQLITE_BUSY_TIMEOUT_MS",
        value_name = "MS",
        default_value = "10000",
        value_parser = Check::new(positive_ms, "a whole number of milliseconds, 1 or more"),
    )]
    pub sqlite_busy_timeout_ms: u64,

    /// On SIGTERM, how long (ms) `tsfn serve` lets in-flight requests finish
    #[arg(
        long,
        env = "TSFN_DRAIN_MS",
        value_name = "MS",
        default_value = "20000",
        value_parser = Check::new(|s| s.parse::<u64>().ok(), "a whole number of milliseconds (0 or more)"),
    )]
    pub drain_ms: u64,

    /// How long (ms) `tsfn serve` waits for a request's headers before closing the connection
    #[arg(
        long,
        env = "TSFN_HEADER_TIMEOUT_MS",
        value_name = "MS",
        default_value = "30000",
        value_parser = Check::new(positive_ms, "a whole number of milliseconds, 1 or more"),
    )]
    pub header_timeout_ms: u64,

    /// Request body limit in bytes; larger bodies get 413
    #[arg(
        long,
        env = "TSFN_MAX_BODY_BYTES",
        value_name = "BYTES",
        default_value = "33554432",
        value_parser = Check::new(|s| s.parse::<usize>().ok(), "a whole number of bytes"),
    )]
    pub max_body_bytes: usize,

    /// Require this key (`Authorization: Bearer KEY` or `x-api-key: KEY`) on every route but
    /// the open ones (/health, /ready, /ping, the console, /openapi.json, /docs): a key with
    /// every scope, beside those of TSFN_API_KEYS
    #[arg(long, env = "TSFN_API_KEY", value_name = "KEY", hide_env_values = true)]
    pub api_key: Option<String>,

    /// API keys with scopes, as NAME:SCOPES:SHA256 entries separated by `;` or spaces (scopes
    /// read, write, admin joined by `,`; the hash of a key from `tsfn key new`)
    #[arg(
        long,
        env = "TSFN_API_KEYS",
        value_name = "KEYS",
        hide_env_values = true,
        value_parser = Check::explained(Keys::parse),
    )]
    pub api_keys: Option<Keys>,

    /// A file of API keys in the TSFN_API_KEYS form, one or more per line, `#` comments (read
    /// at start: restart after changing it)
    #[arg(
        long,
        env = "TSFN_API_KEYS_FILE",
        value_name = "PATH",
        value_parser = Check::explained(keys_file),
    )]
    pub api_keys_file: Option<Keys>,

    /// Origins browsers may call the API from (CORS), comma-separated, or `*`; unset: no CORS
    /// headers, browsers allow same-origin calls only
    #[arg(
        long,
        env = "TSFN_CORS_ORIGINS",
        value_name = "ORIGINS",
        value_parser = Check::explained(CorsOrigins::parse),
    )]
    pub cors_origins: Option<CorsOrigins>,

    /// Requests each caller (a key, else a client address) may make, such as 100/s, 6000/min
    /// or 10000/h, in bursts of up to that count, per process; above it 429 with Retry-After.
    /// Unset: no limit
    #[arg(
        long,
        env = "TSFN_RATE_LIMIT",
        value_name = "RATE",
        value_parser = Check::new(Rate::parse, "a count per s, min or h, such as 100/s or 6000/min"),
    )]
    pub rate_limit: Option<Rate>,

    /// A second address serving only GET /metrics, without a key (for a Prometheus scrape
    /// that the API's port and its keys stay closed to); `tsfn worker` serves metrics only there
    #[arg(
        long,
        env = "TSFN_METRICS_BIND",
        value_name = "HOST:PORT",
        value_parser = Check::new(host_port, "HOST:PORT, such as 0.0.0.0:9090"),
    )]
    pub metrics_bind: Option<String>,

    /// How InfluxDB line protocol names series: {db} (or {bucket}), {measurement}, {field} and
    /// {tag:KEY} between literal text, lowercased; the tags become labels
    #[arg(
        long,
        env = "TSFN_LINE_TEMPLATE",
        value_name = "TEMPLATE",
        default_value = crate::lineproto::DEFAULT_TEMPLATE,
        value_parser = Check::new(|s| crate::lineproto::Template::parse(s).ok(), "a template holding {field}, such as {db}.{measurement}.{field} or {db}.{measurement}.{tag:host}.{field}"),
    )]
    pub line_template: crate::lineproto::Template,

    /// The secret job notifications (`notify` of POST /jobs) are signed with (HMAC-SHA256, header
    /// X-Tsfn-Signature-256); unset: submitting `notify` is refused
    #[arg(
        long,
        env = "TSFN_NOTIFY_SECRET",
        value_name = "SECRET",
        hide_env_values = true
    )]
    pub notify_secret: Option<String>,

    /// Accept `http` notification URLs too (tests, private networks; 1 or true), not only `https`
    #[arg(
        long,
        env = "TSFN_NOTIFY_ALLOW_HTTP",
        value_name = "BOOL",
        default_value = "0",
        value_parser = Check::new(boolean, "1, true, 0 or false"),
    )]
    pub notify_allow_http: bool,

    /// Allow notifications to this host, private networks and link-local addresses (1 or true); otherwise refused at submission and at delivery
    #[arg(
        long,
        env = "TSFN_NOTIFY_ALLOW_PRIVATE",
        value_name = "BOOL",
        default_value = "0",
        value_parser = Check::new(boolean, "1, true, 0 or false"),
    )]
    pub notify_allow_private: bool,

    /// How long (ms) one notification attempt may take before it counts as failed
    #[arg(
        long,
        env = "TSFN_NOTIFY_TIMEOUT_MS",
        value_name = "MS",
        default_value = "5000",
        value_parser = Check::new(positive_ms, "a whole number of milliseconds, 1 or more"),
    )]
    pub notify_timeout_ms: u64,

    /// The wait (ms) before a notification's first retry; each further wait doubles
    #[arg(
        long,
        env = "TSFN_NOTIFY_FIRST_RETRY_MS",
        value_name = "MS",
        default_value = "1000",
        value_parser = Check::new(positive_ms, "a whole number of milliseconds, 1 or more"),
    )]
    pub notify_first_retry_ms: u64,

    /// How long (ms) a notification is retried in all, attempts and waits, before it is marked
    /// failed
    #[arg(
        long,
        env = "TSFN_NOTIFY_MAX_MS",
        value_name = "MS",
        default_value = "60000",
        value_parser = Check::new(
            |s| s.parse::<u64>().ok().filter(|ms| (1..=3_600_000).contains(ms)),
            "a whole number of milliseconds from 1 to 3600000 (an hour)",
        ),
    )]
    pub notify_max_ms: u64,

    /// The EventBridge bus each finished job is sent to (source tsfn, detail-type
    /// tsfn.job.finished, the job record as detail); a name or ARN, `default` for the account's
    /// default bus. Unset: no events
    #[arg(long, env = "TSFN_EVENT_BUS", value_name = "BUS")]
    pub event_bus: Option<String>,

    /// Secrets of the sources allowed to push points to POST /hooks/{source}, as SOURCE:SECRET
    /// entries separated by `;` (the sender signs each body with its secret, HMAC-SHA256)
    #[arg(
        long,
        env = "TSFN_HOOK_SECRETS",
        value_name = "SOURCES",
        hide_env_values = true,
        value_parser = Check::explained(crate::hooks::HookSecrets::parse),
    )]
    pub hook_secrets: Option<crate::hooks::HookSecrets>,

    /// How bulk ingestion (the ingest-s3 function, `tsfn ingest`) names a file's series from its
    /// S3 key or path: `/`-separated segments of literal text, `*` (any segment; last, any
    /// rest) and `{series}` once
    #[arg(
        long,
        env = "TSFN_INGEST_PATTERN",
        value_name = "PATTERN",
        default_value = crate::bulk::DEFAULT_PATTERN,
        value_parser = Check::new(|s| crate::bulk::KeyPattern::parse(s).ok(), "a pattern holding {series} once, such as incoming/{series}/* or drop/{series}.csv"),
    )]
    pub ingest_pattern: crate::bulk::KeyPattern,

    /// The {db} of TSFN_LINE_TEMPLATE for line protocol ingested from files, S3 objects and
    /// queue records
    #[arg(
        long,
        env = "TSFN_INGEST_DB",
        value_name = "NAME",
        default_value = "ingest",
        value_parser = Check::new(|s| Some(s.to_owned()).filter(|s| !s.is_empty() && !s.contains('/')), "a name without '/', such as ingest or lab"),
    )]
    pub ingest_db: String,

    /// Most points per store write, per series, in bulk ingestion (files, S3 objects)
    #[arg(
        long,
        env = "TSFN_INGEST_BATCH",
        value_name = "POINTS",
        default_value = "100000",
        value_parser = Check::new(|s| s.parse::<usize>().ok().filter(|n| (1..=1_000_000).contains(n)), "a whole number from 1 to 1000000"),
    )]
    pub ingest_batch: usize,

    /// The worker name recorded in jobs (default: POD_IP, else HOST:PID)
    #[arg(long, env = "WORKER_ID", value_name = "NAME")]
    pub worker_id: Option<String>,

    /// The worker name when WORKER_ID is unset (a pod's IP from the Downward API)
    #[arg(long, env = "POD_IP", value_name = "IP")]
    pub pod_ip: Option<String>,

    /// Log filter, such as info or tsfn_shared=debug,info
    #[arg(
        long = "log",
        env = "RUST_LOG",
        value_name = "FILTER",
        default_value = "info",
        value_parser = Check::new(log_filter, "a log filter such as info, warn or tsfn_shared=debug,info"),
    )]
    pub log: String,

    /// Set by AWS Lambda itself: logs are then JSON lines, which CloudWatch parses.
    #[arg(long, env = "AWS_LAMBDA_FUNCTION_NAME", hide = true)]
    pub lambda_function_name: Option<String>,
}

impl Settings {
    /// The settings of a Lambda function: the variables alone (a function has no command line).
    pub fn from_env() -> Result<Settings, clap::Error> {
        let cmd = prepare(Settings::augment_args(
            Command::new("tsfn")
                .no_binary_name(true)
                .disable_help_flag(true),
        ));
        let matches = cmd.try_get_matches_from(std::iter::empty::<&str>())?;
        Settings::from_arg_matches(&matches)
    }

    /// Job leases, attempts and the shutdown grace as the workers use them.
    /// What a submission's `notify` may be.
    pub fn notify_rules(&self) -> crate::jobs::spec::NotifyRules {
        crate::jobs::spec::NotifyRules {
            allow_http: self.notify_allow_http,
            allow_private: self.notify_allow_private,
            have_secret: self.notify_secret.is_some(),
        }
    }

    pub fn policy(&self) -> Policy {
        Policy {
            lease_ms: self.job_lease_ms,
            max_attempts: self.job_max_attempts,
            grace_ms: self.shutdown_grace_ms,
            events: self.event_bus.is_some(),
            // The whole retry window, one more attempt's timeout, the event's three (the SDK's
            // operation timeout) and one more as margin.
            redeliver_ms: self
                .notify_max_ms
                .saturating_add(self.notify_timeout_ms.saturating_mul(5))
                as i64,
        }
    }

    pub fn dynamodb_timeout(&self) -> Duration {
        Duration::from_millis(self.dynamodb_timeout_ms)
    }

    pub fn dynamodb_connect_timeout(&self) -> Duration {
        Duration::from_millis(self.dynamodb_connect_timeout_ms)
    }

    pub fn sqlite_busy_timeout(&self) -> Duration {
        Duration::from_millis(self.sqlite_busy_timeout_ms)
    }

    /// This process's worker name: `WORKER_ID`, else `POD_IP`, else the host name plus the pid
    /// (the host name from `HOSTNAME` or /etc/hostname, which every platform sets: not a setting).
    pub fn worker_name(&self) -> String {
        if let Some(id) = self.worker_id.as_ref().or(self.pod_ip.as_ref()) {
            return id.clone();
        }
        let host = std::env::var("HOSTNAME")
            .ok()
            .filter(|h| !h.is_empty())
            .or_else(|| {
                std::fs::read_to_string("/etc/hostname")
                    .ok()
                    .map(|h| h.trim().to_owned())
            })
            .unwrap_or_else(|| "localhost".into());
        format!("{host}:{}", std::process::id())
    }

    pub fn on_lambda(&self) -> bool {
        self.lambda_function_name.is_some()
    }
}

/// The defaults, whatever the environment holds (for tests and tools that build their own).
impl Default for Settings {
    fn default() -> Self {
        let cmd = Settings::augment_args(Command::new("tsfn").no_binary_name(true))
            .mut_args(|a| a.env(None));
        let matches = cmd
            .try_get_matches_from(std::iter::empty::<&str>())
            .expect("the defaults are valid");
        Settings::from_arg_matches(&matches).expect("the defaults are valid")
    }
}

/// Applies the rules every setting follows to a command that carries them (the `tsfn` CLI or
/// the Lambda functions'): an empty variable counts as unset, and on the CLI a flag may come
/// before or after the subcommand.
pub fn prepare(cmd: Command) -> Command {
    cmd.mut_args(|a| {
        let empty = a
            .get_env()
            .and_then(std::env::var_os)
            .is_some_and(|v| v.is_empty());
        let a = if empty { a.env(None) } else { a };
        a.global(true)
    })
}

/// A value parser that names the setting and what it accepts when a value does not parse.
#[derive(Clone)]
struct Check<T> {
    parse: Parse<T>,
    accepts: &'static str,
}

/// A parser that only says no, with the setting's fixed `accepts`, or one that says why.
#[derive(Clone)]
enum Parse<T> {
    Plain(fn(&str) -> Option<T>),
    Explained(fn(&str) -> Result<T, String>),
}

impl<T> Check<T> {
    fn new(parse: fn(&str) -> Option<T>, accepts: &'static str) -> Self {
        Check {
            parse: Parse::Plain(parse),
            accepts,
        }
    }

    fn explained(parse: fn(&str) -> Result<T, String>) -> Self {
        Check {
            parse: Parse::Explained(parse),
            accepts: "",
        }
    }
}

impl<T: Clone + Send + Sync + 'static> TypedValueParser for Check<T> {
    type Value = T;

    fn parse_ref(&self, cmd: &Command, arg: Option<&Arg>, value: &OsStr) -> Result<T, clap::Error> {
        let why = match (value.to_str(), &self.parse) {
            (Some(text), Parse::Plain(parse)) => match parse(text) {
                Some(v) => return Ok(v),
                None => format!("it must be {}", self.accepts),
            },
            (Some(text), Parse::Explained(parse)) => match parse(text) {
                Ok(v) => return Ok(v),
                Err(why) => why,
            },
            (None, _) => "it is not valid UTF-8".to_owned(),
        };
        let name = match arg {
            Some(a) => match (a.get_env(), a.get_long()) {
                (Some(var), Some(long)) => format!("{} (--{long})", var.to_string_lossy()),
                (Some(var), None) => var.to_string_lossy().into_owned(),
                (None, _) => a.to_string(),
            },
            None => "a setting".to_owned(),
        };
        // Key entries are secrets' hashes: name the setting, not its value.
        let shown = if arg.is_some_and(|a| a.is_hide_env_values_set()) {
            String::new()
        } else {
            format!(" {:?}", value.to_string_lossy())
        };
        let message = format!("invalid {name} value{shown}: {why}\n");
        Err(clap::Error::raw(ErrorKind::ValueValidation, message).with_cmd(cmd))
    }
}

fn positive_ms(s: &str) -> Option<u64> {
    s.parse::<u64>().ok().filter(|ms| *ms > 0)
}

fn host_port(s: &str) -> Option<String> {
    let (host, port) = s.rsplit_once(':')?;
    (!host.is_empty() && port.parse::<u16>().is_ok()).then(|| s.to_owned())
}

fn boolean(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "1" | "true" => Some(true),
        "0" | "false" => Some(false),
        _ => None,
    }
}

fn log_filter(s: &str) -> Option<String> {
    tracing_subscriber::EnvFilter::try_new(s)
        .ok()
        .map(|_| s.to_owned())
}

fn keys_file(path: &str) -> Result<Keys, String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("cannot read the file {path:?}: {e}"))?;
    Keys::parse(&text)
}

/// Where browsers may call from: any origin, or these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorsOrigins {
    Any,
    List(Vec<lambda_http::http::HeaderValue>),
}

impl CorsOrigins {
    fn parse(s: &str) -> Result<CorsOrigins, String> {
        if s.trim() == "*" {
            return Ok(CorsOrigins::Any);
        }
        let mut list = Vec::new();
        for o in s.split(',').map(str::trim).filter(|o| !o.is_empty()) {
            let (scheme, host) = o.split_once("://").unwrap_or(("", ""));
            if !matches!(scheme, "http" | "https") || host.is_empty() || host.contains('/') {
                return Err(format!(
                    "{o:?} is not an origin: use scheme://host[:port] such as https://grafana.example.com, comma-separated, or *"
                ));
            }
            list.push(
                lambda_http::http::HeaderValue::from_str(o)
                    .map_err(|_| format!("{o:?} is not an origin"))?,
            );
        }
        if list.is_empty() {
            return Err("name at least one origin, or *".into());
        }
        Ok(CorsOrigins::List(list))
    }
}
