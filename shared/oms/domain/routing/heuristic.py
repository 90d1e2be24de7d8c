"""A good set of sites fast: greedy covers by two scorings, then local improvement (the incumbent the exact
search starts from, and the answer when a problem is too big for it)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from oms.domain.routing.problem import Cost, Index, Problem, minus


def heuristic(index: Index) -> tuple[int, ...] | None:
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
    index: Index, residual: dict[int, int], excluded: Sequence[int], size: int, room: Cost
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
        tail = _cheaper_cover(index, rest, [*excluded, i], size - 1, minus(room, w))
        if tail is not None:
            best = [i, *tail]
            room = problem.cost(best)
    return best


def _improve(index: Index, start: tuple[int, ...]) -> tuple[int, ...]:
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
                room = minus(current, problem.cost(rest))
                cover = _cheaper_cover(index, _residual(problem, rest), sites, into, room)
                if cover is not None:
                    sites = rest + cover
                    improved = True
                    break
            if improved:
                break
    return tuple(sites)
