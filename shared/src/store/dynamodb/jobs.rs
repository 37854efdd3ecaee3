//! The `jobs` table: key `id`; the job record, `ix` (`{created:015}|{id}`) and `g` = "job", with
//! the indexes `by_status` (status, ix) and `all` (g, ix) for listings. Every status change of
//! `jobs::lifecycle` is a conditional update (a compare-and-set); results are stored in parts
//! (`results`). A finished job gets `expires_at` (epoch seconds, the tables' TTL attribute); an
//! item past it reads as absent, since DynamoDB deletes it only some time later.

use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::ReturnValue;

use super::codec::{get_n, get_s, ix, job_from, n, s, Item};
use super::conn::{aws_err, is_condition_failed, Db};
use super::{results, series};
use crate::error::Result;
use crate::jobs::lifecycle::{gave_up, lease_until, removal};
use crate::jobs::{Claim, Claimed, Job, JobResult, JobStatus, ListCursor, Outcome, Removal};
use crate::store::not_found;

/// Checks the job's series with consistent reads, then puts the job. Not a transaction: one
/// would make concurrent point writes to the series fail with TransactionConflict, and a series
/// deleted between the check and the put only makes the job fail when it runs, as any deletion
/// after submission does.
pub(super) async fn create(d: &Db, job: &Job) -> Result<()> {
    for id in &job.spec.series {
        if series::item(d, id.as_str()).await?.is_none() {
            return Err(not_found(id));
        }
    }
    d.client
        .put_item()
        .table_name(d.table("jobs"))
        .item("id", s(&job.id))
        .item("spec", s(job.spec.to_stored()))
        .item("status", s(job.status.as_str()))
        .item("created", n(job.created))
        .item("attempts", n(0))
        .item("progress", n(0))
        .item("ix", s(ix(job.created, &job.id)))
        .item("g", s("job"))
        .condition_expression("attribute_not_exists(id)")
        .send()
        .await
        .map_err(aws_err)?;
    Ok(())
}

/// When a job finished at `now` expires: epoch seconds, rounded up so it is never early.
fn expires_at(d: &Db, now: i64) -> i64 {
    now.saturating_add(d.job_ttl)
        .saturating_add(999)
        .div_euclid(1000)
}

/// Whether an item past its `expires_at` is still stored (DynamoDB's TTL is lazy).
fn expired(it: &Item, now: i64) -> bool {
    get_n::<i64>(it, "expires_at").is_some_and(|e| e.saturating_mul(1000) <= now)
}

/// The job's item unless it is missing or expired.
async fn item(d: &Db, id: &str) -> Result<Option<Item>> {
    let it = d.item("jobs", id).await?;
    Ok(it.filter(|it| !expired(it, crate::time::now_ms())))
}

pub(super) async fn get(d: &Db, id: &str) -> Result<Option<Job>> {
    item(d, id).await?.as_ref().map(job_from).transpose()
}

pub(super) async fn list(
    d: &Db,
    status: Option<JobStatus>,
    after: Option<ListCursor>,
    limit: usize,
) -> Result<Vec<Job>> {
    let (index, key, value) = match status {
        Some(st) => ("by_status", "#k", s(st.as_str())),
        None => ("all", "#k", s("job")),
    };
    let mut cond = format!("{key} = :k");
    let mut q = d
        .client
        .query()
        .table_name(d.table("jobs"))
        .index_name(index)
        .expression_attribute_names("#k", if status.is_some() { "status" } else { "g" })
        .expression_attribute_values(":k", value)
        // An expired job stays in the indexes until DynamoDB deletes it: filtered out here
        // (`expired`, in seconds). Limit applies before the filter; the loop below pages on.
        .filter_expression("attribute_not_exists(expires_at) OR expires_at > :now")
        .expression_attribute_values(":now", n(crate::time::now_ms().div_euclid(1000)))
        .scan_index_forward(false);
    if let Some(a) = &after {
        cond.push_str(" AND ix < :c");
        q = q.expression_attribute_values(":c", s(ix(a.created, &a.id)));
    }
    let mut out = Vec::new();
    let mut start: Option<Item> = None;
    loop {
        let r = q
            .clone()
            .key_condition_expression(&cond)
            .limit((limit - out.len()) as i32)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(aws_err)?;
        for it in r.items.unwrap_or_default() {
            out.push(job_from(&it)?);
        }
        start = r.last_evaluated_key;
        if start.is_none() || out.len() >= limit {
            return Ok(out);
        }
    }
}

