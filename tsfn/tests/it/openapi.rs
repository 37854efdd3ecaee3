//! The OpenAPI document (`shared/src/openapi.rs`): it describes exactly the routes of the table
//! (both ways, so a route without its description fails here), it is what `GET /openapi.json`
//! and `tsfn openapi` give, its open operations are exactly those the server serves without
//! the API key, `GET /docs` serves its reference page with everything from tsfn itself, and
//! Schemathesis (`openapi_schemathesis.py`, the test venv's) finds no server error and no
//! answer outside the document on `tsfn serve` over SQLite and over Redis.

use std::collections::BTreeSet;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;
use tsfn::routes::ROUTES;

use crate::support::{self, tsfn_bin, workspace_root, Server};

/// `(METHOD, path)` of every operation of the document.
fn operations(doc: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            assert!(
                out.insert((method.to_ascii_uppercase(), path.clone())),
                "{method} {path} twice"
            );
        }
    }
    out
}

#[test]
fn the_document_describes_exactly_the_routes_of_the_table() {
    let doc = tsfn_shared::openapi::document();
    assert_eq!(doc["openapi"], "3.1.0");
    let table: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|r| (r.method.to_owned(), r.path.to_owned()))
        .collect();
    let described = operations(&doc);
    let undescribed: Vec<_> = table.difference(&described).collect();
    let unknown: Vec<_> = described.difference(&table).collect();
    assert!(
        undescribed.is_empty() && unknown.is_empty(),
        "routes without an operation in shared/src/openapi.rs: {undescribed:?}; operations \
         without a route in tsfn/src/routes.rs: {unknown:?}"
    );
    // Operation ids are unique (links and generated clients name operations by them), and each
    // path parameter of a template is declared.
    let mut ids = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"].as_str().expect("operationId");
            assert!(ids.insert(id.to_owned()), "operationId {id} twice");
            let declared: BTreeSet<String> = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| resolve(&doc, p))
                .filter(|p| p["in"] == "path")
                .map(|p| p["name"].as_str().unwrap().to_owned())
                .collect();
            let in_template: BTreeSet<String> = path
                .split('/')
                .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
                .map(str::to_owned)
                .collect();
            assert_eq!(declared, in_template, "{method} {path}: path parameters");
        }
    }
}

/// A parameter, following its `$ref`.
fn resolve<'a>(doc: &'a Value, p: &'a Value) -> &'a Value {
    match p["$ref"].as_str() {
        Some(r) => {
            let name = r
                .strip_prefix("#/components/parameters/")
                .expect("a parameter ref");
            &doc["components"]["parameters"][name]
        }
        None => p,
    }
}

fn header<'a>(r: &'a support::Resp, name: &str) -> &'a str {
    r.headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("no {name} header"))
}

/// A path of the template to send a request to.
fn concrete(template: &str) -> String {
    template
        .replace("{series}", "s")
        .replace("{t}", "1")
        .replace("{id}", "3f0c9a52-8a0e-4c3b-9d7e-2b1f6a4c5d6e")
        .replace("{asset}", "app.js")
}

