//! The `points` table: one item per chunk (`crate::chunk`), partition `s` (series id), sort `t`
//! (the chunk's first time), `c` the chunk's bytes, `n` its point count, `e` its last time.
//! Items of earlier versions (one per point: `v`, no `c`) are read as one-point chunks, which
//! they are; `tsfn init-store` compacts them (`compact`).
//!
//! Reads are consistent Queries: the last item with `t` at or before the range's start
//! (descending, `Limit` 1) and the items starting inside the range, paged with
//! `LastEvaluatedKey`. A write reads the series item (its version `ver`) and then the chunks
//! its span touches, plans (`chunk::plan_write`), and commits with TransactWriteItems: Puts of
//! the new chunks, Deletes of the removed starts, and an Update of the series item that checks
//! `ver` is still what was read, increments it and adds the points gained to its `n`. A writer
//! that lost to a concurrent one reads and plans again after a short random pause, for up to
//! 10 s, then answers 503. A plan too large for one transaction (100 items, 4 MB) is committed
//! in several, each a complete change of its own (a run of the body's first points), with the
//! expected version kept in step; so a body whose changes fit one transaction is all or
//! nothing, and a larger one that fails part-way says how many of its points were written.

use std::time::{Duration, Instant};

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{Delete, Put, TransactWriteItem, Update};

use super::codec::{chunk_item, chunk_of, get_n, is_point_item, n, points_in_item, s, Item};
use super::conn::{aws_err, Db};
use crate::chunk::{self, Chunk, Plan};
use crate::error::{Error, Result};
use crate::model::{Order, Point, Range, SeriesId, SeriesMeta};
use crate::store::not_found;

/// Actions in one TransactWriteItems call, at most (DynamoDB's limit); one of them is the
/// series item's.
pub(super) const TX_ITEMS: usize = 100;
/// Bytes of chunks in one transaction, at most: DynamoDB allows 4 MB of items per transaction,
/// and this leaves room for keys and attribute names.
const TX_BYTES: usize = 3_500_000;
/// What an item costs a transaction besides its chunk's bytes (key, attribute names, numbers),
/// generously.
const ITEM_OVERHEAD: usize = 400;
/// Points a write first tries to put in one transaction: 96 full chunks, so a body appended in
/// time order fits with room to spare.
const FIRST_TRY: usize = 96 * chunk::MAX_POINTS;

/// How long a write keeps planning again after losing to concurrent writers of the same
/// series (since its last progress) before answering 503. Between attempts it waits a random,
/// growing pause, so racing writers spread out and each gets through.
const RETRY_FOR: Duration = Duration::from_secs(10);
const MAX_PAUSE_MS: u64 = 64;
/// Reads that find overlapping chunks (a Query that saw part of a concurrent transaction) are
/// read again this many times.
const READ_ATTEMPTS: u32 = 8;

/// Pauses before the next attempt: up to 1, 2, 4 ... `MAX_PAUSE_MS` ms, chosen at random.
async fn back_off(attempt: u32) {
    let ceiling = (1u64 << attempt.min(6)).min(MAX_PAUSE_MS);
    let pause = (uuid::Uuid::new_v4().as_u128() as u64) % (ceiling * 1000);
    tokio::time::sleep(Duration::from_micros(pause)).await;
}

/// Attempts of a write against concurrent writers: `again` pauses and says whether to go on.
pub(super) struct Tries {
    since: Instant,
    attempt: u32,
}

impl Tries {
    pub(super) fn new() -> Self {
        Tries {
            since: Instant::now(),
            attempt: 0,
        }
    }

    /// A commit went through: the time limit counts from now.
    pub(super) fn progress(&mut self) {
        *self = Tries::new();
    }

    pub(super) async fn again(&mut self) -> bool {
        if self.since.elapsed() > RETRY_FOR {
            return false;
        }
        self.attempt += 1;
        back_off(self.attempt).await;
        true
    }
}

/// The series item as a write reads it: its version (0 for series of earlier versions, which
/// have none) and its point count (`None`: not kept, as in series of earlier versions).
#[derive(Debug, Clone, Copy)]
pub(super) struct Head {
    pub(super) ver: u64,
    pub(super) n: Option<i64>,
}

impl Head {
    pub(super) fn of(item: &Item) -> Head {
        Head {
            ver: get_n(item, "ver").unwrap_or(0),
            n: get_n(item, "n"),
        }
    }
}

