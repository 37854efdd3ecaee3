//! What a worker sends when a job ends: the job record POSTed to the job's `notify` URL, signed
//! (HMAC-SHA256 with `TSFN_NOTIFY_SECRET`) and retried with exponential backoff for a bounded
//! time, and an EventBridge event on `TSFN_EVENT_BUS`. Both happen after the outcome is stored
//! (`Store::finish`), so a slow receiver never holds a job's lease.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The header carrying a notification's signature: `t=UNIX_SECONDS,sha256=HEX`.
pub const SIGNATURE_HEADER: &str = "x-tsfn-signature-256";

/// The HMAC-SHA256 of `"{ts}.{body}"` with `secret`, as lowercase hex.
pub fn mac_hex(secret: &[u8], prefix: Option<&str>, body: &[u8]) -> String {
    hex::encode(mac(secret, prefix, body))
}

/// The HMAC-SHA256 of `"{prefix}.{body}"` (or of `body` alone without a prefix).
pub fn mac(secret: &[u8], prefix: Option<&str>, body: &[u8]) -> Vec<u8> {
    let mut m =
        <Hmac<Sha256> as KeyInit>::new_from_slice(secret).expect("HMAC accepts keys of any length");
    if let Some(p) = prefix {
        m.update(p.as_bytes());
        m.update(b".");
    }
    m.update(body);
    m.finalize().into_bytes().to_vec()
}

/// The value of [`SIGNATURE_HEADER`] for `body` sent at `ts` (Unix seconds).
pub fn signature(secret: &[u8], ts: i64, body: &[u8]) -> String {
    format!(
        "t={ts},sha256={}",
        mac_hex(secret, Some(&ts.to_string()), body)
    )
}

#[cfg(feature = "events")]
pub use delivery::{job_ended, redeliver};

#[cfg(feature = "events")]
mod delivery {
    use std::sync::OnceLock;
    use std::time::{Duration, Instant};

    use crate::app::App;
    use crate::jobs::spec::{private_host, public_address};
    use crate::jobs::{JobStatus, JobView, Notify, NotifyStatus};
    use crate::settings::Settings;