/// Claims one job if it is queued or its lease expired, and it has attempts left.
pub(super) async fn claim(
    d: &Db,
    id: &str,
    worker: &str,
    now: i64,
    lease_ms: i64,
    max_attempts: u32,
) -> Result<Option<Claimed>> {
    let r = d
        .client
        .update_item()
        .table_name(d.table("jobs"))
        .key("id", s(id))
        .update_expression("SET #st = :running, #w = :w, attempts = attempts + :one, started = :now, lease_until = :lease, progress = :zero")
        .condition_expression("(#st = :queued OR (#st = :running AND lease_until < :now)) AND attempts < :max")
        .expression_attribute_names("#st", "status")
        .expression_attribute_names("#w", "worker")
        .expression_attribute_values(":running", s("running"))
        .expression_attribute_values(":queued", s("queued"))
        .expression_attribute_values(":w", s(worker))
        .expression_attribute_values(":one", n(1))
        .expression_attribute_values(":zero", n(0))
        .expression_attribute_values(":now", n(now))
        .expression_attribute_values(":lease", n(lease_until(now, lease_ms)))
        .expression_attribute_values(":max", n(max_attempts))
        .return_values(ReturnValue::AllNew)
        .send()
        .await;
    match r {
        Ok(out) => {
            let job = job_from(&out.attributes.unwrap_or_default())?;
            Ok(Some(Claimed::new(job, worker, "")))
        }
        Err(e) if is_condition_failed(&e) => {
            give_up_if_exhausted(d, id, now, max_attempts).await?;
            Ok(None)
        }
        Err(e) => Err(aws_err(e)),
    }
}

/// A runnable job whose attempts are used up fails with a message instead of looping.
async fn give_up_if_exhausted(d: &Db, id: &str, now: i64, max_attempts: u32) -> Result<()> {
    let r = d
        .client
        .update_item()
        .table_name(d.table("jobs"))
        .key("id", s(id))
        .update_expression(
            "SET #st = :failed, finished = :now, #e = :msg, expires_at = :exp, ag = :ag, announce_at = :now REMOVE lease_until",
        )
        .condition_expression(
            "(#st = :queued OR (#st = :running AND lease_until < :now)) AND attempts >= :max",
        )
        .expression_attribute_names("#st", "status")
        .expression_attribute_names("#e", "error")
        .expression_attribute_values(":failed", s("failed"))
        .expression_attribute_values(":queued", s("queued"))
        .expression_attribute_values(":running", s("running"))
        .expression_attribute_values(":now", n(now))
        .expression_attribute_values(":max", n(max_attempts))
        .expression_attribute_values(":msg", s(gave_up(max_attempts)))
        .expression_attribute_values(":exp", n(expires_at(d, now)))
        // Its announcement is due at once.
        .expression_attribute_values(":ag", s(ANNOUNCE_DUE))
        .send()
        .await;
    match r {
        Ok(_) => Ok(()),
        Err(e) if is_condition_failed(&e) => Ok(()),
        Err(e) => Err(aws_err(e)),
    }
}

pub(super) async fn claim_next(
    d: &Db,
    worker: &str,
    now: i64,
    lease_ms: i64,
    max_attempts: u32,
) -> Result<Option<Claimed>> {
    for (status, expired_only) in [("queued", false), ("running", true)] {
        let mut start = None;
        loop {
            let mut q = d
                .client
                .query()
                .table_name(d.table("jobs"))
                .index_name("by_status")
                .key_condition_expression("#st = :st")
                .expression_attribute_names("#st", "status")
                .expression_attribute_values(":st", s(status))
                .projection_expression("id")
                .set_exclusive_start_key(start)
                .limit(16);
            if expired_only {
                q = q
                    .filter_expression("lease_until < :now")
                    .expression_attribute_values(":now", n(now));
            }
            let r = q.send().await.map_err(aws_err)?;
            for it in r.items.unwrap_or_default() {
                let Some(id) = get_s(&it, "id") else { continue };
                if let Some(claimed) = claim(d, id, worker, now, lease_ms, max_attempts).await? {
                    return Ok(Some(claimed));
                }
            }
            // Queued jobs: the first page is enough (the next call sees the rest). Running
            // jobs: the limit applies before the lease filter, so an expired lease can sit
            // behind a page of live ones; walk them all (at most one per busy worker).
            start = r.last_evaluated_key;
            if !expired_only || start.is_none() {
                break;
            }
        }
    }
    Ok(None)
}

