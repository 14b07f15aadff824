"""Cold starts share the machine: at most `COLD_STARTS` init phases run at once, and waiting
for a turn is queueing, not the invocation's time (so a burst of cold workers on 2 cores is
slow, never timed out)."""
from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

from legwork.local import workers
from legwork.local.workers import FunctionPool, FunctionSpec

SLOW_IMPORT = '''
import os, time
with open(os.environ["INIT_LOG"], "a") as log:
    log.write(f"start {time.monotonic()}\\n")
time.sleep(0.4)
with open(os.environ["INIT_LOG"], "a") as log:
    log.write(f"end {time.monotonic()}\\n")


def handler(event, context):
    return {"ok": True}
'''


def most_at_once(log: Path) -> int:
    """The largest number of init phases that overlapped, from their start and end lines."""
    events = sorted((float(t), 1 if kind == "start" else -1)
                    for kind, t in (line.split() for line in log.read_text().splitlines()))
    running = peak = 0
    for _, change in events:  # at equal times an end sorts first (-1 < 1): touching is not overlapping
        running += change
        peak = max(peak, running)
    return peak


def test_a_burst_of_cold_workers_takes_turns_at_init_and_every_call_answers(tmp_path, monkeypatch):
    (tmp_path / "slow.py").write_text(SLOW_IMPORT)
    log = tmp_path / "init.log"
    spec = FunctionSpec(logical_id="Slow", name="slow", arn="arn:aws:lambda:us-east-1:1:function:slow",
                        handler="slow.handler", runtime="python3.12", code_dir=tmp_path, layer_dirs=[], env={},
                        timeout=1.0, memory=128)
    env = {"PATH": os.environ.get("PATH", ""), "LEGWORK_SYS_PATH": str(tmp_path), "_HANDLER": "slow.handler",
           "INIT_LOG": str(log), "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    monkeypatch.setattr(workers, "COLD_STARTS", threading.BoundedSemaphore(2))
    pool = FunctionPool(spec, env, size=6)
    answers: list[dict] = []

    def call() -> None:
        answers.append(pool.request({"op": "invoke", "event": {}, "request_id": "r"}, timeout=1.0))

    threads = [threading.Thread(target=call) for _ in range(6)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        for worker in pool.close():
            worker.stop()

    # Six inits of 0.4 s, two at a time: the last call waited about 0.8 s for its turn and
    # still had its whole 1 s timeout (without turns, six at once on a busy machine time out).
    assert len(answers) == 6 and all(a.get("result") == {"ok": True} for a in answers), answers
    assert log.read_text().count("start") == 6
    assert most_at_once(log) <= 2