/// The series item, read consistently; `None` when the series does not exist.
pub(super) async fn head(d: &Db, id: &str) -> Result<Option<Head>> {
    Ok(d.item("series", id).await?.as_ref().map(Head::of))
}

/// One Query page of the items with `t` in `[lo, hi]` (`lo <= hi`), in `order`, at most
/// `limit`, read consistently; and where the next page starts, if there is one.
async fn page(
    d: &Db,
    id: &str,
    (lo, hi): (i64, i64),
    order: Order,
    limit: usize,
    start: Option<Item>,
) -> Result<(Vec<Item>, Option<Item>)> {
    let r = d
        .client
        .query()
        .table_name(d.table("points"))
        .key_condition_expression("s = :s AND t BETWEEN :lo AND :hi")
        .expression_attribute_values(":s", s(id))
        .expression_attribute_values(":lo", n(lo))
        .expression_attribute_values(":hi", n(hi))
        .scan_index_forward(order == Order::Asc)
        .consistent_read(true)
        .limit(limit.clamp(1, i32::MAX as usize) as i32)
        .set_exclusive_start_key(start)
        .send()
        .await
        .map_err(aws_err)?;
    Ok((r.items.unwrap_or_default(), r.last_evaluated_key))
}

/// The first (or last) item of a series.
async fn end_item(d: &Db, id: &str, order: Order) -> Result<Option<Item>> {
    let (items, _) = page(d, id, (i64::MIN, i64::MAX), order, 1, None).await?;
    Ok(items.into_iter().next())
}

/// The last item starting at or before `t`.
async fn at_or_before(d: &Db, id: &str, t: i64) -> Result<Option<Item>> {
    let r = d
        .client
        .query()
        .table_name(d.table("points"))
        .key_condition_expression("s = :s AND t <= :t")
        .expression_attribute_values(":s", s(id))
        .expression_attribute_values(":t", n(t))
        .scan_index_forward(false)
        .consistent_read(true)
        .limit(1)
        .send()
        .await
        .map_err(aws_err)?;
    Ok(r.items.unwrap_or_default().into_iter().next())
}

/// Chunks from items in scan order, at most `max`. For reads (`coalesce`), a run of
/// consecutive per-point items of earlier versions becomes one chunk of up to `MAX_POINTS` of their
/// points, so a series not yet compacted reads a few calls per 10,000 points rather than one
/// per few points; writes plan on the items as stored.
struct Gather {
    order: Order,
    max: usize,
    coalesce: bool,
    out: Vec<Chunk>,
    /// Points of per-point items not yet made a chunk, in scan order.
    run: Vec<Point>,
}

impl Gather {
    fn new(order: Order, max: usize, coalesce: bool) -> Self {
        Gather {
            order,
            max,
            coalesce,
            out: Vec::new(),
            run: Vec::new(),
        }
    }

    fn push(&mut self, item: Item) -> Result<()> {
        if self.coalesce && is_point_item(&item) {
            let chunk = chunk_of(item)?;
            self.run.push(chunk.summary().first);
            if self.run.len() == chunk::MAX_POINTS {
                self.close_run();
            }
        } else {
            self.close_run();
            self.out.push(chunk_of(item)?);
        }
        Ok(())
    }

    fn close_run(&mut self) {
        if self.run.is_empty() {
            return;
        }
        let mut run = std::mem::take(&mut self.run);
        if self.order == Order::Desc {
            run.reverse();
        }
        self.out.push(Chunk::encode(&run));
    }

    fn full(&self) -> bool {
        self.out.len() >= self.max
    }

    /// Items still wanted: one per chunk missing, and those that would complete an open run.
    fn want(&self) -> usize {
        let open = if self.run.is_empty() {
            0
        } else {
            chunk::MAX_POINTS - self.run.len()
        };
        self.max.saturating_sub(self.out.len()).saturating_add(open)
    }

    fn finish(mut self) -> Vec<Chunk> {
        if !self.full() {
            self.close_run();
        }
        self.out.truncate(self.max);
        self.out
    }
}

