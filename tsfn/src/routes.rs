//! The route table: the one list of tsfn's functions, each HTTP route with its method, path,
//! function and the store calls it makes, plus the functions that serve no route (the worker).
//! `tsfn serve` mounts it as is (each function's own `METHOD`, `PATH` and `handler`), and
//! `tsfn/tests/route_table.rs` checks every other copy against it: the workspace `Cargo.toml`
//! router of `cargo lambda watch`, the SAM template's functions, events and IAM grants, `events/`,
//! the README's route table and the user guide.
//!
//! Adding a route: a crate under `functions/` with `METHOD`, `PATH` and `handler`, its line in
//! `tsfn/Cargo.toml`, and one row below; the test then names whatever else lacks it.

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
    /// Every store call the handler makes (see [`StoreCall`]).
    pub store: &'static [StoreCall],
    pub handler: Handler,
}

/// One kind of call a function makes on the store, in the DynamoDB backend's terms: a deployment
/// grants each function exactly these (IAM policies in `infra/aws/template.yaml`), so this is the
/// store access that needs writing down. SQLite and Redis have no per-function permissions.
/// Taken from the handlers' store calls and `shared/src/store/dynamodb/`: a new
/// store call on a route's path belongs in its row. Actions inside a TransactWriteItems call
/// are listed as what IAM grants them as: `PutItem`, `DeleteItem`, `UpdateItem` (and
/// `ConditionCheckItem`); there is no TransactWriteItems permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreCall {
    /// The table, as the backend names it after `dynamodb://PREFIX-`: `series`, `points`, `jobs`,
    /// `results`.
    pub table: &'static str,
    /// The DynamoDB action (`GetItem`, `Query`...).
    pub action: &'static str,
    /// On the table's secondary indexes rather than the table itself.
    pub on_index: bool,
}

const fn call(table: &'static str, action: &'static str) -> StoreCall {
    StoreCall {
        table,
        action,
        on_index: false,
    }
}

const fn index_call(table: &'static str, action: &'static str) -> StoreCall {
    StoreCall {
        table,
        action,
        on_index: true,
    }
}

/// get_series, query/range and stats: GetItem of the series (its count; and whether it exists
/// when a range holds no chunk), Queries of its chunks (first, last, and those of a range).
const READ_SERIES: &[StoreCall] = &[call("series", "GetItem"), call("points", "Query")];
/// write_points and delete_points: GetItem of the series (its version), Queries of the chunks
/// the body or range touches, then TransactWriteItems: Put and Delete of chunks, and an Update
/// of the series item that checks and moves its version, keeps its count and creates it when
/// missing.
const WRITE_POINTS: &[StoreCall] = &[
    call("series", "GetItem"),
    call("series", "UpdateItem"),
    call("points", "Query"),
    call("points", "PutItem"),
    call("points", "DeleteItem"),
];
const DELETE_POINTS: &[StoreCall] = WRITE_POINTS;
/// Line protocol: write_points for each series of the body, then put_series (a conditional
/// PutItem or an UpdateItem, then get_series) for the labels of a series it created.
const WRITE_LINES: &[StoreCall] = &[
    call("series", "GetItem"),
    call("series", "UpdateItem"),
    call("series", "PutItem"),
    call("points", "Query"),
    call("points", "PutItem"),
    call("points", "DeleteItem"),
];

macro_rules! route {
    ($krate:ident, $name:literal, $store:expr) => {
        route!($krate, $krate::PATH, $name, $store)
    };
    // A function serving a second path (the console's assets) with the same handler.
    ($krate:ident, $path:expr, $name:literal, $store:expr) => {
        Route {
            method: $krate::METHOD,
            path: $path,
            function: $name,
            store: $store,
            handler: |app, req| Box::pin($krate::handler(app, req)),
        }
    };
}

