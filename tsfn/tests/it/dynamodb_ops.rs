//! DynamoDB in operation, through a fault-injecting proxy in front of moto's server
//! (support/dynamo_proxy.py): tables that DynamoDB is still creating, an endpoint that stops
//! answering in the middle of a body of several transactions, what bodies cost in items and
//! write units, chunk reads across Query pages, and tables written in the per-point format of
//! earlier versions.

use crate::support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use support::{json, moto, tsfn_bin, which, workspace_root, Server, Value};

/// The proxy process; it exits when its stdin (held here) closes.
struct Proxy {
    child: Child,
    url: &'static str,
    client: reqwest::blocking::Client,
}

impl Proxy {
    fn start() -> Proxy {
        let python = which("python3").expect("python3 (the test venv's)");
        let mut child = Command::new(python)
            .arg(workspace_root().join("tsfn/tests/it/support/dynamo_proxy.py"))
            .arg(format!("http://127.0.0.1:{}", moto().port))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the proxy");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .expect("proxy address");
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("proxy said {line:?}"));
        Proxy {
            child,
            url: Box::leak(url.to_owned().into_boxed_str()),
            client: support::client(),
        }
    }

    fn control(&self, settings: Value) {
        let r = self
            .client
            .post(format!("{}/_control", self.url))
            .json(&settings)
            .send()
            .unwrap();
        assert!(r.status().is_success());
    }

    fn counters(&self) -> Value {
        self.client
            .get(format!("{}/_control", self.url))
            .send()
            .unwrap()
            .json()
            .unwrap()
    }

    /// `tsfn COMMAND --store STORE` through the proxy.
    fn tsfn(&self, command: &str, store: &str) -> std::process::Output {
        Command::new(tsfn_bin())
            .args([command, "--store", store])
            .envs(self.env("20000"))
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("tsfn {command}: {e}"))
    }

    /// moto's environment with the SDK pointed at the proxy instead.
    fn env(&self, timeout_ms: &'static str) -> Vec<(&'static str, &'static str)> {
        let mut env: Vec<_> = moto()
            .env()
            .into_iter()
            .filter(|(k, _)| *k != "AWS_ENDPOINT_URL" && *k != "TSFN_DYNAMODB_TIMEOUT_MS")
            .collect();
        env.push(("AWS_ENDPOINT_URL", self.url));
        env.push(("TSFN_DYNAMODB_TIMEOUT_MS", timeout_ms));
        env
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn prefix() -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "ops{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

fn describes(p: &Proxy, prefix: &str, table: &str) -> i64 {
    p.counters()["describes"][format!("{prefix}-{table}")]
        .as_i64()
        .unwrap_or(0)
}

/// `tsfn init-store` returns only once every table and index is ACTIVE, saying what it waits
/// for; `tsfn serve` started while tables are still CREATING waits for them before it listens
/// (issue: "ready" was printed while the tables were CREATING, and seed or serve then failed).
#[test]
fn init_store_and_serve_wait_for_active_tables() {
    let proxy = Proxy::start();
    proxy.control(json!({"creating": 3}));
    let store = format!("dynamodb://{}", prefix());
    let pfx = store.trim_start_matches("dynamodb://").to_owned();
    let out = proxy.tsfn("init-store", &store);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(&format!("created table {pfx}-jobs")),
        "{stdout}"
    );
    assert!(
        stdout.contains("waiting for dynamodb tables to be ACTIVE")
            && stdout.contains(&format!("{pfx}-series (CREATING)")),
        "{stdout}"
    );
    assert!(
        stdout.trim_end().ends_with(&format!("{store} is ready")),
        "{stdout}"
    );
    for t in ["series", "points", "jobs", "results"] {
        assert!(describes(&proxy, &pfx, t) >= 4, "{t}: {}", proxy.counters());
    }
    // Seeding right after works.
    let seed = proxy.tsfn("seed", &store);
    assert!(
        seed.status.success(),
        "{}",
        String::from_utf8_lossy(&seed.stderr)
    );

    // The tables report CREATING again: serve waits for ACTIVE before it listens.
    proxy.control(json!({"creating": 3}));
    let before = describes(&proxy, &pfx, "points");
    let s = Server::start(
        &store,
        &[proxy.env("20000"), vec![("TSFN_SEED", "0")]].concat(),
    );
    assert!(
        describes(&proxy, &pfx, "points") >= before + 4,
        "{}",
        proxy.counters()
    );
    assert!(!s.get("/series").expect(200)["series"]
        .as_array()
        .unwrap()
        .is_empty());
    s.get("/ready").expect(200);
}

