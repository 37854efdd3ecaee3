//! Logging setup: JSON lines on Lambda (CloudWatch parses them), human-readable lines elsewhere.
//! The filter is the `RUST_LOG` setting (default `info`).

use tracing_subscriber::EnvFilter;

use crate::settings::Settings;

pub fn init(settings: &Settings) {
    // Validated with the other settings, so this only falls back if that check was skipped.
    let filter = EnvFilter::try_new(&settings.log).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let res = if settings.on_lambda() {
        builder.json().without_time().try_init()
    } else {
        builder.with_target(false).try_init()
    };
    // A second init (tests) keeps the first subscriber.
    let _ = res;
}
