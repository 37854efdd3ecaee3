//! Lambda entry for `GET /ping`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    tsfn_shared::lambda::run(ping::PATH, ping::handler).await
}
