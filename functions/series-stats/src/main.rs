//! Lambda entry for `GET /series/{series}/stats`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    tsfn_shared::lambda::run(series_stats::PATH, series_stats::handler).await
}
