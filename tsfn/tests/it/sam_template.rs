//! The SAM template (`infra/aws/template.yaml`) read as plain YAML and checked against the code:
//! each function's bootstrap is the binary of that name, every function runs on
//! provided.al2023/arm64, the worker is fed by the jobs table's stream with a filter and failure
//! handling that fit its partial-batch answer, and the tables are the ones the DynamoDB backend
//! creates and names from `dynamodb://PREFIX`. Its routes and each function's IAM grants are
//! checked against the route table by `route_table.rs`. `cfn-lint` checks the template's
//! CloudFormation/SAM validity (scripts/test.sh runs it).

use crate::support;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use support::sam::*;
use support::workspace_root;

#[test]
fn every_function_is_a_bootstrap_on_provided_al2023_arm64() {
    let t = template();
    let fs = functions(&t);
    assert!(fs.len() > 1);
    for (id, _, f) in fs {
        assert_eq!(
            prop(&t, f, "Runtime").and_then(Value::as_str),
            Some("provided.al2023"),
            "{id}: Runtime"
        );
        assert_eq!(
            prop(&t, f, "Architectures"),
            Some(&serde_json::json!(["arm64"])),
            "{id}: Architectures (cargo lambda build --arm64)"
        );
        assert_eq!(
            prop(&t, f, "Handler").and_then(Value::as_str),
            Some("bootstrap"),
            "{id}: Handler"
        );
        assert!(
            prop(&t, f, "PackageType").is_none_or(|p| p == "Zip"),
            "{id}: zip package"
        );
    }
}

/// The table design of `tsfn init-store`: shared/src/store/dynamodb/schema.rs, `init_tables`
/// (keys, attribute types, the jobs table's indexes and stream). Keep in step with it.
/// A global secondary index: name, key schema (attribute, key type), projection type.
type Index = (
    &'static str,
    &'static [(&'static str, &'static str)],
    &'static str,
);

struct TableDesign {
    name: &'static str,
    keys: &'static [(&'static str, &'static str)],
    attributes: &'static [(&'static str, &'static str)],
    indexes: &'static [Index],
    stream: Option<&'static str>,
    /// The TTL attribute, where DynamoDB deletes expired items (jobs and results).
    ttl: Option<&'static str>,
}

const TABLES: &[TableDesign] = &[
    TableDesign {
        name: "series",
        keys: &[("id", "HASH")],
        attributes: &[("id", "S")],
        indexes: &[],
        stream: None,
        ttl: None,
    },
    TableDesign {
        name: "points",
        keys: &[("s", "HASH"), ("t", "RANGE")],
        attributes: &[("s", "S"), ("t", "N")],
        indexes: &[],
        stream: None,
        // No TTL on chunks: it would delete them without the series' count and version.
        ttl: None,
    },
    TableDesign {
        name: "jobs",
        keys: &[("id", "HASH")],
        attributes: &[
            ("id", "S"),
            ("status", "S"),
            ("ix", "S"),
            ("g", "S"),
            ("ag", "S"),
            ("announce_at", "N"),
        ],
        indexes: &[
            ("by_status", &[("status", "HASH"), ("ix", "RANGE")], "ALL"),
            ("all", &[("g", "HASH"), ("ix", "RANGE")], "ALL"),
            // Sparse, read for ids only.
            (
                "announce",
                &[("ag", "HASH"), ("announce_at", "RANGE")],
                "KEYS_ONLY",
            ),
        ],
        stream: Some("NEW_IMAGE"),
        ttl: Some("expires_at"),
    },
    TableDesign {
        name: "results",
        keys: &[("id", "HASH"), ("part", "RANGE")],
        attributes: &[("id", "S"), ("part", "N")],
        indexes: &[],
        stream: None,
        ttl: Some("expires_at"),
    },
];

