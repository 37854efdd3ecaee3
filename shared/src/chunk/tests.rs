use proptest::prelude::*;

use super::*;
use crate::time::{MAX_MS, MIN_MS};

fn pts(raw: &[(i64, f64)]) -> Vec<Point> {
    raw.iter().map(|&(t, v)| Point { t, v }).collect()
}

/// Ascending, unique times from anywhere in the supported range.
fn series(max: usize) -> impl Strategy<Value = Vec<Point>> {
    let value = prop_oneof![
        any::<f64>().prop_filter("finite", |v| v.is_finite()),
        (-1_000_000i64..1_000_000).prop_map(|n| n as f64 / 10_000.0),
        Just(-0.0),
        Just(0.0),
        Just(f64::MAX),
        Just(f64::MIN),
        Just(f64::MIN_POSITIVE),
        Just(5e-324),
        Just(-5e-324),
    ];
    prop::collection::btree_map(MIN_MS..=MAX_MS, value, 1..max)
        .prop_map(|m| m.into_iter().map(|(t, v)| Point { t, v }).collect())
}

fn bits(points: &[Point]) -> Vec<(i64, u64)> {
    points.iter().map(|p| (p.t, p.v.to_bits())).collect()
}

/// Applies a plan to a store made of a sorted map of chunks, as a backend does.
fn apply(stored: &mut std::collections::BTreeMap<i64, Chunk>, plan: Plan) {
    for start in plan.remove {
        assert!(stored.remove(&start).is_some(), "removes a stored chunk");
    }
    for c in plan.put {
        stored.insert(c.start(), c);
    }
}

/// What a store loads for `range`: the last chunk starting at or before its start, then every
/// chunk starting inside it.
fn load(stored: &std::collections::BTreeMap<i64, Chunk>, range: Range) -> Vec<Chunk> {
    let before = stored
        .range(..=range.lo())
        .next_back()
        .map(|(_, c)| c.clone());
    let inside = stored
        .range(range.lo()..=range.hi())
        .filter(|(s, _)| **s != range.lo())
        .map(|(_, c)| c.clone());
    before.into_iter().chain(inside).collect()
}

/// Plans a write as a backend does: the starts for the span, then the owning chunks.
fn write(stored: &std::collections::BTreeMap<i64, Chunk>, body: &[Point]) -> Plan {
    let span = Range {
        from: Some(body[0].t),
        to: Some(body[body.len() - 1].t + 1),
    };
    let starts: Vec<i64> = load(stored, span).iter().map(Chunk::start).collect();
    let owning: Vec<Chunk> = owners(&starts, body)
        .into_iter()
        .filter_map(|(s, _)| s.map(|s| stored[&s].clone()))
        .collect();
    plan_write(&starts, &owning, body).unwrap()
}

fn all(stored: &std::collections::BTreeMap<i64, Chunk>) -> Vec<Point> {
    stored.values().flat_map(|c| c.points().unwrap()).collect()
}