/// At most `max` chunks holding `range`'s points, in `order` of their start: the last chunk
/// starting at or before the range's start, then every chunk starting inside it. The Query for
/// the first and the first page of the others are sent at once; further pages follow
/// `LastEvaluatedKey` while chunks are missing.
async fn chunks_for(
    d: &Db,
    id: &str,
    range: Range,
    order: Order,
    max: usize,
    coalesce: bool,
) -> Result<Vec<Chunk>> {
    let (lo, hi) = (range.lo(), range.hi());
    if max == 0 || lo > hi {
        return Ok(Vec::new());
    }
    let mut gather = Gather::new(order, max, coalesce);
    // Chunks starting inside the range: after `lo`, up to `hi`.
    let inside = lo
        .checked_add(1)
        .filter(|next| *next <= hi)
        .map(|next| (next, hi));
    let first = async {
        match inside {
            Some(bounds) => page(d, id, bounds, order, gather.want(), None)
                .await
                .map(Some),
            None => Ok(None),
        }
    };
    let (before, first) = tokio::try_join!(at_or_before(d, id, lo), first)?;
    let mut before = before;
    if order == Order::Asc {
        if let Some(item) = before.take() {
            gather.push(item)?;
        }
    }
    if let (Some(bounds), Some((items, mut next))) = (inside, first) {
        for item in items {
            gather.push(item)?;
        }
        while !gather.full() {
            let Some(start) = next.take() else { break };
            let (items, after) = page(d, id, bounds, order, gather.want(), Some(start)).await?;
            for item in items {
                gather.push(item)?;
            }
            next = after;
        }
    }
    if let Some(item) = before {
        if !gather.full() {
            gather.push(item)?;
        }
    }
    Ok(gather.finish())
}

/// Whether chunks (in `order`) are disjoint, as stored chunks always are: a Query is
/// read-committed item by item, so one that ran while a transaction re-chunked the same span
/// can see part of it.
fn disjoint(chunks: &[Chunk], order: Order) -> bool {
    chunks.windows(2).all(|w| {
        let (a, b) = match order {
            Order::Asc => (&w[0], &w[1]),
            Order::Desc => (&w[1], &w[0]),
        };
        a.end() < b.start()
    })
}

/// `Store::read_chunks`: `NotFound` when nothing came back and the series does not exist (asked
/// only then, so the common case is the two Queries).
pub(super) async fn read(
    d: &Db,
    id: &SeriesId,
    range: Range,
    order: Order,
    max: usize,
) -> Result<Vec<Chunk>> {
    for attempt in 0..READ_ATTEMPTS {
        let chunks = chunks_for(d, id.as_str(), range, order, max, true).await?;
        if chunks.is_empty() {
            if d.item("series", id.as_str()).await?.is_none() {
                return Err(not_found(id));
            }
            return Ok(chunks);
        }
        if disjoint(&chunks, order) {
            return Ok(chunks);
        }
        back_off(attempt + 1).await;
    }
    Err(overlapping(id.as_str()))
}

fn overlapping(id: &str) -> Error {
    Error::Unavailable(format!(
        "the chunks of series {id:?} kept overlapping while being read (rewritten \
         concurrently all along, or damaged): try again"
    ))
}

/// What a write or delete read: the series item (`None`: no such series) and then the chunks
/// for its span, ascending; kept up to date as its transactions commit.
struct State {
    head: Option<Head>,
    chunks: Vec<Chunk>,
}

impl State {
    async fn load(d: &Db, id: &str, span: Range) -> Result<State> {
        for attempt in 0..READ_ATTEMPTS {
            // The version first: chunks read after it are at least as new, so a commit
            // expecting it fails if they changed since.
            let head = head(d, id).await?;
            let chunks = chunks_for(d, id, span, Order::Asc, usize::MAX, false).await?;
            if disjoint(&chunks, Order::Asc) {
                return Ok(State { head, chunks });
            }
            back_off(attempt + 1).await;
        }
        Err(overlapping(id))
    }

    fn starts(&self) -> Vec<i64> {
        self.chunks.iter().map(Chunk::start).collect()
    }

    /// Records a committed plan.
    fn apply(&mut self, plan: &Plan) {
        self.chunks.retain(|c| !plan.remove.contains(&c.start()));
        for c in &plan.put {
            match self.chunks.binary_search_by_key(&c.start(), Chunk::start) {
                Ok(i) => self.chunks[i] = c.clone(),
                Err(i) => self.chunks.insert(i, c.clone()),
            }
        }
        self.head = Some(match self.head {
            Some(h) => Head {
                ver: h.ver + 1,
                n: h.n.map(|n| n + plan.added),
            },
            None => Head {
                ver: 1,
                n: Some(plan.added),
            },
        });
    }
}

