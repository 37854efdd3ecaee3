//! Bulk ingestion end to end, with real servers:
//!
//! - `ingest-s3` under `cargo lambda watch` (its store a SQLite file, S3 on moto's server):
//!   objects put into a bucket with boto3 (`ingest_s3.py`), their ObjectCreated events invoked
//!   with `cargo lambda invoke`, the points read back bit for bit through the functions' API; CSV,
//!   gzip NDJSON (by suffix, and by magic bytes alone), line protocol; a bad file writes nothing
//!   and its report `KEY.error.json` is found beside it;
//! - `ingest-queue` under the same emulator: an SQS and a Kinesis batch, each with one poisoned
//!   record, which alone is named in `batchItemFailures`, the rest written; the same batch
//!   delivered again answers the same and leaves the same points;
//! - a generated CSV object of 1 GiB (24.3M points) through `ingest-s3` under an emulator of its
//!   own (the default `TSFN_INGEST_BATCH`): `ingest_s3.py gen` makes it as it uploads it in
//!   parts (never whole in memory, never a file); every point counted, runs of points at its
//!   start, middle and end and one point in every 64th of it read back bit for bit against the
//!   values the generator computed, and the function process's peak RSS (VmHWM) growing by less
//!   than an eighth of the object (measured: by about 8 MB, from 20 to 28-29 MB); its size, points,
//!   upload and ingest times and peak RSS printed;
//! - `tsfn ingest` on files: good, gzip, a series from the path pattern, and a bad file (status
//!   1, the file and line named, nothing of it written while the good files are).

use crate::support;

use std::ffi::OsStr;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use support::{emulator, json, Value};

/// Finite doubles of every kind, written shortest (Rust's `{:?}`), which parses back exactly.
fn doubles(n: usize, seed: u64) -> Vec<f64> {
    let mut out = vec![
        0.0,
        -0.0,
        5e-324,
        -5e-324,
        2.2250738585072014e-308,
        1.7976931348623157e308,
        -1.7976931348623157e308,
        0.1,
        1.0 / 3.0,
        123456789.00000001,
    ];
    let mut x = seed;
    while out.len() < n {
        // xorshift64*: random bit patterns, the non-finite ones skipped.
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        let v = f64::from_bits(x.wrapping_mul(0x2545_f491_4f6c_dd1d));
        if v.is_finite() {
            out.push(v);
        }
    }
    out
}

/// Points one minute apart from 2024-01-01 with these values.
fn points(values: &[f64]) -> Vec<(i64, f64)> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| (1_704_067_200_000 + i as i64 * 60_000, *v))
        .collect()
}

fn csv(points: &[(i64, f64)]) -> String {
    std::iter::once("t,v\n".to_owned())
        .chain(points.iter().map(|(t, v)| format!("{t},{v:?}\n")))
        .collect()
}

