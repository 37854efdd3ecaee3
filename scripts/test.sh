#!/usr/bin/env bash
# The one test command (README, CI): installs what the suites need on a fresh machine, then runs
# formatting, lints and every test suite against real servers. Safe to re-run; installs are skipped
# when already present.
#
# Installs: Python tools into ./.venv (cargo-lambda, the emulator behind `cargo lambda watch`),
# from scripts/requirements-test.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "Python test tools (.venv: $(tr '\n' ' ' < scripts/requirements-test.txt))"
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
if ! .venv/bin/python -m pip install --quiet --disable-pip-version-check -r scripts/requirements-test.txt; then
    echo "pip install failed" >&2
    exit 1
fi
export PATH="$PWD/.venv/bin:$PATH"
cargo lambda --version

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets -- -D warnings

step "cargo test (every suite)"
cargo test --workspace --no-fail-fast "$@"
