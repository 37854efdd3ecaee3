//! The user guide (`docs/user-guide.md`) is tested in two ways:
//!
//! - its `sh` blocks, joined in order into one bash script (`set -Eeuo pipefail`, `TSFN` exported),
//!   run against a live `tsfn serve` (in this process: the script needs only HTTP) on a fresh
//!   SQLite file with the bundled dataset, and must exit 0 within a bounded time;
//! - it must document everything: each route of the router under a heading `METHOD PATH` whose
//!   section has a `curl` example with that method on that path, a Python example and a response;
//!   each job kind under its own heading, with an example that submits it and a params table
//!   whose defaults are the code's; each error code with its status. Every `curl` in the guide
//!   must also aim at an existing route, so a typo cannot hide behind an error example.
//!
//! A third test feeds these checks guides with a part removed or changed and expects them to
//! complain, so none of them can pass vacuously.

use crate::support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::{in_process, which, workspace_root};
use tsfn::routes::ROUTES;
use tsfn_shared::jobs::spec::KINDS;
use tsfn_shared::jobs::Kind;
use tsfn_shared::Error;

/// How long the whole script may run before it is killed.
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(120);

fn guide_path() -> std::path::PathBuf {
    workspace_root().join("docs/user-guide.md")
}

fn read_guide() -> String {
    let path = guide_path();
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

// ---- reading the guide ----

/// A heading or a fenced code block, with the line (from 1) where it starts.
#[derive(Debug)]
enum Item {
    Heading { level: usize, text: String },
    Block { lang: String, body: String },
}

struct Guide<'a> {
    lines: Vec<&'a str>,
    items: Vec<(usize, Item)>,
    problems: Vec<String>,
}

impl<'a> Guide<'a> {
    fn parse(md: &'a str) -> Guide<'a> {
        let lines: Vec<&str> = md.lines().collect();
        let mut items = Vec::new();
        let mut problems = Vec::new();
        // The open fence: (line, language, body lines).
        let mut open: Option<(usize, String, Vec<&str>)> = None;
        for (i, &line) in lines.iter().enumerate() {
            let n = i + 1;
            match open.take() {
                Some((start, lang, body)) if line.trim_end() == "```" => items.push((
                    start,
                    Item::Block {
                        lang,
                        body: body.join("\n"),
                    },
                )),
                Some((start, lang, mut body)) => {
                    body.push(line);
                    open = Some((start, lang, body));
                }
                None => {
                    if let Some(lang) = line.strip_prefix("```") {
                        open = Some((n, lang.trim().to_owned(), Vec::new()));
                        continue;
                    }
                    let level = line.chars().take_while(|&c| c == '#').count();
                    if level > 0 && line[level..].starts_with(' ') {
                        items.push((
                            n,
                            Item::Heading {
                                level,
                                text: line[level..].trim().to_owned(),
                            },
                        ));
                    }
                }
            }
        }
        if let Some((start, _, _)) = open {
            problems.push(format!(
                "the code fence opened at line {start} is never closed"
            ));
        }
        Guide {
            lines,
            items,
            problems,
        }
    }

    /// The `sh` blocks in order, with their first line.
    fn sh_blocks(&self) -> Vec<(usize, &str)> {
        self.items
            .iter()
            .filter_map(|(n, item)| match item {
                Item::Block { lang, body } if lang == "sh" => Some((*n, body.as_str())),
                _ => None,
            })
            .collect()
    }

    /// Headings whose text, without backticks, is exactly `title`.
    fn headings(&self, title: &str) -> Vec<usize> {
        self.items
            .iter()
            .enumerate()
            .filter(|(_, (_, item))| {
                matches!(item, Item::Heading { text, .. } if text.replace('`', "").trim() == title)
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// The section under the heading at `items[i]`: up to the next heading of the same or a
    /// higher level. Returns its code blocks and its text lines.
    fn section(&self, i: usize) -> Section<'_> {
        let (start, level) = match &self.items[i] {
            (n, Item::Heading { level, .. }) => (*n, *level),
            _ => unreachable!("not a heading"),
        };
        let end_item = self.items[i + 1..]
            .iter()
            .position(|(_, it)| matches!(it, Item::Heading { level: l, .. } if *l <= level))
            .map_or(self.items.len(), |p| i + 1 + p);
        let end_line = self
            .items
            .get(end_item)
            .map_or(self.lines.len() + 1, |(n, _)| *n);
        let blocks = self.items[i + 1..end_item]
            .iter()
            .filter_map(|(_, it)| match it {
                Item::Block { lang, body } => Some((lang.as_str(), body.as_str())),
                _ => None,
            })
            .collect();
        Section {
            blocks,
            lines: self.lines[start..end_line - 1].to_vec(),
        }
    }
}

struct Section<'a> {
    blocks: Vec<(&'a str, &'a str)>,
    lines: Vec<&'a str>,
}

impl Section<'_> {
    fn blocks_in(&self, langs: &[&str]) -> impl Iterator<Item = &str> + '_ {
        let langs: Vec<String> = langs.iter().map(|l| l.to_string()).collect();
        self.blocks
            .iter()
            .filter(move |(l, _)| langs.iter().any(|x| x == l))
            .map(|(_, b)| *b)
    }

