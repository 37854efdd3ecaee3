//! The settings are defined once (`shared/src/settings.rs`); this suite checks every list of them
//! against those definitions, and that `tsfn` validates them before it starts anything:
//!
//! - the README's Settings table: each setting once, with its flag and default;
//! - docs/deploy.md's configuration table: each setting once, with its default;
//! - `tsfn --help`: each setting's flag, variable and default;
//! - a bad value (`TSFN_WORKERS=abc`...) stops `tsfn` with status 2 and a message naming the
//!   variable and what it accepts, before it listens; an empty variable counts as unset; a flag
//!   wins over its variable, before or after the command.

use crate::support;

use std::collections::BTreeMap;
use std::process::{Command, Output, Stdio};

use clap::Args;
use support::{tsfn_bin, workspace_root};
use tsfn_shared::Settings;

/// One setting as defined: its variable, its flag and its default.
#[derive(Debug, Clone, PartialEq)]
struct Definition {
    flag: String,
    default: Option<String>,
}

/// The visible settings by variable, from the definitions themselves.
fn definitions() -> BTreeMap<String, Definition> {
    let cmd = Settings::augment_args(clap::Command::new("tsfn"));
    let defs: BTreeMap<String, Definition> = cmd
        .get_arguments()
        .filter(|a| !a.is_hide_set())
        .map(|a| {
            let var = a.get_env().expect("every setting has a variable");
            let flag = a.get_long().expect("every setting has a flag");
            (
                var.to_str().unwrap().to_owned(),
                Definition {
                    flag: format!("--{flag}"),
                    default: a
                        .get_default_values()
                        .first()
                        .map(|d| d.to_str().unwrap().to_owned()),
                },
            )
        })
        .collect();
    assert!(defs.len() >= 10, "{defs:?}");
    defs
}

/// The cells of the rows of the first table under the heading `heading` (`## Settings`).
fn table(md: &str, heading: &str) -> Vec<Vec<String>> {
    let section = md
        .split(&format!("\n{heading}\n"))
        .nth(1)
        .unwrap_or_else(|| panic!("no section {heading}"))
        .split("\n## ")
        .next()
        .unwrap();
    section
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2) // the header and the |---| line
        .map(|l| {
            l.trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().to_owned())
                .collect()
        })
        .collect()
}

/// How a table writes a default: the value in backticks, or "unset".
fn default_cell(d: &Definition) -> String {
    d.default
        .as_ref()
        .map_or_else(|| "unset".to_owned(), |v| format!("`{v}`"))
}

fn read(path: &str) -> String {
    std::fs::read_to_string(workspace_root().join(path)).unwrap()
}

#[test]
fn the_readme_settings_table_is_the_definitions() {
    let defs = definitions();
    let mut documented = BTreeMap::new();
    for row in table(&read("README.md"), "## Settings") {
        let var = row[0].trim_matches('`').to_owned();
        assert!(
            documented
                .insert(var.clone(), (row[1].clone(), row[2].clone()))
                .is_none(),
            "README: {var} twice"
        );
    }
    let expected: BTreeMap<String, (String, String)> = defs
        .iter()
        .map(|(var, d)| (var.clone(), (format!("`{}`", d.flag), default_cell(d))))
        .collect();
    assert_eq!(
        documented, expected,
        "README Settings table (variable -> flag, default) vs shared/src/settings.rs"
    );
}

#[test]
fn the_deploy_guide_configuration_table_is_the_definitions() {
    let defs = definitions();
    let mut documented = BTreeMap::new();
    for row in table(&read("docs/deploy.md"), "## Configuration") {
        // The AWS SDK's own variables are listed too; they are not tsfn settings.
        if row[0].starts_with("`AWS_") {
            continue;
        }
        let var = row[0].trim_matches('`').to_owned();
        assert!(
            documented.insert(var.clone(), row[1].clone()).is_none(),
            "docs/deploy.md: {var} twice"
        );
    }
    let expected: BTreeMap<String, String> = defs
        .iter()
        .map(|(var, d)| (var.clone(), default_cell(d)))
        .collect();
    assert_eq!(
        documented, expected,
        "docs/deploy.md configuration table (variable -> default) vs shared/src/settings.rs"
    );
}