proptest! {
    #[test]
    fn decode_encode_is_identity(points in series(3000)) {
        for run in points.chunks(MAX_POINTS) {
            let chunk = Chunk::encode(run);
            let back = Chunk::from_bytes(chunk.as_bytes().to_vec()).unwrap();
            // Compared as printed: a sum that overflows (values near f64::MAX) is NaN, which
            // equals nothing, itself included.
            let same = |a: &Summary, b: &Summary| format!("{a:?}") == format!("{b:?}");
            prop_assert!(same(back.summary(), chunk.summary()));
            prop_assert_eq!(bits(&back.points().unwrap()), bits(run));
            prop_assert!(same(back.summary(), &Summary::of(run).unwrap()));
        }
    }

    /// A range read decodes only up to its end, and gives exactly the points inside it.
    #[test]
    fn points_in_a_range_are_exact(
        points in series(MAX_POINTS),
        a in any::<prop::sample::Index>(),
        b in any::<prop::sample::Index>(),
    ) {
        let chunk = Chunk::encode(&points);
        let (i, j) = (a.index(points.len()), b.index(points.len()));
        let range = Range { from: Some(points[i.min(j)].t), to: Some(points[i.max(j)].t) };
        let want: Vec<Point> = points
            .iter()
            .copied()
            .filter(|p| p.t >= range.lo() && p.t <= range.hi())
            .collect();
        prop_assert_eq!(bits(&chunk.points_in(range).unwrap()), bits(&want));
        let n = 1 + a.index(300);
        let first = chunk.first_points_in(range, n).unwrap();
        prop_assert!(first.len() >= n.min(want.len()));
        prop_assert_eq!(bits(&first), bits(&want[..first.len()]));
    }

    /// Garbage never panics: it is read as an error (or, by chance, as some chunk).
    #[test]
    fn garbage_is_an_error_not_a_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        if let Ok(c) = Chunk::from_bytes(bytes) {
            let _ = c.points();
        }
    }

    /// A real chunk with bytes of its payload changed or cut off: an error or some points,
    /// never a panic (pco is handed corrupt input).
    #[test]
    fn corrupt_payloads_are_errors_not_panics(
        points in series(300),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut bytes = Chunk::encode(&points).into_bytes();
        if bytes.len() > HEADER_LEN {
            for (at, b) in edits {
                let i = HEADER_LEN + at.index(bytes.len() - HEADER_LEN);
                bytes[i] = b;
            }
            let keep = HEADER_LEN + cut.index(bytes.len() - HEADER_LEN + 1);
            let mut cut_short = bytes.clone();
            cut_short.truncate(keep);
            for b in [bytes, cut_short] {
                if let Ok(c) = Chunk::from_bytes(b) {
                    let _ = c.points();
                }
            }
        }
    }

    /// Writes in any order and size, then deletes, end with the points a map of points holds,
    /// in chunks that never overlap and never exceed MAX_POINTS.
    #[test]
    fn writes_and_deletes_keep_every_point(
        bodies in prop::collection::vec(
            prop::collection::btree_map(0i64..20_000, -1e6f64..1e6, 1..3000), 1..6),
        cuts in prop::collection::vec((0i64..20_000, 1i64..3000), 0..3),
    ) {
        let mut stored = std::collections::BTreeMap::new();
        let mut want = std::collections::BTreeMap::new();
        for body in bodies {
            let body: Vec<Point> = body.into_iter().map(|(t, v)| Point { t, v }).collect();
            let plan = write(&stored, &body);
            let before: usize = stored.values().map(Chunk::len).sum();
            apply(&mut stored, plan.clone());
            for p in &body {
                want.insert(p.t, p.v);
            }
            let after: usize = stored.values().map(Chunk::len).sum();
            prop_assert_eq!(after as i64 - before as i64, plan.added);
        }
        for (from, len) in cuts {
            let range = Range { from: Some(from), to: Some(from + len) };
            let plan = plan_delete(&load(&stored, range), range)?;
            let gone = want.range(range.lo()..=range.hi()).count() as i64;
            prop_assert_eq!(-plan.added, gone);
            apply(&mut stored, plan);
            want.retain(|t, _| *t < range.lo() || *t > range.hi());
        }
        let want: Vec<(i64, u64)> = want.into_iter().map(|(t, v)| (t, v.to_bits())).collect();
        prop_assert_eq!(bits(&all(&stored)), want);
        let mut last_end = i64::MIN;
        for (start, c) in &stored {
            prop_assert_eq!(*start, c.start());
            prop_assert!(c.start() > last_end, "chunks overlap");
            prop_assert!(c.len() <= MAX_POINTS);
            last_end = c.end();
        }
    }
}

#[test]
fn edge_values_round_trip() {
    let raw = [
        (MIN_MS, -0.0),
        (-1, 0.0),
        (0, f64::MAX),
        (1, f64::MIN),
        (2, f64::MIN_POSITIVE),
        (3, 5e-324),
        (4, -5e-324),
        (5, 1e300),
        (6, -1e-300),
        (MAX_MS, 0.1),
    ];
    let chunk = Chunk::encode(&pts(&raw));
    assert_eq!(bits(&chunk.points().unwrap()), bits(&pts(&raw)));
    let one = Chunk::encode(&pts(&raw[..1]));
    assert_eq!(one.as_bytes().len(), HEADER_LEN);
    assert_eq!(bits(&one.points().unwrap()), bits(&pts(&raw[..1])));
}

/// Points written one by one in time order fill chunks to the limit, rewriting only the last.
#[test]
fn appends_fill_chunks() {
    let mut stored = std::collections::BTreeMap::new();
    for i in 0..(2 * MAX_POINTS as i64 + 10) {
        let p = [Point {
            t: i * 1000,
            v: i as f64,
        }];
        let plan = write(&stored, &p);
        assert_eq!(plan.put.len(), 1, "one chunk written per appended point");
        apply(&mut stored, plan);
    }
    let sizes: Vec<usize> = stored.values().map(Chunk::len).collect();
    assert_eq!(sizes, [MAX_POINTS, MAX_POINTS, 10]);
    // Rewriting stored values changes nothing.
    let again: Vec<Point> = all(&stored)[5..50].to_vec();
    assert!(write(&stored, &again).is_empty());
}

