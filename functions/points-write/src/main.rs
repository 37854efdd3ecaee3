//! Lambda entry for `POST /series/{series}/points`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    tsfn_shared::lambda::run(points_write::PATH, points_write::handler).await
}
