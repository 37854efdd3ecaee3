//! Lambda entry for `POST /jobs`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    tsfn_shared::lambda::run(jobs_submit::PATH, jobs_submit::handler).await
}
