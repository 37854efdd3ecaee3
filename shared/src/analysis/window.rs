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

    #[cfg(test)]
    pub(crate) fn values(&self) -> &[f64] {
        &self.sorted
    }

    pub(crate) fn median(&self) -> f64 {
        median_sorted(&self.sorted)
    }

    /// Median absolute deviation from `m` in O(log w) without building the deviations: the
    /// values below `m` and those from `m` up give two sorted runs of deviations, and the median
    /// of their union is found by selection.
    pub(crate) fn mad(&self, m: f64) -> f64 {
        let s = &self.sorted;
        let n = s.len();
        if n == 0 {
            return f64::NAN;
        }
        let c = s.partition_point(|&x| x < m);
        // Subtraction rounds monotonically, so both runs are ascending.
        let below = |j: usize| m - s[c - 1 - j];
        let above = |j: usize| s[c + j] - m;
        let kth = |k| kth_of_two(c, below, n - c, above, k);
        if n % 2 == 1 {
            kth(n / 2)
        } else {
            (kth(n / 2 - 1) + kth(n / 2)) / 2.0
        }
    }

    /// Mean absolute deviation from `m`. Linear, but only used when the MAD is 0, and then only
    /// the values different from `m` (fewer than half) are summed.
    pub(crate) fn mean_abs_dev(&self, m: f64) -> f64 {
        let s = &self.sorted;
        let (lo, hi) = (
            s.partition_point(|&x| x < m),
            s.partition_point(|&x| x <= m),
        );
        let sum =
            s[..lo].iter().map(|x| m - x).sum::<f64>() + s[hi..].iter().map(|x| x - m).sum::<f64>();
        sum / s.len() as f64
    }
}

/// The `k`-th smallest (0-based) of the union of two ascending sequences given by index, by
/// binary search on how many come from the first: O(log(na + nb)).
fn kth_of_two(
    na: usize,
    a: impl Fn(usize) -> f64,
    nb: usize,
    b: impl Fn(usize) -> f64,
    k: usize,
) -> f64 {
    let take = k + 1;
    let (mut lo, mut hi) = (take.saturating_sub(nb), take.min(na));
    loop {
        let i = (lo + hi) / 2;
        let j = take - i;
        if i > 0 && j < nb && a(i - 1) > b(j) {
            hi = i - 1;
        } else if j > 0 && i < na && b(j - 1) > a(i) {
            lo = i + 1;
        } else {
            let from_a = if i > 0 { a(i - 1) } else { f64::NEG_INFINITY };
            let from_b = if j > 0 { b(j - 1) } else { f64::NEG_INFINITY };
            return from_a.max(from_b);
        }
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
    fn mad_by_selection_matches_sorting() {
        // Pseudo-random windows with repeats, odd and even sizes, against sort-the-deviations.
        for n in 1..40usize {
            let mut w = SortedWindow::with_capacity(n);
            for i in 0..n {
                w.insert(((i * 7919 + n * 31) % 13) as f64 * 0.5);
            }
            let m = w.median();
            let mut dev: Vec<f64> = w.values().iter().map(|x| (x - m).abs()).collect();
            dev.sort_unstable_by(f64::total_cmp);
            assert_eq!(w.mad(m), median_sorted(&dev), "n = {n}");
            let mean = dev.iter().sum::<f64>() / n as f64;
            assert!((w.mean_abs_dev(m) - mean).abs() < 1e-12, "n = {n}");
        }
        // [1, 2, 3, 4, 100]: m = 3, deviations 0 1 1 2 97 -> MAD 1.
        let mut w = SortedWindow::with_capacity(5);
        for v in [100.0, 1.0, 4.0, 2.0, 3.0] {
            w.insert(v);
        }
        assert_eq!(w.mad(3.0), 1.0);
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
