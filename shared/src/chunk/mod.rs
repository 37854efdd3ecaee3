//! Chunks: how every store keeps points. A chunk is a time-ordered run of at most
//! [`MAX_POINTS`] points of one series, stored as one value (a SQLite row, a Redis sorted-set
//! member, a DynamoDB item) keyed by its first timestamp. Its header holds the run's
//! [`Summary`], so an aggregate over whole chunks reads headers, not points; its payload is
//! the points compressed by `codec`.
//!
//! Chunks of a series never overlap in time. A point belongs to the last chunk starting at or
//! before it (or, before every chunk, to the first one), so a write loads only the chunks its
//! time span touches, merges, and stores them back, split at [`MAX_POINTS`]; [`plan_write`] and
//! [`plan_delete`] compute that once for every backend, which only stores what the plan says.

mod codec;

use crate::error::{Error, Result};
use crate::model::{Point, Range};
use crate::query::aggregate::{Sum2, Summary};

/// Points per chunk at most. Measured with pco on the benchmark's data (random walk, 4
/// decimals, 1 s apart; `examples/codec_eval.rs`): about 1.9 bytes per point at 1,000, 1.85 at
/// 2,048, while decoding a chunk (what a short range query pays) takes 9 and 16 µs.
pub const MAX_POINTS: usize = 1024;

/// The most points a stored chunk may claim when read: more than any version writes, and a
/// bound on what a corrupt header can make a reader allocate (found by the fuzz target).
const MAX_READ: u64 = 1 << 16;

/// Format byte first in every stored chunk, so a later format can be told apart. Format 1
/// (before the times of the least and greatest values were kept) is still read.
const FORMAT: u8 = 2;
/// Format byte, count (u32), then eleven 8-byte fields: the times of the first, last, least
/// and greatest points, their values, the sum's two parts and m2, all little-endian.
pub const HEADER_LEN: usize = 1 + 4 + 11 * 8;
/// Format 1's header: the same without the two times of the least and greatest values.
const HEADER_LEN_V1: usize = 1 + 4 + 9 * 8;

/// One stored chunk: its bytes as kept by a store, with the header already read.
#[derive(Debug, Clone, PartialEq)]
pub struct Chunk {
    summary: Summary,
    bytes: Vec<u8>,
}

impl Chunk {
    /// Compresses points (ascending, unique, at least one).
    pub fn encode(points: &[Point]) -> Chunk {
        let summary = Summary::of(points).expect("a chunk holds at least one point");
        let mut bytes = Vec::with_capacity(HEADER_LEN + points.len() * 3);
        bytes.push(FORMAT);
        bytes.extend_from_slice(&(points.len() as u32).to_le_bytes());
        for x in [
            summary.first.t,
            summary.last.t,
            summary.min.t,
            summary.max.t,
        ] {
            bytes.extend_from_slice(&x.to_le_bytes());
        }
        for x in [
            summary.first.v,
            summary.last.v,
            summary.min.v,
            summary.max.v,
            summary.sum.hi,
            summary.sum.lo,
            summary.m2,
        ] {
            bytes.extend_from_slice(&x.to_bits().to_le_bytes());
        }
        debug_assert_eq!(bytes.len(), HEADER_LEN);
        codec::encode(points, &mut bytes);
        Chunk { summary, bytes }
    }

    /// Reads a chunk as a store gave it back; its payload is decoded only by [`Chunk::points`].
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Chunk> {
        if bytes.first() == Some(&1) && bytes.len() >= HEADER_LEN_V1 {
            return Self::from_v1(bytes);
        }
        if bytes.len() < HEADER_LEN || bytes[0] != FORMAT {
            return Err(corrupt("its header is not a chunk header"));
        }
        let word = |i: usize| {
            let at = 5 + 8 * i;
            u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"))
        };
        let float = |i| f64::from_bits(word(i));
        let point = |t: usize, v: usize| Point {
            t: word(t) as i64,
            v: float(v),
        };
        let count = u32::from_le_bytes(bytes[1..5].try_into().expect("4 bytes")) as u64;
        if count == 0 || count > MAX_READ {
            return Err(corrupt("it claims no points, or more than a chunk holds"));
        }
        let summary = Summary {
            count,
            first: point(0, 4),
            last: point(1, 5),
            min: point(2, 6),
            max: point(3, 7),
            sum: Sum2 {
                hi: float(8),
                lo: float(9),
            },
            m2: float(10),
        };
        Ok(Chunk { summary, bytes })
    }

