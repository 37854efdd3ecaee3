//! Lambda entry for `GET /series/{series}/points`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    tsfn_shared::lambda::run(points_query::PATH, points_query::handler).await
}
