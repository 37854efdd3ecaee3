//! Jobs across processes on one store (a SQLite file, a Redis server): `tsfn serve` without
//! in-process workers and separate `tsfn worker` processes, as on Kubernetes. Crash recovery
//! (SIGKILL mid-job), giving up after the configured attempts, a series deleted under a queued
//! job, progress, finishing the job on SIGTERM. Each check runs on each backend.

use crate::conformance;
use crate::support;

use std::time::{Duration, Instant};

use conformance::{submit, wait_job, Start};
use support::{eventually, json, Server, Value, WorkerProc};

macro_rules! worker_tests {
    ($start:expr) => {
        #[test]
        fn two_worker_processes_share_the_queue() {
            super::two_worker_processes_share_the_queue($start);
        }
        #[test]
        fn a_killed_workers_job_is_finished_by_another_once() {
            super::a_killed_workers_job_is_finished_by_another_once($start);
        }
        #[test]
        fn a_job_fails_after_the_configured_attempts() {
            super::a_job_fails_after_the_configured_attempts($start);
        }
        #[test]
        fn a_series_deleted_under_a_queued_job_fails_it_cleanly() {
            super::a_series_deleted_under_a_queued_job_fails_it_cleanly($start);
        }
        #[test]
        fn sigterm_lets_a_worker_finish_its_job() {
            super::sigterm_lets_a_worker_finish_its_job($start);
        }
        #[test]
        fn after_the_grace_a_worker_hands_its_job_back_and_exits_at_once() {
            super::after_the_grace_a_worker_hands_its_job_back_and_exits_at_once($start);
        }
    };
}

mod sqlite_file {
    worker_tests!(crate::support::Server::sqlite_file);
}

mod redis {
    worker_tests!(crate::support::Server::redis);
}

fn api_without_workers(start: Start) -> Server {
    start(&[("TSFN_WORKERS", "0")])
}

/// One million points: enough that a job over them runs for a while in a debug build.
fn write_big(s: &Server, series: &str) {
    write_block(s, series, 0);
}

/// The `block`-th million points of a series (one second apart, blocks back to back).
fn write_block(s: &Server, series: &str, block: i64) {
    let mut csv = String::with_capacity(24_000_000);
    csv.push_str("t,v\n");
    for i in block * 1_000_000..(block + 1) * 1_000_000 {
        csv.push_str(&format!(
            "{},{}\n",
            1_600_000_000_000 + i * 1000,
            (i % 977) as f64
        ));
    }
    s.send(
        "POST",
        &format!("/series/{series}/points"),
        Some("text/csv"),
        csv,
    )
    .expect(if block == 0 { 201 } else { 200 });
}

fn wait_running(s: &Server, id: &str, worker: &str) -> Value {
    let what = format!("job {id} to run on {worker}");
    eventually(Duration::from_secs(60), &what, || {
        let v = s.get(&format!("/jobs/{id}")).expect(200);
        if v["status"] == "running" && v["worker"] == worker {
            return Ok(v);
        }
        assert!(
            v["status"] == "queued" || v["status"] == "running",
            "unexpected: {v}"
        );
        Err(v)
    })
}

fn store_of(s: &Server) -> String {
    s.store.clone()
}

fn two_worker_processes_share_the_queue(start: Start) {
    let s = api_without_workers(start);
    s.write(
        "shared",
        &(0..20_000)
            .map(|i| (1_000 + i, (i % 13) as f64))
            .collect::<Vec<_>>(),
    );
    let _a = WorkerProc::start(&store_of(&s), "worker-a", &[("TSFN_WORKERS", "1")]);
    let _b = WorkerProc::start(&store_of(&s), "worker-b", &[("TSFN_WORKERS", "1")]);
    let ids: Vec<String> = (0..200)
        .map(|_| submit(&s, json!({"kind": "summary", "series": "shared"})))
        .collect();
    let mut by_worker = std::collections::HashMap::new();
    for id in &ids {
        let job = wait_job(&s, id);
        assert_eq!(job["status"], "succeeded", "{job}");
        assert_eq!(job["attempts"], 1, "{job}");
        *by_worker
            .entry(job["worker"].as_str().unwrap().to_owned())
            .or_insert(0) += 1;
    }
    assert_eq!(by_worker.values().sum::<i32>(), 200);
    assert!(
        by_worker.contains_key("worker-a") && by_worker.contains_key("worker-b"),
        "{by_worker:?}"
    );
}

