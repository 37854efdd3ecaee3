#!/usr/bin/env bash
# Benchmarks of tsfn (release build) on this machine; prints its figures.
# Usage: scripts/bench.sh [sqlite|redis|lambda|sizes [arm64]|worker-speed|peers|big|ingest]   (default
# sqlite: a fresh SQLite file; redis: a fresh redis-server of its own on a free loopback port, AOF
# on as in production; lambda: cold starts of the function binaries under a local Lambda Runtime
# API, see bench_lambda_init.py; sizes: each function's binary in the profile it is deployed with
# (lambda-release), built on its own, for x86_64, or with `arm64` through `cargo lambda build
# --arm64` (cargo-lambda on PATH, as docs/deploy.md installs it); worker-speed: the worker's
# analysis code over 1M points (shared/examples/analysis_speed.rs) built in the release and the
# lambda-release profiles, side by side;
# peers: the same workload against tsfn on SQLite, tsfn on Redis, VictoriaMetrics and InfluxDB 1.x,
# one system at a time, each fresh, then one markdown table (column per system), then `big`;
# big: a 10M-point series on tsfn, SQLite then Redis: load, stats, 1-hour buckets and a plot job on a
# separate `tsfn worker`, with the peak RSS of both processes. The workload, the checks that every
# answer holds the expected points, and the tables are in bench_peers.py; peers takes 4-5 minutes
# on 2 cores after the build.)
# ingest: a generated CSV file of about 1 GB (SIZE_MB, default 1024) through `tsfn ingest` (the
# streamed bulk ingestion `ingest-s3` shares, shared/src/bulk.rs) into a fresh SQLite file: time,
# points, and the process's peak RSS (/usr/bin/time -v), which stays far below the file's size.
# Needs wrk, curl, redis-server (redis, peers, big), victoria-metrics and influxdb (peers): Debian
# packages, installed with apt-get when missing. Builds go to $CARGO_TARGET_DIR (default target/).
# Loopback only; every step is bounded in time; every process started here is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
backend=${1:-sqlite}

target=${CARGO_TARGET_DIR:-target}
if [ "$backend" = lambda ]; then
    # One build per function, as each is deployed: features are not unified across them.
    for f in health points-query points-write jobs-submit worker; do cargo build --profile lambda-release -q -p "$f"; done
    exec python3 scripts/bench_lambda_init.py "$target/lambda-release" 20
fi

