//! Reading points: paged range queries with opaque cursors, time buckets with aggregates, and
//! summary statistics. Written once over the `Store` trait, so every backend answers alike. A
//! range is read a few chunks at a time ([`Scan`]), never as one giant reply; aggregates use the
//! summary in a chunk's header when the chunk lies wholly inside a bucket or range and decode
//! only the chunks cut by an edge. The aggregates themselves are in `aggregate`, which analyses
//! use too.

pub mod aggregate;

use crate::chunk::{Chunk, MAX_POINTS};
use crate::error::{Error, Result};
use crate::model::{Order, Point, Range, SeriesId};
use crate::store::Store;
use crate::time;

pub use aggregate::{bucket_start, bucketize, check_bucket_start, Agg, Stats, Sum2, Summary};

pub const DEFAULT_LIMIT: usize = 1000;
pub const MAX_LIMIT: usize = 10_000;
/// Chunks fetched per store call when aggregating (buckets, stats), drawing or loading a job's
/// data: about 260,000 points, some 450 KB of typical data (at most about 4 MB), so a scan of
/// 10M points is 40 store calls. With 32, the calls' round trips (a hop to SQLite's blocking
/// pool, a Redis or DynamoDB request) took half of `stats` over 10M points (`bench.sh big`).
pub const SCAN_CHUNKS: usize = 256;

/// A part of a range as a scan hands it out: a chunk lying wholly inside the range, or one cut
/// by the range's edges. Neither is decoded until its points are asked for, so a reader that
/// has what it needs, or can use the header, never decodes it.
#[derive(Debug, Clone)]
pub enum Piece {
    Whole(Chunk),
    Cut(Chunk, Range),
}

impl Piece {
    /// Its points inside the range, ascending.
    pub fn points(&self) -> Result<Vec<Point>> {
        match self {
            Piece::Whole(c) => c.points(),
            Piece::Cut(c, range) => c.points_in(*range),
        }
    }

    /// Its first `n` points (or more) inside the range, ascending, decoding no further than that.
    pub fn first_points(&self, n: usize) -> Result<Vec<Point>> {
        match self {
            Piece::Whole(c) => c.first_points_in(
                Range {
                    from: None,
                    to: None,
                },
                n,
            ),
            Piece::Cut(c, range) => c.first_points_in(*range, n),
        }
    }

    /// The summary of its points inside the range (`None`: it has none there).
    pub fn summary(&self) -> Result<Option<Summary>> {
        match self {
            Piece::Whole(c) => Ok(Some(*c.summary())),
            Piece::Cut(..) => Ok(Summary::of(&self.points()?)),
        }
    }

    /// Bounds on the times of its points inside the range.
    pub fn span(&self) -> (i64, i64) {
        match self {
            Piece::Whole(c) => (c.start(), c.end()),
            Piece::Cut(c, range) => (c.start().max(range.lo()), c.end().min(range.hi())),
        }
    }
}

/// Reads a range a few chunks per store call, in either order: how raw pages, buckets,
/// statistics and jobs walk a range, so no store call returns more than a few chunks.
pub struct Scan<'a> {
    store: &'a dyn Store,
    id: &'a SeriesId,
    order: Order,
    /// What is left to read.
    rest: Range,
    /// Chunks per store call.
    batch: usize,
    /// Start of the last chunk handed out, when scanning upwards.
    seen: Option<i64>,
    done: bool,
}

impl<'a> Scan<'a> {
    pub fn new(store: &'a dyn Store, id: &'a SeriesId, range: Range, order: Order) -> Self {
        Scan {
            store,
            id,
            order,
            rest: range,
            batch: SCAN_CHUNKS,
            seen: None,
            done: false,
        }
    }

    /// Chunks per store call (a short range query wants one or two).
    pub fn batch(mut self, chunks: usize) -> Self {
        self.batch = chunks.max(1);
        self
    }

