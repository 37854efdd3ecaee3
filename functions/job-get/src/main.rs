//! Lambda entry for `GET /jobs/{id}`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    tsfn_shared::lambda::run(job_get::PATH, job_get::handler).await
}
