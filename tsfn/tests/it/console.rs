//! The web console in a real browser: Debian's headless Chromium, driven through chromedriver by
//! Selenium (`console_browser.py`, run with the test venv's Python), against an in-process
//! `tsfn serve` holding the bundled dataset, and another one with an API key. The script walks
//! what a person does (list, open `co2`, zoom, upload, jobs, the shared URL, the key) and checks
//! what the page drew; its screenshots are kept in `target/console-screenshots/`.

use std::time::Duration;

use crate::support::{self, in_process, which, workspace_root};

#[test]
fn the_console_works_in_a_real_browser() {
    let (Some(_), Some(_), Some(_)) = (which("python"), which("chromium"), which("chromedriver"))
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
    let (open_url, keyed_url) = (open.url(""), keyed.url(""));
    // Every wait in the script is bounded; the limit bounds the whole of it.
    let args: Vec<&std::ffi::OsStr> = vec![
        script.as_os_str(),
        "--url".as_ref(),
        open_url.as_ref(),
        "--keyed-url".as_ref(),
        keyed_url.as_ref(),
        "--api-key".as_ref(),
        "console-test-key".as_ref(),
        "--screenshots".as_ref(),
        shots.as_os_str(),
    ];
    support::run_python(
        &args,
        &shots.join("console_browser.log"),
        Duration::from_secs(300),
    );
}
