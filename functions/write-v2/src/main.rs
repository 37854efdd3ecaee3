//! Lambda entry for `POST /api/v2/write`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    tsfn_shared::lambda::run(write_v2::PATH, write_v2::handler).await
}
