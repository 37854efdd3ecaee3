//! The OpenAPI 3.1 document of the whole HTTP API (`GET /openapi.json`, `tsfn openapi`), built
//! here from the code's own constants: the job kinds, their params, bounds and choices come from
//! [`crate::jobs::kinds::catalogue`], the limits from the constants the handlers check; the
//! statuses, aggregates, fills and error codes listed here are held by the tests below to the
//! types that parse or produce them. `tsfn/tests/it/openapi.rs` holds its operations to the route table (both
//! ways) and runs Schemathesis against `tsfn serve` with it, so neither can drift.
//!
//! Written with `serde_json` rather than derived: the response views borrow, are written by hand
//! for speed (`views::page_json`) or are built as `json!` values, so a derive would describe
//! only part of them, and the schema is one readable place.

use serde_json::{json, Map, Value};

use crate::jobs::kinds::{self, KindInfo};
use crate::jobs::spec::KINDS;
use crate::model::{MAX_LABELS, MAX_META_TEXT};
use crate::query::{DEFAULT_LIMIT, MAX_DRAW_POINTS, MAX_LIMIT};

const AGGS: &[&str] = &["mean", "min", "max", "sum", "count", "first", "last"];
const FILLS: &[&str] = &["null", "previous", "linear", "zero"];
const STATUSES: &[&str] = &["queued", "running", "succeeded", "failed"];
const ERROR_CODES: &[&str] = &[
    "invalid",
    "unauthorized",
    "forbidden",
    "rate_limited",
    "not_found",
    "method_not_allowed",
    "conflict",
    "payload_too_large",
    "unsupported_media_type",
    "internal",
    "unavailable",
    "queue_full",
];
/// The most series `GET /points` aligns (functions/points-multi).
const MAX_MULTI_SERIES: usize = 32;
/// `[a-z0-9][a-z0-9_.-]{0,127}` ([`crate::model::SeriesId`]).
const SERIES_ID: &str = "^[a-z0-9][a-z0-9_.-]{0,127}$";
/// How tsfn writes every time: RFC 3339, UTC, milliseconds ([`crate::time::format`]).
const TIME_OUT: &str = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$";
/// The forms [`crate::time::parse`] reads: an epoch number, or a date with an optional time and
/// offset (a pattern checks fields' ranges, not calendars: February 30 matches).
const TIME_IN: &str = "^(-?[0-9]+(\\.[0-9]+)?|[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])\
    ([Tt ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\\.[0-9]+)?)?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?)?)$";
const UUID: &str = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$";

/// The document as JSON bytes (what `GET /openapi.json` serves).
pub fn to_json() -> Vec<u8> {
    serde_json::to_vec(&document()).expect("a JSON value serializes")
}

/// The whole document.
pub fn document() -> Value {
    let mut paths = Map::new();
    for (path, method, op) in operations() {
        let item = paths
            .entry(path)
            .or_insert_with(|| Value::Object(Map::new()));
        item[method.to_ascii_lowercase()] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "tsfn",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Time series over HTTP: series, points, range and bucket queries, \
                statistics, InfluxDB line protocol writes, and analysis jobs run by workers. \
                Every error is `{\"error\": {\"code\", \"message\", \"field\"}}` (except the \
                InfluxDB write routes, which answer as InfluxDB does). Timestamps are taken as \
                RFC 3339, a date, or an epoch number (its unit from its size) and always given \
                back as RFC 3339 in UTC with milliseconds. With `TSFN_API_KEY` set, every route \
                but the probes, the console and these docs needs the key.",
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "tags": [
            {"name": "series"}, {"name": "points"}, {"name": "jobs"}, {"name": "influxdb"},
            {"name": "health"}, {"name": "console"},
        ],
        "security": [{"bearer": []}, {"apiKey": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer",
                    "description": "`Authorization: Bearer KEY`, the server's `TSFN_API_KEY`."},
                "apiKey": {"type": "apiKey", "in": "header", "name": "x-api-key",
                    "description": "`x-api-key: KEY`, the server's `TSFN_API_KEY`."},
            },
            "schemas": schemas(),
            "responses": shared_responses(),
            "parameters": shared_parameters(),
        },
    })
}

fn r(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn resp_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/responses/{name}") })
}

fn param_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/parameters/{name}") })
}

fn nullable(schema: Value) -> Value {
    json!({ "oneOf": [schema, {"type": "null"}] })
}

/// A JSON response with a schema.
fn json_resp(description: &str, schema: Value) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": schema}},
    })
}

/// An object whose every listed property is required and no other is allowed.
fn object(props: Value) -> Value {
    let required: Vec<&String> = props.as_object().expect("properties").keys().collect();
    json!({
        "type": "object",
        "properties": props,
        "required": required,
        "additionalProperties": false,
    })
}

/// `schema` (an `object`) with one more property that may be absent.
fn with_optional(mut schema: Value, name: &str, property: Value) -> Value {
    schema["properties"][name] = property;
    schema
}

