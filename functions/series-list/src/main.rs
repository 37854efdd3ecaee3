//! Lambda entry for `GET /series`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    tsfn_shared::lambda::run(series_list::PATH, series_list::handler).await
}