/// The update part shared by every compare-and-set on a claim.
fn on_claim(b: UpdateItemFluentBuilder, c: &Claim) -> UpdateItemFluentBuilder {
    b.key("id", s(&c.job_id))
        .condition_expression("#st = :running AND #w = :w AND attempts = :a")
        .expression_attribute_names("#st", "status")
        .expression_attribute_names("#w", "worker")
        .expression_attribute_values(":running", s("running"))
        .expression_attribute_values(":w", s(&c.worker))
        .expression_attribute_values(":a", n(c.attempt))
}

async fn cas(b: UpdateItemFluentBuilder) -> Result<bool> {
    match b.send().await {
        Ok(_) => Ok(true),
        Err(e) if is_condition_failed(&e) => Ok(false),
        Err(e) => Err(aws_err(e)),
    }
}

pub(super) async fn renew(
    d: &Db,
    c: &Claim,
    now: i64,
    lease_ms: i64,
    progress: u8,
) -> Result<bool> {
    let b = d
        .client
        .update_item()
        .table_name(d.table("jobs"))
        .update_expression("SET lease_until = :lease, progress = :p")
        .expression_attribute_values(":lease", n(lease_until(now, lease_ms)))
        .expression_attribute_values(":p", n(progress));
    cas(on_claim(b, c)).await
}

pub(super) async fn finish(
    d: &Db,
    c: &Claim,
    outcome: &Outcome,
    now: i64,
    announce_at: Option<i64>,
) -> Result<bool> {
    let b = d.client.update_item().table_name(d.table("jobs"));
    // An owed announcement puts the item in the sparse `announce` index.
    let announce = if announce_at.is_some() {
        ", ag = :ag, announce_at = :ann"
    } else {
        ""
    };
    let b = match outcome {
        Outcome::Succeeded { content_type, data } => {
            // Parts first: the status says succeeded only once the whole result is stored.
            let parts = results::put(d, &c.job_id, data, expires_at(d, now)).await?;
            b.update_expression(format!("SET #st = :done, finished = :now, progress = :hundred, result_size = :size, result_type = :type, result_parts = :parts, expires_at = :exp{announce} REMOVE lease_until"))
                .expression_attribute_values(":done", s("succeeded"))
                .expression_attribute_values(":size", n(data.len()))
                .expression_attribute_values(":type", s(content_type))
                .expression_attribute_values(":parts", n(parts))
        }
        Outcome::Failed { error } => b
            .update_expression(format!("SET #st = :done, finished = :now, progress = :hundred, #e = :err, expires_at = :exp{announce} REMOVE lease_until"))
            .expression_attribute_names("#e", "error")
            .expression_attribute_values(":done", s("failed"))
            .expression_attribute_values(":err", s(error)),
    };
    let mut b = b
        .expression_attribute_values(":now", n(now))
        .expression_attribute_values(":exp", n(expires_at(d, now)))
        .expression_attribute_values(":hundred", n(100));
    if let Some(at) = announce_at {
        b = b
            .expression_attribute_values(":ag", s(ANNOUNCE_DUE))
            .expression_attribute_values(":ann", n(at));
    }
    cas(on_claim(b, c)).await
}

/// The partition key of the sparse `announce` index: present only on finished jobs that owe
/// their announcement, sorted there by `announce_at`.
pub(super) const ANNOUNCE_DUE: &str = "due";

