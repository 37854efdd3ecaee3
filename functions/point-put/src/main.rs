//! Lambda entry for `PUT /series/{series}/points/{t}`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    tsfn_shared::lambda::run(point_put::PATH, point_put::handler).await
}
