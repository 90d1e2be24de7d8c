"""Branch and bound over sets of sites: the cheapest feasible set within a node budget, proven or not."""

from __future__ import annotations

from oms.domain.routing.problem import Cost, Index, minus


class BranchAndBound:
    def __init__(
        self, index: Index, incumbent: tuple[int, ...] | None, node_budget: int, max_sites: int | None
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
            if self.best_sites is not None and minus(self.best_cost, tuple(self.cost)) <= weight[i]:
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
        room = minus(self.best_cost, tuple(self.cost)) if self.best_sites is not None else None
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
