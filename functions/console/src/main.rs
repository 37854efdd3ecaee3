//! Lambda entry for `GET /` and `GET /console/{asset}`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    tsfn_shared::lambda::run(console::PATH, console::handler).await
}