/// The benchmark's data stays near two bytes a point.
#[test]
fn random_walk_compresses() {
    let (mut x, mut s) = (100.0f64, 42u64);
    let points: Vec<Point> = (0..MAX_POINTS as i64)
        .map(|i| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            x = ((x + ((s % 10_001) as f64 - 5000.0) / 10_000.0) * 10_000.0).round() / 10_000.0;
            Point {
                t: 1_700_000_000_000 + i * 1000,
                v: x,
            }
        })
        .collect();
    let chunk = Chunk::encode(&points);
    let per_point = chunk.as_bytes().len() as f64 / points.len() as f64;
    assert!(per_point < 2.5, "{per_point} bytes per point");
    assert_eq!(bits(&chunk.points().unwrap()), bits(&points));
}

/// Found by the fuzz target: a header claiming billions of points made the reader allocate
/// for them before looking at the payload.
#[test]
fn a_header_claiming_too_many_points_is_corrupt() {
    let mut bytes = Chunk::encode(&pts(&[(1, 1.0), (2, 2.0)])).into_bytes();
    bytes[1..5].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(Chunk::from_bytes(bytes.clone()).is_err());
    bytes[1..5].copy_from_slice(&60_000u32.to_le_bytes());
    let c = Chunk::from_bytes(bytes).unwrap();
    assert!(c.points().is_err(), "the payload holds 2 points");
}

/// The least and greatest points keep their times (the earliest of equal values), in a header
/// and merged across chunks.
#[test]
fn summaries_keep_where_the_extremes_are() {
    let raw = pts(&[
        (10, 3.0),
        (20, -0.0),
        (30, 7.0),
        (40, 0.0),
        (50, 7.0),
        (60, 1.0),
    ]);
    let c = Chunk::encode(&raw);
    let s = *Chunk::from_bytes(c.into_bytes()).unwrap().summary();
    assert_eq!((s.min.t, s.min.v.to_bits()), (20, (-0.0f64).to_bits()));
    assert_eq!((s.max.t, s.max.v), (30, 7.0));
    for cut in 1..raw.len() {
        let (a, b) = (
            Summary::of(&raw[..cut]).unwrap(),
            Summary::of(&raw[cut..]).unwrap(),
        );
        for m in [a.merge(b), b.merge(a)] {
            assert_eq!(m.min.t, 20, "cut at {cut}");
            assert_eq!(m.max.t, 30, "cut at {cut}");
        }
    }
}

/// Chunks written in format 1 (a 77-byte header without the extremes' times) still read, as
/// the same points with a current header.
#[test]
fn format_1_chunks_read() {
    let raw = pts(&[(1_000, 2.5), (2_000, -1.25), (3_500, 9.0), (4_000, 0.1)]);
    let s = Summary::of(&raw).unwrap();
    let mut v1 = vec![1u8];
    v1.extend_from_slice(&(raw.len() as u32).to_le_bytes());
    for x in [s.first.t, s.last.t] {
        v1.extend_from_slice(&x.to_le_bytes());
    }
    for x in [
        s.first.v, s.last.v, s.min.v, s.max.v, s.sum.hi, s.sum.lo, s.m2,
    ] {
        v1.extend_from_slice(&x.to_bits().to_le_bytes());
    }
    assert_eq!(v1.len(), 77);
    codec::encode(&raw, &mut v1);
    let c = Chunk::from_bytes(v1).unwrap();
    assert_eq!(bits(&c.points().unwrap()), bits(&raw));
    assert_eq!(c.summary(), &s);
    assert_eq!((c.summary().min.t, c.summary().max.t), (2_000, 3_500));
    assert_eq!(c.as_bytes()[0], FORMAT);
    // A one-point chunk has no payload.
    let mut one = v1_one(Point { t: 7, v: 4.0 });
    assert_eq!(one.len(), 77);
    let c = Chunk::from_bytes(std::mem::take(&mut one)).unwrap();
    assert_eq!(c.points().unwrap(), vec![Point { t: 7, v: 4.0 }]);
}

fn v1_one(p: Point) -> Vec<u8> {
    let mut v1 = vec![1u8];
    v1.extend_from_slice(&1u32.to_le_bytes());
    for _ in 0..2 {
        v1.extend_from_slice(&p.t.to_le_bytes());
    }
    for x in [p.v, p.v, p.v, p.v, p.v, 0.0, 0.0] {
        v1.extend_from_slice(&x.to_bits().to_le_bytes());
    }
    v1
}
