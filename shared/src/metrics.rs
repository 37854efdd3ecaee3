//! What tsfn counts and times, through the `metrics` facade: every name is here, once. Which
//! recorder receives them is the host's choice: `tsfn serve` and `tsfn worker` install a
//! Prometheus one (`GET /metrics`, tsfn/src/metrics.rs), a Lambda function an Embedded Metric
//! Format one whose lines CloudWatch turns into metrics ([`crate::lambda`]). Without a recorder
//! (unit tests, tools) the calls cost next to nothing.
//!
//! Labels stay few and bounded: a route's template, never its path; a job's kind; an outcome.

use std::time::Duration;

use metrics::{counter, gauge, histogram};

pub const REQUESTS: &str = "tsfn_http_requests_total";
pub const REQUEST_SECONDS: &str = "tsfn_http_request_duration_seconds";
pub const RATE_LIMITED: &str = "tsfn_http_rate_limited_total";
pub const POINTS_WRITTEN: &str = "tsfn_points_written_total";
pub const POINTS_READ: &str = "tsfn_points_read_total";
pub const STORE_ERRORS: &str = "tsfn_store_errors_total";
pub const JOBS_QUEUED: &str = "tsfn_jobs_queued";
pub const JOBS_FINISHED: &str = "tsfn_jobs_finished_total";
pub const JOB_SECONDS: &str = "tsfn_job_duration_seconds";

/// Every metric with its help text, for the exporters to describe.
pub const ALL: &[(&str, &str)] = &[
    (
        REQUESTS,
        "HTTP requests by route template, method and status",
    ),
    (
        REQUEST_SECONDS,
        "HTTP request latency by route template and method",
    ),
    (RATE_LIMITED, "Requests refused with 429 by TSFN_RATE_LIMIT"),
    (
        POINTS_WRITTEN,
        "Points written to the store (JSON, NDJSON, CSV and line protocol bodies)",
    ),
    (
        POINTS_READ,
        "Points read from the store, counted per chunk read",
    ),
    (
        STORE_ERRORS,
        "Store calls that failed: unavailable (503) or internal (500)",
    ),
    (
        JOBS_QUEUED,
        "Jobs waiting in the queue, as last counted by this process",
    ),
    (
        JOBS_FINISHED,
        "Jobs finished by this process's workers, by kind and outcome",
    ),
    (JOB_SECONDS, "How long a job ran, by kind"),
];

/// Describes every metric to the installed recorder (its `# HELP` lines).
pub fn describe() {
    for (name, help) in ALL {
        if name.ends_with("_seconds") {
            metrics::describe_histogram!(*name, metrics::Unit::Seconds, *help);
        } else if name.ends_with("_total") {
            metrics::describe_counter!(*name, *help);
        } else {
            metrics::describe_gauge!(*name, *help);
        }
    }
}

pub fn request(route: &'static str, method: &str, status: u16, took: Duration) {
    // Borrowed label values where they can be: this runs on every request.
    let method: metrics::SharedString = match method {
        "GET" => "GET".into(),
        "HEAD" => "HEAD".into(),
        "POST" => "POST".into(),
        "PUT" => "PUT".into(),
        "DELETE" => "DELETE".into(),
        other => other.to_owned().into(),
    };
    let status: metrics::SharedString = match status {
        200 => "200".into(),
        201 => "201".into(),
        202 => "202".into(),
        204 => "204".into(),
        304 => "304".into(),
        400 => "400".into(),
        401 => "401".into(),
        403 => "403".into(),
        404 => "404".into(),
        429 => "429".into(),
        503 => "503".into(),
        other => other.to_string().into(),
    };
    counter!(REQUESTS, "route" => route, "method" => method.clone(), "status" => status)
        .increment(1);
    histogram!(REQUEST_SECONDS, "route" => route, "method" => method).record(took.as_secs_f64());
}

pub fn rate_limited() {
    counter!(RATE_LIMITED).increment(1);
}

pub fn points_written(n: usize) {
    counter!(POINTS_WRITTEN).increment(n as u64);
}

pub fn points_read(n: usize) {
    counter!(POINTS_READ).increment(n as u64);
}

/// A store call that failed, by what its caller was told.
pub fn store_error(kind: &'static str) {
    counter!(STORE_ERRORS, "kind" => kind).increment(1);
}

pub fn jobs_queued(n: u64) {
    gauge!(JOBS_QUEUED).set(n as f64);
}

pub fn job_finished(kind: &'static str, outcome: &'static str, took: Duration) {
    counter!(JOBS_FINISHED, "kind" => kind, "outcome" => outcome).increment(1);
    histogram!(JOB_SECONDS, "kind" => kind).record(took.as_secs_f64());
}
