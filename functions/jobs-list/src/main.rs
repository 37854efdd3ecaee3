//! Lambda entry for `GET /jobs`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    tsfn_shared::lambda::run(jobs_list::PATH, jobs_list::handler).await
}
