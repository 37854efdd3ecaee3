//! The SAM template (`infra/aws/template.yaml`) read as plain YAML and checked against the code:
//! its HTTP API routes are the workspace `Cargo.toml` router (both ways), each function's bootstrap
//! is the binary of that name, every function runs on provided.al2023/arm64, the worker is fed by
//! the jobs table's stream with a filter and failure handling that fit its partial-batch answer,
//! the tables are the ones the DynamoDB backend creates and names from `dynamodb://PREFIX`, and
//! each function's IAM grants cover the store calls it makes while read-only routes can only read.
//! `cfn-lint` checks the template's CloudFormation/SAM validity (scripts/test.sh runs it).

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path};

use serde_json::{Map, Value};
use support::workspace_root;

const TEMPLATE: &str = "infra/aws/template.yaml";

fn template() -> Value {
    let text = std::fs::read_to_string(workspace_root().join(TEMPLATE)).expect(TEMPLATE);
    // Short-form tags (`!Ref`) need a CloudFormation-aware parser; the template uses long forms.
    for (n, line) in text.lines().enumerate() {
        let code = line.split(" #").next().unwrap_or("");
        assert!(
            !code.contains(": !") && !code.trim_start().starts_with("- !"),
            "{TEMPLATE}:{}: short-form intrinsic tag: {line}",
            n + 1
        );
    }
    serde_yaml_ng::from_str(&text).expect("the template is plain YAML")
}

/// `(METHOD, path) -> function` from `[workspace.metadata.lambda.watch.router]`.
fn router() -> BTreeMap<(String, String), String> {
    let mut routes = BTreeMap::new();
    for (method, path, function) in support::cargo_router() {
        let key = (method, path);
        assert!(
            routes.insert(key.clone(), function).is_none(),
            "router: {key:?} twice"
        );
    }
    assert!(!routes.is_empty());
    routes
}

fn resources(t: &Value) -> &Map<String, Value> {
    t["Resources"].as_object().expect("Resources")
}

fn of_type<'a>(t: &'a Value, ty: &str) -> Vec<(&'a str, &'a Value)> {
    resources(t)
        .iter()
        .filter(|(_, r)| r["Type"] == ty)
        .map(|(id, r)| (id.as_str(), r))
        .collect()
}

fn resource_type<'a>(t: &'a Value, id: &str) -> &'a str {
    resources(t)
        .get(id)
        .and_then(|r| r["Type"].as_str())
        .unwrap_or_else(|| panic!("no resource {id}"))
}

/// A function property as SAM resolves it: the function's own, else `Globals.Function`'s.
fn prop<'a>(t: &'a Value, f: &'a Value, key: &str) -> Option<&'a Value> {
    f["Properties"]
        .get(key)
        .or_else(|| t["Globals"]["Function"].get(key))
}

