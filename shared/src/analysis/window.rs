//! A sliding window kept sorted, for rolling medians and robust statistics. Insert and remove
//! are a binary search plus a shift of at most `window` values: cache-friendly and fast for the
//! windows jobs allow (up to 10,000 points).

pub(crate) struct SortedWindow {
    sorted: Vec<f64>,
}

impl SortedWindow {
    pub(crate) fn with_capacity(n: usize) -> Self {
        SortedWindow {
            sorted: Vec::with_capacity(n),
        }
    }

    pub(crate) fn insert(&mut self, v: f64) {
        let i = self.sorted.partition_point(|&x| x < v);
        self.sorted.insert(i, v);
    }

    pub(crate) fn remove(&mut self, v: f64) {
        let i = self.sorted.partition_point(|&x| x < v);
        debug_assert!(self.sorted.get(i) == Some(&v));
        self.sorted.remove(i);
    }

    pub(crate) fn values(&self) -> &[f64] {
        &self.sorted
    }

    pub(crate) fn median(&self) -> f64 {
        median_sorted(&self.sorted)
    }
}

/// Median of sorted values (mean of the middle two for an even count).
pub(crate) fn median_sorted(s: &[f64]) -> f64 {
    let n = s.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    }
}

/// Percentile `q` (0-1) of sorted values by linear interpolation between closest ranks
/// (numpy's default method): h = (n - 1) q.
pub(crate) fn percentile_sorted(s: &[f64], q: f64) -> f64 {
    let n = s.len();
    if n == 0 {
        return f64::NAN;
    }
    let h = (n - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    s[lo] + (h - lo as f64) * (s[hi] - s[lo])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_window_tracks_median() {
        let mut w = SortedWindow::with_capacity(4);
        for v in [5.0, 1.0, 3.0] {
            w.insert(v);
        }
        assert_eq!(w.values(), [1.0, 3.0, 5.0]);
        assert_eq!(w.median(), 3.0);
        w.insert(3.0);
        assert_eq!(w.median(), 3.0);
        w.remove(1.0);
        w.remove(3.0);
        assert_eq!(w.values(), [3.0, 5.0]);
        assert_eq!(w.median(), 4.0);
    }

    #[test]
    fn percentiles_match_linear_interpolation() {
        let s: Vec<f64> = (1..=100).map(f64::from).collect();
        // h = 99 * 0.25 = 24.75 -> s[24] + 0.75 (s[25] - s[24]) = 25 + 0.75 = 25.75.
        assert_eq!(percentile_sorted(&s, 0.25), 25.75);
        assert_eq!(percentile_sorted(&s, 0.5), 50.5);
        assert_eq!(percentile_sorted(&s, 0.0), 1.0);
        assert_eq!(percentile_sorted(&s, 1.0), 100.0);
        // [1, 2, 4, 8]: h = 3 * 0.9 = 2.7 -> 4 + 0.7 * 4 = 6.8.
        assert!((percentile_sorted(&[1.0, 2.0, 4.0, 8.0], 0.9) - 6.8).abs() < 1e-12);
    }
}
