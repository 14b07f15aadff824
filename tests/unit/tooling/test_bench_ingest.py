"""The ingest benchmark's own arithmetic and its open-loop client (figures are only as
good as these)."""
from __future__ import annotations

import threading
import time

import pytest

from legwork.bench import ingest


def test_memory_sizes_come_from_globals_the_function_or_a_parameter_default(tmp_path):
    template = tmp_path / "template.yaml"
    template.write_text(
        "Parameters:\n"
        "  OcrMemory: {Type: Number, Default: 3008}\n"
        "Globals:\n"
        "  Function: {MemorySize: 256}\n"
        "Resources:\n"
        "  Plain: {Type: AWS::Serverless::Function, Properties: {Handler: a.b}}\n"
        "  Sized: {Type: AWS::Serverless::Function, Properties: {Handler: a.b, MemorySize: 512}}\n"
        "  Ocr: {Type: AWS::Serverless::Function, Properties: {Handler: a.b, MemorySize: !Ref OcrMemory}}\n"
        "  Queue: {Type: AWS::SQS::Queue}\n", encoding="utf-8")

    assert ingest.function_memory(template) == {"Plain": 256, "Sized": 512, "Ocr": 3008}


def test_a_memory_size_the_benchmark_cannot_read_is_named(tmp_path):
    template = tmp_path / "template.yaml"
    template.write_text(
        "Resources:\n"
        "  Odd: {Type: AWS::Serverless::Function, Properties: {MemorySize: !If [Big, 1024, 512]}}\n",
        encoding="utf-8")

    with pytest.raises(ValueError, match="MemorySize"):
        ingest.function_memory(template)


def stats_line(*lags: int) -> dict:
    return {"messages": len(lags), "lag_ms": list(lags)}


def test_the_lag_is_split_into_consecutive_stretches_in_log_order():
    lines = [stats_line(5, 1), stats_line(3), stats_line(9, 7, 8), stats_line(2)]

    # 7 lags, in the order the consumer logged them: 5 1 3 | 9 7 8 | 2
    assert ingest.lag_over_time(lines, parts=3) == [[1, 3, 5], [7, 8, 9], [2]]
    assert ingest.lag_over_time([], parts=2) == [[], []]


def test_a_lag_that_keeps_growing_is_not_bounded_and_a_steady_one_is():
    steady = [[900, 1000, 1100]] * 3
    growing = [[900, 1000, 1100], [5000, 6000, 7000], [20000, 30000, 40000]]

    assert ingest.lag_bounded(steady)
    assert not ingest.lag_bounded(growing)
    assert not ingest.lag_bounded([[], [], []])  # nothing measured proves nothing


class SlowApi:
    """Answers every POST with 202 after `delay` seconds, and notes when each was sent."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.sent: list[float] = []
        self.lock = threading.Lock()

    def request(self, method, path, body=None, token=None, query=None):  # noqa: ANN001
        with self.lock:
            self.sent.append(time.monotonic())
        time.sleep(self.delay)
        return 202, {"accepted": len(body["points"]), "batchId": "b"}


def couriers(n: int) -> list[ingest.Courier]:
    return [ingest.Courier(username=f"c{i}", user_id=f"u{i}", token="t", task_id=f"task{i}") for i in range(n)]


def test_a_client_that_cannot_keep_up_sends_late_and_says_so():
    api, fleet = SlowApi(delay=0.2), couriers(3)

    ingest.post_batches(api, fleet, batches=1, size=2, threads=1, interval=0.03)

    slips = sorted(p.slip_s for c in fleet for p in c.posted)
    assert len(slips) == 3
    # One thread and a 0.2 s API: the second and third phones' batches waited for the first.
    assert slips[1] >= 0.15 and slips[2] >= 0.35


def test_nothing_is_sent_after_the_time_is_up():
    api, fleet = SlowApi(delay=0.05), couriers(4)
    started = time.monotonic()

    ingest.post_batches(api, fleet, batches=1000, size=1, threads=2, interval=0.1, seconds=0.6)

    assert api.sent and max(api.sent) < started + 0.6 + 0.05  # the last check happens just before sending
    assert all(c.refused == 0 for c in fleet)
    assert all(len(c.sent) == len(c.posted) for c in fleet)
