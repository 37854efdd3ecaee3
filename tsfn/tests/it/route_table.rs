//! The route table (`tsfn/src/routes.rs`: method, path, function, the store calls it makes) is
//! the one source of truth; this suite checks every other place that lists routes against it:
//!
//! - the workspace `Cargo.toml` router of `cargo lambda watch` (both ways; run with
//!   `TSFN_BLESS=1` to write it from the table), each function a
//!   workspace crate of its name that `tsfn` mounts;
//! - the SAM template (`infra/aws/template.yaml`): one function per route with exactly that
//!   HttpApi event, plus the other functions of the table (the worker); each function's IAM grants
//!   cover the store calls of its row, touch no other table and write only with calls it makes;
//!   routes that only read (GET) cannot write;
//! - `events/`: one sample event per function, on its route, all listed in `events/ORDER`;
//! - the README's route table and the user guide's contents and route headings list exactly the
//!   routes of the table.
//!
//! So adding a route is its function crate, one row in the table (and its dependency line in
//! `tsfn/Cargo.toml`), and then whatever these tests name as missing, with the docs.

use crate::support;

use std::collections::{BTreeMap, BTreeSet};

use support::sam::*;
use support::workspace_root;
use tsfn::routes::{self as table, ROUTES};

/// `(METHOD, path) -> function` of the route table.
fn table_routes() -> BTreeMap<(String, String), String> {
    let mut out = BTreeMap::new();
    for r in ROUTES {
        let key = (r.method.to_owned(), r.path.to_owned());
        assert!(
            out.insert(key.clone(), r.function.to_owned()).is_none(),
            "route table: {key:?} twice"
        );
    }
    out
}

/// The store calls of a function of the table.
fn store_calls(function: &str) -> &'static [table::StoreCall] {
    table::functions()
        .find(|(f, _)| *f == function)
        .map(|(_, calls)| calls)
        .unwrap_or_else(|| panic!("{function} is not in the route table (tsfn/src/routes.rs)"))
}

const ROUTER: &str = "[workspace.metadata.lambda.watch.router]\n";

/// The body of the Cargo.toml router section for the route table: its paths in table order,
/// each with its methods.
fn cargo_router_section() -> String {
    let mut paths: Vec<&str> = Vec::new();
    for r in ROUTES {
        if !paths.contains(&r.path) {
            paths.push(r.path);
        }
    }
    let mut out = String::new();
    for path in paths {
        out.push_str(&format!("\"{path}\" = [\n"));
        for r in ROUTES.iter().filter(|r| r.path == path) {
            out.push_str(&format!(
                "    {{ method = \"{}\", function = \"{}\" }},\n",
                r.method, r.function
            ));
        }
        out.push_str("]\n");
    }
    out
}

