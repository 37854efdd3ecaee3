//! How fast the worker's own code runs, without a store: decoding a series' chunks and each job
//! kind's computation over it (the work `jobs::run` does once the points are read). Built once
//! per profile by `scripts/bench.sh worker-speed`, to compare the Lambda profile (opt-level "s")
//! with the release one on the same inputs.
//!
//! Usage: analysis_speed [points] [runs]   (default 1,000,000 points, median of 5 runs)

use std::time::Instant;

use serde_json::json;
use tsfn_shared::chunk::Chunk;
use tsfn_shared::jobs::run::{compute, Loaded};
use tsfn_shared::jobs::Kind;
use tsfn_shared::model::{Point, SeriesId};

/// A seeded random walk with 4 decimals, one point a second (as `bench.sh peers` loads).
fn series(n: usize, seed: u64) -> Vec<Point> {
    let mut state = seed;
    let mut v = 100.0f64;
    (0..n)
        .map(|i| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            v += (state % 2001) as f64 / 1000.0 - 1.0;
            Point {
                t: 1_700_000_000_000 + i as i64 * 1000,
                v: (v * 1e4).round() / 1e4,
            }
        })
        .collect()
}

/// Median wall time of `runs` calls, in ms.
fn median_ms(runs: usize, mut f: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args
        .next()
        .map_or(1_000_000, |a| a.parse().expect("points"));
    let runs: usize = args.next().map_or(5, |a| a.parse().expect("runs"));
    let points = series(n, 0x9E37_79B9_7F4A_7C15);
    let loaded = |name: &str, points: Vec<Point>| Loaded {
        id: SeriesId::parse(name).expect("series id"),
        name: name.to_owned(),
        unit: "degC".to_owned(),
        points,
    };
    let data = [
        loaded("a", points.clone()),
        loaded("b", series(n, 0x2545_F491_4F6C_DD1D)),
    ];

    let chunks: Vec<Chunk> = points.chunks(1024).map(Chunk::encode).collect();
    let mut rows = vec![
        (
            "chunk encode".to_owned(),
            median_ms(runs, || {
                std::hint::black_box(points.chunks(1024).map(Chunk::encode).count());
            }),
        ),
        (
            "chunk decode".to_owned(),
            median_ms(runs, || {
                let mut total = 0;
                for c in &chunks {
                    total += c.points().expect("decodes").len();
                }
                assert_eq!(total, n);
            }),
        ),
    ];
    let kinds = [
        ("summary", json!({})),
        ("histogram", json!({})),
        ("rolling", json!({})),
        ("resample", json!({"every": "1h"})),
        ("trend", json!({})),
        ("anomalies", json!({})),
        ("correlation", json!({})),
        ("plot", json!({})),
        ("plot", json!({"format": "svg"})),
    ];
    for (kind, params) in kinds {
        let label = match params.get("format") {
            Some(f) => format!("{kind} ({})", f.as_str().unwrap_or_default()),
            None => kind.to_owned(),
        };
        let kind = Kind::parse(kind, params).expect("valid kind");
        let series = if matches!(kind, Kind::Correlation(_)) {
            &data[..]
        } else {
            &data[..1]
        };
        let ms = median_ms(runs, || {
            let out = compute(&kind, series).expect("computes");
            std::hint::black_box(out.data.len());
        });
        rows.push((label, ms));
    }
    println!("{n} points, median of {runs} runs");
    let mut total = 0.0;
    for (label, ms) in &rows {
        println!("{label:18} {ms:9.1} ms");
        total += ms;
    }
    println!("{:18} {total:9.1} ms", "total");
}
