#!/usr/bin/env python3
"""Writes events/<function>.json: one API Gateway HTTP API (payload 2.0) request per function.

Run from the repository root after changing a route: `python3 events/make_events.py`.
Reads use the bundled dataset (series `co2`); writes use a series `demo` they create themselves,
so invoking them in this order succeeds on a store loaded with `tsfn seed`:
reads, series-put, points-write, hooks, point-put, point-delete, points-delete, series-delete.
The line protocol writes create series of their own (`lab.room.*`), which stay.
The job events address the sample job `tsfn seed` queues (a summary of `co2`), which the
worker runs before it is read and deleted. The worker has two events, neither of them HTTP:
`worker.stream` (a DynamoDB Streams batch announcing the queued job, as the jobs table's stream
delivers it) and `worker` (`{"job_id": ...}`; after the stream event it finds the job done),
plus `worker.sweep` (`{"sweep": true}`, what the schedule sends: it runs the job `jobs-submit`
queued, which no stream record announced here).

The ingest functions' events are not HTTP either: `ingest-s3` (an S3 ObjectCreated record for
`s3://tsfn-ingest/incoming/demo-s3/sample.csv`, which must exist: `SAMPLE_CSV` is its content),
`ingest-queue` (an SQS batch of two point records) and `ingest-queue.kinesis` (a Kinesis batch
of a record of points and one of line protocol); they write series of their own
(`demo-s3`, `demo-sqs`, `demo-kinesis`, `ingest.room.temp`), which stay.

`ORDER` lists the events in invocation order; an event's function is its name up to the first
dot (`worker.stream` -> `worker`).
"""
import hashlib
import hmac
import json
import pathlib
import urllib.parse

SAMPLE_JOB = "00000000-0000-4000-8000-000000000001"
# The `hooks` event is signed for the source `demo` with this secret: invoke it with
# TSFN_HOOK_SECRETS=demo:sample-hook-secret-0123456789 (as the tests do).
SAMPLE_HOOK_SOURCE = "demo"
SAMPLE_HOOK_SECRET = "sample-hook-secret-0123456789"

EVENTS = [
    # function, method, route, raw path, query, content type, body
    ("series-list", "GET", "/series", "/series", "", None, None),
    ("series-get", "GET", "/series/{series}", "/series/co2", "", None, None),
    ("points-query", "GET", "/series/{series}/points", "/series/co2/points", "from=1990-01-01&to=1991-01-01&limit=5", None, None),
    ("point-get", "GET", "/series/{series}/points/{t}", "/series/co2/points/1990-01-06T00:00:00Z", "", None, None),
    ("series-stats", "GET", "/series/{series}/stats", "/series/co2/stats", "from=1990-01-01&to=2000-01-01", None, None),
    ("points-multi", "GET", "/points", "/points", "series=seattle-temp-max&series=seattle-temp-min&from=2014-01-01&to=2014-01-08&every=1d&agg=max", None, None),
    ("health", "GET", "/health", "/health", "", None, None),
    ("ready", "GET", "/ready", "/ready", "", None, None),
    ("ping", "GET", "/ping", "/ping", "", None, None),
    # The console's page and a file of it, asked for compressed as a browser does.
    ("console", "GET", "/", "/", "", None, None),
    ("console.asset", "GET", "/console/{asset}", "/console/app.js", "", None, None),
    ("console.docs", "GET", "/docs", "/docs", "", None, None),
    ("openapi", "GET", "/openapi.json", "/openapi.json", "", None, None),
    ("jobs-kinds", "GET", "/jobs/kinds", "/jobs/kinds", "", None, None),
    # Line protocol into series `lab.room.temp` and `lab.room.humidity` (InfluxDB 1.x) and
    # `lab.room.co2` (2.x), labelled with the tag `room`.
    ("write-v1", "POST", "/write", "/write", "db=lab&precision=s", "text/plain; charset=utf-8",
     "room,room=kitchen temp=21.5,humidity=40i 1704067200\nroom,room=kitchen temp=21.7,humidity=41i 1704070800\n"),
    ("write-v2", "POST", "/api/v2/write", "/api/v2/write", "org=home&bucket=lab&precision=s", "text/plain; charset=utf-8",
     "room,room=kitchen co2=612 1704067200\n"),
    ("series-put", "PUT", "/series/{series}", "/series/demo", "", "application/json",
     json.dumps({"name": "Demo sensor", "unit": "degC", "labels": {"site": "lab"}})),
    ("points-write", "POST", "/series/{series}/points", "/series/demo/points", "", "text/csv",
     "t,v\n2024-01-01T00:00:00Z,20.5\n2024-01-01T01:00:00Z,21.0\n2024-01-01T02:00:00Z,21.7\n"),
    # A signed webhook pushing a point into `demo` (no timestamp header, so it never goes stale).
    ("hooks", "POST", "/hooks/{source}", f"/hooks/{SAMPLE_HOOK_SOURCE}", "series=demo", "application/json",
     json.dumps([{"t": "2024-01-01T04:00:00Z", "v": 22.3}])),
    ("point-put", "PUT", "/series/{series}/points/{t}", "/series/demo/points/2024-01-01T03:00:00Z", "", "application/json",
     json.dumps({"v": 22.1})),
    ("point-delete", "DELETE", "/series/{series}/points/{t}", "/series/demo/points/2024-01-01T03:00:00Z", "", None, None),
    ("points-delete", "DELETE", "/series/{series}/points", "/series/demo/points", "from=2024-01-01T00:00:00Z&to=2024-01-01T02:00:00Z", None, None),
    ("series-delete", "DELETE", "/series/{series}", "/series/demo", "", None, None),
    ("jobs-submit", "POST", "/jobs", "/jobs", "", "application/json",
     json.dumps({"kind": "trend", "series": "co2", "from": "1980-01-01", "to": "2000-01-01"})),
    ("jobs-list", "GET", "/jobs", "/jobs", "limit=10", None, None),
    ("worker.stream", None, None, None, None, None, None),
    ("worker", None, None, None, None, None, None),
    ("worker.sweep", None, None, None, None, None, None),
    ("ingest-s3", None, None, None, None, None, None),
    ("ingest-queue", None, None, None, None, None, None),
    ("ingest-queue.kinesis", None, None, None, None, None, None),
    ("job-get", "GET", "/jobs/{id}", f"/jobs/{SAMPLE_JOB}", "", None, None),
    ("job-result", "GET", "/jobs/{id}/result", f"/jobs/{SAMPLE_JOB}/result", "", None, None),
    ("job-delete", "DELETE", "/jobs/{id}", f"/jobs/{SAMPLE_JOB}", "", None, None),
]