    /// A format-1 chunk, decoded and encoded again in the current format (its header lacks the
    /// times of its least and greatest values). Stores key chunks by their start, not their
    /// bytes, so the next write of the series stores the new form in place of the old.
    fn from_v1(bytes: Vec<u8>) -> Result<Chunk> {
        let count = u32::from_le_bytes(bytes[1..5].try_into().expect("4 bytes")) as usize;
        if count == 0 || count as u64 > MAX_READ {
            return Err(corrupt("it claims no points, or more than a chunk holds"));
        }
        let word = |i: usize| {
            let at = 5 + 8 * i;
            u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"))
        };
        let first = Point {
            t: word(0) as i64,
            v: f64::from_bits(word(2)),
        };
        let points = if count == 1 {
            vec![first]
        } else {
            codec::decode(&bytes[HEADER_LEN_V1..], count, |_| false).map_err(|e| corrupt(&e))?
        };
        if points.len() != count
            || points.first() != Some(&first)
            || points.windows(2).any(|w| w[0].t >= w[1].t)
        {
            return Err(corrupt("its points do not match its header"));
        }
        Ok(Chunk::encode(&points))
    }

    pub fn summary(&self) -> &Summary {
        &self.summary
    }

    /// The first timestamp: the chunk's key in every store.
    pub fn start(&self) -> i64 {
        self.summary.first.t
    }

    /// The last timestamp.
    pub fn end(&self) -> i64 {
        self.summary.last.t
    }

    pub fn len(&self) -> usize {
        self.summary.count as usize
    }

    pub fn is_empty(&self) -> bool {
        false
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// Whether every point of the chunk lies in `range`.
    pub fn within(&self, range: Range) -> bool {
        range.lo() <= self.start() && self.end() <= range.hi()
    }

    /// All its points, ascending.
    pub fn points(&self) -> Result<Vec<Point>> {
        self.points_until(|_| false)
    }

    /// Its points up to (at least) where `enough` says the times decoded so far suffice:
    /// decoding stops there.
    fn points_until(&self, enough: impl Fn(&[i64]) -> bool) -> Result<Vec<Point>> {
        let s = &self.summary;
        if s.count == 1 {
            return Ok(vec![s.first]);
        }
        let points = codec::decode(&self.bytes[HEADER_LEN..], s.count as usize, enough)
            .map_err(|e| corrupt(&e))?;
        let whole = points.len() == s.count as usize;
        if points.first() != Some(&s.first) || whole && points.last() != Some(&s.last) {
            return Err(corrupt("its points do not match its header"));
        }
        if points.windows(2).any(|w| w[0].t >= w[1].t) {
            return Err(corrupt("its times are not in order"));
        }
        Ok(points)
    }

    /// Its points inside `range`, ascending.
    pub fn points_in(&self, range: Range) -> Result<Vec<Point>> {
        self.first_points_in(range, usize::MAX)
    }

    /// Its first `n` points (or more) inside `range`, ascending: decoding stops once it has
    /// them, or has passed the range's end.
    pub fn first_points_in(&self, range: Range, n: usize) -> Result<Vec<Point>> {
        if self.within(range) && n >= self.len() {
            return self.points();
        }
        let (lo, hi) = (range.lo(), range.hi());
        let mut points = self.points_until(|t| {
            t.last().is_some_and(|&last| last > hi) || t.len() - t.partition_point(|&x| x < lo) >= n
        })?;
        let lo = points.partition_point(|p| p.t < range.lo());
        let hi = points.partition_point(|p| p.t <= range.hi());
        points.truncate(hi);
        points.drain(..lo);
        Ok(points)
    }
}

fn corrupt(why: &str) -> Error {
    Error::Internal(format!("a stored chunk cannot be read: {why}"))
}

/// What a write or delete does to a series' chunks. A store applies it as one unit: remove the
/// chunks starting at `remove`, then store `put` (each replacing any chunk with its start).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Plan {
    pub remove: Vec<i64>,
    pub put: Vec<Chunk>,
    /// Points the series gains (negative when it loses some).
    pub added: i64,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.remove.is_empty() && self.put.is_empty()
    }

    /// Records that `old` (loaded from the store, or none) becomes `new`.
    fn replace(&mut self, old: Option<&Chunk>, new: Vec<Chunk>, old_len: usize) {
        let new_len: usize = new.iter().map(Chunk::len).sum();
        self.added += new_len as i64 - old_len as i64;
        if let Some(old) = old {
            if !new.iter().any(|c| c.start() == old.start()) {
                self.remove.push(old.start());
            }
        }
        self.put.extend(new);
    }
}

