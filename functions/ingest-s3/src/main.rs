//! Lambda entry of the ingest-s3 function (S3 ObjectCreated events).

use aws_lambda_events::event::s3::S3Event;
use lambda_runtime::{service_fn, Error, LambdaEvent};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let (app, emf) = tsfn_shared::lambda::start().await?;
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