if [ "$backend" = sizes ]; then
    arch=${2:-x86_64}
    case "$arch" in
        x86_64|arm64) ;;
        *) echo "usage: $0 sizes [arm64]" >&2; exit 2 ;;
    esac
    # Built one at a time: a workspace build would unify features and give every binary the union.
    echo "| function | bytes ($arch) |"
    echo "|---|---|"
    for dir in functions/*/; do
        f=$(basename "$dir")
        if [ "$arch" = arm64 ]; then
            # With the target-cpu of docs/deploy.md's build (Graviton2).
            RUSTFLAGS="-C target-cpu=neoverse-n1" cargo lambda build --profile lambda-release --arm64 --quiet -p "$f" >/dev/null
            out=$target/lambda/$f/bootstrap
        else
            cargo build --profile lambda-release -q -p "$f"
            out=$target/lambda-release/$f
        fi
        printf '| %s | %s |\n' "$f" "$(stat -c %s "$out" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta')"
    done
    exit 0
fi

if [ "$backend" = worker-speed ]; then
    # The same example in both profiles; the worker runs the lambda-release one on Lambda.
    for profile in release lambda-release; do
        cargo build --profile "$profile" -q -p tsfn-shared --no-default-features --features plot --example analysis_speed
    done
    for profile in release lambda-release; do
        echo "== $profile"
        "$target/$profile/examples/analysis_speed" 1000000 7
    done
    exit 0
fi

if [ "$backend" = ingest ]; then
    cargo build --release -q -p tsfn
    dir=$(mktemp -d)
    trap 'rm -rf "$dir"' EXIT
    mb=${SIZE_MB:-1024}
    # One point a second from 2001-09-09 on, values with 13 significant digits: ~33 bytes a line.
    python3 - "$dir/big.csv" "$mb" <<'PY'
import sys
path, mb = sys.argv[1], int(sys.argv[2])
with open(path, "w") as f:
    f.write("t,v\n")
    i, size = 0, 4
    while size < mb << 20:
        chunk = "".join(f"{1_000_000_000 + j},{j * 0.001 + 0.1234567890123}\n" for j in range(i, i + 100_000))
        f.write(chunk)
        size += len(chunk)
        i += 100_000
PY
    echo "file: $(stat -c %s "$dir/big.csv") bytes"
    /usr/bin/time -v "$target/release/tsfn" ingest --store "sqlite://$dir/bench.db" --series big "$dir/big.csv" 2> "$dir/time.txt"
    grep -E "Elapsed|Maximum resident" "$dir/time.txt"
    exit 0
fi

case "$backend" in
    sqlite|redis|peers|big) ;;
    *) echo "usage: $0 [sqlite|redis|lambda|sizes [arm64]|worker-speed|peers|big]" >&2; exit 2 ;;
esac
need=()
command -v wrk >/dev/null || need+=(wrk)
command -v curl >/dev/null || need+=(curl)
[ "$backend" != sqlite ] && ! command -v redis-server >/dev/null && need+=(redis-server)
[ "$backend" = peers ] && ! command -v victoria-metrics >/dev/null && need+=(victoria-metrics)
[ "$backend" = peers ] && ! command -v influxd >/dev/null && need+=(influxdb)
if [ ${#need[@]} -gt 0 ]; then
    # The packages' own services must not start (they would listen on every interface on their
    # default ports): a policy-rc.d that says no, for the length of the install, unless one exists.
    policy=
    [ -e /usr/sbin/policy-rc.d ] || { printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; policy=1; }
    status=0
    { apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null; } || status=$?
    [ -z "$policy" ] || rm -f /usr/sbin/policy-rc.d
    [ "$status" = 0 ] || exit "$status"
fi
cargo build --release -p tsfn -q
bin=${CARGO_TARGET_DIR:-target}/release
tmp=$(mktemp -d)
pids=()
# Stops a process started here: SIGTERM, SIGKILL after 10 s.
stop() {
    local pid
    for pid in "$@"; do
        kill "$pid" 2>/dev/null || continue
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
}
cleanup() { stop "${pids[@]}"; rm -rf "$tmp"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# A redis-server of its own in directory $1, AOF on as in production; sets redis_port, redis_pid.
start_redis() {
    redis_port=$(free_port)
    redis-server --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly yes --dir "$1" > "$1/redis.log" 2>&1 &
    redis_pid=$!; pids+=($!)
    for _ in $(seq 100); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && return; sleep 0.1; done
    echo "redis-server did not answer within 10 s" >&2; exit 1
}

# What redis-server in directory $1 did meanwhile that can stall a request (to stderr).
redis_events() {
    echo "  redis-server: $(grep -c 'Background append only file rewriting started' "$1/redis.log") AOF rewrites," \
        "$(grep -c 'fsync is taking too long' "$1/redis.log") 'AOF fsync is taking too long' warnings" >&2
}

# `tsfn serve` without workers on store $1, output in directory $2; sets base and tsfn_pid.
start_tsfn() {
    # No cap on the queue (TSFN_MAX_QUEUED_JOBS=0): the submit run queues far more than the
    # default 10,000 on purpose, to measure the queue's own throughput.
    TSFN_WORKERS=0 TSFN_MAX_QUEUED_JOBS=0 RUST_LOG=warn "$bin/tsfn" serve --bind 127.0.0.1:0 --store "$1" --no-seed > "$2/out" 2> "$2/err" &
    tsfn_pid=$!; pids+=($!)
    for _ in $(seq 100); do grep -q 'listening on' "$2/out" 2>/dev/null && break; sleep 0.1; done
    base=$(grep -o 'http://[0-9.:]*' "$2/out" | head -1)
    [ -n "$base" ] || { echo "tsfn serve did not start within 10 s:"; cat "$2/err"; exit 1; } >&2
}

# Until URL $1 answers 2xx, at most $2 seconds.
wait_url() {
    local deadline=$(( SECONDS + $2 ))
    until curl -sf -o /dev/null --max-time 2 "$1"; do
        [ "$SECONDS" -lt "$deadline" ] || { echo "$1 did not answer within $2 s" >&2; exit 1; }
        sleep 0.1
    done
}

# One system of `peers`: started fresh with its data in $tmp/$1, measured by bench_peers.py, stopped.
peer() {
    local d="$tmp/$1" port url label args=() started=()
    mkdir -p "$d"
    case "$1" in
        tsfn-sqlite)
            start_tsfn "sqlite://$d/tsfn.db" "$d"; started=("$tsfn_pid")
            url=$base label="tsfn SQLite" args=(--sqlite "$d/tsfn.db") ;;
        tsfn-redis)
            start_redis "$d"; start_tsfn "redis://127.0.0.1:$redis_port/0" "$d"; started=("$tsfn_pid" "$redis_pid")
            url=$base label="tsfn Redis" args=(--redis-port "$redis_port") ;;
        victoriametrics)
            port=$(free_port)
            # Data from 2024 is older than the default retention (1 month), which would drop it.
            victoria-metrics -storageDataPath="$d/data" -httpListenAddr="127.0.0.1:$port" \
                -retentionPeriod=100y -loggerLevel=ERROR > "$d/log" 2>&1 &
            started=($!); pids+=($!)
            url=http://127.0.0.1:$port args=(--dir "$d/data")
            label="VictoriaMetrics $(dpkg-query -W -f '${Version}' victoria-metrics | sed 's/[+~-].*//')"
            wait_url "$url/health" 30 ;;
        influxdb)
            port=$(free_port)
            # Every listener on loopback, no self-monitoring database, no per-request logs (tsfn
            # runs with RUST_LOG=warn); the cache written to TSM files and fully compacted 2 s
            # after the last write (defaults: 10 min and 4 h) so the bytes are those of its files.
            cat > "$d/influxdb.conf" <<CONF
