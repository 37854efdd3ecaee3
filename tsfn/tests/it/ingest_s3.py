"""S3 on moto for the `ingest` suite, with boto3 (moto's own dependency).

  python ingest_s3.py ENDPOINT bucket BUCKET
  python ingest_s3.py ENDPOINT put BUCKET KEY FILE [CONTENT_ENCODING]
  python ingest_s3.py ENDPOINT gen BUCKET KEY BYTES SAMPLES
                                  a CSV of at least BYTES bytes, generated as it is uploaded
                                  (multipart), never whole in memory nor in a file; prints its
                                  size and points, and writes a sample of its lines into SAMPLES
  python ingest_s3.py ENDPOINT get BUCKET KEY OUT       the object into OUT, or OUT not created
  python ingest_s3.py ENDPOINT delete BUCKET KEY
"""
import calendar
import random
import struct
import sys
import time

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
    # A CSV of at least BYTES bytes, made as it is uploaded: one point a millisecond from
    # 2024-01-01 (a 1 kHz sensor), values with 15 decimals, about 44 bytes a line. Blocks of
    # 1,000 lines, each one template with its second and the head of its values filled in, so
    # that Python keeps up with moto (about 1 s per GB). Parts of 8 MiB with CRC32 checksums, as
    # the AWS SDKs upload them by default (without a checksum algorithm moto keeps a second copy
    # of the whole object in memory to compute one over it when the upload completes: a peak of
    # 4.3 GB instead of 2.3 for this GiB).
    key, want, samples = rest[0], int(rest[1]), rest[2]
    start = calendar.timegm((2024, 1, 1, 0, 0, 0))
    rng = random.Random(2024)
    template = "".join(f"\x01.{j:03d}Z,\x02{rng.randrange(10**12):012d}\n" for j in range(1000))

    def block(b):
        """Lines b * 1000 to b * 1000 + 999."""
        second = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(start + b))
        head = f"{(b * 37) % 101 - 40}.{(b * 7919) % 1000:03d}"
        return template.replace("\x01", second).replace("\x02", head)

    # The sample the test reads back: "T_MS BITS LINE" per line, its time and its value's bits
    # as Python computes them (float() rounds correctly), whatever tsfn makes of the line.
    out = open(samples, "w")

    def sample(b, text, lines):
        rows = text.split("\n")
        for j in lines:
            bits = struct.unpack("<Q", struct.pack("<d", float(rows[j].split(",")[1])))[0]
            out.write(f"{(start + b) * 1000 + j} {bits:016x} {rows[j]}\n")

    up = s3.create_multipart_upload(Bucket=bucket, Key=key, ContentType="text/csv",
                                    ChecksumAlgorithm="CRC32")
    parts, buf, pending = [], [b"t,v\n"], 4

    def flush():
        n = len(parts) + 1
        r = s3.upload_part(Bucket=bucket, Key=key, UploadId=up["UploadId"], PartNumber=n,
                           Body=b"".join(buf), ChecksumAlgorithm="CRC32")
        parts.append({"ETag": r["ETag"], "PartNumber": n, "ChecksumCRC32": r["ChecksumCRC32"]})
        buf.clear()

    # Sampled: the first two blocks, the two from the middle on, the last two (whole: runs of
    # 2,000 points across chunk boundaries), and one line out of every 64th of the object.
    size, b, whole, last, mark, mid = 4, 0, set(), [], 1, None
    while size < want:
        text = block(b)
        data = text.encode()
        if mid is None and size + len(data) >= want // 2:
            mid = b
        if b < 2 or mid is not None and b - mid < 2:
            sample(b, text, range(1000))
            whole.add(b)
        while size + len(data) >= want * mark // 64 and mark < 64:
            sample(b, text, [b * 7 % 1000])
            mark += 1
        last = [*last[-1:], (b, text)]
        buf.append(data)
        size += len(data)
        pending += len(data)
        if pending >= 8 << 20:
            flush()
            pending = 0
        b += 1
    for n, text in last:
        if n not in whole:
            sample(n, text, range(1000))
    if buf:
        flush()
    s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=up["UploadId"],
                                 MultipartUpload={"Parts": parts})
    out.close()
    print(s3.head_object(Bucket=bucket, Key=key)["ContentLength"], b * 1000)
elif cmd == "get":
    key, out = rest
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except s3.exceptions.NoSuchKey:
        sys.exit(0)
    with open(out, "wb") as f:
        f.write(body)
elif cmd == "delete":
    s3.delete_object(Bucket=bucket, Key=rest[0])
else:
    sys.exit(f"unknown command {cmd}")
