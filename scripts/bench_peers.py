#!/usr/bin/env python3
"""The workload and the measurements of `scripts/bench.sh peers` and `scripts/bench.sh big`.

bench.sh installs, starts and stops each system; this file (Python stdlib only) makes the data,
talks to one running system through its public HTTP API, checks that every answer really holds
the expected points and values (so no system is timed doing nothing), and prints the tables.
Every system gets the same data, in the same bodies, from the same client (http.client on one
keep-alive connection, wrk for throughput).

  bench_peers.py measure SYSTEM URL --label L --out FILE [--sqlite FILE | --redis-port P | --dir D...]
      SYSTEM: tsfn-sqlite, tsfn-redis, victoriametrics or influxdb; writes one column as JSON
  bench_peers.py table FILE...          the markdown table of the measured columns
  bench_peers.py big-bodies DIR         the 10M-point series as 10 CSV bodies of 1M points
  bench_peers.py big URL --label L --bodies DIR --serve-pid P --worker-pid P --out FILE
  bench_peers.py big-table FILE...
"""

import argparse
import http.client
import json
import math
import os
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.parse

START = 1_704_067_200  # 2024-01-01T00:00:00Z, on an hour boundary; points are one second apart
BIG, AGG, BODY = "walk", "walk100k", 100_000
BIG_N, AGG_N = 1_000_000, 100_000
HUGE, HUGE_N, HUGE_BODY = "walk10m", 10_000_000, 1_000_000
SEEDS = {BIG: 1, AGG: 2, HUGE: 3}
RANGE_FROM = START + 500_000  # the 100-point range query: [RANGE_FROM, RANGE_FROM + 100 s)
WRK = ["wrk", "-t2", "-c32", "-d10s", "--latency"]


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def walk_values(name, n):
    """The values (strings with 4 decimals) of a seeded random walk from 100.0, one per second."""
    rng = random.Random(SEEDS[name])
    x = 1_000_000  # in ten-thousandths, so every value is exact in 4 decimals
    for _ in range(n):
        x += rng.randint(-100, 100)
        yield f"{x / 10000:.4f}"


def walk(name, n):
    """Epoch seconds from START and the values of walk_values."""
    return list(range(START, START + n)), list(walk_values(name, n))


def close(a, b, rel=1e-9):
    return a is not None and b is not None and math.isclose(a, b, rel_tol=rel, abs_tol=1e-9)


def check(ok, what):
    if not ok:
        raise SystemExit(f"check failed: {what}")


class Client:
    """One keep-alive HTTP/1.1 connection; any status >= 300 stops the run, but a write answered
    503 (tsfn: the store timed out; resending the body is safe) is sent again, at most 3 times,
    1 s apart, and noted in `resent`; the time it costs stays in the measurement."""

    def __init__(self, url, timeout=300):
        u = urllib.parse.urlsplit(url)
        self.host, self.port, self.timeout = u.hostname, u.port, timeout
        self.conn = None
        self.resent = []

    def write(self, path, body, headers=None):
        for _ in range(3):
            status, data = self.send("POST", path, body, headers)
            if status != 503:
                break
            self.resent.append(f"POST {path[:60]} answered 503 and was sent again: {data[:300].decode()}")
            log(f"  {self.resent[-1]}")
            time.sleep(1)
        else:
            status, data = self.send("POST", path, body, headers)
        return self.checked("POST", path, status, data)

    def request(self, method, path, body=None, headers=None):
        return self.checked(method, path, *self.send(method, path, body, headers))

    @staticmethod
    def checked(method, path, status, data):
        if status >= 300:
            raise SystemExit(f"{method} {path[:120]}: HTTP {status}: {data[:300]!r}")
        return data

    def send(self, method, path, body=None, headers=None):
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.conn.request(method, path, body=body, headers=headers or {})
                resp = self.conn.getresponse()
                data = resp.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                self.conn = None  # the server closed an idle keep-alive connection: once more
                if attempt == 2:
                    raise
        return resp.status, data

    def get(self, path):
        return self.request("GET", path)


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def median_ms(fn, n=9):
    times = [timed(fn)[0] for _ in range(n)]
    return statistics.median(times) * 1000


