//! The job half of the DynamoDB backend: conditional updates for every status change, the two
//! listing indexes, results in parts, and `init-store` (table creation).

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ReturnValue, ScalarAttributeType, StreamSpecification, StreamViewType,
};

use super::dynamo::{aws_err, get_n, get_s, is_condition_failed, n, s, DynamoStore, Item};
use super::not_found;
use crate::error::{Error, Result};
use crate::jobs::{
    Claim, Claimed, Job, JobResult, JobSpec, JobStatus, ListCursor, Outcome, Removal,
};

/// Result bytes per item: below the 400 KB item limit with room for the keys.
const PART_BYTES: usize = 350 * 1024;

fn ix(created: i64, id: &str) -> String {
    format!("{created:015}|{id}")
}

fn job_from(item: &Item) -> Result<Job> {
    let bad = |what: &str| Error::Internal(format!("corrupt job item: {what}"));
    Ok(Job {
        id: get_s(item, "id").ok_or_else(|| bad("id"))?.to_owned(),
        spec: JobSpec::from_stored(get_s(item, "spec").ok_or_else(|| bad("spec"))?)?,
        status: JobStatus::parse(get_s(item, "status").ok_or_else(|| bad("status"))?)?,
        created: get_n(item, "created").ok_or_else(|| bad("created"))?,
        started: get_n(item, "started"),
        finished: get_n(item, "finished"),
        worker: get_s(item, "worker").map(str::to_owned),
        attempts: get_n(item, "attempts").unwrap_or(0),
        progress: get_n(item, "progress").unwrap_or(0),
        error: get_s(item, "error").map(str::to_owned),
        result_size: get_n(item, "result_size"),
        result_type: get_s(item, "result_type").map(str::to_owned),
        lease_until: get_n(item, "lease_until"),
    })
}