reporting-disabled = true
bind-address = "127.0.0.1:$(free_port)"
[meta]
  dir = "$d/meta"
[data]
  dir = "$d/data"
  wal-dir = "$d/wal"
  query-log-enabled = false
  cache-snapshot-write-cold-duration = "2s"
  compact-full-write-cold-duration = "2s"
[monitor]
  store-enabled = false
[http]
  bind-address = "127.0.0.1:$port"
  log-enabled = false
CONF
            influxd run -config "$d/influxdb.conf" > "$d/log" 2>&1 &
            started=($!); pids+=($!)
            url=http://127.0.0.1:$port args=(--dir "$d/data" "$d/wal")
            label="InfluxDB $(dpkg-query -W -f '${Version}' influxdb | sed 's/[+~-].*//')"
            wait_url "$url/ping" 30 ;;
    esac
    local rc=0
    timeout 600 python3 scripts/bench_peers.py measure "$1" "$url" --label "$label" --out "$tmp/$1.json" "${args[@]}" || rc=$?
    [ "$1" != tsfn-redis ] || redis_events "$d"
    [ "$rc" = 0 ] || exit "$rc"
    stop "${started[@]}"
}

# One store of `big`: `tsfn serve` (no workers) and one `tsfn worker` process on a fresh store.
big_run() {
    local d="$tmp/big-$1" store label started=() worker_pid
    mkdir -p "$d"
    case "$1" in
        sqlite) store="sqlite://$d/tsfn.db" label="tsfn SQLite" ;;
        redis) start_redis "$d"; store="redis://127.0.0.1:$redis_port/0" label="tsfn Redis"; started=("$redis_pid") ;;
    esac
    start_tsfn "$store" "$d"
    WORKER_ID=bench-big TSFN_WORKERS=1 RUST_LOG=warn "$bin/tsfn" worker --store "$store" > "$d/worker.log" 2>&1 &
    worker_pid=$!; pids+=($!)
    local rc=0
    timeout 600 python3 scripts/bench_peers.py big "$base" --label "$label" --bodies "$tmp/big-bodies" \
        --serve-pid "$tsfn_pid" --worker-pid "$worker_pid" --out "$tmp/big-$1.json" || rc=$?
    [ "$1" != redis ] || redis_events "$d"
    [ "$rc" = 0 ] || exit "$rc"
    stop "$worker_pid" "$tsfn_pid" "${started[@]}"
}

if [ "$backend" = peers ] || [ "$backend" = big ]; then
    start=$SECONDS
    echo "$(nproc) cores; $(uptime | sed 's/.*load/load/')"
    if [ "$backend" = peers ]; then
        for system in tsfn-sqlite tsfn-redis victoriametrics influxdb; do peer "$system"; done
        echo
        echo "1,000,000 points one second apart (a seeded random walk, 4 decimals) in 10 bodies of 100,000,"
        echo "and a separate series of 100,000 for the aggregates; wrk -t2 -c32 -d10s; $(nproc) cores:"
        echo
        python3 scripts/bench_peers.py table "$tmp"/{tsfn-sqlite,tsfn-redis,victoriametrics,influxdb}.json
        echo
    fi
    python3 scripts/bench_peers.py big-bodies "$tmp/big-bodies"
    big_run sqlite
    big_run redis
    echo
    python3 scripts/bench_peers.py big-table "$tmp"/big-{sqlite,redis}.json
    echo
    echo "$backend took $(( SECONDS - start )) s; $(uptime | sed 's/.*load/load/')"
    exit 0
fi

case "$backend" in
    sqlite) store="sqlite://$tmp/bench.db" ;;
    redis) start_redis "$tmp"; store="redis://127.0.0.1:$redis_port/0" ;;
esac

# The API alone first (no workers), so submissions queue up for the drain measurement.
start_tsfn "$store" "$tmp"
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
    WORKER_ID="bench-$w" TSFN_WORKERS=4 RUST_LOG=warn "$bin/tsfn" worker --store "$store" > /dev/null 2>&1 &
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