def stream_event():
    """A DynamoDB Streams batch with the INSERT of the sample job (stream view NEW_IMAGE)."""
    image = {
        "id": {"S": SAMPLE_JOB},
        "spec": {"S": json.dumps({"kind": "summary", "series": ["co2"], "params": {}}, separators=(",", ":"))},
        "status": {"S": "queued"},
        "created": {"N": "1795478400000"},
        "attempts": {"N": "0"},
        "progress": {"N": "0"},
        "ix": {"S": f"001795478400000|{SAMPLE_JOB}"},
        "g": {"S": "job"},
    }
    return {"Records": [{
        "eventID": "c4ca4238a0b923820dcc509a6f75849b",
        "eventName": "INSERT",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {
            "ApproximateCreationDateTime": 1795478400,
            "Keys": {"id": {"S": SAMPLE_JOB}},
            "NewImage": image,
            "SequenceNumber": "111100000000000000000001",
            "SizeBytes": 240,
            "StreamViewType": "NEW_IMAGE",
        },
        "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/tsfn-jobs/stream/2026-11-24T00:00:00.000",
    }]}


SAMPLE_BUCKET = "tsfn-ingest"
SAMPLE_KEY = "incoming/demo-s3/sample.csv"
SAMPLE_CSV = "t,v\n2024-01-01T00:00:00Z,1.5\n2024-01-01T00:01:00Z,2.25\n"


def s3_event():
    """An S3 ObjectCreated:Put record, as S3 notifies Lambda of an upload."""
    return {"Records": [{
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "us-east-1",
        "eventTime": "2026-11-24T00:00:00.000Z",
        "eventName": "ObjectCreated:Put",
        "userIdentity": {"principalId": "AWS:AIDAEXAMPLE"},
        "requestParameters": {"sourceIPAddress": "192.0.2.10"},
        "responseElements": {"x-amz-request-id": "C3D13FE58DE4C810", "x-amz-id-2": "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD"},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "tsfn-ingest",
            "bucket": {"name": SAMPLE_BUCKET, "ownerIdentity": {"principalId": "A3NL1KOZZKExample"}, "arn": f"arn:aws:s3:::{SAMPLE_BUCKET}"},
            "object": {"key": SAMPLE_KEY, "size": len(SAMPLE_CSV), "eTag": "d41d8cd98f00b204e9800998ecf8427e", "sequencer": "0055AED6DCD90281E5"},
        },
    }]}


