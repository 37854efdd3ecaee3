//! Lambda entry for `GET /jobs/{id}/result`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    tsfn_shared::lambda::run(job_result::PATH, job_result::handler).await
}
