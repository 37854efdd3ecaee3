//! The Lambda entry shared by every function's `main.rs`: build the state once per sandbox, then
//! serve each event with the function's handler through [`http::dispatch`].

use std::future::Future;
use std::sync::Arc;

use lambda_http::{service_fn, Error as LambdaError};

use crate::app::App;
use crate::error::Result;
use crate::http::{self, Request, Response};
use crate::settings::Settings;

pub async fn run<F, Fut>(handler: F) -> Result<(), LambdaError>
where
    F: Fn(Arc<App>, Request) -> Fut + Copy + Send + Sync + 'static,
    Fut: Future<Output = Result<Response>> + Send + 'static,
{
    let settings = Settings::from_env().map_err(|e| format!("startup failed: {e}"))?;
    crate::telemetry::init(&settings);
    let app = App::new(settings)
        .await
        .map_err(|e| format!("startup failed: {e}"))?;
    lambda_http::run(service_fn(move |req: Request| {
        let app = app.clone();
        async move { Ok::<_, LambdaError>(http::dispatch(app, req, handler).await) }
    }))
    .await
}