fn ndjson(points: &[(i64, f64)]) -> String {
    points
        .iter()
        .map(|(t, v)| format!("{{\"t\":{t},\"v\":{v:?}}}\n"))
        .collect()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// A series' points through the API, as CSV (exact values), every page.
fn read_back(base: &str, series: &str) -> Vec<(i64, f64)> {
    read_range(base, series, "from=1970-01-01")
}

/// The points of `range` (`from=...&to=...`), as [`read_back`].
fn read_range(base: &str, series: &str, range: &str) -> Vec<(i64, f64)> {
    let http = support::client();
    let mut out = Vec::new();
    let mut cursor = String::new();
    loop {
        let r = http
            .get(format!(
                "{base}/series/{series}/points?format=csv&limit=10000&{range}{cursor}"
            ))
            .send()
            .unwrap();
        assert_eq!(r.status(), 200, "GET /series/{series}/points");
        let next = r
            .headers()
            .get("x-next-cursor")
            .map(|c| c.to_str().unwrap().to_owned());
        let text = r.text().unwrap();
        for line in text.lines().skip(1) {
            let (t, v) = line.rsplit_once(',').unwrap();
            let t = tsfn_shared::time::parse(t).unwrap();
            out.push((t, v.parse::<f64>().unwrap()));
        }
        match next {
            Some(c) => cursor = format!("&cursor={c}"),
            None => return out,
        }
    }
}

#[track_caller]
fn assert_bits(got: &[(i64, f64)], want: &[(i64, f64)], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: count");
    for (g, w) in got.iter().zip(want) {
        assert_eq!(
            (g.0, g.1.to_bits()),
            (w.0, w.1.to_bits()),
            "{what}: {g:?} vs {w:?}"
        );
    }
}

fn status_of(base: &str, path: &str) -> (u16, Value) {
    let r = support::client()
        .get(format!("{base}{path}"))
        .send()
        .unwrap();
    let s = r.status().as_u16();
    (s, r.json().unwrap_or(Value::Null))
}

struct S3 {
    endpoint: String,
    bucket: String,
    dir: tempfile::TempDir,
}

impl S3 {
    fn py(&self, args: &[&str]) -> String {
        let script = support::workspace_root().join("tsfn/tests/it/ingest_s3.py");
        let log = self.dir.path().join(format!("py-{}.log", args[0]));
        let mut all: Vec<&OsStr> = vec![script.as_os_str(), OsStr::new(&self.endpoint)];
        all.extend(args.iter().map(OsStr::new));
        support::run_python(&all, &log, Duration::from_secs(600));
        std::fs::read_to_string(&log).unwrap()
    }

    fn put(&self, key: &str, body: &[u8], encoding: Option<&str>) {
        let file = self.dir.path().join("upload");
        std::fs::write(&file, body).unwrap();
        let mut args = vec!["put", &self.bucket, key, file.to_str().unwrap()];
        args.extend(encoding);
        self.py(&args);
    }

    fn get(&self, key: &str) -> Option<Vec<u8>> {
        let out = self.dir.path().join("download");
        let _ = std::fs::remove_file(&out);
        self.py(&["get", &self.bucket, key, out.to_str().unwrap()]);
        std::fs::read(&out).ok()
    }

    /// The object's ObjectCreated event, as S3 sends it (the sample event with this bucket and
    /// key; keys are URL-encoded in events).
    fn event(&self, key: &str) -> std::path::PathBuf {
        let sample = support::workspace_root().join("events/ingest-s3.json");
        let mut ev: Value =
            serde_json::from_str(&std::fs::read_to_string(sample).unwrap()).unwrap();
        ev["Records"][0]["s3"]["bucket"]["name"] = json!(self.bucket);
        ev["Records"][0]["s3"]["object"]["key"] = json!(key.replace(' ', "+"));
        let file = self.dir.path().join("event.json");
        std::fs::write(&file, ev.to_string()).unwrap();
        file
    }
}

/// The children of a process, from `/proc/PID/task/*/children`.
fn children(pid: u32) -> Vec<u32> {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("children")).ok())
        .flat_map(|c| {
            c.split_whitespace()
                .filter_map(|p| p.parse().ok())
                .collect::<Vec<u32>>()
        })
        .collect()
}

/// The peak resident memory (VmHWM, KiB) of the process running `function` under the emulator
/// whose process is `emulator`: found among the emulator's descendants only (this test's own
/// processes; nothing else on the machine is looked at).
fn function_peak_kib(function: &str, emulator: u32) -> Option<u64> {
    let mut todo = vec![emulator];
    let mut seen = 0;
    while let Some(pid) = todo.pop() {
        seen += 1;
        if seen > 10_000 {
            break;
        }
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        // `comm` holds at most 15 bytes of the name.
        let name: String = function.chars().take(15).collect();
        if pid != emulator && comm.trim_end() == name {
            let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
            return status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok());
        }
        todo.extend(children(pid));
    }
    None
}

/// A SQLite store in `dir`, its schema made before the function processes open it.
fn sqlite_store(dir: &Path) -> String {
    let store = format!("sqlite://{}", dir.join("ingest.db").display());
    let out = Command::new(support::tsfn_bin())
        .args(["init-store", "--store", &store])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    store
}

