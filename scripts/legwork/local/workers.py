"""Lambda, locally: each function in its own warm worker processes, reloaded on code change.

A `FunctionSpec` is what the template says about a function (handler, code folder,
layers, environment, timeout, memory). `Lambda.invoke(logical_id, event)` runs it in a
small pool of long-lived `python worker_main.py` processes (started on first use), and
answers an `Invocation`: the result, the function's error, a timeout or a crash. A
timed-out or crashed worker is killed and replaced on the next call. Before each call
the function's code and layer folders are checked for changes (file mtimes); a change
retires the old workers, so the next call runs the new code without a restart.

    lam = Lambda(function_specs(stack, root), endpoint_url="http://localhost:5000")
    lam.invoke("HealthFunction", {"httpMethod": "GET", "path": "/health"}).result
"""
from __future__ import annotations

import importlib.util
import itertools
import json
import os
import select
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from legwork.local.logs import get_format, log, log_function, remember_request
from legwork.local.provision import FUNCTION_TYPES, Stack

WORKER_MAIN = str(Path(__file__).with_name("worker_main.py"))
INIT_TIMEOUT = 10.0  # Lambda's init phase limit
# Lambda runs each cold start on its own share of a machine; here they share this one. At
# most this many init phases run at once (the others wait, as queued requests do, before
# their clock starts): twelve workers importing boto3 together on 2 cores each took over
# 20 s, past init's limit and the function's timeout, where two at a time take about 1 s.
COLD_STARTS = threading.BoundedSemaphore(max(2, os.cpu_count() or 2))
LAYER_TYPES = ("AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion")


@dataclass
class FunctionSpec:
    """One function as the template declares it, with paths and values resolved."""

    logical_id: str
    name: str
    arn: str
    handler: str
    runtime: str
    code_dir: Path
    layer_dirs: list[Path]
    env: dict[str, str]
    timeout: float
    memory: int
    events: dict = field(default_factory=dict)

    @property
    def sys_path(self) -> list[Path]:
        """The import path Lambda gives it: its code, then each layer (`python/` when built)."""
        paths = [self.code_dir]
        for layer in self.layer_dirs:
            paths.append(layer / "python" if (layer / "python").is_dir() else layer)
        return paths

    @property
    def watched(self) -> list[Path]:
        return [self.code_dir, *self.layer_dirs]


def function_specs(stack: Stack, root: Path) -> dict[str, FunctionSpec]:
    """Every active Python function of the stack's template, by logical id.

    `root` is the folder the template's `CodeUri`/`ContentUri` are relative to.
    """
    layers: dict[str, Path] = {}
    for lid, resource in stack.resources.items():
        if resource.get("Type") in LAYER_TYPES and stack.is_active(lid):
            props = resource.get("Properties") or {}
            uri = props.get("ContentUri") or props.get("Content")
            if isinstance(uri, str):
                layers[str(stack.name(lid))] = (root / uri).resolve()
    specs: dict[str, FunctionSpec] = {}
    for lid in stack.functions():
        props = stack.resolve(stack.function(lid))
        runtime = str(props.get("Runtime", ""))
        code_uri = props.get("CodeUri") or (props.get("Code") if isinstance(props.get("Code"), str) else None)
        if not runtime.startswith("python") or not isinstance(code_uri, str):
            log("lambda", f"{lid}: skipped (runtime {runtime or '?'}, CodeUri {code_uri!r}): only Python folders run locally")
            continue
        layer_dirs = []
        for layer in props.get("Layers") or []:
            if str(layer) in layers:
                layer_dirs.append(layers[str(layer)])
            else:
                log("lambda", f"{lid}: layer {layer} is not a local folder of this template; not on the path")
        specs[lid] = FunctionSpec(
            logical_id=lid,
            name=str(stack.name(lid)),
            arn=str(stack.attr(lid, "Arn")),
            handler=str(props["Handler"]),
            runtime=runtime,
            code_dir=(root / code_uri).resolve(),
            layer_dirs=layer_dirs,
            env=stack.env(lid),
            timeout=float(props.get("Timeout", 3)),
            memory=int(props.get("MemorySize", 128)),
            events=props.get("Events") or {},
        )
    return specs


