//! Lambda entry for `GET /points`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    tsfn_shared::lambda::run(points_multi::PATH, points_multi::handler).await
}
