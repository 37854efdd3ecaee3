#!/usr/bin/env bash
# Benchmarks of tsfn (release build) on this machine; prints its figures.
# Usage: scripts/bench.sh [sqlite|redis|lambda|sizes]   (default sqlite: a fresh SQLite file;
# redis: a fresh redis-server of its own on a free loopback port, AOF on as in production; lambda:
# cold starts of the function binaries under a local Lambda Runtime API, see bench_lambda_init.py;
# sizes: each function's release binary, built on its own as it is deployed)
# Needs wrk, curl and (for redis) redis-server: installed with apt-get when missing.
# Loopback only; every step is bounded in time.
set -euo pipefail
cd "$(dirname "$0")/.."
backend=${1:-sqlite}

if [ "$backend" = lambda ]; then
    # One build per function, as each is deployed: features are not unified across them.
    for f in health points-query points-write jobs-submit worker; do cargo build --release -q -p "$f"; done
    exec python3 scripts/bench_lambda_init.py target/release 20
fi

if [ "$backend" = sizes ]; then
    # Built one at a time: a workspace build would unify features and give every binary the union.
    echo "| function | bytes |"
    echo "|---|---|"
    for dir in functions/*/; do
        f=$(basename "$dir")
        cargo build --release -q -p "$f"
        printf '| %s | %s |\n' "$f" "$(stat -c %s "target/release/$f" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta')"
    done
    exit 0
fi

need=()
command -v wrk >/dev/null || need+=(wrk)
command -v curl >/dev/null || need+=(curl)
[ "$backend" = redis ] && ! command -v redis-server >/dev/null && need+=(redis-server)
if [ ${#need[@]} -gt 0 ]; then apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null; fi
cargo build --release -p tsfn -q
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

case "$backend" in
    sqlite) store="sqlite://$tmp/bench.db" ;;
    redis)
        port=$(free_port)
        redis-server --bind 127.0.0.1 --port "$port" --save "" --appendonly yes --dir "$tmp" > "$tmp/redis.log" 2>&1 &
        pids+=($!)
        for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
        store="redis://127.0.0.1:$port/0" ;;
    *) echo "usage: $0 [sqlite|redis|lambda|sizes]" >&2; exit 2 ;;
esac

# The API alone first (no workers), so submissions queue up for the drain measurement.
TSFN_WORKERS=0 RUST_LOG=warn ./target/release/tsfn serve --bind 127.0.0.1:0 --store "$store" --no-seed > "$tmp/out" 2> "$tmp/err" &
pids+=($!)
for _ in $(seq 100); do grep -q 'listening on' "$tmp/out" 2>/dev/null && break; sleep 0.1; done
base=$(grep -o 'http://[0-9.:]*' "$tmp/out" | head -1)
echo "tsfn at $base, store $backend, $(nproc) cores"

python3 - "$tmp" <<'PY'
import math, sys
d = sys.argv[1]
for name, n in (("100k", 100_000), ("1m", 1_000_000)):
    with open(f"{d}/{name}.csv", "w") as f:
        f.write("t,v\n")
        for i in range(n):
            f.write(f"{1700000000 + i},{math.sin(i / 500) * 10 + (i % 7) * 0.1:.4f}\n")
PY

ms() { python3 -c "import sys; print(f'{float(sys.argv[1]) * 1000:.1f} ms')" "$1"; }
med() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }
post_csv() { curl -s -o /dev/null -w '%{time_total}' -X POST -H 'content-type: text/csv' --data-binary @"$1" "$base/series/$2/points"; }

times=(); for i in 1 2 3 4 5; do times+=("$(post_csv "$tmp/100k.csv" "load$i")"); done
echo "load 100k points (one CSV POST, end to end): $(ms "$(med "${times[@]}")") median of 5"
echo "load 1M points (one CSV POST, end to end): $(ms "$(post_csv "$tmp/1m.csv" big)")"

times=(); for _ in $(seq 9); do times+=("$(curl -s -o /dev/null -w '%{time_total}' "$base/series/load1/stats")"); done
echo "stats over 100k points (GET /stats): $(ms "$(med "${times[@]}")") median of 9"
times=(); for _ in $(seq 9); do times+=("$(curl -s -o /dev/null -w '%{time_total}' "$base/series/load1/points?every=1h&agg=mean")"); done
echo "1h buckets over 100k points (GET /points?every=1h): $(ms "$(med "${times[@]}")") median of 9"

echo "range query, 100 points per request (wrk -t2 -c64 -d10s):"
wrk -t2 -c64 -d10s --latency "$base/series/load1/points?from=2023-11-15T00:00:00Z&limit=100" | grep -E 'Requests/sec|50%|99%|Non-2xx'

curl -s -o /dev/null -X POST -H 'content-type: text/csv' --data-binary $'t,v\n1,1\n2,2\n3,3\n' "$base/series/tiny/points"
cat > "$tmp/submit.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"kind": "summary", "series": "tiny"}'
wrk.headers["Content-Type"] = "application/json"
LUA
echo "job submit (POST /jobs, wrk -t2 -c64 -d5s):"
wrk -t2 -c64 -d5s --latency -s "$tmp/submit.lua" "$base/jobs" > "$tmp/wrk-submit"
grep -E 'Requests/sec|50%|99%|Non-2xx' "$tmp/wrk-submit"
queued=$(grep -oE '^ +[0-9]+ requests' "$tmp/wrk-submit" | grep -oE '[0-9]+')

drained() {
    [ "$(curl -s "$base/jobs?status=queued&limit=1")" = '{"jobs":[],"next_cursor":null}' ] &&
    [ "$(curl -s "$base/jobs?status=running&limit=1")" = '{"jobs":[],"next_cursor":null}' ]
}
start=$(date +%s.%N)
for w in 1 2; do
    WORKER_ID="bench-$w" TSFN_WORKERS=4 RUST_LOG=warn ./target/release/tsfn worker --store "$store" > /dev/null 2>&1 &
    pids+=($!)
done
deadline=$(( $(date +%s) + 300 ))
until drained; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "jobs did not drain in 300 s"; exit 1; }
    sleep 0.05
done
end=$(date +%s.%N)
python3 -c "import sys; n, t = int(sys.argv[1]), float(sys.argv[3]) - float(sys.argv[2]); print(f'small jobs end to end: {n} summary jobs drained by 2 worker processes in {t:.2f} s = {n / t:,.0f} jobs/s')" "$queued" "$start" "$end"

job_time() {
    local id status
    id=$(curl -s "$base/jobs" -d "$1" | python3 -c 'import sys, json; print(json.load(sys.stdin)["id"])')
    for _ in $(seq 600); do
        status=$(curl -s "$base/jobs/$id")
        case "$status" in *'"status":"succeeded"'*|*'"status":"failed"'*) break ;; esac
        sleep 0.02
    done
    python3 - "$status" <<'PY'
import json, sys
from datetime import datetime
j = json.loads(sys.argv[1])
p = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00"))
took = (p(j["finished"]) - p(j["started"])).total_seconds() * 1000
print(f"{j['status']} in {took:.0f} ms on the worker")
PY
}
echo "plot job over 100k points (PNG): $(job_time '{"kind":"plot","series":"load1"}')"
echo "plot job over 1M points (PNG): $(job_time '{"kind":"plot","series":"big"}')"
echo "summary job over 1M points: $(job_time '{"kind":"summary","series":"big"}')"
