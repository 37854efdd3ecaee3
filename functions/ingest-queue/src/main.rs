//! Lambda entry of the ingest-queue function (SQS and Kinesis batches of point records).

use lambda_runtime::{service_fn, Error, LambdaEvent};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let (app, emf) = tsfn_shared::lambda::start().await?;
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