def sqs_event():
    """An SQS batch of two point records."""
    bodies = [
        {"series": "demo-sqs", "t": "2024-01-01T00:00:00Z", "v": 20.5},
        {"series": "demo-sqs", "points": [{"t": "2024-01-01T00:01:00Z", "v": 21}, ["2024-01-01T00:02:00Z", 21.5]]},
    ]
    return {"Records": [{
        "messageId": f"059f36b4-87a3-44ab-83d2-66197514800{i}",
        "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a",
        "body": json.dumps(b),
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1795478400000", "SenderId": "AIDAEXAMPLE", "ApproximateFirstReceiveTimestamp": "1795478400001"},
        "messageAttributes": {},
        "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:tsfn-ingest",
        "awsRegion": "us-east-1",
    } for i, b in enumerate(bodies)]}


def kinesis_event():
    """A Kinesis batch: a record of points and a record of line protocol."""
    import base64
    datas = [
        json.dumps({"series": "demo-kinesis", "points": [[1704067200, 1.25], [1704067260, 1.5]]}),
        "room,room=kitchen temp=21.5 1704067200000000000\n",
    ]
    return {"Records": [{
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": "demo",
            "sequenceNumber": f"4959031966742418795651307146765869398{i}",
            "data": base64.b64encode(d.encode()).decode(),
            "approximateArrivalTimestamp": 1795478400.0,
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"shardId-000000000000:4959031966742418795651307146765869398{i}",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": "arn:aws:iam::123456789012:role/tsfn-ingest-queue",
        "awsRegion": "us-east-1",
        "eventSourceARN": "arn:aws:kinesis:us-east-1:123456789012:stream/tsfn-ingest",
    } for i, d in enumerate(datas)]}


def path_params(route, raw_path):
    params = {}
    for t, p in zip(route.split("/"), raw_path.split("/")):
        if t.startswith("{"):
            params[t[1:-1]] = urllib.parse.unquote(p)
    return params


def event(fn, method, route, raw_path, query, ctype, body):
    headers = {"accept": "application/json", "host": "abc123.execute-api.us-east-1.amazonaws.com", "user-agent": "curl/8.5.0"}
    if fn.startswith("console"):
        headers["accept"] = "text/html,*/*"
        headers["accept-encoding"] = "gzip"
    if ctype:
        headers["content-type"] = ctype
    if fn == "hooks":
        mac = hmac.new(SAMPLE_HOOK_SECRET.encode(), body.encode(), hashlib.sha256).hexdigest()
        headers["x-hub-signature-256"] = f"sha256={mac}"
    ev = {
        "version": "2.0",
        "routeKey": f"{method} {route}",
        "rawPath": raw_path,
        "rawQueryString": query,
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "abc123",
            "http": {"method": method, "path": raw_path, "protocol": "HTTP/1.1", "sourceIp": "192.0.2.10", "userAgent": "curl/8.5.0"},
            "requestId": f"{fn}-sample",
            "routeKey": f"{method} {route}",
            "stage": "$default",
            "time": "24/Nov/2026:00:00:00 +0000",
            "timeEpoch": 1795478400000,
        },
        "isBase64Encoded": False,
    }
    if query:
        ev["queryStringParameters"] = dict(urllib.parse.parse_qsl(query))
    params = path_params(route, raw_path)
    if params:
        ev["pathParameters"] = params
    if body is not None:
        ev["body"] = body
    return ev


if __name__ == "__main__":
    here = pathlib.Path(__file__).parent
    for spec in EVENTS:
        if spec[0] == "worker":
            ev = {"job_id": SAMPLE_JOB}
        elif spec[0] == "worker.sweep":
            ev = {"sweep": True}
        elif spec[0] == "worker.stream":
            ev = stream_event()
        elif spec[0] == "ingest-s3":
            ev = s3_event()
        elif spec[0] == "ingest-queue":
            ev = sqs_event()
        elif spec[0] == "ingest-queue.kinesis":
            ev = kinesis_event()
        else:
            ev = event(*spec)
        (here / f"{spec[0]}.json").write_text(json.dumps(ev, indent=2) + "\n")
    (here / "ORDER").write_text("".join(f"{spec[0]}\n" for spec in EVENTS))