def disk_bytes(*dirs):
    """Disk space taken by every file under the directories (allocated blocks, as du counts: InfluxDB
    preallocates sparse 4 MB segments for its series file, whose apparent size is not on disk)."""
    total = 0
    for d in dirs:
        for root, _, files in os.walk(d):
            for f in files:
                try:
                    total += os.lstat(os.path.join(root, f)).st_blocks * 512
                except FileNotFoundError:
                    pass  # a part removed by a merge while we walk
    return total


def settle(measure, what, stable_s=3, limit_s=60):
    """Waits (bounded) until measure() has not changed for stable_s seconds; returns its value."""
    deadline = time.monotonic() + limit_s
    last, since = measure(), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = measure()
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= stable_s:
            return last
    log(f"  {what} still changing after {limit_s} s; measured as it was")
    return last


# Each system: its bodies, its queries, and a parser that turns each answer into points, buckets
# or stats, so that the answers can be checked against the data (untimed).


class Tsfn:
    """tsfn over its public API: CSV bodies, JSON pages of at most 10,000 points."""

    def __init__(self, url, args):
        self.http = Client(url)
        self.sqlite, self.redis_port = args.sqlite, args.redis_port
        self.redis_before = self.redis_used_memory() if self.redis_port else None

    def body(self, name, ts, vs):
        return ("t,v\n" + "".join(f"{t},{v}\n" for t, v in zip(ts, vs))).encode()

    def load(self, name, body):
        self.http.write(f"/series/{name}/points", body, {"content-type": "text/csv"})

    def loaded(self):
        pass

    # InfluxDB 1.x's write route (`{db}.{measurement}.{field}`: series bench.lp.v).
    LINES_PATH = "/write?db=bench&precision=s"

    def lines_written(self):
        return json.loads(self.http.get("/series/bench.lp.v"))["count"]

    def read_all(self, name):
        pages, cursor = [], None
        while True:
            path = f"/series/{name}/points?limit=10000"
            if cursor:
                path += "&cursor=" + urllib.parse.quote(cursor)
            page = self.http.get(path)
            pages.append(page)
            tail = page[page.rindex(b',"next_cursor":') + 15 : -1]
            if tail == b"null":
                return pages
            cursor = json.loads(tail)

    @staticmethod
    def parse_points(pages):
        out = []
        for page in pages:
            out += [(p["t"], p["v"]) for p in json.loads(page)["points"]]
        return [(iso_seconds(t), v) for t, v in out]

    def range_path(self, name, t0, t1):
        return f"/series/{name}/points?from={t0}&to={t1}&limit=100"

    def buckets_path(self, name, t0, t1):
        return f"/series/{name}/points?from={t0}&to={t1}&every=1h&agg=mean&limit=10000"

    @staticmethod
    def parse_buckets(body):
        return [(iso_seconds(p["t"]), p["v"]) for p in json.loads(body)["points"]]

    def stats_path(self, name, t0, t1):
        return f"/series/{name}/stats"

    @staticmethod
    def parse_stats(body):
        s = json.loads(body)
        return {k: s[k] for k in ("count", "mean", "min", "max", "stddev")}

    def redis_used_memory(self):
        info = subprocess.run(["redis-cli", "-p", str(self.redis_port), "info", "memory"],
                              capture_output=True, text=True, timeout=10, check=True).stdout
        return int(re.search(r"^used_memory:(\d+)", info, re.M).group(1))

    def stored_bytes(self):
        if self.sqlite:
            db = sqlite3.connect(self.sqlite, timeout=10)
            busy = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
            db.close()
            wal = self.sqlite + "-wal"
            size = os.path.getsize(self.sqlite) + (os.path.getsize(wal) if os.path.exists(wal) else 0)
            return size, "file" + (" (checkpoint busy)" if busy else "")
        return self.redis_used_memory() - self.redis_before, "Redis memory"


def iso_seconds(s):
    from datetime import datetime
    return int(datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp())


