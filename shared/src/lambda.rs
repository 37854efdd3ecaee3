//! The Lambda entry shared by every function's `main.rs`: build the state once per sandbox, then
//! serve each event with the function's handler through [`edge::handle`] and
//! [`http::dispatch`], as `tsfn serve` does; after each event, the metrics it recorded go out as
//! CloudWatch Embedded Metric Format lines on stdout (CloudWatch Logs turns them into metrics in
//! the `tsfn` namespace, one `function` dimension per function).

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;

use lambda_http::{service_fn, Error as LambdaError};
use metrics_cloudwatch_embedded::Collector;
use tower::ServiceExt;

use crate::app::App;
use crate::edge;
use crate::error::Result;
use crate::http::{self, Request, Response};
use crate::settings::Settings;

/// Serves the function's route: `path` is its template (for the scope it needs, its logs and
/// metrics).
pub async fn run<F, Fut>(path: &'static str, handler: F) -> Result<(), LambdaError>
where
    F: Fn(Arc<App>, Request) -> Fut + Copy + Send + Sync + 'static,
    Fut: Future<Output = Result<Response>> + Send + 'static,
{
    let (app, emf) = start().await?;
    let inner = {
        let app = app.clone();
        tower::service_fn(move |req: Request| {
            let app = app.clone();
            async move {
                Ok::<_, Infallible>(
                    edge::handle(app, req, Some(path), |app, req| {
                        http::dispatch(app, req, handler)
                    })
                    .await,
                )
            }
        })
    };
    let svc = edge::wrap(&app.settings, inner);
    lambda_http::run(service_fn(move |req: Request| {
        let svc = svc.clone();
        async move {
            let Ok(resp) = svc.oneshot(req).await;
            flush(emf);
            Ok::<_, LambdaError>(resp)
        }
    }))
    .await
}

/// What every function does once per sandbox, HTTP or not: read and check the settings, set
/// up logging and the metrics recorder, open the store.
pub async fn start() -> Result<(Arc<App>, Option<&'static Collector>), LambdaError> {
    let settings = Settings::from_env().map_err(|e| format!("startup failed: {e}"))?;
    crate::telemetry::init(&settings);
    let emf = emf(&settings);
    let app = App::new(settings)
        .await
        .map_err(|e| format!("startup failed: {e}"))?;
    Ok((app, emf))
}

/// The Embedded Metric Format recorder, installed once per sandbox: `None` when another recorder
/// is already installed (tests).
pub fn emf(settings: &Settings) -> Option<&'static Collector> {
    let function = settings
        .lambda_function_name
        .clone()
        .unwrap_or_else(|| "tsfn".into());
    let collector = metrics_cloudwatch_embedded::Builder::new()
        .cloudwatch_namespace("tsfn")
        .with_dimension("function", function)
        .init()
        .ok()?;
    crate::metrics::describe();
    Some(collector)
}

/// Writes what the last event recorded, if anything (nothing is written for no change).
pub fn flush(emf: Option<&'static Collector>) {
    if let Some(c) = emf {
        if let Err(e) = c.flush(std::io::stdout().lock()) {
            tracing::warn!(error = %e, "could not write the metrics");
        }
    }
}