fn a_killed_workers_job_is_finished_by_another_once(start: Start) {
    let s = api_without_workers(start);
    write_big(&s, "big");
    let lease = [("TSFN_WORKERS", "1"), ("TSFN_JOB_LEASE_MS", "1000")];
    let mut a = WorkerProc::start(&store_of(&s), "doomed", &lease);
    let id = submit(
        &s,
        json!({"kind": "rolling", "series": "big", "params": {"window": 500, "stat": "median"}}),
    );
    wait_running(&s, &id, "doomed");
    a.kill();
    let _b = WorkerProc::start(&store_of(&s), "rescuer", &lease);
    let job = wait_job(&s, &id);
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(job["worker"], "rescuer");
    assert_eq!(job["attempts"], 2, "claimed once by each worker: {job}");
    let r = s.get(&format!("/jobs/{id}/result"));
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json()["points"].as_array().unwrap().len(),
        1_000_000 - 499
    );
}

fn a_job_fails_after_the_configured_attempts(start: Start) {
    let s = api_without_workers(start);
    write_big(&s, "big");
    let env = [
        ("TSFN_WORKERS", "1"),
        ("TSFN_JOB_LEASE_MS", "500"),
        ("TSFN_JOB_MAX_ATTEMPTS", "1"),
    ];
    let mut a = WorkerProc::start(&store_of(&s), "first", &env);
    let id = submit(
        &s,
        json!({"kind": "rolling", "series": "big", "params": {"window": 500, "stat": "median"}}),
    );
    wait_running(&s, &id, "first");
    a.kill();
    let _b = WorkerProc::start(&store_of(&s), "second", &env);
    let job = wait_job(&s, &id);
    assert_eq!(job["status"], "failed", "{job}");
    assert!(
        job["error"]
            .as_str()
            .unwrap()
            .contains("gave up after 1 attempts"),
        "{job}"
    );
}

fn a_series_deleted_under_a_queued_job_fails_it_cleanly(start: Start) {
    let s = api_without_workers(start);
    s.write("doomed", &[(1, 1.0), (2, 2.0)]);
    let id = submit(&s, json!({"kind": "summary", "series": "doomed"}));
    s.delete("/series/doomed").expect(204);
    let _w = WorkerProc::start(&store_of(&s), "w", &[("TSFN_WORKERS", "1")]);
    let job = wait_job(&s, &id);
    assert_eq!(job["status"], "failed");
    assert!(job["error"].as_str().unwrap().contains("doomed"), "{job}");
    assert_eq!(job["attempts"], 1);
}

fn sigterm_lets_a_worker_finish_its_job(start: Start) {
    let s = api_without_workers(start);
    write_big(&s, "big");
    let mut w = WorkerProc::start(&store_of(&s), "leaving", &[("TSFN_WORKERS", "1")]);
    let id = submit(
        &s,
        json!({"kind": "rolling", "series": "big", "params": {"window": 500, "stat": "median"}}),
    );
    wait_running(&s, &id, "leaving");
    // Progress moves while it runs.
    eventually(Duration::from_secs(60), "progress while it runs", || {
        let v = s.get(&format!("/jobs/{id}")).expect(200);
        let p = v["progress"].as_u64().unwrap();
        if v["status"] == "running" && (1..100).contains(&p) {
            return Ok(());
        }
        assert!(v["status"] == "running", "no progress seen: {v}");
        Err(v)
    });
    assert!(
        w.terminate(Duration::from_secs(60)),
        "worker did not exit after its job"
    );
    let job = s.get(&format!("/jobs/{id}")).expect(200);
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(job["worker"], "leaving");
}

fn after_the_grace_a_worker_hands_its_job_back_and_exits_at_once(start: Start) {
    let s = api_without_workers(start);
    for block in 0..3 {
        write_block(&s, "big", block);
    }
    let env = [("TSFN_WORKERS", "1"), ("TSFN_SHUTDOWN_GRACE_MS", "200")];
    let mut w = WorkerProc::start(&store_of(&s), "leaving", &env);
    // Medians over windows of 10,000 points of 3 million: about 10 s of analysis on the
    // blocking pool, unloaded, in a debug build.
    let id = submit(
        &s,
        json!({"kind": "rolling", "series": "big", "params": {"window": 10000, "stat": "median"}}),
    );
    wait_running(&s, &id, "leaving");
    // Progress 80: the data is loaded and the analysis has started.
    eventually(Duration::from_secs(120), "the analysis to start", || {
        let v = s.get(&format!("/jobs/{id}")).expect(200);
        if v["progress"].as_u64().unwrap() >= 80 {
            assert_eq!(v["status"], "running", "{v}");
            return Ok(());
        }
        Err(v)
    });
    let signalled = Instant::now();
    assert!(
        w.terminate(Duration::from_secs(60)),
        "worker did not exit after handing its job back"
    );
    let took = signalled.elapsed();
    let job = s.get(&format!("/jobs/{id}")).expect(200);
    assert_eq!(job["status"], "queued", "handed back: {job}");
    assert_eq!(job["attempts"], 0, "a hand-back is not an attempt: {job}");
    // The grace (0.2 s) and the hand-back, not the rest of the analysis it gave up on (seconds).
    assert!(took < Duration::from_secs(3), "exit took {took:?}");
}