#[test]
fn s3_objects_and_queue_batches_under_cargo_lambda() {
    let moto = support::moto();
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite_store(dir.path());
    let mut env = moto.env();
    // Small batches, so that a file takes many store writes and a bad line near the end comes
    // after several batches would have been written by a single pass.
    env.push(("TSFN_INGEST_BATCH", "1000"));
    let emu = emulator::start(&store, &env);
    let s3 = S3 {
        endpoint: format!("http://127.0.0.1:{}", moto.port),
        bucket: format!("ingest-{}", std::process::id()),
        dir: tempfile::tempdir().unwrap(),
    };
    s3.py(&["bucket", &s3.bucket]);
    emu.wait_ready();
    let base = emu.base();

    // CSV: 3,000 doubles of every kind, bit for bit.
    let exact = points(&doubles(3_000, 7));
    s3.put(
        "incoming/s3-exact/2024 part.csv",
        csv(&exact).as_bytes(),
        None,
    );
    let r = emu.invoke("ingest-s3", &s3.event("incoming/s3-exact/2024 part.csv"));
    assert_eq!(r["ingested"][0]["points"], json!(3_000), "{r}");
    assert_eq!(r["ingested"][0]["series"], json!(["s3-exact"]), "{r}");
    assert_bits(&read_back(&base, "s3-exact"), &exact, "csv");

    // gzip NDJSON by its suffix, and by its magic bytes alone (no suffix, no encoding).
    let gz = points(&doubles(2_500, 11));
    s3.put(
        "incoming/s3-gz/a.ndjson.gz",
        &gzip(ndjson(&gz).as_bytes()),
        None,
    );
    let r = emu.invoke("ingest-s3", &s3.event("incoming/s3-gz/a.ndjson.gz"));
    assert_eq!(r["ingested"][0]["points"], json!(2_500), "{r}");
    assert_bits(&read_back(&base, "s3-gz"), &gz, "ndjson.gz");
    let magic = points(&doubles(1_200, 13));
    s3.put(
        "incoming/s3-magic/upload",
        &gzip(csv(&magic).as_bytes()),
        None,
    );
    let r = emu.invoke("ingest-s3", &s3.event("incoming/s3-magic/upload"));
    assert_eq!(r["ingested"][0]["points"], json!(1_200), "{r}");
    assert_bits(&read_back(&base, "s3-magic"), &magic, "gzip by magic bytes");
    // And gzip by Content-Encoding, with a plain name.
    s3.put(
        "incoming/s3-enc/b.csv",
        &gzip(csv(&magic).as_bytes()),
        Some("gzip"),
    );
    let r = emu.invoke("ingest-s3", &s3.event("incoming/s3-enc/b.csv"));
    assert_eq!(r["ingested"][0]["points"], json!(1_200), "{r}");
    assert_bits(
        &read_back(&base, "s3-enc"),
        &magic,
        "Content-Encoding: gzip",
    );

    // Line protocol names its series (TSFN_INGEST_DB is `ingest`), tags as labels.
    s3.put(
        "incoming/whatever/room.lp",
        b"room,room=hall temp=21.5,hum=40i 1704067200000000000\nroom,room=hall temp=-0.0 1704067260000000000\n",
        None,
    );
    let r = emu.invoke("ingest-s3", &s3.event("incoming/whatever/room.lp"));
    assert_eq!(r["ingested"][0]["points"], json!(3), "{r}");
    assert_bits(
        &read_back(&base, "ingest.room.temp"),
        &[(1_704_067_200_000, 21.5), (1_704_067_260_000, -0.0)],
        "line protocol",
    );
    let (_, meta) = status_of(&base, "/series/ingest.room.hum");
    assert_eq!(meta["labels"], json!({"room": "hall"}), "{meta}");

    // A bad line after 9,000 good ones (nine batches): nothing written, the report beside it.
    let mut bad = csv(&points(&doubles(9_500, 17)));
    bad = bad.replacen(
        &format!("{},", 1_704_067_200_000i64 + 9_000 * 60_000),
        &format!("{},not-a-number\n#", 1_704_067_200_000i64 + 9_000 * 60_000),
        1,
    );
    s3.put("incoming/s3-bad/bad.csv", bad.as_bytes(), None);
    let r = emu.invoke("ingest-s3", &s3.event("incoming/s3-bad/bad.csv"));
    assert_eq!(r["ingested"], json!([]), "{r}");
    assert_eq!(r["rejected"][0]["field"], json!("line 9002"), "{r}");
    let (s, _) = status_of(&base, "/series/s3-bad");
    assert_eq!(s, 404, "a refused file wrote its series");
    let report = s3
        .get("incoming/s3-bad/bad.csv.error.json")
        .expect("the report beside the refused file");
    let report: Value = serde_json::from_slice(&report).unwrap();
    assert_eq!(report["key"], json!("incoming/s3-bad/bad.csv"), "{report}");
    assert_eq!(report["field"], json!("line 9002"), "{report}");
    assert!(
        report["error"].as_str().unwrap().contains("not-a-number"),
        "{report}"
    );
    assert!(
        emu.output().contains("file refused"),
        "the refusal is logged"
    );
    // The report's own event is not ingested; a good upload of the key removes the report.
    let r = emu.invoke("ingest-s3", &s3.event("incoming/s3-bad/bad.csv.error.json"));
    assert_eq!(
        r["skipped"],
        json!(["incoming/s3-bad/bad.csv.error.json"]),
        "{r}"
    );
    s3.put(
        "incoming/s3-bad/bad.csv",
        csv(&exact[..10]).as_bytes(),
        None,
    );
    let r = emu.invoke("ingest-s3", &s3.event("incoming/s3-bad/bad.csv"));
    assert_eq!(r["ingested"][0]["points"], json!(10), "{r}");
    assert_eq!(s3.get("incoming/s3-bad/bad.csv.error.json"), None);
    // A key outside the pattern is refused and reported too.
    s3.put("elsewhere/x.csv", csv(&exact[..5]).as_bytes(), None);
    let r = emu.invoke("ingest-s3", &s3.event("elsewhere/x.csv"));
    assert_eq!(r["rejected"][0]["field"], json!("series"), "{r}");

    queue_batches(&emu, &base, dir.path());
}

