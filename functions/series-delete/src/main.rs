//! Lambda entry for `DELETE /series/{series}`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    tsfn_shared::lambda::run(series_delete::PATH, series_delete::handler).await
}
