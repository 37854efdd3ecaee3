//! Lambda entry for `GET /health`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    tsfn_shared::lambda::run(health::PATH, health::handler).await
}
