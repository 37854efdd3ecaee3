//! tsfn's data crate: everything the functions share.
//!
//! - [`model`], [`time`], [`ingest`]: domain types and validated parsing of input;
//! - [`store`]: the `Store` trait and its backends;
//! - [`query`]: range queries, buckets and statistics over any store;
//! - [`http`], [`error`]: the HTTP contract and the one error-to-status mapping; [`json`]: JSON
//!   bodies and params read with errors in a user's words;
//! - [`settings`]: every setting, read once from the environment (and `tsfn`'s flags);
//! - [`app`], [`lambda`], [`telemetry`]: process setup for Lambda and `tsfn serve`;
//! - [`edge`], [`access`], [`metrics`]: what every request passes (request ids, CORS, keys and
//!   scopes, rate limits, the access log) and what is counted;
//! - [`jobs`], [`analysis`], [`plot`]: analysis jobs, their queue and workers, what they compute;
//! - [`notify`], [`hooks`]: signed notifications and events when a job ends, signed webhooks
//!   pushing points in;
//! - [`sweep`]: the periodic removal of expired jobs and of points past a series' retention;
//! - [`views`]: the JSON shapes of responses; [`openapi`]: the OpenAPI document of them all.

pub mod access;
pub mod analysis;
pub mod app;
#[cfg(feature = "aws")]
pub mod aws;
pub mod bulk;
pub mod chunk;
pub mod edge;
pub mod error;
pub mod hooks;
pub mod http;
pub mod ingest;
pub mod jobs;
pub mod json;
pub mod lambda;
pub mod lineproto;
pub mod metrics;
pub mod model;
pub mod notify;
pub mod openapi;
pub mod plot;
pub mod query;
pub mod settings;
pub mod store;
pub mod sweep;
pub mod telemetry;
pub mod time;
pub mod views;

pub use app::App;
pub use error::{Error, Result};
pub use http::{Request, Response};
pub use settings::Settings;
