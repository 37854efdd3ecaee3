//! Lambda entry for `GET /ready`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    tsfn_shared::lambda::run(ready::PATH, ready::handler).await
}
