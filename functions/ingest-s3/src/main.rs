//! Lambda entry of the ingest-s3 function (S3 ObjectCreated events).

use aws_lambda_events::event::s3::S3Event;
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
    let s3 = ingest_s3::client().await;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<S3Event>| {
        let (app, s3) = (app.clone(), s3.clone());
        async move {
            let done = ingest_s3::handle(&app, &s3, event.payload).await;
            tsfn_shared::lambda::flush(emf);
            done.map_err(|e| Error::from(e.to_string()))
        }
    }))
    .await
}