/// The consumers of the Redis queue's group `workers`.
fn consumers(redis: &support::RedisProc) -> Vec<String> {
    let out = redis.cli(&["XINFO", "CONSUMERS", "tsfn:queue", "workers"]);
    let lines: Vec<&str> = out.lines().collect();
    let mut names: Vec<String> = lines
        .windows(2)
        .filter(|w| w[0] == "name")
        .map(|w| w[1].to_owned())
        .collect();
    names.sort();
    names
}

/// The queue's pending entries: `(consumer, idle ms)`.
fn pending(redis: &support::RedisProc) -> Vec<(String, u64)> {
    let out = redis.cli(&["XPENDING", "tsfn:queue", "workers", "-", "+", "100"]);
    let lines: Vec<&str> = out.lines().collect();
    lines
        .chunks(4)
        .map(|e| (e[1].to_owned(), e[2].parse().unwrap()))
        .collect()
}

fn wait_for<T: std::fmt::Debug>(
    what: &str,
    mut probe: impl FnMut() -> T,
    ok: impl Fn(&T) -> bool,
) -> T {
    eventually(Duration::from_secs(60), what, || {
        let v = probe();
        if ok(&v) {
            Ok(v)
        } else {
            Err(format!("{v:?}"))
        }
    })
}

/// Redis: a live worker's long job is looked at by the other workers once its queue entry has
/// been pending for a lease, but not taken, and that look does not restart the entry's clock, so
/// a takeover after a crash waits for the lease only; dead workers' consumers leave the group.
#[test]
fn redis_takeover_waits_one_lease_and_dead_consumers_leave_the_group() {
    let s = api_without_workers(Server::redis);
    for block in 0..2 {
        write_block(&s, "big", block);
    }
    let redis = s.redis.as_ref().unwrap();
    let lease = [("TSFN_WORKERS", "1"), ("TSFN_JOB_LEASE_MS", "1000")];
    let mut first = WorkerProc::start(&store_of(&s), "first", &lease);
    // Medians over windows of 10,000 points of 2 million: several seconds in a debug build.
    let id = submit(
        &s,
        json!({"kind": "rolling", "series": "big", "params": {"window": 10000, "stat": "median"}}),
    );
    wait_running(&s, &id, "first");
    // Other workers come and go: each joins the group when it is first handed an entry.
    s.write("small", &[(1, 1.0), (2, 2.0)]);
    let mut gone: Vec<WorkerProc> = (0..4)
        .map(|i| WorkerProc::start(&store_of(&s), &format!("gone-{i}"), &lease))
        .collect();
    let small: Vec<String> = (0..40)
        .map(|_| submit(&s, json!({"kind": "summary", "series": "small"})))
        .collect();
    for id in &small {
        assert_eq!(wait_job(&s, id)["status"], "succeeded");
    }
    let joined = consumers(redis);
    assert!(
        joined.len() >= 2 && joined.contains(&"first".to_owned()),
        "{joined:?}"
    );
    for w in &mut gone {
        w.kill();
    }
    let _watcher = WorkerProc::start(&store_of(&s), "watcher", &lease);
    // While `first` runs, its entry stays its own and ages past 2.5 leases, though the watcher
    // looks for stale entries every half lease.
    let entry = wait_for(
        "the running job's entry to age",
        || {
            let p = pending(redis);
            let job = s.get(&format!("/jobs/{id}")).expect(200);
            assert_eq!(job["worker"], "first", "taken from a live worker: {job}");
            assert_eq!(p.len(), 1, "{p:?} {job}");
            assert_eq!(p[0].0, "first", "entry moved from a live worker: {p:?}");
            p
        },
        |p| p[0].1 >= 2500,
    );
    assert!(consumers(redis).contains(&"first".to_owned()));
    assert_eq!(
        s.get(&format!("/jobs/{id}")).expect(200)["status"],
        "running",
        "{entry:?}"
    );

    first.kill();
    let job = wait_for(
        "the watcher to take the job over",
        || s.get(&format!("/jobs/{id}")).expect(200),
        |j| j["worker"] == "watcher",
    );
    assert_eq!(job["attempts"], 2, "{job}");
    assert_eq!(pending(redis)[0].0, "watcher");
    // The dead workers' consumers are removed (`first` once its entry has moved). The live
    // one's stays while it has an entry or keeps reading (Redis 7.2+; before, a consumer's idle
    // time only restarts with a delivery, so an idle live worker's consumer may go too, and come
    // back with its next entry).
    wait_for(
        "dead consumers to leave",
        || consumers(redis),
        |c| c.iter().all(|n| n == "watcher"),
    );
}