#[test]
fn the_served_document_is_the_cli_s_and_its_open_operations_are_those_open_without_the_key() {
    let key = "openapi-test-key";
    let server = Server::sqlite_memory(&[("TSFN_API_KEY", key)]);
    let resp = server.get("/openapi.json");
    assert_eq!(resp.status, 200, "{}", resp.text());
    let served = resp.json();
    assert_eq!(served, tsfn_shared::openapi::document());
    let out = Command::new(tsfn_bin())
        .arg("openapi")
        .env("TSFN_STORE", "sqlite::memory:")
        .output()
        .expect("tsfn openapi");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed: Value = serde_json::from_slice(&out.stdout).expect("tsfn openapi prints JSON");
    assert_eq!(printed, served, "tsfn openapi vs GET /openapi.json");

    // Without the key: the operations whose security is empty answer, every other one is 401.
    let client = support::client();
    let mut open = Vec::new();
    for (path, item) in served["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let is_open = op["security"] == serde_json::json!([]);
            let url = server.url(&concrete(path));
            let m = reqwest::Method::from_bytes(method.to_ascii_uppercase().as_bytes()).unwrap();
            let status = client.request(m, &url).send().unwrap().status().as_u16();
            if is_open {
                open.push(format!("{} {path}", method.to_ascii_uppercase()));
                assert_ne!(status, 401, "{method} {path} is open in the document");
            } else {
                assert_eq!(status, 401, "{method} {path} needs the key in the document");
            }
        }
    }
    open.sort();
    assert_eq!(
        open,
        [
            "GET /",
            "GET /console/{asset}",
            "GET /docs",
            "GET /health",
            "GET /openapi.json",
            "GET /ping",
            "GET /ready",
            // Signed instead (TSFN_HOOK_SECRETS): unknown source here, 404.
            "POST /hooks/{source}",
        ]
    );

    // The reference page: from tsfn only (its CSP allows nothing else), its renderer named by
    // version, and the renderer's licence served beside it.
    let page = server.get("/docs");
    assert_eq!(page.status, 200);
    assert_eq!(header(&page, "content-type"), "text/html; charset=utf-8");
    let csp = header(&page, "content-security-policy");
    assert!(csp.starts_with("default-src 'self';"), "{csp}");
    let html = page.text();
    assert!(html.contains("spec-url=\"/openapi.json\""), "{html}");
    let script = html
        .split('"')
        .find(|s| s.starts_with("/console/redoc.standalone.js?v="))
        .unwrap_or_else(|| panic!("the page names its script by version: {html}"));
    let js = server.get(script);
    assert_eq!(js.status, 200);
    assert_eq!(
        header(&js, "cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert_eq!(
        header(&js, "content-type"),
        "text/javascript; charset=utf-8"
    );
    let last_line = js.text().trim_end().rsplit('\n').next().unwrap().to_owned();
    assert!(
        !last_line.starts_with("//# sourceMappingURL"),
        "no map is shipped, so none is named: {last_line}"
    );
    let licence = server.get("/console/redoc.LICENSE");
    assert_eq!(licence.status, 200);
    assert!(licence.text().contains("MIT License"));
}

/// Schemathesis against one server: every operation with a fixed budget and seed, examples,
/// coverage, fuzzing and the stateful phase (the document's links: a series put or written,
/// then read; a job submitted, then read, its result asked for and deleted). It exits 0 only
/// with no failure of the checks and no error.
fn schemathesis(server: &Server, name: &str) {
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
        .join("schemathesis");
    std::fs::create_dir_all(&dir).unwrap();
    let script = workspace_root().join("tsfn/tests/it/openapi_schemathesis.py");
    let junit = dir.join(format!("{name}.junit.xml"));
    // A fresh directory for its cache each run, so a run does not depend on the last one.
    let work = dir.join(name);
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).unwrap();
    // The served document, given as a file so that `GET /openapi.json` is tested too (given
    // its URL, Schemathesis leaves that operation out).
    let served = server.get("/openapi.json");
    assert_eq!(served.status, 200);
    let schema = work.join("openapi.json");
    std::fs::write(&schema, &served.body).unwrap();
    let args: Vec<std::ffi::OsString> = vec![
        script.into_os_string(),
        "--workdir".into(),
        work.into_os_string(),
        "run".into(),
        schema.into_os_string(),
        "--url".into(),
        server.url("").into(),
        "--checks".into(),
        "not_a_server_error,response_schema_conformance,status_code_conformance,\
         content_type_conformance"
            .into(),
        "--phases".into(),
        "examples,coverage,fuzzing,stateful".into(),
        "--max-examples".into(),
        "40".into(),
        "--seed".into(),
        "20261129".into(),
        // One worker thread: with two, Hypothesis parses sources with `ast` on both threads
        // at once, which Python 3.11 (Debian's) does not survive ("AST constructor recursion
        // depth mismatch", seen once in a full run as an error of Schemathesis itself).
        "--workers".into(),
        "1".into(),
        "--request-timeout".into(),
        "20".into(),
        "--no-color".into(),
        "--report".into(),
        "junit".into(),
        "--report-junit-path".into(),
        junit.clone().into_os_string(),
    ];
    let args: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
    let started = Instant::now();
    support::run_python(
        &args,
        &dir.join(format!("{name}.log")),
        Duration::from_secs(170),
    );
    println!("schemathesis on {name}: {:?}", started.elapsed());
    // Its report: every operation of the document was run, and nothing failed.
    let report = std::fs::read_to_string(&junit).unwrap();
    let xml = roxmltree::Document::parse(&report).unwrap();
    let suite = xml.root_element();
    assert_eq!(suite.attribute("failures"), Some("0"), "{report}");
    assert_eq!(suite.attribute("errors"), Some("0"), "{report}");
    let run: BTreeSet<String> = xml
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .filter_map(|n| n.attribute("name").map(str::to_owned))
        .collect();
    let doc: Value = serde_json::from_slice(&served.body).unwrap();
    for (method, path) in operations(&doc) {
        assert!(
            run.contains(&format!("{method} {path}")),
            "{method} {path} not run: {run:?}"
        );
    }
    assert!(
        run.contains("Stateful tests"),
        "the stateful phase did not run: {run:?}"
    );
}

