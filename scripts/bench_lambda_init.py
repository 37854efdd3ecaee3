#!/usr/bin/env python3
"""Cold-start figures of the function binaries, as the Lambda runtime sees them.

Each run starts a function binary the way Lambda does (AWS_LAMBDA_RUNTIME_API pointing at a
Runtime API served here) and measures
  init:  process start -> its first `GET /runtime/invocation/next` (the init phase Lambda bills
         and reports as Init Duration: state built, SDK client created);
  first: that event handed over -> its `POST .../response` (the first invocation; `health`
         only, which touches no store, so no emulator's speed is measured).
Usage: bench_lambda_init.py TARGET_DIR [runs]   (binaries built with cargo build --release)
"""
import http.server
import json
import os
import statistics
import subprocess
import sys
import threading
import time

FUNCTIONS = ["health", "points-query", "points-write", "jobs-submit", "worker"]

target, runs = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 15
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
events = {
    "health": open(os.path.join(root, "events", "health.json"), "rb").read(),
}


class Runtime(http.server.BaseHTTPRequestHandler):
    """The part of the Lambda Runtime API a function uses: next, response, error."""

    protocol_version = "HTTP/1.1"
    state = None  # set per run

    def log_message(self, *args):
        pass

    def do_GET(self):
        s = Runtime.state
        if self.path.endswith("/invocation/next"):
            if s["next_at"] is None:
                s["next_at"] = time.perf_counter()
                s["got_next"].set()
            s["go"].wait(30)
            if s["event"] is None:
                # Nothing to hand out: park the call until the process is killed.
                time.sleep(60)
                return
            body, s["event"] = s["event"], None
            s["sent_at"] = time.perf_counter()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Lambda-Runtime-Aws-Request-Id", "bench-1")
            self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 30000))
            self.send_header("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:0:function:bench")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            self.send_error(404)

    def do_POST(self):
        s = Runtime.state
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n)
        if "/response" in self.path or "/error" in self.path:
            s["answer"] = (self.path, body)
            s["answered_at"] = time.perf_counter()
            s["done"].set()
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a killed function resets its connections: expected here


server = Server(("127.0.0.1", 0), Runtime)
threading.Thread(target=server.serve_forever, daemon=True).start()
api = f"127.0.0.1:{server.server_address[1]}"

env = dict(os.environ)
env.update(
    {
        "AWS_LAMBDA_RUNTIME_API": api,
        "AWS_LAMBDA_FUNCTION_NAME": "bench",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        # Nothing listens here: init must not call the store.
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
        "TSFN_STORE": "dynamodb://bench",
        "RUST_LOG": "warn",
    }
)


def one(name):
    event = events.get(name)
    Runtime.state = {
        "next_at": None,
        "got_next": threading.Event(),
        "go": threading.Event(),
        "done": threading.Event(),
        "event": event,
        "answer": None,
    }
    s = Runtime.state
    start = time.perf_counter()
    p = subprocess.Popen([os.path.join(target, name)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        if not s["got_next"].wait(10):
            sys.exit(f"{name}: no call to the Runtime API within 10 s: {p.stderr.read1(4096).decode()}")
        init = s["next_at"] - start
        first = None
        s["go"].set()
        if event is not None:
            if not s["done"].wait(10):
                sys.exit(f"{name}: no answer to its event within 10 s")
            path, body = s["answer"]
            if "/response" not in path or json.loads(body).get("statusCode") != 200:
                sys.exit(f"{name}: the event failed: {path} {body[:300]!r}")
            first = s["answered_at"] - s["sent_at"]
        return init, first
    finally:
        p.kill()
        p.wait()


print(f"{runs} cold starts per function, median (max) in ms; {os.cpu_count()} cores")
for name in FUNCTIONS:
    if not os.path.exists(os.path.join(target, name)):
        sys.exit(f"missing {target}/{name}: build it with cargo build --release -p {name}")
    results = [one(name) for _ in range(runs)]
    inits = [r[0] * 1000 for r in results]
    line = f"{name:13} init {statistics.median(inits):6.1f} ({max(inits):.1f})"
    firsts = [r[1] * 1000 for r in results if r[1] is not None]
    if firsts:
        line += f"   first invocation {statistics.median(firsts):5.2f} ({max(firsts):.2f})"
    print(line)
