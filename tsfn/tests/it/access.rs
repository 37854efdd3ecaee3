//! Who may call what, through `tsfn serve`'s HTTP: API keys with scopes made by `tsfn key new`
//! (from `TSFN_API_KEYS`, `TSFN_API_KEYS_FILE` and the plain `TSFN_API_KEY`), 401 and 403, keys
//! never logged; CORS off by default and answered when configured; rate limits per key and per
//! address with 429 and `Retry-After`; request ids taken or made, returned, on every log line
//! of the request and on the jobs it submits; one access log line per request.

use std::process::Command;
use std::time::Duration;

use crate::support::{self, eventually, json, Server};

/// `tsfn key new NAME --scopes S`: (the key, its TSFN_API_KEYS entry).
fn new_key(name: &str, scopes: &str) -> (String, String) {
    let out = Command::new(support::tsfn_bin())
        .args(["key", "new", name, "--scopes", scopes])
        .output()
        .expect("tsfn key new");
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let field = |label: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(label))
            .map(|v| v.trim().to_owned())
            .unwrap_or_else(|| panic!("no {label} in {text}"))
    };
    let (key, entry) = (field("key:"), field("entry:"));
    assert!(key.len() >= 40, "a long random key: {key}");
    assert!(entry.starts_with(&format!("{name}:{scopes}:")), "{entry}");
    assert!(
        !entry.contains(&key),
        "the entry holds the hash, not the key"
    );
    (key, entry)
}

fn bearer(key: &str) -> String {
    format!("Bearer {key}")
}