/// A function's environment as SAM merges it (function variables over global ones).
fn env(t: &Value, f: &Value) -> Map<String, Value> {
    let mut vars = t["Globals"]["Function"]["Environment"]["Variables"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    if let Some(own) = f["Properties"]["Environment"]["Variables"].as_object() {
        vars.extend(own.clone());
    }
    vars
}

/// The logical id named by `Ref: X`.
fn ref_id(v: &Value) -> Option<&str> {
    v.get("Ref").and_then(Value::as_str)
}

/// `(X, attribute)` of `Fn::GetAtt: [X, attribute]` or `Fn::GetAtt: X.attribute`.
fn get_att(v: &Value) -> Option<(String, String)> {
    match v.get("Fn::GetAtt")? {
        Value::Array(a) if a.len() == 2 => {
            Some((a[0].as_str()?.to_owned(), a[1].as_str()?.to_owned()))
        }
        Value::String(s) => {
            let (id, att) = s.split_once('.')?;
            Some((id.to_owned(), att.to_owned()))
        }
        _ => None,
    }
}

/// The string of `Fn::Sub: "..."` (or of its list form).
fn sub(v: &Value) -> Option<&str> {
    match v.get("Fn::Sub")? {
        Value::String(s) => Some(s),
        Value::Array(a) => a.first()?.as_str(),
        _ => None,
    }
}

/// The function a template function deploys: the directory its CodeUri names, which must be
/// where `cargo lambda build` puts that binary's bootstrap (`target/lambda/<binary>/`).
fn deployed_function(id: &str, f: &Value) -> String {
    let uri = f["Properties"]["CodeUri"]
        .as_str()
        .unwrap_or_else(|| panic!("{id}: CodeUri must be a local directory"));
    let template_dir = workspace_root().join(TEMPLATE);
    let mut resolved = template_dir.parent().unwrap().to_path_buf();
    for c in Path::new(uri).components() {
        match c {
            Component::ParentDir => assert!(resolved.pop(), "{id}: CodeUri {uri} escapes /"),
            Component::Normal(p) => resolved.push(p),
            _ => panic!("{id}: CodeUri {uri} must be relative to the template"),
        }
    }
    let lambda_dir = workspace_root().join("target").join("lambda");
    let name = resolved
        .strip_prefix(&lambda_dir)
        .unwrap_or_else(|_| panic!("{id}: CodeUri {uri} is not under target/lambda/"))
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        !name.is_empty() && !name.contains('/'),
        "{id}: CodeUri {uri} must be target/lambda/<binary>/"
    );
    // cargo-lambda names the directory after the binary: the function crate's [[bin]].
    let manifest = workspace_root()
        .join("functions")
        .join(&name)
        .join("Cargo.toml");
    let manifest: toml::Value =
        toml::from_str(&std::fs::read_to_string(&manifest).unwrap_or_else(|_| {
            panic!("{id}: CodeUri names {name}, which has no functions/{name}/Cargo.toml")
        }))
        .unwrap();
    let bins: Vec<&str> = manifest["bin"]
        .as_array()
        .map(|b| b.iter().filter_map(|b| b["name"].as_str()).collect())
        .unwrap_or_default();
    assert!(
        bins.contains(&name.as_str()),
        "{id}: functions/{name} builds no binary named {name} (bins: {bins:?})"
    );
    name
}

/// Every function of the template: `(logical id, deployed function name, resource)`.
fn functions(t: &Value) -> Vec<(&str, String, &Value)> {
    of_type(t, "AWS::Serverless::Function")
        .into_iter()
        .map(|(id, f)| (id, deployed_function(id, f), f))
        .collect()
}

fn events_of_type<'a>(f: &'a Value, ty: &str) -> Vec<&'a Value> {
    f["Properties"]["Events"]
        .as_object()
        .map(|e| e.values().filter(|e| e["Type"] == ty).collect())
        .unwrap_or_default()
}

#[test]
fn every_router_route_is_one_http_api_event_of_its_function_and_nothing_else_is() {
    let t = template();
    let router = router();
    let mut in_template: BTreeMap<(String, String), String> = BTreeMap::new();
    let mut events = 0;
    let mut deployed = BTreeSet::new();
    for (id, name, f) in functions(&t) {
        assert!(deployed.insert(name.clone()), "{name} is deployed twice");
        for e in events_of_type(f, "HttpApi") {
            events += 1;
            let p = &e["Properties"];
            let method = p["Method"].as_str().expect("Method").to_owned();
            let path = p["Path"].as_str().expect("Path").to_owned();
            let api = ref_id(&p["ApiId"]).unwrap_or_else(|| panic!("{id}: ApiId must Ref the API"));
            assert_eq!(resource_type(&t, api), "AWS::Serverless::HttpApi", "{id}");
            // API Gateway's path syntax: literal segments or `{name}` parameters.
            for seg in path.trim_start_matches('/').split('/') {
                let param = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}'));
                let ok = match param {
                    Some(p) => {
                        !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    }
                    None => {
                        !seg.is_empty()
                            && seg
                                .chars()
                                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
                    }
                };
                assert!(
                    ok && path.starts_with('/'),
                    "{id}: {path} is not an API Gateway path"
                );
            }
            if let Some(other) = in_template.insert((method.clone(), path.clone()), name.clone()) {
                panic!("{method} {path} is served by both {other} and {name}");
            }
        }
    }
    assert_eq!(events, router.len(), "one HttpApi event per router route");
    assert_eq!(in_template, router, "template routes vs Cargo.toml router");
    // Besides the route functions there is exactly the worker, with no HTTP event.
    let mut expected: BTreeSet<String> = router.values().cloned().collect();
    expected.insert("worker".into());
    assert_eq!(deployed, expected, "deployed functions");
    let apis = of_type(&t, "AWS::Serverless::HttpApi");
    assert_eq!(apis.len(), 1, "one HTTP API");
}

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
struct TableDesign {
    name: &'static str,
    keys: &'static [(&'static str, &'static str)],
    attributes: &'static [(&'static str, &'static str)],
    indexes: &'static [(&'static str, &'static [(&'static str, &'static str)])],
    stream: Option<&'static str>,
}

