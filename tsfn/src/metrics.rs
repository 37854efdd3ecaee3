//! Prometheus metrics of `tsfn serve` and `tsfn worker`: the recorder every count and timing of
//! [`tsfn_shared::metrics`] goes to, the page `GET /metrics` renders from it (on the API's port
//! behind the admin scope, and alone without a key on `TSFN_METRICS_BIND`), and the listener of
//! that second address.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use lambda_http::http::{header, HeaderValue, StatusCode};
use lambda_http::Body;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;
use tsfn_shared::{App, Response};

pub const PATH: &str = "/metrics";

/// Request latencies: 0.5 ms to 10 s, where this service's answers fall.
const REQUEST_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Job durations: 10 ms to 10 minutes.
const JOB_BUCKETS: &[f64] = &[
    0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0,
];

/// Installs the recorder once per process; later calls (tests running several servers in one
/// process) get the first one's handle.
pub fn install() -> PrometheusHandle {
    static HANDLE: std::sync::OnceLock<PrometheusHandle> = std::sync::OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full(tsfn_shared::metrics::REQUEST_SECONDS.into()),
                    REQUEST_BUCKETS,
                )
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        Matcher::Full(tsfn_shared::metrics::JOB_SECONDS.into()),
                        JOB_BUCKETS,
                    )
                })
                .expect("bucket lists are not empty")
                .build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_ok() {
                tsfn_shared::metrics::describe();
                // Histograms keep their samples until upkeep folds them in.
                let h = handle.clone();
                tokio::spawn(async move {
                    loop {
                        tokio::time::sleep(Duration::from_secs(5)).await;
                        h.run_upkeep();
                    }
                });
            }
            handle
        })
        .clone()
}

/// The metrics page.
pub fn page(handle: &PrometheusHandle) -> Response {
    let mut r = Response::new(Body::Text(handle.render()));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    r
}

/// Serves `GET /metrics` alone on `TSFN_METRICS_BIND` until the process ends.
pub async fn listen(app: Arc<App>, handle: PrometheusHandle) -> Result<(), String> {
    let Some(bind) = app.settings.metrics_bind.clone() else {
        return Ok(());
    };
    let listener = TcpListener::bind(&bind)
        .await
        .map_err(|e| format!("cannot listen on {bind} (TSFN_METRICS_BIND): {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    tracing::info!(%addr, "metrics on http://{addr}/metrics");
    // Tests bind port 0 and read the address from this line.
    println!("tsfn metrics on http://{addr}/metrics");
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            };
            let handle = handle.clone();
            let svc = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                let handle = handle.clone();
                async move {
                    let (status, body) = if req.uri().path() == PATH {
                        (StatusCode::OK, handle.render())
                    } else {
                        (
                            StatusCode::NOT_FOUND,
                            "only /metrics is served here\n".into(),
                        )
                    };
                    let mut r = hyper::Response::new(Full::new(Bytes::from(body)));
                    *r.status_mut() = status;
                    r.headers_mut().insert(
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
                    );
                    Ok::<_, Infallible>(r)
                }
            });
            tokio::spawn(async move {
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    Ok(())
}

/// How often a process counts the queue for the `tsfn_jobs_queued` gauge.
const QUEUE_COUNT_EVERY: Duration = Duration::from_secs(5);
/// Counting stops here: a DynamoDB count pages through the index, and past this the exact
/// number matters less than that the queue is long.
const QUEUE_COUNT_MAX: u64 = 100_000;

/// Keeps the queued-jobs gauge current while the process runs (serve and worker alike: any of
/// them may be the one Prometheus scrapes). A failed count leaves the last value.
pub fn count_queue(app: Arc<App>) {
    tokio::spawn(async move {
        loop {
            if let Ok(n) = app.store.count_queued(QUEUE_COUNT_MAX).await {
                tsfn_shared::metrics::jobs_queued(n);
            }
            tokio::time::sleep(QUEUE_COUNT_EVERY).await;
        }
    });
}