/// Semantically equal, or rewritten from the table with `TSFN_BLESS=1` (cargo-lambda reads the
/// section from Cargo.toml itself, so it must be written out there).
#[test]
fn the_cargo_lambda_router_is_the_route_table() {
    let in_cargo: BTreeMap<(String, String), String> = support::cargo_router()
        .into_iter()
        .map(|(m, p, f)| ((m, p), f))
        .collect();
    assert_eq!(
        support::cargo_router().len(),
        in_cargo.len(),
        "Cargo.toml router: a route twice"
    );
    if in_cargo != table_routes() {
        let manifest = workspace_root().join("Cargo.toml");
        let text = std::fs::read_to_string(&manifest).unwrap();
        let at = text.find(ROUTER).expect("Cargo.toml: the router section") + ROUTER.len();
        let rest = &text[at..];
        // The section runs to the next table header (or the end).
        let end = rest.find("\n[").map_or(rest.len(), |i| i + 1);
        let fresh = format!("{}{}{}", &text[..at], cargo_router_section(), &rest[end..]);
        if std::env::var_os("TSFN_BLESS").is_some() {
            std::fs::write(&manifest, fresh).unwrap();
            eprintln!("rewrote the router section of Cargo.toml from the route table");
        } else {
            panic!(
                "{ROUTER} in Cargo.toml differs from tsfn/src/routes.rs. It should read (or run \
                 this test with TSFN_BLESS=1 to write it):\n{ROUTER}{}",
                cargo_router_section()
            );
        }
    }
    // Each function is a workspace member whose package name is the function name, and the
    // host depends on each route's crate.
    let tsfn_manifest: toml::Value =
        toml::from_str(&std::fs::read_to_string(workspace_root().join("tsfn/Cargo.toml")).unwrap())
            .unwrap();
    for (function, _) in table::functions() {
        let crate_manifest = workspace_root()
            .join("functions")
            .join(function)
            .join("Cargo.toml");
        let text = std::fs::read_to_string(&crate_manifest)
            .unwrap_or_else(|_| panic!("missing {}", crate_manifest.display()));
        let manifest: toml::Value = toml::from_str(&text).unwrap();
        assert_eq!(
            manifest["package"]["name"].as_str(),
            Some(function),
            "{}",
            crate_manifest.display()
        );
        let dep = &tsfn_manifest["dependencies"][function];
        assert_eq!(
            dep["path"].as_str(),
            Some(format!("../functions/{function}").as_str()),
            "tsfn/Cargo.toml: {function}"
        );
    }
    // And every function crate is in the table.
    let crates: BTreeSet<String> = std::fs::read_dir(workspace_root().join("functions"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    let table: BTreeSet<String> = table::functions().map(|(f, _)| f.to_owned()).collect();
    assert_eq!(crates, table, "functions/ vs the route table");
}

#[test]
fn events_hold_one_sample_per_function_on_its_route() {
    let dir = workspace_root().join("events");
    let order = std::fs::read_to_string(dir.join("ORDER")).unwrap();
    // An event's function is its name up to the first dot (`worker.stream` -> `worker`).
    let in_order: BTreeSet<&str> = order
        .lines()
        .map(|e| e.split('.').next().unwrap())
        .collect();
    let table: BTreeSet<&str> = table::functions().map(|(f, _)| f).collect();
    assert_eq!(in_order, table, "events/ORDER vs the route table");
    for event in order.lines() {
        assert!(
            dir.join(format!("{event}.json")).is_file(),
            "events/{event}.json is missing"
        );
    }
    // Each route has an event of its function on it: `NAME.json`, or `NAME.SOMETHING.json` for
    // a function's further routes (the console's assets).
    for r in ROUTES {
        let key = format!("{} {}", r.method, r.path);
        let mine: Vec<(String, serde_json::Value)> = order
            .lines()
            .filter(|e| e.split('.').next() == Some(r.function))
            .map(|e| {
                let raw = std::fs::read_to_string(dir.join(format!("{e}.json"))).unwrap();
                (e.to_owned(), serde_json::from_str(&raw).unwrap())
            })
            .collect();
        let Some((name, event)) = mine.iter().find(|(_, ev)| ev["routeKey"] == key) else {
            panic!("events/: no event of {} has routeKey {key}", r.function);
        };
        assert_eq!(
            event["requestContext"]["routeKey"], key,
            "events/{name}.json: requestContext.routeKey"
        );
        let path = event["rawPath"].as_str().unwrap();
        assert!(
            tsfn_shared::http::match_path(r.path, path).is_some_and(|m| m.prefix == 0),
            "events/{name}.json: rawPath {path} is not on {}",
            r.path
        );
    }
}

/// `METHOD /path` for each backticked route in `text`, e.g. `GET /series/{series}`.
fn routes_named_in(text: &str) -> Vec<(String, String)> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .filter_map(|code| {
            let (method, path) = code.split_once(' ')?;
            let known = ["GET", "PUT", "POST", "DELETE", "PATCH", "HEAD"].contains(&method);
            (known && path.starts_with('/') && !path.contains(' '))
                .then(|| (method.to_owned(), path.to_owned()))
        })
        .collect()
}

#[test]
fn the_readme_and_the_user_guide_list_exactly_the_routes() {
    let table = table_routes();
    // README: the table under "## Routes", `| `METHOD path` | `function` | example |`.
    let readme = std::fs::read_to_string(workspace_root().join("README.md")).unwrap();
    let section = readme
        .split("\n## Routes\n")
        .nth(1)
        .expect("README: a Routes section")
        .split("\n## ")
        .next()
        .unwrap();
    let mut in_readme = BTreeMap::new();
    for line in section.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = line.split(" | ").collect();
        let route = routes_named_in(cells[0]);
        assert_eq!(route.len(), 1, "README route row: {line}");
        let function = cells[1].trim_matches('`').to_owned();
        assert!(
            in_readme.insert(route[0].clone(), function).is_none(),
            "README: {line} twice"
        );
    }
    assert_eq!(in_readme, table, "README route table vs tsfn/src/routes.rs");

    // The user guide: its contents list and its `### `METHOD path`` headings, each route once.
    let guide = std::fs::read_to_string(workspace_root().join("docs/user-guide.md")).unwrap();
    let contents = guide
        .split("\nContents:\n")
        .nth(1)
        .expect("user guide: a Contents list")
        .split("\n## ")
        .next()
        .unwrap();
    let expected: BTreeSet<(String, String)> = table.keys().cloned().collect();
    let listed = routes_named_in(contents);
    assert_eq!(
        listed.iter().cloned().collect::<BTreeSet<_>>(),
        expected,
        "user guide contents vs the route table"
    );
    assert_eq!(
        listed.len(),
        expected.len(),
        "user guide contents: a route twice"
    );
    let headings: Vec<(String, String)> = guide
        .lines()
        .filter(|l| l.starts_with("### "))
        .flat_map(routes_named_in)
        .collect();
    assert_eq!(
        headings.iter().cloned().collect::<BTreeSet<_>>(),
        expected,
        "user guide route headings vs the route table"
    );
    assert_eq!(
        headings.len(),
        expected.len(),
        "user guide: a route heading twice"
    );
}

