//! Lambda entry for `PUT /series/{series}`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    tsfn_shared::lambda::run(series_put::PATH, series_put::handler).await
}
