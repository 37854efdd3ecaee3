//! Lambda entry for `GET /series/{series}/points/{t}`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    tsfn_shared::lambda::run(point_get::PATH, point_get::handler).await
}