    /// The cells of the table row whose first cell is `` `name` ``.
    fn table_row(&self, name: &str) -> Option<Vec<&str>> {
        let first = format!("| `{name}` |");
        self.lines
            .iter()
            .find(|l| l.starts_with(&first))
            .map(|l| l.split('|').map(str::trim).collect())
    }
}

// ---- reading curl commands ----

/// Splits one shell command line into words the way bash would for the common cases: single,
/// double and `$'...'` quotes and backslashes. Stops at the end of the command (`|`, `;`, `&`,
/// `)`, a redirection).
fn shell_words(s: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    cur.push(c);
                }
            }
            '$' if chars.peek() == Some(&'\'') => {
                chars.next();
                in_word = true;
                while let Some(c) = chars.next() {
                    match c {
                        '\'' => break,
                        '\\' => {
                            cur.push('\\');
                            cur.extend(chars.next());
                        }
                        c => cur.push(c),
                    }
                }
            }
            '"' => {
                in_word = true;
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => cur.extend(chars.next()),
                        c => cur.push(c),
                    }
                }
            }
            '\\' => {
                in_word = true;
                cur.extend(chars.next());
            }
            '|' | ';' | '&' | ')' | '>' | '<' => break,
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
}

/// A `curl` call against `$TSFN`: its HTTP method and its path (without the query).
#[derive(Debug, PartialEq)]
struct Call {
    method: String,
    path: String,
}

/// Every `curl ... "$TSFN/..."` call of a shell snippet.
fn curl_calls(sh: &str) -> Vec<Call> {
    let joined = sh.replace("\\\n", " ");
    let mut calls = Vec::new();
    for line in joined.lines() {
        let line = line.trim_start();
        if line.starts_with('#') {
            continue;
        }
        let mut rest = line;
        while let Some(at) = rest.find("curl ") {
            let starts_word = at == 0
                || rest[..at]
                    .chars()
                    .last()
                    .is_some_and(|c| c.is_whitespace() || c == '(');
            let words = shell_words(&rest[at..]);
            rest = &rest[at + 5..];
            if !starts_word {
                continue;
            }
            let url = words.iter().find_map(|w| {
                w.strip_prefix("$TSFN")
                    .or_else(|| w.strip_prefix("${TSFN}"))
            });
            let Some(url) = url else { continue };
            let path = url.split(['?', '#']).next().unwrap_or("");
            let path = if path.is_empty() { "/" } else { path };
            calls.push(Call {
                method: curl_method(&words),
                path: path.to_owned(),
            });
        }
    }
    calls
}

/// The method curl uses with these arguments.
fn curl_method(words: &[String]) -> String {
    let mut explicit = None;
    let (mut data, mut upload, mut head, mut get) = (false, false, false, false);
    let mut it = words.iter();
    while let Some(w) = it.next() {
        match w.as_str() {
            "-X" | "--request" => explicit = it.next().cloned(),
            s if s.starts_with("-X") && s.len() > 2 => explicit = Some(s[2..].to_owned()),
            "-d" | "--data" | "--data-binary" | "--data-raw" | "--data-urlencode" | "--json"
            | "-F" | "--form" => data = true,
            "-T" | "--upload-file" => upload = true,
            "-I" | "--head" => head = true,
            "-G" | "--get" => get = true,
            _ => {}
        }
    }
    match explicit {
        Some(m) => m,
        None if head => "HEAD".into(),
        None if get => "GET".into(),
        None if upload => "PUT".into(),
        None if data => "POST".into(),
        None => "GET".into(),
    }
}

