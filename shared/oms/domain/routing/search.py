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
  stocks), so at least the sum of the k smallest weights; a branch whose bound is not below the best
  set found is cut. When the first component counts sites (the default policy: fewest shipments),
  sizes are tried from the bound up, and the first size with a feasible set holds the optimum, so no
  node is spent polishing sets that are too big. With one site left to choose, the cheapest holder
  that covers the rest is taken directly.
- heuristic: greedy (three scorings: units, share of each line, lines completed; each takes the site
  with the most coverage per unit of the first cost component, ties by weight), then local search
  until nothing improves: drop a redundant site; replace r chosen sites by the cheapest cover of what
  the others leave, with r - 1 sites (r = 2, 3) or r sites (r = 1, 2). Then the branch and bound
  with HEURISTIC_NODE_BUDGET nodes: half to polish the distance at the heuristic's size, the rest to
  look for a smaller set. It often still proves its answer optimal.

Switch point: exact when at most EXACT_MAX_SITES sites hold a needed sku and there are at most
EXACT_MAX_SKUS skus; the heuristic beyond. The exact search also has a node budget
(EXACT_NODE_BUDGET, several times what the worst case at the switch point needed), so a
pathological case degrades to "best found" instead of running on; every answer says whether it is
proven optimal. Measured on this 2-core machine (CPU time; `bench/routing_quality.py`):
- at the switch point (30 sites with a thin assortment, 20 skus), the exact search took at most
  about 20 ms and 1,000 nodes; at 40 sites it reached 50-75 ms, at 60 sites 250 ms;
- the heuristic at 20 lines x 200 locations: p50 about 6 ms, p99 about 12 ms, with a plan as good
  as the exhaustive optimum on every order that could be checked, and 98-99% as good as the exact
  search on thin all-store networks (60 stores), the hard case of set cover.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final, Literal

Cost = tuple[int, ...]

EXACT_MAX_SITES: Final = 30
EXACT_MAX_SKUS: Final = 20
EXACT_NODE_BUDGET: Final = 5_000
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