/// The smallest object the gigabyte test generates: 1 GiB.
const BIG: u64 = 1 << 30;

/// A generated CSV object of 1 GiB through `ingest-s3` under its own emulator, with the
/// default `TSFN_INGEST_BATCH` (100,000 points per store write). The generator
/// (`ingest_s3.py gen`) makes it as it uploads it in parts of 8 MiB, so it is never whole in
/// memory or in a file on this side; the function streams it twice (checked, then written).
/// Every point is counted, a sample written by the generator (runs of 2,000 points at the
/// start, the middle and the end, and one point in every 64th of the object) is read back bit
/// for bit, and the function's peak RSS grows by less than an eighth of the object.
///
/// Measured on 2 shared cores (debug build): uploaded in 13-23 s (moto's CPU mostly), ingested
/// in 48-62 s (17-22 MB/s, most of it parsing the lines twice), 70-90 s for the whole test.
#[test]
fn s3_object_of_a_gibibyte_streamed_in_bounded_memory() {
    let moto = support::moto();
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite_store(dir.path());
    let emu = emulator::start(&store, &moto.env());
    let s3 = S3 {
        endpoint: format!("http://127.0.0.1:{}", moto.port),
        bucket: format!("ingest-big-{}", std::process::id()),
        dir: tempfile::tempdir().unwrap(),
    };
    s3.py(&["bucket", &s3.bucket]);
    emu.wait_ready();
    let base = emu.base();

    // A small object first: the function process is running, its peak RSS that of a file of
    // 1,000 points.
    let warm = points(&doubles(1_000, 43));
    s3.put("incoming/s3-warm/a.csv", csv(&warm).as_bytes(), None);
    let r = emu.invoke("ingest-s3", &s3.event("incoming/s3-warm/a.csv"));
    assert_eq!(r["ingested"][0]["points"], json!(1_000), "{r}");
    let before = function_peak_kib("ingest-s3", emu.pid()).expect("the ingest-s3 process");

    let key = "incoming/s3-big/big.csv";
    let samples = s3.dir.path().join("samples.txt");
    let started = std::time::Instant::now();
    let log = s3.py(&[
        "gen",
        &s3.bucket,
        key,
        &BIG.to_string(),
        samples.to_str().unwrap(),
    ]);
    let uploaded = started.elapsed();
    let (size, lines) = log
        .trim()
        .lines()
        .last()
        .and_then(|l| l.split_once(' '))
        .map(|(s, n)| (s.parse::<u64>().unwrap(), n.parse::<i64>().unwrap()))
        .unwrap_or_else(|| panic!("the generator's size and points: {log}"));
    assert!(size >= BIG, "the object is {size} bytes");

    let started = std::time::Instant::now();
    let r = emu.invoke("ingest-s3", &s3.event(key));
    let took = started.elapsed();
    assert_eq!(r["ingested"][0]["points"], json!(lines), "{r}");
    assert_eq!(r["ingested"][0]["series"], json!(["s3-big"]), "{r}");
    let after = function_peak_kib("ingest-s3", emu.pid()).expect("the ingest-s3 process");
    println!(
        "ingest-s3: {size} bytes ({lines} points) uploaded in {uploaded:.1?}, ingested in \
         {took:.1?} ({:.1} MB/s); peak RSS {before} KiB before, {after} KiB after",
        size as f64 / 1e6 / took.as_secs_f64()
    );
    assert!(
        (after - before) * 1024 < size / 8,
        "peak RSS grew by {} KiB for an object of {size} bytes",
        after - before
    );

    // Every point: one a millisecond from 2024-01-01.
    let first = 1_704_067_200_000i64;
    let (_, meta) = status_of(&base, "/series/s3-big");
    assert_eq!(meta["count"], json!(lines), "{meta}");
    assert_eq!(
        (meta["first"].clone(), meta["last"].clone()),
        (
            json!(tsfn_shared::time::format(first)),
            json!(tsfn_shared::time::format(first + lines - 1))
        ),
        "{meta}"
    );

    // The sample, as the generator computed each line's time and value (`T_MS BITS LINE`), in
    // runs of consecutive milliseconds, each run read back whole.
    let text = std::fs::read_to_string(&samples).unwrap();
    let mut want = std::collections::BTreeMap::new();
    for row in text.lines() {
        let mut f = row.splitn(3, ' ');
        let (t, bits, line) = (f.next().unwrap(), f.next().unwrap(), f.next().unwrap());
        let t: i64 = t.parse().unwrap();
        let v = f64::from_bits(u64::from_str_radix(bits, 16).unwrap());
        assert!((first..first + lines).contains(&t), "{row}");
        if let Some(seen) = want.insert(t, v) {
            assert_eq!(
                seen.to_bits(),
                v.to_bits(),
                "{line}: sampled twice, differently"
            );
        }
    }
    let want: Vec<(i64, f64)> = want.into_iter().collect();
    assert!(want.len() > 6_000, "{} points sampled", want.len());
    let mut runs = 0;
    for run in want.chunk_by(|a, b| b.0 == a.0 + 1) {
        let (from, to) = (run[0].0, run[run.len() - 1].0 + 1);
        let got = read_range(&base, "s3-big", &format!("from={from}&to={to}"));
        assert_bits(&got, run, &format!("the sample from {from} to {to}"));
        runs += 1;
    }
    assert!(runs > 60, "{runs} runs sampled");

    // moto keeps the object (in a temporary file) for as long as it runs.
    s3.py(&["delete", &s3.bucket, key]);
}

