//! Reading points: paged range queries with opaque cursors, time buckets with aggregates, and
//! summary statistics. Written once over the `Store` trait, so every backend answers alike; large
//! ranges are read in pages ([`Scan`]), never as one giant reply. The aggregates themselves are in
//! `aggregate`, which analyses use too.

pub mod aggregate;

use crate::error::{Error, Result};
use crate::model::{Order, Point, Range, SeriesId};
use crate::store::Store;
use crate::time;

use aggregate::Acc;
pub use aggregate::{bucket_start, bucketize, check_bucket_start, Agg, Stats, StatsAcc};

pub const DEFAULT_LIMIT: usize = 1000;
pub const MAX_LIMIT: usize = 10_000;
/// Points fetched per store call when aggregating (buckets, stats) or loading a job's data.
pub const SCAN_PAGE: usize = 16_384;

/// Reads a range page by page, [`SCAN_PAGE`] points per store call, in either order: how
/// buckets, statistics and jobs walk a range, so no store call returns more than a page.
pub struct Scan<'a> {
    store: &'a dyn Store,
    id: &'a SeriesId,
    order: Order,
    /// What is left to read.
    rest: Range,
    done: bool,
}

impl<'a> Scan<'a> {
    pub fn new(store: &'a dyn Store, id: &'a SeriesId, range: Range, order: Order) -> Self {
        Scan {
            store,
            id,
            order,
            rest: range,
            done: false,
        }
    }

    /// The next page, or `None` once the range is read. The first call always asks the store,
    /// so a missing series is `NotFound` even when the range holds nothing; a page shorter than
    /// `SCAN_PAGE` is the last.
    pub async fn next_page(&mut self) -> Result<Option<Vec<Point>>> {
        if self.done {
            return Ok(None);
        }
        let page = self
            .store
            .query_points(self.id, self.rest, self.order, SCAN_PAGE)
            .await?;
        match page.last() {
            Some(last) if page.len() == SCAN_PAGE => {
                self.rest = match self.order {
                    Order::Asc => Range {
                        from: Some(last.t + 1),
                        to: self.rest.to,
                    },
                    Order::Desc => Range {
                        from: self.rest.from,
                        to: Some(last.t),
                    },
                }
            }
            _ => self.done = true,
        }
        Ok(Some(page))
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
    if range.is_empty() {
        // Still answer 404 for a missing series.
        store.query_points(id, range, q.order, 0).await?;
        return Ok(Page {
            points: Vec::new(),
            next: None,
        });
    }
    let mut points = store.query_points(id, range, q.order, q.limit + 1).await?;
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

async fn buckets(
    store: &dyn Store,
    id: &SeriesId,
    range: Range,
    order: Order,
    limit: usize,
    b: Bucketing,
) -> Result<Page> {
    let mut out: Vec<Point> = Vec::new();
    let mut cur: Option<(i64, Acc)> = None;
    let mut scan = Scan::new(store, id, range, order);
    while let Some(page) = scan.next_page().await? {
        for &p in &page {
            let start = bucket_start(p.t, b.every);
            check_bucket_start(start, b.every, "every")?;
            match &mut cur {
                Some((s, acc)) if *s == start => acc.add(p),
                _ => {
                    if let Some((s, acc)) = cur.take() {
                        out.push(Point {
                            t: s,
                            v: acc.value(b.agg),
                        });
                        if out.len() == limit {
                            // A further bucket exists: resume at its boundary.
                            let at = if order == Order::Asc { s + b.every } else { s };
                            return Ok(Page {
                                points: out,
                                next: Some(Cursor { order, at }),
                            });
                        }
                    }
                    cur = Some((start, Acc::new(p)));
                }
            }
        }
    }
    if let Some((s, acc)) = cur {
        out.push(Point {
            t: s,
            v: acc.value(b.agg),
        });
    }
    Ok(Page {
        points: out,
        next: None,
    })
}

/// Statistics of a series over `range`, reading it page by page.
pub async fn stats(store: &dyn Store, id: &SeriesId, range: Range) -> Result<Stats> {
    let mut acc = StatsAcc::default();
    let mut scan = Scan::new(store, id, range, Order::Asc);
    while let Some(page) = scan.next_page().await? {
        acc.extend(&page);
    }
    Ok(acc.finish())
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
        let n = 2 * SCAN_PAGE as i64 + 5;
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
            assert_eq!(sizes, [SCAN_PAGE, SCAN_PAGE, 5], "{order:?}");
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
            Range::new(None, Some(SCAN_PAGE as i64 * 7)).unwrap(),
            Order::Asc,
        );
        assert_eq!(scan.next_page().await.unwrap().unwrap().len(), SCAN_PAGE);
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
