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

from typing import Final, Literal

from oms.domain.routing.exact import BranchAndBound
from oms.domain.routing.heuristic import heuristic
from oms.domain.routing.problem import Cost, Index, Problem, Solution

__all__ = ["EXACT_MAX_SITES", "EXACT_MAX_SKUS", "Cost", "Problem", "Solution", "solve"]

EXACT_MAX_SITES: Final = 30
EXACT_MAX_SKUS: Final = 20
EXACT_NODE_BUDGET: Final = 5_000
HEURISTIC_NODE_BUDGET: Final = 300


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
    index = Index(problem)
    incumbent = heuristic(index)
    # Without any plan in hand (the cap is what the heuristic missed), search as long as the exact
    # method would rather than refuse an order a plan exists for.
    budget = EXACT_NODE_BUDGET if method == "exact" or incumbent is None else HEURISTIC_NODE_BUDGET
    if node_budget is not None:
        budget = node_budget
    cap = problem.max_sites
    if not _counts_first(problem):
        search = BranchAndBound(index, incumbent, budget, cap)
        search.run()
        return _answer(problem, search.best_sites, method, not search.aborted, search.nodes)
    lowest = BranchAndBound(index, None, budget, cap).sites_needed()
    if lowest is None:
        return None
    nodes = 0
    polished: bool | None = None  # whether the distance at the incumbent's size is proven optimal
    if method == "heuristic" and incumbent is not None:
        # Within a small budget, improving the distance at the incumbent's size usually pays more than
        # proving that no smaller set exists (the local search has already tried to shrink it).
        polish = BranchAndBound(index, incumbent, budget // 2, len(incumbent))
        polish.run()
        nodes, incumbent, polished = polish.nodes, polish.best_sites, not polish.aborted
    # Fewest sites first: look for a set smaller than the incumbent, size by size from the bound up.
    # The first size with a feasible set holds the optimum, so no node is spent improving the
    # distance of sets that are too big.
    upper = len(incumbent) if incumbent is not None else len(problem.weight) + 1
    if cap is not None:
        upper = min(upper, cap + 1)
    for size in range(lowest, upper):
        search = BranchAndBound(index, None, budget - nodes, size)
        search.run()
        nodes += search.nodes
        if search.best_sites is not None:
            return _answer(problem, search.best_sites, method, not search.aborted, nodes)
        if search.aborted:
            return _answer(problem, incumbent, method, False, nodes)
    if incumbent is None or polished is not None:
        return _answer(problem, incumbent, method, bool(polished), nodes)
    search = BranchAndBound(index, incumbent, budget - nodes, len(incumbent))
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
