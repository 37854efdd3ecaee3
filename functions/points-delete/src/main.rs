//! Lambda entry for `DELETE /series/{series}/points`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    tsfn_shared::lambda::run(points_delete::PATH, points_delete::handler).await
}
