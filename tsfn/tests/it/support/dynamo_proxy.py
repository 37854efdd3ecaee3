"""A fault-injecting HTTP proxy in front of a DynamoDB endpoint (moto's server), for tests.

Usage: dynamo_proxy.py UPSTREAM_URL. Listens on 127.0.0.1, a free port, printed as the first
stdout line. Every request is forwarded unchanged, except as set through `POST /_control`
(JSON, any subset):
  {"creating": N}                 the next N DescribeTable answers of each table say CREATING
  {"hang_transactions_after": N}  TransactWriteItems calls after the next N are never answered
                                  (null: off; setting it restarts the transaction counters)
  {"reset_writes": true}          restarts the write tallies
`GET /_control` returns the counters: describes per table, transactions forwarded and hung,
Queries that continue a previous page (with ExclusiveStartKey), and `writes`: per table, the
write actions that succeeded (Put, Delete, Update, by any write call) and the write request
units they imply from the items' sizes as DynamoDB measures them (attribute names plus values;
1 unit per started KB of each item, twice that inside a transaction). A Delete costs the size
of the item it deletes, taken from the last Put of that key seen here (1 KB when unseen); an
Update, 1 KB (the series item it updates is a few hundred bytes). `stored_bytes`: per table, the
sizes of the items put here and not deleted since (by key), as DynamoDB counts item sizes.
It exits when its stdin closes, so it never outlives the test that started it.
"""

import base64
import json
import math
import sys
import threading
import time
import urllib.request
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

UPSTREAM = sys.argv[1].rstrip("/")
lock = threading.Lock()
state = {"creating": 0, "hang_transactions_after": None}
creating_left = {}  # table -> CREATING answers still to give
counters = {
    "describes": {},
    "transactions_forwarded": 0,
    "transactions_hung": 0,
    "query_pages_continued": 0,
    "writes": {},
}
WRITES = ("TransactWriteItems", "BatchWriteItem", "PutItem", "DeleteItem", "UpdateItem")
item_sizes = {}  # (table, key) -> size in bytes of the last item put there


def value_size(v):
    """Bytes of an attribute value as DynamoDB counts them."""
    (kind, x), = v.items()
    if kind == "S":
        return len(x.encode())
    if kind == "B":
        return len(base64.b64decode(x))
    if kind == "N":
        mantissa = x.lstrip("-").lower().split("e")[0]
        digits = mantissa.replace(".", "").strip("0") or "0"
        return (len(digits) + 1) // 2 + 1
    if kind == "BOOL" or kind == "NULL":
        return 1
    return len(json.dumps(x))  # lists, maps, sets: near enough for these tests


def item_size(item):
    return sum(len(k.encode()) + value_size(v) for k, v in item.items())


def key_of(item):
    return json.dumps({k: item[k] for k in ("s", "t", "id", "part") if k in item}, sort_keys=True)


def tally(table, action, units):
    with lock:
        t = counters["writes"].setdefault(table, {"Put": 0, "Delete": 0, "Update": 0, "wcu": 0})
        t[action] += 1
        t["wcu"] += units


def count_writes(target, doc):
    """Tallies the write actions of a forwarded request that succeeded."""
    if target == "TransactWriteItems":
        actions = [next(iter(a.items())) for a in doc["TransactItems"]]
        factor = 2
    elif target == "BatchWriteItem":
        actions = []
        for table, reqs in doc["RequestItems"].items():
            for r in reqs:
                if "PutRequest" in r:
                    actions.append(("Put", {"TableName": table, "Item": r["PutRequest"]["Item"]}))
                else:
                    actions.append(("Delete", {"TableName": table, "Key": r["DeleteRequest"]["Key"]}))
        factor = 1
    elif target in ("PutItem", "DeleteItem", "UpdateItem"):
        actions = [(target[: -len("Item")], doc)]
        factor = 1
    else:
        return
    for action, op in actions:
        table = op["TableName"]
        if action == "Put":
            size = item_size(op["Item"])
            with lock:
                item_sizes[(table, key_of(op["Item"]))] = size
        elif action == "Delete":
            with lock:
                size = item_sizes.pop((table, key_of(op["Key"])), 1024)
        elif action == "Update":
            size = 1024
        else:
            continue
        tally(table, action, factor * max(1, math.ceil(size / 1024)))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, headers, body):
        self.send_response(status)
        for k, v in headers:
            if k.lower() not in ("content-length", "transfer-encoding", "connection", "x-amz-crc32"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-amz-crc32", str(zlib.crc32(body) & 0xFFFFFFFF))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/_control":
            with lock:
                stored = {}
                for (table, _), size in item_sizes.items():
                    stored[table] = stored.get(table, 0) + size
                body = json.dumps({**counters, "stored_bytes": stored}).encode()
            return self.reply(200, [("Content-Type", "application/json")], body)
        self.forward(b"")

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/_control":
            with lock:
                settings = json.loads(body)
                state.update(settings)
                creating_left.clear()
                if "hang_transactions_after" in settings:
                    counters["transactions_forwarded"] = counters["transactions_hung"] = 0
                if settings.get("reset_writes"):
                    counters["writes"] = {}
            return self.reply(200, [("Content-Type", "application/json")], b"{}")
        self.forward(body)

    def forward(self, body):
        target = (self.headers.get("X-Amz-Target") or "").split(".")[-1]
        if target == "TransactWriteItems":
            with lock:
                after = state["hang_transactions_after"]
                hang = after is not None and counters["transactions_forwarded"] >= after
                if hang:
                    counters["transactions_hung"] += 1
                else:
                    counters["transactions_forwarded"] += 1
            if hang:
                time.sleep(120)
                self.close_connection = True
                return
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
        req = urllib.request.Request(UPSTREAM + self.path, data=body or None, headers=headers, method=self.command)
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                status, rheaders, rbody = r.status, r.getheaders(), r.read()
        except urllib.error.HTTPError as e:
            status, rheaders, rbody = e.code, e.headers.items(), e.read()
        if target == "DescribeTable" and status == 200:
            rbody = self.maybe_creating(rbody)
        if status == 200 and target in WRITES:
            count_writes(target, json.loads(body))
        if target == "Query" and b"ExclusiveStartKey" in body:
            with lock:
                counters["query_pages_continued"] += 1
        self.reply(status, rheaders, rbody)

    def maybe_creating(self, rbody):
        doc = json.loads(rbody)
        table = doc["Table"]["TableName"]
        with lock:
            counters["describes"][table] = counters["describes"].get(table, 0) + 1
            left = creating_left.setdefault(table, state["creating"])
            if left <= 0:
                return rbody
            creating_left[table] = left - 1
        doc["Table"]["TableStatus"] = "CREATING"
        for g in doc["Table"].get("GlobalSecondaryIndexes", []):
            g["IndexStatus"] = "CREATING"
        return json.dumps(doc).encode()


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
print(f"listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
threading.Thread(target=server.serve_forever, daemon=True).start()
sys.stdin.read()
