//! Largest-Triangle-Three-Buckets downsampling (Steinarsson, 2013): keeps the points that carry
//! the visible shape of a line (peaks and troughs) when a series has far more points than pixels.

use crate::model::Point;

/// Reduces `points` (sorted by time) to exactly `threshold` points, keeping the first and the
/// last. Returns a copy when there is nothing to reduce (`len <= threshold`) or the threshold is
/// too small to keep both ends and one point between them (`threshold < 3`).
pub fn lttb(points: &[Point], threshold: usize) -> Vec<Point> {
    let n = points.len();
    if n <= threshold || threshold < 3 {
        return points.to_vec();
    }
    // The n - 2 interior points are split into `buckets` runs whose bounds are computed in
    // integers: float bounds can round a point out of every bucket. Since threshold < n, every
    // bucket holds at least one point.
    let buckets = threshold - 2;
    let bound = |i: usize| 1 + i * (n - 2) / buckets;
    let mut out = Vec::with_capacity(threshold);
    out.push(points[0]);
    let mut a = points[0];
    for i in 0..buckets {
        let (start, end) = (bound(i), bound(i + 1));
        // The third corner of the triangle is the average of the next bucket (for the last
        // bucket, the last point), so the choice looks one step ahead.
        let next = if i + 1 < buckets {
            &points[end..bound(i + 2)]
        } else {
            &points[n - 1..]
        };
        let (mut sx, mut sy) = (0.0, 0.0);
        for p in next {
            // Relative to `a` so large epoch values do not swamp the sums' precision.
            sx += (p.t - a.t) as f64;
            sy += p.v;
        }
        let cx = sx / next.len() as f64;
        let cy = sy / next.len() as f64 - a.v;
        let mut best = start;
        let mut best_area = -1.0;
        for (j, p) in points[start..end].iter().enumerate() {
            // Twice the triangle's area (a, p, c) with `a` at the origin; the factor and the
            // sign do not change which point is largest.
            let area = (cx * (p.v - a.v) - (p.t - a.t) as f64 * cy).abs();
            if area > best_area {
                best_area = area;
                best = start + j;
            }
        }
        a = points[best];
        out.push(a);
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
                t: 1_700_000_000_000 + i as i64 * 1000,
                v: 0.0,
            })
            .collect()
    }

    #[test]
    fn keeps_ends_order_and_exact_size() {
        let p: Vec<Point> = (0..10_000)
            .map(|i| Point {
                t: 1_700_000_000_000 + i,
                v: (i as f64 / 50.0).sin(),
            })
            .collect();
        for threshold in [3, 4, 100, 997, 9_999] {
            let d = lttb(&p, threshold);
            assert_eq!(d.len(), threshold);
            assert_eq!(d[0], p[0]);
            assert_eq!(d[threshold - 1], p[9_999]);
            assert!(d.windows(2).all(|w| w[0].t < w[1].t), "{threshold}");
        }
    }

    #[test]
    fn copies_when_nothing_to_reduce() {
        let p = flat(50);
        assert_eq!(lttb(&p, 100), p);
        assert_eq!(lttb(&p, 50), p);
        assert_eq!(lttb(&p, 2), p);
        assert_eq!(lttb(&p, 0), p);
        assert!(lttb(&[], 10).is_empty());
    }

    #[test]
    fn keeps_spike_extremes() {
        let mut p = flat(10_000);
        p[3_333].v = 100.0;
        p[6_666].v = -80.0;
        let d = lttb(&p, 100);
        assert_eq!(d.len(), 100);
        assert!(d.iter().any(|q| q.v == 100.0), "max spike lost");
        assert!(d.iter().any(|q| q.v == -80.0), "min spike lost");
    }
}
