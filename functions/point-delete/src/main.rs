//! Lambda entry for `DELETE /series/{series}/points/{t}`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    tsfn_shared::lambda::run(point_delete::PATH, point_delete::handler).await
}
