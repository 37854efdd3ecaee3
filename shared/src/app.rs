//! Process-wide state: the settings and the store client, built once per process (per Lambda
//! sandbox, per `tsfn serve`) and shared by every request.

use std::sync::Arc;

use crate::edge::Guard;
use crate::error::Result;
use crate::settings::Settings;
use crate::store::{self, DynStore};

pub use crate::settings::{DEFAULT_MAX_BODY, DEFAULT_STORE};

pub struct App {
    pub settings: Settings,
    pub store: DynStore,
    /// Wakes in-process workers when a job is submitted (other processes poll).
    pub job_signal: tokio::sync::Notify,
    /// The API keys and rate limits requests pass (crate::edge).
    pub guard: Guard,
}

impl App {
    pub async fn new(settings: Settings) -> Result<Arc<Self>> {
        let store = store::open(&settings).await?;
        Ok(Arc::new(App {
            guard: Guard::new(&settings),
            settings,
            store,
            job_signal: tokio::sync::Notify::new(),
        }))
    }
}

/// Milliseconds since the epoch, now: the clock lives in [`crate::time`], named here too for the
/// callers that know it as `app::now_ms`.
pub use crate::time::now_ms;
