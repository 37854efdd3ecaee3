"""A fault-injecting HTTP proxy in front of a DynamoDB endpoint (moto's server), for tests.

Usage: dynamo_proxy.py UPSTREAM_URL. Listens on 127.0.0.1, a free port, printed as the first
stdout line. Every request is forwarded unchanged, except as set through `POST /_control`
(JSON, any subset):
  {"creating": N}            the next N DescribeTable answers of each table say CREATING
  {"hang_batches_after": N}  BatchWriteItem calls after the next N are never answered (null: off;
                             setting it restarts the batch counters)
`GET /_control` returns the counters: describes per table, batches forwarded, batches hung.
It exits when its stdin closes, so it never outlives the test that started it.
"""

import json
import sys
import threading
import time
import urllib.request
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

UPSTREAM = sys.argv[1].rstrip("/")
lock = threading.Lock()
state = {"creating": 0, "hang_batches_after": None}
creating_left = {}  # table -> CREATING answers still to give
counters = {"describes": {}, "batches_forwarded": 0, "batches_hung": 0}


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
                body = json.dumps(counters).encode()
            return self.reply(200, [("Content-Type", "application/json")], body)
        self.forward(b"")

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/_control":
            with lock:
                settings = json.loads(body)
                state.update(settings)
                creating_left.clear()
                if "hang_batches_after" in settings:
                    counters["batches_forwarded"] = counters["batches_hung"] = 0
            return self.reply(200, [("Content-Type", "application/json")], b"{}")
        self.forward(body)

    def forward(self, body):
        target = (self.headers.get("X-Amz-Target") or "").split(".")[-1]
        if target == "BatchWriteItem":
            with lock:
                after = state["hang_batches_after"]
                hang = after is not None and counters["batches_forwarded"] >= after
                if hang:
                    counters["batches_hung"] += 1
                else:
                    counters["batches_forwarded"] += 1
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