/// Whether a concrete path (with shell variables for some segments) fits a route template.
fn path_fits(template: &str, path: &str) -> bool {
    let t: Vec<&str> = template.trim_matches('/').split('/').collect();
    let p: Vec<&str> = path.trim_matches('/').split('/').collect();
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(t, p)| (t.starts_with('{') && !p.is_empty()) || t == p)
}

// ---- what the guide must document ----

/// Every domain error, for the status table. The match has no wildcard: a new variant does not
/// compile until it is listed here.
fn every_error() -> Vec<Error> {
    let all = vec![
        Error::invalid("f", "m"),
        Error::NotFound("x".into()),
        Error::Conflict("x".into()),
        Error::Unauthorized,
        Error::BadSignature {
            field: "x-hub-signature-256",
            message: "m".into(),
        },
        Error::Forbidden {
            key: "k".into(),
            scope: "write",
        },
        Error::TooManyRequests { retry_after: 1 },
        Error::TooLarge { limit: 1 },
        Error::UnsupportedMediaType("x".into()),
        Error::MethodNotAllowed,
        Error::NoRoute,
        Error::Unavailable("x".into()),
        Error::QueueFull { limit: 1 },
        Error::Internal("x".into()),
    ];
    for e in &all {
        match e {
            Error::Invalid { .. }
            | Error::NotFound(_)
            | Error::Conflict(_)
            | Error::Unauthorized
            | Error::BadSignature { .. }
            | Error::Forbidden { .. }
            | Error::TooManyRequests { .. }
            | Error::TooLarge { .. }
            | Error::UnsupportedMediaType(_)
            | Error::MethodNotAllowed
            | Error::NoRoute
            | Error::Unavailable(_)
            | Error::QueueFull { .. }
            | Error::Internal(_) => {}
        }
    }
    all
}

/// The first job body (`{"kind": ...}` in single quotes) of a shell snippet.
fn example_job(sh: &str) -> Option<Value> {
    let at = sh.find("'{\"kind\"")?;
    let body = &sh[at + 1..];
    serde_json::from_str(&body[..body.find('\'')?]).ok()
}

/// A kind's params with every default filled in, and the names of the required ones (taken
/// from the guide's example, which must give them).
fn kind_defaults(kind: &str, example: Option<&Value>) -> Result<(Value, Vec<String>), String> {
    let mut given = serde_json::Map::new();
    let mut required = Vec::new();
    loop {
        match Kind::parse(kind, Value::Object(given.clone())) {
            Ok(k) => return Ok((k.params_json(), required)),
            Err(Error::Invalid { field, .. })
                if field.starts_with("params.") && !required.contains(&field[7..].to_owned()) =>
            {
                let name = field[7..].to_owned();
                let v = example
                    .and_then(|e| e["params"].get(&name))
                    .cloned()
                    .ok_or_else(|| {
                        format!("job kind `{kind}`: param `{name}` is required, but the guide's example does not give it")
                    })?;
                given.insert(name.clone(), v);
                required.push(name);
            }
            Err(e) => return Err(format!("job kind `{kind}`: {e}")),
        }
    }
}

