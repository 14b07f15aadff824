"""One log stream for the whole runtime: every line prefixed with who wrote it.

A function's structured log lines (Powertools `Logger` writes one JSON document per
record, as CloudWatch wants them) are shown to a person as

    16:02:11 ClaimTaskFunction  | INFO  task claimed  taskId=t-1 courierId=u-7  [POST /tasks/t-1/claim]
    16:02:12 ClaimTaskFunction  | ERROR claim failed  [POST /tasks/t-2/claim]  (claim:88)
    16:02:12 ClaimTaskFunction  |     Traceback (most recent call last): …

time, function, level, message, the record's own keys (the ones the code added), the
request it belongs to, and the traceback when there is one; Powertools' fixed keys
(service, cold_start, function_arn, timestamp …) are left out. `LOG_FORMAT=json` (or
`set_format("json")`) prints the documents as the function wrote them. Nothing changes
inside the function: it logs JSON locally as in AWS, only the runtime's rendering differs.
"""
from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections import OrderedDict
from typing import IO, Any

FORMATS = ("human", "json")

_lock = threading.Lock()
_stream: IO[str] = sys.stderr
_width = 18
_format = "json" if os.environ.get("LOG_FORMAT", "").strip().lower() == "json" else "human"
_requests: OrderedDict[str, str] = OrderedDict()  # Lambda request id -> what it serves ("POST /tasks/x/claim")
_REQUESTS_KEPT = 2048

# Keys every Powertools record carries, or that are shown elsewhere on the line.
_FIXED_KEYS = frozenset({
    "level", "message", "timestamp", "location", "service", "cold_start", "function_name",
    "function_memory_size", "function_arn", "function_request_id", "correlation_id", "xray_trace_id",
    "sampling_rate", "exception", "exception_name", "stack_trace", "name", "tenant_id",
})
_COLOURS = {"ERROR": "\033[31m", "CRITICAL": "\033[31;1m", "WARNING": "\033[33m", "DEBUG": "\033[2m"}


def set_stream(stream: IO[str]) -> None:
    """Send the runtime's log lines to `stream` (stderr by default)."""
    global _stream
    _stream = stream


def set_format(name: str) -> None:
    """`human` (the default) renders functions' JSON records for a person; `json` prints them as written."""
    global _format
    if name not in FORMATS:
        raise ValueError(f"log format {name!r}: use one of {', '.join(FORMATS)}")
    _format = name


def get_format() -> str:
    return _format


def remember_request(request_id: str, label: str) -> None:
    """Note what a Lambda request id serves, so its log lines can say it."""
    with _lock:
        _requests[request_id] = label
        while len(_requests) > _REQUESTS_KEPT:
            _requests.popitem(last=False)


def log(source: str, message: str) -> None:
    """Write `message` (possibly several lines) as `HH:MM:SS source | line`."""
    stamp = time.strftime("%H:%M:%S")
    with _lock:
        for line in message.rstrip("\n").splitlines() or [""]:
            _stream.write(f"{stamp} {source:<{_width}} | {line}\n")
        _stream.flush()


def log_function(source: str, line: str) -> None:
    """One line a function wrote (stdout or stderr), rendered in the current format."""
    if _format == "human":
        colour = _colour_enabled()
        line = human(line, colour=colour)
    log(source, line)


def human(line: str, *, colour: bool = False) -> str:
    """A Powertools JSON record as one line for a person (plus its traceback); other text unchanged.

    >>> human('{"level":"INFO","message":"task claimed","taskId":"t-1","service":"legwork"}')
    'INFO  task claimed  taskId=t-1'
    """
    text = line.strip()
    if not (text.startswith("{") and text.endswith("}")):
        return line
    try:
        record = json.loads(text)
    except ValueError:
        return line
    if not isinstance(record, dict) or "level" not in record or "message" not in record:
        return line
    level = str(record["level"]).upper()
    message = record["message"]
    parts = [f"{level:<5} {message if isinstance(message, str) else _compact(message)}"]
    extras = [f"{key}={_value(value)}" for key, value in record.items() if key not in _FIXED_KEYS]
    if extras:
        parts.append(" ".join(extras))
    with _lock:
        label = _requests.get(str(record.get("function_request_id", "")))
    if label:
        parts.append(f"[{label}]")
    elif record.get("correlation_id"):
        parts.append(f"[correlation_id={record['correlation_id']}]")
    exception = record.get("exception")
    if exception or level in ("ERROR", "CRITICAL", "WARNING"):
        if record.get("location"):
            parts.append(f"({record['location']})")
    rendered = "  ".join(parts)
    if colour and level in _COLOURS:
        rendered = f"{_COLOURS[level]}{rendered}\033[0m"
    if exception:
        if record.get("exception_name") and str(record["exception_name"]) not in str(exception):
            rendered += f"\n    {record['exception_name']}"
        rendered += "".join(f"\n    {row}" for row in str(exception).rstrip("\n").splitlines())
    return rendered


def _value(value: Any) -> str:
    if isinstance(value, str):
        return value if value and not any(c.isspace() or c in "\"'=" for c in value) else json.dumps(value, ensure_ascii=False)
    return _compact(value)


def _compact(value: Any, limit: int = 300) -> str:
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _colour_enabled() -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    try:
        return _stream.isatty()
    except (AttributeError, ValueError):
        return False
