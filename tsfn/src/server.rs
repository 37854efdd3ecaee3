//! `tsfn serve`'s HTTP server: hyper on one port, each request handed to the function that owns
//! its route through the same `dispatch` the Lambda entry uses. Shuts down gracefully: on
//! SIGINT/SIGTERM it closes the listening socket and lets in-flight requests finish.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use lambda_http::http::{header, HeaderValue, Method};
use lambda_http::Body;
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::net::TcpListener;
use tower::ServiceExt;
use tsfn_shared::edge::{self, ClientAddr, EdgeService};
use tsfn_shared::http::{dispatch, error_response};
use tsfn_shared::{App, Error, Request, Response};

use crate::routes::{self, Match};

/// A body that could not be read, handed to the router to answer (so the answer passes the edge
/// like any other: request id, access log, metrics).
#[derive(Clone)]
struct BodyError(Error);

async fn handle(
    app: Arc<App>,
    svc: EdgeService,
    peer: SocketAddr,
    req: hyper::Request<Incoming>,
) -> hyper::Response<Full<Bytes>> {
    let limit = app.settings.max_body_bytes;
    let (mut parts, body) = req.into_parts();
    let body = match Limited::new(body, limit).collect().await {
        Ok(collected) => {
            let bytes = collected.to_bytes();
            if bytes.is_empty() {
                Body::Empty
            } else {
                Body::Binary(bytes.into())
            }
        }
        Err(e) => {
            let err = if e.is::<http_body_util::LengthLimitError>() {
                Error::TooLarge { limit }
            } else {
                Error::invalid("body", format!("could not read the request body: {e}"))
            };
            parts.extensions.insert(BodyError(err));
            Body::Empty
        }
    };
    parts.extensions.insert(ClientAddr(peer));
    let req = lambda_http::Request::from_parts(parts, body);
    let Ok(resp) = svc.oneshot(req).await;
    let (parts, body) = resp.into_parts();
    let bytes = match body {
        Body::Empty => Bytes::new(),
        Body::Text(s) => Bytes::from(s),
        Body::Binary(b) => Bytes::from(b),
        _ => Bytes::new(),
    };
    hyper::Response::from_parts(parts, Full::new(bytes))
}

/// The router inside the edge: the route table, plus `GET /metrics`, which is this host's (a
/// Lambda function reports its metrics as log lines instead).
async fn route(app: Arc<App>, metrics: PrometheusHandle, req: Request) -> Response {
    if let Some(BodyError(e)) = req.extensions().get::<BodyError>().cloned() {
        return edge::handle(app, req, None, |_, _| async move { error_response(&e) }).await;
    }
    if req.uri().path() == crate::metrics::PATH {
        if matches!(*req.method(), Method::GET | Method::HEAD) {
            return edge::handle(app, req, Some(crate::metrics::PATH), |_, _| async move {
                crate::metrics::page(&metrics)
            })
            .await;
        }
        return wrong_method(app, req, vec!["GET"]).await;
    }
    match routes::find(req.method(), req.uri().path()) {
        Match::Found(route) => {
            edge::handle(app, req, Some(route.path), |app, req| {
                dispatch(app, req, route.handler)
            })
            .await
        }
        Match::WrongMethod(allowed) => wrong_method(app, req, allowed).await,
        Match::NotFound => {
            edge::handle(app, req, None, |_, _| async {
                error_response(&Error::NoRoute)
            })
            .await
        }
    }
}

async fn wrong_method(app: Arc<App>, req: Request, allowed: Vec<&'static str>) -> Response {
    edge::handle(app, req, None, |_, _| async move {
        let mut r = error_response(&Error::MethodNotAllowed);
        if let Ok(v) = HeaderValue::from_str(&allowed.join(", ")) {
            r.headers_mut().insert(header::ALLOW, v);
        }
        r
    })
    .await
}

/// The whole service of this host: the edge's tower-http layers around the router.
pub fn service(app: Arc<App>, metrics: PrometheusHandle) -> EdgeService {
    let settings = app.settings.clone();
    edge::wrap(
        &settings,
        tower::service_fn(move |req: Request| {
            let (app, metrics) = (app.clone(), metrics.clone());
            async move { Ok::<_, Infallible>(route(app, metrics, req).await) }
        }),
    )
}

/// Serves until `shutdown` resolves, then drains in-flight requests.
pub async fn serve(
    app: Arc<App>,
    listener: TcpListener,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let svc = service(app.clone(), crate::metrics::install());
    let graceful = GracefulShutdown::new();
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_millis(app.settings.header_timeout_ms))
        .keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer): (_, SocketAddr) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(s) => s,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let (app, edge) = (app.clone(), svc.clone());
        let svc = service_fn(move |req| {
            let (app, edge) = (app.clone(), edge.clone());
            async move { Ok::<_, Infallible>(handle(app, edge, peer, req).await) }
        });
        let conn = builder.serve_connection(TokioIo::new(stream), svc);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection closed with error");
            }
        });
    }
    // Close the socket first: new connections are refused at once (a client retries another
    // replica) instead of waiting in the backlog through the drain and being reset at exit.
    drop(listener);
    tracing::info!("shutting down: draining in-flight requests");
    // TSFN_DRAIN_MS: in-flight requests get this long to finish after a shutdown signal.
    let drain = Duration::from_millis(app.settings.drain_ms);
    if tokio::time::timeout(drain, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("drain timed out after {drain:?}");
    }
}