/// The body's points split by the chunk that owns them: the last chunk starting at or before a
/// point, or the first chunk for points before every chunk. `starts` are the starts of the
/// series' chunks for the body's span (see [`Store::read_chunks`](crate::store::Store::read_chunks)),
/// ascending; `None` owns everything when there are none.
pub fn owners<'a>(starts: &[i64], points: &'a [Point]) -> Vec<(Option<i64>, &'a [Point])> {
    if starts.is_empty() {
        return vec![(None, points)];
    }
    let mut out = Vec::new();
    let mut rest = points;
    for (i, &start) in starts.iter().enumerate() {
        let n = match starts.get(i + 1) {
            Some(&next) => rest.partition_point(|p| p.t < next),
            None => rest.len(),
        };
        let (mine, later) = rest.split_at(n);
        if !mine.is_empty() {
            out.push((Some(start), mine));
        }
        rest = later;
    }
    out
}

/// How `points` (ascending, unique, at least one) go into the series: `starts` as for
/// [`owners`], `owning` the stored chunks [`owners`] named, ascending. New values replace
/// stored ones at the same time; rewriting stored values plans nothing.
pub fn plan_write(starts: &[i64], owning: &[Chunk], points: &[Point]) -> Result<Plan> {
    let mut plan = Plan::default();
    for (owner, mine) in owners(starts, points) {
        let Some(start) = owner else {
            plan.replace(None, split(mine, true), 0);
            continue;
        };
        let chunk = owning
            .iter()
            .find(|c| c.start() == start)
            .ok_or_else(|| Error::Internal(format!("chunk {start} was not loaded")))?;
        let old = chunk.points()?;
        let Some(merged) = merge(&old, mine) else {
            continue; // Every value was already stored: nothing to write.
        };
        let appending = mine[0].t > chunk.end();
        let mut pieces = split(&merged, appending);
        if appending && pieces.first().is_some_and(|c| c.len() == old.len()) {
            // A full chunk that only gets points after it stays as stored.
            pieces.remove(0);
            plan.replace(None, pieces, 0);
        } else {
            plan.replace(Some(chunk), pieces, old.len());
        }
    }
    Ok(plan)
}

/// How deleting `range` changes `loaded` (the series' chunks for the range, ascending); the
/// number of points removed is `-plan.added`.
pub fn plan_delete(loaded: &[Chunk], range: Range) -> Result<Plan> {
    let mut plan = Plan::default();
    for chunk in loaded {
        if chunk.end() < range.lo() || chunk.start() > range.hi() {
            continue;
        }
        if chunk.within(range) {
            plan.replace(Some(chunk), Vec::new(), chunk.len());
            continue;
        }
        let mut points = chunk.points()?;
        let before = points.len();
        points.retain(|p| p.t < range.lo() || p.t > range.hi());
        if points.len() != before {
            plan.replace(Some(chunk), split(&points, false), before);
        }
    }
    Ok(plan)
}

/// `old` with `new` merged in (both ascending and unique; `new` wins at equal times), or `None`
/// when that changes nothing.
fn merge(old: &[Point], new: &[Point]) -> Option<Vec<Point>> {
    let mut out = Vec::with_capacity(old.len() + new.len());
    let (mut i, mut changed) = (0, false);
    for &p in new {
        while i < old.len() && old[i].t < p.t {
            out.push(old[i]);
            i += 1;
        }
        if i < old.len() && old[i].t == p.t {
            changed |= old[i].v.to_bits() != p.v.to_bits();
            i += 1;
        } else {
            changed = true;
        }
        out.push(p);
    }
    out.extend_from_slice(&old[i..]);
    changed.then_some(out)
}

/// Chunks of at most [`MAX_POINTS`]. Appends fill chunks up before starting the next (a series
/// written in time order keeps full chunks); anything else splits evenly, so inserting into a
/// full chunk does not leave a sliver behind.
fn split(points: &[Point], fill: bool) -> Vec<Chunk> {
    if points.is_empty() {
        return Vec::new();
    }
    let size = if fill {
        MAX_POINTS
    } else {
        points.len().div_ceil(points.len().div_ceil(MAX_POINTS))
    };
    points.chunks(size).map(Chunk::encode).collect()
}

#[cfg(test)]
mod tests;
