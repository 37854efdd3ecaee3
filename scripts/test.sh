#!/usr/bin/env bash
# The one test command (README, CI): installs what the suites need on a fresh machine, then runs
# formatting, lints and every test suite against real servers. Safe to re-run; installs are skipped
# when already present.
#
# Installs: Debian's redis-server (apt-get, when missing; each suite starts its own on a free
# loopback port), chromium and chromium-driver (the console's browser test), and pinned Python
# tools into ./.venv from scripts/requirements-test.txt: cargo-lambda (the emulator behind
# `cargo lambda watch`), moto's server (a local DynamoDB), cfn-lint (the SAM template), kubectl
# with kustomize and kubernetes-validate (the manifests), selenium (drives chromium through
# chromedriver in the console's browser test), schemathesis (requests generated from the OpenAPI
# document, answers checked against it; hypothesis, which generates them, pinned with it so a seed
# means the same cases), jsonschema and referencing (job results against the document's schemas).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> [%s, %ss in] %s\n' "$(date +%T)" "$SECONDS" "$*"; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

step "Debian packages (redis-server; curl for the user guide's examples; chromium and its driver for the console)"
missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
command -v curl >/dev/null || missing+=(curl)
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
if [ ${#missing[@]} -gt 0 ]; then
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
redis-server --version
curl --version | head -1
chromium --version
chromedriver --version

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

step "Deployment manifests: cfn-lint on the SAM template, both Kubernetes overlays rendered and validated"
cfn-lint infra/aws/template.yaml
for overlay in test prod; do
    rendered=$(mktemp)
    kubectl kustomize "infra/k8s/overlays/$overlay" > "$rendered"
    kubernetes-validate --strict --quiet "$rendered"
    echo "infra/k8s/overlays/$overlay: $(grep -c '^kind:' "$rendered") objects, valid"
    rm -f "$rendered"
done

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets -- -D warnings

step "cargo test (every suite)"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
# Most suites wait on servers (redis-server, moto, the emulator, tsfn), not on the CPU: four
# test threads on two cores keep both busy. RUST_TEST_THREADS overrides.
RUST_TEST_THREADS=${RUST_TEST_THREADS:-4} cargo test --workspace --no-fail-fast "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# One closing line over all suites (cargo prints one per test binary, the last often a doc-test run).
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($i ~ /^passed;?$/) p += $(i-1); if ($i ~ /^failed;?$/) f += $(i-1) } }
     END { printf "\ncargo test: %d passed, %d failed\n", p, f }' "$log"
exit "$status"
