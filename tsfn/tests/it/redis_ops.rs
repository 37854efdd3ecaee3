//! Redis in operation: an outage (503 with a clear message while Redis is down, recovery without
//! restarting tsfn, no acknowledged write lost) and concurrent writers.

use crate::conformance;
use crate::support;

use std::time::{Duration, Instant};

use support::{eventually, json, Server};

fn wait_status(s: &Server, path: &str, status: u16, within: Duration) -> support::Resp {
    eventually(within, &format!("{path} to answer {status}"), || {
        let r = s.get(path);
        if r.status == status {
            Ok(r)
        } else {
            Err(format!("{} {}", r.status, r.text()))
        }
    })
}

#[test]
fn outage_gives_503_and_recovers_with_every_acknowledged_write() {
    let mut s = Server::redis(&[]);
    s.write(
        "kept",
        &(0..1000).map(|i| (i, i as f64)).collect::<Vec<_>>(),
    );
    s.put_json("/series/kept/points/5000", &json!({"v": 42}))
        .expect(200);
    // Range reads have connections of their own: open them before the outage.
    assert_eq!(s.get("/series/kept/stats").expect(200)["count"], 1001);
    let id = s
        .post_json("/jobs", &json!({"kind": "summary", "series": "kept"}))
        .expect(202)["id"]
        .as_str()
        .unwrap()
        .to_owned();

    s.redis.as_mut().unwrap().stop();
    let started = Instant::now();
    let r = s.get("/series/kept");
    // Bounded by the documented connect (1 s) and reply (3 s) timeouts, with reconnect retries.
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    let v = r.expect_error(503, None);
    assert_eq!(v["error"]["code"], "unavailable");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("redis"),
        "{v}"
    );
    assert_eq!(r.headers["retry-after"], "1");
    s.get("/ready").expect_error(503, None);
    for path in ["/series/kept/points?limit=5", "/series/kept/stats"] {
        let v = s.get(path).expect_error(503, None);
        assert!(
            v["error"]["message"].as_str().unwrap().contains("redis"),
            "{v}"
        );
    }
    s.send(
        "POST",
        "/series/kept/points",
        Some("text/csv"),
        "t,v\n9000,1\n",
    )
    .expect_error(503, None);
    s.get("/health").expect(200);

    s.redis.as_mut().unwrap().restart();
    wait_status(&s, "/ready", 200, Duration::from_secs(30));
    let v = s.get("/series/kept").expect(200);
    assert_eq!(v["count"], 1001, "{v}");
    assert_eq!(s.get("/series/kept/points/5000").expect(200)["v"], 42.0);
    s.send(
        "POST",
        "/series/kept/points",
        Some("text/csv"),
        "t,v\n9000,1\n",
    )
    .expect(200);
    assert_eq!(s.get("/series/kept").expect(200)["count"], 1002);

    // A restart between two requests: the first read after it succeeds (a connection that died
    // with the old server is replaced, not reported).
    assert_eq!(s.get("/series/kept/stats").expect(200)["count"], 1002);
    s.redis.as_mut().unwrap().stop();
    s.redis.as_mut().unwrap().restart();
    wait_status(&s, "/ready", 200, Duration::from_secs(30));
    assert_eq!(s.get("/series/kept/stats").expect(200)["count"], 1002);
    let page = s.get("/series/kept/points?from=9000").expect(200);
    assert_eq!(page["points"].as_array().unwrap().len(), 1, "{page}");
    // The job queued before the outage is still there and runs.
    let job = conformance::wait_job(&s, &id);
    assert_eq!(job["status"], "succeeded", "{job}");
}

