//! Lambda entry for `POST /write`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    tsfn_shared::lambda::run(write_v1::PATH, write_v1::handler).await
}
