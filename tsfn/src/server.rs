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
use lambda_http::http::{header, HeaderValue};
use lambda_http::Body;
use tokio::net::TcpListener;
use tsfn_shared::http::{dispatch, error_response};
use tsfn_shared::{App, Error};

use crate::routes::{self, Match};

async fn handle(app: Arc<App>, req: hyper::Request<Incoming>) -> hyper::Response<Full<Bytes>> {
    let resp = match routes::find(req.method(), req.uri().path()) {
        Match::Found(route) => {
            let limit = app.settings.max_body_bytes;
            let (parts, body) = req.into_parts();
            match Limited::new(body, limit).collect().await {
                Ok(collected) => {
                    let bytes = collected.to_bytes();
                    let body = if bytes.is_empty() {
                        Body::Empty
                    } else {
                        Body::Binary(bytes.into())
                    };
                    let req = lambda_http::Request::from_parts(parts, body);
                    dispatch(app, req, route.handler).await
                }
                Err(e) if e.is::<http_body_util::LengthLimitError>() => {
                    error_response(&Error::TooLarge { limit })
                }
                Err(e) => error_response(&Error::invalid(
                    "body",
                    format!("could not read the request body: {e}"),
                )),
            }
        }
        Match::WrongMethod(allowed) => {
            let mut r = error_response(&Error::MethodNotAllowed);
            if let Ok(v) = HeaderValue::from_str(&allowed.join(", ")) {
                r.headers_mut().insert(header::ALLOW, v);
            }
            r
        }
        Match::NotFound => error_response(&Error::NoRoute),
    };
    let (parts, body) = resp.into_parts();
    let bytes = match body {
        Body::Empty => Bytes::new(),
        Body::Text(s) => Bytes::from(s),
        Body::Binary(b) => Bytes::from(b),
        _ => Bytes::new(),
    };
    hyper::Response::from_parts(parts, Full::new(bytes))
}

/// Serves until `shutdown` resolves, then drains in-flight requests.
pub async fn serve(
    app: Arc<App>,
    listener: TcpListener,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let graceful = GracefulShutdown::new();
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_millis(app.settings.header_timeout_ms))
        .keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        let (stream, _peer): (_, SocketAddr) = tokio::select! {
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
        let app = app.clone();
        let svc = service_fn(move |req| {
            let app = app.clone();
            async move { Ok::<_, Infallible>(handle(app, req).await) }
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