/// Everything the guide fails to document, as readable lines (empty when it is complete).
fn guide_problems(md: &str) -> Vec<String> {
    let guide = Guide::parse(md);
    let mut problems = guide.problems.clone();
    if guide.sh_blocks().is_empty() {
        problems.push("the guide has no ```sh blocks".into());
    }

    // Routes: a heading each, and in its section a curl example with the route's method on its
    // path, a Python example and a response.
    for r in ROUTES {
        let title = format!("{} {}", r.method, r.path);
        let found = guide.headings(&title);
        let Some(&i) = found.first() else {
            problems.push(format!("route {title}: no heading `{title}`"));
            continue;
        };
        if found.len() > 1 {
            problems.push(format!("route {title}: {} headings", found.len()));
        }
        let section = guide.section(i);
        let has_curl = section
            .blocks_in(&["sh"])
            .flat_map(curl_calls)
            .any(|c| c.method == r.method && path_fits(r.path, &c.path));
        if !has_curl {
            problems.push(format!(
                "route {title}: its section has no runnable curl example ({} on \"$TSFN{}\" in a ```sh block)",
                r.method, r.path
            ));
        }
        let call = format!("requests.{}(", r.method.to_lowercase());
        if !section.blocks_in(&["python"]).any(|b| b.contains(&call)) {
            problems.push(format!(
                "route {title}: its section has no Python example calling {call}...)"
            ));
        }
        if section.blocks_in(&["json", "text"]).next().is_none() {
            problems.push(format!(
                "route {title}: its section shows no response (```json or ```text)"
            ));
        }
    }
    // No heading names a route that does not exist.
    for (n, item) in &guide.items {
        if let Item::Heading { text, .. } = item {
            let t = text.replace('`', "");
            let t = t.trim();
            let looks_like_route = ["GET ", "PUT ", "POST ", "DELETE ", "PATCH ", "HEAD "]
                .iter()
                .any(|m| t.starts_with(m) && t[m.len()..].starts_with('/'));
            if looks_like_route
                && !ROUTES
                    .iter()
                    .any(|r| format!("{} {}", r.method, r.path) == t)
            {
                problems.push(format!("line {n}: heading `{t}` names no route"));
            }
        }
    }
    // Every curl aims at an existing path.
    for (n, sh) in guide.sh_blocks() {
        for c in curl_calls(sh) {
            if !ROUTES.iter().any(|r| path_fits(r.path, &c.path)) {
                problems.push(format!(
                    "the ```sh block at line {n}: curl {} {} matches no route",
                    c.method, c.path
                ));
            }
        }
    }

    // Job kinds: a heading each; an example that submits it; a Python example; every param in a
    // table with the code's default.
    for &kind in KINDS {
        let found = guide.headings(kind);
        let Some(&i) = found.first() else {
            problems.push(format!("job kind `{kind}`: no heading `{kind}`"));
            continue;
        };
        let section = guide.section(i);
        let needle = format!("\"kind\":\"{kind}\"");
        let example = section
            .blocks_in(&["sh"])
            .find(|b| b.replace(' ', "").contains(&needle));
        if example.is_none() {
            problems.push(format!(
                "job kind `{kind}`: its section has no ```sh example submitting {{\"kind\": \"{kind}\"}}"
            ));
        }
        if section.blocks_in(&["python"]).next().is_none() {
            problems.push(format!(
                "job kind `{kind}`: its section has no Python example"
            ));
        }
        if section.blocks_in(&["json", "text"]).next().is_none() {
            problems.push(format!("job kind `{kind}`: its section shows no result"));
        }
        let example = example.and_then(example_job);
        let (defaults, required) = match kind_defaults(kind, example.as_ref()) {
            Ok(d) => d,
            Err(e) => {
                problems.push(e);
                continue;
            }
        };
        for (name, default) in defaults.as_object().into_iter().flatten() {
            let Some(row) = section.table_row(name) else {
                problems.push(format!(
                    "job kind `{kind}`: param `{name}` has no row in its params table"
                ));
                continue;
            };
            // | `name` | type | default | bounds |
            let cell = row.get(3).copied().unwrap_or("");
            let want = if required.contains(name) {
                Some("required".to_owned())
            } else {
                match default {
                    Value::String(s) if !s.is_empty() => Some(format!("`{s}`")),
                    Value::Number(n) => Some(format!("`{n}`")),
                    Value::Bool(b) => Some(format!("`{b}`")),
                    _ => None,
                }
            };
            if let Some(want) = want {
                if !cell.contains(&want) {
                    problems.push(format!(
                        "job kind `{kind}`: param `{name}`: the default column says {cell:?}, the code's default is {want}"
                    ));
                }
            }
        }
    }

    // Error codes: a status table row each.
    for e in every_error() {
        let row = format!("| {} | `{}` |", e.status(), e.code());
        if !guide.lines.iter().any(|l| l.starts_with(&row)) {
            problems.push(format!(
                "error code `{}` ({}): no table row starting with {row:?}",
                e.code(),
                e.status()
            ));
        }
    }
    problems
}

