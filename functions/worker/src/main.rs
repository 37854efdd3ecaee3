//! Lambda entry of the worker function (job events and DynamoDB Streams batches).

use lambda_runtime::{service_fn, Error, LambdaEvent};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    // Settings (the job policy among them) are read once per sandbox, here, not per event.
    let (app, emf) = tsfn_shared::lambda::start().await?;
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