/// An SQS and a Kinesis batch through `ingest-queue`, each with one poisoned record, each
/// delivered twice.
fn queue_batches(emu: &emulator::Emulator, base: &str, dir: &Path) {
    let good = points(&doubles(500, 23));
    let pairs: Vec<Value> = good.iter().map(|(t, v)| json!([t, v])).collect();
    let records = [
        json!({"series": "q-sqs", "points": pairs}).to_string(),
        json!({"series": "q-sqs", "t": "nope", "v": 1}).to_string(),
        "room,room=attic temp=19.25 1704067200000000000\n".to_owned(),
        json!({"series": "q-sqs-one", "t": 1704067200.005, "v": 5e-324}).to_string(),
    ];
    let sqs = json!({"Records": records.iter().enumerate().map(|(i, body)| json!({
        "messageId": format!("msg-{i}"),
        "receiptHandle": "h",
        "body": body,
        "attributes": {},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:tsfn-ingest",
        "awsRegion": "us-east-1",
    })).collect::<Vec<_>>()});
    let file = dir.join("sqs.json");
    std::fs::write(&file, sqs.to_string()).unwrap();
    for delivery in 0..2 {
        let r = emu.invoke("ingest-queue", &file);
        assert_eq!(
            r,
            json!({"batchItemFailures": [{"itemIdentifier": "msg-1"}]}),
            "delivery {delivery}"
        );
        assert_bits(&read_back(base, "q-sqs"), &good, "sqs");
        assert_bits(
            &read_back(base, "q-sqs-one"),
            &[(1_704_067_200_005, 5e-324)],
            "sqs one point",
        );
        assert_bits(
            &read_back(base, "ingest.room.temp"),
            &[(1_704_067_200_000, 19.25), (1_704_067_260_000, -0.0)],
            "sqs line protocol",
        );
    }

    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let more = points(&doubles(300, 29));
    let datas = [
        json!({"series": "q-kin", "points": more.iter().map(|(t, v)| json!({"t": t, "v": v})).collect::<Vec<_>>()}).to_string(),
        "room,room=attic note=\"string\" 1704067200000000000\n".to_owned(),
        json!({"series": "q-kin", "t": more[0].0, "v": 2.5}).to_string(),
    ];
    let kinesis = json!({"Records": datas.iter().enumerate().map(|(i, d)| json!({
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": "p",
            "sequenceNumber": format!("4959000000000000000000000000000000000{i}"),
            "data": b64(d),
            "approximateArrivalTimestamp": 1795478400.0,
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": format!("shardId-000000000000:4959000000000000000000000000000000000{i}"),
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": "arn:aws:iam::123456789012:role/r",
        "awsRegion": "us-east-1",
        "eventSourceARN": "arn:aws:kinesis:us-east-1:123456789012:stream/tsfn-ingest",
    })).collect::<Vec<_>>()});
    let file = dir.join("kinesis.json");
    std::fs::write(&file, kinesis.to_string()).unwrap();
    // The later record's point wins over the same t in the earlier one.
    let mut want = more.clone();
    want[0].1 = 2.5;
    for delivery in 0..2 {
        let r = emu.invoke("ingest-queue", &file);
        assert_eq!(
            r,
            json!({"batchItemFailures": [{"itemIdentifier": format!("4959000000000000000000000000000000000{}", 1)}]}),
            "delivery {delivery}"
        );
        assert_bits(&read_back(base, "q-kin"), &want, "kinesis");
    }
}