/// Items and bytes a plan puts in a transaction.
#[derive(Debug, Default, Clone, Copy)]
struct Size {
    items: usize,
    bytes: usize,
}

impl Size {
    fn of(plan: &Plan) -> Size {
        Size {
            items: plan.remove.len() + plan.put.len(),
            bytes: plan
                .put
                .iter()
                .map(|c| c.as_bytes().len() + ITEM_OVERHEAD)
                .sum::<usize>()
                + plan.remove.len() * ITEM_OVERHEAD,
        }
    }

    fn plus(self, o: Size) -> Size {
        Size {
            items: self.items + o.items,
            bytes: self.bytes + o.bytes,
        }
    }

    /// Whether it fits one transaction beside the series item's action.
    fn fits(self) -> bool {
        self.items < TX_ITEMS && self.bytes <= TX_BYTES
    }

    /// How many times over one transaction it is (at most 1.0 when it fits).
    fn times_over(self) -> f64 {
        (self.items as f64 / (TX_ITEMS - 1) as f64).max(self.bytes as f64 / TX_BYTES as f64)
    }
}

fn absorb(into: &mut Plan, p: Plan) {
    into.remove.extend(p.remove);
    into.put.extend(p.put);
    into.added += p.added;
}

/// The next transaction of a write: how many of `rest`'s first points it stores, and its plan.
/// Whole owners (the points one stored chunk takes, see `chunk::owners`) while they fit; an
/// owner too large for one transaction by itself is cut to its first points.
fn next_write(state: &State, rest: &[Point]) -> Result<(usize, Plan)> {
    let starts = state.starts();
    let (mut take, mut plan) = (0, Plan::default());
    for (_, mine) in chunk::owners(&starts, rest) {
        let p = chunk::plan_write(&starts, &state.chunks, mine)?;
        if Size::of(&plan).plus(Size::of(&p)).fits() {
            absorb(&mut plan, p);
            take += mine.len();
        } else {
            if take == 0 {
                return first_points(&starts, &state.chunks, mine);
            }
            break;
        }
    }
    Ok((take, plan))
}

/// The longest run of `mine`'s first points (all of one owner) found whose plan fits one
/// transaction; a single point always does (at most a removed start and two halves).
fn first_points(starts: &[i64], owning: &[Chunk], mine: &[Point]) -> Result<(usize, Plan)> {
    let mut take = mine.len().min(FIRST_TRY);
    loop {
        let plan = chunk::plan_write(starts, owning, &mine[..take])?;
        let size = Size::of(&plan);
        if size.fits() || take == 1 {
            return Ok((take, plan));
        }
        take = ((take as f64 / size.times_over() * 0.9) as usize).clamp(1, take - 1);
    }
}

/// Transactions for a delete: the plans of single chunks (each a complete change), packed
/// while they fit.
fn pack(plans: impl IntoIterator<Item = Plan>) -> Vec<Plan> {
    let mut out: Vec<Plan> = Vec::new();
    for p in plans.into_iter().filter(|p| !p.is_empty()) {
        match out.last_mut() {
            Some(last) if Size::of(last).plus(Size::of(&p)).fits() => absorb(last, p),
            _ => out.push(p),
        }
    }
    out
}

/// What the series item's action checks: that the series is at the version read (or, when
/// the write read none, still missing).
pub(super) fn expect_version(head: Option<Head>) -> &'static str {
    match head {
        None => "attribute_not_exists(id)",
        // Series of earlier versions have no `ver` yet.
        Some(Head { ver: 0, .. }) => {
            "attribute_exists(id) AND (attribute_not_exists(#ver) OR #ver = :ver)"
        }
        Some(_) => "#ver = :ver",
    }
}

