//! `tsfn gather`: one `.tar.gz` holding what someone debugging a deployment asks for first, made
//! with the same settings the deployment runs with (in a pod: `kubectl exec`, docs/deploy.md).
//! Nothing in it is a secret: keys and passwords are replaced by `<redacted>`.
//!
//! - `version.json`: version, target, build profile, store backends compiled in;
//! - `settings.json`: every setting, its effective value and where it came from (flag,
//!   environment, default);
//! - `store.json`: whether the store answers (and how fast), its series and points, the largest
//!   series, and the backend's own sizes;
//! - `queue.json`: jobs by status, the running ones with their workers and leases, the oldest
//!   queued job;
//! - `failed-jobs.json`: the most recent failed jobs with their errors.

use std::io::Write;
use std::time::Instant;

use clap::ArgMatches;
use serde_json::{json, Value};
use tsfn_shared::jobs::{Job, JobStatus, JobView};
use tsfn_shared::settings::Settings;
use tsfn_shared::{time, App};

/// Jobs read per status: enough to see a backlog's shape without reading a huge queue whole.
const JOBS_PER_STATUS: usize = 1000;
const FAILED_SHOWN: usize = 50;

pub async fn write(settings: Settings, matches: &ArgMatches, out: &str) -> Result<(), String> {
    let files = collect(settings, matches).await;
    let bytes = bundle(&files).map_err(|e| format!("writing the bundle: {e}"))?;
    if out == "-" {
        std::io::stdout()
            .write_all(&bytes)
            .map_err(|e| e.to_string())?;
    } else {
        std::fs::write(out, &bytes).map_err(|e| format!("cannot write {out}: {e}"))?;
        eprintln!(
            "wrote {out} ({} bytes): {}",
            bytes.len(),
            files.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
        );
    }
    Ok(())
}

fn bundle(files: &[(&str, Value)]) -> std::io::Result<Vec<u8>> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    let now = (time::now_ms() / 1000) as u64;
    for (name, value) in files {
        let data = serde_json::to_vec_pretty(value).expect("JSON values serialize");
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(now);
        tar.append_data(&mut header, format!("tsfn-gather/{name}"), data.as_slice())?;
    }
    tar.into_inner()?.finish()
}

async fn collect(settings: Settings, matches: &ArgMatches) -> Vec<(&'static str, Value)> {
    let mut files = vec![
        ("version.json", version()),
        ("settings.json", settings_json(matches)),
    ];
    let store_url = redact_url(&settings.store);
    let app = match App::new(settings).await {
        Ok(app) => app,
        Err(e) => {
            files.push((
                "store.json",
                json!({"store": store_url, "reachable": false, "error": e.to_string()}),
            ));
            return files;
        }
    };
    files.push(("store.json", store_json(&app, &store_url).await));
    let (queue, failed) = queue_json(&app).await;
    files.push(("queue.json", queue));
    files.push(("failed-jobs.json", failed));
    files
}

fn version() -> Value {
    json!({
        "name": "tsfn",
        "version": env!("CARGO_PKG_VERSION"),
        "target": format!("{}-{}", std::env::consts::ARCH, std::env::consts::OS),
        "profile": if cfg!(debug_assertions) { "debug" } else { "release" },
        "backends": tsfn_shared::store::compiled_backends(),
        "gathered": time::format(time::now_ms()),
    })
}

/// Every setting by its variable, from clap's own record of where each value came from.
fn settings_json(matches: &ArgMatches) -> Value {
    let mut out = serde_json::Map::new();
    let cmd = tsfn_shared::settings::prepare(<Settings as clap::Args>::augment_args(
        clap::Command::new("tsfn"),
    ));
    for arg in cmd.get_arguments() {
        let id = arg.get_id().as_str();
        let name = arg
            .get_env()
            .map(|e| e.to_string_lossy().into_owned())
            .unwrap_or_else(|| id.to_owned());
        let source = match matches.value_source(id) {
            Some(clap::parser::ValueSource::CommandLine) => "flag",
            Some(clap::parser::ValueSource::EnvVariable) => "environment",
            Some(clap::parser::ValueSource::DefaultValue) => "default",
            _ => "unset",
        };
        let raw: Option<String> = matches
            .get_raw(id)
            .and_then(|mut v| v.next())
            .map(|v| v.to_string_lossy().into_owned());
        let value = match raw {
            None => Value::Null,
            // The settings that hold keys or their hashes.
            Some(_) if arg.is_hide_env_values_set() => "<redacted>".into(),
            Some(v) if name == "TSFN_STORE" => redact_url(&v).into(),
            Some(v) => v.into(),
        };
        out.insert(name, json!({"value": value, "from": source}));
    }
    Value::Object(out)
}