    /// The next pieces in scan order, or `None` once the range is read. The first call always
    /// asks the store, so a missing series is `NotFound` even when the range holds nothing.
    pub async fn next_pieces(&mut self) -> Result<Option<Vec<Piece>>> {
        if self.done {
            return Ok(None);
        }
        let range = self.rest;
        // Resuming upwards, the store gives back the last chunk read first (it starts before
        // what is left): ask for one more and drop it.
        let again = self.seen.is_some() as usize;
        let mut chunks = self
            .store
            .read_chunks(self.id, range, self.order, self.batch + again)
            .await?;
        crate::metrics::points_read(chunks.iter().map(Chunk::len).sum());
        let asked = self.batch + again;
        self.done = chunks.len() < asked;
        if again == 1 && chunks.first().map(Chunk::start) == self.seen {
            chunks.remove(0);
        }
        if let (false, Some(last)) = (self.done, chunks.last()) {
            // Resume past the last chunk read; it bounds what is left in scan order.
            self.rest = match self.order {
                Order::Asc => {
                    self.seen = Some(last.start());
                    Range {
                        from: Some(last.end().saturating_add(1)),
                        to: range.to,
                    }
                }
                Order::Desc => Range {
                    from: range.from,
                    to: Some(last.start()),
                },
            };
            self.done = self.rest.is_empty();
        }
        Ok(Some(
            chunks
                .into_iter()
                .map(|c| {
                    if c.within(range) {
                        Piece::Whole(c)
                    } else {
                        Piece::Cut(c, range)
                    }
                })
                .collect(),
        ))
    }

    /// The next points in scan order, or `None` once the range is read.
    pub async fn next_page(&mut self) -> Result<Option<Vec<Point>>> {
        let Some(pieces) = self.next_pieces().await? else {
            return Ok(None);
        };
        let mut out = Vec::new();
        for piece in pieces {
            let mut points = piece.points()?;
            if self.order == Order::Desc {
                points.reverse();
            }
            out.append(&mut points);
        }
        Ok(Some(out))
    }

    /// Whether the range is read (the last page has been handed out).
    pub fn is_done(&self) -> bool {
        self.done
    }
}

/// Where a page resumes: ascending pages resume at `t >= at`, descending ones at `t < at`.
/// Encoded as URL-safe base64 of `a:<ms>` / `d:<ms>`; opaque to clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub order: Order,
    pub at: i64,
}

impl Cursor {
    pub fn encode(self) -> String {
        use base64::Engine;
        let tag = if self.order == Order::Asc { 'a' } else { 'd' };
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{tag}:{}", self.at))
    }

    pub fn decode(s: &str) -> Result<Self> {
        use base64::Engine;
        let bad = || {
            Error::invalid(
                "cursor",
                "invalid cursor: pass next_cursor from a previous page unchanged",
            )
        };
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(s)
            .map_err(|_| bad())?;
        let raw = std::str::from_utf8(&raw).map_err(|_| bad())?;
        let (tag, at) = raw.split_once(':').ok_or_else(bad)?;
        let order = match tag {
            "a" => Order::Asc,
            "d" => Order::Desc,
            _ => return Err(bad()),
        };
        // Cursors only ever hold times inside the range (or one past its end), so nothing
        // derived from one can overflow.
        let at: i64 = at.parse().map_err(|_| bad())?;
        if !(time::MIN_MS..=time::MAX_MS + time::MAX_DURATION_MS).contains(&at) {
            return Err(bad());
        }
        Ok(Cursor { order, at })
    }

