"""An AWS emulator that runs CloudFormation, for proving `make deploy` offline.

LocalStack (community, pinned in `.venv-localstack` from requirements-localstack.txt,
apart from the tooling's venv because its pins clash) started as a plain process on
loopback, with `localstack_host.py` adapting it to a machine without Docker or Java and to
the China partition (see that file for each change and why).

    >>> with LocalStack(workdir=tmp_path) as emulator:
    ...     run(["make", "deploy", "REGION=cn-north-1", "STAGE=ci"], env=emulator.client_env())

What it proves and what it does not is written in the README ("Offline deploy check").
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

from legwork import ROOT

VENV = ROOT / ".venv-localstack"
HOST_SCRIPT = Path(__file__).with_name("localstack_host.py")
WORKER_MAIN = ROOT / "scripts" / "legwork" / "local" / "worker_main.py"
START_TIMEOUT = 90.0


class EmulatorError(Exception):
    """The emulator could not start; the message says what to do."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LocalStack:
    """One LocalStack process on a free loopback port; its state lives in `workdir`."""

    def __init__(self, workdir: Path, *, venv: Path = VENV, port: int | None = None) -> None:
        self.workdir = Path(workdir)
        self.python = venv / "bin" / "python"
        self.port = port or free_port()
        self.url = f"http://localhost:{self.port}"  # `localhost`: S3 path-style, like the SAM CLI field notes say
        self.log_path = self.workdir / "localstack.log"
        self.proc: subprocess.Popen | None = None

    def server_env(self) -> dict[str, str]:
        tmp = self.workdir / "tmp"
        tmp.mkdir(parents=True, exist_ok=True)
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", str(self.workdir)),
            "LANG": "C.UTF-8", "TMPDIR": str(tmp),
            # Loopback only: without hypercorn LocalStack's server binds 0.0.0.0.
            "GATEWAY_LISTEN": f"127.0.0.1:{self.port}", "GATEWAY_SERVER": "hypercorn", "DNS_ADDRESS": "0",
            "LOCALSTACK_VOLUME_DIR": str(self.workdir / "volume"),
            "SKIP_SSL_CERT_DOWNLOAD": "1", "DISABLE_EVENTS": "1", "LS_LOG": "warning",
            # A resource type LocalStack cannot create fails the deploy instead of being skipped.
            "CFN_IGNORE_UNSUPPORTED_RESOURCE_TYPES": "0",
            "LEGWORK_WORKER_MAIN": str(WORKER_MAIN), "LEGWORK_EMULATOR_URL": self.url,
            "LEGWORK_PARENT_PID": str(os.getpid()),  # it ends itself if this process dies
        }

    def client_env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """The environment for boto3, the SAM CLI and `make` to talk to the emulator."""
        env = dict(os.environ if base is None else base)
        for key in [k for k in env if k.startswith("AWS_")]:
            env.pop(key)
        env.update(AWS_ENDPOINT_URL=self.url, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test",
                   SAM_CLI_TELEMETRY="0")
        return env

    def start(self) -> "LocalStack":
        if not self.python.exists():
            raise EmulatorError(f"{self.python} is missing: `make test` creates .venv-localstack "
                                "(or run: make .venv-localstack/.installed)")
        self.workdir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([str(self.python), str(HOST_SCRIPT)], env=self.server_env(), cwd=self.workdir,
                                     stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise EmulatorError(f"LocalStack exited ({self.proc.returncode}): {self.tail()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/_localstack/health", timeout=2) as answer:
                    if answer.status == 200:
                        return self
            except OSError:
                time.sleep(0.5)
        self.stop()
        raise EmulatorError(f"LocalStack did not answer within {START_TIMEOUT:.0f} s: {self.tail()}")

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        """End LocalStack and its function workers (its own process group), politely first."""
        if not self.proc or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)
        except ProcessLookupError:
            pass

    def __enter__(self) -> "LocalStack":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