#[test]
fn schemathesis_finds_nothing_wrong_on_sqlite_and_on_redis() {
    let (Some(_), Some(_)) = (support::which("python"), support::which("st")) else {
        panic!("this test needs the test venv with schemathesis: run ./scripts/test.sh");
    };
    let sqlite = Server::sqlite_file(&[]);
    let redis = Server::redis(&[]);
    // Both at once: each waits on its server as much as it computes.
    std::thread::scope(|s| {
        let a = s.spawn(|| schemathesis(&sqlite, "sqlite"));
        let b = s.spawn(|| schemathesis(&redis, "redis"));
        let (a, b) = (a.join(), b.join());
        if let Err(e) = a.and(b) {
            std::panic::resume_unwind(e);
        }
    });
}

/// `/docs` in headless Chromium (`docs_browser.py`): Redoc renders a heading for every
/// operation, and no request leaves the server.
#[test]
fn the_docs_page_renders_every_operation_in_a_real_browser_from_tsfn_alone() {
    let (Some(_), Some(_), Some(_)) = (
        support::which("python"),
        support::which("chromium"),
        support::which("chromedriver"),
    ) else {
        panic!("this test needs the test venv's python (with selenium), chromium and chromedriver: run ./scripts/test.sh");
    };
    let server = support::in_process::sqlite_memory(&[]);
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
        .join("console-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let script = workspace_root().join("tsfn/tests/it/docs_browser.py");
    let (url, shot) = (server.url(""), dir.join("docs.png"));
    let args: Vec<&std::ffi::OsStr> = vec![
        script.as_os_str(),
        "--url".as_ref(),
        url.as_ref(),
        "--screenshot".as_ref(),
        shot.as_os_str(),
    ];
    support::run_python(
        &args,
        &dir.join("docs_browser.log"),
        Duration::from_secs(120),
    );
}

/// Each job kind's result against the document's schema for that kind, and the job records and
/// submissions on the way (`openapi_results.py`, with jsonschema from the test venv): the
/// stateful phase above reaches results only by chance.
#[test]
fn every_job_kind_s_result_is_what_the_document_says() {
    let Some(_) = support::which("python") else {
        panic!("this test needs the test venv's python (with jsonschema): run ./scripts/test.sh");
    };
    let server = support::in_process::sqlite_memory(&[]);
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
        .join("schemathesis");
    std::fs::create_dir_all(&dir).unwrap();
    let script = workspace_root().join("tsfn/tests/it/openapi_results.py");
    let url = server.url("");
    let args: Vec<&std::ffi::OsStr> = vec![script.as_os_str(), "--url".as_ref(), url.as_ref()];
    support::run_python(&args, &dir.join("results.log"), Duration::from_secs(120));
}