    /// Narrows `range` to what is left after this cursor.
    fn apply(self, range: Range, order: Order) -> Result<Range> {
        if self.order != order {
            return Err(Error::invalid(
                "cursor",
                "cursor was issued for the other `order`",
            ));
        }
        Ok(match order {
            Order::Asc => Range {
                from: Some(range.from.map_or(self.at, |f| f.max(self.at))),
                to: range.to,
            },
            Order::Desc => Range {
                from: range.from,
                to: Some(range.to.map_or(self.at, |t| t.min(self.at))),
            },
        })
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Bucketing {
    pub every: i64,
    pub agg: Agg,
}

#[derive(Debug, Clone)]
pub struct PointsQuery {
    pub range: Range,
    pub order: Order,
    pub limit: usize,
    pub cursor: Option<Cursor>,
    pub bucket: Option<Bucketing>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub points: Vec<Point>,
    pub next: Option<Cursor>,
}

/// Runs a range query (raw or bucketed) and returns one page.
pub async fn points(store: &dyn Store, id: &SeriesId, q: &PointsQuery) -> Result<Page> {
    let range = match q.cursor {
        Some(c) => c.apply(q.range, q.order)?,
        None => q.range,
    };
    if let Some(b) = q.bucket {
        return buckets(store, id, range, q.order, q.limit, b).await;
    }
    // One point more than the page tells whether another page follows; the chunks that
    // many points need, plus the one the range starts in.
    let want = q.limit + 1;
    let mut scan = Scan::new(store, id, range, q.order).batch(want.div_ceil(MAX_POINTS) + 1);
    let mut points = Vec::with_capacity(want.min(65_536));
    'read: while let Some(pieces) = scan.next_pieces().await? {
        for piece in pieces {
            // Upwards, a chunk is decoded only as far as the page needs; downwards it is read
            // from its start to its end (the codec only runs forwards).
            let mut more = match q.order {
                Order::Asc => piece.first_points(want - points.len())?,
                Order::Desc => {
                    let mut all = piece.points()?;
                    all.reverse();
                    all
                }
            };
            more.truncate(want - points.len());
            points.append(&mut more);
            if points.len() == want {
                break 'read;
            }
        }
    }
    let next = if points.len() > q.limit {
        points.truncate(q.limit);
        let last = points[q.limit - 1].t;
        Some(Cursor {
            order: q.order,
            at: if q.order == Order::Asc {
                last + 1
            } else {
                last
            },
        })
    } else {
        None
    };
    Ok(Page { points, next })
}

/// One point per non-empty bucket. Each bucket's value comes from the summaries of its pieces,
/// merged in ascending time order whichever the scan's order, so both orders give the same bits.
async fn buckets(
    store: &dyn Store,
    id: &SeriesId,
    range: Range,
    order: Order,
    limit: usize,
    b: Bucketing,
) -> Result<Page> {
    let mut out: Vec<Point> = Vec::new();
    // The current bucket's start and its pieces' summaries, in scan order.
    let mut cur: Option<(i64, Vec<Summary>)> = None;
    let emit = |start: i64, mut parts: Vec<Summary>, out: &mut Vec<Point>| {
        if order == Order::Desc {
            parts.reverse();
        }
        let s = Summary::merge_all(parts).expect("a bucket has a piece");
        out.push(Point {
            t: start,
            v: s.value(b.agg),
        });
    };
    let mut scan = Scan::new(store, id, range, order);
    while let Some(pieces) = scan.next_pieces().await? {
        for piece in pieces {
            let (first, last) = piece.span();
            let (s0, s1) = (bucket_start(first, b.every), bucket_start(last, b.every));
            // A piece inside one bucket adds its summary; one across buckets is cut up.
            let runs: Vec<(i64, Summary)> = if s0 == s1 {
                match piece.summary()? {
                    Some(s) => {
                        check_bucket_start(s0, b.every, "every")?;
                        vec![(s0, s)]
                    }
                    None => Vec::new(),
                }
            } else {
                let points = piece.points()?;
                let mut runs: Vec<(i64, Summary)> = points
                    .chunk_by(|x, y| bucket_start(x.t, b.every) == bucket_start(y.t, b.every))
                    .map(|run| {
                        let s = Summary::of(run).expect("non-empty run");
                        let start = bucket_start(s.first.t, b.every);
                        check_bucket_start(start, b.every, "every").map(|()| (start, s))
                    })
                    .collect::<Result<_>>()?;
                if order == Order::Desc {
                    runs.reverse();
                }
                runs
            };
            for (start, s) in runs {
                match &mut cur {
                    Some((at, parts)) if *at == start => parts.push(s),
                    _ => {
                        if let Some((at, parts)) = cur.take() {
                            emit(at, parts, &mut out);
                            if out.len() == limit {
                                // A further bucket exists: resume at its boundary.
                                let resume = if order == Order::Asc {
                                    at + b.every
                                } else {
                                    at
                                };
                                return Ok(Page {
                                    points: out,
                                    next: Some(Cursor { order, at: resume }),
                                });
                            }
                        }
                        cur = Some((start, vec![s]));
                    }
                }
            }
        }
    }
    if let Some((at, parts)) = cur {
        emit(at, parts, &mut out);
    }
    Ok(Page {
        points: out,
        next: None,
    })
}

/// The most points a drawing query (`max_points`) may ask for: two per pixel of a chart wider
/// than any screen.
pub const MAX_DRAW_POINTS: usize = 100_000;

/// Points chosen for drawing a range at a given width, and how they were chosen.
#[derive(Debug, Clone, PartialEq)]
pub struct Drawing {
    pub points: Vec<Point>,
    /// The range drawn: the query's bounds, or the series' first and last times where it gave
    /// none (`None` for a range holding no point).
    pub span: Option<(i64, i64)>,
    /// The width of one bucket (a pixel of the chart), in milliseconds.
    pub bucket_ms: i64,
}

/// At most `max_points` points of a range, chosen for drawing it `max_points / 2` pixels wide:
/// the range is cut into that many buckets of equal width starting at its start, and each
/// bucket gives its least and greatest point (one point when they are the same), in time order.
/// A line through them covers every pixel the raw points would, and every point returned is a
/// stored point, with its own time. Where buckets are narrower than the spacing of the points,
/// that is every point of the range. A chunk lying wholly inside one bucket gives its header's
/// least and greatest points without being decoded, so a whole 10M-point series is drawn from
/// headers and the few chunks that straddle a bucket edge.
pub async fn draw(
    store: &dyn Store,
    id: &SeriesId,
    range: Range,
    max_points: usize,
) -> Result<Drawing> {
    let buckets = (max_points / 2).max(1) as i64;
    // An open bound is the series' first or last time.
    let lo = match range.from {
        Some(f) => f,
        None => match store.read_chunks(id, range, Order::Asc, 1).await?.first() {
            Some(c) => c.start().max(range.lo()),
            None => {
                return Ok(Drawing {
                    points: Vec::new(),
                    span: None,
                    bucket_ms: 1,
                })
            }
        },
    };
    let hi = match range.to {
        Some(t) => t,
        None => match store.read_chunks(id, range, Order::Desc, 1).await?.first() {
            Some(c) => c.end().min(range.hi()) + 1,
            None => lo,
        },
    };
    if hi <= lo {
        // Nothing to draw; the call still says whether the series exists.
        store.read_chunks(id, range, Order::Asc, 1).await?;
        return Ok(Drawing {
            points: Vec::new(),
            span: None,
            bucket_ms: 1,
        });
    }
    // Times lie in years 0000-9999, so these differences fit an i64 with room to spare.
    let width = ((hi - lo + buckets - 1) / buckets).max(1);
    let bucket = |t: i64| (t - lo) / width;
    let mut out = Vec::with_capacity(max_points.min(65_536));
    // The current bucket, its least and greatest points.
    let mut cur: Option<(i64, Point, Point)> = None;
    let mut add = |b: i64, min: Point, max: Point, out: &mut Vec<Point>| match &mut cur {
        Some((at, lo_p, hi_p)) if *at == b => {
            if min.v < lo_p.v {
                *lo_p = min;
            }
            if max.v > hi_p.v {
                *hi_p = max;
            }
        }
        _ => {
            if let Some((_, a, z)) = cur.replace((b, min, max)) {
                push_extremes(a, z, out);
            }
        }
    };
    let mut scan = Scan::new(store, id, Range::new(Some(lo), Some(hi))?, Order::Asc);
    while let Some(pieces) = scan.next_pieces().await? {
        for piece in pieces {
            match &piece {
                Piece::Whole(c) if bucket(c.start()) == bucket(c.end()) => {
                    let s = c.summary();
                    add(bucket(c.start()), s.min, s.max, &mut out);
                }
                _ => {
                    for p in piece.points()? {
                        add(bucket(p.t), p, p, &mut out);
                    }
                }
            }
        }
    }
    if let Some((_, a, z)) = cur {
        push_extremes(a, z, &mut out);
    }
    Ok(Drawing {
        points: out,
        span: Some((lo, hi)),
        bucket_ms: width,
    })
}

/// A bucket's least and greatest points, in time order, once when they are one point.
fn push_extremes(min: Point, max: Point, out: &mut Vec<Point>) {
    match min.t.cmp(&max.t) {
        std::cmp::Ordering::Less => out.extend([min, max]),
        std::cmp::Ordering::Equal => out.push(min),
        std::cmp::Ordering::Greater => out.extend([max, min]),
    }
}

/// How a multi-series query fills the buckets a series has no point in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fill {
    /// `null` in the series' column.
    Null,
    /// The series' last value before it (null before its first).
    Previous,
    /// Interpolated in time between the series' values on both sides (null outside them).
    Linear,
    Zero,
}

