//! Every integration suite of `tsfn`, each a module of this one test binary, so the support
//! module and the suites are built and linked once: `cargo test -p tsfn --test it` runs them
//! all, `cargo test -p tsfn --test it serve::` one suite (a module is named after the file it
//! was when every suite was a binary of its own; the README's Test section lists them).
//!
//! The suites share this process and run on parallel threads: what a test changes must be its
//! own (a temporary directory, a free port, a redis-server, DynamoDB tables with a prefix of its
//! own), and nothing may change the process's environment or current directory; a test whose
//! library code reads the environment runs in a child process
//! ([`support::rerun_in_child`]).

mod conformance;
mod support;

mod access;
mod conformance_dynamodb;
mod conformance_lambda;
mod conformance_redis;
mod conformance_sqlite;
mod console;
mod docs_examples;
mod dynamodb_ops;
mod events;
mod grafana;
mod influx_clients;
mod ingest;
mod job_transitions;
mod jobs_workers;
mod k8s;
mod lambda_events;
mod lambda_watch;
mod openapi;
mod operations;
mod redis_ops;
mod route_table;
mod sam_template;
mod serve;
mod settings;
mod spectrum_numpy;
mod worker_stream;