#[test]
fn keys_with_scopes_from_the_variable_the_file_and_the_plain_key() {
    let (reader, reader_entry) = new_key("grafana", "read");
    let (writer, writer_entry) = new_key("ingest", "write");
    let (admin, admin_entry) = new_key("ops", "admin");
    let (both, both_entry) = new_key("app", "read,write");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("keys");
    std::fs::write(&file, format!("# operators\n{admin_entry}\n")).unwrap();
    let keys = format!("{reader_entry}; {writer_entry}\n{both_entry}");
    let s = Server::sqlite_logged(&[
        ("TSFN_API_KEYS", &keys),
        ("TSFN_API_KEYS_FILE", file.to_str().unwrap()),
        ("TSFN_API_KEY", "plain-old-key"),
        ("RUST_LOG", "info"),
    ]);
    let call = |method: &str, path: &str, key: Option<&str>, body: &str| {
        let auth = key.map(bearer);
        let mut headers = vec![("content-type", "application/json")];
        if let Some(a) = &auth {
            headers.push(("authorization", a.as_str()));
        }
        s.send_with(method, path, &headers, body.as_bytes().to_vec())
    };

    // No key, an unknown key: 401 with the challenge.
    let r = call("GET", "/series", None, "");
    r.expect_error(401, None);
    assert_eq!(r.headers["www-authenticate"], "Bearer");
    call("GET", "/series", Some("tsfn_wrong"), "").expect_error(401, None);
    // The open routes need none.
    call("GET", "/health", None, "").expect(200);
    call("GET", "/ready", None, "").expect(200);

    // write: points and metadata, not reading.
    call("PUT", "/series/room", Some(&writer), r#"{"unit":"C"}"#).expect(201);
    call("POST", "/series/room/points", Some(&writer), "[[1,20.5]]").expect(200);
    let v = call("GET", "/series/room", Some(&writer), "").expect_error(403, None);
    assert_eq!(v["error"]["code"], "forbidden");
    let msg = v["error"]["message"].as_str().unwrap();
    assert!(msg.contains("\"ingest\"") && msg.contains("read"), "{msg}");
    // read: reading, not writing.
    let got = call("GET", "/series/room/points", Some(&reader), "").expect(200);
    assert_eq!(got["points"][0]["v"], 20.5);
    call("POST", "/series/room/points", Some(&reader), "[[2,1]]").expect_error(403, None);
    call(
        "POST",
        "/jobs",
        Some(&reader),
        r#"{"kind":"summary","series":"room"}"#,
    )
    .expect_error(403, None);
    // read,write: both; deleting a whole series is admin's.
    call("GET", "/series/room", Some(&both), "").expect(200);
    call("DELETE", "/series/room/points/1", Some(&both), "").expect(204);
    call("DELETE", "/series/room", Some(&both), "").expect_error(403, None);
    call("DELETE", "/series/room", Some(&writer), "").expect_error(403, None);
    // admin (from the file) does everything, as does the plain TSFN_API_KEY.
    call("GET", "/series/room", Some(&admin), "").expect(200);
    call("DELETE", "/series/room", Some(&admin), "").expect(204);
    call("PUT", "/series/other", Some("plain-old-key"), "{}").expect(201);
    call("DELETE", "/series/other", Some("plain-old-key"), "").expect(204);
    // /metrics is admin's on the API's port.
    call("GET", "/metrics", None, "").expect_error(401, None);
    call("GET", "/metrics", Some(&reader), "").expect_error(403, None);
    let m = call("GET", "/metrics", Some(&admin), "");
    assert_eq!(m.status, 200, "{}", m.text());
    assert!(m.text().contains("tsfn_http_requests_total"));
    // The other ways a key is sent: x-api-key, InfluxDB's Token and Basic password.
    s.get_with("/series", &[("x-api-key", reader.as_str())])
        .expect(200);
    s.get_with("/series", &[("authorization", &format!("Token {reader}"))])
        .expect(200);

    // The log names keys, never holds them or their hashes.
    let log = s.log();
    assert!(
        log.contains("key=\"ingest\""),
        "access lines name the key: {log}"
    );
    for secret in [&reader, &writer, &admin, &both, &"plain-old-key".to_owned()] {
        assert!(!log.contains(secret.as_str()), "a key in the log");
    }
    for entry in [&reader_entry, &writer_entry, &admin_entry] {
        let hash = entry.rsplit(':').next().unwrap();
        assert!(!log.contains(hash), "a key's hash in the log");
    }
}

#[test]
fn bad_key_settings_stop_the_server_naming_the_variable_not_the_value() {
    let secretish = format!("a:read:{}", "ab".repeat(31)); // 62 hex digits: too short
    for (var, value, says) in [
        ("TSFN_API_KEYS", secretish.as_str(), "64 hex digits"),
        ("TSFN_API_KEYS", "a:sudo:00", "unknown scope"),
        (
            "TSFN_API_KEYS_FILE",
            "/nonexistent/keys",
            "cannot read the file",
        ),
        ("TSFN_RATE_LIMIT", "lots", "per s, min or h"),
        ("TSFN_CORS_ORIGINS", "example.com", "not an origin"),
    ] {
        let out = Command::new(support::tsfn_bin())
            .args(["serve", "--bind", "127.0.0.1:0"])
            .env("TSFN_STORE", "sqlite::memory:")
            .env(var, value)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{var}={value}: {err}");
        assert!(err.contains(var) && err.contains(says), "{var}: {err}");
        if var == "TSFN_API_KEYS" {
            assert!(!err.contains(value), "the value is not echoed: {err}");
        }
    }
}

#[test]
fn cors_is_off_by_default_and_answers_the_configured_origins() {
    let preflight = |s: &Server, origin: &str| {
        s.send_with(
            "OPTIONS",
            "/series/x/points",
            &[
                ("origin", origin),
                ("access-control-request-method", "POST"),
                (
                    "access-control-request-headers",
                    "authorization,content-type",
                ),
            ],
            vec![],
        )
    };
    let off = Server::sqlite_file(&[]);
    let r = off.get_with("/series", &[("origin", "https://ui.example")]);
    assert_eq!(r.status, 200);
    assert!(r.headers.get("access-control-allow-origin").is_none());
    let p = preflight(&off, "https://ui.example");
    assert!(p.headers.get("access-control-allow-origin").is_none());
    assert_eq!(p.status, 405, "no CORS: OPTIONS is no method of the route");
    drop(off);

    let on = Server::sqlite_file(&[
        (
            "TSFN_CORS_ORIGINS",
            "https://ui.example, http://localhost:5173",
        ),
        ("TSFN_API_KEY", "k"),
    ]);
    // A preflight needs no key: browsers send none with it.
    let p = preflight(&on, "https://ui.example");
    assert_eq!(p.status, 200, "{}", p.text());
    assert_eq!(
        p.headers["access-control-allow-origin"],
        "https://ui.example"
    );
    let methods = p.headers["access-control-allow-methods"].to_str().unwrap();
    assert!(
        methods.contains("POST") && methods.contains("DELETE"),
        "{methods}"
    );
    let headers = p.headers["access-control-allow-headers"].to_str().unwrap();
    assert!(headers.contains("authorization") && headers.contains("content-type"));
    let r = on.get_with(
        "/series",
        &[
            ("origin", "http://localhost:5173"),
            ("authorization", "Bearer k"),
        ],
    );
    assert_eq!(r.status, 200);
    assert_eq!(
        r.headers["access-control-allow-origin"],
        "http://localhost:5173"
    );
    let exposed = r.headers["access-control-expose-headers"].to_str().unwrap();
    assert!(exposed.contains("x-request-id") && exposed.contains("x-next-cursor"));
    // Another origin gets no grant (the browser then refuses the answer).
    let r = on.get_with(
        "/series",
        &[
            ("origin", "https://evil.example"),
            ("authorization", "Bearer k"),
        ],
    );
    assert!(r.headers.get("access-control-allow-origin").is_none());
    assert!(preflight(&on, "https://evil.example")
        .headers
        .get("access-control-allow-origin")
        .is_none());
}

#[test]
fn rate_limits_per_key_and_per_address_with_retry_after() {
    let (a, a_entry) = new_key("a", "read");
    let (b, b_entry) = new_key("b", "read");
    let s = Server::sqlite_file(&[
        ("TSFN_API_KEYS", &format!("{a_entry};{b_entry}")),
        ("TSFN_RATE_LIMIT", "3/min"),
    ]);
    let get = |key: &str| s.get_with("/series", &[("authorization", &bearer(key))]);
    for _ in 0..3 {
        get(&a).expect(200);
    }
    let r = get(&a);
    let v = r.expect_error(429, None);
    assert_eq!(v["error"]["code"], "rate_limited");
    let retry: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(
        (1..=20).contains(&retry),
        "3/min refills one every 20 s: {retry}"
    );
    // Each key has its own budget; the probes have none.
    get(&b).expect(200);
    for _ in 0..5 {
        s.get("/health").expect(200);
    }
    // Requests without a known key count against the client's address, refused ones too.
    for _ in 0..3 {
        s.get("/series").expect_error(401, None);
    }
    s.get("/series").expect_error(429, None);
    get(&b).expect(200);

    // Off by default.
    let open = Server::sqlite_file(&[]);
    for _ in 0..50 {
        open.get("/series").expect(200);
    }
}

#[test]
fn request_ids_are_returned_logged_and_kept_on_jobs() {
    let s = Server::sqlite_logged(&[("RUST_LOG", "info"), ("TSFN_WORKERS", "1")]);
    // Made when absent: a UUID.
    let r = s.get("/series");
    let made = r.headers["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(made.len(), 36, "{made}");
    // Taken when given, on errors too.
    let r = s.get_with("/series/nope", &[("x-request-id", "trace-404")]);
    r.expect_error(404, None);
    assert_eq!(r.headers["x-request-id"], "trace-404");
    let r = s.get_with("/no/such/route", &[("x-request-id", "trace-noroute")]);
    assert_eq!(r.headers["x-request-id"], "trace-noroute");

    s.write("temp", &[(1, 1.0), (2, 2.0), (3, 4.0)]);
    let job = s
        .send_with(
            "POST",
            "/jobs",
            &[
                ("content-type", "application/json"),
                ("x-request-id", "submit-7f3a"),
            ],
            json!({"kind": "summary", "series": "temp"})
                .to_string()
                .into_bytes(),
        )
        .expect(202);
    assert_eq!(job["request_id"], "submit-7f3a");
    let id = job["id"].as_str().unwrap().to_owned();
    let done = eventually(Duration::from_secs(30), "the job to finish", || {
        let j = s.get(&format!("/jobs/{id}")).json();
        (j["status"] == "succeeded").then_some(j)
    });
    assert_eq!(done["request_id"], "submit-7f3a", "kept on the stored job");

    let log = eventually(Duration::from_secs(10), "the job's log line", || {
        let log = s.log();
        log.lines()
            .any(|l| l.contains(&format!("id={id}")) && l.contains("request_id=submit-7f3a"))
            .then_some(log)
    });
    // One access line per request: method, route template, status, duration, bytes, id.
    let line = log
        .lines()
        .find(|l| l.contains("id=trace-404"))
        .unwrap_or_else(|| panic!("no access line for trace-404: {log}"));
    for part in [
        "method=GET",
        "route=\"/series/{series}\"",
        "status=404",
        "ms=",
        "bytes=",
    ] {
        assert!(line.contains(part), "{part} missing from {line}");
    }
    assert!(log
        .lines()
        .any(|l| l.contains("id=trace-noroute") && l.contains("status=404")));
    let submits: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("id=submit-7f3a"))
        .collect();
    assert_eq!(
        submits
            .iter()
            .filter(|l| l.contains("route=\"/jobs\""))
            .count(),
        1,
        "exactly one access line for the submit: {submits:?}"
    );
}