impl Fill {
    pub fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "null" => Fill::Null,
            "previous" => Fill::Previous,
            "linear" => Fill::Linear,
            "zero" => Fill::Zero,
            _ => {
                return Err(Error::invalid(
                    "fill",
                    format!("fill must be null, previous, linear or zero, got {s:?}"),
                ))
            }
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Fill::Null => "null",
            Fill::Previous => "previous",
            Fill::Linear => "linear",
            Fill::Zero => "zero",
        }
    }
}

/// The most buckets a multi-series query answers with.
pub const MAX_ALIGNED_BUCKETS: usize = 100_000;

/// Several series on the same buckets: a row per bucket start, a column per series.
#[derive(Debug, Clone, PartialEq)]
pub struct Aligned {
    pub times: Vec<i64>,
    pub columns: Vec<Vec<Option<f64>>>,
}

/// Buckets of several series over one range, aligned: without `fill`, a row for every bucket
/// start where at least one series has points (null where another has none); with `fill`
/// (which needs both bounds), a row for every bucket of the range, empty ones filled as asked.
pub async fn aligned(
    store: &dyn Store,
    ids: &[SeriesId],
    range: Range,
    b: Bucketing,
    fill: Option<Fill>,
) -> Result<Aligned> {
    let too_many = || {
        Error::invalid(
            "every",
            format!(
                "the range holds more than {MAX_ALIGNED_BUCKETS} buckets of {}: choose wider \
                 buckets or a shorter range",
                time::format_duration(b.every)
            ),
        )
    };
    let mut each = Vec::with_capacity(ids.len());
    for id in ids {
        let page = points(
            store,
            id,
            &PointsQuery {
                range,
                order: Order::Asc,
                limit: MAX_ALIGNED_BUCKETS,
                cursor: None,
                bucket: Some(b),
            },
        )
        .await?;
        if page.next.is_some() {
            return Err(too_many());
        }
        each.push(page.points);
    }
    let times: Vec<i64> = match (fill, range.from, range.to) {
        (Some(_), Some(from), Some(to)) => {
            let first = bucket_start(from, b.every);
            check_bucket_start(first, b.every, "every")?;
            let n = (to - first + b.every - 1) / b.every;
            if n as u64 > MAX_ALIGNED_BUCKETS as u64 {
                return Err(too_many());
            }
            (0..n).map(|k| first + k * b.every).collect()
        }
        (Some(_), ..) => {
            return Err(Error::invalid(
                "fill",
                "fill needs a bounded range: give both from and to",
            ))
        }
        (None, ..) => {
            let mut all: Vec<i64> = each.iter().flatten().map(|p| p.t).collect();
            all.sort_unstable();
            all.dedup();
            if all.len() > MAX_ALIGNED_BUCKETS {
                return Err(too_many());
            }
            all
        }
    };
    let columns = each
        .iter()
        .map(|pts| {
            let mut col = vec![None; times.len()];
            let mut k = 0;
            for p in pts {
                while k < times.len() && times[k] < p.t {
                    k += 1;
                }
                if k < times.len() && times[k] == p.t {
                    col[k] = Some(p.v);
                }
            }
            if let Some(f) = fill {
                fill_column(&times, &mut col, f);
            }
            col
        })
        .collect();
    Ok(Aligned { times, columns })
}