/// The series item's action in a chunk transaction: checks the version and increments it,
/// adds `added` to the point count (when the series keeps one), and creates the series with
/// default metadata when it is missing.
pub(super) fn series_update(
    d: &Db,
    id: &str,
    head: Option<Head>,
    added: i64,
    now: i64,
) -> Result<TransactWriteItem> {
    let b = Update::builder()
        .table_name(d.table("series"))
        .key("id", s(id))
        .condition_expression(expect_version(head))
        .expression_attribute_names("#ver", "ver")
        .expression_attribute_values(":one", n(1));
    let b = match head {
        None => b
            .update_expression(
                "SET #ver = :one, #n = :added, meta = :meta, created = :now, updated = :now",
            )
            .expression_attribute_names("#n", "n")
            .expression_attribute_values(":added", n(added))
            .expression_attribute_values(
                ":meta",
                s(serde_json::to_string(&SeriesMeta::default()).expect("serializable")),
            )
            .expression_attribute_values(":now", n(now)),
        Some(h) => {
            let b = b
                .expression_attribute_values(":ver", n(h.ver))
                .expression_attribute_values(":zero", n(0));
            if h.n.is_some() {
                b.update_expression(
                    "SET #ver = if_not_exists(#ver, :zero) + :one, #n = #n + :added",
                )
                .expression_attribute_names("#n", "n")
                .expression_attribute_values(":added", n(added))
            } else {
                // No count kept yet (a series of earlier versions until `init-store` counts it).
                b.update_expression("SET #ver = if_not_exists(#ver, :zero) + :one")
            }
        }
    };
    let update = b.build().map_err(|e| Error::Internal(e.to_string()))?;
    Ok(TransactWriteItem::builder().update(update).build())
}

/// The chunk actions of a plan.
fn chunk_actions(d: &Db, id: &str, plan: &Plan) -> Result<Vec<TransactWriteItem>> {
    let mut items = Vec::with_capacity(plan.remove.len() + plan.put.len() + 1);
    for start in &plan.remove {
        items.push(chunk_delete(d, id, *start)?);
    }
    for c in &plan.put {
        let put = Put::builder()
            .table_name(d.table("points"))
            .set_item(Some(chunk_item(id, c)))
            .build()
            .map_err(|e| Error::Internal(e.to_string()))?;
        items.push(TransactWriteItem::builder().put(put).build());
    }
    Ok(items)
}

pub(super) fn chunk_delete(d: &Db, id: &str, start: i64) -> Result<TransactWriteItem> {
    let del = Delete::builder()
        .table_name(d.table("points"))
        .key("s", s(id))
        .key("t", n(start))
        .build()
        .map_err(|e| Error::Internal(e.to_string()))?;
    Ok(TransactWriteItem::builder().delete(del).build())
}

/// Runs one transaction: `Ok(false)` when a condition failed or it conflicted with another
/// transaction (a concurrent writer: read and plan again).
pub(super) async fn transact(d: &Db, items: Vec<TransactWriteItem>) -> Result<bool> {
    match d
        .client
        .transact_write_items()
        .set_transact_items(Some(items))
        .send()
        .await
    {
        Ok(_) => Ok(true),
        Err(e) => {
            if let Some(TransactWriteItemsError::TransactionCanceledException(x)) =
                e.as_service_error()
            {
                let codes: Vec<&str> = x
                    .cancellation_reasons()
                    .iter()
                    .filter_map(|r| r.code())
                    .collect();
                if codes
                    .iter()
                    .any(|c| *c == "ConditionalCheckFailed" || *c == "TransactionConflict")
                {
                    return Ok(false);
                }
                if codes
                    .iter()
                    .any(|c| c.contains("Throttl") || c.contains("ProvisionedThroughput"))
                {
                    return Err(Error::Unavailable(format!(
                        "dynamodb is throttling: transaction cancelled ({})",
                        codes.join(", ")
                    )));
                }
            }
            Err(aws_err(e))
        }
    }
}

/// Applies `plan` with the series item's action; `Ok(false)` when the series moved on.
async fn commit(d: &Db, id: &str, head: Option<Head>, plan: &Plan, now: i64) -> Result<bool> {
    let mut items = chunk_actions(d, id, plan)?;
    items.push(series_update(d, id, head, plan.added, now)?);
    transact(d, items).await
}

/// The span of sorted points (an empty range for none).
fn span(points: &[Point]) -> Range {
    match (points.first(), points.last()) {
        (Some(first), Some(last)) => Range {
            from: Some(first.t),
            to: Some(last.t.saturating_add(1)),
        },
        _ => Range {
            from: Some(0),
            to: Some(0),
        },
    }
}

