"""Schemathesis's command line (`st`) with what tsfn's document needs that it lacks: NDJSON
bodies go out as the text the schema describes (its text/plain serializer), as CSV bodies do.
Run by tsfn/tests/it/openapi.rs with the test venv's Python: `--workdir DIR` (where Schemathesis
keeps its `.schemathesis` cache, rather than the test's working directory), then `st`'s
arguments."""

import os
import sys

import schemathesis
from schemathesis.cli import schemathesis as st

schemathesis.serializer.alias("application/x-ndjson", "text/plain")

args = sys.argv[1:]
if args[:1] == ["--workdir"]:
    os.chdir(args[1])
    args = args[2:]
sys.exit(st.main(args=args, prog_name="st"))