def solve(
    problem: Problem, method: Literal["auto", "exact", "heuristic"] = "auto", node_budget: int | None = None
) -> Solution | None:
    """The cheapest feasible set of sites, or None when there is none (within `max_sites`).

    `node_budget` overrides the method's budget (the benchmark's reference search runs unbounded).
    """
    if not problem.need:
        return Solution((), problem.cost(()), "exact", True, 0)
    if method == "auto":
        small = len(problem.weight) <= EXACT_MAX_SITES and len(problem.need) <= EXACT_MAX_SKUS
        method = "exact" if small else "heuristic"
    index = _Index(problem)
    incumbent = _heuristic(index)
    # Without any plan in hand (the cap is what the heuristic missed), search as long as the exact
    # method would rather than refuse an order a plan exists for.
    budget = EXACT_NODE_BUDGET if method == "exact" or incumbent is None else HEURISTIC_NODE_BUDGET
    if node_budget is not None:
        budget = node_budget
    cap = problem.max_sites
    if not _counts_first(problem):
        search = _BranchAndBound(index, incumbent, budget, cap)
        search.run()
        return _answer(problem, search.best_sites, method, not search.aborted, search.nodes)
    lowest = _BranchAndBound(index, None, budget, cap).sites_needed()
    if lowest is None:
        return None
    nodes = 0
    polished: bool | None = None  # whether the distance at the incumbent's size is proven optimal
    if method == "heuristic" and incumbent is not None:
        # Within a small budget, improving the distance at the incumbent's size usually pays more than
        # proving that no smaller set exists (the local search has already tried to shrink it).
        polish = _BranchAndBound(index, incumbent, budget // 2, len(incumbent))
        polish.run()
        nodes, incumbent, polished = polish.nodes, polish.best_sites, not polish.aborted
    # Fewest sites first: look for a set smaller than the incumbent, size by size from the bound up.
    # The first size with a feasible set holds the optimum, so no node is spent improving the
    # distance of sets that are too big.
    upper = len(incumbent) if incumbent is not None else len(problem.weight) + 1
    if cap is not None:
        upper = min(upper, cap + 1)
    for size in range(lowest, upper):
        search = _BranchAndBound(index, None, budget - nodes, size)
        search.run()
        nodes += search.nodes
        if search.best_sites is not None:
            return _answer(problem, search.best_sites, method, not search.aborted, nodes)
        if search.aborted:
            return _answer(problem, incumbent, method, False, nodes)
    if incumbent is None or polished is not None:
        return _answer(problem, incumbent, method, bool(polished), nodes)
    search = _BranchAndBound(index, incumbent, budget - nodes, len(incumbent))
    search.run()
    return _answer(problem, search.best_sites, method, not search.aborted, nodes + search.nodes)


def _answer(
    problem: Problem, sites: tuple[int, ...] | None, method: Literal["exact", "heuristic"], proven: bool, nodes: int
) -> Solution | None:
    return None if sites is None else Solution(sites, problem.cost(sites), method, proven, nodes)


def _counts_first(problem: Problem) -> bool:
    """Whether the first cost component counts sites (the same positive weight for every site)."""
    firsts = {w[0] for w in problem.weight}
    return len(firsts) == 1 and firsts.pop() > 0


class _Index:
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


# -- heuristic ---------------------------------------------------------------------------------------


def _heuristic(index: _Index) -> tuple[int, ...] | None:
    problem = index.p
    best: tuple[int, ...] | None = None
    best_cost: Cost | None = None
    seen: set[tuple[int, ...]] = set()
    for scoring in ("units", "share", "lines"):
        sites = _greedy(problem, scoring)
        if sites is None or tuple(sorted(sites)) in seen:
            continue
        seen.add(tuple(sorted(sites)))
        sites = _improve(index, sites)
        if problem.max_sites is not None and len(sites) > problem.max_sites:
            continue
        cost = problem.cost(sites)
        if best_cost is None or cost < best_cost:
            best, best_cost = sites, cost
    return best


def _greedy(problem: Problem, scoring: str) -> tuple[int, ...] | None:
    """Add the site with the most coverage per unit of the first cost component until all is covered."""
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


def _cheaper_cover(
    index: _Index, residual: dict[int, int], excluded: Sequence[int], size: int, room: Cost
) -> list[int] | None:
    """The cheapest set of at most `size` sites (none excluded) that covers `residual` and costs less
    than `room` (lexicographically); or None.

    Complete for its size: any cover holds a holder of the residual's rarest sku, so only those are
    tried, cheapest first, so the first one too dear ends the loop. (The lexicographic order is
    invariant under translation, so "base + cost < ceiling" is "cost < ceiling - base": `room`.)
    """
    if not residual:
        return [] if room > tuple(0 for _ in room) else None
    problem = index.p
    holds, weight = problem.holds, problem.weight
    rarest = min(residual, key=index.holder_count.__getitem__)
    best: list[int] | None = None
    for i in index.by_weight[rarest]:
        w = weight[i]
        if w >= room:
            break
        if i in excluded:
            continue
        held = holds[i]
        if size == 1:
            for j, left in residual.items():
                if held.get(j, 0) < left:
                    break
            else:
                return [i]
            continue
        rest = {j: left - held.get(j, 0) for j, left in residual.items() if left > held.get(j, 0)}
        tail = _cheaper_cover(index, rest, [*excluded, i], size - 1, _minus(room, w))
        if tail is not None:
            best = [i, *tail]
            room = problem.cost(best)
    return best


def _minus(a: Cost, b: Cost) -> Cost:
    return tuple(x - y for x, y in zip(a, b, strict=True))


def _improve(index: _Index, start: tuple[int, ...]) -> tuple[int, ...]:
    """Local search until nothing improves: drop a redundant site; replace r sites by a cheaper cover of
    what the others leave, with r - 1 sites (r = 2, 3) or with r sites (r = 1, 2)."""
    problem = index.p
    sites = list(start)
    moves = ((2, 1), (3, 2), (1, 1), (2, 2))
    improved = True
    while improved:
        improved = False
        for i in sorted(sites, key=lambda s: problem.weight[s], reverse=True):
            rest = [s for s in sites if s != i]
            if not _residual(problem, rest):
                sites = rest
        current = problem.cost(sites)
        for out, into in moves:
            for gone in itertools.combinations(range(len(sites)), out):
                rest = [s for k, s in enumerate(sites) if k not in gone]
                room = _minus(current, problem.cost(rest))
                cover = _cheaper_cover(index, _residual(problem, rest), sites, into, room)
                if cover is not None:
                    sites = rest + cover
                    improved = True
                    break
            if improved:
                break
    return tuple(sites)


# -- exact ---------------------------------------------------------------------------------------------


class _BranchAndBound:
    def __init__(
        self, index: _Index, incumbent: tuple[int, ...] | None, node_budget: int, max_sites: int | None
    ) -> None:
        problem = index.p
        self.p = problem
        self.max_sites = max_sites
        self.width = index.width
        self.budget = node_budget
        self.nodes = 0
        self.aborted = False
        self.best_sites: tuple[int, ...] | None = incumbent
        self.best_cost: Cost = problem.cost(incumbent) if incumbent is not None else ()
        self.by_units = index.by_units
        self.by_weight = index.by_weight
        self.constant = index.constant
        self.by_component = index.by_component
        self.blocked = [0] * len(problem.weight)  # > 0: chosen on this path or excluded by an earlier sibling
        self.open = [len(h) for h in index.holders]  # holders of each sku not blocked
        self.residual = list(problem.need)
        self.uncovered = len(problem.need)
        self.cost = [0] * self.width
        self.chosen: list[int] = []

    def run(self) -> None:
        if self.budget > 0:
            self._node()
        else:
            self.aborted = True

    def sites_needed(self) -> int | None:
        """At least how many sites any feasible set has (None: no feasible set at all)."""
        bounded = self._bound()
        return None if bounded is None else bounded[2]

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
                    lightest = self.by_component[c][j]
                    value = taken = 0
                    for i in lightest:
                        if not blocked[i]:
                            value += self.p.weight[i][c]
                            taken += 1
                            if taken == k:
                                break
                bound[c] = max(bound[c], value)
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
        limit = self.max_sites
        if limit is not None and len(self.chosen) + sites_needed > limit:
            return
        if (
            self.best_sites is not None
            and tuple(c + b for c, b in zip(self.cost, bound, strict=True)) >= self.best_cost
        ):
            return
        holds, weight = self.p.holds, self.p.weight
        if limit is not None and len(self.chosen) + 1 == limit:
            self._last(branch)
            return
        excluded: list[int] = []
        for i in self.by_weight[branch]:
            if self.blocked[i]:
                continue
            if self.best_sites is not None and _minus(self.best_cost, tuple(self.cost)) <= weight[i]:
                break  # holders come cheapest first: no later sibling can beat the best either
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

    def _last(self, branch: int) -> None:
        """One site left to choose: the cheapest holder of `branch` that covers all that is left."""
        holds, weight, blocked = self.p.holds, self.p.weight, self.blocked
        left = [(j, r) for j, r in enumerate(self.residual) if r > 0]
        room = _minus(self.best_cost, tuple(self.cost)) if self.best_sites is not None else None
        for i in self.by_weight[branch]:
            if blocked[i]:
                continue
            if room is not None and weight[i] >= room:
                return
            held = holds[i]
            if all(held.get(j, 0) >= r for j, r in left):
                self.best_sites = (*self.chosen, i)
                self.best_cost = tuple(c + w for c, w in zip(self.cost, weight[i], strict=True))
                return