/// Reads due entries of the `announce` index (eventually consistent, so an entry may show
/// late), then takes each with a compare-and-set on its `announce_at`: a job another sweep
/// took meanwhile is skipped.
pub(super) async fn take_due_announcements(
    d: &Db,
    now: i64,
    retry_at: i64,
    limit: usize,
) -> Result<Vec<String>> {
    let r = d
        .client
        .query()
        .table_name(d.table("jobs"))
        .index_name("announce")
        .key_condition_expression("ag = :ag AND announce_at <= :now")
        .expression_attribute_values(":ag", s(ANNOUNCE_DUE))
        .expression_attribute_values(":now", n(now))
        .limit(limit.clamp(1, 1000) as i32)
        .send()
        .await
        .map_err(aws_err)?;
    let mut taken = Vec::new();
    for it in r.items.unwrap_or_default() {
        let (Some(id), Some(at)) = (get_s(&it, "id"), get_n::<i64>(&it, "announce_at")) else {
            continue;
        };
        let b = d
            .client
            .update_item()
            .table_name(d.table("jobs"))
            .key("id", s(id))
            .update_expression("SET announce_at = :retry")
            .condition_expression("announce_at = :at")
            .expression_attribute_values(":retry", n(retry_at))
            .expression_attribute_values(":at", n(at));
        if cas(b).await? {
            taken.push(id.to_owned());
        }
    }
    Ok(taken)
}

/// Conditional on the item existing, so a deleted job is not brought back as a bare spec.
pub(super) async fn announced(
    d: &Db,
    id: &str,
    spec: Option<&crate::jobs::JobSpec>,
) -> Result<bool> {
    let mut b = d
        .client
        .update_item()
        .table_name(d.table("jobs"))
        .key("id", s(id))
        .condition_expression("attribute_exists(id)");
    b = match spec {
        Some(spec) => b
            .update_expression("SET spec = :spec REMOVE ag, announce_at")
            .expression_attribute_values(":spec", s(spec.to_stored())),
        None => b.update_expression("REMOVE ag, announce_at"),
    };
    cas(b).await
}

pub(super) async fn release(d: &Db, c: &Claim) -> Result<bool> {
    let b = d
        .client
        .update_item()
        .table_name(d.table("jobs"))
        .update_expression("SET #st = :queued, progress = :zero, attempts = attempts - :one REMOVE #w, started, lease_until")
        .expression_attribute_values(":queued", s("queued"))
        .expression_attribute_values(":zero", n(0))
        .expression_attribute_values(":one", n(1));
    cas(on_claim(b, c)).await
}

pub(super) async fn result(d: &Db, id: &str) -> Result<Option<JobResult>> {
    let Some(job) = item(d, id).await? else {
        return Ok(None);
    };
    let (Some(ctype), Some(parts)) = (
        get_s(&job, "result_type"),
        get_n::<usize>(&job, "result_parts"),
    ) else {
        return Ok(None);
    };
    let size = get_n::<usize>(&job, "result_size").unwrap_or(0);
    let data = results::read(d, id, parts, size).await?;
    Ok(Some(JobResult {
        content_type: ctype.to_owned(),
        data,
    }))
}

pub(super) async fn remove(d: &Db, id: &str) -> Result<Removal> {
    let Some(it) = item(d, id).await? else {
        return Ok(Removal::NotFound);
    };
    let status = JobStatus::parse(get_s(&it, "status").unwrap_or("failed"))?;
    let outcome = removal(Some(status));
    if outcome == Removal::Running {
        return Ok(outcome);
    }
    let r = d
        .client
        .delete_item()
        .table_name(d.table("jobs"))
        .key("id", s(id))
        .condition_expression("#st = :st")
        .expression_attribute_names("#st", "status")
        .expression_attribute_values(":st", s(status.as_str()))
        .send()
        .await;
    match r {
        Ok(_) => {}
        // Claimed between the read and the delete: it is running now.
        Err(e) if is_condition_failed(&e) => return Ok(Removal::Running),
        Err(e) => return Err(aws_err(e)),
    }
    results::delete(d, id, get_n::<usize>(&it, "result_parts").unwrap_or(0)).await?;
    Ok(outcome)
}

/// Queued jobs, counted on the `by_status` index (Select COUNT: no item is returned), page by
/// page until `at_most`.
pub(super) async fn count_queued(d: &Db, at_most: u64) -> Result<u64> {
    let mut total = 0u64;
    let mut start: Option<Item> = None;
    loop {
        let r = d
            .client
            .query()
            .table_name(d.table("jobs"))
            .index_name("by_status")
            .key_condition_expression("#st = :st")
            .expression_attribute_names("#st", "status")
            .expression_attribute_values(":st", s("queued"))
            .select(aws_sdk_dynamodb::types::Select::Count)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(aws_err)?;
        total += r.count.max(0) as u64;
        start = r.last_evaluated_key;
        if start.is_none() || total >= at_most {
            return Ok(total);
        }
    }
}
