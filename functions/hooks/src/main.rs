//! Lambda entry for `POST /hooks/{source}`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    tsfn_shared::lambda::run(hooks::PATH, hooks::handler).await
}