/// An endpoint that stops answering in the middle of a body too large for one transaction (over
/// many chunks, so several transactions): the 503 says how many points were written
/// (those of the transactions acknowledged, exactly what the store then holds) and that resending
/// is safe; resending once it answers again stores the body whole, each point once.
#[test]
fn partial_write_says_what_was_written_and_resending_is_safe() {
    let proxy = Proxy::start();
    let store = format!("dynamodb://{}", prefix());
    let init = proxy.tsfn("init-store", &store);
    assert!(init.status.success());
    // Timeouts short enough that the hung transaction fails within the test's bound, long
    // enough for moto to take a 1.5 MB transaction.
    let s = Server::start(
        &store,
        &[proxy.env("5000"), vec![("TSFN_SEED", "0")]].concat(),
    );
    s.write("part", &[(1, 1.0)]);
    proxy.control(json!({"hang_transactions_after": 1}));
    let n = 250_000i64;
    let value = |i: i64| i as f64 / 7.0;
    let body = Value::Array(
        (0..n)
            .map(|i| json!([1_700_000_000 + i, value(i)]))
            .collect(),
    );
    let started = std::time::Instant::now();
    let v = s
        .post_json("/series/part/points", &body)
        .expect_error(503, None);
    assert!(started.elapsed() < Duration::from_secs(60));
    let msg = v["error"]["message"].as_str().unwrap();
    let said = format!(" of {n} points were written before the failure");
    let at = msg.find(&said).unwrap_or_else(|| panic!("{msg}"));
    let digits = msg[..at]
        .rsplit(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap();
    let written: i64 = digits.parse().unwrap_or_else(|_| panic!("{msg}"));
    assert!(written > 0 && written < n, "{msg}");
    assert!(
        msg.contains("sending the same request again is safe"),
        "{msg}"
    );
    let c = proxy.counters();
    assert_eq!(c["transactions_forwarded"], 1, "{c}");
    assert!(c["transactions_hung"].as_i64().unwrap() > 0, "{c}");

    // What the message says is what the store holds: the earlier point and the body's first
    // `written` points, each once.
    proxy.control(json!({"hang_transactions_after": null}));
    assert_eq!(s.get("/series/part").expect(200)["count"], written + 1);
    let last = s.get("/series/part/points?order=desc&limit=1").expect(200);
    assert_eq!(last["points"][0]["v"], value(written - 1));

    s.post_json("/series/part/points", &body).expect(200);
    assert_eq!(s.get("/series/part").expect(200)["count"], n + 1);
    let values = all_values(&s, "part");
    assert_eq!(values.len() as i64, n + 1);
    assert_eq!(values[0], 1.0);
    assert!(values[1..]
        .iter()
        .enumerate()
        .all(|(i, v)| *v == value(i as i64)));
}

/// Every value of a series, ascending, read a page of 10,000 at a time.
fn all_values(s: &Server, series: &str) -> Vec<f64> {
    let mut out = Vec::new();
    let mut path = format!("/series/{series}/points?limit=10000");
    loop {
        let page = s.get(&path).expect(200);
        out.extend(
            page["points"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["v"].as_f64().unwrap()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/series/{series}/points?limit=10000&cursor={c}"),
            None => return out,
        }
    }
}

/// Every point of a series as `(epoch seconds, value)`, ascending.
fn all_points(s: &Server, series: &str) -> Vec<(i64, f64)> {
    let mut out = Vec::new();
    let mut path = format!("/series/{series}/points?limit=10000");
    loop {
        let page = s.get(&path).expect(200);
        for p in page["points"].as_array().unwrap() {
            let t = tsfn_shared::time::parse(p["t"].as_str().unwrap()).unwrap() / 1000;
            out.push((t, p["v"].as_f64().unwrap()));
        }
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/series/{series}/points?limit=10000&cursor={c}"),
            None => return out,
        }
    }
}

/// Writes tallied by the proxy for one table since the last reset: (Put, Delete, Update, write
/// request units).
fn writes(p: &Proxy, table: &str) -> (i64, i64, i64, i64) {
    let c = p.counters();
    let t = &c["writes"][table];
    let n = |k: &str| t[k].as_i64().unwrap_or(0);
    (n("Put"), n("Delete"), n("Update"), n("wcu"))
}

/// A random walk with 4 decimals, one point a second: the benchmark's data.
struct Walk {
    seed: u64,
    v: f64,
}

impl Walk {
    fn next(&mut self) -> f64 {
        self.seed = self
            .seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let step = ((self.seed >> 33) % 2001) as f64 / 1000.0 - 1.0;
        self.v = ((self.v + step) * 10_000.0).round() / 10_000.0;
        self.v
    }
}

/// What bodies cost on DynamoDB, from the items written (see dynamo_proxy.py for how units are
/// counted): 1,000,000 points of the benchmark's kind loaded in bodies of 100,000 are one
/// transaction of about 98 chunk items each (100,000 / 1,024 = 97.7, so 98 or 99, the last
/// chunk of the previous body filled up first), not 100,000 items; 1,000 points written one by one are
/// one transaction each: the series' last chunk rewritten and the series item. Prints the write
/// request units for both.
#[test]
fn bodies_write_a_few_chunk_items() {
    let proxy = Proxy::start();
    let pfx = prefix();
    let store = format!("dynamodb://{pfx}");
    assert!(proxy.tsfn("init-store", &store).status.success());
    let s = Server::start(
        &store,
        &[proxy.env("120000"), vec![("TSFN_SEED", "0")]].concat(),
    );
    let (points, series) = (format!("{pfx}-points"), format!("{pfx}-series"));
    let mut walk = Walk { seed: 7, v: 100.0 };
    let t0 = 1_700_000_000i64;
    let per_body = 100_000i64;
    proxy.control(json!({"reset_writes": true}));
    let mut last = (0, 0, 0, 0);
    for b in 0..10 {
        let body = Value::Array(
            (0..per_body)
                .map(|i| json!([t0 + b * per_body + i, walk.next()]))
                .collect(),
        );
        s.post_json("/series/bulk/points", &body)
            .expect(if b == 0 { 201 } else { 200 });
        let now = writes(&proxy, &points);
        let (puts, deletes) = (now.0 - last.0, now.1 - last.1);
        println!(
            "body {b}: {puts} chunk items put, {deletes} deleted, {} units",
            now.3 - last.3
        );
        let want = (per_body as usize).div_ceil(tsfn_shared::chunk::MAX_POINTS);
        assert!(
            (want..=want + 1).contains(&(puts as usize)),
            "body {b}: {puts} chunk items"
        );
        assert_eq!(deletes, 0, "body {b}");
        last = now;
    }
    let series_bulk = writes(&proxy, &series);
    assert_eq!(series_bulk.2, 10, "one series update per body");
    let bulk_units = last.3 + series_bulk.3;
    let stored = proxy.counters()["stored_bytes"][&points].as_i64().unwrap();
    let per_point = stored as f64 / (10 * per_body) as f64;
    println!("stored chunk items: {stored} bytes, {per_point:.2} bytes per point");
    assert!(per_point < 2.5, "{per_point} bytes per point");
    assert_eq!(s.get("/series/bulk").expect(200)["count"], 10 * per_body);
    let stats = s.get("/series/bulk/stats").expect(200);
    assert_eq!(stats["last"]["v"], walk.v);

    proxy.control(json!({"reset_writes": true}));
    let mut walk = Walk { seed: 11, v: 100.0 };
    for i in 0..1000 {
        s.write("single", &[(t0 + i, walk.next())]);
    }
    let (puts, deletes, _, units) = writes(&proxy, &points);
    let series_single = writes(&proxy, &series);
    assert_eq!((puts, deletes, series_single.2), (1000, 0, 1000));
    let single_units = units + series_single.3;
    assert_eq!(s.get("/series/single").expect(200)["count"], 1000);
    println!(
        "write request units: 1,000,000 points in bodies of 100,000: {bulk_units} \
         ({} chunk items, {} series updates); 1,000 points one by one: {single_units} \
         ({puts} chunk puts, {} series updates)",
        last.0, series_bulk.2, series_single.2
    );
    // Per point they were one unit each (a BatchWriteItem put per point) in the per-point format.
    assert!(bulk_units < 5_000, "{bulk_units}");
    assert!(single_units < 6_000, "{single_units}");
}

/// A body rewriting a series whose chunks take more than one 1 MB Query page to read (values
/// that do not compress: about 16 bytes a point) reads every page before planning: only the
/// changed point's chunk is put, and the series still holds each point once.
#[test]
fn writes_read_chunks_across_query_pages() {
    let proxy = Proxy::start();
    let pfx = prefix();
    let store = format!("dynamodb://{pfx}");
    assert!(proxy.tsfn("init-store", &store).status.success());
    let s = Server::start(
        &store,
        &[proxy.env("120000"), vec![("TSFN_SEED", "0")]].concat(),
    );
    let mut seed = 3u64;
    let n = 200_000i64;
    let mut values: Vec<f64> = (0..n)
        .map(|_| loop {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let v = f64::from_bits(seed);
            if v.is_finite() {
                break v;
            }
        })
        .collect();
    let body = |values: &[f64]| {
        Value::Array(
            values
                .iter()
                .enumerate()
                .map(|(i, v)| json!([1_700_000_000 + i as i64, v]))
                .collect(),
        )
    };
    s.post_json("/series/wide/points", &body(&values))
        .expect(201);
    let points = format!("{pfx}-points");
    let before = proxy.counters()["query_pages_continued"]
        .as_i64()
        .unwrap_or(0);
    proxy.control(json!({"reset_writes": true}));
    values[(n - 1) as usize] = 0.5;
    s.post_json("/series/wide/points", &body(&values))
        .expect(200);
    let after = proxy.counters()["query_pages_continued"]
        .as_i64()
        .unwrap_or(0);
    assert!(
        after > before,
        "the rewrite read its chunks in one Query page"
    );
    let (puts, deletes, ..) = writes(&proxy, &points);
    assert_eq!((puts, deletes), (1, 0));
    assert_eq!(s.get("/series/wide").expect(200)["count"], n);
    let got = all_values(&s, "wide");
    assert_eq!(got.len(), values.len());
    assert!(got
        .iter()
        .zip(&values)
        .all(|(g, w)| g.to_bits() == w.to_bits()));
}

/// A client of moto itself, for what the tests write and read behind tsfn's back.
fn moto_client() -> (tokio::runtime::Runtime, aws_sdk_dynamodb::Client) {
    use aws_sdk_dynamodb::config::{Credentials, Region};
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version_latest()
        .endpoint_url(format!("http://127.0.0.1:{}", moto().port))
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
        .build();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    (rt, aws_sdk_dynamodb::Client::from_conf(config))
}

/// Every item of a series in the points table.
fn items_of(
    rt: &tokio::runtime::Runtime,
    db: &aws_sdk_dynamodb::Client,
    table: &str,
    id: &str,
) -> Vec<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
    use aws_sdk_dynamodb::types::AttributeValue as A;
    let mut out = Vec::new();
    let mut start = None;
    loop {
        let r = rt
            .block_on(
                db.query()
                    .table_name(table)
                    .key_condition_expression("s = :s")
                    .expression_attribute_values(":s", A::S(id.into()))
                    .set_exclusive_start_key(start)
                    .send(),
            )
            .unwrap();
        out.extend(r.items.unwrap_or_default());
        start = r.last_evaluated_key;
        if start.is_none() {
            return out;
        }
    }
}

