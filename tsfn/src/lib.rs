//! The one-process host: the route table mounting every function's handler, the hyper server,
//! and the bundled dataset. `main.rs` is the `tsfn` CLI over these.

pub mod gather;
pub mod ingest;
pub mod metrics;
pub mod routes;
pub mod seed;
pub mod server;