fn schemas() -> Value {
    let time = r("Time");
    let mut s = json!({
        "Error": {
            "type": "object",
            "description": "Every error of tsfn's own routes.",
            "properties": {"error": {
                "type": "object",
                "properties": {
                    "code": {"type": "string", "enum": ERROR_CODES,
                        "description": "Stable, for programs."},
                    "message": {"type": "string", "description": "For people."},
                    "field": {"type": "string", "description": "Only with `invalid`: the \
                        query parameter, path part, body field, `body`, `points[i]` or \
                        `line N` at fault."},
                },
                "required": ["code", "message"],
                "additionalProperties": false,
            }},
            "required": ["error"],
            "additionalProperties": false,
        },
        "InfluxV1Error": object(json!({"error": {"type": "string"}})),
        "InfluxV2Error": object(json!({
            "code": {"type": "string", "enum": ERROR_CODES},
            "message": {"type": "string"},
        })),
        "SeriesId": {"type": "string", "pattern": SERIES_ID, "maxLength": 128},
        "Time": {"type": "string", "pattern": TIME_OUT,
            "description": "RFC 3339 in UTC with milliseconds.", "examples": ["2024-05-01T12:00:00.000Z"]},
        "Timestamp": {
            "description": "RFC 3339 (`2024-05-01T12:00:00Z`), a date-time without offset (UTC), \
                a date, or an epoch number in seconds, milliseconds, microseconds or \
                nanoseconds by its size. Years 0000 to 9999.",
            "oneOf": [r("TimestampText"), {"type": "number"}],
        },
        "TimestampText": {"type": "string", "pattern": TIME_IN,
            "description": "A timestamp in a path or query: RFC 3339, a date-time without \
                offset, a date, or an epoch number.",
            "examples": ["2024-05-01T12:00:00Z", "1714564800"]},
        "Duration": {"type": "string", "pattern": "^0*[1-9][0-9]*(ms|s|m|h|d|w)$",
            "description": "A positive integer and a unit (ms, s, m, h, d, w), at most 10,000 years.",
            "examples": ["1h"]},
        "Labels": {
            "type": "object",
            "maxProperties": MAX_LABELS,
            "propertyNames": {"minLength": 1, "maxLength": 128},
            "additionalProperties": {"type": "string", "maxLength": 256},
        },
        "SeriesMeta": {
            "type": "object",
            "description": "A series' metadata; every field optional (\"\" and {} when left out). \
                Lengths are in bytes.",
            "properties": {
                "name": {"type": "string", "maxLength": MAX_META_TEXT},
                "unit": {"type": "string", "maxLength": MAX_META_TEXT},
                "description": {"type": "string", "maxLength": MAX_META_TEXT},
                "labels": r("Labels"),
                "retention": {
                    "oneOf": [r("Duration"), {"type": "null"}],
                    "description": "How long points are kept: the workers' sweep deletes \
                        points older than now minus this. null or left out: forever.",
                },
            },
            "additionalProperties": false,
        },
        "Series": object(json!({
            "id": r("SeriesId"),
            "name": {"type": "string"},
            "unit": {"type": "string"},
            "description": {"type": "string"},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "retention": nullable(r("Duration")),
            "count": {"type": "integer", "minimum": 0},
            "first": nullable(time.clone()),
            "last": nullable(time.clone()),
            "created": time,
            "updated": r("Time"),
        })),
        "SeriesList": object(json!({"series": {"type": "array", "items": r("Series")}})),
    });
    let b = json!({
        "Point": object(json!({"t": r("Time"), "v": {"type": "number"}})),
        "PointIn": {
            "description": "`{\"t\": ..., \"v\": ...}` or a pair `[t, v]`; `v` finite.",
            "oneOf": [
                {"type": "object", "properties": {"t": r("Timestamp"), "v": {"type": "number"}},
                    "required": ["t", "v"], "additionalProperties": false},
                {"type": "array", "prefixItems": [r("Timestamp"), {"type": "number"}],
                    "minItems": 2, "items": false},
            ],
        },
        "PointValue": {
            "type": "object",
            "properties": {"v": {"type": "number"}},
            "required": ["v"],
            "additionalProperties": false,
        },
        "Written": object(json!({
            "series": r("SeriesId"),
            "written": {"type": "integer", "minimum": 0, "description": "Distinct timestamps of the body."},
            "created": {"type": "boolean"},
        })),
        "Deleted": object(json!({
            "series": r("SeriesId"),
            "deleted": {"type": "integer", "minimum": 0},
        })),
        "Page": {
            "type": "object",
            "description": "Points (or buckets) of a range, in `order`. With `every`: each bucket \
                at its start, with `every` and `agg`; with `max_points`: a drawing, with \
                `max_points`, `bucket_ms`, `from` and `to`. `v` is null only for a bucket \
                whose aggregate overflowed.",
            "properties": {
                "series": r("SeriesId"),
                "every": {"type": "string"},
                "agg": {"type": "string", "enum": AGGS},
                "max_points": {"type": "integer", "minimum": 2, "maximum": MAX_DRAW_POINTS},
                "bucket_ms": {"type": "integer", "minimum": 1},
                "from": nullable(r("Time")),
                "to": nullable(r("Time")),
                "points": {"type": "array", "items": object(json!({
                    "t": r("Time"),
                    "v": {"type": ["number", "null"]},
                }))},
                "next_cursor": {"type": ["string", "null"]},
            },
            "required": ["series", "points", "next_cursor"],
            "additionalProperties": false,
        },
        "Aligned": {
            "type": "object",
            "properties": {
                "series": {"type": "array", "items": r("SeriesId"), "minItems": 1,
                    "maxItems": MAX_MULTI_SERIES},
                "every": {"type": "string"},
                "agg": {"type": "string", "enum": AGGS},
                "fill": {"enum": [FILLS[0], FILLS[1], FILLS[2], FILLS[3], null]},
                "points": {"type": "array", "items": object(json!({
                    "t": r("Time"),
                    "v": {"type": "array", "items": {"type": ["number", "null"]},
                        "description": "One value per series, in `series` order."},
                }))},
            },
            "required": ["series", "every", "agg", "fill", "points"],
            "additionalProperties": false,
        },
    });
    let c = json!({
        "Stats": object(json!({
            "series": r("SeriesId"),
            "from": nullable(r("Time")),
            "to": nullable(r("Time")),
            "count": {"type": "integer", "minimum": 0},
            "mean": {"type": ["number", "null"]},
            "min": {"type": ["number", "null"]},
            "max": {"type": ["number", "null"]},
            "stddev": {"type": ["number", "null"]},
            "sum": {"type": ["number", "null"], "description": "0 for no points; null when it overflowed."},
            "first": nullable(r("Point")),
            "last": nullable(r("Point")),
        })),
        "Job": with_optional(object(json!({
            "id": {"type": "string", "pattern": UUID},
            "kind": {"type": "string", "enum": KINDS},
            "status": {"type": "string", "enum": STATUSES},
            "series": {"type": "array", "items": r("SeriesId")},
            "from": nullable(r("Time")),
            "to": nullable(r("Time")),
            "params": {"type": "object", "description": "The params with every default filled in."},
            "created": r("Time"),
            "started": nullable(r("Time")),
            "finished": nullable(r("Time")),
            "worker": {"type": ["string", "null"]},
            "attempts": {"type": "integer", "minimum": 0},
            "progress": {"type": "integer", "minimum": 0, "maximum": 100},
            "error": {"type": ["string", "null"]},
            "result_size": {"type": ["integer", "null"], "minimum": 0},
            "result_type": {"type": ["string", "null"]},
            "result_url": {"type": ["string", "null"]},
            "request_id": {"type": ["string", "null"],
                "description": "The `x-request-id` of the request that submitted it."},
        })), "notify", r("JobNotify")),
        "HookWritten": object(json!({
            "source": {"type": "string"},
            "series": r("SeriesId"),
            "written": {"type": "integer", "minimum": 0},
            "created": {"type": "boolean"},
        })),
        "JobNotify": object(json!({
            "url": {"type": "string", "description": "Where the job record is POSTed when the job ends."},
            "status": {"type": "string", "enum": ["pending", "delivered", "failed"],
                "description": "`pending` until the job ends and delivery is over."},
            "attempts": {"type": "integer", "minimum": 0},
            "last_error": {"type": ["string", "null"],
                "description": "Why the last attempt failed (null once delivered)."},
        })),
        "JobList": object(json!({
            "jobs": {"type": "array", "items": r("Job")},
            "next_cursor": {"type": ["string", "null"]},
        })),
    });
    let d = json!({
        "JobKinds": object(json!({"kinds": {"type": "array", "items": object(json!({
            "kind": {"type": "string", "enum": KINDS},
            "description": {"type": "string"},
            "series": object(json!({
                "min": {"type": "integer", "minimum": 1},
                "max": {"type": "integer", "minimum": 1},
            })),
            "params": {"type": "array", "items": object(json!({
                "name": {"type": "string"},
                "type": {"type": "string", "enum": ["integer", "number", "string", "duration"]},
                "choices": {"type": ["array", "null"], "items": {"type": "string"}},
                "default": {},
                "required": {"type": "boolean"},
                "min": {"type": ["number", "null"]},
                "max": {"type": ["number", "null"]},
                "description": {"type": "string"},
            }))},
        }))}})),
        "JobSubmission": job_submission(),
        "TimedValue": object(json!({"t": r("Time"), "v": {"type": ["number", "null"]}})),
    });
    let all = s.as_object_mut().expect("schemas");
    for part in [b, c, d] {
        if let Value::Object(m) = part {
            all.extend(m);
        }
    }
    all.extend(result_schemas());
    s
}