/// Tables written in the per-point format of earlier versions (an item per point: `s`, `t` in
/// ms, `v` the value's 8 bytes big-endian, or a number in the oldest items; series items
/// without `n` or `ver`) keep working with no migration step: every point reads back bit for
/// bit, counts and spans are right, writes and deletes land among the old items; then
/// `tsfn init-store`, run while serving, compacts them into chunks and records the count,
/// changing no value, and says so; run again, it finds nothing to do.
#[test]
fn per_point_items_of_earlier_versions_read_write_and_compact() {
    use aws_sdk_dynamodb::primitives::Blob;
    use aws_sdk_dynamodb::types::{AttributeValue as A, PutRequest, WriteRequest};
    use std::collections::BTreeMap;

    let proxy = Proxy::start();
    let pfx = prefix();
    let store = format!("dynamodb://{pfx}");
    assert!(proxy.tsfn("init-store", &store).status.success());
    let (points, series) = (format!("{pfx}-points"), format!("{pfx}-series"));
    let (rt, db) = moto_client();

    // Two series as the per-point code left them: 300 points 10 s apart, edge values among them,
    // every 7th stored as a number; and one of 3 points. (moto copies the whole table for each
    // action of a transaction, so more would only be slow here.)
    let t0 = 1_600_000_000i64;
    let edge = [
        -0.0,
        5e-324,
        -f64::MAX,
        f64::MAX,
        f64::MIN_POSITIVE,
        1e-300,
        0.1 + 0.2,
    ];
    let mut seed = 5u64;
    let mut want: BTreeMap<i64, f64> = BTreeMap::new();
    let mut as_number = Vec::new();
    for i in 0..300i64 {
        let v = if i % 7 == 3 {
            as_number.push(t0 + 10 * i);
            i as f64 * 0.25
        } else if (i as usize) < edge.len() {
            edge[i as usize]
        } else {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 1e6
        };
        want.insert(t0 + 10 * i, v);
    }
    let small: BTreeMap<i64, f64> = [(t0, 1.0), (t0 + 1, -2.5), (t0 + 2, 3.25)].into();
    let meta = r#"{"name":"","unit":"","description":"","labels":{}}"#;
    for (id, pts) in [("legacy", &want), ("legacy2", &small)] {
        rt.block_on(
            db.put_item()
                .table_name(&series)
                .item("id", A::S(id.into()))
                .item("meta", A::S(meta.into()))
                .item("created", A::N("1600000000000".into()))
                .item("updated", A::N("1600000000000".into()))
                .send(),
        )
        .unwrap();
        let requests: Vec<WriteRequest> = pts
            .iter()
            .map(|(t, v)| {
                let value = if as_number.contains(t) && id == "legacy" {
                    A::N(v.to_string())
                } else {
                    A::B(Blob::new(v.to_bits().to_be_bytes()))
                };
                let put = PutRequest::builder()
                    .item("s", A::S(id.into()))
                    .item("t", A::N((t * 1000).to_string()))
                    .item("v", value)
                    .build()
                    .unwrap();
                WriteRequest::builder().put_request(put).build()
            })
            .collect();
        for batch in requests.chunks(25) {
            let out = rt
                .block_on(
                    db.batch_write_item()
                        .request_items(&points, batch.to_vec())
                        .send(),
                )
                .unwrap();
            assert!(out.unprocessed_items.is_none_or(|u| u.is_empty()));
        }
    }

    let s = Server::start(
        &store,
        &[proxy.env("120000"), vec![("TSFN_SEED", "0")]].concat(),
    );
    let check = |want: &BTreeMap<i64, f64>, id: &str, what: &str| {
        let got = all_points(&s, id);
        let expected: Vec<(i64, f64)> = want.iter().map(|(t, v)| (*t, *v)).collect();
        assert_eq!(got.len(), expected.len(), "{what}: count of points read");
        for (g, w) in got.iter().zip(&expected) {
            assert!(
                g.0 == w.0 && g.1.to_bits() == w.1.to_bits(),
                "{what}: {g:?} vs {w:?}"
            );
        }
        let info = s.get(&format!("/series/{id}")).expect(200);
        assert_eq!(info["count"], want.len(), "{what}: {info}");
        assert_eq!(
            info["first"],
            support::rfc(*want.keys().next().unwrap()),
            "{what}"
        );
        assert_eq!(
            info["last"],
            support::rfc(*want.keys().last().unwrap()),
            "{what}"
        );
        let stats = s.get(&format!("/series/{id}/stats")).expect(200);
        assert_eq!(stats["count"], want.len(), "{what}");
    };
    check(&want, "legacy", "as the per-point format left it");
    check(&small, "legacy2", "as the per-point format left it");
    assert_eq!(
        s.get(&format!("/series/legacy/points/{}", t0 + 20))
            .expect(200)["v"]
            .as_f64()
            .unwrap()
            .to_bits(),
        want[&(t0 + 20)].to_bits()
    );

    // Writes among the old items: between two, over some (new values), before the first and
    // after the last; a delete through the middle.
    let mut new: Vec<(i64, f64)> = Vec::new();
    for i in (0..300).step_by(13) {
        new.push((t0 + 10 * i + 5, i as f64 + 0.5));
        new.push((t0 + 10 * i, -(i as f64)));
    }
    new.push((t0 - 100, 42.0));
    new.push((t0 + 6_000, 43.0));
    new.sort_by_key(|p| p.0);
    s.write("legacy", &new);
    want.extend(new.iter().copied());
    check(&want, "legacy", "after writes among the old items");
    let (from, to) = (t0 + 10 * 100 + 3, t0 + 10 * 150);
    let gone = want.range(from..to).count();
    let v = s
        .delete(&format!(
            "/series/legacy/points?from={}&to={}",
            support::rfc(from),
            support::rfc(to)
        ))
        .expect(200);
    assert_eq!(v["deleted"], gone);
    want.retain(|t, _| !(from..to).contains(t));
    check(&want, "legacy", "after a delete through the old items");

    // init-store, while serving: every per-point item becomes part of a chunk.
    let out = proxy.tsfn("init-store", &store);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{stdout}");
    assert!(
        stdout.contains("series legacy: ")
            && stdout.contains("per-point items of earlier versions) compacted into")
            && stdout.contains(&format!(
                "series legacy: point count recorded ({})",
                want.len()
            ))
            && stdout.contains(
                "series legacy2: 3 items (3 of them per-point items of earlier versions) \
                 compacted into 1 chunks"
            ),
        "{stdout}"
    );
    for (id, w) in [("legacy", &want), ("legacy2", &small)] {
        let items = items_of(&rt, &db, &points, id);
        assert!(
            items
                .iter()
                .all(|i| i.contains_key("c") && !i.contains_key("v")),
            "{id}: per-point items left"
        );
        // Runs of items holding at most a chunk's worth of points together became one chunk each.
        assert!(
            items.len() <= 2 * w.len().div_ceil(tsfn_shared::chunk::MAX_POINTS),
            "{id}: {} items for {} points",
            items.len(),
            w.len()
        );
    }
    check(&want, "legacy", "after init-store");
    check(&small, "legacy2", "after init-store");
    let image = moto().item_image(&series, "legacy");
    assert_eq!(image["n"]["N"], want.len().to_string());

    // init-store again has nothing to do; writes after compaction keep the count.
    let again = proxy.tsfn("init-store", &store);
    let stdout = String::from_utf8_lossy(&again.stdout);
    assert!(again.status.success());
    assert!(
        !stdout.contains("compacted") && !stdout.contains("point count recorded"),
        "{stdout}"
    );
    s.write("legacy", &[(t0 + 7_000, 1.0), (t0 + 5, 2.0)]);
    want.insert(t0 + 7_000, 1.0);
    want.insert(t0 + 5, 2.0);
    check(&want, "legacy", "written after init-store");
}

