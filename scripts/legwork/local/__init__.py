"""The local runtime: `python -m legwork dev` runs a SAM template's application without Docker.

    make dev                                   # merge, then python -m legwork dev --port 3000
    python -m legwork dev --template t.yaml    # any template of this shape
    python -m legwork invoke ReportsFunction   # fire a function (its schedule's event) now
    curl -X POST localhost:3000/__legwork/invoke/ReportsFunction -d '{"my": "event"}'
    python -m legwork wait-ready --port 3000   # exit 0 once the API answers and demo data is written
    curl localhost:3000/__legwork/ready        # 503 until then, 200 after

The pieces, each a module of its own:

- `provision`: an embedded moto server on loopback holds the template's tables, buckets,
  queues, topics, secrets and parameters, with CloudFormation-like names and values
  (`Stack.name/attr/resolve/env`); `intrinsics` evaluates Ref, GetAtt, Sub, If …;
- `workers`: each function in warm worker processes (`worker_main`), its code and layers
  on `sys.path`, its resolved environment, `AWS_ENDPOINT_URL` to moto; a change to its
  code or layers is picked up by the next call;
- `gateway`: API Gateway (REST) from the Api's OpenAPI document: routes, validation,
  Lambda authorizers with their cache, CORS, gateway responses, the v1 proxy event;
  served by `http.server` with a listen backlog sized for bursts, every refusal (an
  undeclared method, a malformed request, a body over 10 MB) a JSON gateway response;
- `logs`: one stream for everything; functions' Powertools JSON records rendered as one
  readable line each (`LOG_FORMAT=json` prints them as written);
- `events`: S3 notifications, SQS and DynamoDB stream mappings (`patterns` for filter
  criteria), schedules (`schedules` for rate/cron);
- `seed`: demo users and each resource's optional `demo.py` `seed(stack)`;
- `state`: PERSIST=1 keeps tables, objects and secrets across restarts (not queue
  messages or stream history); without it every start is clean.

Limits: only Python functions from local folders run; a function's own requirements must
be installed in the interpreter running the runtime; memory is reported to the function
(`context.memory_limit_in_mb`), not enforced; gateway responses use simple `$context`
substitution as API Gateway does (no VTL); SAM's `Auth` property is not read (describe
authorizers in the OpenAPI document).
"""
from __future__ import annotations


def main(argv: list[str]) -> int:
    """`python -m legwork dev [--port N]`: runs until Ctrl-C, then exits at once."""
    import os
    import sys

    from legwork.local.cli import main as run

    code = run(argv)
    # The runtime has stopped everything it started (server, pumps, workers, moto, saved
    # state). Skip the interpreter's teardown of moto's and boto3's module graph: it
    # made Ctrl-C take seconds more (over 20 s on a busy machine) for nothing.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