/// The schema of a param as the catalogue lists it.
fn param_schema(p: &kinds::ParamInfo) -> Value {
    let mut s = match (p.ty, p.choices) {
        (_, Some(c)) => json!({"type": "string", "enum": c}),
        ("integer", _) => json!({"type": "integer"}),
        ("number", _) => json!({"type": "number"}),
        ("duration", _) => r("Duration"),
        _ => json!({"type": "string"}),
    };
    if let Some(min) = &p.min {
        s["minimum"] = min.clone();
    }
    if let Some(max) = &p.max {
        s["maximum"] = max.clone();
    }
    s["description"] = json!(p.description);
    s
}

/// `POST /jobs`: one branch per kind, its params and series count from the catalogue.
fn job_submission() -> Value {
    let branches: Vec<Value> = kinds::catalogue()
        .iter()
        .map(|k: &KindInfo| {
            let props: Map<String, Value> = k
                .params
                .iter()
                .map(|p| (p.name.to_owned(), param_schema(p)))
                .collect();
            let required: Vec<&str> = k
                .params
                .iter()
                .filter(|p| p.required)
                .map(|p| p.name)
                .collect();
            let many = json!({"type": "array", "items": r("SeriesId"),
                "minItems": k.series.min, "maxItems": k.series.max});
            let series = if k.series.min == 1 {
                json!({"oneOf": [r("SeriesId"), many]})
            } else {
                many
            };
            // null is taken as {} (every default).
            let mut params = json!({
                "type": ["object", "null"],
                "properties": props,
                "additionalProperties": false,
            });
            if !required.is_empty() {
                params["type"] = json!("object");
                params["required"] = json!(required);
            }
            json!({
                "title": k.kind,
                "description": k.description,
                "type": "object",
                "properties": {
                    "kind": {"const": k.kind},
                    "series": series,
                    "from": nullable(r("Timestamp")),
                    "to": nullable(r("Timestamp")),
                    "params": params,
                    "notify": {"type": ["string", "null"], "format": "uri",
                        "description": "An https URL (http too with TSFN_NOTIFY_ALLOW_HTTP) the \
                            job record is POSTed to when the job ends, signed with \
                            TSFN_NOTIFY_SECRET (`X-Tsfn-Signature-256: t=UNIX_SECONDS,sha256=HEX`, \
                            the HMAC-SHA256 of `{t}.{body}`); refused when no secret is set."},
                },
                "required": if required.is_empty() { json!(["kind", "series"]) }
                    else { json!(["kind", "series", "params"]) },
                "additionalProperties": false,
            })
        })
        .collect();
    json!({
        "description": "An analysis job: its kind, the series it reads (an id or a list), an \
            optional range and the kind's params. See `GET /jobs/kinds`.",
        "oneOf": branches,
    })
}