/// A jobs table of an earlier version, without the `announce` index (finished jobs owing their
/// announcement): `tsfn init-store` adds it, says so, waits until it is ACTIVE, and a second run
/// has nothing to add.
#[test]
fn init_store_adds_the_announce_index_to_an_earlier_jobs_table() {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType,
        Projection, ProjectionType, ScalarAttributeType as T,
    };
    let proxy = Proxy::start();
    let pfx = prefix();
    let store = format!("dynamodb://{pfx}");
    let jobs = format!("{pfx}-jobs");
    let (rt, db) = moto_client();
    let key = |name: &str, t: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(t)
            .build()
            .unwrap()
    };
    let attr = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(T::S)
            .build()
            .unwrap()
    };
    let gsi = |name: &str, pk: &str| {
        GlobalSecondaryIndex::builder()
            .index_name(name)
            .key_schema(key(pk, KeyType::Hash))
            .key_schema(key("ix", KeyType::Range))
            .projection(
                Projection::builder()
                    .projection_type(ProjectionType::All)
                    .build(),
            )
            .build()
            .unwrap()
    };
    rt.block_on(
        db.create_table()
            .table_name(&jobs)
            .billing_mode(BillingMode::PayPerRequest)
            .key_schema(key("id", KeyType::Hash))
            .attribute_definitions(attr("id"))
            .attribute_definitions(attr("status"))
            .attribute_definitions(attr("ix"))
            .attribute_definitions(attr("g"))
            .global_secondary_indexes(gsi("by_status", "status"))
            .global_secondary_indexes(gsi("all", "g"))
            .send(),
    )
    .unwrap();
    let indexes = || -> Vec<String> {
        let t = rt
            .block_on(db.describe_table().table_name(&jobs).send())
            .unwrap()
            .table
            .unwrap();
        let mut v: Vec<String> = t
            .global_secondary_indexes()
            .iter()
            .filter_map(|g| g.index_name().map(str::to_owned))
            .collect();
        v.sort();
        v
    };
    assert_eq!(indexes(), ["all", "by_status"]);
    let out = proxy.tsfn("init-store", &store);
    let said =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains(&format!("adding index announce to table {jobs}")),
        "{said}"
    );
    assert_eq!(indexes(), ["all", "announce", "by_status"]);
    let again = proxy.tsfn("init-store", &store);
    let said = String::from_utf8_lossy(&again.stdout).into_owned()
        + &String::from_utf8_lossy(&again.stderr);
    assert!(again.status.success(), "{said}");
    assert!(!said.contains("adding index"), "{said}");
}