/// `tsfn` with only the given settings variables (the others removed).
fn tsfn(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(tsfn_bin());
    cmd.args(args).stdin(Stdio::null());
    for var in definitions().keys() {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().copied()).output().expect("run tsfn")
}

#[test]
fn tsfn_help_shows_every_setting_with_its_variable_and_default() {
    let out = tsfn(&["--help"], &[]);
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for (var, d) in definitions() {
        // The option's entry: its line, and any continuation lines up to the next option.
        let lines: Vec<&str> = help.lines().collect();
        let start = lines
            .iter()
            .position(|l| l.trim_start().starts_with(&format!("{} ", d.flag)) || l.trim() == d.flag)
            .unwrap_or_else(|| panic!("tsfn --help lacks {}:\n{help}", d.flag));
        let entry = std::iter::once(lines[start])
            .chain(
                lines[start + 1..]
                    .iter()
                    .take_while(|l| !l.trim_start().starts_with('-') && !l.trim().is_empty())
                    .copied(),
            )
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            entry.contains(&format!("[env: {var}")),
            "tsfn --help: {} without its variable {var}: {entry}",
            d.flag
        );
        // A flag that takes no value (--no-seed) has its variable's default in the help text.
        if let Some(default) = &d.default {
            if !entry.contains('<') {
                continue;
            }
            assert!(
                entry.contains(&format!("[default: {default}]")),
                "tsfn --help: {} without its default {default}: {entry}",
                d.flag
            );
        }
    }
    // The API key's value is never printed.
    let out = tsfn(&["--help"], &[("TSFN_API_KEY", "s3cret")]);
    assert!(!String::from_utf8_lossy(&out.stdout).contains("s3cret"));
}

#[test]
fn bad_values_stop_tsfn_at_start_with_status_2_naming_the_variable() {
    for (var, value, accepts) in [
        ("TSFN_WORKERS", "abc", "a whole number"),
        ("TSFN_WORKERS", "-1", "a whole number"),
        ("TSFN_JOB_LEASE_MS", "5", "from 100 to 86400000"),
        ("TSFN_JOB_MAX_ATTEMPTS", "0", "1 or more"),
        ("TSFN_SHUTDOWN_GRACE_MS", "soon", "milliseconds"),
        ("TSFN_DYNAMODB_TIMEOUT_MS", "0", "1 or more"),
        ("TSFN_MAX_BODY_BYTES", "1MB", "bytes"),
        ("TSFN_SEED", "maybe", "1, true, 0 or false"),
        ("TSFN_BIND", "3000", "HOST:PORT"),
        ("RUST_LOG", "=bad=", "log filter"),
    ] {
        let out = tsfn(
            &["serve", "--bind", "127.0.0.1:0"],
            &[("TSFN_STORE", "sqlite::memory:"), (var, value)],
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{var}={value}: {stderr}");
        assert!(
            stderr.contains(var) && stderr.contains(accepts),
            "{var}={value}: the message names neither the variable nor what it accepts: {stderr}"
        );
        assert!(out.stdout.is_empty(), "{var}={value}: it started");
    }
    // The flag's own value is checked the same way.
    let out = tsfn(&["worker", "--workers", "many"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("TSFN_WORKERS (--workers)"));
}

#[test]
fn empty_variables_count_as_unset_and_flags_win() {
    let defs = definitions();
    let empty: Vec<(&str, &str)> = defs.keys().map(|v| (v.as_str(), "")).collect();
    let out = tsfn(&["routes"], &empty);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A flag wins over its variable, before or after the command.
    for args in [
        ["init-store", "--store", "sqlite::memory:"],
        ["--store", "sqlite::memory:", "init-store"],
    ] {
        let out = tsfn(&args, &[("TSFN_STORE", "redis://127.0.0.1:1/0")]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "sqlite::memory: is ready\n"
        );
    }
    let defaults = Settings::default();
    assert_eq!(defaults.workers, 2);
    assert_eq!(defaults.store, tsfn_shared::settings::DEFAULT_STORE);
    assert!(defaults.seed && defaults.api_key.is_none());
}
