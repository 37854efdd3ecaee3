//! What every request goes through around its handler, the same on Lambda and in `tsfn serve`:
//! a request id (tower-http: taken from `x-request-id` or made, and returned), CORS (tower-http,
//! only when `TSFN_CORS_ORIGINS` is set), the API key and the scope its route needs
//! ([`crate::access`]), the caller's rate limit, then [`http::dispatch`] (body limit, handler,
//! error mapping), and after it one access log line and the request metrics.
//!
//! Every log line of a request, the handler's included, carries its id: the handler runs inside
//! a `request` span holding it.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use lambda_http::http::{header, HeaderName, Method};
use lambda_http::request::RequestContext;
use lambda_http::{Body, RequestExt};
use tower::util::BoxCloneService;
use tower::{Service, ServiceBuilder};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tracing::Instrument;

use crate::access::{self, Keys, Limiter};
use crate::app::App;
use crate::error::Error;
use crate::http::{self, Request, Response};
use crate::metrics as m;
use crate::settings::{CorsOrigins, Settings};

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The client's address as `tsfn serve` saw it (a request extension; on Lambda the API Gateway
/// request context carries it instead).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub std::net::SocketAddr);

/// Who may call and how often: built once per process from the settings.
pub struct Guard {
    pub keys: Keys,
    pub limiter: Option<Limiter>,
}

impl Guard {
    pub fn new(settings: &Settings) -> Guard {
        let mut keys = settings.api_keys.clone().unwrap_or_default();
        if let Some(file) = &settings.api_keys_file {
            keys.0.extend(file.0.iter().cloned());
        }
        Guard {
            keys: keys.with_plain(settings.api_key.as_deref()),
            limiter: settings.rate_limit.map(Limiter::new),
        }
    }
}

/// The id of a request (after [`wrap`] set it): for its log lines and the jobs it creates.
pub fn request_id(req: &Request) -> Option<&str> {
    req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok())
}

/// One request through the rules above. `template` is the route that matched (`None`: no route,
/// and `call` answers 404 or 405).
pub async fn handle<F, Fut>(
    app: Arc<App>,
    req: Request,
    template: Option<&'static str>,
    call: F,
) -> Response
where
    F: FnOnce(Arc<App>, Request) -> Fut,
    Fut: Future<Output = Response>,
{
    let started = Instant::now();
    let id = request_id(&req).unwrap_or("-").to_owned();
    let span = tracing::info_span!("request", id = %id);
    let method = req.method().clone();
    let route = template.unwrap_or("-");
    async move {
        let (admitted, key) = admit(&app, &req, template);
        let resp = match admitted {
            Ok(()) => call(app.clone(), req).await,
            Err(e) => http::error_response(&e),
        };
        let elapsed = started.elapsed();
        let bytes = body_len(resp.body());
        m::request(route, method.as_str(), resp.status().as_u16(), elapsed);
        tracing::info!(
            target: "tsfn::access",
            method = %method,
            route,
            status = resp.status().as_u16(),
            ms = %format_args!("{:.3}", elapsed.as_secs_f64() * 1e3),
            bytes,
            key = key.as_deref().unwrap_or("-"),
            "request"
        );
        resp
    }
    .instrument(span)
    .await
}

/// Whether the request may go on, and the name of its key (when keys are set and it carries one
/// of them, even if the key lacks the scope: the access log shows who was refused). The rate
/// limit comes before the scope check, so refused attempts count too (guessing keys is limited
/// like anything else).
fn admit(app: &App, req: &Request, template: Option<&str>) -> (Result<(), Error>, Option<String>) {
    let guard = &app.guard;
    let given = http::given_key(req);
    let key = given.as_deref().and_then(|g| guard.keys.find(g));
    let name = key.map(|k| k.name.clone());
    let path = req.uri().path();
    if let Some(limiter) = &guard.limiter {
        // Open probes stay unlimited: an orchestrator's health checks must not be refused.
        if !access::is_open(path) {
            let caller = match &name {
                Some(k) => format!("key:{k}"),
                None => client_addr(req).unwrap_or_else(|| "unknown".into()),
            };
            if let Err(wait) = limiter.check(&caller) {
                m::rate_limited();
                let e = Error::TooManyRequests {
                    retry_after: retry_secs(wait),
                };
                return (Err(e), name);
            }
        }
    }
    let Some(template) = template else {
        return (Ok(()), name);
    };
    let need = access::scope_for(req.method().as_str(), template, path);
    (guard.keys.authorize(key, need), name)
}

/// Whole seconds for `Retry-After`, rounded up (and at least 1, so a client waits).
fn retry_secs(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0).max(u64::from(wait.is_zero()))
}

fn client_addr(req: &Request) -> Option<String> {
    if let Some(ClientAddr(a)) = req.extensions().get::<ClientAddr>() {
        return Some(a.ip().to_string());
    }
    match req.request_context_ref()? {
        RequestContext::ApiGatewayV2(c) => c.http.source_ip.clone(),
        RequestContext::ApiGatewayV1(c) => c.identity.source_ip.clone(),
        #[allow(unreachable_patterns)]
        _ => None,
    }
}

fn body_len(b: &Body) -> usize {
    match b {
        Body::Text(s) => s.len(),
        Body::Binary(b) => b.len(),
        _ => 0,
    }
}

pub type EdgeService = BoxCloneService<Request, Response, Infallible>;

/// The tower-http layers around a host's service: request ids outermost (so even a CORS
/// preflight answer carries one), then CORS when configured.
pub fn wrap<S, Fut>(settings: &Settings, svc: S) -> EdgeService
where
    S: Service<Request, Response = Response, Error = Infallible, Future = Fut>
        + Clone
        + Send
        + 'static,
    Fut: Future<Output = Result<Response, Infallible>> + Send + 'static,
{
    let cors = settings.cors_origins.as_ref().map(cors_layer);
    let svc = ServiceBuilder::new()
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .option_layer(cors)
        .service(svc);
    BoxCloneService::new(svc)
}

fn cors_layer(origins: &CorsOrigins) -> CorsLayer {
    let allow = match origins {
        CorsOrigins::Any => AllowOrigin::any(),
        CorsOrigins::List(list) => AllowOrigin::list(list.iter().cloned()),
    };
    CorsLayer::new()
        .allow_origin(allow)
        .allow_methods([
            Method::GET,
            Method::HEAD,
            Method::POST,
            Method::PUT,
            Method::DELETE,
        ])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            HeaderName::from_static("x-api-key"),
            REQUEST_ID,
        ])
        .expose_headers([
            REQUEST_ID,
            header::LOCATION,
            header::RETRY_AFTER,
            HeaderName::from_static("x-next-cursor"),
        ])
        .max_age(Duration::from_secs(600))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(retry_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_secs(Duration::from_millis(1500)), 2);
        assert_eq!(retry_secs(Duration::from_secs(3)), 3);
        assert_eq!(retry_secs(Duration::ZERO), 1);
    }
}
