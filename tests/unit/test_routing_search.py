"""The optimizer behind routing: exact where it says so, feasible always, checked against brute force."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oms.domain.routing import search
from oms.domain.routing.search import Problem, solve


def brute_force(problem: Problem) -> tuple[int, ...] | None:
    """The optimal cost by trying every set of sites."""
    sites = range(len(problem.weight))
    limit = problem.max_sites if problem.max_sites is not None else len(problem.weight)
    costs = [
        problem.cost(subset)
        for size in range(limit + 1)
        for subset in itertools.combinations(sites, size)
        if problem.covers(subset)
    ]
    return min(costs) if costs else None


@st.composite
def problems(draw: st.DrawFn, counts_first: bool = True) -> Problem:
    skus = draw(st.integers(1, 5))
    sites = draw(st.integers(1, 8))
    need = tuple(draw(st.integers(1, 4)) for _ in range(skus))
    holds = []
    for _ in range(sites):
        held = draw(st.dictionaries(st.integers(0, skus - 1), st.integers(1, 4), max_size=skus))
        holds.append({j: min(units, need[j]) for j, units in held.items()})
    weights = []
    for _ in range(sites):
        distance, priority = draw(st.integers(0, 50)), draw(st.integers(0, 3))
        weights.append((1, distance, priority) if counts_first else (distance, priority))
    max_sites = draw(st.one_of(st.none(), st.integers(1, 3)))
    return Problem(need, tuple(holds), tuple(weights), max_sites)


@settings(max_examples=300, deadline=None)
@given(problems())
def test_the_exact_search_finds_the_brute_force_optimum(problem: Problem) -> None:
    best = brute_force(problem)
    solution = solve(problem, "exact")
    if best is None:
        assert solution is None
        return
    assert solution is not None
    assert solution.proven
    assert problem.covers(solution.sites)
    assert solution.cost == problem.cost(solution.sites) == best
    assert problem.max_sites is None or len(solution.sites) <= problem.max_sites


@settings(max_examples=300, deadline=None)
@given(problems(counts_first=False))
def test_the_exact_search_is_exact_for_any_order_of_rules(problem: Problem) -> None:
    solution = solve(problem, "exact")
    best = brute_force(problem)
    assert (solution.cost if solution else None) == best


@settings(max_examples=300, deadline=None)
@given(problems())
def test_the_heuristic_answers_a_feasible_set_when_there_is_one(problem: Problem) -> None:
    best = brute_force(problem)
    solution = solve(problem, "heuristic")
    if best is None:
        assert solution is None
        return
    assert solution is not None
    assert problem.covers(solution.sites)
    assert len(set(solution.sites)) == len(solution.sites)
    assert problem.max_sites is None or len(solution.sites) <= problem.max_sites
    assert solution.cost >= best
    if solution.proven:
        assert solution.cost == best


def test_the_switch_point_chooses_the_method() -> None:
    at, skus = search.EXACT_MAX_SITES, search.EXACT_MAX_SKUS

    def sites(count: int) -> Problem:
        return Problem((1,), tuple({0: 1} for _ in range(count)), tuple((1, i, 0) for i in range(count)))

    many_skus = Problem((1,) * (skus + 1), (dict.fromkeys(range(skus + 1), 1),), ((1, 0, 0),))
    methods = [solution.method if solution else None for solution in map(solve, (sites(at), sites(at + 1), many_skus))]
    assert methods == ["exact", "heuristic", "heuristic"]


def test_the_heuristic_still_proves_an_easy_large_case() -> None:
    # 60 sites, one of them holds everything: the bound proves one site is the optimum at once.
    holds = (*tuple({0: 1} for _ in range(59)), {0: 1, 1: 1})
    weights = tuple((1, 1000 + i, 0) for i in range(60))
    solution = solve(Problem((1, 1), holds, weights))
    assert solution is not None
    assert (solution.sites, solution.method, solution.proven) == ((59,), "heuristic", True)


def test_greedy_traps_are_escaped() -> None:
    # The greedy takes the big site 0 (4 skus), then needs 2 more; sites 1 and 2 cover all 6 alone.
    holds = (
        {0: 1, 1: 1, 2: 1, 3: 1},
        {0: 1, 1: 1, 4: 1},
        {2: 1, 3: 1, 5: 1},
    )
    problem = Problem((1,) * 6, holds, ((1, 0, 0), (1, 5, 0), (1, 5, 0)))
    for method in ("exact", "heuristic"):
        solution = solve(problem, method)
        assert solution is not None
        assert sorted(solution.sites) == [1, 2]


def test_an_empty_need_is_the_empty_set() -> None:
    solution = solve(Problem((), (), ()))
    assert solution is not None
    assert solution.sites == ()


@pytest.mark.parametrize("method", ["exact", "heuristic"])
def test_no_feasible_set_is_none(method: str) -> None:
    assert solve(Problem((3,), ({0: 1}, {0: 1}), ((1, 0, 0), (1, 0, 0))), method) is None  # type: ignore[arg-type]
    assert solve(Problem((1, 1), ({0: 1}, {1: 1}), ((1, 0, 0), (1, 0, 0)), max_sites=1), method) is None  # type: ignore[arg-type]
