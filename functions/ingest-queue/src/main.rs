//! Lambda entry of the ingest-queue function (SQS and Kinesis batches of point records).

use lambda_runtime::{service_fn, Error, LambdaEvent};
use tsfn_shared::{App, Settings};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let settings = Settings::from_env().map_err(|e| format!("startup failed: {e}"))?;
    tsfn_shared::telemetry::init(&settings);
    let emf = tsfn_shared::lambda::emf(&settings);
    let app = App::new(settings)
        .await
        .map_err(|e| format!("startup failed: {e}"))?;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<ingest_queue::QueueEvent>| {
            let app = app.clone();
            async move {
                let answer = ingest_queue::handle(&app, event.payload).await;
                tsfn_shared::lambda::flush(emf);
                Ok::<_, Error>(answer)
            }
        },
    ))
    .await
}
