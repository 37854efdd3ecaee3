//! The web console in a real browser: Debian's headless Chromium, driven through chromedriver by
//! Selenium (`console_browser.py`, run with the test venv's Python), against an in-process
//! `tsfn serve` holding the bundled dataset, and another one with an API key. The script walks
//! what a person does (list, open `co2`, zoom, upload, jobs, the shared URL, the key) and checks
//! what the page drew; its screenshots are kept in `target/console-screenshots/`.

use std::process::Command;
use std::time::Duration;

use crate::support::{self, in_process, which, workspace_root};

#[test]
fn the_console_works_in_a_real_browser() {
    let (Some(python), Some(_), Some(_)) =
        (which("python"), which("chromium"), which("chromedriver"))
    else {
        // The test command installs all three; elsewhere, say what is missing rather than pass.
        panic!("the console test needs the test venv's python (with selenium), chromium and chromedriver: run ./scripts/test.sh");
    };
    let open = in_process::start("sqlite::memory:", &[]);
    let keyed = in_process::start("sqlite::memory:", &[("TSFN_API_KEY", "console-test-key")]);
    // The dataset is loaded before serving starts, but wait for it to be listed all the same.
    support::eventually(Duration::from_secs(30), "the dataset to be served", || {
        open.get("/series/co2").status == 200
    });
    let shots = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
        .join("console-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let script = workspace_root().join("tsfn/tests/it/console_browser.py");
    let log_path = shots.join("console_browser.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut child = Command::new(python)
        .arg(&script)
        .args(["--url", &open.url("")])
        .args([
            "--keyed-url",
            &keyed.url(""),
            "--api-key",
            "console-test-key",
        ])
        .arg("--screenshots")
        .arg(&shots)
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("run console_browser.py");
    // Every wait in the script is bounded; this bounds the whole of it.
    let status = support::wait_exit(&mut child, Duration::from_secs(300));
    if status.is_none() {
        let _ = child.kill();
        let _ = child.wait();
    }
    let text = std::fs::read_to_string(&log_path).unwrap_or_default();
    println!("{text}");
    assert!(
        status.is_some_and(|s| s.success()),
        "console_browser.py failed or ran over 300 s ({status:?}):\n{text}"
    );
}
