"""Which sites ship: the cheapest set of sites whose stock covers every sku's need (a weighted set multicover).

The problem, free of locations and orders: `need[j]` units of sku j; site i holds `holds[i][j]` units
(capped at the need); choosing site i costs `weight[i]`, a vector of non-negative integers. A set of
sites is feasible when, for every sku, the units its sites hold add up to the need (units of one sku
may come from several sites). The cost of a set is the component-wise sum of its weights, compared
lexicographically: with the default policy (shipments, metres, priority).

Two methods, one switch point:

- exact: depth-first branch and bound. Branch on the uncovered sku with the fewest sites left that
  hold it: "the first of its holders (cheapest first) in the set is h", with the holders before h
  excluded, so every set is reached at most once. Bound, per cost component, the cheapest way to
  cover the hardest single sku: it needs at least k of its remaining holders (k from their largest
  stocks), so at least the sum of the k smallest weights. A branch whose bound is not below the best
  set found is cut. The greedy solution below is the first incumbent.
- heuristic: greedy (three scorings: units, share of each line, lines completed; each picks the
  most coverage per unit of the first cost component, ties by weight), then local improvement until
  nothing improves: drop a redundant site, replace two sites by one, replace one site by a cheaper
  one. Then the same branch and bound with a small node budget, which often still proves the result.

Switch point: the search is exact when at most EXACT_MAX_SITES sites hold any needed sku and there are
at most EXACT_MAX_SKUS skus; beyond, the heuristic runs. Either way the answer says whether it is
proven optimal (the exact search also has a node budget, far above what those sizes need, so a
pathological case degrades to "best found" instead of running on). The figures come from
`bench/routing_quality.py`: at the switch point the exact search stays within a few milliseconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

Cost = tuple[int, ...]

EXACT_MAX_SITES: Final = 40
EXACT_MAX_SKUS: Final = 20
EXACT_NODE_BUDGET: Final = 20_000
HEURISTIC_NODE_BUDGET: Final = 300


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


def solve(problem: Problem, method: Literal["auto", "exact", "heuristic"] = "auto") -> Solution | None:
    """The cheapest feasible set of sites, or None when there is none (within `max_sites`)."""
    if not problem.need:
        return Solution((), problem.cost(()), "exact", True, 0)
    if method == "auto":
        small = len(problem.weight) <= EXACT_MAX_SITES and len(problem.need) <= EXACT_MAX_SKUS
        method = "exact" if small else "heuristic"
    incumbent = _heuristic(problem)
    budget = EXACT_NODE_BUDGET if method == "exact" else HEURISTIC_NODE_BUDGET
    search = _BranchAndBound(problem, incumbent, budget)
    search.run()
    if search.best_sites is None:
        return None
    return Solution(search.best_sites, search.best_cost, method, not search.aborted, search.nodes)


# -- heuristic ---------------------------------------------------------------------------------------


def _heuristic(problem: Problem) -> tuple[int, ...] | None:
    best: tuple[int, ...] | None = None
    best_cost: Cost | None = None
    for scoring in ("units", "share", "lines"):
        sites = _greedy(problem, scoring)
        if sites is None:
            continue
        sites = _improve(problem, sites)
        if problem.max_sites is not None and len(sites) > problem.max_sites:
            continue
        cost = problem.cost(sites)
        if best_cost is None or cost < best_cost:
            best, best_cost = sites, cost
    return best


def _greedy(problem: Problem, scoring: str) -> tuple[int, ...] | None:
    need = problem.need
    residual = list(need)
    uncovered = len(need)
    chosen: list[int] = []
    used = [False] * len(problem.weight)
    while uncovered:
        pick = -1
        pick_key: tuple[float, Cost] | None = None
        for i, holds in enumerate(problem.holds):
            if used[i]:
                continue
            gain = 0.0
            for j, units in holds.items():
                left = residual[j]
                if left:
                    taken = units if units < left else left
                    if scoring == "units":
                        gain += taken
                    elif scoring == "share":
                        gain += taken / need[j]
                    elif units >= left:
                        gain += 1 + taken / (need[j] + 1)  # lines completed; units break the tie
                    else:
                        gain += taken / (need[j] + 1)
            if gain <= 0:
                continue
            weight = problem.weight[i]
            key = (-gain / (weight[0] + 1), weight)
            if pick_key is None or key < pick_key:
                pick, pick_key = i, key
        if pick < 0:
            return None
        used[pick] = True
        chosen.append(pick)
        for j, units in problem.holds[pick].items():
            if residual[j]:
                residual[j] = max(0, residual[j] - units)
                if not residual[j]:
                    uncovered -= 1
    return tuple(chosen)


def _residual(problem: Problem, sites: Sequence[int]) -> dict[int, int]:
    residual = dict(enumerate(problem.need))
    for i in sites:
        for j, units in problem.holds[i].items():
            residual[j] -= units
    return {j: r for j, r in residual.items() if r > 0}


def _cheapest_cover(problem: Problem, residual: dict[int, int], excluded: set[int]) -> int | None:
    """The cheapest single site (not excluded) that covers `residual` on its own."""
    if not residual:
        return None
    best: int | None = None
    for i, holds in enumerate(problem.holds):
        if i in excluded:
            continue
        if all(holds.get(j, 0) >= r for j, r in residual.items()):
            if best is None or problem.weight[i] < problem.weight[best]:
                best = i
    return best


def _improve(problem: Problem, start: tuple[int, ...]) -> tuple[int, ...]:
    """Local search: drop redundant sites, merge two into one, swap one for a cheaper one; repeat."""
    sites = list(start)
    improved = True
    while improved:
        improved = False
        # Drop: the most expensive redundant site first.
        for i in sorted(sites, key=lambda s: problem.weight[s], reverse=True):
            rest = [s for s in sites if s != i]
            if not _residual(problem, rest):
                sites = rest
                improved = True
        # Merge: two sites replaced by one that covers what the others leave.
        current = problem.cost(sites)
        for a in range(len(sites)):
            for b in range(a + 1, len(sites)):
                rest = [s for k, s in enumerate(sites) if k not in (a, b)]
                single = _cheapest_cover(problem, _residual(problem, rest), set(sites))
                if single is not None and problem.cost([*rest, single]) < current:
                    sites = [*rest, single]
                    improved = True
                    break
            if improved:
                break
        if improved:
            continue
        # Swap: one site replaced by a cheaper one.
        for k, i in enumerate(sites):
            rest = sites[:k] + sites[k + 1 :]
            single = _cheapest_cover(problem, _residual(problem, rest), set(sites))
            if single is not None and problem.weight[single] < problem.weight[i]:
                sites = [*rest, single]
                improved = True
                break
    return tuple(sites)


# -- exact ---------------------------------------------------------------------------------------------


class _BranchAndBound:
    def __init__(self, problem: Problem, incumbent: tuple[int, ...] | None, node_budget: int) -> None:
        self.p = problem
        n, m = len(problem.weight), len(problem.need)
        self.width = len(problem.weight[0]) if n else 0
        self.budget = node_budget
        self.nodes = 0
        self.aborted = False
        self.best_sites: tuple[int, ...] | None = incumbent
        self.best_cost: Cost = problem.cost(incumbent) if incumbent is not None else ()
        holders: list[list[int]] = [[] for _ in range(m)]
        for i, holds in enumerate(problem.holds):
            for j in holds:
                holders[j].append(i)
        weight = problem.weight
        # Per sku: holders by stock (largest first) for "at least k sites", and by weight for branching.
        self.by_units = [sorted(h, key=lambda i, j=j: (-problem.holds[i][j], weight[i])) for j, h in enumerate(holders)]
        self.by_weight = [sorted(h, key=lambda i: (weight[i], i)) for h in holders]
        # Per cost component: a constant weight bounds as k * w; otherwise the k lightest holders.
        self.constant: list[int | None] = []
        self.by_component: list[list[list[int]] | None] = []
        for c in range(self.width):
            values = {w[c] for w in weight}
            if len(values) == 1:
                self.constant.append(values.pop())
                self.by_component.append(None)
            else:
                self.constant.append(None)
                self.by_component.append([sorted(h, key=lambda i, c=c: weight[i][c]) for h in holders])
        self.blocked = [0] * n  # > 0: chosen on this path or excluded by an earlier sibling
        self.open = [len(h) for h in holders]  # holders of each sku not blocked
        self.residual = list(problem.need)
        self.uncovered = m
        self.cost = [0] * self.width
        self.chosen: list[int] = []

    def run(self) -> None:
        self._node()

    def _block(self, i: int) -> None:
        self.blocked[i] += 1
        if self.blocked[i] == 1:
            for j in self.p.holds[i]:
                self.open[j] -= 1

    def _unblock(self, i: int) -> None:
        self.blocked[i] -= 1
        if self.blocked[i] == 0:
            for j in self.p.holds[i]:
                self.open[j] += 1

    def _bound(self) -> tuple[list[int], int, int] | None:
        """Lower bound of what covering the rest adds per component, the sku to branch on, and k."""
        holds, blocked = self.p.holds, self.blocked
        bound = [0] * self.width
        branch, branch_key = -1, (0, 0)
        sites_needed = 0
        for j, left in enumerate(self.residual):
            if left <= 0:
                continue
            total = k = 0
            for i in self.by_units[j]:
                if blocked[i]:
                    continue
                total += holds[i][j]
                k += 1
                if total >= left:
                    break
            else:
                return None  # this sku can no longer be covered
            sites_needed = max(sites_needed, k)
            for c in range(self.width):
                constant = self.constant[c]
                if constant is not None:
                    value = k * constant
                else:
                    lightest = self.by_component[c][j]  # type: ignore[index]
                    value = taken = 0
                    for i in lightest:
                        if not blocked[i]:
                            value += self.p.weight[i][c]
                            taken += 1
                            if taken == k:
                                break
                if value > bound[c]:
                    bound[c] = value
            key = (self.open[j], -k)
            if branch < 0 or key < branch_key:
                branch, branch_key = j, key
        return bound, branch, sites_needed

    def _node(self) -> None:
        self.nodes += 1
        if self.nodes > self.budget:
            self.aborted = True
            return
        bounded = self._bound()
        if bounded is None:
            return
        bound, branch, sites_needed = bounded
        limit = self.p.max_sites
        if limit is not None and len(self.chosen) + sites_needed > limit:
            return
        if self.best_sites is not None and tuple(c + b for c, b in zip(self.cost, bound, strict=True)) >= self.best_cost:
            return
        holds, weight = self.p.holds, self.p.weight
        excluded: list[int] = []
        for i in self.by_weight[branch]:
            if self.blocked[i]:
                continue
            # Take site i.
            taken: list[tuple[int, int]] = []
            for j, units in holds[i].items():
                left = self.residual[j]
                if left > 0:
                    take = units if units < left else left
                    self.residual[j] = left - take
                    taken.append((j, take))
                    if take == left:
                        self.uncovered -= 1
            self._block(i)
            self.chosen.append(i)
            w = weight[i]
            for c in range(self.width):
                self.cost[c] += w[c]
            cost = tuple(self.cost)
            if self.best_sites is None or cost < self.best_cost:
                if self.uncovered == 0:
                    self.best_sites, self.best_cost = tuple(self.chosen), cost
                elif limit is None or len(self.chosen) < limit:
                    self._node()
            # Put it back, then exclude it for the siblings that follow.
            for c in range(self.width):
                self.cost[c] -= w[c]
            self.chosen.pop()
            for j, take in taken:
                if self.residual[j] == 0:
                    self.uncovered += 1
                self.residual[j] += take
            excluded.append(i)  # stays blocked: the _block above now stands for the exclusion
            if self.aborted:
                break
        for i in excluded:
            self._unblock(i)
