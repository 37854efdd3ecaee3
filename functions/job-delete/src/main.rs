//! Lambda entry for `DELETE /jobs/{id}`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    tsfn_shared::lambda::run(job_delete::PATH, job_delete::handler).await
}