pub static ROUTES: &[Route] = &[
    route!(
        series_list,
        "series-list",
        &[call("series", "Scan"), call("points", "Query")]
    ),
    // A conditional PutItem creating the series (with its count and version), or UpdateItem of
    // an existing one's metadata; then get_series.
    route!(
        series_put,
        "series-put",
        &[
            call("series", "PutItem"),
            call("series", "UpdateItem"),
            call("series", "GetItem"),
            call("points", "Query"),
        ]
    ),
    route!(series_get, "series-get", READ_SERIES),
    // GetItem of the series (its version), Query of its chunks' keys, then TransactWriteItems of
    // chunk Deletes with an Update of the series item (version, count), the last with the
    // series item's Delete instead.
    route!(
        series_delete,
        "series-delete",
        &[
            call("series", "GetItem"),
            call("series", "UpdateItem"),
            call("series", "DeleteItem"),
            call("points", "Query"),
            call("points", "DeleteItem"),
        ]
    ),
    route!(points_write, "points-write", WRITE_POINTS),
    route!(points_query, "points-query", READ_SERIES),
    route!(points_delete, "points-delete", DELETE_POINTS),
    route!(point_get, "point-get", READ_SERIES),
    route!(point_put, "point-put", WRITE_POINTS),
    route!(point_delete, "point-delete", DELETE_POINTS),
    route!(series_stats, "series-stats", READ_SERIES),
    // The buckets of each series it names, as points-query reads them.
    route!(points_multi, "points-multi", READ_SERIES),
    // InfluxDB's write routes and its clients' probe.
    route!(write_v1, "write-v1", WRITE_LINES),
    route!(write_v2, "write-v2", WRITE_LINES),
    route!(ping, "ping", &[]),
    // Signed webhooks: points pushed by other services, written as points-write writes them.
    route!(hooks, "hooks", WRITE_POINTS),
    // get_series of each series the job reads, the count of queued jobs on the by_status
    // index (TSFN_MAX_QUEUED_JOBS), then the job; a spectrum without `every` first reads the
    // chunks of its range (check_data).
    route!(
        jobs_submit,
        "jobs-submit",
        &[
            call("series", "GetItem"),
            call("points", "Query"),
            index_call("jobs", "Query"),
            call("jobs", "PutItem")
        ]
    ),
    // The by_status and all indexes.
    route!(jobs_list, "jobs-list", &[index_call("jobs", "Query")]),
    // Before `/jobs/{id}`, which would take `kinds` for a job id.
    route!(jobs_kinds, "jobs-kinds", &[]),
    route!(job_get, "job-get", &[call("jobs", "GetItem")]),
    route!(
        job_result,
        "job-result",
        &[call("jobs", "GetItem"), call("results", "Query")]
    ),
    route!(
        job_delete,
        "job-delete",
        &[
            call("jobs", "GetItem"),
            call("jobs", "DeleteItem"),
            call("results", "DeleteItem"),
        ]
    ),
    route!(health, "health", &[]),
    // The web console: static files, no store call; also the API reference's page (its files
    // are the console's assets).
    route!(console, "console", &[]),
    route!(console, console::ASSET_PATH, "console", &[]),
    route!(console, console::DOCS_PATH, "console", &[]),
    // The OpenAPI document, built from the code.
    route!(openapi, "openapi", &[]),
    // ping: DescribeTable of the series table.
    route!(ready, "ready", &[call("series", "DescribeTable")]),
];

/// The functions that serve no HTTP route, with their store calls: the job worker (DynamoDB
/// Streams batches, the sweep schedule, direct job events). claim_job, renew, finish
/// (UpdateItem), get_job after a lost claim, claim_next on the by_status index (the sweep),
/// result parts, and the series and points a job reads; the sweep's retention: list_series
/// (Scan) and delete_points (as `DELETE_POINTS`).
pub static OTHER_FUNCTIONS: &[(&str, &[StoreCall])] = &[
    (
        "worker",
        &[
            call("jobs", "GetItem"),
            index_call("jobs", "Query"),
            call("jobs", "UpdateItem"),
            call("results", "PutItem"),
            call("series", "GetItem"),
            call("series", "Scan"),
            call("series", "UpdateItem"),
            call("points", "Query"),
            call("points", "PutItem"),
            call("points", "DeleteItem"),
        ],
    ),
    // Bulk ingestion (S3 objects; SQS and Kinesis records): each series written as the line
    // protocol routes write it, labels included.
    ("ingest-s3", WRITE_LINES),
    ("ingest-queue", WRITE_LINES),
];

/// Every function with its store calls: each route's, then the others.
pub fn functions() -> impl Iterator<Item = (&'static str, &'static [StoreCall])> {
    ROUTES
        .iter()
        .map(|r| (r.function, r.store))
        .chain(OTHER_FUNCTIONS.iter().copied())
}

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
            // `/jobs/kinds` is also `/jobs/{id}`: each method once.
            if !allowed.contains(&r.method) {
                allowed.push(r.method);
            }
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
        assert!(matches!(
            find(&Method::GET, "/prod/series/x"),
            Match::NotFound
        ));
        assert!(
            matches!(find(&Method::GET, "/series/x/stats"), Match::Found(r) if r.function == "series-stats")
        );
        assert!(matches!(find(&Method::POST, "/series/x"), Match::WrongMethod(m) if m.len() == 3));
        assert!(matches!(find(&Method::GET, "/nope"), Match::NotFound));
        assert!(
            matches!(find(&Method::POST, "/jobs/kinds"), Match::WrongMethod(m) if m == ["GET", "DELETE"])
        );
    }
}
