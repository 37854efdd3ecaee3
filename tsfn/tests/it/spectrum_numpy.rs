//! The `spectrum` job kind against numpy's FFT on the same data: every magnitude and frequency
//! of tsfn's result equals what `numpy.fft.rfft` gives (same mean removal, the periodic Hann
//! window or none, the same amplitude scaling), for an odd and an even number of points.

use std::time::Duration;

use crate::conformance::{submit, wait_job};
use crate::support::{self, in_process, json};

const CHECK: &str = r#"
import json, sys
import numpy as np
d = json.load(open(sys.argv[1]))
v = np.array(d["values"], dtype=np.float64)
n = len(v)
w = np.ones(n) if d["window"] == "none" else 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)
x = np.fft.rfft((v - v.mean()) * w)
scale = np.full(len(x), 2.0)
scale[0] = 1.0
if n % 2 == 0:
    scale[-1] = 1.0
mag = np.abs(x) * scale / w.sum()
hz = np.fft.rfftfreq(n, d["spacing_s"])
got = d["result"]["frequencies"]
assert len(got) == len(mag), (len(got), len(mag))
worst = max(abs(g["magnitude"] - m) / max(m, 1e-12) for g, m in zip(got, mag) if m > 1e-9)
assert worst < 1e-9, worst
assert all(abs(g["hz"] - f) <= 1e-15 + 1e-12 * f for g, f in zip(got, hz))
print(f"{d['window']}, n={n}: {len(mag)} frequencies equal numpy's (worst relative difference {worst:.1e})")
"#;

#[test]
fn spectrum_equals_numpy_fft() {
    let s = in_process::sqlite_memory(&[]);
    let tau = std::f64::consts::TAU;
    for n in [1001i64, 1200] {
        // Two sines off the bins, and noise from a fixed generator.
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let values: Vec<f64> = (0..n)
            .map(|i| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let noise = (seed % 10_000) as f64 / 10_000.0 - 0.5;
                let t = i as f64;
                3.0 * (tau * t / 37.3).sin() + 1.2 * (tau * t / 5.1).cos() + noise
            })
            .collect();
        let series = format!("np{n}");
        let pts: Vec<(i64, f64)> = values
            .iter()
            .enumerate()
            .map(|(i, &v)| (i as i64 * 60, v))
            .collect();
        s.write(&series, &pts);
        for window in ["hann", "none"] {
            let id = submit(
                &s,
                json!({"kind": "spectrum", "series": series, "params": {"window": window}}),
            );
            assert_eq!(wait_job(&s, &id)["status"], "succeeded");
            let result = s.get(&format!("/jobs/{id}/result")).expect(200);
            let dir = tempfile::tempdir().unwrap();
            let file = dir.path().join("case.json");
            std::fs::write(
                &file,
                serde_json::to_vec(&json!({"values": values, "window": window, "spacing_s": 60.0, "result": result})).unwrap(),
            )
            .unwrap();
            support::run_python(
                &["-c".as_ref(), CHECK.as_ref(), file.as_os_str()],
                &dir.path().join("check.log"),
                Duration::from_secs(120),
            );
        }
    }
}
