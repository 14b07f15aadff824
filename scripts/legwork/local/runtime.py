"""The whole local runtime: moto, the template's resources, Lambda workers, events, the API.

    runtime = LocalRuntime(Options(template=Path("template.yaml"), port=3000))
    runtime.start()            # returns once the API answers (demo data is written after)
    runtime.ready.wait()       # the API answers and the demo data is written
    ...                        # http://127.0.0.1:3000
    runtime.stop()             # workers, pumps, server and moto

Ready means the API answers and the demo data is written: only then does it log
`ready: API on …`, answer 200 on `GET /__legwork/ready` (503 before), and write
`Options.ready_file`.

Usable in-process (tests start it on a free port in a thread) and from the CLI
(`python -m legwork dev`). It knows nothing about any particular application: every
route, function, table and event source comes from the template.
"""
from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from legwork import yamlcfn
from legwork.local import moto_patches, state
from legwork.local.events import EventSources
from legwork.local.gateway import ApiModel, Gateway
from legwork.local.logs import log
from legwork.local.provision import Stack, provision
from legwork.local.seed import seed
from legwork.local.workers import Invocation, Lambda, function_specs


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Options:
    """How to run: which template, where to listen, how eagerly to poll."""

    template: Path
    port: int = 3000
    host: str = "127.0.0.1"
    stage: str = "dev"
    region: str = "us-east-1"
    moto_port: int = 0  # 0: a free port
    poll_interval: float = 0.5  # seconds between empty polls of queues and streams
    pool_size: int = 4  # warm workers per function at most
    seed: bool = True
    timers: bool = True  # fire rate/cron schedules on their own (always available on demand)
    access_log: bool = True
    verbose: bool = False
    persist_dir: Path | None = None  # keep tables and objects across restarts (PERSIST=1)
    parameters: dict[str, Any] = field(default_factory=dict)
    moto_process: bool = False  # moto in its own process (its own interpreter lock) instead of a thread
    static_dir: Path | None = None  # files served for GET paths no route claims (a web client)
    root: Path | None = None  # what CodeUri/ContentUri are relative to (default: the template's folder)
    ready_file: Path | None = None  # written (the API's URL) once ready, removed on stop


