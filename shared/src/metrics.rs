//! What tsfn counts and times, through the `metrics` facade: every name is here, once. Which
//! recorder receives them is the host's choice: `tsfn serve` and `tsfn worker` install a
//! Prometheus one (`GET /metrics`, tsfn/src/metrics.rs), a Lambda function an Embedded Metric
//! Format one whose lines CloudWatch turns into metrics ([`crate::lambda`]). Without a recorder
//! (unit tests, tools) the calls cost next to nothing.
//!
//! Labels stay few and bounded: a route's template, never its path; a job's kind; an outcome.

use std::collections::BTreeMap;
use std::sync::RwLock;
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

/// A request's counter and latency histogram, by route template, method and status.
type RequestHandles = (metrics::Counter, metrics::Histogram);

/// The handles of each (route, method, status) seen, made once: looking a labelled metric up in
/// the recorder on every request cost more than the request's own bookkeeping.
static REQUEST_HANDLES: RwLock<BTreeMap<(&'static str, &'static str, u16), RequestHandles>> =
    RwLock::new(BTreeMap::new());

pub fn request(route: &'static str, method: &str, status: u16, took: Duration) {
    let method: &'static str = match method {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        "PATCH" => "PATCH",
        // Any other method gets no route, so its label set stays bounded too.
        _ => "other",
    };
    let key = (route, method, status);
    let cached = REQUEST_HANDLES
        .read()
        .ok()
        .and_then(|m| m.get(&key).cloned());
    let (counter, histogram) = cached.unwrap_or_else(|| {
        let handles = (
            counter!(REQUESTS, "route" => route, "method" => method, "status" => status.to_string()),
            histogram!(REQUEST_SECONDS, "route" => route, "method" => method),
        );
        if let Ok(mut m) = REQUEST_HANDLES.write() {
            m.insert(key, handles.clone());
        }
        handles
    });
    counter.increment(1);
    histogram.record(took.as_secs_f64());
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