fn fill_column(times: &[i64], col: &mut [Option<f64>], fill: Fill) {
    match fill {
        Fill::Null => {}
        Fill::Zero => col.iter_mut().for_each(|v| *v = Some(v.unwrap_or(0.0))),
        Fill::Previous => {
            let mut last = None;
            for v in col.iter_mut() {
                match v {
                    Some(x) => last = Some(*x),
                    None => *v = last,
                }
            }
        }
        Fill::Linear => {
            let known: Vec<usize> = (0..col.len()).filter(|&i| col[i].is_some()).collect();
            for w in known.windows(2) {
                let (a, b) = (w[0], w[1]);
                let (va, vb) = (col[a].expect("known"), col[b].expect("known"));
                let (ta, tb) = (times[a] as f64, times[b] as f64);
                for i in a + 1..b {
                    col[i] = Some(va + (vb - va) * ((times[i] as f64 - ta) / (tb - ta)));
                }
            }
        }
    }
}

/// Statistics of a series over `range`: chunk headers where a chunk lies wholly inside it,
/// decoded points at its edges.
pub async fn stats(store: &dyn Store, id: &SeriesId, range: Range) -> Result<Stats> {
    let mut acc: Option<Summary> = None;
    let mut scan = Scan::new(store, id, range, Order::Asc);
    while let Some(pieces) = scan.next_pieces().await? {
        for piece in &pieces {
            if let Some(s) = piece.summary()? {
                acc = Some(acc.map_or(s, |a| a.merge(s)));
            }
        }
    }
    Ok(Summary::stats(acc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trip_and_rejects_garbage() {
        let c = Cursor {
            order: Order::Desc,
            at: -42,
        };
        assert_eq!(Cursor::decode(&c.encode()), Ok(c));
        assert!(Cursor::decode("!!").is_err());
        assert!(Cursor::decode("eDox").is_err()); // "x:1"
    }

    /// Pages of a scan, and buckets built from them, in both orders across several pages.
    #[cfg(feature = "sqlite")]
    #[tokio::test]
    async fn scans_and_buckets_span_pages_in_both_orders() {
        let store = crate::store::open(&crate::settings::Settings {
            store: "sqlite::memory:".into(),
            ..Default::default()
        })
        .await
        .unwrap();
        let id = SeriesId::parse("s").unwrap();
        let page = SCAN_CHUNKS * MAX_POINTS;
        let n = 2 * page as i64 + 5;
        let pts: Vec<Point> = (0..n)
            .map(|i| Point {
                t: i * 7,
                v: (i % 13) as f64,
            })
            .collect();
        store.write_points(&id, pts.clone(), 0).await.unwrap();
        let all = Range {
            from: None,
            to: None,
        };
        for order in [Order::Asc, Order::Desc] {
            let mut scan = Scan::new(&*store, &id, all, order);
            let (mut sizes, mut read) = (Vec::new(), Vec::new());
            while let Some(page) = scan.next_page().await.unwrap() {
                sizes.push(page.len());
                read.extend(page);
            }
            assert!(scan.is_done());
            // Written in one body: full chunks and a last one of 5 points.
            let want_sizes: &[usize] = match order {
                Order::Asc => &[page, page, 5],
                Order::Desc => &[page - MAX_POINTS + 5, page, MAX_POINTS],
            };
            assert_eq!(sizes, want_sizes, "{order:?}");
            let mut want = pts.clone();
            let mut buckets = bucketize(&pts, 1000, Agg::Sum);
            if order == Order::Desc {
                want.reverse();
                buckets.reverse();
            }
            assert_eq!(read, want, "{order:?}");
            let q = PointsQuery {
                range: all,
                order,
                limit: usize::MAX,
                cursor: None,
                bucket: Some(Bucketing {
                    every: 1000,
                    agg: Agg::Sum,
                }),
            };
            assert_eq!(points(&*store, &id, &q).await.unwrap().points, buckets);
        }
        // A range of exactly one page ends with an empty one.
        let mut scan = Scan::new(
            &*store,
            &id,
            Range::new(None, Some(page as i64 * 7)).unwrap(),
            Order::Asc,
        );
        assert_eq!(scan.next_page().await.unwrap().unwrap().len(), page);
        assert_eq!(scan.next_page().await.unwrap(), Some(Vec::new()));
        assert_eq!(scan.next_page().await.unwrap(), None);
        let stats = stats(&*store, &id, all).await.unwrap();
        assert_eq!(stats.count, n as u64);
        assert_eq!(stats.last, pts.last().copied());
        // A missing series is NotFound, even for an empty range.
        let ghost = SeriesId::parse("ghost").unwrap();
        let mut scan = Scan::new(
            &*store,
            &ghost,
            Range::new(Some(5), Some(5)).unwrap(),
            Order::Asc,
        );
        assert!(matches!(scan.next_page().await, Err(Error::NotFound(_))));
    }
}
