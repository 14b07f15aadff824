"""The inside of a function's worker process: a tiny Lambda runtime loop.

Started by `legwork.local.workers` as `python worker_main.py <response fd>` with the
function's environment. It reads one JSON request per line on stdin and writes one JSON
response per line to the response fd, so the function's own prints and logs (stdout,
stderr) stay a plain log stream. It imports nothing from `legwork`: the function sees
only its code folder, its layers and the interpreter's site-packages, as on Lambda.

Requests: {"op": "invoke", "id", "event", "request_id", "deadline_ms"}
          {"op": "call", "id", "path", "function", "args"}   (demo data seeders)
Responses: {"id", "ok": true, "result"} or {"id", "ok": false, "errorType", "errorMessage", "stackTrace"}
"""
from __future__ import annotations

import importlib
import importlib.util
import json
import os
import signal
import sys
import time
import traceback


class LambdaContext:
    """What the Lambda runtime passes as `context` (Powertools reads these attributes)."""

    def __init__(self, request_id: str, deadline_ms: int) -> None:
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.invoked_function_arn = os.environ.get("LEGWORK_FUNCTION_ARN", "")
        self.memory_limit_in_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"))
        self.aws_request_id = request_id
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.identity = None
        self.client_context = None
        self.tenant_id = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(time.time() * 1000))


def _error(request_id: object, exc: BaseException, error_type: str | None = None) -> dict:
    return {
        "id": request_id,
        "ok": False,
        "errorType": error_type or type(exc).__name__,
        "errorMessage": str(exc),
        "stackTrace": traceback.format_exception(type(exc), exc, exc.__traceback__)[1:],
    }


def _load_handler(spec: str):
    module_name, _, function_name = spec.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # the function's own import error, reported like Lambda does
        raise _InitError("Runtime.ImportModuleError", f"Unable to import module '{module_name}': {exc}") from exc
    handler = getattr(module, function_name, None)
    if handler is None:
        raise _InitError("Runtime.HandlerNotFound", f"Handler '{function_name}' missing on module '{module_name}'")
    return handler


class _InitError(Exception):
    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


def _call_file(path: str, function: str, args: list):
    name = "legwork_local_call_" + str(abs(hash(path)))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return getattr(module, function)(*args)


def main() -> None:
    # Ctrl-C in a terminal reaches the whole process group: the runtime stops its
    # workers itself (closing stdin), so a worker ignores the signal instead of dying
    # mid-request with a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    response_fd = int(sys.argv[1])
    # The function sees its code and layers first, never this file's folder.
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    extra = [p for p in os.environ.get("LEGWORK_SYS_PATH", "").split(os.pathsep) if p]
    sys.path[:0] = extra
    out = os.fdopen(response_fd, "w", buffering=1, encoding="utf-8")
    # The init phase (imports, module-level clients) runs before the first request and
    # does not count against the function's timeout, as on Lambda.
    handler = None
    init_error: _InitError | None = None
    try:
        handler = _load_handler(os.environ["_HANDLER"])
    except _InitError as exc:
        init_error = exc
    sys.stdout.flush()
    sys.stderr.flush()
    out.write(json.dumps({"id": 0, "ready": True}) + "\n")
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        rid = request.get("id")
        try:
            if request["op"] == "call":
                result = _call_file(request["path"], request["function"], request.get("args") or [])
            else:
                if handler is None:
                    raise init_error or _InitError("Runtime.HandlerNotFound", "no handler")
                os.environ["_X_AMZN_TRACE_ID"] = request.get("trace_id", "")
                context = LambdaContext(request["request_id"], request["deadline_ms"])
                result = handler(request["event"], context)
            try:
                text = json.dumps({"id": rid, "ok": True, "result": result})
            except (TypeError, ValueError) as exc:  # Lambda cannot serialise it either
                text = json.dumps(_error(rid, exc, "Runtime.MarshalError"), default=str)
        except _InitError as exc:
            text = json.dumps(_error(rid, exc, exc.error_type), default=str)
        except Exception as exc:
            text = json.dumps(_error(rid, exc), default=str)
        sys.stdout.flush()
        sys.stderr.flush()
        out.write(text + "\n")


if __name__ == "__main__":
    main()
