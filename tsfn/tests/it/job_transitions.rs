//! The job lifecycle (`shared/src/jobs/lifecycle.rs`) as one transition table, driven through the
//! `Store` trait against all three backends: SQLite (a file), Redis (a redis-server of the test's
//! own) and DynamoDB (moto's server). Each backend states the rule in its own language (SQL, a
//! condition expression, Lua); this table is what they must agree on, step by step, with the
//! clock given explicitly so leases expire exactly when the table says. The table's times count
//! from when the test starts, so no finished job is past its TTL (`TSFN_JOB_TTL`, 7 days) unless
//! a test makes it so ([`expiry`]).

use crate::support;

use tsfn_shared::jobs::spec::{JobSpec, Kind};
use tsfn_shared::jobs::{Claim, Job, JobStatus, Outcome, Removal};
use tsfn_shared::model::{Point, Range, SeriesId};
use tsfn_shared::settings::Settings;
use tsfn_shared::store::{self, DynStore};
use tsfn_shared::time::now_ms;

/// The default settings on the store at `url`.
fn on(url: &str) -> Settings {
    Settings {
        store: url.into(),
        ..Default::default()
    }
}

const LEASE: i64 = 1_000;
const MAX_ATTEMPTS: u32 = 3;

/// One step: what is done (at time `at`) and what must come of it.
enum Step {
    /// `worker` claims (takes) the job; `Some(attempt)` when the claim must succeed on that attempt.
    Take(&'static str, i64, Option<u32>),
    /// The current (or a stale) claim of `worker` on `attempt` renews; must answer `ok`.
    Renew(&'static str, u32, i64, bool),
    /// That claim finishes the job (succeeded when `ok_result`); must answer `ok`.
    Finish(&'static str, u32, i64, bool),
    /// That claim hands the job back; must answer `ok`.
    Release(&'static str, u32, bool),
    /// The stored job: status, attempts, worker.
    Is(JobStatus, u32, Option<&'static str>),
    /// DELETE of the job.
    Remove(Removal),
}

use Step::*;

fn claim(job: &str, worker: &str, attempt: u32) -> Claim {
    Claim {
        job_id: job.into(),
        worker: worker.into(),
        attempt,
        receipt: String::new(),
    }
}

/// A queued job is withdrawn, not deleted.
fn withdraw() -> Vec<Step> {
    vec![Is(JobStatus::Queued, 0, None), Remove(Removal::Cancelled)]
}

/// A claim, a stale worker that cannot renew or finish, a takeover only once the lease has
/// expired (not at its last millisecond), a hand-back that does not count as an attempt, a
/// finish, and then nothing more: a finished job is never claimed again.
fn takeover() -> Vec<Step> {
    vec![
        Take("a", 100, Some(1)),
        Is(JobStatus::Running, 1, Some("a")),
        Renew("a", 1, 500, true),
        Renew("b", 1, 500, false),
        Take("b", 1_400, None), // a's renewed lease runs to 1500
        Take("b", 1_500, None),
        Remove(Removal::Running),
        Take("b", 1_501, Some(2)),
        Is(JobStatus::Running, 2, Some("b")),
        Renew("a", 1, 1_600, false),
        Finish("a", 1, 1_600, false),
        Release("a", 1, false),
        Release("b", 2, true),
        Is(JobStatus::Queued, 1, None),
        Take("c", 1_700, Some(2)),
        Finish("c", 2, 1_800, true),
        Is(JobStatus::Succeeded, 2, Some("c")),
        Take("d", 10_000, None),
        Finish("c", 2, 10_000, false),
        Remove(Removal::Deleted),
    ]
}

/// Leases that keep expiring: after MAX_ATTEMPTS claims the next claim fails the job.
fn gives_up() -> Vec<Step> {
    vec![
        Take("a", 100, Some(1)),
        Take("b", 1_200, Some(2)),
        Take("c", 2_300, Some(3)),
        Take("d", 3_400, None),
        Is(JobStatus::Failed, 3, Some("c")),
        Take("e", 4_500, None),
        Remove(Removal::Deleted),
    ]
}

/// A queued summary job of series `jt` (written first), created at `created`; its id.
async fn queue(store: &DynStore, created: i64) -> String {
    let series = SeriesId::parse("jt").unwrap();
    store
        .write_points(&series, vec![Point { t: 0, v: 1.0 }], created)
        .await
        .unwrap();
    let spec = JobSpec {
        kind: Kind::parse("summary", serde_json::json!({})).unwrap(),
        series: vec![series],
        range: Range::default(),
        request_id: None,
        notify: None,
    };
    let job = Job::new(spec, created);
    store.create_job(&job).await.unwrap();
    job.id
}

fn succeeded() -> Outcome {
    Outcome::Succeeded {
        content_type: "application/json".into(),
        data: b"{}".to_vec(),
    }
}

async fn run(store: &DynStore, name: &str, table: Vec<Step>) {
    // The table's times are offsets from now: a job it finishes has not expired.
    let base = now_ms();
    let id = queue(store, base).await;
    for (i, step) in table.into_iter().enumerate() {
        let at = format!("{} on {}, step {i}", name, store.backend());
        match step {
            Take(w, now, want) => {
                let now = base + now;
                let got = store
                    .claim_job(&id, w, now, LEASE, MAX_ATTEMPTS)
                    .await
                    .unwrap()
                    .map(|c| c.claim.attempt);
                assert_eq!(got, want, "{at}: claim by {w} at {now}");
            }
            Renew(w, attempt, now, want) => {
                let now = base + now;
                let got = store
                    .renew(&claim(&id, w, attempt), now, LEASE, 50)
                    .await
                    .unwrap();
                assert_eq!(got, want, "{at}: renew by {w}/{attempt}");
            }
            Finish(w, attempt, now, want) => {
                let now = base + now;
                let got = store
                    .finish(&claim(&id, w, attempt), &succeeded(), now, None)
                    .await
                    .unwrap();
                assert_eq!(got, want, "{at}: finish by {w}/{attempt}");
            }
            Release(w, attempt, want) => {
                let got = store.release(&claim(&id, w, attempt)).await.unwrap();
                assert_eq!(got, want, "{at}: release by {w}/{attempt}");
            }
            Is(status, attempts, worker) => {
                let j = store.get_job(&id).await.unwrap().expect("job exists");
                assert_eq!(
                    (j.status, j.attempts, j.worker.as_deref()),
                    (status, attempts, worker),
                    "{at}: stored job"
                );
                if status == JobStatus::Failed {
                    let error = j.error.unwrap_or_default();
                    assert!(error.contains(&attempts.to_string()), "{at}: {error}");
                }
            }
            Remove(want) => {
                assert_eq!(store.remove_job(&id).await.unwrap(), want, "{at}: remove");
            }
        }
    }
}

/// `TSFN_JOB_TTL` (7 days here): a job that finished (or gave up) more than that ago reads as
/// absent to every job read, whether or not its backend deleted it yet; one finished now and a
/// queued one are there. The sweep's purge then removes what reads skip: `purged` is how many
/// such jobs the backend leaves to it (DynamoDB leaves them to its own TTL: none).
async fn expiry(store: &DynStore, purged: u64) {
    const DAY: i64 = 86_400_000;
    let at = format!("expiry on {}", store.backend());
    let base = now_ms();
    let old = base - 8 * DAY;
    let done_long_ago = queue(store, old).await;
    let gave_up_long_ago = queue(store, old).await;
    let done_now = queue(store, old).await;
    let queued = queue(store, base).await;
    assert_eq!(store.count_queued(100).await.unwrap(), 4, "{at}: queued");
    assert!(
        store.count_queued(2).await.unwrap() >= 2,
        "{at}: counted up to 2"
    );

    let c = store
        .claim_job(&done_long_ago, "w", old, LEASE, MAX_ATTEMPTS)
        .await
        .unwrap()
        .expect("claimed");
    assert!(store
        .finish(&c.claim, &succeeded(), old + 1, None)
        .await
        .unwrap());
    for attempt in 0..MAX_ATTEMPTS as i64 {
        let at_time = old + attempt * 2 * LEASE;
        let c = store
            .claim_job(&gave_up_long_ago, "w", at_time, LEASE, MAX_ATTEMPTS)
            .await
            .unwrap();
        assert!(c.is_some(), "{at}: claim {attempt}");
    }
    let failed = store
        .claim_job(
            &gave_up_long_ago,
            "w",
            old + 10 * LEASE,
            LEASE,
            MAX_ATTEMPTS,
        )
        .await
        .unwrap();
    assert!(failed.is_none(), "{at}: out of attempts, failed");
    let c = store
        .claim_job(&done_now, "w", base, LEASE, MAX_ATTEMPTS)
        .await
        .unwrap()
        .expect("claimed");
    assert!(store
        .finish(&c.claim, &succeeded(), base, None)
        .await
        .unwrap());
    assert_eq!(store.count_queued(100).await.unwrap(), 1, "{at}: queued");

    for id in [&done_long_ago, &gave_up_long_ago] {
        assert!(store.get_job(id).await.unwrap().is_none(), "{at}: {id}");
        assert!(store.get_result(id).await.unwrap().is_none(), "{at}: {id}");
    }
    let j = store
        .get_job(&done_now)
        .await
        .unwrap()
        .expect("not expired");
    assert_eq!(j.status, JobStatus::Succeeded, "{at}");
    assert!(store.get_result(&done_now).await.unwrap().is_some(), "{at}");

    let now = now_ms();
    assert_eq!(
        store.purge_expired_jobs(now).await.unwrap(),
        purged,
        "{at}: purged"
    );
    assert_eq!(
        store.purge_expired_jobs(now).await.unwrap(),
        0,
        "{at}: purged again"
    );
    let ids = |jobs: Vec<Job>| {
        let mut ids: Vec<String> = jobs.into_iter().map(|j| j.id).collect();
        ids.sort();
        ids
    };
    let mut want = vec![done_now.clone(), queued.clone()];
    want.sort();
    for limit in [1, 100] {
        let mut all = Vec::new();
        let mut after = None;
        loop {
            let page = store.list_jobs(None, after, limit).await.unwrap();
            after = page.last().map(|j| tsfn_shared::jobs::ListCursor {
                created: j.created,
                id: j.id.clone(),
            });
            let full = page.len() == limit;
            all.extend(page);
            if !full {
                break;
            }
        }
        assert_eq!(ids(all), want, "{at}: listed {limit} at a time");
    }
    let listed = |status| store.list_jobs(Some(status), None, 100);
    assert_eq!(
        ids(listed(JobStatus::Succeeded).await.unwrap()),
        std::slice::from_ref(&done_now),
        "{at}"
    );
    assert!(listed(JobStatus::Failed).await.unwrap().is_empty(), "{at}");
    for id in [&done_long_ago, &gave_up_long_ago] {
        assert_eq!(
            store.remove_job(id).await.unwrap(),
            Removal::NotFound,
            "{at}: {id}"
        );
    }
}

/// Owed announcements (`finish` with `announce_at`, `take_due_announcements`, `announced`): a
/// finished job's is due at the time given, taken once, taken again when its taker let it lapse,
/// and gone once announced (with the spec's new notification state stored); a job finished
/// without one never shows; a job that ran out of attempts is due at once.
async fn announcements(store: &DynStore) {
    let at = format!("announcements on {}", store.backend());
    // What earlier tables left owing (their jobs gave up), cleared first.
    loop {
        let left = store
            .take_due_announcements(i64::MAX / 4, i64::MAX / 2, 100)
            .await
            .unwrap();
        for id in &left {
            store.announced(id, None).await.unwrap();
        }
        if left.is_empty() {
            break;
        }
    }
    let base = now_ms();
    let take = |now: i64, retry: i64| store.take_due_announcements(now, retry, 10);
    let owing = queue(store, base).await;
    let quiet = queue(store, base).await;
    for (id, announce_at) in [(&owing, Some(base + 100)), (&quiet, None)] {
        let c = store
            .claim_job(id, "w", base, LEASE, MAX_ATTEMPTS)
            .await
            .unwrap()
            .expect("claimed");
        assert!(store
            .finish(&c.claim, &succeeded(), base + 1, announce_at)
            .await
            .unwrap());
    }
    assert!(
        take(base + 99, base + 1000).await.unwrap().is_empty(),
        "{at}: not due yet"
    );
    assert_eq!(
        take(base + 100, base + 1000).await.unwrap(),
        vec![owing.clone()],
        "{at}: due"
    );
    assert!(
        take(base + 999, base + 2000).await.unwrap().is_empty(),
        "{at}: taken"
    );
    assert_eq!(
        take(base + 1000, base + 2000).await.unwrap(),
        vec![owing.clone()],
        "{at}: its taker let it lapse"
    );
    let mut spec = store.get_job(&owing).await.unwrap().unwrap().spec;
    let delivered = tsfn_shared::jobs::Notify {
        url: "https://receiver.example/hook".into(),
        status: tsfn_shared::jobs::NotifyStatus::Delivered,
        attempts: 2,
        last_error: None,
    };
    spec.notify = Some(delivered.clone());
    assert!(store.announced(&owing, Some(&spec)).await.unwrap(), "{at}");
    let job = store.get_job(&owing).await.unwrap().unwrap();
    assert_eq!(
        job.spec.notify,
        Some(delivered),
        "{at}: the delivery stored"
    );
    assert_eq!(job.status, JobStatus::Succeeded, "{at}");
    assert!(
        take(i64::MAX / 4, i64::MAX / 2).await.unwrap().is_empty(),
        "{at}: announced"
    );

    let gives_up = queue(store, base).await;
    for attempt in 0..MAX_ATTEMPTS as i64 {
        let c = store
            .claim_job(
                &gives_up,
                "w",
                base + attempt * 2 * LEASE,
                LEASE,
                MAX_ATTEMPTS,
            )
            .await
            .unwrap();
        assert!(c.is_some(), "{at}: claim {attempt}");
    }
    let ended = base + 10 * LEASE;
    assert!(store
        .claim_job(&gives_up, "w", ended, LEASE, MAX_ATTEMPTS)
        .await
        .unwrap()
        .is_none());
    assert!(
        take(ended - 1, ended + 1000).await.unwrap().is_empty(),
        "{at}"
    );
    assert_eq!(
        take(ended, ended + 1000).await.unwrap(),
        vec![gives_up.clone()],
        "{at}: out of attempts, due at once"
    );
    assert!(store.announced(&gives_up, None).await.unwrap(), "{at}");
    let job = store.get_job(&gives_up).await.unwrap().unwrap();
    assert_eq!(job.status, JobStatus::Failed, "{at}");
    assert_eq!(job.spec.notify, None, "{at}: spec kept");
    assert!(
        take(i64::MAX / 4, i64::MAX / 2).await.unwrap().is_empty(),
        "{at}"
    );
    assert!(
        !store.announced("no-such-job", None).await.unwrap(),
        "{at}: gone"
    );
}

async fn all_tables(store: DynStore, purged: u64) {
    run(&store, "withdraw", withdraw()).await;
    run(&store, "takeover", takeover()).await;
    run(&store, "gives_up", gives_up()).await;
    expiry(&store, purged).await;
    announcements(&store).await;
}

#[tokio::test]
async fn transitions_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("jt.db").display());
    all_tables(store::open(&on(&url)).await.unwrap(), 2).await;
}

#[tokio::test]
async fn transitions_on_redis() {
    let redis = support::RedisProc::start();
    all_tables(store::open(&on(&redis.url())).await.unwrap(), 2).await;
}

#[tokio::test]
async fn transitions_on_dynamodb() {
    // The SDK's endpoint and credentials come from these, in the environment of a process of
    // its own.
    let test = "transitions_on_dynamodb";
    if support::rerun_in_child(
        &format!("{}::{test}", module_path!()),
        &support::moto().env(),
    ) {
        return;
    }
    let url = format!("dynamodb://jt{}", std::process::id());
    store::init(&on(&url), &mut |_| {}).await.unwrap();
    all_tables(store::open(&on(&url)).await.unwrap(), 0).await;
}
