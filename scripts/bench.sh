#!/usr/bin/env bash
# Benchmarks of `tsfn serve` (release build) on this machine; prints its figures.
# Usage: scripts/bench.sh [STORE_URL]   (default: a fresh SQLite file in a temp dir)
# Needs wrk and curl (installed with apt-get when missing). Loopback only, bounded in time.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v wrk >/dev/null; then
    apt-get update -qq && apt-get install -y -qq wrk curl
fi
cargo build --release -p tsfn -q
tmp=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$tmp"' EXIT
store=${1:-sqlite://$tmp/bench.db}

./target/release/tsfn serve --bind 127.0.0.1:0 --store "$store" --no-seed > "$tmp/out" 2> "$tmp/err" &
pid=$!
for _ in $(seq 100); do grep -q 'listening on' "$tmp/out" 2>/dev/null && break; sleep 0.1; done
base=$(grep -o 'http://[0-9.:]*' "$tmp/out" | head -1)
echo "tsfn at $base, store $store, $(nproc) cores"

# 100k points, one per second, as CSV.
python3 - "$tmp/100k.csv" 100000 <<'PY'
import math, sys
with open(sys.argv[1], "w") as f:
    f.write("t,v\n")
    for i in range(int(sys.argv[2])):
        f.write(f"{1700000000 + i},{math.sin(i / 500) * 10 + (i % 7) * 0.1:.4f}\n")
PY

ms() { python3 -c "import sys; print(f'{float(sys.argv[1]) * 1000:.1f} ms')" "$1"; }

# Load: the same 100k points into fresh series (median of 5).
load_times=()
for i in 1 2 3 4 5; do
    t=$(curl -s -o /dev/null -w '%{time_total}' -X POST -H 'content-type: text/csv' --data-binary @"$tmp/100k.csv" "$base/series/load$i/points")
    load_times+=("$t")
done
med() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }
echo "load 100k points (CSV POST, end to end): $(ms "$(med "${load_times[@]}")") median of 5"

stats_times=()
for _ in $(seq 9); do
    stats_times+=("$(curl -s -o /dev/null -w '%{time_total}' "$base/series/load1/stats")")
done
echo "stats over 100k points (GET /stats, end to end): $(ms "$(med "${stats_times[@]}")") median of 9"

bucket_times=()
for _ in $(seq 9); do
    bucket_times+=("$(curl -s -o /dev/null -w '%{time_total}' "$base/series/load1/points?every=1h&agg=mean")")
done
echo "1h buckets over 100k points (GET /points?every=1h): $(ms "$(med "${bucket_times[@]}")") median of 9"

echo "range query, 100 points per request (wrk -t2 -c64 -d10s):"
wrk -t2 -c64 -d10s --latency "$base/series/load1/points?from=2023-11-15T00:00:00Z&limit=100" | grep -E 'Requests/sec|Latency|50%|99%|requests in|Non-2xx'