/// Upserts `points` (sorted, unique), creating the series when missing; returns whether it
/// was created.
pub(super) async fn write(d: &Db, id: &SeriesId, points: &[Point], now: i64) -> Result<bool> {
    let total = points.len();
    let mut rest = points;
    let mut created = false;
    let mut tries = Tries::new();
    loop {
        let mut state = State::load(d, id.as_str(), span(rest)).await?;
        // Every transaction the body needs, against what was read, expecting the version
        // each previous one left; until one finds the series moved on.
        loop {
            let (take, plan) = if rest.is_empty() {
                (0, Plan::default())
            } else {
                next_write(&state, rest)?
            };
            if !plan.is_empty() || state.head.is_none() {
                match commit(d, id.as_str(), state.head, &plan, now).await {
                    Ok(true) => {
                        created |= state.head.is_none();
                        state.apply(&plan);
                        tries.progress();
                    }
                    Ok(false) => break,
                    Err(e) => return Err(unfinished(e, total - rest.len(), total, "written")),
                }
            }
            rest = &rest[take..];
            if rest.is_empty() {
                return Ok(created);
            }
        }
        if !tries.again().await {
            return Err(contended(id, total - rest.len(), total, "written"));
        }
    }
}

/// Deletes the points in `range`; returns how many there were.
pub(super) async fn delete(d: &Db, id: &SeriesId, range: Range) -> Result<u64> {
    let mut removed = 0u64;
    let mut tries = Tries::new();
    loop {
        let mut state = State::load(d, id.as_str(), range).await?;
        if state.head.is_none() {
            // Gone since an earlier attempt (deleted concurrently), or never there.
            return if removed > 0 {
                Ok(removed)
            } else {
                Err(not_found(id))
            };
        }
        let plans = state
            .chunks
            .iter()
            .map(|c| chunk::plan_delete(std::slice::from_ref(c), range))
            .collect::<Result<Vec<_>>>()?;
        let txs = pack(plans);
        let left: u64 = txs.iter().map(|p| p.added.unsigned_abs()).sum();
        let mut moved_on = false;
        for plan in &txs {
            match commit(d, id.as_str(), state.head, plan, 0).await {
                Ok(true) => {
                    removed += plan.added.unsigned_abs();
                    state.apply(plan);
                    tries.progress();
                }
                Ok(false) => {
                    moved_on = true;
                    break;
                }
                Err(e) => {
                    let total = (removed + left) as usize;
                    return Err(unfinished(e, removed as usize, total, "deleted"));
                }
            }
        }
        if !moved_on {
            return Ok(removed);
        }
        if !tries.again().await {
            let total = (removed + left) as usize;
            return Err(contended(id, removed as usize, total, "deleted"));
        }
    }
}

/// Deletes every chunk of the series and then the series item, in transactions that each
/// check and move the version (the last one deletes the item); false when the series did not
/// exist. A failure part-way leaves the series with fewer points, its count right, and DELETE
/// can be sent again.
pub(super) async fn delete_series(d: &Db, id: &SeriesId) -> Result<bool> {
    let mut tries = Tries::new();
    let mut first = true;
    loop {
        let Some(mut head) = head(d, id.as_str()).await? else {
            // Someone else finished deleting it after our first look.
            return Ok(!first);
        };
        first = false;
        let items = keys(d, id.as_str()).await?;
        let groups: Vec<&[(i64, u64)]> = items.chunks(TX_ITEMS - 1).collect();
        let mut moved_on = false;
        for (i, group) in groups.iter().enumerate() {
            let mut actions = group
                .iter()
                .map(|(t, _)| chunk_delete(d, id.as_str(), *t))
                .collect::<Result<Vec<_>>>()?;
            let gone: i64 = group.iter().map(|(_, n)| *n as i64).sum();
            if i + 1 < groups.len() {
                actions.push(series_update(d, id.as_str(), Some(head), -gone, 0)?);
            } else {
                actions.push(series_delete(d, id.as_str(), head)?);
            }
            if !transact(d, actions).await? {
                moved_on = true;
                break;
            }
            head.ver += 1;
            head.n = head.n.map(|n| n - gone);
            tries.progress();
        }
        if groups.is_empty() {
            if transact(d, vec![series_delete(d, id.as_str(), head)?]).await? {
                return Ok(true);
            }
            moved_on = true;
        }
        if !moved_on {
            return Ok(true);
        }
        if !tries.again().await {
            return Err(Error::Unavailable(format!(
                "series {:?} is being written by many writers at once and could not be deleted \
                 (it may have fewer points now): send DELETE again",
                id.as_str()
            )));
        }
    }
}

