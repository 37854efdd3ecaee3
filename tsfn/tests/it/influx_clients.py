#!/usr/bin/env python3
"""InfluxDB's own client libraries write into tsfn, through their normal APIs, and the points
are read back through tsfn's API, bit for bit.

    python3 influx_clients.py --url http://127.0.0.1:PORT [--key KEY]

- `influxdb-client` (InfluxDB 2.x API): the batching writer (`WriteOptions`, flushed on
  close) with `Point` records, a synchronous write of line protocol text, `ping()`, and a
  refused write reported as the client reports errors (`ApiException` with 400).
- `influxdb` (InfluxDB 1.x API): `ping()`, `write_points` of JSON points and of line protocol,
  and a refused write (`InfluxDBClientError` with 400).

With --key the server requires that API key; the clients pass it as they pass a token (2.x)
or a password (1.x). Exits 0 when everything matched, 1 naming what did not.
"""

import argparse
import json
import random
import struct
import sys
import urllib.request

from influxdb import InfluxDBClient as V1Client
from influxdb.exceptions import InfluxDBClientError
from influxdb_client import InfluxDBClient, Point, WritePrecision
from influxdb_client.client.write_api import SYNCHRONOUS, WriteOptions
from influxdb_client.rest import ApiException

START_MS = 1_704_067_200_000  # 2024-01-01


def bits(v):
    return struct.pack("<d", v)


def values(n, seed):
    """Random doubles of every magnitude, and the awkward ones."""
    rng = random.Random(seed)
    edge = [0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308, 1.7976931348623157e308,
            -1.7976931348623157e308, 0.1, 1 / 3, 123456789.123456789, -1e-300, 9007199254740993.0]
    out = list(edge)
    while len(out) < n:
        out.append(struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0])
        if out[-1] != out[-1] or out[-1] in (float("inf"), float("-inf")):
            out.pop()
        elif rng.random() < 0.5:
            out[-1] = round(rng.uniform(-1000, 1000), rng.randint(0, 6))
    return out


class Checker:
    def __init__(self, url, key):
        self.url, self.key, self.failures = url, key, []

    def get(self, path):
        req = urllib.request.Request(self.url + path)
        if self.key:
            req.add_header("Authorization", f"Bearer {self.key}")
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())

    def points(self, series):
        out, cursor = [], None
        while True:
            page = self.get(f"/series/{series}/points?limit=10000" + (f"&cursor={cursor}" if cursor else ""))
            out += page["points"]
            cursor = page["next_cursor"]
            if not cursor:
                return out

    def expect(self, what, series, want):
        """`want`: [(ms, value)] in time order."""
        got = self.points(series)
        from datetime import datetime
        ms = lambda t: int(datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp() * 1000 + 0.5)
        got = [(ms(p["t"]), p["v"]) for p in got]
        if [t for t, _ in got] != [t for t, _ in want]:
            self.failures.append(f"{what}: times of {series} differ ({len(got)} read, {len(want)} written)")
            return
        bad = [(t, g, w) for (t, g), (_, w) in zip(got, want) if bits(float(g)) != bits(w)]
        if bad:
            self.failures.append(f"{what}: {len(bad)} values of {series} differ, first {bad[0]}")
        else:
            print(f"{what}: {len(got)} points of {series} read back bit for bit")

    def check(self, cond, msg):
        if not cond:
            self.failures.append(msg)