const TABLES: &[TableDesign] = &[
    TableDesign {
        name: "series",
        keys: &[("id", "HASH")],
        attributes: &[("id", "S")],
        indexes: &[],
        stream: None,
    },
    TableDesign {
        name: "points",
        keys: &[("s", "HASH"), ("t", "RANGE")],
        attributes: &[("s", "S"), ("t", "N")],
        indexes: &[],
        stream: None,
    },
    TableDesign {
        name: "jobs",
        keys: &[("id", "HASH")],
        attributes: &[("id", "S"), ("status", "S"), ("ix", "S"), ("g", "S")],
        indexes: &[
            ("by_status", &[("status", "HASH"), ("ix", "RANGE")]),
            ("all", &[("g", "HASH"), ("ix", "RANGE")]),
        ],
        stream: Some("NEW_IMAGE"),
    },
    TableDesign {
        name: "results",
        keys: &[("id", "HASH"), ("part", "RANGE")],
        attributes: &[("id", "S"), ("part", "N")],
        indexes: &[],
        stream: None,
    },
];

/// The parameter whose value is the store's table prefix: `TSFN_STORE` of every function must
/// be `Fn::Sub: dynamodb://${P}` with the same `P`.
fn store_prefix_parameter(t: &Value) -> String {
    let mut prefix = None;
    for (id, _, f) in functions(t) {
        let store = env(t, f)
            .get("TSFN_STORE")
            .cloned()
            .unwrap_or_else(|| panic!("{id}: no TSFN_STORE"));
        let url = sub(&store)
            .or(store.as_str())
            .unwrap_or_else(|| panic!("{id}: TSFN_STORE {store}"));
        let rest = url
            .strip_prefix("dynamodb://")
            .unwrap_or_else(|| panic!("{id}: TSFN_STORE {url} is not a dynamodb:// URL"));
        let p = rest
            .strip_prefix("${")
            .and_then(|r| r.strip_suffix('}'))
            .unwrap_or_else(|| panic!("{id}: TSFN_STORE {url} must be dynamodb://${{Param}}"))
            .to_owned();
        assert!(
            t["Parameters"].get(&p).is_some(),
            "{id}: TSFN_STORE uses {p}, which is not a parameter"
        );
        assert!(
            prefix.get_or_insert_with(|| p.clone()) == &p,
            "{id}: another table prefix"
        );
    }
    prefix.expect("functions")
}

