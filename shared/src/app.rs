//! Process-wide state: configuration read once from the environment and the store client, built
//! once per process (per Lambda sandbox, per `tsfn serve`) and shared by every request.

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::store::{self, DynStore};

/// Settings, all from environment variables (the same names on Lambda, Kubernetes and locally).
#[derive(Debug, Clone)]
pub struct Config {
    /// `TSFN_STORE`: `sqlite://PATH` (default `sqlite://./data/tsfn.db`), `sqlite::memory:`.
    pub store: String,
    /// `TSFN_API_KEY`: when set, every route but /health and /ready requires it.
    pub api_key: Option<String>,
    /// `TSFN_MAX_BODY_BYTES`: request body limit (default 32 MiB); larger bodies get 413.
    pub max_body_bytes: usize,
}

pub const DEFAULT_STORE: &str = "sqlite://./data/tsfn.db";
pub const DEFAULT_MAX_BODY: usize = 32 << 20;

impl Config {
    pub fn from_env() -> Result<Self> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let max_body_bytes = match var("TSFN_MAX_BODY_BYTES") {
            None => DEFAULT_MAX_BODY,
            Some(v) => v.parse().map_err(|_| {
                Error::invalid("TSFN_MAX_BODY_BYTES", format!("not a byte count: {v:?}"))
            })?,
        };
        Ok(Config {
            store: var("TSFN_STORE").unwrap_or_else(|| DEFAULT_STORE.to_owned()),
            api_key: var("TSFN_API_KEY"),
            max_body_bytes,
        })
    }
}

pub struct App {
    pub config: Config,
    pub store: DynStore,
    /// Wakes in-process workers when a job is submitted (other processes poll).
    pub job_signal: tokio::sync::Notify,
}

impl App {
    pub async fn new(config: Config) -> Result<Arc<Self>> {
        let store = store::open(&config.store).await?;
        Ok(Arc::new(App {
            config,
            store,
            job_signal: tokio::sync::Notify::new(),
        }))
    }

    pub async fn from_env() -> Result<Arc<Self>> {
        Self::new(Config::from_env()?).await
    }
}

/// Milliseconds since the epoch, now: the clock lives in [`crate::time`], named here too for the
/// callers that know it as `app::now_ms`.
pub use crate::time::now_ms;
