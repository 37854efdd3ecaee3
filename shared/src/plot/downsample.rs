//! Largest-Triangle-Three-Buckets downsampling (Steinarsson, 2013): keeps the points that carry
//! the visible shape of a line (peaks and troughs) when a series has far more points than pixels.

use crate::model::Point;

/// Reduces `points` (sorted by time) to `threshold` points, keeping the first and the last.
/// Returns a copy when there is nothing to reduce.
pub fn lttb(points: &[Point], threshold: usize) -> Vec<Point> {
    let n = points.len();
    if threshold >= n || threshold < 3 {
        return points.to_vec();
    }
    let mut out = Vec::with_capacity(threshold);
    out.push(points[0]);
    // The interior points are split into threshold - 2 buckets of (nearly) equal size.
    let every = (n - 2) as f64 / (threshold - 2) as f64;
    let mut a = 0usize;
    for i in 0..threshold - 2 {
        let start = (i as f64 * every) as usize + 1;
        let end = (((i + 1) as f64 * every) as usize + 1).min(n - 1);
        // The average of the next bucket is the third corner of the triangle.
        let next_start = end;
        let next_end = ((((i + 2) as f64) * every) as usize + 1).min(n);
        let (mut ax, mut ay) = (0.0, 0.0);
        let span = &points[next_start..next_end.max(next_start + 1).min(n)];
        for p in span {
            ax += p.t as f64;
            ay += p.v;
        }
        ax /= span.len() as f64;
        ay /= span.len() as f64;
        let (px, py) = (points[a].t as f64, points[a].v);
        let mut best = start;
        let mut best_area = -1.0;
        for (j, p) in points[start..end].iter().enumerate() {
            let area = ((px - ax) * (p.v - py) - (px - p.t as f64) * (ay - py)).abs();
            if area > best_area {
                best_area = area;
                best = start + j;
            }
        }
        out.push(points[best]);
        a = best;
    }
    out.push(points[n - 1]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flat(n: usize) -> Vec<Point> {
        (0..n)
            .map(|i| Point {
                t: i as i64 * 1000,
                v: 0.0,
            })
            .collect()
    }

    #[test]
    fn keeps_ends_and_size() {
        let p: Vec<Point> = (0..10_000)
            .map(|i| Point {
                t: i,
                v: (i as f64 / 50.0).sin(),
            })
            .collect();
        let d = lttb(&p, 100);
        assert_eq!(d.len(), 100);
        assert_eq!(d[0], p[0]);
        assert_eq!(d[99], p[9999]);
        assert!(d.windows(2).all(|w| w[0].t < w[1].t));
        assert_eq!(lttb(&p[..50], 100).len(), 50);
    }

    #[test]
    fn keeps_spike_extremes() {
        let mut p = flat(10_000);
        p[3_333].v = 100.0;
        p[6_666].v = -80.0;
        let d = lttb(&p, 100);
        assert!(d.iter().any(|q| q.v == 100.0), "max spike lost");
        assert!(d.iter().any(|q| q.v == -80.0), "min spike lost");
    }
}
