//! Reading the SAM template (`infra/aws/template.yaml`) as plain YAML: its resources, functions
//! (each resolved to the binary it deploys), events, tables and what each function's policies
//! grant. Used by `sam_template.rs` (the template's own structure) and `route_table.rs` (the
//! template against the route table).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path};

use serde_json::{Map, Value};

use super::workspace_root;

pub const TEMPLATE: &str = "infra/aws/template.yaml";

pub fn template() -> Value {
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

pub fn resources(t: &Value) -> &Map<String, Value> {
    t["Resources"].as_object().expect("Resources")
}

pub fn of_type<'a>(t: &'a Value, ty: &str) -> Vec<(&'a str, &'a Value)> {
    resources(t)
        .iter()
        .filter(|(_, r)| r["Type"] == ty)
        .map(|(id, r)| (id.as_str(), r))
        .collect()
}

pub fn resource_type<'a>(t: &'a Value, id: &str) -> &'a str {
    resources(t)
        .get(id)
        .and_then(|r| r["Type"].as_str())
        .unwrap_or_else(|| panic!("no resource {id}"))
}

/// A function property as SAM resolves it: the function's own, else `Globals.Function`'s.
pub fn prop<'a>(t: &'a Value, f: &'a Value, key: &str) -> Option<&'a Value> {
    f["Properties"]
        .get(key)
        .or_else(|| t["Globals"]["Function"].get(key))
}

/// A function's environment as SAM merges it (function variables over global ones).
pub fn env(t: &Value, f: &Value) -> Map<String, Value> {
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
pub fn ref_id(v: &Value) -> Option<&str> {
    v.get("Ref").and_then(Value::as_str)
}

/// `(X, attribute)` of `Fn::GetAtt: [X, attribute]` or `Fn::GetAtt: X.attribute`.
pub fn get_att(v: &Value) -> Option<(String, String)> {
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
pub fn sub(v: &Value) -> Option<&str> {
    match v.get("Fn::Sub")? {
        Value::String(s) => Some(s),
        Value::Array(a) => a.first()?.as_str(),
        _ => None,
    }
}

/// The function a template function deploys: the directory its CodeUri names, which must be
/// where `cargo lambda build` puts that binary's bootstrap (`target/lambda/<binary>/`).
pub fn deployed_function(id: &str, f: &Value) -> String {
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
pub fn functions(t: &Value) -> Vec<(&str, String, &Value)> {
    of_type(t, "AWS::Serverless::Function")
        .into_iter()
        .map(|(id, f)| (id, deployed_function(id, f), f))
        .collect()
}

pub fn events_of_type<'a>(f: &'a Value, ty: &str) -> Vec<&'a Value> {
    f["Properties"]["Events"]
        .as_object()
        .map(|e| e.values().filter(|e| e["Type"] == ty).collect())
        .unwrap_or_default()
}

/// The parameter whose value is the store's table prefix: `TSFN_STORE` of every function must
/// be `Fn::Sub: dynamodb://${P}` with the same `P`.
pub fn store_prefix_parameter(t: &Value) -> String {
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
pub fn tables_by_name(t: &Value) -> BTreeMap<String, String> {
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

/// What a policy grants an action on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Target {
    /// A table (by logical id).
    Table(String),
    /// A table's indexes (`table/NAME/index/*`).
    Index(String),
    Queue(String),
    /// An EventBridge bus of the stack's account and region, by its name as the template gives
    /// it (`${EventBus}`).
    EventBus(String),
    /// Objects of an S3 bucket named by a template parameter (`arn:aws:s3:::${PARAM}/PREFIX*`).
    Objects(String),
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Grant {
    pub action: String,
    pub target: Target,
}

pub fn allows(granted: &str, action: &str) -> bool {
    match granted.strip_suffix('*') {
        Some(prefix) => action.starts_with(prefix),
        None => granted == action,
    }
}

/// DynamoDB actions that cannot change data (anything else counts as a write).
pub const READ_ACTIONS: &[&str] = &[
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

pub fn is_read(action: &str) -> bool {
    READ_ACTIONS.contains(&action)
}

/// SAM's policy templates as SAM expands them (samtranslator's policy_templates.json).
pub fn sam_template_actions(name: &str) -> Option<&'static [&'static str]> {
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
pub fn target_of(t: &Value, resource: &Value) -> Target {
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
        if let Some(bus) = s.strip_prefix(
            "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/",
        ) {
            return Target::EventBus(bus.to_owned());
        }
        if let Some(rest) = s.strip_prefix("arn:aws:s3:::${") {
            let (param, path) = rest.split_once('}').expect("arn:aws:s3:::${PARAM}/...");
            assert!(
                t["Parameters"].get(param).is_some(),
                "policy resource {resource}: {param} is not a parameter"
            );
            assert!(
                path.starts_with('/') && path.len() > 2 && !path[..path.len() - 1].contains('*'),
                "policy resource {resource}: objects under a prefix"
            );
            return Target::Objects(s.to_owned());
        }
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

pub fn strings(v: &Value) -> Vec<String> {
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
pub fn grants(t: &Value, f: &Value) -> BTreeSet<Grant> {
    let mut out = BTreeSet::new();
    let policies = match &f["Properties"]["Policies"] {
        Value::Null => return out,
        Value::Array(a) => a.clone(),
        other => vec![other.clone()],
    };
    for policy in policies {
        // A policy granted on a condition: counted as granted (the most it can grant); the
        // other branch may only be nothing.
        let policy = match policy.get("Fn::If").and_then(Value::as_array) {
            Some(branches) => {
                assert_eq!(branches.len(), 3, "Fn::If {branches:?}");
                assert_eq!(branches[2], serde_json::json!({"Ref": "AWS::NoValue"}));
                branches[1].clone()
            }
            None => policy,
        };
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
