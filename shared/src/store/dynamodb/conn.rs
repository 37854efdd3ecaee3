//! The SDK client, built once per process with bounded timeouts, the table names, and SDK errors
//! in our terms: throttling, timeouts and unreachable endpoints are `Error::Unavailable` (503).

use std::time::Duration;

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::Client;

use crate::error::{Error, Result};

/// The client and the tables' prefix. Cheap to clone: clones share the client.
#[derive(Clone)]
pub(super) struct Db {
    pub(super) client: Client,
    prefix: String,
    /// `TSFN_JOB_TTL` (ms): how long a finished job is kept.
    pub(super) job_ttl: i64,
}

impl Db {
    /// `prefix` is what follows `dynamodb://`; `attempt` bounds each attempt of a call,
    /// `connect` the opening of a connection.
    pub(super) async fn open(
        prefix: &str,
        attempt: Duration,
        connect: Duration,
        job_ttl: i64,
    ) -> Result<Self> {
        if prefix.is_empty()
            || !prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        {
            return Err(Error::invalid(
                "TSFN_STORE",
                "dynamodb://PREFIX needs a table prefix of letters, digits, '_', '-', '.'",
            ));
        }
        // `attempt` bounds each call (TSFN_DYNAMODB_TIMEOUT_MS): a hung endpoint becomes a 503.
        let config = crate::aws::config(Some(
            aws_config::timeout::TimeoutConfig::builder()
                .connect_timeout(connect)
                .operation_attempt_timeout(attempt)
                .operation_timeout(attempt * 3)
                .build(),
        ))
        .await;
        Ok(Db {
            client: Client::new(&config),
            prefix: prefix.to_owned(),
            job_ttl,
        })
    }

    /// The full name of a table, by its suffix (`series`, `points`, `jobs`, `results`).
    pub(super) fn table(&self, name: &str) -> String {
        format!("{}-{name}", self.prefix)
    }

    /// The item with key `id` of table `name`, read consistently; `None` when there is none.
    pub(super) async fn item(&self, name: &str, id: &str) -> Result<Option<super::codec::Item>> {
        let out = self
            .client
            .get_item()
            .table_name(self.table(name))
            .key("id", super::codec::s(id))
            .consistent_read(true)
            .send()
            .await
            .map_err(aws_err)?;
        Ok(out.item)
    }
}

/// Maps an SDK error: throttling, timeouts and unreachable endpoints are 503; a missing table is
/// a 503 that says to run `tsfn init-store`.
pub(super) fn aws_err<E>(e: SdkError<E, HttpResponse>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let code = e.code().map(str::to_owned);
    let text = format!("{}", DisplayErrorContext(&e));
    match (&e, code.as_deref()) {
        (SdkError::TimeoutError(_) | SdkError::DispatchFailure(_), _) => {
            Error::Unavailable(format!("dynamodb unreachable: {text}"))
        }
        (_, Some("ResourceNotFoundException")) => Error::Unavailable(format!(
            "dynamodb table missing (create the tables with `tsfn init-store`): {text}"
        )),
        (_, Some("TransactionConflictException")) => Error::Unavailable(format!(
            "dynamodb: the item is being changed by a transaction in progress, try again: {text}"
        )),
        (_, Some(c))
            if c.contains("Throttl")
                || c == "ProvisionedThroughputExceededException"
                || c == "RequestLimitExceeded" =>
        {
            Error::Unavailable(format!("dynamodb is throttling: {text}"))
        }
        (SdkError::ServiceError(se), _) if se.raw().status().as_u16() >= 500 => {
            Error::Unavailable(format!("dynamodb error: {text}"))
        }
        _ => Error::Internal(format!("dynamodb: {text}")),
    }
}

pub(super) fn is_condition_failed<E: ProvideErrorMetadata, R>(e: &SdkError<E, R>) -> bool {
    e.code() == Some("ConditionalCheckFailedException")
}