fn tsfn_ingest(store: &str, args: &[&str]) -> std::process::Output {
    Command::new(support::tsfn_bin())
        .arg("ingest")
        .args(args)
        .env("TSFN_STORE", store)
        .env("TSFN_INGEST_BATCH", "100")
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

#[test]
fn tsfn_ingest_on_files() {
    let dir = tempfile::tempdir().unwrap();
    let store = format!("sqlite://{}", dir.path().join("cli.db").display());
    let incoming = dir.path().join("incoming/cli-gz");
    std::fs::create_dir_all(&incoming).unwrap();

    let a = points(&doubles(1_000, 31));
    let good = dir.path().join("good.csv");
    std::fs::write(&good, csv(&a)).unwrap();
    let b = points(&doubles(700, 37));
    let gz = incoming.join("b.ndjson.gz");
    std::fs::write(&gz, gzip(ndjson(&b).as_bytes())).unwrap();
    let lp = dir.path().join("m.lp");
    std::fs::write(&lp, "cpu,host=a load=0.5 1704067200000000000\n").unwrap();
    // A bad line after 900 good ones (nine batches of 100): point 900 is line 902.
    let bad_text: String = std::iter::once("t,v\n".to_owned())
        .chain(
            points(&doubles(1_000, 41))
                .iter()
                .enumerate()
                .map(|(i, (t, v))| match i {
                    900 => format!("{t},x{v:?}\n"),
                    _ => format!("{t},{v:?}\n"),
                }),
        )
        .collect();
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, &bad_text).unwrap();

    // The good file with its series named, the gzip one by the path pattern, line protocol by
    // its content; the bad file among them.
    let out = tsfn_ingest(
        &store,
        &[
            "--series",
            "cli-a",
            good.to_str().unwrap(),
            bad.to_str().unwrap(),
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("{}: line 902", bad.display())),
        "the file and line named: {stderr}"
    );
    let out = tsfn_ingest(&store, &[gz.to_str().unwrap(), lp.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("700 points"), "{stdout}");

    let server = support::in_process::start(&store, &[("TSFN_SEED", "0")]);
    assert_bits(&read_back(&server.base, "cli-a"), &a, "csv");
    assert_bits(&read_back(&server.base, "cli-gz"), &b, "ndjson.gz");
    assert_bits(
        &read_back(&server.base, "ingest.cpu.load"),
        &[(1_704_067_200_000, 0.5)],
        "line protocol",
    );
    // Nothing of the bad file, although its first 900 points were good.
    assert_eq!(server.get("/series/cli-a/points?limit=1").status, 200);
    let series = server.get("/series").expect(200);
    let ids: Vec<&str> = series["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 3, "{series}");
    let stats = server.get("/series/cli-a").expect(200);
    assert_eq!(stats["count"], json!(1_000), "{stats}");

    // The bad file alone, with its series named: nothing written, status 1.
    let out = tsfn_ingest(&store, &["--series", "cli-bad", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(server.get("/series/cli-bad").status, 404);
}