fn series_delete(d: &Db, id: &str, head: Head) -> Result<TransactWriteItem> {
    let del = Delete::builder()
        .table_name(d.table("series"))
        .key("id", s(id))
        .condition_expression(expect_version(Some(head)))
        .expression_attribute_names("#ver", "ver")
        .expression_attribute_values(":ver", n(head.ver))
        .build()
        .map_err(|e| Error::Internal(e.to_string()))?;
    Ok(TransactWriteItem::builder().delete(del).build())
}

/// Every item of the series: its `t` and how many points it holds, ascending.
pub(super) async fn keys(d: &Db, id: &str) -> Result<Vec<(i64, u64)>> {
    let mut out = Vec::new();
    let mut start: Option<Item> = None;
    loop {
        let r = d
            .client
            .query()
            .table_name(d.table("points"))
            .key_condition_expression("s = :s")
            .expression_attribute_values(":s", s(id))
            .projection_expression("#t, #n")
            .expression_attribute_names("#t", "t")
            .expression_attribute_names("#n", "n")
            .consistent_read(true)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(aws_err)?;
        for item in r.items.unwrap_or_default() {
            let t = get_n::<i64>(&item, "t")
                .ok_or_else(|| Error::Internal("a points item without t".into()))?;
            out.push((t, points_in_item(&item)));
        }
        start = r.last_evaluated_key;
        if start.is_none() {
            return Ok(out);
        }
    }
}

/// Count, first and last timestamps of a series whose item is `item`: the count is the series
/// item's `n`, or (series of earlier versions that `init-store` has not counted yet) the sum
/// over its items; the first time is the first chunk's start, the last its last chunk's end.
pub(super) async fn stats(
    d: &Db,
    id: &str,
    item: &Item,
) -> Result<(u64, Option<i64>, Option<i64>)> {
    let count = async {
        match Head::of(item).n {
            Some(n) => Ok(u64::try_from(n).unwrap_or(0)),
            None => Ok(keys(d, id).await?.iter().map(|(_, n)| n).sum()),
        }
    };
    let first = end_item(d, id, Order::Asc);
    let last = end_item(d, id, Order::Desc);
    let (count, first, last) = tokio::try_join!(count, first, last)?;
    let first = first.as_ref().and_then(|i| get_n::<i64>(i, "t"));
    let last = match &last {
        Some(i) => Some(match get_n::<i64>(i, "e") {
            Some(e) => e,
            None => chunk_of(i.clone())?.end(),
        }),
        None => None,
    };
    Ok((count, first, last))
}

/// A write or delete that failed part-way: says how many of its points were done, when that
/// could leave the data half changed.
fn unfinished(e: Error, done: usize, total: usize, what: &str) -> Error {
    let tell = |m: String| {
        format!(
            "{m}; {done} of {total} points were {what} before the failure and the rest may or \
             may not have been: sending the same request again is safe"
        )
    };
    match e {
        Error::Unavailable(m) if total > 0 => Error::Unavailable(tell(m)),
        Error::Internal(m) if done > 0 => Error::Internal(tell(m)),
        e => e,
    }
}