#[test]
fn the_sam_template_deploys_each_route_as_one_http_api_event_of_its_function() {
    let t = template();
    let router = table_routes();
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
            // API Gateway's path syntax: literal segments or `{name}` parameters (or `/` alone).
            let segments = path.trim_start_matches('/');
            for seg in segments.split('/').filter(|_| path != "/") {
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
    assert_eq!(events, router.len(), "one HttpApi event per route");
    assert_eq!(in_template, router, "template routes vs the route table");
    // Besides the route functions there are exactly the others of the table (the worker), with
    // no HTTP event.
    let expected: BTreeSet<String> = table::functions().map(|(f, _)| f.to_owned()).collect();
    assert_eq!(deployed, expected, "deployed functions vs the route table");
    let apis = of_type(&t, "AWS::Serverless::HttpApi");
    assert_eq!(apis.len(), 1, "one HTTP API");
}

#[test]
fn sam_policies_grant_each_function_the_store_calls_of_its_row_and_read_only_routes_only_reads() {
    let t = template();
    let tables = tables_by_name(&t);
    let router = table_routes();
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
        let calls: Vec<(&str, &str, bool)> = calls
            .iter()
            .map(|c| (c.table, c.action, c.on_index))
            .collect();
        let table_of = |short: &str| {
            tables
                .get(short)
                .unwrap_or_else(|| {
                    panic!("{name} uses the {short} table, which the template lacks")
                })
                .clone()
        };
        // Everything the function calls is granted.
        for (table, action, on_index) in &calls {
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
                    assert!(
                        ["worker", "ingest-queue"].contains(&name.as_str()),
                        "{id}: grant on queue {q}"
                    );
                    continue;
                }
                Target::Objects(o) => {
                    assert_eq!(name, "ingest-s3", "{id}: grant on objects {o}");
                    continue;
                }
                // The finished jobs' events (TSFN_EVENT_BUS).
                Target::EventBus(b) => {
                    assert_eq!(name, "worker", "{id}: grant on event bus {b}");
                    assert_eq!(g.action, "events:PutEvents");
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
        router
            .iter()
            .filter(|((m, _), _)| m == "GET")
            .map(|(_, function)| function)
            .collect::<BTreeSet<_>>()
            .len(),
        "every GET route's function was checked"
    );
}