fn pairs(v: &Value, a: &str, b: &str) -> Vec<(String, String)> {
    v.as_array()
        .map(|l| {
            l.iter()
                .map(|e| {
                    (
                        e[a].as_str().unwrap_or("?").to_owned(),
                        e[b].as_str().unwrap_or("?").to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn owned(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn tables_are_the_backend_design_under_the_store_prefix() {
    let t = template();
    let tables = tables_by_name(&t);
    assert_eq!(
        tables.keys().map(String::as_str).collect::<BTreeSet<_>>(),
        TABLES.iter().map(|d| d.name).collect::<BTreeSet<_>>(),
        "tables"
    );
    for d in TABLES {
        let id = &tables[d.name];
        let p = &resources(&t)[id]["Properties"];
        assert_eq!(p["BillingMode"], "PAY_PER_REQUEST", "{id}");
        assert_eq!(
            pairs(&p["KeySchema"], "AttributeName", "KeyType"),
            owned(d.keys),
            "{id}: key schema"
        );
        assert_eq!(
            pairs(&p["AttributeDefinitions"], "AttributeName", "AttributeType")
                .into_iter()
                .collect::<BTreeSet<_>>(),
            owned(d.attributes).into_iter().collect(),
            "{id}: attribute definitions"
        );
        let mut indexes = BTreeMap::new();
        for gsi in p["GlobalSecondaryIndexes"].as_array().into_iter().flatten() {
            indexes.insert(
                gsi["IndexName"].as_str().unwrap().to_owned(),
                (
                    pairs(&gsi["KeySchema"], "AttributeName", "KeyType"),
                    gsi["Projection"]["ProjectionType"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                ),
            );
        }
        let expected: BTreeMap<_, _> = d
            .indexes
            .iter()
            .map(|(n, k, proj)| (n.to_string(), (owned(k), proj.to_string())))
            .collect();
        assert_eq!(indexes, expected, "{id}: global secondary indexes");
        assert!(p.get("LocalSecondaryIndexes").is_none(), "{id}: no LSIs");
        assert_eq!(
            p["StreamSpecification"]["StreamViewType"].as_str(),
            d.stream,
            "{id}: stream"
        );
        let ttl = &p["TimeToLiveSpecification"];
        match d.ttl {
            Some(attr) => {
                assert_eq!(ttl["AttributeName"], attr, "{id}: TTL attribute");
                assert_eq!(ttl["Enabled"], true, "{id}: TTL enabled");
            }
            None => assert!(ttl.is_null(), "{id}: no TTL"),
        }
    }
}

/// Does an EventBridge-style pattern (the subset Lambda filters use here: nested objects and
/// lists of exact values) match this record?
fn pattern_matches(pattern: &Value, record: &Value) -> bool {
    let Some(fields) = pattern.as_object() else {
        panic!("pattern {pattern} is not an object")
    };
    fields.iter().all(|(k, want)| {
        let Some(got) = record.get(k) else {
            return false;
        };
        match want {
            Value::Object(_) => pattern_matches(want, got),
            Value::Array(values) => {
                for v in values {
                    assert!(
                        !v.is_object(),
                        "content filter {v} is not modelled by this test: teach it"
                    );
                }
                values.contains(got)
            }
            _ => panic!("pattern value {want} must be a list or an object"),
        }
    })
}

#[test]
fn the_worker_takes_queued_jobs_from_the_jobs_stream_and_reports_failures() {
    let t = template();
    let tables = tables_by_name(&t);
    let fs = functions(&t);
    let (wid, _, worker) = fs
        .iter()
        .find(|(_, name, _)| name == "worker")
        .expect("the worker function");
    let streams = events_of_type(worker, "DynamoDB");
    assert_eq!(streams.len(), 1, "{wid}: one DynamoDB stream event");
    assert!(
        events_of_type(worker, "HttpApi").is_empty(),
        "{wid}: no HTTP route"
    );
    // A schedule sends the sweep event, which takes over jobs whose invocation died.
    let schedules = events_of_type(worker, "Schedule");
    assert_eq!(schedules.len(), 1, "{wid}: one Schedule event (the sweep)");
    let s = &schedules[0]["Properties"];
    let rate = s["Schedule"].as_str().expect("Schedule expression");
    assert!(
        rate.starts_with("rate(") || rate.starts_with("cron("),
        "{rate}"
    );
    let input: worker::WorkerEvent =
        serde_json::from_str(s["Input"].as_str().expect("Input")).expect("Input: a worker event");
    assert!(matches!(input, worker::WorkerEvent::Sweep(_)), "{input:?}");
    let p = &streams[0]["Properties"];

    // The jobs table's stream, with the new image the worker reads.
    let (table, att) = get_att(&p["Stream"]).expect("Stream: Fn::GetAtt [JobsTable, StreamArn]");
    assert_eq!(att, "StreamArn");
    assert_eq!(table, tables["jobs"], "the stream is the jobs table's");
    let view = &resources(&t)[&table]["Properties"]["StreamSpecification"]["StreamViewType"];
    assert!(
        view == "NEW_IMAGE" || view == "NEW_AND_OLD_IMAGES",
        "{table}: stream view {view}"
    );

    assert!(
        matches!(
            p["StartingPosition"].as_str(),
            Some("LATEST" | "TRIM_HORIZON")
        ),
        "StartingPosition"
    );
    assert!(
        p["BatchSize"]
            .as_u64()
            .is_some_and(|n| (1..=10_000).contains(&n)),
        "BatchSize"
    );
    // The worker answers {"batchItemFailures": [...]}: without this Lambda ignores the answer
    // and a failed record would be dropped as a success.
    assert!(
        p["FunctionResponseTypes"]
            .as_array()
            .is_some_and(|l| l.contains(&Value::from("ReportBatchItemFailures"))),
        "FunctionResponseTypes ReportBatchItemFailures"
    );
    assert_eq!(p["BisectBatchOnFunctionError"], true, "bisect on error");
    assert!(
        p["MaximumRetryAttempts"]
            .as_u64()
            .is_some_and(|n| n <= 10_000),
        "bounded MaximumRetryAttempts (the default, -1, retries until the record expires)"
    );

    // The filter keeps INSERTs of queued jobs, as the sample stream event holds, and drops
    // the worker's own updates and deletions.
    let filters: Vec<Value> = p["FilterCriteria"]["Filters"]
        .as_array()
        .expect("FilterCriteria.Filters")
        .iter()
        .map(|f| serde_json::from_str(f["Pattern"].as_str().expect("Pattern")).expect("JSON"))
        .collect();
    assert!(!filters.is_empty());
    let passes = |r: &Value| filters.iter().any(|f| pattern_matches(f, r));
    let sample: Value = serde_json::from_str(
        &std::fs::read_to_string(workspace_root().join("events/worker.stream.json")).unwrap(),
    )
    .unwrap();
    let queued = sample["Records"][0].clone();
    assert_eq!(queued["dynamodb"]["NewImage"]["status"]["S"], "queued");
    assert!(passes(&queued), "the filter drops a queued job's INSERT");
    let variant = |event: &str, status: Option<&str>| {
        let mut r = queued.clone();
        r["eventName"] = event.into();
        match status {
            Some(s) => r["dynamodb"]["NewImage"]["status"]["S"] = s.into(),
            None => {
                r["dynamodb"].as_object_mut().unwrap().remove("NewImage");
            }
        }
        r
    };
    for (event, status) in [
        ("MODIFY", Some("running")),
        ("MODIFY", Some("succeeded")),
        ("MODIFY", Some("queued")),
        ("INSERT", Some("running")),
        ("REMOVE", None),
    ] {
        assert!(
            !passes(&variant(event, status)),
            "the filter keeps {event} {status:?}"
        );
    }

    // Batches still failing after the retries are described in an SQS queue it may send to.
    let (queue, att) = get_att(&p["DestinationConfig"]["OnFailure"]["Destination"])
        .expect("DestinationConfig.OnFailure.Destination: Fn::GetAtt [Queue, Arn]");
    assert_eq!(att, "Arn");
    assert_eq!(resource_type(&t, &queue), "AWS::SQS::Queue");
    assert!(
        grants(&t, worker)
            .iter()
            .any(|g| g.target == Target::Queue(queue.clone())
                && allows(&g.action, "sqs:SendMessage")),
        "{wid} may not send to {queue}"
    );

    // Jobs run for longer than requests (bulk ingestion is no request).
    let timeout = |f: &Value| prop(&t, f, "Timeout").and_then(Value::as_u64).unwrap_or(3);
    for (id, _, f) in &fs {
        if !events_of_type(f, "HttpApi").is_empty() {
            assert!(timeout(worker) > timeout(f), "{wid} timeout vs {id}");
        }
    }
}

#[test]
fn the_ingest_functions_take_their_events_and_answer_partial_batches() {
    let t = template();
    let fs = functions(&t);
    let find = |name: &str| {
        fs.iter()
            .find(|(_, n, _)| n == name)
            .map(|(id, _, f)| (*id, *f))
            .unwrap_or_else(|| panic!("the {name} function"))
    };

    // ingest-s3: ObjectCreated events of the template's bucket under the pattern's prefix, and
    // objects (read, its report written and removed) only there.
    let (sid, s3f) = find("ingest-s3");
    let uploads = events_of_type(s3f, "S3");
    assert_eq!(uploads.len(), 1, "{sid}: one S3 event");
    let p = &uploads[0]["Properties"];
    let bucket = ref_id(&p["Bucket"]).expect("Bucket: Ref to the template's bucket");
    assert_eq!(resource_type(&t, bucket), "AWS::S3::Bucket");
    assert_eq!(p["Events"], "s3:ObjectCreated:*");
    let prefix = p["Filter"]["S3Key"]["Rules"][0]["Value"]
        .as_str()
        .expect("a prefix rule");
    assert!(
        tsfn_shared::bulk::DEFAULT_PATTERN.starts_with(prefix),
        "{prefix} vs TSFN_INGEST_PATTERN's default"
    );
    let objects: BTreeSet<String> = grants(&t, s3f)
        .into_iter()
        .filter(|g| matches!(g.target, Target::Objects(_)))
        .map(|g| g.action)
        .collect();
    assert_eq!(
        objects,
        ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"]
            .map(String::from)
            .into(),
        "{sid}"
    );
    assert!(
        grants(&t, s3f).iter().all(
            |g| !matches!(&g.target, Target::Objects(o) if !o.ends_with(&format!("/{prefix}*")))
        ),
        "{sid}: objects outside {prefix}"
    );

    // ingest-queue: the queue and the stream, both with the partial batch answer it gives
    // (without ReportBatchItemFailures Lambda ignores batchItemFailures and retries all).
    let (qid, qf) = find("ingest-queue");
    for (ty, source, key) in [
        ("SQS", "AWS::SQS::Queue", "Queue"),
        ("Kinesis", "AWS::Kinesis::Stream", "Stream"),
    ] {
        let evs = events_of_type(qf, ty);
        assert_eq!(evs.len(), 1, "{qid}: one {ty} event");
        let p = &evs[0]["Properties"];
        let (id, att) = get_att(&p[key]).unwrap_or_else(|| panic!("{ty}: Fn::GetAtt [X, Arn]"));
        assert_eq!(att, "Arn");
        assert_eq!(resource_type(&t, &id), source);
        assert_eq!(
            p["FunctionResponseTypes"],
            serde_json::json!(["ReportBatchItemFailures"]),
            "{qid}: {ty}"
        );
    }
    // Kinesis batches still failing after the retries are described in a queue it may send to.
    let k = &events_of_type(qf, "Kinesis")[0]["Properties"];
    let (dlq, _) = get_att(&k["DestinationConfig"]["OnFailure"]["Destination"]).expect("OnFailure");
    assert!(
        grants(&t, qf)
            .iter()
            .any(|g| g.target == Target::Queue(dlq.clone()) && allows(&g.action, "sqs:SendMessage")),
        "{qid} may not send to {dlq}"
    );
    for (_, f) in [find("ingest-s3"), find("ingest-queue")] {
        assert!(events_of_type(f, "HttpApi").is_empty());
    }
}