class Victoria:
    """VictoriaMetrics: /api/v1/import JSON lines in, /api/v1/export and MetricsQL out."""

    def __init__(self, url, args):
        self.http = Client(url)
        (self.dir,) = args.dir

    def body(self, name, ts, vs):
        return (f'{{"metric":{{"__name__":"{name}"}},"values":[{",".join(vs)}],'
                f'"timestamps":[{",".join(str(t * 1000) for t in ts)}]}}\n').encode()

    def load(self, name, body):
        self.http.write("/api/v1/import", body)

    def loaded(self):
        # Imported rows are buffered in memory for up to a second; the flush makes them searchable
        # (and written), which the other systems have done when their write answers.
        self.http.get("/internal/force_flush")

    # Its InfluxDB-compatible write route.
    LINES_PATH = "/write?db=bench&precision=s"

    def lines_written(self):
        return None

    def read_all(self, name):
        return [self.http.get("/api/v1/export?" + urllib.parse.urlencode({"match[]": name}))]

    @staticmethod
    def parse_points(pages):
        out = []
        for line in pages[0].splitlines():
            j = json.loads(line)
            out += [(t // 1000, v) for t, v in zip(j["timestamps"], j["values"])]
        return sorted(out)

    def range_path(self, name, t0, t1):
        # A range vector at `time` is the raw samples in (time - d, time]. It answered faster here
        # than /api/v1/export?start=&end= with the same 100 points (8,100 against 6,900 req/s, both
        # measured on this machine in the same minute).
        q = f"{name}[{t1 - t0}s]"
        return "/api/v1/query?" + urllib.parse.urlencode({"query": q, "time": t1 - 1, "nocache": 1})

    @staticmethod
    def parse_range(body):
        (series,) = json.loads(body)["data"]["result"]
        return [(t, float(v)) for t, v in series["values"]]

    def buckets_path(self, name, t0, t1):
        # avg_over_time(m[1h]) at t covers (t - 1h, t]; offset -3599s makes it [t, t + 1h), the
        # same buckets as tsfn's and InfluxDB's (same work either way). nocache: no result cache.
        q = f"avg_over_time({name}[1h] offset -3599s)"
        return "/api/v1/query_range?" + urllib.parse.urlencode(
            {"query": q, "start": t0, "end": t1 - 1, "step": "1h", "nocache": 1})

    @staticmethod
    def parse_buckets(body):
        (series,) = json.loads(body)["data"]["result"]
        return [(t, float(v)) for t, v in series["values"]]

    def stats_path(self, name, t0, t1):
        # One instant query computing every rollup over the whole series in one request; the
        # window (time - d, time] holds [t0, t1).
        fns = ",".join(f'"{f}_over_time"' for f in ("count", "avg", "min", "max", "stddev", "sum"))
        q = f"aggr_over_time(({fns}), {name}[{t1 - t0}s])"
        return "/api/v1/query?" + urllib.parse.urlencode({"query": q, "time": t1 - 1, "nocache": 1})

    @staticmethod
    def parse_stats(body):
        r = {x["metric"]["rollup"]: float(x["value"][1]) for x in json.loads(body)["data"]["result"]}
        return {"count": r["count_over_time"], "mean": r["avg_over_time"], "min": r["min_over_time"],
                "max": r["max_over_time"], "stddev": r["stddev_over_time"]}

    def stored_bytes(self):
        self.http.get("/internal/force_flush")
        self.http.get("/internal/force_merge")  # merges in the background: wait until the size rests
        return settle(lambda: disk_bytes(self.dir), "VictoriaMetrics' data dir"), "disk"


class Influx:
    """InfluxDB 1.x: line protocol to /write (precision s), InfluxQL over /query."""

    DB = "bench"

    def __init__(self, url, args):
        self.http = Client(url)
        self.data, self.wal = args.dir
        self.query(f"CREATE DATABASE {self.DB}")

    def query(self, q, **extra):
        return self.http.get("/query?" + urllib.parse.urlencode({"db": self.DB, "q": q, **extra}))

    def body(self, name, ts, vs):
        return "".join(f"{name} value={v} {t}\n" for t, v in zip(ts, vs)).encode()

    def load(self, name, body):
        self.http.write(f"/write?db={self.DB}&precision=s", body)

    def loaded(self):
        pass

    LINES_PATH = "/write?db=bench&precision=s"

    def lines_written(self):
        return None

    def read_all(self, name):
        # The fastest form found: chunked (streamed in chunks of 10,000 rows), epoch timestamps.
        return [self.query(f"SELECT value FROM {name}", epoch="s", chunked="true", chunk_size=10000)]

    @staticmethod
    def parse_points(pages):
        out = []
        for line in pages[0].splitlines():
            for s in json.loads(line)["results"][0].get("series", []):
                out += [(t, v) for t, v in s["values"]]
        return out

    def q_path(self, q):
        return "/query?" + urllib.parse.urlencode({"db": self.DB, "q": q, "epoch": "s"})

    def range_path(self, name, t0, t1):
        return self.q_path(f"SELECT value FROM {name} WHERE time >= {t0}s AND time < {t1}s LIMIT 100")

    def buckets_path(self, name, t0, t1):
        return self.q_path(
            f"SELECT mean(value) FROM {name} WHERE time >= {t0}s AND time < {t1}s GROUP BY time(1h)")

    @staticmethod
    def parse_buckets(body):
        (series,) = json.loads(body)["results"][0]["series"]
        return [(t, v) for t, v in series["values"]]

    def stats_path(self, name, t0, t1):
        return self.q_path(f"SELECT count(value), mean(value), min(value), max(value), "
                           f"stddev(value), sum(value), first(value), last(value) FROM {name}")

    @staticmethod
    def parse_stats(body):
        (series,) = json.loads(body)["results"][0]["series"]
        return dict(zip(series["columns"], series["values"][0]))

    def stored_bytes(self):
        # With cache-snapshot-write-cold-duration and compact-full-write-cold-duration at 2 s
        # (bench.sh's config), the WAL is written to TSM files and fully compacted within seconds
        # of the last write, as it would be 10 minutes / 4 hours later by default.
        return settle(lambda: (disk_bytes(self.data, self.wal), tsm_files(self.data)),
                      "InfluxDB's data and WAL dirs", stable_s=5)[0], "disk"


def tsm_files(d):
    return sorted(f for _, _, fs in os.walk(d) for f in fs if f.endswith(".tsm"))


SYSTEMS = {"tsfn-sqlite": Tsfn, "tsfn-redis": Tsfn, "victoriametrics": Victoria, "influxdb": Influx}


def run_wrk(url):
    out = subprocess.run(WRK + [url], capture_output=True, text=True, timeout=60, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    m = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    p99 = float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: .*", out)
    check(not bad, f"wrk {url}: {bad and bad.group(0)}")
    return rps, p99, errors.group(0) if errors else None


def expected_buckets(vs, t0):
    by_hour = {}
    for i, v in enumerate(vs):
        by_hour.setdefault((t0 + i) // 3600 * 3600, []).append(float(v))
    return [(h, sum(x) / len(x)) for h, x in sorted(by_hour.items())]


def measure(args):
    sysm = SYSTEMS[args.system](args.url, args)
    res = {"system": args.system, "label": args.label, "notes": [], "loadavg": os.getloadavg()[0]}
    ts, vs = walk(BIG, BIG_N)
    bodies = [sysm.body(BIG, ts[i : i + BODY], vs[i : i + BODY]) for i in range(0, BIG_N, BODY)]

    def load():
        for b in bodies:
            sysm.load(BIG, b)
        sysm.loaded()

    res["load"], _ = timed(load)
    log(f"{args.label}: load 1M points in 10 bodies ({sum(map(len, bodies)) / 1e6:.0f} MB): {res['load']:.2f} s")
    del bodies
    ats, avs = walk(AGG, AGG_N)
    sysm.load(AGG, sysm.body(AGG, ats, avs))
    sysm.loaded()

    size, where = sysm.stored_bytes()
    res["bytes"], res["bytes_where"] = size / (BIG_N + AGG_N), where
    log(f"{args.label}: {size:,} bytes ({where}) for {BIG_N + AGG_N:,} points = {res['bytes']:.2f} per point")

    res["read"], pages = timed(lambda: sysm.read_all(BIG))
    got = sysm.parse_points(pages)
    check(len(got) == BIG_N, f"{args.label} read {len(got)} points, not {BIG_N}")
    check(all(t == want_t and v == float(want_v) for (t, v), want_t, want_v in zip(got, ts, vs)),
          f"{args.label}: the points read back differ from those written")
    log(f"{args.label}: read all 1M back ({len(pages)} requests, {sum(map(len, pages)) / 1e6:.0f} MB): "
        f"{res['read']:.2f} s, every point checked")
    del pages, got

    path = sysm.range_path(BIG, RANGE_FROM, RANGE_FROM + 100)
    body = sysm.http.get(path)
    got = sysm.parse_range(body) if hasattr(sysm, "parse_range") else sysm.parse_points([body])
    i = RANGE_FROM - START
    check(got == [(t, float(v)) for t, v in zip(ts[i : i + 100], vs[i : i + 100])],
          f"{args.label}: the 100-point range answered {len(got)} points, not the expected 100")
    rps, p99, errors = run_wrk(args.url + path)
    res["range"] = {"rps": rps, "p99": p99}
    if errors:
        res["notes"].append(f"wrk: {errors}")
    log(f"{args.label}: 100-point range query: {rps:,.0f} req/s, p99 {p99:.1f} ms {errors or ''}")

    t0, t1 = START, START + AGG_N
    want = expected_buckets(avs, t0)
    path = sysm.buckets_path(AGG, t0, t1)
    got = sysm.parse_buckets(sysm.http.get(path))
    check(len(got) == len(want) and all(t == wt and close(v, wv) for (t, v), (wt, wv) in zip(got, want)),
          f"{args.label}: 1-hour means {got[:3]}... ({len(got)}) differ from {want[:3]}... ({len(want)})")
    res["buckets"] = median_ms(lambda: sysm.http.get(path))
    log(f"{args.label}: 1-hour mean buckets over 100k points ({len(got)} buckets, checked): {res['buckets']:.1f} ms")

    # Line protocol, as Telegraf and InfluxDB clients send it: the same 1M points in 10 bodies
    # of 100,000 lines, each system's InfluxDB 1.x write route.
    lp_bodies = ["".join(f"lp,src=bench v={v} {t}\n" for t, v in zip(ts[i : i + BODY], vs[i : i + BODY])).encode()
                 for i in range(0, BIG_N, BODY)]

    def lp():
        for b in lp_bodies:
            sysm.http.write(sysm.LINES_PATH, b, {"content-type": "text/plain; charset=utf-8"})
        sysm.loaded()

    secs, _ = timed(lp)
    res["lines"] = BIG_N / secs
    n = sysm.lines_written()
    check(n in (None, BIG_N), f"{args.label}: line protocol wrote {n} points, not {BIG_N}")
    log(f"{args.label}: line protocol, 1M points in 10 bodies ({sum(map(len, lp_bodies)) / 1e6:.0f} MB): "
        f"{secs:.2f} s = {res['lines']:,.0f} points/s")
    del lp_bodies

    path = sysm.stats_path(AGG, t0, t1)
    fl = [float(v) for v in avs]
    mean = sum(fl) / len(fl)
    got = sysm.parse_stats(sysm.http.get(path))
    check(got["count"] == AGG_N and close(got["mean"], mean) and got["min"] == min(fl)
          and got["max"] == max(fl) and close(got["stddev"], statistics.pstdev(fl), 1e-3),
          f"{args.label}: stats {got} are not those of the data")
    res["stats"] = median_ms(lambda: sysm.http.get(path))
    log(f"{args.label}: stats over 100k points (count {int(got['count'])}, checked): {res['stats']:.1f} ms")

    res["notes"] += sysm.http.resent
    with open(args.out, "w") as f:
        json.dump(res, f)


NOTES = """\
How each is asked (one keep-alive connection from Python's http.client; wrk for req/s):
- load: tsfn CSV `POST /series/{id}/points`; VictoriaMetrics JSON lines `POST /api/v1/import`, then
  `/internal/force_flush` (imported rows become searchable up to a second later otherwise);
  InfluxDB line protocol `POST /write?precision=s`.
- read all: tsfn 100 pages of `GET /series/{id}/points?limit=10000` following `next_cursor`;
  VictoriaMetrics one `GET /api/v1/export`; InfluxDB `SELECT value` chunked, epoch=s.
- range: tsfn `?from=&to=&limit=100`; VictoriaMetrics instant query `walk[100s]` (raw samples);
  InfluxDB `SELECT value ... WHERE time >= ... AND time < ... LIMIT 100`.
- 1-hour means: tsfn `?every=1h&agg=mean`; VictoriaMetrics `query_range` of
  `avg_over_time(walk100k[1h] offset -3599s)` step 1h, nocache=1 (the same [h, h+1h) buckets);
  InfluxDB `mean(value) ... GROUP BY time(1h)`.
- stats: tsfn `GET /stats`; VictoriaMetrics one instant query `aggr_over_time` of count, avg, min,
  max, stddev, sum; InfluxDB count, mean, min, max, stddev, sum, first, last in one SELECT.
- bytes: tsfn SQLite the file + WAL after a TRUNCATE checkpoint; tsfn Redis `used_memory` after the
  loads minus before (the AOF on disk not counted); VictoriaMetrics its data dir after force_flush
  and force_merge, InfluxDB its data and WAL dirs once compacted (disk blocks, as du counts).
Every answer was checked against the data: all 1M points read back, the 100 range points, the 28
bucket means and the stats."""


def table(files):
    cols = [json.load(open(f)) for f in files]
    rows = [
        ("load 1M points (10 bodies of 100k, end to end)", lambda c: f"{c['load']:.2f} s"),
        ("read all 1M back", lambda c: f"{c['read']:.2f} s"),
        ("100-point range query (wrk -t2 -c32 -d10s)",
         lambda c: f"{c['range']['rps']:,.0f} req/s (p99 {c['range']['p99']:.1f} ms)"),
        ("1-hour mean buckets over 100k points (median of 9)", lambda c: f"{c['buckets']:.1f} ms"),
        ("stats over 100k points (median of 9)", lambda c: f"{c['stats']:.1f} ms"),
        ("line protocol writes (1M points in 10 bodies, `/write`)", lambda c: f"{c['lines'] / 1e6:.2f}M points/s"),
        ("bytes per point stored (1.1M points)", lambda c: f"{c['bytes']:.1f} ({c['bytes_where']})"),
        ("machine load (1-minute average) before the column", lambda c: f"{c['loadavg']:.1f}"),
    ]
    print("| | " + " | ".join(c["label"] for c in cols) + " |")
    print("|---" * (len(cols) + 1) + "|")
    for name, cell in rows:
        print(f"| {name} | " + " | ".join(cell(c) for c in cols) + " |")
    print("\n" + NOTES)
    for c in cols:
        for n in c["notes"]:
            print(f"{c['label']}: {n}")


def big_bodies(d):
    os.makedirs(d, exist_ok=True)
    values = walk_values(HUGE, HUGE_N)
    for k, i in enumerate(range(0, HUGE_N, HUGE_BODY)):
        with open(os.path.join(d, f"{k:02}.csv"), "w") as f:
            f.write("t,v\n")
            f.writelines(f"{t},{v}\n" for t, v in zip(range(START + i, START + i + HUGE_BODY), values))


def vm_hwm_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        kb = int(re.search(r"^VmHWM:\s+(\d+) kB", f.read(), re.M).group(1))
    return kb / 1024


def big(args):
    http = Client(args.url, timeout=600)
    res = {"label": args.label, "notes": [], "loadavg": os.getloadavg()[0]}
    files = sorted(os.listdir(args.bodies))

    def load():
        for f in files:
            with open(os.path.join(args.bodies, f), "rb") as fh:
                body = fh.read()
            http.write(f"/series/{HUGE}/points", body, {"content-type": "text/csv"})

    res["load"], _ = timed(load)  # includes reading each 20 MB body from the page cache
    res["serve_after_load"] = vm_hwm_mb(args.serve_pid)
    log(f"{args.label}: load 10M points in {len(files)} bodies: {res['load']:.1f} s")

    stats = json.loads(http.get(f"/series/{HUGE}/stats"))
    check(stats["count"] == HUGE_N, f"{args.label}: stats count {stats['count']}, not {HUGE_N}")
    res["stats"] = median_ms(lambda: http.get(f"/series/{HUGE}/stats"), 3)
    log(f"{args.label}: stats over 10M points: {res['stats']:.0f} ms")

    path = f"/series/{HUGE}/points?every=1h&agg=mean&limit=10000"
    n = len(json.loads(http.get(path))["points"])
    check(n == math.ceil(HUGE_N / 3600), f"{args.label}: {n} 1-hour buckets over 10M points")
    res["buckets"] = median_ms(lambda: http.get(path), 3)
    log(f"{args.label}: 1-hour buckets over 10M points ({n}): {res['buckets']:.0f} ms")

    # The console's zoom steps: a chart 1,000 pixels wide asks for 2,000 points of the whole
    # series, then zooms 4x at a time around its middle down to under 1,000 points (what the
    # console does on each drag). Each answer is checked: at most 2,000 points, inside the range.
    steps, span, mid = [], HUGE_N * 1000, (START + HUGE_N // 2) * 1000
    while True:
        lo, hi = mid - span // 2, mid + span // 2
        path = f"/series/{HUGE}/points?from={lo}&to={hi}&max_points=2000"
        pts = json.loads(http.get(path))["points"]
        check(0 < len(pts) <= 2000, f"{args.label}: zoom to {span // 1000} s gave {len(pts)} points")
        steps.append((span // 1000, len(pts), median_ms(lambda: http.get(path), 3)))
        if span // 1000 < 1000:
            break
        span //= 4
    res["zoom"] = steps
    log(f"{args.label}: console zoom steps over 10M points (span s, points, ms): {steps}")

    job = json.loads(http.request("POST", "/jobs", json.dumps({"kind": "plot", "series": HUGE}).encode(),
                                  {"content-type": "application/json"}))
    deadline = time.monotonic() + 300
    while job["status"] not in ("succeeded", "failed"):
        check(time.monotonic() < deadline, f"{args.label}: the plot job did not finish in 300 s")
        time.sleep(0.1)
        job = json.loads(http.get(f"/jobs/{job['id']}"))
    check(job["status"] == "succeeded" and job["result_size"] > 0, f"{args.label}: plot job {job}")
    from datetime import datetime
    p = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00"))
    res["plot"] = (p(job["finished"]) - p(job["started"])).total_seconds()
    res["serve_peak"], res["worker_peak"] = vm_hwm_mb(args.serve_pid), vm_hwm_mb(args.worker_pid)
    log(f"{args.label}: plot job over 10M points ({job['result_size']:,} bytes PNG): {res['plot']:.2f} s "
        f"on the worker; peak RSS serve {res['serve_peak']:.0f} MB, worker {res['worker_peak']:.0f} MB")
    res["notes"] += http.resent
    with open(args.out, "w") as f:
        json.dump(res, f)


def big_table(files):
    cols = [json.load(open(f)) for f in files]
    rows = [
        ("load 10M points (10 CSV bodies of 1M)", lambda c: f"{c['load']:.1f} s"),
        ("stats over 10M points (median of 3)", lambda c: f"{c['stats']:.0f} ms"),
        ("1-hour buckets over 10M points (2,778, median of 3)", lambda c: f"{c['buckets']:.0f} ms"),
        ("plot job over 10M points (PNG, started to finished)", lambda c: f"{c['plot']:.2f} s"),
        ("console zoom, whole series (2,000 points of 10M, median of 3)", lambda c: f"{c['zoom'][0][2]:.0f} ms"),
        ("console zoom steps, 4x each down to 1,000 s (slowest / median)", lambda c: f"{max(z[2] for z in c['zoom']):.0f} / {sorted(z[2] for z in c['zoom'])[len(c['zoom']) // 2]:.0f} ms ({len(c['zoom'])} steps)"),
        ("peak RSS of `tsfn serve` after the load / at the end", lambda c: f"{c['serve_after_load']:.0f} / {c['serve_peak']:.0f} MB"),
        ("peak RSS of `tsfn worker` (1 worker)", lambda c: f"{c['worker_peak']:.0f} MB"),
        ("machine load (1-minute average) before the column", lambda c: f"{c['loadavg']:.1f}"),
    ]
    print("| 10M points | " + " | ".join(c["label"] for c in cols) + " |")
    print("|---" * (len(cols) + 1) + "|")
    for name, cell in rows:
        print(f"| {name} | " + " | ".join(cell(c) for c in cols) + " |")
    print("\n`tsfn serve` with TSFN_WORKERS=0 and one `tsfn worker` process with TSFN_WORKERS=1 on the same\n"
          "fresh store; peak RSS is VmHWM from /proc/PID/status; the stats count and the number of\n"
          "buckets were checked, and the plot job's PNG is not empty.")
    for c in cols:
        for n in c["notes"]:
            print(f"{c['label']}: {n}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("measure")
    m.add_argument("system", choices=SYSTEMS)
    m.add_argument("url")
    m.add_argument("--label", required=True)
    m.add_argument("--out", required=True)
    m.add_argument("--sqlite")
    m.add_argument("--redis-port", type=int)
    m.add_argument("--dir", nargs="+")
    for name in ("table", "big-table"):
        sub.add_parser(name).add_argument("files", nargs="+")
    sub.add_parser("big-bodies").add_argument("dir")
    b = sub.add_parser("big")
    b.add_argument("url")
    b.add_argument("--label", required=True)
    b.add_argument("--bodies", required=True)
    b.add_argument("--serve-pid", type=int, required=True)
    b.add_argument("--worker-pid", type=int, required=True)
    b.add_argument("--out", required=True)
    args = ap.parse_args()
    {"measure": measure, "table": lambda a: table(a.files), "big-bodies": lambda a: big_bodies(a.dir),
     "big": big, "big-table": lambda a: big_table(a.files)}[args.cmd](args)


if __name__ == "__main__":
    main()