// ---- the tests ----

#[test]
fn guide_documents_every_route_job_kind_and_error() {
    let problems = guide_problems(&read_guide());
    assert!(
        problems.is_empty(),
        "docs/user-guide.md is incomplete:\n  {}",
        problems.join("\n  ")
    );
}

/// The checks above are not vacuous: a guide with a part missing or wrong fails them.
#[test]
fn doc_checks_catch_omissions() {
    let md = read_guide();
    let guide = Guide::parse(&md);
    // Removes the lines of the section under the (first) heading `title`.
    let without_section = |title: &str| -> String {
        let i = *guide
            .headings(title)
            .first()
            .unwrap_or_else(|| panic!("no heading {title}"));
        let start = guide.items[i].0;
        let skip = guide.section(i).lines.len() + 1;
        md.lines()
            .enumerate()
            .filter(|(n, _)| !(start - 1..start - 1 + skip).contains(n))
            .map(|(_, l)| l)
            .collect::<Vec<_>>()
            .join("\n")
    };
    let expect = |what: &str, changed: &str, needle: &str| {
        assert_ne!(changed, md, "{what}: the mutation changed nothing");
        let problems = guide_problems(changed);
        assert!(
            problems.iter().any(|p| p.contains(needle)),
            "{what}: expected a problem mentioning {needle:?}, got {problems:#?}"
        );
    };
    for r in ROUTES {
        let title = format!("{} {}", r.method, r.path);
        expect(
            &format!("route section {title} removed"),
            &without_section(&title),
            &format!("route {title}: no heading"),
        );
    }
    for &kind in KINDS {
        expect(
            &format!("job kind section {kind} removed"),
            &without_section(kind),
            &format!("job kind `{kind}`: no heading"),
        );
    }
    // A section that keeps its heading but loses its example (or uses the wrong method).
    let put_point = "PUT /series/{series}/points/{t}";
    expect(
        "curl method changed",
        &md.replacen(
            "curl -sS --fail-with-body -X PUT \"$TSFN/series/demo/points/2024-05-01T08:00:00Z\"",
            "curl -sS --fail-with-body -X POST \"$TSFN/series/demo/points/2024-05-01T08:00:00Z\"",
            1,
        ),
        &format!("route {put_point}: its section has no runnable curl"),
    );
    expect(
        "a curl aimed at a path that does not exist",
        &md.replacen(
            "\"$TSFN/series/co2/stats?",
            "\"$TSFN/series/co2/statz/x?",
            1,
        ),
        "matches no route",
    );
    expect(
        "a default changed",
        &md.replacen(
            "| `bins` | integer | `20` |",
            "| `bins` | integer | `21` |",
            1,
        ),
        "param `bins`",
    );
    expect(
        "a required param not marked",
        &md.replacen("| none: required |", "| `1d` |", 1),
        "param `every`",
    );
    expect(
        "an error code missing",
        &md.replacen("| 409 | `conflict` |", "| 409 | conflict |", 1),
        "error code `conflict`",
    );
    expect(
        "an unclosed fence",
        &format!("{md}\n```sh\ncurl \"$TSFN/health\"\n"),
        "never closed",
    );
    // And the curl reader itself.
    assert_eq!(
        curl_calls(
            "X=$(curl -sS -X DELETE \"$TSFN/jobs/$JOB\" | python3 -c 'x')\n\
             curl -sS \"$TSFN/series/a/points\" \\\n  -H 'content-type: text/csv' --data-binary $'t,v\\n1,1\\n'"
        ),
        [
            Call {
                method: "DELETE".into(),
                path: "/jobs/$JOB".into()
            },
            Call {
                method: "POST".into(),
                path: "/series/a/points".into()
            }
        ]
    );
}

