//! Lambda entry for `GET /series/{series}`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    tsfn_shared::lambda::run(series_get::PATH, series_get::handler).await
}