fn contended(id: &SeriesId, done: usize, total: usize, what: &str) -> Error {
    let busy = format!(
        "series {:?} is being written by many writers at once",
        id.as_str()
    );
    Error::Unavailable(if done == 0 {
        format!("{busy}; nothing of this request was {what}: send it again")
    } else {
        format!(
            "{busy}; {done} of {total} points were {what} before giving up and the rest were \
             not: sending the same request again is safe"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point_item(t: i64) -> Item {
        let c = Chunk::encode(&[Point { t, v: t as f64 }]);
        let mut item = chunk_item("x", &c);
        item.remove("c");
        item.remove("n");
        item.remove("e");
        item.insert(
            "v".to_owned(),
            aws_sdk_dynamodb::types::AttributeValue::B(aws_sdk_dynamodb::primitives::Blob::new(
                (t as f64).to_bits().to_be_bytes(),
            )),
        );
        item
    }

    fn spans(chunks: &[Chunk]) -> Vec<(i64, i64, usize)> {
        chunks
            .iter()
            .map(|c| (c.start(), c.end(), c.len()))
            .collect()
    }

    /// Reads make runs of per-point items chunks of up to `MAX_POINTS` points, ascending inside
    /// whichever the order, closed by a chunk item; writes see the items as stored.
    #[test]
    fn reads_gather_per_point_items_into_chunks() {
        let stored = Chunk::encode(&[Point { t: 5000, v: 1.0 }, Point { t: 5001, v: 2.0 }]);
        let (m, total) = (chunk::MAX_POINTS as i64, chunk::MAX_POINTS as i64 * 3 / 2);
        let asc: Vec<Item> = (0..total)
            .map(point_item)
            .chain([chunk_item("x", &stored)])
            .chain((6000..6003).map(point_item))
            .collect();
        let mut g = Gather::new(Order::Asc, 8, true);
        for item in asc.iter().cloned() {
            g.push(item).unwrap();
        }
        assert_eq!(
            spans(&g.finish()),
            vec![
                (0, m - 1, m as usize),
                (m, total - 1, (total - m) as usize),
                (5000, 5001, 2),
                (6000, 6002, 3)
            ]
        );
        let mut g = Gather::new(Order::Desc, 3, true);
        for item in asc.iter().rev().cloned() {
            g.push(item).unwrap();
            if g.full() {
                break;
            }
        }
        let desc = g.finish();
        assert_eq!(
            spans(&desc),
            vec![
                (6000, 6002, 3),
                (5000, 5001, 2),
                (total - m, total - 1, m as usize)
            ]
        );
        assert_eq!(
            desc[2].points().unwrap()[0],
            Point {
                t: total - m,
                v: (total - m) as f64
            }
        );
        // An open run asks for the items that would complete it.
        let mut g = Gather::new(Order::Asc, 2, true);
        g.push(point_item(1)).unwrap();
        assert_eq!(g.want(), 2 + chunk::MAX_POINTS - 1);
        let mut g = Gather::new(Order::Asc, usize::MAX, false);
        for item in asc.into_iter().take(3) {
            g.push(item).unwrap();
        }
        assert_eq!(spans(&g.finish()), vec![(0, 0, 1), (1, 1, 1), (2, 2, 1)]);
    }

    /// A write cut into transactions: whole owners while they fit, an owner too large for one
    /// cut to its first points; each piece a plan of its own.
    #[test]
    fn writes_fit_transactions() {
        let empty = State {
            head: None,
            chunks: Vec::new(),
        };
        let points: Vec<Point> = (0..300_000).map(|t| Point { t, v: 1.0 }).collect();
        let (take, plan) = next_write(&empty, &points).unwrap();
        assert_eq!(take, FIRST_TRY);
        assert_eq!(plan.put.len(), 96);
        assert!(Size::of(&plan).fits());
        // Many owners, each one small change: as many as fit.
        let chunks: Vec<Chunk> = (0..300)
            .map(|i| Chunk::encode(&[Point { t: i * 10, v: 0.0 }]))
            .collect();
        let state = State {
            head: Some(Head {
                ver: 3,
                n: Some(300),
            }),
            chunks,
        };
        let points: Vec<Point> = (0..300)
            .map(|i| Point {
                t: i * 10 + 5,
                v: 1.0,
            })
            .collect();
        let (take, plan) = next_write(&state, &points).unwrap();
        assert_eq!(
            (take, plan.put.len(), plan.remove.len()),
            (TX_ITEMS - 1, TX_ITEMS - 1, 0)
        );
        // Neither times nor values compress (about 16 bytes a point): 96 full chunks are still
        // within a transaction's bytes.
        let mut x = 1u64;
        let mut t = 0i64;
        let wide: Vec<Point> = (0..FIRST_TRY)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                t += 1 + (x >> 40) as i64;
                Point {
                    t,
                    v: f64::from_bits(x >> 2),
                }
            })
            .collect();
        let (take, plan) = next_write(&empty, &wide).unwrap();
        let size = Size::of(&plan);
        assert_eq!(take, wide.len());
        assert!(size.fits() && size.bytes > FIRST_TRY * 10, "{size:?}");
        // A chunk is at most about 17 KB (16 bytes a point): 99 of them are under the bound.
        let biggest = plan.put.iter().map(|c| c.as_bytes().len()).max().unwrap();
        assert!(
            biggest < 34_000 && 99 * (biggest + ITEM_OVERHEAD) < TX_BYTES,
            "{biggest}"
        );
    }
}