/// Checks the job's series with consistent reads, then puts the job. Not a transaction: one
/// would make concurrent point writes to the series fail with TransactionConflict, and a series
/// deleted between the check and the put only makes the job fail when it runs, as any deletion
/// after submission does.
pub(super) async fn create(d: &DynamoStore, job: &Job) -> Result<()> {
    for id in &job.spec.series {
        if d.series_item(id.as_str()).await?.is_none() {
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

async fn item(d: &DynamoStore, id: &str) -> Result<Option<Item>> {
    let out = d
        .client
        .get_item()
        .table_name(d.table("jobs"))
        .key("id", s(id))
        .consistent_read(true)
        .send()
        .await
        .map_err(aws_err)?;
    Ok(out.item)
}

pub(super) async fn get(d: &DynamoStore, id: &str) -> Result<Option<Job>> {
    item(d, id).await?.as_ref().map(job_from).transpose()
}

pub(super) async fn list(
    d: &DynamoStore,
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
    d: &DynamoStore,
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
        .expression_attribute_values(":lease", n(now + lease_ms))
        .expression_attribute_values(":max", n(max_attempts))
        .return_values(ReturnValue::AllNew)
        .send()
        .await;
    match r {
        Ok(out) => {
            let job = job_from(&out.attributes.unwrap_or_default())?;
            let claim = Claim {
                job_id: id.to_owned(),
                worker: worker.to_owned(),
                attempt: job.attempts,
                receipt: String::new(),
            };
            Ok(Some(Claimed { job, claim }))
        }
        Err(e) if is_condition_failed(&e) => {
            give_up_if_exhausted(d, id, now, max_attempts).await?;
            Ok(None)
        }
        Err(e) => Err(aws_err(e)),
    }
}

/// A runnable job whose attempts are used up fails with a message instead of looping.
async fn give_up_if_exhausted(
    d: &DynamoStore,
    id: &str,
    now: i64,
    max_attempts: u32,
) -> Result<()> {
    let r = d
        .client
        .update_item()
        .table_name(d.table("jobs"))
        .key("id", s(id))
        .update_expression("SET #st = :failed, finished = :now, #e = :msg REMOVE lease_until")
        .condition_expression("(#st = :queued OR (#st = :running AND lease_until < :now)) AND attempts >= :max")
        .expression_attribute_names("#st", "status")
        .expression_attribute_names("#e", "error")
        .expression_attribute_values(":failed", s("failed"))
        .expression_attribute_values(":queued", s("queued"))
        .expression_attribute_values(":running", s("running"))
        .expression_attribute_values(":now", n(now))
        .expression_attribute_values(":max", n(max_attempts))
        .expression_attribute_values(
            ":msg",
            s(format!("gave up after {max_attempts} attempts: the worker running it stopped (crash or timeout) each time")),
        )
        .send()
        .await;
    match r {
        Ok(_) => Ok(()),
        Err(e) if is_condition_failed(&e) => Ok(()),
        Err(e) => Err(aws_err(e)),
    }
}

pub(super) async fn claim_next(
    d: &DynamoStore,
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
fn on_claim(
    b: aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder,
    c: &Claim,
) -> aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder {
    b.key("id", s(&c.job_id))
        .condition_expression("#st = :running AND #w = :w AND attempts = :a")
        .expression_attribute_names("#st", "status")
        .expression_attribute_names("#w", "worker")
        .expression_attribute_values(":running", s("running"))
        .expression_attribute_values(":w", s(&c.worker))
        .expression_attribute_values(":a", n(c.attempt))
}

async fn cas(
    b: aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder,
) -> Result<bool> {
    match b.send().await {
        Ok(_) => Ok(true),
        Err(e) if is_condition_failed(&e) => Ok(false),
        Err(e) => Err(aws_err(e)),
    }
}

pub(super) async fn renew(
    d: &DynamoStore,
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
        .expression_attribute_values(":lease", n(now + lease_ms))
        .expression_attribute_values(":p", n(progress));
    cas(on_claim(b, c)).await
}

pub(super) async fn finish(
    d: &DynamoStore,
    c: &Claim,
    outcome: &Outcome,
    now: i64,
) -> Result<bool> {
    let b = d.client.update_item().table_name(d.table("jobs"));
    let b = match outcome {
        Outcome::Succeeded { content_type, data } => {
            // Parts first: the status says succeeded only once the whole result is stored.
            let parts = data.chunks(PART_BYTES).collect::<Vec<_>>();
            for (i, part) in parts.iter().enumerate() {
                d.client
                    .put_item()
                    .table_name(d.table("results"))
                    .item("id", s(&c.job_id))
                    .item("part", n(i))
                    .item("data", aws_sdk_dynamodb::types::AttributeValue::B(aws_sdk_dynamodb::primitives::Blob::new(part.to_vec())))
                    .send()
                    .await
                    .map_err(aws_err)?;
            }
            b.update_expression("SET #st = :done, finished = :now, progress = :hundred, result_size = :size, result_type = :type, result_parts = :parts REMOVE lease_until")
                .expression_attribute_values(":done", s("succeeded"))
                .expression_attribute_values(":size", n(data.len()))
                .expression_attribute_values(":type", s(content_type))
                .expression_attribute_values(":parts", n(parts.len()))
        }
        Outcome::Failed { error } => b
            .update_expression("SET #st = :done, finished = :now, progress = :hundred, #e = :err REMOVE lease_until")
            .expression_attribute_names("#e", "error")
            .expression_attribute_values(":done", s("failed"))
            .expression_attribute_values(":err", s(error)),
    };
    let b = b
        .expression_attribute_values(":now", n(now))
        .expression_attribute_values(":hundred", n(100));
    cas(on_claim(b, c)).await
}

pub(super) async fn release(d: &DynamoStore, c: &Claim) -> Result<bool> {
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

pub(super) async fn result(d: &DynamoStore, id: &str) -> Result<Option<JobResult>> {
    let Some(job) = item(d, id).await? else {
        return Ok(None);
    };
    let (Some(ctype), Some(parts)) = (
        get_s(&job, "result_type"),
        get_n::<usize>(&job, "result_parts"),
    ) else {
        return Ok(None);
    };
    let mut data = Vec::with_capacity(get_n::<usize>(&job, "result_size").unwrap_or(0));
    let mut start: Option<Item> = None;
    let mut seen = 0;
    loop {
        let r = d
            .client
            .query()
            .table_name(d.table("results"))
            .key_condition_expression("id = :id AND part < :n")
            .expression_attribute_values(":id", s(id))
            .expression_attribute_values(":n", n(parts))
            .consistent_read(true)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(aws_err)?;
        for it in r.items.unwrap_or_default() {
            let blob = it
                .get("data")
                .and_then(|v| v.as_b().ok())
                .ok_or_else(|| Error::Internal("result part without data".into()))?;
            data.extend_from_slice(blob.as_ref());
            seen += 1;
        }
        start = r.last_evaluated_key;
        if start.is_none() {
            break;
        }
    }
    if seen != parts {
        return Err(Error::Internal(format!(
            "result of job {id} has {seen} of {parts} parts"
        )));
    }
    Ok(Some(JobResult {
        content_type: ctype.to_owned(),
        data,
    }))
}

pub(super) async fn remove(d: &DynamoStore, id: &str) -> Result<Removal> {
    let Some(it) = item(d, id).await? else {
        return Ok(Removal::NotFound);
    };
    let status = JobStatus::parse(get_s(&it, "status").unwrap_or("failed"))?;
    if status == JobStatus::Running {
        return Ok(Removal::Running);
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
    for part in 0..get_n::<usize>(&it, "result_parts").unwrap_or(0) {
        d.client
            .delete_item()
            .table_name(d.table("results"))
            .key("id", s(id))
            .key("part", n(part))
            .send()
            .await
            .map_err(aws_err)?;
    }
    Ok(if status == JobStatus::Queued {
        Removal::Cancelled
    } else {
        Removal::Deleted
    })
}

fn key(name: &str, t: KeyType) -> Result<KeySchemaElement> {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(t)
        .build()
        .map_err(|e| Error::Internal(e.to_string()))
}

fn attr(name: &str, t: ScalarAttributeType) -> Result<AttributeDefinition> {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(t)
        .build()
        .map_err(|e| Error::Internal(e.to_string()))
}

/// Creates the four tables unless they exist (`tsfn init-store`). Returns the names created.
pub async fn init_tables(d: &DynamoStore) -> Result<Vec<String>> {
    use KeyType::{Hash, Range};
    use ScalarAttributeType::{N, S};
    let all = Projection::builder()
        .projection_type(ProjectionType::All)
        .build();
    let gsi = |name: &str, pk: &str| -> Result<GlobalSecondaryIndex> {
        GlobalSecondaryIndex::builder()
            .index_name(name)
            .key_schema(key(pk, Hash)?)
            .key_schema(key("ix", Range)?)
            .projection(all.clone())
            .build()
            .map_err(|e| Error::Internal(e.to_string()))
    };
    let stream = StreamSpecification::builder()
        .stream_enabled(true)
        .stream_view_type(StreamViewType::NewImage)
        .build()
        .map_err(|e| Error::Internal(e.to_string()))?;
    let tables = [
        ("series", vec![key("id", Hash)?], vec![attr("id", S)?]),
        (
            "points",
            vec![key("s", Hash)?, key("t", Range)?],
            vec![attr("s", S)?, attr("t", N)?],
        ),
        (
            "jobs",
            vec![key("id", Hash)?],
            vec![
                attr("id", S)?,
                attr("status", S)?,
                attr("ix", S)?,
                attr("g", S)?,
            ],
        ),
        (
            "results",
            vec![key("id", Hash)?, key("part", Range)?],
            vec![attr("id", S)?, attr("part", N)?],
        ),
    ];
    let mut created = Vec::new();
    for (name, keys, attrs) in tables {
        let mut b = d
            .client
            .create_table()
            .table_name(d.table(name))
            .billing_mode(BillingMode::PayPerRequest)
            .set_key_schema(Some(keys))
            .set_attribute_definitions(Some(attrs));
        if name == "jobs" {
            b = b
                .global_secondary_indexes(gsi("by_status", "status")?)
                .global_secondary_indexes(gsi("all", "g")?)
                .stream_specification(stream.clone());
        }
        match b.send().await {
            Ok(_) => created.push(d.table(name)),
            Err(e) if e.code() == Some("ResourceInUseException") => {}
            Err(e) => return Err(aws_err(e)),
        }
    }
    Ok(created)
}

use aws_sdk_dynamodb::error::ProvideErrorMetadata;

/// The four tables, by their suffix.
pub(super) const TABLES: [&str; 4] = ["series", "points", "jobs", "results"];

/// How long `init-store` and `serve` wait for tables that DynamoDB is still creating (tables with
/// indexes take a minute or more on AWS).
pub const ACTIVE_WAIT: std::time::Duration = std::time::Duration::from_secs(300);

/// What keeps a table from use: `None` when it and its indexes are ACTIVE, otherwise a reason
/// such as `missing` or `CREATING` (or `index by_status CREATING`).
async fn not_active(d: &DynamoStore, suffix: &str) -> Result<Option<String>> {
    let out = match d
        .client
        .describe_table()
        .table_name(d.table(suffix))
        .send()
        .await
    {
        Ok(out) => out,
        Err(e) if e.code() == Some("ResourceNotFoundException") => {
            return Ok(Some("missing".into()))
        }
        Err(e) => return Err(aws_err(e)),
    };
    let Some(t) = out.table else {
        return Ok(Some("missing".into()));
    };
    let status = t.table_status.as_ref().map(|s| s.as_str().to_owned());
    if status.as_deref() != Some("ACTIVE") {
        return Ok(Some(status.unwrap_or_else(|| "in an unknown state".into())));
    }
    for g in t.global_secondary_indexes() {
        let st = g.index_status.as_ref().map(|s| s.as_str()).unwrap_or("");
        if st != "ACTIVE" {
            return Ok(Some(format!(
                "index {} {st}",
                g.index_name().unwrap_or("?")
            )));
        }
    }
    Ok(None)
}

/// Waits until every table and index is ACTIVE, at most `bound`, calling `say` with each new
/// reason it waits for. A missing table is an error unless `wait_missing` (right after
/// `create_table`, a table may not be visible yet on every endpoint).
pub async fn wait_active(
    d: &DynamoStore,
    bound: std::time::Duration,
    wait_missing: bool,
    say: &mut (dyn for<'a> FnMut(&'a str) + Send),
) -> Result<()> {
    let deadline = tokio::time::Instant::now() + bound;
    let mut last_said = String::new();
    loop {
        let mut waiting = Vec::new();
        for suffix in TABLES {
            if let Some(why) = not_active(d, suffix).await? {
                if why == "missing" && !wait_missing {
                    return Err(Error::Unavailable(format!(
                        "dynamodb table {} is missing: create the tables with `tsfn init-store`",
                        d.table(suffix)
                    )));
                }
                waiting.push(format!("{} ({why})", d.table(suffix)));
            }
        }
        if waiting.is_empty() {
            return Ok(());
        }
        let line = format!(
            "waiting for dynamodb tables to be ACTIVE: {}",
            waiting.join(", ")
        );
        if tokio::time::Instant::now() >= deadline {
            return Err(Error::Unavailable(format!(
                "dynamodb tables not ACTIVE after {} s: {}",
                bound.as_secs(),
                waiting.join(", ")
            )));
        }
        if line != last_said {
            say(&line);
            last_said = line;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
}
