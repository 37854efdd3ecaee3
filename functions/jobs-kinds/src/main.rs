//! Lambda entry for `GET /jobs/kinds`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    tsfn_shared::lambda::run(jobs_kinds::PATH, jobs_kinds::handler).await
}
