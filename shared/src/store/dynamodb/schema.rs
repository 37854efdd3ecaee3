//! The four tables as `tsfn init-store` creates them (the SAM template declares the same in
//! production), and waiting until DynamoDB has made them ACTIVE.

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType,
    TimeToLiveSpecification, TimeToLiveStatus,
};

use super::conn::{aws_err, Db};
use crate::error::{Error, Result};

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
pub(super) async fn init_tables(d: &Db) -> Result<Vec<String>> {
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
                attr("ag", S)?,
                attr("announce_at", N)?,
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
                .global_secondary_indexes(announce_index()?)
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

/// The sparse index of finished jobs owing their announcement (`ag` = "due", sorted by
/// `announce_at`); keys only, since the sweep reads nothing else there.
fn announce_index() -> Result<GlobalSecondaryIndex> {
    GlobalSecondaryIndex::builder()
        .index_name("announce")
        .key_schema(key("ag", KeyType::Hash)?)
        .key_schema(key("announce_at", KeyType::Range)?)
        .projection(
            Projection::builder()
                .projection_type(ProjectionType::KeysOnly)
                .build(),
        )
        .build()
        .map_err(|e| Error::Internal(e.to_string()))
}

/// Adds the `announce` index to a jobs table created by an earlier version (once the table is
/// ACTIVE, which UpdateTable needs). Returns whether it did.
pub(super) async fn add_announce_index(d: &Db) -> Result<bool> {
    use aws_sdk_dynamodb::types::{CreateGlobalSecondaryIndexAction, GlobalSecondaryIndexUpdate};
    let out = d
        .client
        .describe_table()
        .table_name(d.table("jobs"))
        .send()
        .await
        .map_err(aws_err)?;
    let has = out.table().is_some_and(|t| {
        t.global_secondary_indexes()
            .iter()
            .any(|g| g.index_name() == Some("announce"))
    });
    if has {
        return Ok(false);
    }
    let ix = announce_index()?;
    let create = CreateGlobalSecondaryIndexAction::builder()
        .index_name("announce")
        .set_key_schema(Some(ix.key_schema().to_vec()))
        .set_projection(ix.projection().cloned())
        .build()
        .map_err(|e| Error::Internal(e.to_string()))?;
    d.client
        .update_table()
        .table_name(d.table("jobs"))
        .attribute_definitions(attr("ag", ScalarAttributeType::S)?)
        .attribute_definitions(attr("announce_at", ScalarAttributeType::N)?)
        .global_secondary_index_updates(
            GlobalSecondaryIndexUpdate::builder().create(create).build(),
        )
        .send()
        .await
        .map_err(aws_err)?;
    Ok(true)
}

/// The attribute of the jobs and results tables' TTL (epoch seconds), as the SAM template
/// declares it.
pub(super) const TTL_ATTRIBUTE: &str = "expires_at";

/// Turns on TTL on `expires_at` for the jobs and results tables unless it is on (or turning on);
/// once the tables are ACTIVE, which UpdateTimeToLive needs. Returns the tables changed.
pub(super) async fn enable_ttl(d: &Db) -> Result<Vec<String>> {
    let mut changed = Vec::new();
    for suffix in ["jobs", "results"] {
        let table = d.table(suffix);
        let now = d
            .client
            .describe_time_to_live()
            .table_name(&table)
            .send()
            .await
            .map_err(aws_err)?;
        let on = now.time_to_live_description().is_some_and(|t| {
            t.attribute_name() == Some(TTL_ATTRIBUTE)
                && matches!(
                    t.time_to_live_status(),
                    Some(TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling)
                )
        });
        if on {
            continue;
        }
        let spec = TimeToLiveSpecification::builder()
            .enabled(true)
            .attribute_name(TTL_ATTRIBUTE)
            .build()
            .map_err(|e| Error::Internal(e.to_string()))?;
        d.client
            .update_time_to_live()
            .table_name(&table)
            .time_to_live_specification(spec)
            .send()
            .await
            .map_err(aws_err)?;
        changed.push(table);
    }
    Ok(changed)
}

/// The four tables, by their suffix.
const TABLES: [&str; 4] = ["series", "points", "jobs", "results"];

/// How long `init-store` and `serve` wait for tables that DynamoDB is still creating (tables with
/// indexes take a minute or more on AWS).
pub(super) const ACTIVE_WAIT: std::time::Duration = std::time::Duration::from_secs(300);

/// What keeps a table from use: `None` when it and its indexes are ACTIVE, otherwise a reason
/// such as `missing` or `CREATING` (or `index by_status CREATING`).
async fn not_active(d: &Db, suffix: &str) -> Result<Option<String>> {
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
pub(super) async fn wait_active(
    d: &Db,
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
