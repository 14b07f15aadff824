"""How the artifacts of one build are scheduled: one at a time, or side by side.

The same split as samcli's `build_strategy` (a default and a parallel strategy behind one
interface); what is rebuilt, and whether pip runs, is decided per artifact by the steps in
`legwork.build.steps`, so any strategy is incremental.

    >>> ParallelBuildStrategy(jobs=4).run(plan.artifacts, build_one)
    [ArtifactResult(logical_id='CommonLayer', ...), ...]
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class BuildStrategy(Protocol):
    def run(self, artifacts: Sequence[T], build_one: Callable[[T], R]) -> list[R]:
        """Build every artifact; results in the artifacts' order. The first error propagates."""


class SerialBuildStrategy:
    """One artifact after the other (`--jobs 1`): the simplest output to read when debugging."""

    def run(self, artifacts: Sequence[T], build_one: Callable[[T], R]) -> list[R]:
        return [build_one(artifact) for artifact in artifacts]


class ParallelBuildStrategy:
    """Artifacts side by side in threads: the work is pip subprocesses and file I/O, not Python.

    Artifacts sharing a dependency key wait for the one install (`DependencyCache` locks per key).
    """

    def __init__(self, jobs: int) -> None:
        self.jobs = jobs

    def run(self, artifacts: Sequence[T], build_one: Callable[[T], R]) -> list[R]:
        with ThreadPoolExecutor(max_workers=self.jobs) as pool:
            return list(pool.map(build_one, artifacts))


def strategy_for(jobs: int) -> BuildStrategy:
    """Parallel unless one job was asked for."""
    return SerialBuildStrategy() if jobs <= 1 else ParallelBuildStrategy(jobs)
