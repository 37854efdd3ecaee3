//! The job lifecycle (`shared/src/jobs/lifecycle.rs`) as one transition table, driven through the
//! `Store` trait against all three backends: SQLite (a file), Redis (a redis-server of the test's
//! own) and DynamoDB (moto's server). Each backend states the rule in its own language (SQL, a
//! condition expression, Lua); this table is what they must agree on, step by step, with the
//! clock given explicitly so leases expire exactly when the table says.

use crate::support;

use tsfn_shared::jobs::spec::{JobSpec, Kind};
use tsfn_shared::jobs::{Claim, Job, JobStatus, Outcome, Removal};
use tsfn_shared::model::{Point, Range, SeriesId};
use tsfn_shared::settings::Settings;
use tsfn_shared::store::{self, DynStore};

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

async fn run(store: &DynStore, name: &str, table: Vec<Step>) {
    let series = SeriesId::parse("jt").unwrap();
    store
        .write_points(&series, vec![Point { t: 0, v: 1.0 }], 0)
        .await
        .unwrap();
    let spec = JobSpec {
        kind: Kind::parse("summary", serde_json::json!({})).unwrap(),
        series: vec![series],
        range: Range::default(),
        request_id: None,
    };
    let job = Job::new(spec, 0);
    store.create_job(&job).await.unwrap();
    let id = job.id.clone();
    for (i, step) in table.into_iter().enumerate() {
        let at = format!("{} on {}, step {i}", name, store.backend());
        match step {
            Take(w, now, want) => {
                let got = store
                    .claim_job(&id, w, now, LEASE, MAX_ATTEMPTS)
                    .await
                    .unwrap()
                    .map(|c| c.claim.attempt);
                assert_eq!(got, want, "{at}: claim by {w} at {now}");
            }
            Renew(w, attempt, now, want) => {
                let got = store
                    .renew(&claim(&id, w, attempt), now, LEASE, 50)
                    .await
                    .unwrap();
                assert_eq!(got, want, "{at}: renew by {w}/{attempt}");
            }
            Finish(w, attempt, now, want) => {
                let outcome = Outcome::Succeeded {
                    content_type: "application/json".into(),
                    data: b"{}".to_vec(),
                };
                let got = store
                    .finish(&claim(&id, w, attempt), &outcome, now)
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

async fn all_tables(store: DynStore) {
    run(&store, "withdraw", withdraw()).await;
    run(&store, "takeover", takeover()).await;
    run(&store, "gives_up", gives_up()).await;
}

#[tokio::test]
async fn transitions_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("jt.db").display());
    all_tables(store::open(&on(&url)).await.unwrap()).await;
}

#[tokio::test]
async fn transitions_on_redis() {
    let redis = support::RedisProc::start();
    all_tables(store::open(&on(&redis.url())).await.unwrap()).await;
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
    all_tables(store::open(&on(&url)).await.unwrap()).await;
}