/// What each job kind's result is (JSON kinds; `plot` is an image).
fn result_schemas() -> Map<String, Value> {
    let num = || json!({"type": ["number", "null"]});
    let int = || json!({"type": "integer", "minimum": 0});
    let id = || r("SeriesId");
    let values = || json!({"type": "array", "items": r("TimedValue")});
    let mut m = Map::new();
    m.insert(
        "SummaryResult".into(),
        object(json!({
            "series": id(), "count": int(), "mean": num(), "min": num(), "max": num(),
            "stddev": num(), "sum": num(),
            "first": nullable(r("TimedValue")), "last": nullable(r("TimedValue")),
            "percentiles": nullable(object(json!({
                "p1": num(), "p5": num(), "p25": num(), "p50": num(), "p75": num(),
                "p95": num(), "p99": num(),
            }))),
        })),
    );
    m.insert(
        "HistogramResult".into(),
        object(json!({
            "series": id(), "count": int(), "min": num(), "max": num(),
            "bins": {"type": "array", "items": object(json!({"lo": num(), "hi": num(), "count": int()}))},
            "below": int(), "above": int(),
        })),
    );
    m.insert(
        "RollingResult".into(),
        object(json!({
            "series": id(), "window": int(),
            "stat": {"type": "string", "enum": ["mean", "median", "std"]},
            "points": values(),
        })),
    );
    m.insert(
        "ResampleResult".into(),
        object(json!({
            "series": id(), "every": {"type": "string"}, "agg": {"type": "string", "enum": AGGS},
            "points": values(),
        })),
    );
    m.insert(
        "TrendResult".into(),
        object(json!({
            "series": id(), "n": int(), "slope_per_day": num(), "slope_per_year": num(),
            "intercept": num(), "intercept_at": r("Time"), "r2": num(),
        })),
    );
    m.insert(
        "AnomaliesResult".into(),
        object(json!({
            "series": id(), "window": int(), "threshold": num(), "checked": int(),
            "anomalies": {"type": "array", "items": object(json!({
                "t": r("Time"), "v": num(), "median": num(), "z": num(),
            }))},
        })),
    );
    m.insert(
        "CorrelationResult".into(),
        object(json!({
            "series": {"type": "array", "items": id(), "minItems": 2, "maxItems": 2},
            "every": {"type": "string"}, "agg": {"type": "string", "enum": AGGS},
            "n": int(), "r": num(),
        })),
    );
    m.insert(
        "SpectrumResult".into(),
        object(json!({
            "series": id(),
            "detrend": {"type": "string", "enum": ["mean", "linear"]},
            "n": int(), "spacing_ms": {"type": "integer"},
            "every": {"type": ["string", "null"]},
            "window": {"type": "string", "enum": ["hann", "none"]},
            "frequencies": {"type": "array", "items": object(json!({
                "hz": num(), "per_day": num(), "magnitude": num(),
            }))},
            "dominant": {"type": "array", "items": object(json!({
                "period_s": num(), "period_days": num(), "hz": num(), "per_day": num(),
                "magnitude": num(),
            }))},
        })),
    );
    m
}

fn shared_responses() -> Value {
    let err = |d: &str| json_resp(d, r("Error"));
    json!({
        "Invalid": err("Bad input: `field` names the parameter, path part or body field."),
        "Unauthorized": {
            "description": "API keys are set and the request carried none of them.",
            "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}},
            "content": {"application/json": {"schema": r("Error")}},
        },
        "Forbidden": err("The request's key lacks the scope this route needs (read, write or admin)."),
        "RateLimited": {
            "description": "The caller's rate limit (`TSFN_RATE_LIMIT`) is used up.",
            "headers": {"Retry-After": {"description": "Seconds to wait.",
                "schema": {"type": "integer", "minimum": 1}}},
            "content": {"application/json": {"schema": r("Error")}},
        },
        "NotFound": err("The series, point or job does not exist."),
        "Conflict": err("The request conflicts with the job's state."),
        "TooLarge": err("The body is larger than `TSFN_MAX_BODY_BYTES`."),
        "UnsupportedMediaType": err("A content type tsfn does not read."),
        "Internal": err("A bug; the details are in the server's log."),
        "Unavailable": {
            "description": "The store cannot be reached, or (`POST /jobs`) the queue is full (`queue_full`); retry after `Retry-After` seconds.",
            "headers": {"Retry-After": {"schema": {"type": "string"}}},
            "content": {"application/json": {"schema": r("Error")}},
        },
    })
}

fn shared_parameters() -> Value {
    let q = |name: &str, description: &str, schema: Value| {
        json!({"name": name, "in": "query", "required": false, "description": description,
            "schema": schema})
    };
    json!({
        "series": {"name": "series", "in": "path", "required": true,
            "description": "The series id.", "schema": r("SeriesId")},
        "t": {"name": "t", "in": "path", "required": true,
            "description": "The point's timestamp, in any accepted form.",
            "schema": r("TimestampText")},
        "jobId": {"name": "id", "in": "path", "required": true, "description": "The job id.",
            "schema": {"type": "string", "format": "uuid"}},
        "from": q("from", "Start of the range, inclusive (any timestamp form).", r("TimestampText")),
        "to": q("to", "End of the range, exclusive (any timestamp form).", r("TimestampText")),
        "format": q("format", "`csv` answers CSV (as does `Accept: text/csv`).",
            json!({"type": "string", "enum": ["json", "csv"]})),
        "every": q("every", "Bucket width.", r("Duration")),
        "agg": q("agg", "How a bucket's points become one value (`avg` is `mean`).",
            json!({"type": "string", "enum": AGGS})),
    })
}

/// The usual error answers of a route: 400 when it reads input (unknown query parameters
/// included), 401 unless open, 413, 500, and 503 when it uses the store.
fn errors(op: &mut Value, invalid: bool, open: bool, store: bool) {
    let responses = op["responses"].as_object_mut().expect("responses");
    if invalid {
        responses.insert("400".into(), resp_ref("Invalid"));
    }
    if !open {
        responses.insert("401".into(), resp_ref("Unauthorized"));
        responses.insert("403".into(), resp_ref("Forbidden"));
        responses.insert("429".into(), resp_ref("RateLimited"));
    }
    responses.insert("413".into(), resp_ref("TooLarge"));
    responses.insert("500".into(), resp_ref("Internal"));
    if store {
        responses.insert("503".into(), resp_ref("Unavailable"));
    }
    if open {
        op["security"] = json!([]);
    }
}

fn csv_or_json(description: &str, schema: Value, csv_example: &str) -> Value {
    json!({
        "description": description,
        "headers": {"x-next-cursor": {"description": "CSV only: the next page's cursor.",
            "schema": {"type": "string"}}},
        "content": {
            "application/json": {"schema": schema},
            "text/csv": {"schema": {"type": "string"}, "example": csv_example},
        },
    })
}