    /// One client per process: its connection pool and TLS setup are reused by every delivery.
    /// Without `TSFN_NOTIFY_ALLOW_PRIVATE` it connects only to public addresses of a name
    /// ([`PublicOnly`]), so a name pointed at an internal address after submission (or at
    /// every request, DNS rebinding) reaches nothing.
    fn client(s: &Settings) -> &'static reqwest::Client {
        static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
        CLIENT.get_or_init(|| {
            let mut b = reqwest::Client::builder()
                .user_agent(concat!("tsfn/", env!("CARGO_PKG_VERSION")))
                // A receiver's redirect is not followed: the signature was meant for its URL.
                .redirect(reqwest::redirect::Policy::none());
            if !s.notify_allow_private {
                b = b.dns_resolver(std::sync::Arc::new(PublicOnly));
            }
            b.build()
                .expect("the HTTP client builds with static settings")
        })
    }

    /// Resolves a receiver's name to its public addresses only (`public_address`); a name
    /// with none is an error of the attempt, naming what it resolved to.
    struct PublicOnly;

    impl reqwest::dns::Resolve for PublicOnly {
        fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
            Box::pin(async move {
                let host = name.as_str().to_owned();
                let all: Vec<std::net::SocketAddr> =
                    tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
                let public: Vec<std::net::SocketAddr> = all
                    .iter()
                    .copied()
                    .filter(|a| public_address(a.ip()))
                    .collect();
                if public.is_empty() {
                    let seen: Vec<String> = all.iter().map(|a| a.ip().to_string()).collect();
                    return Err(format!(
                        "{host} resolves to no public address ({}); TSFN_NOTIFY_ALLOW_PRIVATE=1 allows it",
                        seen.join(", ")
                    )
                    .into());
                }
                Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs)
            })
        }
    }

    /// After a job's outcome is stored: its EventBridge event (when `TSFN_EVENT_BUS` is set),
    /// then its notification (when it has one still pending), whose outcome is stored on the
    /// job; then the job no longer owes its announcement (`Store::announced`). Errors are
    /// logged: the job itself is done whatever happens here, and an announcement not recorded
    /// as made is made again by a sweep ([`redeliver`]), so delivery is at least once.
    pub async fn job_ended(app: &App, job_id: &str) {
        let job = match app.store.get_job(job_id).await {
            Ok(Some(j)) => j,
            Ok(None) => {
                // Deleted or expired: nothing to announce, and nothing owed any more.
                let _ = app.store.announced(job_id, None).await;
                return;
            }
            Err(e) => {
                tracing::warn!(job = %job_id, error = %e, "cannot read the finished job to announce it");
                return;
            }
        };
        if !matches!(job.status, JobStatus::Succeeded | JobStatus::Failed) {
            let _ = app.store.announced(job_id, None).await;
            return;
        }
        let body = match serde_json::to_vec(&JobView::from(&job)) {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(job = %job_id, error = %e, "cannot encode the job record");
                return;
            }
        };
        if let Some(bus) = &app.settings.event_bus {
            super::events::put(&app.settings, bus, &body, job_id).await;
        }
        let spec = match job.spec.notify.clone() {
            Some(notify) if notify.status == NotifyStatus::Pending => {
                let done = match app.settings.notify_secret.as_deref() {
                    Some(secret) => deliver(&app.settings, secret.as_bytes(), notify, &body).await,
                    // Accepted while a secret was set; never sent unsigned.
                    None => Notify {
                        status: NotifyStatus::Failed,
                        last_error: Some("TSFN_NOTIFY_SECRET is not set on the worker".into()),
                        ..notify
                    },
                };
                tracing::info!(job = %job_id, status = ?done.status, attempts = done.attempts, "notification");
                let mut spec = job.spec.clone();
                spec.notify = Some(done);
                Some(spec)
            }
            _ => None,
        };
        if let Err(e) = app.store.announced(job_id, spec.as_ref()).await {
            tracing::warn!(job = %job_id, error = %e, "cannot record the announcement as made; a sweep will make it again");
        }
    }

    /// Most announcements one sweep makes at once, and batches per sweep.
    const REDELIVER_BATCH: usize = 32;
    const REDELIVER_BATCHES: usize = 8;

    /// Makes the announcements that are due: of jobs failed for running out of attempts (due at
    /// once) and of jobs whose worker stopped before it made theirs. Run by the periodic sweep
    /// (`crate::sweep`) and the worker function's scheduled sweep. Returns how many it made.
    pub async fn redeliver(app: &App, policy: crate::jobs::Policy) -> crate::error::Result<usize> {
        let mut made = 0;
        for _ in 0..REDELIVER_BATCHES {
            let now = crate::time::now_ms();
            let ids = app
                .store
                .take_due_announcements(
                    now,
                    now.saturating_add(policy.redeliver_ms),
                    REDELIVER_BATCH,
                )
                .await?;
            if !ids.is_empty() {
                tracing::info!(
                    jobs = ids.len(),
                    "making announcements a worker did not make"
                );
            }
            // Together: one slow receiver must not hold the others back.
            futures_util::future::join_all(ids.iter().map(|id| job_ended(app, id))).await;
            made += ids.len();
            if ids.len() < REDELIVER_BATCH {
                break;
            }
        }
        Ok(made)
    }

    /// POSTs `body` to `n.url` until a 2xx answer or until `TSFN_NOTIFY_MAX_MS` has passed:
    /// attempts bounded by `TSFN_NOTIFY_TIMEOUT_MS` each, the first retry after
    /// `TSFN_NOTIFY_FIRST_RETRY_MS`, each wait twice the one before. A retry that could not start
    /// before the deadline is not made.
    async fn deliver(s: &Settings, secret: &[u8], mut n: Notify, body: &[u8]) -> Notify {
        // An address literal is not resolved, so it is judged here (again: the setting may
        // have changed since the submission); no retry would change the answer.
        let host = n
            .url
            .parse::<lambda_http::http::Uri>()
            .ok()
            .and_then(|u| u.host().map(str::to_owned));
        if let Some(why) = host
            .as_deref()
            .filter(|_| !s.notify_allow_private)
            .and_then(private_host)
        {
            n.status = NotifyStatus::Failed;
            n.last_error = Some(format!(
                "not sent: {why}; TSFN_NOTIFY_ALLOW_PRIVATE=1 allows it"
            ));
            return n;
        }
        let start = Instant::now();
        let total = Duration::from_millis(s.notify_max_ms);
        let mut wait = Duration::from_millis(s.notify_first_retry_ms);
        loop {
            let left = total.saturating_sub(start.elapsed());
            let timeout =
                Duration::from_millis(s.notify_timeout_ms).min(left.max(Duration::from_millis(1)));
            n.attempts += 1;
            let ts = crate::time::now_ms().div_euclid(1000);
            let sent = client(s)
                .post(&n.url)
                .timeout(timeout)
                .header("content-type", "application/json")
                .header(super::SIGNATURE_HEADER, super::signature(secret, ts, body))
                .body(body.to_vec())
                .send()
                .await;
            let error = match sent {
                Ok(r) if r.status().is_success() => {
                    n.status = NotifyStatus::Delivered;
                    n.last_error = None;
                    return n;
                }
                Ok(r) => format!("the receiver answered {}", r.status()),
                Err(e) if e.is_timeout() => format!("no answer within {} ms", timeout.as_millis()),
                Err(e) => format!("cannot reach the receiver: {}", chain(&e)),
            };
            n.last_error = Some(error);
            if start.elapsed() + wait >= total {
                n.status = NotifyStatus::Failed;
                return n;
            }
            tokio::time::sleep(wait).await;
            wait = wait.saturating_mul(2);
        }
    }

    /// An error with its causes: reqwest's own message alone says little ("error sending request").
    fn chain(e: &dyn std::error::Error) -> String {
        let mut out = e.to_string();
        let mut cur = e.source();
        while let Some(c) = cur {
            out.push_str(": ");
            out.push_str(&c.to_string());
            cur = c.source();
        }
        out
    }
}