/// Logical id of each table by the backend's name for it (`series` for `${P}-series`).
fn tables_by_name(t: &Value) -> BTreeMap<String, String> {
    let prefix = store_prefix_parameter(t);
    let mut out = BTreeMap::new();
    for (id, r) in of_type(t, "AWS::DynamoDB::Table") {
        let name = sub(&r["Properties"]["TableName"])
            .unwrap_or_else(|| panic!("{id}: TableName must be Fn::Sub of the prefix"));
        let short = name
            .strip_prefix(&format!("${{{prefix}}}-"))
            .unwrap_or_else(|| {
                panic!("{id}: TableName {name} is not ${{{prefix}}}-NAME, so dynamodb://PREFIX would not find it")
            });
        assert!(
            out.insert(short.to_owned(), id.to_owned()).is_none(),
            "two tables named {short}"
        );
    }
    out
}

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
            assert_eq!(gsi["Projection"]["ProjectionType"], "ALL", "{id}: {gsi}");
            indexes.insert(
                gsi["IndexName"].as_str().unwrap().to_owned(),
                pairs(&gsi["KeySchema"], "AttributeName", "KeyType"),
            );
        }
        let expected: BTreeMap<_, _> = d
            .indexes
            .iter()
            .map(|(n, k)| (n.to_string(), owned(k)))
            .collect();
        assert_eq!(indexes, expected, "{id}: global secondary indexes");
        assert!(p.get("LocalSecondaryIndexes").is_none(), "{id}: no LSIs");
        assert_eq!(
            p["StreamSpecification"]["StreamViewType"].as_str(),
            d.stream,
            "{id}: stream"
        );
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

    // Jobs run for longer than requests.
    let timeout = |f: &Value| prop(&t, f, "Timeout").and_then(Value::as_u64).unwrap_or(3);
    for (id, name, f) in &fs {
        if name != "worker" {
            assert!(timeout(worker) > timeout(f), "{wid} timeout vs {id}");
        }
    }
}

/// What a policy grants an action on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Target {
    /// A table (by logical id).
    Table(String),
    /// A table's indexes (`table/NAME/index/*`).
    Index(String),
    Queue(String),
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Grant {
    action: String,
    target: Target,
}

fn allows(granted: &str, action: &str) -> bool {
    match granted.strip_suffix('*') {
        Some(prefix) => action.starts_with(prefix),
        None => granted == action,
    }
}

/// DynamoDB actions that cannot change data (anything else counts as a write).
const READ_ACTIONS: &[&str] = &[
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "dynamodb:DescribeTable",
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:ListStreams",
];

fn is_read(action: &str) -> bool {
    READ_ACTIONS.contains(&action)
}

/// SAM's policy templates as SAM expands them (samtranslator's policy_templates.json).
fn sam_template_actions(name: &str) -> Option<&'static [&'static str]> {
    Some(match name {
        "DynamoDBReadPolicy" => &[
            "dynamodb:GetItem",
            "dynamodb:Scan",
            "dynamodb:Query",
            "dynamodb:BatchGetItem",
            "dynamodb:DescribeTable",
        ],
        "DynamoDBWritePolicy" => &[
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:BatchWriteItem",
        ],
        "DynamoDBCrudPolicy" => &[
            "dynamodb:GetItem",
            "dynamodb:DeleteItem",
            "dynamodb:PutItem",
            "dynamodb:Scan",
            "dynamodb:Query",
            "dynamodb:UpdateItem",
            "dynamodb:BatchWriteItem",
            "dynamodb:BatchGetItem",
            "dynamodb:DescribeTable",
            "dynamodb:ConditionCheckItem",
        ],
        "SQSSendMessagePolicy" => &["sqs:SendMessage*"],
        _ => return None,
    })
}

/// The target of a statement's resource: a table's or queue's ARN, or a table's indexes.
fn target_of(t: &Value, resource: &Value) -> Target {
    let table_or_queue = |id: &str| match resource_type(t, id) {
        "AWS::DynamoDB::Table" => Target::Table(id.to_owned()),
        "AWS::SQS::Queue" => Target::Queue(id.to_owned()),
        other => panic!("policy resource {id} is a {other}"),
    };
    if let Some((id, att)) = get_att(resource) {
        assert_eq!(att, "Arn", "policy resource {resource}");
        return table_or_queue(&id);
    }
    if let Some(s) = sub(resource) {
        if let Some(id) = s.strip_prefix("${").and_then(|r| r.strip_suffix(".Arn}")) {
            return table_or_queue(id);
        }
        if let Some(id) = s
            .strip_prefix("${")
            .and_then(|r| r.strip_suffix(".Arn}/index/*"))
        {
            assert_eq!(resource_type(t, id), "AWS::DynamoDB::Table");
            return Target::Index(id.to_owned());
        }
    }
    panic!("policy resource {resource}: not a template table or queue (no wildcards)")
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a
            .iter()
            .map(|s| s.as_str().expect("a string").to_owned())
            .collect(),
        _ => panic!("{v}: not a string or a list"),
    }
}