/// Every operation: `(path, METHOD, operation)`, in the route table's order.
pub fn operations() -> Vec<(String, &'static str, Value)> {
    let series = param_ref("series");
    let series_link =
        |op: &str| json!({"operationId": op, "parameters": {"series": "$response.body#/id"}});
    let job_links = json!({
        "GetJob": {"operationId": "getJob", "parameters": {"id": "$response.body#/id"}},
        "GetJobResult": {"operationId": "getJobResult", "parameters": {"id": "$response.body#/id"}},
        "DeleteJob": {"operationId": "deleteJob", "parameters": {"id": "$response.body#/id"}},
    });
    // A summary of the series just written or put: a job that succeeds whatever its points.
    let summarize = |at: &str| {
        json!({"operationId": "submitJob",
            "requestBody": {"kind": "summary", "series": format!("$response.body#/{at}")}})
    };
    let written_links = json!({
        "Summarize": summarize("series"),
        "GetSeries": {"operationId": "getSeries", "parameters": {"series": "$response.body#/series"}},
        "QueryPoints": {"operationId": "queryPoints", "parameters": {"series": "$response.body#/series"}},
        "GetStats": {"operationId": "getStats", "parameters": {"series": "$response.body#/series"}},
    });
    let series_links = json!({
        "Summarize": summarize("id"),
        "GetSeries": series_link("getSeries"),
        "WritePoints": series_link("writePoints"),
        "QueryPoints": series_link("queryPoints"),
        "DeleteSeries": series_link("deleteSeries"),
    });
    let lines_body = |what: &str| {
        json!({
            "required": true,
            "description": format!("InfluxDB line protocol, {what}; may be gzip \
                (`Content-Encoding: gzip`)."),
            "content": {"text/plain": {"schema": {"type": "string"},
                "example": "room,room=hall co2=612 1704067200000000000\n"}},
        })
    };
    let influx_errors = |op: &mut Value, v: &str| {
        let schema = json!({"oneOf": [r(v), r("Error")]});
        let e = json_resp(
            "Errors as InfluxDB's clients read them (tsfn's own body for a missing key \
             or a body over the limit).",
            schema,
        );
        let responses = op["responses"].as_object_mut().expect("responses");
        for code in [
            "400", "401", "403", "404", "413", "415", "429", "500", "503",
        ] {
            responses.insert(code.into(), e.clone());
        }
    };
    let q = |name: &str, description: &str, schema: Value| {
        json!({"name": name, "in": "query", "required": false, "description": description,
            "schema": schema})
    };
    let qr = |name: &str, description: &str, schema: Value| {
        json!({"name": name, "in": "query", "required": true, "description": description,
            "schema": schema})
    };

    let mut ops: Vec<(String, &'static str, Value)> = Vec::new();

    // ---- series
    let mut op = json!({
        "operationId": "listSeries", "tags": ["series"], "summary": "List series",
        "description": "Every series with its point count, first and last timestamps; filters \
            apply together.",
        "parameters": [
            {"name": "label", "in": "query", "required": false, "style": "form", "explode": true,
                "description": "`KEY:VALUE`, repeatable; every one must match a label exactly.",
                "schema": {"type": "array", "items": {"type": "string", "pattern": "^[^:]+:"}}},
            q("q", "Case-insensitive text within the id or the name.", json!({"type": "string"})),
        ],
        "responses": {"200": json_resp("The series.", r("SeriesList"))},
    });
    errors(&mut op, true, false, true);
    ops.push(("/series".into(), "GET", op));

    let mut op = json!({
        "operationId": "putSeries", "tags": ["series"], "summary": "Create or replace a series' metadata",
        "parameters": [series.clone()],
        "requestBody": {"required": true, "content": {"application/json": {"schema": r("SeriesMeta"),
            "example": {"name": "CO2", "unit": "ppm", "labels": {"site": "mlo"}}}}},
        "responses": {
            "200": {"description": "Replaced.", "content": {"application/json": {"schema": r("Series")}},
                "links": series_links.clone()},
            "201": {"description": "Created.", "content": {"application/json": {"schema": r("Series")}},
                "links": series_links},
        },
    });
    errors(&mut op, true, false, true);
    ops.push(("/series/{series}".into(), "PUT", op));

    let mut op = json!({
        "operationId": "getSeries", "tags": ["series"], "summary": "Get a series",
        "parameters": [series.clone()],
        "responses": {"200": json_resp("The series.", r("Series")), "404": resp_ref("NotFound")},
    });
    errors(&mut op, true, false, true);
    ops.push(("/series/{series}".into(), "GET", op));

    let mut op = json!({
        "operationId": "deleteSeries", "tags": ["series"], "summary": "Delete a series and its points",
        "parameters": [series.clone()],
        "responses": {"204": {"description": "Deleted."}, "404": resp_ref("NotFound")},
    });
    errors(&mut op, true, false, true);
    ops.push(("/series/{series}".into(), "DELETE", op));

    // ---- points
    let points_schema = json!({"type": "array", "items": r("PointIn")});
    let mut op = json!({
        "operationId": "writePoints", "tags": ["points"], "summary": "Write points",
        "description": "JSON array, NDJSON or CSV (`t,v` header), chosen by `Content-Type` \
            (guessed from the first character without one, or with text/plain). The whole body \
            is checked first: one bad point writes nothing. Creates the series when missing.",
        "parameters": [series.clone()],
        "requestBody": {"required": true, "content": {
            "application/json": {"schema": points_schema,
                "example": [{"t": "2024-05-01T12:00:00Z", "v": 1.5}, [1714568400, 2.5]]},
            "application/x-ndjson": {"schema": {"type": "string"},
                "example": "{\"t\": \"2024-05-01T12:00:00Z\", \"v\": 1.5}\n"},
            "text/csv": {"schema": {"type": "string"}, "example": "t,v\n2024-05-01T12:00:00Z,1.5\n"},
        }},
        "responses": {
            "200": {"description": "Written to an existing series.",
                "content": {"application/json": {"schema": r("Written")}}, "links": written_links.clone()},
            "201": {"description": "Written; the series was created.",
                "content": {"application/json": {"schema": r("Written")}}, "links": written_links},
            "415": resp_ref("UnsupportedMediaType"),
        },
    });
    errors(&mut op, true, false, true);
    ops.push(("/series/{series}/points".into(), "POST", op));

    let mut op = json!({
        "operationId": "queryPoints", "tags": ["points"], "summary": "Query a range",
        "description": "Points of `[from, to)` a page at a time; with `every`, time buckets \
            reduced with `agg`; with `max_points`, a drawing of the whole range (the least and \
            greatest point of each of `max_points / 2` buckets), which takes no paging or \
            bucketing parameter.",
        "parameters": [
            series.clone(), param_ref("from"), param_ref("to"),
            q("limit", "Points per page.", json!({"type": "integer", "minimum": 1,
                "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT})),
            q("order", "Time order.", json!({"type": "string", "enum": ["asc", "desc"], "default": "asc"})),
            q("cursor", "`next_cursor` of the previous page, unchanged.", json!({"type": "string", "minLength": 1})),
            param_ref("every"), param_ref("agg"),
            q("max_points", "Draw the range in this many points at most.",
                json!({"type": "integer", "minimum": 2, "maximum": MAX_DRAW_POINTS})),
            param_ref("format"),
        ],
        "responses": {
            "200": csv_or_json("A page.", r("Page"), "t,v\n2024-05-01T12:00:00.000Z,1.5\n"),
            "404": resp_ref("NotFound"),
        },
    });
    errors(&mut op, true, false, true);
    ops.push(("/series/{series}/points".into(), "GET", op));

    let mut op = json!({
        "operationId": "deletePoints", "tags": ["points"], "summary": "Delete a range of points",
        "description": "At least one of `from` and `to`.",
        "parameters": [series.clone(), param_ref("from"), param_ref("to")],
        "responses": {"200": json_resp("How many were deleted.", r("Deleted")), "404": resp_ref("NotFound")},
    });
    errors(&mut op, true, false, true);
    ops.push(("/series/{series}/points".into(), "DELETE", op));

    let t = param_ref("t");
    let mut op = json!({
        "operationId": "getPoint", "tags": ["points"], "summary": "Get one point",
        "parameters": [series.clone(), t.clone()],
        "responses": {"200": json_resp("The point.", r("Point")), "404": resp_ref("NotFound")},
    });
    errors(&mut op, true, false, true);
    ops.push(("/series/{series}/points/{t}".into(), "GET", op));

    let mut op = json!({
        "operationId": "putPoint", "tags": ["points"], "summary": "Write one point",
        "parameters": [series.clone(), t.clone()],
        "requestBody": {"required": true, "content": {"application/json": {"schema": r("PointValue"),
            "example": {"v": 1.5}}}},
        "responses": {"200": json_resp("The point written.", r("Point"))},
    });
    errors(&mut op, true, false, true);
    ops.push(("/series/{series}/points/{t}".into(), "PUT", op));

    let mut op = json!({
        "operationId": "deletePoint", "tags": ["points"], "summary": "Delete one point",
        "parameters": [series.clone(), t],
        "responses": {"204": {"description": "Deleted."}, "404": resp_ref("NotFound")},
    });
    errors(&mut op, true, false, true);
    ops.push(("/series/{series}/points/{t}".into(), "DELETE", op));

    let mut op = json!({
        "operationId": "getStats", "tags": ["series"], "summary": "Statistics of a range",
        "description": "Count, mean, min, max, population standard deviation, sum, first and \
            last; count 0 and nulls for an empty range.",
        "parameters": [series.clone(), param_ref("from"), param_ref("to")],
        "responses": {"200": json_resp("The statistics.", r("Stats")), "404": resp_ref("NotFound")},
    });
    errors(&mut op, true, false, true);
    ops.push(("/series/{series}/stats".into(), "GET", op));

    let mut op = json!({
        "operationId": "queryMulti", "tags": ["points"], "summary": "Several series on the same buckets",
        "description": "With `fill`, a row for every bucket of the range (both bounds needed); \
            without, rows where some series has points.",
        "parameters": [
            {"name": "series", "in": "query", "required": true, "style": "form", "explode": true,
                "description": "1 to 32 series ids.",
                "schema": {"type": "array", "items": r("SeriesId"), "minItems": 1, "maxItems": MAX_MULTI_SERIES}},
            qr("every", "Bucket width.", r("Duration")),
            param_ref("agg"), param_ref("from"), param_ref("to"),
            q("fill", "What an empty bucket holds.", json!({"type": "string", "enum": FILLS})),
            param_ref("format"),
        ],
        "responses": {
            "200": csv_or_json("One row per bucket.", r("Aligned"), "t,a,b\n2024-05-01T12:00:00.000Z,1.5,\n"),
            "404": resp_ref("NotFound"),
        },
    });
    errors(&mut op, true, false, true);
    ops.push(("/points".into(), "GET", op));

    // ---- InfluxDB
    let mut op = json!({
        "operationId": "writeV1", "tags": ["influxdb"], "summary": "InfluxDB 1.x write",
        "description": "Each field of a line is a point of the series `{db}.{measurement}.{field}` \
            (the setting `TSFN_LINE_TEMPLATE`). Also takes the key as `?p=KEY`, \
            `Authorization: Token KEY` or HTTP Basic.",
        "parameters": [
            qr("db", "Database: `{db}` of the series template.", json!({"type": "string", "minLength": 1})),
            q("precision", "Timestamps' unit (ns by default).",
                json!({"type": "string", "enum": ["n", "ns", "u", "us", "ms", "s", "m", "h"]})),
            q("rp", "Accepted, unused.", json!({"type": "string"})),
            q("u", "Accepted, unused.", json!({"type": "string"})),
            q("p", "The API key, as 1.x clients send their password.", json!({"type": "string"})),
            q("consistency", "Accepted, unused.", json!({"type": "string"})),
        ],
        "requestBody": lines_body("1.x"),
        "responses": {"204": {"description": "Written."}},
    });
    influx_errors(&mut op, "InfluxV1Error");
    ops.push(("/write".into(), "POST", op));

    let mut op = json!({
        "operationId": "writeV2", "tags": ["influxdb"], "summary": "InfluxDB 2.x write",
        "description": "Each field of a line is a point of the series `{db}.{measurement}.{field}`, \
            `{db}` being the bucket. Also takes the key as `Authorization: Token KEY`.",
        "parameters": [
            qr("bucket", "Bucket: `{db}` (or `{bucket}`) of the series template.", json!({"type": "string", "minLength": 1})),
            q("precision", "Timestamps' unit (ns by default).",
                json!({"type": "string", "enum": ["ns", "us", "ms", "s"]})),
            q("org", "Accepted, unused.", json!({"type": "string"})),
            q("orgID", "Accepted, unused.", json!({"type": "string"})),
        ],
        "requestBody": lines_body("2.x"),
        "responses": {"204": {"description": "Written."}},
    });
    influx_errors(&mut op, "InfluxV2Error");
    ops.push(("/api/v2/write".into(), "POST", op));

    let mut op = json!({
        "operationId": "ping", "tags": ["influxdb"], "summary": "InfluxDB clients' probe",
        "responses": {"204": {"description": "Up.", "headers": {
            "x-influxdb-version": {"schema": {"type": "string"}},
            "x-influxdb-build": {"schema": {"type": "string"}},
        }}},
    });
    errors(&mut op, false, true, false);
    ops.push(("/ping".into(), "GET", op));

    // ---- signed webhooks
    let points_schema = json!({"type": "array", "items": r("PointIn")});
    let mut op = json!({
        "operationId": "pushHook", "tags": ["points"], "summary": "Push points through a signed webhook",
        "description": "Another service pushes points into the series `series`, in any body \
            `POST /series/{series}/points` accepts. Authenticated by its signature, not by an \
            API key: `X-Hub-Signature-256: sha256=HEX`, the HMAC-SHA256 of the raw body with \
            the source's secret (`TSFN_HOOK_SECRETS`), or of `{ts}.{body}` when \
            `X-Tsfn-Timestamp: ts` (Unix seconds, at most five minutes from now) is sent. \
            A refused request writes nothing.",
        "parameters": [
            {"name": "source", "in": "path", "required": true,
                "description": "The sending source, as named in TSFN_HOOK_SECRETS.",
                "schema": {"type": "string"}},
            qr("series", "The series the points go to (created when missing).", r("SeriesId")),
            {"name": "X-Hub-Signature-256", "in": "header", "required": true,
                "description": "`sha256=` and the HMAC-SHA256 in hex.",
                "schema": {"type": "string", "pattern": "^sha256=[0-9a-fA-F]{64}$"}},
            {"name": "X-Tsfn-Timestamp", "in": "header", "required": false,
                "description": "Unix seconds the signature covers; older than five minutes is refused.",
                "schema": {"type": "string", "pattern": "^[0-9]+$"}},
        ],
        "requestBody": {"required": true, "content": {
            "application/json": {"schema": points_schema,
                "example": [{"t": "2024-05-01T12:00:00Z", "v": 1.5}]},
            "application/x-ndjson": {"schema": {"type": "string"}},
            "text/csv": {"schema": {"type": "string"}},
        }},
        "responses": {
            "200": json_resp("Written to an existing series.", r("HookWritten")),
            "201": json_resp("Written; the series was created.", r("HookWritten")),
            "401": json_resp("The signature is missing, wrong or stale; `field` names the header.", r("Error")),
            "404": resp_ref("NotFound"),
            "415": resp_ref("UnsupportedMediaType"),
            "429": resp_ref("RateLimited"),
        },
    });
    errors(&mut op, true, true, true);
    ops.push(("/hooks/{source}".into(), "POST", op));

    // ---- jobs
    let mut op = json!({
        "operationId": "submitJob", "tags": ["jobs"], "summary": "Submit an analysis job",
        "description": "Validated whole at submit time: a job that is accepted can run.",
        "requestBody": {"required": true, "content": {"application/json": {"schema": r("JobSubmission"),
            "example": {"kind": "summary", "series": "co2", "from": "1990-01-01"}}}},
        "responses": {
            "202": {"description": "Queued.",
                "headers": {"Location": {"schema": {"type": "string"}}},
                "content": {"application/json": {"schema": r("Job")}},
                "links": job_links},
            "404": resp_ref("NotFound"),
        },
    });
    errors(&mut op, true, false, true);
    ops.push(("/jobs".into(), "POST", op));

    let mut op = json!({
        "operationId": "listJobs", "tags": ["jobs"], "summary": "List jobs, newest first",
        "parameters": [
            q("status", "Only jobs of this status.", json!({"type": "string", "enum": STATUSES})),
            q("limit", "Jobs per page.", json!({"type": "integer", "minimum": 1, "maximum": 1000, "default": 100})),
            q("cursor", "`next_cursor` of the previous page, unchanged.", json!({"type": "string", "minLength": 1})),
        ],
        "responses": {"200": json_resp("A page of jobs.", r("JobList"))},
    });
    errors(&mut op, true, false, true);
    ops.push(("/jobs".into(), "GET", op));

    let mut op = json!({
        "operationId": "jobKinds", "tags": ["jobs"], "summary": "The job kinds and their params",
        "responses": {"200": json_resp("Every kind.", r("JobKinds"))},
    });
    errors(&mut op, true, false, false);
    ops.push(("/jobs/kinds".into(), "GET", op));

    let id = param_ref("jobId");
    let mut op = json!({
        "operationId": "getJob", "tags": ["jobs"], "summary": "A job's status",
        "parameters": [id.clone()],
        "responses": {"200": json_resp("The job.", r("Job")), "404": resp_ref("NotFound")},
    });
    errors(&mut op, true, false, true);
    ops.push(("/jobs/{id}".into(), "GET", op));

    let results: Vec<Value> = [
        "SummaryResult",
        "HistogramResult",
        "RollingResult",
        "ResampleResult",
        "TrendResult",
        "AnomaliesResult",
        "CorrelationResult",
        "SpectrumResult",
    ]
    .iter()
    .map(|n| r(n))
    .collect();
    let mut op = json!({
        "operationId": "getJobResult", "tags": ["jobs"], "summary": "A succeeded job's result",
        "description": "JSON for the analyses, PNG or SVG for plots. 409 until the job has \
            succeeded (and for a failed job, with its error).",
        "parameters": [id.clone()],
        "responses": {
            "200": {"description": "The result; it never changes.",
                "content": {
                    "application/json": {"schema": {"anyOf": results}},
                    "image/png": {"schema": {"type": "string", "contentMediaType": "image/png"}},
                    "image/svg+xml": {"schema": {"type": "string"}},
                }},
            "404": resp_ref("NotFound"),
            "409": resp_ref("Conflict"),
        },
    });
    errors(&mut op, true, false, true);
    ops.push(("/jobs/{id}/result".into(), "GET", op));

    let mut op = json!({
        "operationId": "deleteJob", "tags": ["jobs"], "summary": "Delete a finished job or cancel a queued one",
        "parameters": [id],
        "responses": {"204": {"description": "Deleted or cancelled."},
            "404": resp_ref("NotFound"), "409": resp_ref("Conflict")},
    });
    errors(&mut op, true, false, true);
    ops.push(("/jobs/{id}".into(), "DELETE", op));

    // ---- health
    let mut op = json!({
        "operationId": "health", "tags": ["health"], "summary": "Liveness",
        "responses": {"200": json_resp("Serving.", object(json!({"status": {"const": "ok"}})))},
    });
    errors(&mut op, false, true, false);
    ops.push(("/health".into(), "GET", op));

    // ---- console and docs
    let mut op = json!({
        "operationId": "console", "tags": ["console"], "summary": "The web console's page",
        "responses": {
            "200": {"description": "The page.", "content": {"text/html": {"schema": {"type": "string"}}}},
            "304": {"description": "Not modified (`If-None-Match`)."},
        },
    });
    errors(&mut op, false, true, false);
    ops.push(("/".into(), "GET", op));

    let mut op = json!({
        "operationId": "consoleAsset", "tags": ["console"], "summary": "The console's and the docs' files",
        "parameters": [{"name": "asset", "in": "path", "required": true, "schema": {"type": "string"},
            "examples": {"script": {"value": "app.js"}}}],
        "responses": {
            "200": {"description": "The file.", "content": {
                "text/javascript": {"schema": {"type": "string"}},
                "text/css": {"schema": {"type": "string"}},
                "text/html": {"schema": {"type": "string"}},
                "text/plain": {"schema": {"type": "string"}},
            }},
            "304": {"description": "Not modified (`If-None-Match`)."},
            "404": resp_ref("NotFound"),
        },
    });
    errors(&mut op, false, true, false);
    ops.push(("/console/{asset}".into(), "GET", op));

    let mut op = json!({
        "operationId": "ready", "tags": ["health"], "summary": "Readiness",
        "responses": {"200": json_resp("The store answers and can write.", object(json!({
            "status": {"const": "ready"},
            "store": {"type": "string", "enum": ["sqlite", "redis", "dynamodb"]},
        })))},
    });
    errors(&mut op, false, true, true);
    ops.push(("/ready".into(), "GET", op));

    let mut op = json!({
        "operationId": "openapi", "tags": ["console"], "summary": "This document",
        "responses": {"200": json_resp("OpenAPI 3.1.", json!({"type": "object"}))},
    });
    errors(&mut op, true, true, false);
    ops.push(("/openapi.json".into(), "GET", op));

    let mut op = json!({
        "operationId": "docs", "tags": ["console"], "summary": "This document, for people",
        "responses": {
            "200": {"description": "The page (it reads `/openapi.json`).",
                "content": {"text/html": {"schema": {"type": "string"}}}},
            "304": {"description": "Not modified (`If-None-Match`)."},
        },
    });
    errors(&mut op, false, true, false);
    ops.push(("/docs".into(), "GET", op));

    ops
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::jobs::JobStatus;
    use crate::query::{Agg, Fill};

    /// The enumerations listed are exactly what the parsers take (a value beside them is refused).
    #[test]
    fn listed_values_are_what_the_code_accepts() {
        for a in AGGS {
            assert_eq!(Agg::parse(a).unwrap().name(), *a);
        }
        for f in FILLS {
            assert_eq!(Fill::parse(f).unwrap().name(), *f);
        }
        for st in STATUSES {
            assert_eq!(JobStatus::parse(st).unwrap().as_str(), *st);
        }
        assert!(Agg::parse("median").is_err());
        assert!(Fill::parse("nearest").is_err());
        assert!(JobStatus::parse("cancelled").is_err());
        let codes: Vec<&str> = [
            Error::invalid("f", "m"),
            Error::Unauthorized,
            Error::Forbidden {
                key: String::new(),
                scope: "read",
            },
            Error::TooManyRequests { retry_after: 1 },
            Error::NotFound(String::new()),
            Error::MethodNotAllowed,
            Error::Conflict(String::new()),
            Error::TooLarge { limit: 1 },
            Error::UnsupportedMediaType(String::new()),
            Error::Internal(String::new()),
            Error::Unavailable(String::new()),
            Error::QueueFull { limit: 1 },
        ]
        .iter()
        .map(Error::code)
        .collect();
        assert_eq!(codes, ERROR_CODES);
        // Exhaustive: a new variant does not compile here until it is in the list above.
        let _ = |e: &Error| match e {
            Error::Invalid { .. }
            | Error::Unauthorized
            // Its code is `unauthorized`, listed with Unauthorized's.
            | Error::BadSignature { .. }
            | Error::Forbidden { .. }
            | Error::TooManyRequests { .. }
            | Error::QueueFull { .. }
            | Error::NotFound(_)
            | Error::NoRoute
            | Error::MethodNotAllowed
            | Error::Conflict(_)
            | Error::TooLarge { .. }
            | Error::UnsupportedMediaType(_)
            | Error::Internal(_)
            | Error::Unavailable(_) => {}
        };
    }

    /// Every `$ref` names a component that exists.
    #[test]
    fn every_reference_resolves() {
        fn walk(v: &Value, doc: &Value) {
            match v {
                Value::Object(m) => {
                    if let Some(Value::String(r)) = m.get("$ref") {
                        let target = r
                            .strip_prefix("#/")
                            .unwrap()
                            .split('/')
                            .fold(doc, |at, k| &at[k]);
                        assert!(!target.is_null(), "{r} does not resolve");
                    }
                    m.values().for_each(|x| walk(x, doc));
                }
                Value::Array(a) => a.iter().for_each(|x| walk(x, doc)),
                _ => {}
            }
        }
        let doc = document();
        walk(&doc, &doc);
    }
}