#[cfg(feature = "events")]
mod events {
    use std::time::Duration;

    use aws_sdk_eventbridge::types::PutEventsRequestEntry;
    use aws_sdk_eventbridge::Client;
    use tokio::sync::OnceCell;

    use crate::settings::Settings;

    pub const SOURCE: &str = "tsfn";
    pub const DETAIL_TYPE: &str = "tsfn.job.finished";

    /// Built once per process, like the DynamoDB client (`crate::aws`), each call bounded by
    /// `TSFN_NOTIFY_TIMEOUT_MS`.
    async fn client(s: &Settings) -> &'static Client {
        static CLIENT: OnceCell<Client> = OnceCell::const_new();
        CLIENT
            .get_or_init(|| async {
                let attempt = Duration::from_millis(s.notify_timeout_ms);
                let config = crate::aws::config(Some(
                    aws_config::timeout::TimeoutConfig::builder()
                        .operation_attempt_timeout(attempt)
                        .operation_timeout(attempt * 3)
                        .build(),
                ))
                .await;
                Client::new(&config)
            })
            .await
    }

    /// Puts the job's event on `bus`; a refusal is logged, not retried beyond the SDK's own
    /// retries (events are a notification, the job record stays the truth).
    pub async fn put(s: &Settings, bus: &str, body: &[u8], job_id: &str) {
        let entry = PutEventsRequestEntry::builder()
            .source(SOURCE)
            .detail_type(DETAIL_TYPE)
            .detail(String::from_utf8_lossy(body))
            .event_bus_name(bus)
            .build();
        match client(s).await.put_events().entries(entry).send().await {
            Ok(out) if out.failed_entry_count() == 0 => {
                tracing::info!(job = %job_id, bus, "event sent")
            }
            Ok(out) => {
                let why = out
                    .entries()
                    .iter()
                    .filter_map(|e| e.error_message())
                    .collect::<Vec<_>>()
                    .join("; ");
                tracing::warn!(job = %job_id, bus, error = %why, "EventBridge refused the event");
            }
            Err(e) => {
                tracing::warn!(job = %job_id, bus, error = %aws_sdk_eventbridge::error::DisplayErrorContext(&e), "cannot send the event")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_timestamp_and_body() {
        // RFC 4231 test case 2 (key "Jefe").
        assert_eq!(
            mac_hex(b"Jefe", None, b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(
            signature(b"Jefe", 5, b"x"),
            format!("t=5,sha256={}", mac_hex(b"Jefe", None, b"5.x"))
        );
    }
}