def describe_event(event: Any) -> str:
    """What an event asks for, in a few words, for log lines ("POST /tasks/t-1/claim")."""
    if not isinstance(event, dict):
        return ""
    if isinstance(event.get("httpMethod"), str) and isinstance(event.get("path"), str):
        if event.get("type") == "REQUEST":
            return f"authorizer for {event['httpMethod']} {event['path']}"
        return f"{event['httpMethod']} {event['path']}"
    if event.get("type") == "TOKEN" and isinstance(event.get("methodArn"), str):
        _, _, method, path = (event["methodArn"].split("/", 3) + ["", "", "", ""])[:4]
        return f"authorizer for {method} /{path}"
    records = event.get("Records")
    if isinstance(records, list) and records and isinstance(records[0], dict):
        source = str(records[0].get("eventSource") or records[0].get("EventSource") or "records")
        return f"{source.split(':')[-1]}: {len(records)} record{'s' if len(records) != 1 else ''}"
    if isinstance(event.get("detail-type"), str):
        return str(event["detail-type"])
    return ""


@dataclass
class Invocation:
    """The outcome of one invocation: `kind` is ok, error (the function raised), timeout or crash."""

    kind: str
    result: Any = None
    error_type: str = ""
    error_message: str = ""
    duration_ms: float = 0.0
    request_id: str = ""

    @property
    def ok(self) -> bool:
        return self.kind == "ok"


class WorkerTimeout(Exception):
    pass


class WorkerCrashed(Exception):
    pass


# -- code versions: what changed since the workers started ------------------------------
def scan(dirs: list[Path]) -> dict[str, int]:
    """Path → mtime_ns of every file under `dirs` (caches and hidden folders skipped)."""
    found: dict[str, int] = {}
    stack = [str(d) for d in dirs]
    while stack:
        current = stack.pop()
        try:
            entries = os.scandir(current)
        except OSError:
            continue
        with entries:
            for entry in entries:
                if entry.name.startswith(".") or entry.name == "__pycache__":
                    continue
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                else:
                    try:
                        found[entry.path] = entry.stat().st_mtime_ns
                    except OSError:
                        pass
    return found


def _forget_bytecode(changed: list[str]) -> None:
    # Python trusts a .pyc whose recorded source mtime (in whole seconds) and size match;
    # an edit within the same second that keeps the size would run the old code.
    for path in changed:
        if path.endswith(".py"):
            try:
                os.unlink(importlib.util.cache_from_source(path))
            except (OSError, ValueError, NotImplementedError):
                pass


