"""`python -m bench [checkout ...]`: run benchmarks, print their tables, merge them into .bench/results.json."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from bench import RESULTS, checkout_round_trips, merge_results


def _checkout(args: argparse.Namespace) -> None:
    bench = checkout_round_trips.run(checkouts=args.checkouts, quiet=not args.verbose)
    print(checkout_round_trips.report(bench))
    merge_results(checkout_round_trips.SECTION, bench.figures())


BENCHMARKS: dict[str, Callable[[argparse.Namespace], None]] = {"checkout": _checkout}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help=f"benchmarks to run: {', '.join(BENCHMARKS)} (default: all)"
    )
    parser.add_argument(
        "--checkouts",
        type=int,
        default=checkout_round_trips.CHECKOUTS,
        help="checkouts to measure (default: %(default)s)",
    )
    parser.add_argument("--verbose", action="store_true", help="keep the functions' INFO logs")
    args = parser.parse_args(argv)
    names = args.names or list(BENCHMARKS)
    unknown = [name for name in names if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
    if args.checkouts < 1:
        parser.error("--checkouts must be at least 1")

    for name in names:
        BENCHMARKS[name](args)
        print()
    print(f"results: {RESULTS.relative_to(RESULTS.parent.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