class LocalRuntime:
    """Starts and stops every piece of the local runtime for one template."""

    _lock = threading.Lock()
    _threaded_in_use = 0

    def __init__(self, options: Options) -> None:
        self.options = options
        self.root = (options.root or options.template.resolve().parent).resolve()
        self.stack: Stack | None = None
        self.lam: Lambda | None = None
        self.events: EventSources | None = None
        self.gateway: Gateway | None = None
        self._moto: Any = None
        self._server: Any = None
        self.endpoint_url = ""
        self.seed_lines: list[str] = []
        self.ready = threading.Event()  # the API answers and the demo data is written
        self.seeded = self.ready  # the name older callers use
        self.started_at = 0.0
        self._own_process = False

    @property
    def url(self) -> str:
        return f"http://{self.options.host}:{self.options.port}"

    def start(self) -> "LocalRuntime":
        """Start moto, create the resources, start the pumps and the API; seed in the background."""
        import logging

        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's per-request access log

        self.started_at = time.monotonic()
        opts = self.options
        moto_port = opts.moto_port or free_port()
        with LocalRuntime._lock:
            # Threaded moto servers of one process share their backends: a second runtime
            # in this process gets a moto process of its own instead of clashing.
            self._own_process = opts.moto_process or LocalRuntime._threaded_in_use > 0
            if not self._own_process:
                LocalRuntime._threaded_in_use += 1
        if self._own_process:
            self._moto = _MotoProcess(moto_port)
        else:
            moto_patches.apply()
            self._moto = ThreadedMotoServer(ip_address="127.0.0.1", port=moto_port, verbose=False)
        self._moto.start()
        # `localhost`, not 127.0.0.1: moto would read the first label of the host as a bucket.
        self.endpoint_url = f"http://localhost:{moto_port}"
        template = yamlcfn.load(opts.template)
        self.stack = provision(template, stage=opts.stage, region=opts.region, endpoint_url=self.endpoint_url,
                               parameters=opts.parameters)
        restored = state.restore(self.stack, opts.persist_dir) if opts.persist_dir else 0
        specs = function_specs(self.stack, self.root)
        self.lam = Lambda(specs, endpoint_url=self.endpoint_url, region=opts.region, pool_size=opts.pool_size,
                          verbose=opts.verbose)
        self.events = EventSources(self.stack, self.lam, poll_interval=opts.poll_interval, timers=opts.timers)
        self.events.start()
        model = ApiModel.from_stack(self.stack, self.lam, self.root)
        self.gateway = Gateway(model, self.lam, region=opts.region, account_id=self.stack.account_id,
                               partition=self.stack.partition, local_invoke=self.invoke, access_log=opts.access_log,
                               static_dir=opts.static_dir, ready=self.ready.is_set)
        self._server = self.gateway.serve(opts.host, opts.port)
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True).start()
        log("legwork", f"{len(specs)} functions, {len(model.routes)} routes, "
                       f"{len(self.stack.physical_names())} resources in moto at {self.endpoint_url}"
                       + (f", {restored} items restored" if restored else ""))
        if opts.seed:
            log("legwork", f"API answering on {self.url}; writing demo data …")
            threading.Thread(target=self._seed, daemon=True).start()
        else:
            self._mark_ready()
        return self

    def _seed(self) -> None:
        note = "demo data written"
        try:
            self.seed_lines = seed(self.stack, self.lam)
            for line in self.seed_lines:
                log("demo", line)
        except Exception as exc:  # demo data is a comfort, never a reason not to run
            log("demo", f"seeding failed: {exc!r}")
            note = "demo data NOT written, see above"
        finally:
            self._mark_ready(note)

    def _mark_ready(self, note: str = "no demo data asked for") -> None:
        if self._server is None:
            return  # stopped meanwhile
        took = time.monotonic() - self.started_at
        if self.options.ready_file is not None:
            target = Path(self.options.ready_file)
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(target.name + ".partial")
            partial.write_text(self.url + "\n", encoding="utf-8")
            partial.replace(target)  # a watcher never sees it half-written
        self.ready.set()
        log("legwork", f"ready: API on {self.url} ({note}) in {took:.1f} s; Ctrl-C stops everything")

    def invoke(self, function: str, event: Any = None) -> Invocation:
        """Invoke a function now; without an event, its schedule's event (or {})."""
        if event is None:
            event = self.events.default_event(function)
        return self.lam.invoke(function, event)

    def stop(self) -> None:
        """Stop the API, the pumps, every worker and moto (saving state first when persisting)."""
        self.ready.clear()
        if self.options.ready_file is not None:
            Path(self.options.ready_file).unlink(missing_ok=True)
        if self._server is not None:
            server, self._server = self._server, None
            server.shutdown()
            server.server_close()
        if self.events is not None:
            self.events.stop()
        if self.lam is not None:
            self.lam.close()
        if self.options.persist_dir and self.stack is not None:
            try:
                saved = state.save(self.stack, self.options.persist_dir)
                log("legwork", f"state saved to {self.options.persist_dir} ({saved} items)")
            except Exception as exc:
                log("legwork", f"state not saved: {exc!r}")
        if self._moto is not None:
            self._moto.stop()
            if not self._own_process:
                self._reset_moto()
                with LocalRuntime._lock:
                    LocalRuntime._threaded_in_use -= 1
            self._moto = None
        log("legwork", "stopped")

    @staticmethod
    def _reset_moto() -> None:
        # The moto server keeps its backends in this process: clear them so the next
        # start (a test, or a restart) begins clean.
        try:
            from moto.moto_api._internal.models import moto_api_backend

            moto_api_backend.reset()
        except Exception as exc:  # a moto upgrade moved it: say so, do not fail the stop
            log("legwork", f"moto state not reset: {exc!r}")


class _MotoProcess:
    """`python -m moto.server` on loopback, for when the runtime's own threads are busy."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]); "
             "from legwork.local.moto_patches import serve; serve(int(sys.argv[2]))",
             str(Path(__file__).resolve().parents[2]), str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError(f"moto server did not start on port {self.port}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