class Worker:
    """One `worker_main.py` process: one request at a time over a pipe."""

    _ids = itertools.count(1)

    def __init__(self, spec: FunctionSpec, env: dict[str, str], generation: int,
                 cold_start: threading.Semaphore | None = None) -> None:
        """Start the process; `cold_start`, if given, is a slot already taken, released when init ends."""
        self.spec = spec
        self.generation = generation
        self.number = next(self._ids)
        self._cold_start = cold_start
        read_fd, write_fd = os.pipe()
        self.proc = subprocess.Popen(
            [sys.executable, "-u", WORKER_MAIN, str(write_fd)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=(write_fd,),
            env=env,
            cwd=str(spec.code_dir),
        )
        os.close(write_fd)
        self._fd = read_fd
        self._buffer = b""
        self._seq = itertools.count(1)
        self.ready = False
        for stream in (self.proc.stdout, self.proc.stderr):
            threading.Thread(target=self._pump_log, args=(stream,), daemon=True).start()

    def _pump_log(self, stream) -> None:
        for raw in iter(stream.readline, b""):
            log_function(self.spec.logical_id, raw.decode("utf-8", errors="replace").rstrip("\n"))

    def request(self, payload: dict, timeout: float) -> dict:
        """Send one request and wait up to `timeout` seconds for its response
        (after the worker's init phase, which has its own `INIT_TIMEOUT`).

        An init phase longer than `INIT_TIMEOUT` is not a crash: Lambda then runs init
        again as part of the first invocation, within the function's timeout. Here init
        simply goes on, and the time beyond `INIT_TIMEOUT` counts against `timeout` (a
        busy laptop starting several cold workers at once is slow, not broken)."""
        if not self.ready:
            started = time.monotonic()
            try:
                self._read(INIT_TIMEOUT)
            except WorkerTimeout:
                log(self.spec.logical_id, f"init phase took more than {INIT_TIMEOUT:.0f} s; going on within the "
                                          f"function's timeout ({timeout:.0f} s), as Lambda does")
                try:
                    self._read(timeout)  # WorkerTimeout: the invocation timed out
                finally:
                    self._init_ended()
                timeout = max(0.001, timeout - (time.monotonic() - started - INIT_TIMEOUT))
            except BaseException:
                self._init_ended()
                raise
            self._init_ended()
            self.ready = True
        payload = {**payload, "id": next(self._seq)}
        if payload.get("op") == "invoke":
            payload["deadline_ms"] = int(time.time() * 1000 + timeout * 1000)
        try:
            self.proc.stdin.write((json.dumps(payload) + "\n").encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError, ValueError) as exc:
            raise WorkerCrashed(f"worker exited ({self.proc.poll()})") from exc
        return self._read(timeout)

    def _init_ended(self) -> None:
        """Give back the cold-start slot (once)."""
        slot, self._cold_start = self._cold_start, None
        if slot is not None:
            slot.release()

    def _read(self, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WorkerTimeout()
            ready, _, _ = select.select([self._fd], [], [], remaining)
            if not ready:
                raise WorkerTimeout()
            chunk = os.read(self._fd, 1 << 16)
            if not chunk:
                code = self.proc.wait(timeout=5)
                raise WorkerCrashed(f"worker exited with code {code}")
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return json.loads(line)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        """End the process (closing stdin ends its loop; a stuck one is killed)."""
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            try:
                self.proc.wait(timeout=0.5)
            except subprocess.TimeoutExpired:
                self.kill()
        self._close()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        self._close()

    def _close(self) -> None:
        self._init_ended()
        if self._fd >= 0:
            try:
                os.close(self._fd)
            except OSError:
                pass
            self._fd = -1


class FunctionPool:
    """Warm workers of one function: up to `size` at once, retired when the code changes."""

    def __init__(self, spec: FunctionSpec, env: dict[str, str], size: int) -> None:
        self.spec = spec
        self.env = env
        self.size = max(1, size)
        self._idle: list[Worker] = []
        self._busy = 0
        self._cond = threading.Condition()
        self._generation = 0
        self._files = scan(spec.watched)
        self._scan_lock = threading.Lock()
        self._closed = False

    def _check_code(self) -> None:
        with self._scan_lock:
            files = scan(self.spec.watched)
            if files == self._files:
                return
            changed = [path for path, mtime in files.items() if self._files.get(path) != mtime]
            self._files = files
        _forget_bytecode(changed)
        with self._cond:
            self._generation += 1
            retired, self._idle = self._idle, []
        if retired or self._busy:
            log("lambda", f"{self.spec.logical_id}: code changed, new workers for the next calls")
        for worker in retired:
            worker.stop()

    def _acquire(self) -> Worker:
        with self._cond:
            while True:
                if self._closed:
                    raise WorkerCrashed("the runtime is stopping")
                while self._idle:
                    worker = self._idle.pop()
                    if worker.generation == self._generation and worker.alive():
                        self._busy += 1
                        return worker
                    threading.Thread(target=worker.stop, daemon=True).start()
                if self._busy < self.size:
                    self._busy += 1
                    generation = self._generation
                    break
                self._cond.wait()
        COLD_STARTS.acquire()  # waiting here is queueing: the invocation's clock has not started
        try:
            return Worker(self.spec, self.env, generation, cold_start=COLD_STARTS)
        except Exception:
            COLD_STARTS.release()
            with self._cond:
                self._busy -= 1
                self._cond.notify()
            raise

    def _release(self, worker: Worker, healthy: bool) -> None:
        with self._cond:
            self._busy -= 1
            keep = healthy and not self._closed and worker.generation == self._generation
            if keep:
                self._idle.append(worker)
            self._cond.notify()
        if not keep:
            (worker.stop if healthy else worker.kill)()

    def request(self, payload: dict, timeout: float) -> dict:
        """Run one request on a warm worker; a timed-out or crashed worker is replaced."""
        self._check_code()
        try:
            worker = self._acquire()
        except OSError as exc:  # e.g. CodeUri folder missing
            raise WorkerCrashed(f"cannot start a worker in {self.spec.code_dir}: {exc}") from exc
        try:
            response = worker.request(payload, timeout)
        except (WorkerTimeout, WorkerCrashed):
            self._release(worker, healthy=False)
            raise
        self._release(worker, healthy=True)
        return response

    def close(self) -> list[Worker]:
        """Refuse further calls; returns the idle workers for the caller to stop."""
        with self._cond:
            self._closed = True
            workers, self._idle = self._idle, []
            self._cond.notify_all()
        return workers


class Lambda:
    """The functions of a template, invoked by logical id in warm local workers."""

    def __init__(
        self,
        specs: dict[str, FunctionSpec],
        *,
        endpoint_url: str,
        region: str = "us-east-1",
        pool_size: int = 4,
        verbose: bool = False,
    ) -> None:
        self.specs = specs
        self.endpoint_url = endpoint_url
        self.region = region
        self.verbose = verbose
        self._pools = {lid: FunctionPool(spec, self._env(spec), pool_size) for lid, spec in specs.items()}
        self._by_arn = {spec.arn: lid for lid, spec in specs.items()}
        self._by_name = {spec.name: lid for lid, spec in specs.items()}

    def _env(self, spec: FunctionSpec) -> dict[str, str]:
        keep = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT") if k in os.environ}
        env = {
            **keep,
            "TZ": "UTC",
            "PYTHONUNBUFFERED": "1",
            "LEGWORK_SYS_PATH": os.pathsep.join(str(p) for p in spec.sys_path),
            "LAMBDA_TASK_ROOT": str(spec.code_dir),
            "_HANDLER": spec.handler,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
            "AWS_LAMBDA_FUNCTION_NAME": spec.name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": f"local/{spec.logical_id}",
            "LEGWORK_FUNCTION_ARN": spec.arn,
            # Powertools and the X-Ray SDK treat SAM local as "no tracing daemon here".
            "AWS_SAM_LOCAL": "true",
        }
        env.update(spec.env)
        env.update(
            AWS_REGION=self.region,
            AWS_DEFAULT_REGION=self.region,
            AWS_ENDPOINT_URL=self.endpoint_url,
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
            AWS_SESSION_TOKEN="testing",
        )
        return env

    def code_version(self, logical_id: str) -> int:
        """A number that changes whenever the function's code or layers change."""
        pool = self._pools[logical_id]
        pool._check_code()
        return pool._generation

    def reserve(self, logical_id: str, workers: int) -> int:
        """Allow at least `workers` concurrent invocations of a function (an event source's
        concurrency); the pool's size afterwards."""
        pool = self._pools[logical_id]
        with pool._cond:
            pool.size = max(pool.size, workers)
            return pool.size

    def logical_id(self, name_or_arn: str) -> str | None:
        """The logical id of a function given its logical id, physical name or ARN."""
        if name_or_arn in self.specs:
            return name_or_arn
        return self._by_arn.get(name_or_arn) or self._by_name.get(name_or_arn)

    def invoke(self, logical_id: str, event: Any, *, timeout: float | None = None) -> Invocation:
        """Run the function on `event`; never raises for the function's own failures."""
        spec = self.specs[logical_id]
        limit = min(timeout, spec.timeout) if timeout else spec.timeout
        request_id = str(uuid.uuid4())
        label = describe_event(event)
        if label:
            remember_request(request_id, label)
        started = time.monotonic()
        payload = {
            "op": "invoke",
            "event": event,
            "request_id": request_id,
        }
        try:
            response = self._pools[logical_id].request(payload, limit)
        except WorkerTimeout:
            log(logical_id, f"Task timed out after {limit:.2f} seconds (RequestId: {request_id})")
            return Invocation("timeout", error_type="Sandbox.Timedout",
                              error_message=f"Task timed out after {limit:.2f} seconds", request_id=request_id,
                              duration_ms=(time.monotonic() - started) * 1000)
        except WorkerCrashed as exc:
            log(logical_id, f"Runtime exited: {exc} (RequestId: {request_id})")
            return Invocation("crash", error_type="Runtime.ExitError", error_message=str(exc), request_id=request_id,
                              duration_ms=(time.monotonic() - started) * 1000)
        duration = (time.monotonic() - started) * 1000
        if response.get("ok"):
            if self.verbose:
                log(logical_id, f"REPORT RequestId: {request_id} Duration: {duration:.1f} ms")
            return Invocation("ok", result=response.get("result"), duration_ms=duration, request_id=request_id)
        trace = "".join(response.get("stackTrace") or [])
        where = f"  [{label}]" if label and get_format() == "human" else ""
        log(logical_id, f"[ERROR] {response.get('errorType')}: {response.get('errorMessage')}{where}\n{trace}")
        return Invocation(
            "error",
            error_type=response.get("errorType", ""),
            error_message=response.get("errorMessage", ""),
            duration_ms=duration,
            request_id=request_id,
        )

    def call_file(self, logical_id: str, path: Path, function: str, args: list, timeout: float = 120.0) -> Any:
        """Run `function(*args)` from the file at `path` inside the function's environment
        (its code, layers and variables), in a worker of its own; raises on failure."""
        spec = self.specs[logical_id]
        worker = Worker(spec, self._pools[logical_id].env, generation=-1)
        try:
            response = worker.request({"op": "call", "path": str(path), "function": function, "args": args}, timeout)
        finally:
            worker.stop()
        if not response.get("ok"):
            raise RuntimeError(
                f"{path.name}:{function} failed: {response.get('errorType')}: {response.get('errorMessage')}\n"
                + "".join(response.get("stackTrace") or [])
            )
        return response.get("result")

    def close(self) -> None:
        """Stop every worker, all at once (one by one, a worker's exit wait adds up to seconds)."""
        workers = [worker for pool in self._pools.values() for worker in pool.close()]
        threads = [threading.Thread(target=worker.stop, daemon=True) for worker in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=10)