/// Everything a function's `Policies` grant, SAM policy templates expanded.
fn grants(t: &Value, f: &Value) -> BTreeSet<Grant> {
    let mut out = BTreeSet::new();
    let policies = match &f["Properties"]["Policies"] {
        Value::Null => return out,
        Value::Array(a) => a.clone(),
        other => vec![other.clone()],
    };
    for policy in policies {
        let Some(policy) = policy.as_object() else {
            panic!("policy {policy}: managed policies are not least privilege here")
        };
        if let Some(statements) = policy.get("Statement") {
            for s in statements.as_array().expect("Statement list") {
                for unmodelled in ["NotAction", "NotResource", "Condition"] {
                    assert!(
                        s.get(unmodelled).is_none(),
                        "{unmodelled} in {s}: teach the test"
                    );
                }
                if s["Effect"] != "Allow" {
                    continue;
                }
                let actions = strings(&s["Action"]);
                let targets: Vec<Target> = match &s["Resource"] {
                    Value::Array(a) => a.iter().map(|r| target_of(t, r)).collect(),
                    r => vec![target_of(t, r)],
                };
                for a in &actions {
                    assert!(!a.contains('*'), "wildcard action {a}: name the calls");
                    for target in &targets {
                        out.insert(Grant {
                            action: a.clone(),
                            target: target.clone(),
                        });
                    }
                }
            }
            continue;
        }
        assert_eq!(policy.len(), 1, "policy {policy:?}");
        let (name, params) = policy.iter().next().unwrap();
        let actions = sam_template_actions(name).unwrap_or_else(|| {
            panic!("SAM policy template {name} is not modelled: teach the test")
        });
        let targets = if name.starts_with("DynamoDB") {
            let id = ref_id(&params["TableName"])
                .unwrap_or_else(|| panic!("{name}: TableName must Ref a template table"));
            assert_eq!(resource_type(t, id), "AWS::DynamoDB::Table");
            vec![Target::Table(id.to_owned()), Target::Index(id.to_owned())]
        } else {
            let (id, att) = get_att(&params["QueueName"]).unwrap_or_else(|| {
                panic!("{name}: QueueName must be Fn::GetAtt [Queue, QueueName]")
            });
            assert_eq!(att, "QueueName");
            assert_eq!(resource_type(t, &id), "AWS::SQS::Queue");
            vec![Target::Queue(id)]
        };
        for a in actions {
            for target in &targets {
                out.insert(Grant {
                    action: a.to_string(),
                    target: target.clone(),
                });
            }
        }
    }
    out
}

