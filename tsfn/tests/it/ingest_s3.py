"""S3 on moto for the `ingest` suite, with boto3 (moto's own dependency).

  python ingest_s3.py ENDPOINT bucket BUCKET
  python ingest_s3.py ENDPOINT put BUCKET KEY FILE [CONTENT_ENCODING]
  python ingest_s3.py ENDPOINT gen BUCKET KEY LINES     a CSV of LINES points, generated as it is
                                                         uploaded (multipart), never whole in memory
  python ingest_s3.py ENDPOINT get BUCKET KEY OUT       the object into OUT, or OUT not created
"""
import sys

import boto3
from botocore.config import Config

endpoint, cmd, bucket, *rest = sys.argv[1:]
s3 = boto3.client(
    "s3",
    endpoint_url=endpoint,
    region_name="us-east-1",
    aws_access_key_id="test",
    aws_secret_access_key="test",
    config=Config(s3={"addressing_style": "path"}),
)

if cmd == "bucket":
    s3.create_bucket(Bucket=bucket)
elif cmd == "put":
    key, path, *enc = rest
    extra = {"ContentEncoding": enc[0]} if enc else {}
    with open(path, "rb") as f:
        s3.put_object(Bucket=bucket, Key=key, Body=f.read(), **extra)
elif cmd == "gen":
    key, lines = rest[0], int(rest[1])
    up = s3.create_multipart_upload(Bucket=bucket, Key=key, ContentType="text/csv")
    parts, part, n, buf = [], 1, 0, ["t,v\n"]
    size = 4

    def flush(final=False):
        global part, buf, size
        if size >= 8 << 20 or (final and size):
            r = s3.upload_part(Bucket=bucket, Key=key, UploadId=up["UploadId"], PartNumber=part,
                               Body="".join(buf).encode())
            parts.append({"ETag": r["ETag"], "PartNumber": part})
            part, buf, size = part + 1, [], 0

    for i in range(lines):
        # One point a second from 2001-09-09 on; values with many digits, exact in both ways.
        line = f"{1_000_000_000 + i},{i * 0.001 + 0.1234567890123}\n"
        buf.append(line)
        size += len(line)
        flush()
    flush(final=True)
    s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=up["UploadId"],
                                 MultipartUpload={"Parts": parts})
    print(s3.head_object(Bucket=bucket, Key=key)["ContentLength"])
elif cmd == "get":
    key, out = rest
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except s3.exceptions.NoSuchKey:
        sys.exit(0)
    with open(out, "wb") as f:
        f.write(body)
else:
    sys.exit(f"unknown command {cmd}")
