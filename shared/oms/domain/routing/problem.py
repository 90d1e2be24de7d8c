"""The set-cover problem routing solves: sites, what each holds of each need, their cost; and its index."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

Cost = tuple[int, ...]


@dataclass(frozen=True)
class Problem:
    need: tuple[int, ...]
    holds: tuple[dict[int, int], ...]
    weight: tuple[Cost, ...]
    max_sites: int | None = None

    def cost(self, sites: Sequence[int]) -> Cost:
        width = len(self.weight[0]) if self.weight else 0
        return tuple(sum(self.weight[i][c] for i in sites) for c in range(width))

    def covers(self, sites: Sequence[int]) -> bool:
        got = [0] * len(self.need)
        for i in sites:
            for j, units in self.holds[i].items():
                got[j] += units
        return all(g >= n for g, n in zip(got, self.need, strict=True))


@dataclass(frozen=True)
class Solution:
    sites: tuple[int, ...]
    cost: Cost
    method: Literal["exact", "heuristic"]
    proven: bool  # no cheaper feasible set exists
    nodes: int  # branch-and-bound nodes visited


class Index:
    """The problem's lookups, built once and shared by the heuristic and every branch and bound."""

    def __init__(self, problem: Problem) -> None:
        self.p = problem
        weight = problem.weight
        self.width = len(weight[0]) if weight else 0
        holders: list[list[int]] = [[] for _ in problem.need]
        for i, holds in enumerate(problem.holds):
            for j in holds:
                holders[j].append(i)
        self.holders = holders
        self.holder_count = [len(h) for h in holders]
        # Per sku: holders by stock (largest first) for "at least k sites", and by weight for branching.
        self.by_units = [sorted(h, key=_by_units(problem, j)) for j, h in enumerate(holders)]
        self.by_weight = [sorted(h, key=lambda i: (weight[i], i)) for h in holders]
        # Per cost component: a constant weight bounds as k * w; otherwise the k lightest holders.
        self.constant: list[int | None] = []
        self.by_component: list[list[list[int]]] = []
        for c in range(self.width):
            values = {w[c] for w in weight}
            if len(values) == 1:
                self.constant.append(values.pop())
                self.by_component.append([])
            else:
                self.constant.append(None)
                self.by_component.append([sorted(h, key=_by_component(problem, c)) for h in holders])


def _by_units(problem: Problem, j: int) -> Callable[[int], tuple[int, Cost]]:
    return lambda i: (-problem.holds[i][j], problem.weight[i])


def _by_component(problem: Problem, c: int) -> Callable[[int], int]:
    return lambda i: problem.weight[i][c]


def minus(a: Cost, b: Cost) -> Cost:
    return tuple(x - y for x, y in zip(a, b, strict=True))