/// The DynamoDB calls each function makes: `(table, action, on an index)`, from the handlers'
/// store calls and shared/src/store/dynamodb/ (series.rs, points.rs, jobs.rs, results.rs). A new
/// route or a new store call must be added here (and granted in the template).
fn store_calls(function: &str) -> &'static [(&'static str, &'static str, bool)] {
    // get_series, query/range and stats: GetItem of the series, Query of its points.
    const READ_SERIES: &[(&str, &str, bool)] =
        &[("series", "GetItem", false), ("points", "Query", false)];
    // write_points: conditional PutItem (create), BatchWriteItem of points, UpdateItem (updated).
    const WRITE_POINTS: &[(&str, &str, bool)] = &[
        ("series", "PutItem", false),
        ("series", "UpdateItem", false),
        ("points", "BatchWriteItem", false),
    ];
    // delete_points: GetItem of the series, Query of the keys, BatchWriteItem of deletions.
    const DELETE_POINTS: &[(&str, &str, bool)] = &[
        ("series", "GetItem", false),
        ("points", "Query", false),
        ("points", "BatchWriteItem", false),
    ];
    match function {
        "series-list" => &[("series", "Scan", false), ("points", "Query", false)],
        "series-get" | "points-query" | "point-get" | "series-stats" => READ_SERIES,
        "series-put" => &[
            ("series", "UpdateItem", false),
            ("series", "GetItem", false),
            ("points", "Query", false),
        ],
        "series-delete" => &[
            ("series", "GetItem", false),
            ("series", "DeleteItem", false),
            ("points", "Query", false),
            ("points", "BatchWriteItem", false),
        ],
        "points-write" | "point-put" => WRITE_POINTS,
        "points-delete" | "point-delete" => DELETE_POINTS,
        // get_series of each series the job reads, then the job.
        "jobs-submit" => &[("series", "GetItem", false), ("jobs", "PutItem", false)],
        // The by_status and all indexes.
        "jobs-list" => &[("jobs", "Query", true)],
        "job-get" => &[("jobs", "GetItem", false)],
        "job-result" => &[("jobs", "GetItem", false), ("results", "Query", false)],
        "job-delete" => &[
            ("jobs", "GetItem", false),
            ("jobs", "DeleteItem", false),
            ("results", "DeleteItem", false),
        ],
        "health" => &[],
        // ping: DescribeTable of the series table.
        "ready" => &[("series", "DescribeTable", false)],
        // claim_job, renew, finish (UpdateItem), get_job after a lost claim, claim_next on the
        // by_status index (the sweep), result parts, and the series and points a job reads.
        "worker" => &[
            ("jobs", "GetItem", false),
            ("jobs", "Query", true),
            ("jobs", "UpdateItem", false),
            ("results", "PutItem", false),
            ("series", "GetItem", false),
            ("points", "Query", false),
        ],
        other => panic!("{other}: unknown function; list its DynamoDB calls in store_calls"),
    }
}

#[test]
fn policies_grant_each_function_its_store_calls_and_read_only_routes_only_reads() {
    let t = template();
    let tables = tables_by_name(&t);
    let router = router();
    let mut checked = 0;
    for (id, name, f) in functions(&t) {
        let granted = grants(&t, f);
        // Routes that only read (GET) cannot write anything anywhere.
        let methods: Vec<&str> = router
            .iter()
            .filter(|(_, function)| **function == name)
            .map(|((method, _), _)| method.as_str())
            .collect();
        if !methods.is_empty() && methods.iter().all(|m| *m == "GET") {
            let writes: Vec<&Grant> = granted.iter().filter(|g| !is_read(&g.action)).collect();
            assert!(
                writes.is_empty(),
                "{id} ({name}) is read-only but may {writes:?}"
            );
            checked += 1;
        }
        let calls = store_calls(&name);
        let table_of = |short: &str| {
            tables
                .get(short)
                .unwrap_or_else(|| {
                    panic!("{name} uses the {short} table, which the template lacks")
                })
                .clone()
        };
        // Everything the function calls is granted.
        for (table, action, on_index) in calls {
            let table_id = table_of(table);
            let target = if *on_index {
                Target::Index(table_id)
            } else {
                Target::Table(table_id)
            };
            let action = format!("dynamodb:{action}");
            assert!(
                granted
                    .iter()
                    .any(|g| g.target == target && allows(&g.action, &action)),
                "{id} ({name}) calls {action} on {target:?} without a grant"
            );
        }
        // It touches no other table, and writes only with the calls it makes.
        let touched: BTreeSet<String> = calls.iter().map(|(table, ..)| table_of(table)).collect();
        for g in &granted {
            let table = match &g.target {
                Target::Table(x) | Target::Index(x) => x.as_str(),
                Target::Queue(q) => {
                    assert_eq!(name, "worker", "{id}: grant on queue {q}");
                    continue;
                }
            };
            assert!(
                touched.contains(table),
                "{id} ({name}): {g:?} on a table it never touches"
            );
            if !is_read(&g.action) {
                let needed = calls.iter().any(|(tbl, action, _)| {
                    table_of(tbl) == table && g.action == format!("dynamodb:{action}")
                });
                assert!(needed, "{id} ({name}): write grant {g:?} it does not use");
            }
        }
    }
    assert_eq!(
        checked,
        router.keys().filter(|(m, _)| m == "GET").count(),
        "every GET route's function was checked"
    );
}
