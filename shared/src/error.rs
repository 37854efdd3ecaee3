//! The one error type of the domain. Every layer returns it; `http::error_response` is the single
//! place that turns it into a status code and the JSON body `{"error": {"code", "message"}}`.

use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// Bad input. `field` names the query parameter, body field, path part or line at fault.
    Invalid { field: String, message: String },
    /// A series, point or job that does not exist.
    NotFound(String),
    /// The request conflicts with the current state (e.g. deleting a running job).
    Conflict(String),
    /// Keys are configured and the request carried none of them.
    Unauthorized,
    /// A signed request (`POST /hooks/{source}`) whose signature is missing, wrong or stale;
    /// `field` names the header at fault.
    BadSignature {
        field: &'static str,
        message: String,
    },
    /// The request's key lacks the scope its route needs.
    Forbidden { key: String, scope: &'static str },
    /// The caller's rate limit is used up; it may try again after this many seconds.
    TooManyRequests { retry_after: u64 },
    /// The body exceeds the configured limit (bytes).
    TooLarge { limit: usize },
    /// The body's content type is not one we read.
    UnsupportedMediaType(String),
    /// No handler for this method on this path.
    MethodNotAllowed,
    /// Unknown path.
    NoRoute,
    /// The store (or another dependency) cannot be reached; retrying later may succeed.
    Unavailable(String),
    /// `TSFN_MAX_QUEUED_JOBS` jobs are queued already; a submission later may be taken.
    QueueFull { limit: u64 },
    /// A bug or an unexpected store answer. The message is logged, not shown in full.
    Internal(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            Error::Invalid { .. } => 400,
            Error::Unauthorized | Error::BadSignature { .. } => 401,
            Error::Forbidden { .. } => 403,
            Error::TooManyRequests { .. } => 429,
            Error::NotFound(_) | Error::NoRoute => 404,
            Error::MethodNotAllowed => 405,
            Error::Conflict(_) => 409,
            Error::TooLarge { .. } => 413,
            Error::UnsupportedMediaType(_) => 415,
            Error::Internal(_) => 500,
            Error::Unavailable(_) | Error::QueueFull { .. } => 503,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Error::Invalid { .. } => "invalid",
            Error::Unauthorized | Error::BadSignature { .. } => "unauthorized",
            Error::Forbidden { .. } => "forbidden",
            Error::TooManyRequests { .. } => "rate_limited",
            Error::NotFound(_) | Error::NoRoute => "not_found",
            Error::MethodNotAllowed => "method_not_allowed",
            Error::Conflict(_) => "conflict",
            Error::TooLarge { .. } => "payload_too_large",
            Error::UnsupportedMediaType(_) => "unsupported_media_type",
            Error::Internal(_) => "internal",
            Error::Unavailable(_) => "unavailable",
            Error::QueueFull { .. } => "queue_full",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Invalid { field, message } if message.contains(field.as_str()) => f.write_str(message),
            Error::Invalid { field, message } => write!(f, "{field}: {message}"),
            Error::Unauthorized => write!(f, "missing or wrong API key: send `Authorization: Bearer KEY` or `x-api-key: KEY`"),
            Error::BadSignature { message, .. } => write!(f, "{message}"),
            Error::Forbidden { key, scope } => write!(f, "the API key {key:?} lacks the {scope} scope this route needs"),
            Error::TooManyRequests { retry_after } => write!(f, "rate limit reached: try again in {retry_after} s (TSFN_RATE_LIMIT)"),
            Error::NotFound(what) => write!(f, "{what} not found"),
            Error::Conflict(m) => write!(f, "{m}"),
            Error::TooLarge { limit } => {
                write!(f, "request body exceeds {limit} bytes (set TSFN_MAX_BODY_BYTES to raise it)")
            }
            Error::UnsupportedMediaType(ct) => write!(
                f,
                "unsupported content type {ct:?}: send application/json, application/x-ndjson or text/csv"
            ),
            Error::MethodNotAllowed => write!(f, "method not allowed on this path"),
            Error::NoRoute => write!(f, "no such route"),
            Error::Unavailable(m) => write!(f, "service unavailable: {m}"),
            Error::QueueFull { limit } => write!(
                f,
                "too many jobs waiting: the queue is at its limit of {limit} jobs (TSFN_MAX_QUEUED_JOBS); nothing was queued, submit again later"
            ),
            Error::Internal(_) => write!(f, "internal error"),
        }
    }
}

impl std::error::Error for Error {}
