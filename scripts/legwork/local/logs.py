"""One log stream for the whole runtime: every line prefixed with who wrote it."""
from __future__ import annotations

import sys
import threading
import time
from typing import IO

_lock = threading.Lock()
_stream: IO[str] = sys.stderr
_width = 18


def set_stream(stream: IO[str]) -> None:
    """Send the runtime's log lines to `stream` (stderr by default)."""
    global _stream
    _stream = stream


def log(source: str, message: str) -> None:
    """Write `message` (possibly several lines) as `HH:MM:SS source | line`."""
    stamp = time.strftime("%H:%M:%S")
    with _lock:
        for line in message.rstrip("\n").splitlines() or [""]:
            _stream.write(f"{stamp} {source:<{_width}} | {line}\n")
        _stream.flush()
