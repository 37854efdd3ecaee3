#!/usr/bin/env bash
# The one test command (README, CI): installs what the suites need on a fresh machine, then runs
# formatting, lints and every test suite against real servers. Safe to re-run; installs are skipped
# when already present.
#
# Installs: Debian's redis-server (apt-get, when missing; each suite starts its own on a free
# loopback port), and Python tools into ./.venv from scripts/requirements-test.txt (cargo-lambda,
# the emulator behind `cargo lambda watch`).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

step "Debian packages (redis-server)"
if ! command -v redis-server >/dev/null; then
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
fi
redis-server --version

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
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
cargo test --workspace --no-fail-fast "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# One closing line over all suites (cargo prints one per test binary, the last often a doc-test run).
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($i ~ /^passed;?$/) p += $(i-1); if ($i ~ /^failed;?$/) f += $(i-1) } }
     END { printf "\ncargo test: %d passed, %d failed\n", p, f }' "$log"
exit "$status"