def v2(c, url, key):
    token = key or "any-token"
    n = 3000
    vals = values(n, 2)
    errors = []
    with InfluxDBClient(url=url, token=token, org="home", timeout=30_000) as client:
        c.check(client.ping(), "influxdb-client: ping() is False")
        # The batching writer: batches of 500, flushed when the client closes.
        with client.write_api(write_options=WriteOptions(batch_size=500, flush_interval=10_000),
                              error_callback=lambda conf, data, e: errors.append(repr(e))) as w:
            for i, v in enumerate(vals):
                w.write(bucket="b2", record=Point("batch").tag("host", "h1").field("v", v)
                        .time(START_MS + i * 1000, WritePrecision.MS))
        c.check(not errors, f"influxdb-client batching writer reported errors: {errors[:3]}")
        c.expect("influxdb-client batching writer", "b2.batch.v", [(START_MS + i * 1000, v) for i, v in enumerate(vals)])
        info = c.get("/series/b2.batch.v")
        c.check(info["labels"] == {"host": "h1"}, f"labels of b2.batch.v: {info['labels']}")
        sync = client.write_api(write_options=SYNCHRONOUS)
        sync.write(bucket="b2", org="home", write_precision=WritePrecision.S,
                   record=["text,site=x a=1.5,b=7i 1704067200", "text,site=x a=2.5,b=-3i,ok=true 1704067201"])
        c.expect("influxdb-client line protocol text", "b2.text.a", [(START_MS, 1.5), (START_MS + 1000, 2.5)])
        c.expect("influxdb-client integers", "b2.text.b", [(START_MS, 7.0), (START_MS + 1000, -3.0)])
        c.expect("influxdb-client booleans", "b2.text.ok", [(START_MS + 1000, 1.0)])
        try:
            sync.write(bucket="b2", record='text,site=x a="words" 1704067202', write_precision=WritePrecision.S)
            c.failures.append("influxdb-client: a string field was accepted")
        except ApiException as e:
            body = json.loads(e.body)
            c.check(e.status == 400 and "line 1" in body.get("message", "") and body.get("code") == "invalid",
                    f"influxdb-client: refused write reported as {e.status} {e.body}")
            print(f"influxdb-client reports the refused write: {e.status} {body['message']}")
        c.expect("a refused body writes nothing", "b2.text.a", [(START_MS, 1.5), (START_MS + 1000, 2.5)])


def v1(c, url, key):
    host, port = url.split("//")[1].split(":")
    client = V1Client(host=host, port=int(port), username="tsfn" if key else None,
                      password=key, database="b1", timeout=30)
    version = client.ping()
    c.check(version.startswith("tsfn-"), f"influxdb: ping() gave {version!r}")
    vals = values(1000, 1)
    body = [{"measurement": "json", "tags": {"room": "r1"}, "time": START_MS + i, "fields": {"v": v}}
            for i, v in enumerate(vals)]
    c.check(client.write_points(body, time_precision="ms", batch_size=300), "influxdb: write_points returned False")
    c.expect("influxdb write_points (JSON points)", "b1.json.v", [(START_MS + i, v) for i, v in enumerate(vals)])
    lines = [f"lines,room=r2 v={v!r} {START_MS + i}" for i, v in enumerate(vals[:200])]
    c.check(client.write_points(lines, time_precision="ms", protocol="line"), "influxdb: line write returned False")
    c.expect("influxdb write_points (line protocol)", "b1.lines.v", [(START_MS + i, v) for i, v in enumerate(vals[:200])])
    try:
        client.write_points(['lines,room=r2 v="text" 1'], protocol="line")
        c.failures.append("influxdb: a string field was accepted")
    except InfluxDBClientError as e:
        c.check(e.code == 400 and "line 1" in str(e.content), f"influxdb: refused write reported as {e.code} {e.content}")
        print(f"influxdb reports the refused write: {e.code} {e.content}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--key")
    a = ap.parse_args()
    c = Checker(a.url.rstrip("/"), a.key)
    for name, step in [("influxdb-client (2.x)", v2), ("influxdb (1.x)", v1)]:
        try:
            step(c, c.url, a.key)
        except Exception as e:  # a client error is a failure of this step, named
            c.failures.append(f"{name}: {type(e).__name__}: {e}")
    if c.failures:
        print("FAILED:\n  " + "\n  ".join(c.failures))
        sys.exit(1)
    print("all client checks passed")


if __name__ == "__main__":
    main()
