//! Lambda entry of the worker function (job events and DynamoDB Streams batches).

use lambda_runtime::{service_fn, Error, LambdaEvent};
use tsfn_shared::{App, Settings};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    // Settings (the job policy among them) are read once per sandbox, here, not per event.
    let settings = Settings::from_env().map_err(|e| format!("startup failed: {e}"))?;
    tsfn_shared::telemetry::init(&settings);
    let emf = tsfn_shared::lambda::emf(&settings);
    let app = App::new(settings)
        .await
        .map_err(|e| format!("startup failed: {e}"))?;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<worker::WorkerEvent>| {
            let app = app.clone();
            async move {
                let name = format!("lambda:{}", event.context.request_id);
                let done = worker::handle_any(app, event.payload, &name).await;
                tsfn_shared::lambda::flush(emf);
                done.map_err(|e| Error::from(e.to_string()))
            }
        },
    ))
    .await
}
