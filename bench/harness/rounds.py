"""Interleaved rounds: every contender measured once per round, A B C C B A ..., medians.

On a shared, noisy machine a slow minute falls on every contender alike this way;
the medians of the rounds and their ratios are what the benchmarks report.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bench.harness.loadgen import LoadResult


@dataclass(frozen=True)
class Medians:
    """One contender over its rounds: medians, and each round's req/s for the record."""

    rps: float
    p50_ms: float
    p99_ms: float
    rounds_rps: tuple[float, ...]
    errors: int
    non_2xx: int

    @property
    def ms_per_request(self) -> float:
        """Wall time per request at saturation (1 / req/s), in ms."""
        return round(1000 / self.rps, 3) if self.rps else float("inf")


def interleave(
    contenders: Mapping[str, Callable[[], LoadResult]], rounds: int
) -> dict[str, Medians]:
    """Run each contender once per round, ``rounds`` times: in the mapping's order in the
    odd rounds and in reverse in the even ones (A B C, C B A, ...), so that no contender
    always runs first after a pause or right after a given other one."""
    results: dict[str, list[LoadResult]] = {name: [] for name in contenders}
    for n in range(rounds):
        names = list(contenders) if n % 2 == 0 else list(reversed(contenders))
        for name in names:
            result = contenders[name]()
            results[name].append(result)
            print(f"  round {n + 1}/{rounds}  {name:<32} {result.rps:>9,.1f} req/s", flush=True)
    return {name: medians(found) for name, found in results.items()}


def medians(results: list[LoadResult]) -> Medians:
    return Medians(
        rps=round(statistics.median(r.rps for r in results), 1),
        p50_ms=round(statistics.median(r.p50_ms for r in results), 2),
        p99_ms=round(statistics.median(r.p99_ms for r in results), 2),
        rounds_rps=tuple(r.rps for r in results),
        errors=sum(r.errors for r in results),
        non_2xx=sum(r.non_2xx for r in results),
    )


def ratio(ours: Medians, theirs: Medians) -> float | None:
    return round(ours.rps / theirs.rps, 3) if theirs.rps else None


def paired_ratio(ours: Medians, theirs: Medians) -> float | None:
    """The median of the per-round ratios: each pair was measured seconds apart, so it
    shares the machine's mood of the moment; steadier than the ratio of medians."""
    pairs = [a / b for a, b in zip(ours.rounds_rps, theirs.rounds_rps, strict=True) if b]
    return round(statistics.median(pairs), 3) if pairs else None
