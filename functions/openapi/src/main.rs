//! Lambda entry for `GET /openapi.json`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    tsfn_shared::lambda::run(openapi::PATH, openapi::handler).await
}
