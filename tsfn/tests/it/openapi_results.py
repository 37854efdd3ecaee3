#!/usr/bin/env python3
"""Every job kind's result against the OpenAPI document's schema for it.

    python3 openapi_results.py --url http://127.0.0.1:PORT

Writes two evenly spaced series, submits each kind of `GET /jobs/kinds` with its defaults (the
kind's least number of series), waits for it to succeed, and validates its result: a JSON result
against `components.schemas.<Kind>Result` (the one for that kind, stricter than the response's
anyOf of all of them), a plot against the image type the document lists. Also validates the job
records and the submission bodies sent. Exits 0 when all hold, 1 naming what failed.
Needs jsonschema and referencing (Schemathesis's own dependencies in the test venv).
"""

import argparse
import json
import sys
import time
import urllib.request

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

DOC_URI = "urn:tsfn:openapi"


def call(method, url, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"content-type": "application/json"} if data else {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers.get("content-type", ""), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("content-type", ""), e.read()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", required=True)
    p.add_argument("--timeout", type=float, default=60, help="bound of each job's wait, seconds")
    args = p.parse_args()
    base = args.url.rstrip("/")

    _, _, raw = call("GET", base + "/openapi.json")
    doc = json.loads(raw)
    # OpenAPI 3.1 schemas are JSON Schema 2020-12; the document is their resource.
    registry = Registry().with_resource(
        DOC_URI, Resource.from_contents(doc, default_specification=DRAFT202012))

    def validate(instance, name):
        schema = {"$ref": f"{DOC_URI}#/components/schemas/{name}"}
        jsonschema.Draft202012Validator(schema, registry=registry).validate(instance)

    failures = []
    # Daily points over 200 days: a weekly cycle and a trend, evenly spaced for `spectrum`.
    for sid, phase in (("results-a", 0.0), ("results-b", 1.0)):
        pts = [[1704067200 + i * 86400, 10 + i * 0.05 + ((i + phase) % 7)] for i in range(200)]
        status, _, body = call("POST", f"{base}/series/{sid}/points", pts)
        if status not in (200, 201):
            failures.append(f"writing {sid}: {status} {body[:200]!r}")

    _, _, raw = call("GET", base + "/jobs/kinds")
    kinds = json.loads(raw)["kinds"]
    validate(json.loads(raw), "JobKinds")
    for k in kinds:
        kind = k["kind"]
        submission = {"kind": kind, "series": ["results-a", "results-b"][: k["series"]["min"]]}
        params = {p["name"]: "1d" if p["type"] == "duration" else 1
                  for p in k["params"] if p["required"]}
        if params:
            submission["params"] = params
        try:
            validate(submission, "JobSubmission")
            status, _, body = call("POST", base + "/jobs", submission)
            if status != 202:
                raise AssertionError(f"submit: {status} {body[:300]!r}")
            job = json.loads(body)
            validate(job, "Job")
            deadline = time.monotonic() + args.timeout
            while job["status"] in ("queued", "running"):
                if time.monotonic() > deadline:
                    raise AssertionError(f"still {job['status']} after {args.timeout} s")
                time.sleep(0.1)
                _, _, body = call("GET", f"{base}/jobs/{job['id']}")
                job = json.loads(body)
                validate(job, "Job")
            if job["status"] != "succeeded":
                raise AssertionError(f"job {job['status']}: {job['error']}")
            status, ctype, body = call("GET", f"{base}/jobs/{job['id']}/result")
            if status != 200:
                raise AssertionError(f"result: {status}")
            media = ctype.split(";")[0].strip()
            listed = doc["paths"]["/jobs/{id}/result"]["get"]["responses"]["200"]["content"]
            if media not in listed:
                raise AssertionError(f"result content type {media} is not in the document")
            if kind == "plot":
                if media != "image/png" or not body.startswith(b"\x89PNG"):
                    raise AssertionError(f"plot: {media}, {body[:8]!r}")
            else:
                if media != "application/json":
                    raise AssertionError(f"{media} for a JSON kind")
                validate(json.loads(body), kind.capitalize() + "Result")
            print(f"{kind}: ok ({media}, {len(body)} bytes)")
        except (AssertionError, jsonschema.ValidationError) as e:
            failures.append(f"{kind}: {str(e)[:2000]}")
    for f in failures:
        print("FAILED:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