/// A URL's password (`redis://user:pass@host`) replaced.
fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((auth, host)) if auth.contains(':') => {
            let user = auth.split(':').next().unwrap_or("");
            format!("{scheme}://{user}:<redacted>@{host}")
        }
        _ => url.to_owned(),
    }
}

async fn store_json(app: &App, store_url: &str) -> Value {
    let started = Instant::now();
    let ping = app.store.ping().await;
    let ping_ms = started.elapsed().as_secs_f64() * 1e3;
    let mut out = json!({
        "store": store_url,
        "backend": app.store.backend(),
        "reachable": ping.is_ok(),
        "ping_ms": ping_ms,
    });
    if let Err(e) = ping {
        out["error"] = e.to_string().into();
    }
    match app.store.list_series().await {
        Ok(mut series) => {
            out["series"] = series.len().into();
            out["points"] = series.iter().map(|s| s.count).sum::<u64>().into();
            series.sort_by_key(|s| std::cmp::Reverse(s.count));
            out["largest_series"] = series
                .iter()
                .take(10)
                .map(|s| json!({"id": s.id.as_str(), "points": s.count}))
                .collect();
        }
        Err(e) => out["series_error"] = e.to_string().into(),
    }
    match app.store.usage().await {
        Ok(usage) => out["usage"] = usage,
        Err(e) => out["usage_error"] = e.to_string().into(),
    }
    out
}

async fn queue_json(app: &App) -> (Value, Value) {
    let mut counts = serde_json::Map::new();
    let mut queue = json!({});
    let mut failed = json!([]);
    let now = time::now_ms();
    for status in [
        JobStatus::Queued,
        JobStatus::Running,
        JobStatus::Succeeded,
        JobStatus::Failed,
    ] {
        let jobs = match app
            .store
            .list_jobs(Some(status), None, JOBS_PER_STATUS)
            .await
        {
            Ok(jobs) => jobs,
            Err(e) => {
                queue["error"] = e.to_string().into();
                continue;
            }
        };
        // At the cap, the count is a lower bound: say so rather than print a wrong total.
        let count = if jobs.len() == JOBS_PER_STATUS {
            json!(format!("{JOBS_PER_STATUS} or more"))
        } else {
            json!(jobs.len())
        };
        counts.insert(status.as_str().to_owned(), count);
        match status {
            JobStatus::Queued => {
                // Newest first: the oldest is the last.
                if let Some(oldest) = jobs.last() {
                    queue["oldest_queued"] = json!({
                        "id": oldest.id,
                        "created": time::format(oldest.created),
                        "waiting_s": (now - oldest.created) as f64 / 1e3,
                    });
                }
            }
            JobStatus::Running => queue["running"] = jobs.iter().map(running).collect(),
            JobStatus::Failed => {
                failed = jobs
                    .iter()
                    .take(FAILED_SHOWN)
                    .map(|j| serde_json::to_value(JobView::from(j)).expect("views serialize"))
                    .collect();
            }
            _ => {}
        }
    }
    queue["counts"] = Value::Object(counts);
    (queue, failed)
}

fn running(j: &Job) -> Value {
    json!({
        "id": j.id,
        "kind": j.spec.kind.name(),
        "worker": j.worker,
        "attempts": j.attempts,
        "progress": j.progress,
        "started": j.started.map(time::format),
        "lease_until": j.lease_until.map(time::format),
        "lease_expired": j.lease_until.is_some_and(|l| l < time::now_ms()),
    })
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact_url("redis://u:secret@h:6379/0"),
            "redis://u:<redacted>@h:6379/0"
        );
        assert_eq!(
            redact_url("redis://:secret@h:6379"),
            "redis://:<redacted>@h:6379"
        );
        assert_eq!(redact_url("redis://h:6379/0"), "redis://h:6379/0");
        assert_eq!(redact_url("sqlite://./x.db"), "sqlite://./x.db");
    }
}
