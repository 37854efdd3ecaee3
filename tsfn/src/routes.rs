//! The route table of the one-process host: every function's own `METHOD`, `PATH` and
//! `handler`, mounted as is. The same table is written in the workspace `Cargo.toml` for
//! `cargo lambda watch`; a test keeps the two equal.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use lambda_http::http::Method;
use tsfn_shared::http::match_path;
use tsfn_shared::{App, Request, Response, Result};

pub type BoxFuture = Pin<Box<dyn Future<Output = Result<Response>> + Send>>;
pub type Handler = fn(Arc<App>, Request) -> BoxFuture;

pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    /// The function crate (and Lambda binary) that serves this route.
    pub function: &'static str,
    pub handler: Handler,
}

macro_rules! route {
    ($krate:ident, $name:literal) => {
        Route {
            method: $krate::METHOD,
            path: $krate::PATH,
            function: $name,
            handler: |app, req| Box::pin($krate::handler(app, req)),
        }
    };
}

pub static ROUTES: &[Route] = &[
    route!(series_list, "series-list"),
    route!(series_put, "series-put"),
    route!(series_get, "series-get"),
    route!(series_delete, "series-delete"),
    route!(points_write, "points-write"),
    route!(points_query, "points-query"),
    route!(points_delete, "points-delete"),
    route!(point_get, "point-get"),
    route!(point_put, "point-put"),
    route!(point_delete, "point-delete"),
    route!(series_stats, "series-stats"),
    route!(jobs_submit, "jobs-submit"),
    route!(jobs_list, "jobs-list"),
    route!(job_get, "job-get"),
    route!(job_result, "job-result"),
    route!(job_delete, "job-delete"),
    route!(health, "health"),
    route!(ready, "ready"),
];

/// What the router decided for a method and path.
pub enum Match {
    Found(&'static Route),
    /// The path exists with other methods (for the `Allow` header).
    WrongMethod(Vec<&'static str>),
    NotFound,
}

pub fn find(method: &Method, path: &str) -> Match {
    let mut allowed = Vec::new();
    for r in ROUTES {
        // The host serves routes at the root: no stage or base path in front.
        if match_path(r.path, path).is_some_and(|m| m.prefix == 0) {
            if r.method == method.as_str() {
                return Match::Found(r);
            }
            allowed.push(r.method);
        }
    }
    if allowed.is_empty() {
        Match::NotFound
    } else {
        Match::WrongMethod(allowed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_templates() {
        assert!(
            matches!(find(&Method::GET, "/series/x/points/"), Match::Found(r) if r.function == "points-query")
        );
        // A stage in front is API Gateway's; the host serves at the root only.
        assert!(matches!(find(&Method::GET, "/prod/series/x"), Match::NotFound));
        assert!(
            matches!(find(&Method::GET, "/series/x/stats"), Match::Found(r) if r.function == "series-stats")
        );
        assert!(matches!(find(&Method::POST, "/series/x"), Match::WrongMethod(m) if m.len() == 3));
        assert!(matches!(find(&Method::GET, "/nope"), Match::NotFound));
    }
}