#[test]
fn concurrent_writers_lose_nothing() {
    let s = Server::redis(&[]);
    let base = s.base.clone();
    // 32 writers, disjoint timestamps of one series, overlapping in time.
    let writers: Vec<_> = (0..32)
        .map(|w| {
            let base = base.clone();
            std::thread::spawn(move || {
                let c = support::client();
                for batch in 0..20 {
                    let body: String =
                        std::iter::once("t,v\n".to_owned())
                            .chain((0..100).map(|i| {
                                format!("{},{w}\n", 1_000_000 + w * 10_000 + batch * 100 + i)
                            }))
                            .collect();
                    let r = c
                        .post(format!("{base}/series/busy/points"))
                        .header("content-type", "text/csv")
                        .body(body)
                        .send()
                        .unwrap();
                    assert!(r.status().is_success());
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    assert_eq!(s.get("/series/busy").expect(200)["count"], 32 * 20 * 100);

    // 32 writers racing on one point (and on a shared bulk range): one value per timestamp.
    let racers: Vec<_> = (0..32)
        .map(|w| {
            let base = base.clone();
            std::thread::spawn(move || {
                let c = support::client();
                for round in 0..10 {
                    let r = c
                        .put(format!("{base}/series/hot/points/1000"))
                        .json(&json!({"v": w * 100 + round}))
                        .send()
                        .unwrap();
                    assert_eq!(r.status(), 200);
                    let body: String = std::iter::once("t,v\n".to_owned())
                        .chain((0..50).map(|i| format!("{},{w}\n", 2000 + i)))
                        .collect();
                    let r = c
                        .post(format!("{base}/series/hot/points"))
                        .header("content-type", "text/csv")
                        .body(body)
                        .send()
                        .unwrap();
                    assert!(r.status().is_success());
                }
            })
        })
        .collect();
    for r in racers {
        r.join().unwrap();
    }
    let v = s.get("/series/hot").expect(200);
    assert_eq!(
        v["count"], 51,
        "every timestamp holds exactly one point: {v}"
    );
    let p = s.get("/series/hot/points/1000").expect(200)["v"]
        .as_f64()
        .unwrap();
    assert!((0.0..3200.0).contains(&p) && (p as i64 % 100) < 10, "{p}");
    // Each point of the shared range holds one writer's value, whole.
    let pts = s.get("/series/hot/points?from=2000&to=2050").expect(200);
    for pt in pts["points"].as_array().unwrap() {
        let v = pt["v"].as_f64().unwrap();
        assert!((0.0..32.0).contains(&v) && v.fract() == 0.0, "{pt}");
    }
}

/// A body larger than one atomic chunk that Redis refuses part-way (maxmemory reached): the 503
/// says how many points were written and that resending is safe, the count it gives is what the
/// store holds at least, and resending once Redis has room stores the body whole and exact.
#[test]
fn a_write_redis_has_no_memory_for_writes_nothing_and_resending_works() {
    let s = Server::redis(&[]);
    let redis = s.redis.as_ref().unwrap();
    s.write("big", &[(1, 1.0)]);
    let info = redis.cli(&["INFO", "memory"]);
    let used: u64 = info
        .lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("used_memory");
    // Below what Redis already uses: every write is refused.
    let limit = (used / 2).to_string();
    assert_eq!(
        redis.cli(&["CONFIG", "SET", "maxmemory", &limit]).trim(),
        "OK"
    );
    let n = 150_000i64;
    let body: Vec<serde_json::Value> = (0..n)
        .map(|i| json!([1_700_000_000_000i64 + i, i as f64 + 0.5]))
        .collect();
    let body = serde_json::Value::Array(body);
    let r = s.post_json("/series/big/points", &body);
    let v = r.expect_error(503, None);
    let msg = v["error"]["message"].as_str().unwrap();
    assert!(msg.contains("out of memory"), "{msg}");
    // A body is one script whose first write failed: nothing of it was stored.
    assert_eq!(s.get("/series/big").expect(200)["count"], 1);
    let all = s.get("/series/big/points?limit=10").expect(200);
    assert_eq!(all["points"].as_array().unwrap().len(), 1);

    assert_eq!(redis.cli(&["CONFIG", "SET", "maxmemory", "0"]).trim(), "OK");
    s.post_json("/series/big/points", &body).expect(200);
    let info = s.get("/series/big").expect(200);
    assert_eq!(info["count"], n + 1);
    let last = s.get("/series/big/points?order=desc&limit=1").expect(200);
    assert_eq!(last["points"][0]["v"], (n - 1) as f64 + 0.5);
}

#[test]
fn hung_redis_costs_one_timeout_on_every_route() {
    let s = Server::redis(&[("TSFN_WORKERS", "0")]);
    s.write(
        "kept",
        &(0..1000).map(|i| (i, i as f64)).collect::<Vec<_>>(),
    );
    let id = s
        .post_json("/jobs", &json!({"kind": "summary", "series": "kept"}))
        .expect(202)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Range reads have connections of their own: open them before Redis hangs.
    assert_eq!(s.get("/series/kept/stats").expect(200)["count"], 1000);

    let redis_pid = s.redis.as_ref().unwrap().pid();
    support::unsafe_kill(redis_pid, "STOP");
    // The TCP connection stays up, Redis just never answers: each request must give up after
    // its one reply timeout (3 s). Writes go to a scratch series: Redis may run them once it
    // resumes.
    let csv = Some("text/csv");
    let requests: Vec<(&str, String, Option<&str>, &str)> = vec![
        ("GET", "/ready".into(), None, ""),
        ("GET", "/series".into(), None, ""),
        ("GET", "/series/kept".into(), None, ""),
        ("GET", "/series/kept/points?limit=5".into(), None, ""),
        (
            "GET",
            "/series/kept/points?every=100s&agg=mean".into(),
            None,
            "",
        ),
        ("GET", "/series/kept/points/5".into(), None, ""),
        ("GET", "/series/kept/stats".into(), None, ""),
        ("POST", "/series/scratch/points".into(), csv, "t,v\n1,1\n"),
        (
            "PUT",
            "/series/scratch".into(),
            Some("application/json"),
            "{}",
        ),
        (
            "PUT",
            "/series/scratch/points/2".into(),
            Some("application/json"),
            r#"{"v":1}"#,
        ),
        ("DELETE", "/series/scratch/points/2".into(), None, ""),
        ("DELETE", "/series/scratch/points?to=10".into(), None, ""),
        ("DELETE", "/series/scratch".into(), None, ""),
        ("GET", "/jobs".into(), None, ""),
        (
            "POST",
            "/jobs".into(),
            Some("application/json"),
            r#"{"kind":"summary","series":"kept"}"#,
        ),
        ("GET", format!("/jobs/{id}"), None, ""),
        ("GET", format!("/jobs/{id}/result"), None, ""),
    ];
    let started = Instant::now();
    let results: Vec<_> = requests
        .into_iter()
        .map(|(method, path, ct, body)| {
            let url = s.url(&path);
            std::thread::spawn(move || {
                let c = support::client();
                let mut rb = c.request(method.parse().unwrap(), url).body(body);
                if let Some(ct) = ct {
                    rb = rb.header("content-type", ct);
                }
                let t = Instant::now();
                let r = rb.send().unwrap();
                let elapsed = t.elapsed();
                (
                    method,
                    path,
                    r.status().as_u16(),
                    r.text().unwrap(),
                    elapsed,
                )
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|h| h.join().unwrap())
        .collect();
    let all = started.elapsed();
    support::unsafe_kill(redis_pid, "CONT");
    for (method, path, status, body, elapsed) in &results {
        assert_eq!(*status, 503, "{method} {path}: {body}");
        assert!(body.contains("redis"), "{method} {path}: {body}");
        // Well before two full timeouts, even on a loaded machine.
        assert!(
            *elapsed < Duration::from_secs(5),
            "{method} {path} took {elapsed:?}"
        );
    }
    assert!(all < Duration::from_secs(10), "took {all:?}");

    // Redis resumes: everything answers again without restarting tsfn.
    wait_status(&s, "/ready", 200, Duration::from_secs(30));
    assert_eq!(s.get("/series/kept/stats").expect(200)["count"], 1000);
    let page = s.get("/series/kept/points?from=990").expect(200);
    assert_eq!(page["points"].as_array().unwrap().len(), 10, "{page}");
    assert_eq!(s.get("/series/kept/points/5").expect(200)["v"], 5.0);
}

#[test]
fn an_outage_is_logged_when_it_starts_and_ends_not_per_request() {
    // In-process workers too (2) and their sweep: their failures must not flood the log either.
    let mut s = Server::redis_logged(&[("RUST_LOG", "info")]);
    s.write("kept", &[(1, 1.0)]);
    s.redis.as_mut().unwrap().stop();
    let started = Instant::now();
    let clients: Vec<_> = (0..8)
        .map(|_| {
            let url = s.url("/series/kept/points?limit=5");
            std::thread::spawn(move || {
                let c = support::client();
                (0..250)
                    .filter(|_| c.get(&url).send().unwrap().status() == 503)
                    .count()
            })
        })
        .collect();
    let mut failed: usize = clients.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(failed, 2000, "every request fails while Redis is down");

    s.redis.as_mut().unwrap().restart();
    eventually(
        Duration::from_secs(30),
        "/ready to answer 200 again",
        || {
            let r = s.get("/ready");
            if r.status == 200 {
                return Ok(());
            }
            r.expect_error(503, None);
            failed += 1;
            Err(r.text())
        },
    );
    let outage = started.elapsed();

    let log = s.log();
    let warnings: Vec<&str> = log.lines().filter(|l| l.contains(" WARN ")).collect();
    let requests_down: Vec<&&str> = warnings
        .iter()
        .filter(|l| l.contains("dependency unavailable"))
        .collect();
    assert_eq!(requests_down.len(), 1, "{log}");
    assert!(requests_down[0].contains("redis"), "{log}");
    let claims_down = warnings
        .iter()
        .filter(|l| l.contains("cannot claim jobs"))
        .count();
    assert!(claims_down <= 2, "one line per worker: {log}");
    // The periodic sweep (expired jobs, retention) likewise: a line when its failures start.
    let sweeps_down = warnings
        .iter()
        .filter(|l| l.contains("sweep failed"))
        .count();
    assert!(sweeps_down <= 1, "one line for the sweep: {log}");
    // Besides those, at most a count line per 10 s of outage.
    let counts = warnings
        .iter()
        .filter(|l| l.contains("still unavailable"))
        .count();
    assert!(counts as u64 <= outage.as_secs() / 10, "{log}");
    assert_eq!(
        warnings.len(),
        1 + claims_down + sweeps_down + counts,
        "{log}"
    );
    // The end of the outage, with the number of requests it failed.
    let back = log
        .lines()
        .find(|l| l.contains("dependency available again"))
        .unwrap_or_else(|| panic!("no line for the end of the outage: {log}"));
    assert!(back.contains(&format!("failed={failed} ")), "{back}");
}

/// The reply timeout is a setting (`TSFN_REDIS_TIMEOUT_MS`): a hung Redis costs a point read
/// that long, and the 503 names it.
#[test]
fn the_reply_timeout_is_a_setting() {
    let s = Server::redis(&[("TSFN_WORKERS", "0"), ("TSFN_REDIS_TIMEOUT_MS", "300")]);
    s.write("kept", &[(1, 1.0)]);
    assert_eq!(
        s.get("/series/kept/points").expect(200)["points"][0]["v"],
        1.0
    );
    let redis_pid = s.redis.as_ref().unwrap().pid();
    support::unsafe_kill(redis_pid, "STOP");
    let v = s.get("/series/kept/points").expect_error(503, None);
    support::unsafe_kill(redis_pid, "CONT");
    let msg = v["error"]["message"].as_str().unwrap();
    assert!(msg.contains("no reply within 300ms"), "{msg}");
    s.get("/series/kept/points").expect(200);
}