/// Runs `bash script` in `dir` with `TSFN` set; kills its whole process group after `timeout`.
/// Returns (exit success, stdout, stderr, timed out).
fn run_script(
    script: &Path,
    dir: &Path,
    tsfn: &str,
    timeout: Duration,
) -> (bool, String, String, bool) {
    use std::os::unix::process::CommandExt;
    let out_path = dir.join("docs-examples.stdout");
    let err_path = dir.join("docs-examples.stderr");
    let mut child = Command::new("bash")
        .arg(script)
        .current_dir(dir)
        .env("TSFN", tsfn)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).expect("stdout file"))
        .stderr(std::fs::File::create(&err_path).expect("stderr file"))
        .process_group(0)
        .spawn()
        .expect("spawn bash");
    let exited = support::poll(timeout, || child.try_wait().expect("wait for bash"));
    let (ok, timed_out) = match exited {
        Ok(status) => (status.success(), false),
        Err(_) => {
            // The script and everything it started (curl, sleep, python3).
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .status();
            let _ = child.kill();
            let _ = child.wait();
            (false, true)
        }
    };
    let read =
        |p: &Path| String::from_utf8_lossy(&std::fs::read(p).unwrap_or_default()).into_owned();
    (ok, read(&out_path), read(&err_path), timed_out)
}

#[test]
fn guide_examples_run_against_a_live_server() {
    for tool in ["bash", "curl", "python3"] {
        assert!(
            which(tool).is_some(),
            "`{tool}` is needed to run the user guide's examples (./scripts/test.sh installs curl)"
        );
    }
    let md = read_guide();
    let guide = Guide::parse(&md);
    let blocks = guide.sh_blocks();
    assert!(!blocks.is_empty(), "docs/user-guide.md has no ```sh blocks");

    let mut script = String::from(
        "set -Eeuo pipefail\n\
         trap 'echo \"docs_examples: exit $? at script line $LINENO: $BASH_COMMAND\" >&2' ERR\n",
    );
    for (line, body) in &blocks {
        // The marker in stdout shows which block printed what.
        script.push_str(&format!(
            "\n# ---- docs/user-guide.md, the block at line {line} ----\n\
             printf '\\n[docs/user-guide.md, the block at line {line}]\\n'\n"
        ));
        script.push_str(body);
        script.push('\n');
    }

    // A fresh SQLite file with the bundled dataset, and workers to run the jobs (whatever the
    // caller's environment says).
    let data = tempfile::tempdir().expect("tempdir");
    let store = format!("sqlite://{}", data.path().join("tsfn.db").display());
    // The hook source the webhook examples sign for.
    let server = in_process::start(
        &store,
        &[
            ("TSFN_SEED", "1"),
            ("TSFN_WORKERS", "2"),
            (
                "TSFN_HOOK_SECRETS",
                "sensors:change-me-to-a-long-random-secret",
            ),
        ],
    );

    let work = tempfile::tempdir().expect("tempdir");
    let path = work.path().join("user-guide-examples.sh");
    std::fs::write(&path, &script).expect("write script");
    let started = Instant::now();
    let (ok, stdout, stderr, timed_out) =
        run_script(&path, work.path(), &server.base, SCRIPT_TIMEOUT);
    let numbered: String = script
        .lines()
        .enumerate()
        .map(|(i, l)| format!("{:4} {l}\n", i + 1))
        .collect();
    assert!(
        ok,
        "the user guide's examples {} after {:.1?}\n\
         ---- script ----\n{numbered}\
         ---- stdout ----\n{stdout}\n\
         ---- stderr ----\n{stderr}",
        if timed_out {
            format!("did not finish within {SCRIPT_TIMEOUT:?}")
        } else {
            "failed".to_owned()
        },
        started.elapsed(),
    );
    // The plot examples wrote their images where they said.
    let png = std::fs::read(work.path().join("plot.png")).unwrap_or_default();
    assert!(png.starts_with(b"\x89PNG"), "plot.png is not a PNG");
    let svg = std::fs::read_to_string(work.path().join("co2.svg")).unwrap_or_default();
    assert!(svg.contains("<svg"), "co2.svg is not an SVG");
    // The server is still healthy after everything the guide did.
    assert_eq!(
        server.get("/ready").expect(200),
        json!({"status": "ready", "store": "sqlite"})
    );
}
