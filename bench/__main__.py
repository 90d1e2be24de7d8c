"""`python -m bench [checkout ...]`: run benchmarks, print their tables, merge them into .bench/results.json."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable

from bench import RESULTS, checkout_round_trips, merge_results, read_section


def _checkout(args: argparse.Namespace) -> None:
    started = time.perf_counter()

    def progress(done: int, total: int) -> None:
        if done % 25 == 0 or done == total:
            print(f"  checkout {done}/{total} ({time.perf_counter() - started:.0f} s)", file=sys.stderr, flush=True)

    bench = checkout_round_trips.run(
        checkouts=args.checkouts, quiet=not args.verbose, settle=not args.concurrent, progress=progress
    )
    print(checkout_round_trips.report(bench))
    merge_results(checkout_round_trips.SECTION, bench.figures())


def _routing(args: argparse.Namespace) -> None:
    from bench import routing_quality

    figures = routing_quality.run()
    keys = ("orders", "exhaustive_checked", "optimal_share", "max_gap", "p50_ms", "p99_ms", "meets_targets")
    print("routing quality and speed (1,000 seeded orders; targets: optimal >= 99%, p99 <= 20 ms at 20 x 200)")
    for key in keys:
        print(f"  {key:<20} {figures.get(key)}")
    merge_results(routing_quality.SECTION, figures)


def _cost(args: argparse.Namespace) -> None:
    from bench import cost

    result = cost.run(args.orders)
    print(cost.report(result))
    # The realistic scenario's figures live in the same section: a cost run alone keeps them.
    kept = {k: v for k, v in read_section("cost").items() if k in ("realistic", "fixed_usd_per_month")}
    merge_results("cost", {**kept, **result["cost"], "dominant": result["dominant"], "notes": result["notes"]})


def _realistic(args: argparse.Namespace) -> None:
    from bench import cost_realistic

    result = cost_realistic.run(
        args.orders, partner_latency_ms=args.partner_latency_ms, webhook_latency_ms=args.webhook_latency_ms
    )
    print(cost_realistic.report(result))
    cost_realistic.merge(result)


def _imports(args: argparse.Namespace) -> None:
    from bench import imports

    result = imports.run()
    print(imports.report(result))
    merge_results("import_ms", result["import_ms"])


def _health(args: argparse.Namespace) -> None:
    from bench import stock_health

    figures = stock_health.run()
    print(stock_health.report(figures))
    merge_results(stock_health.SECTION, figures)


def _flash(args: argparse.Namespace) -> None:
    from bench import flash_sale

    started = time.perf_counter()

    def progress(done: int, total: int) -> None:
        if done % 250 == 0 or done == total:
            print(f"  flash sale {done}/{total} ({time.perf_counter() - started:.0f} s)", file=sys.stderr, flush=True)

    sale = flash_sale.run(
        buyers=args.buyers,
        threads=args.threads,
        units=args.units,
        quiet=not args.verbose,
        progress=progress,
        buckets=args.buckets,
    )
    result = flash_sale.figures(sale)
    print(flash_sale.report(result))
    merge_results(flash_sale.SECTION, result)


def _channels(args: argparse.Namespace) -> None:
    from bench import channel_publish

    started = time.perf_counter()

    def progress(done: int, total: int) -> None:
        if done % 250 == 0 or done == total:
            print(
                f"  stock changes {done}/{total} ({time.perf_counter() - started:.0f} s)", file=sys.stderr, flush=True
            )

    run = channel_publish.run(
        skus=args.channel_skus,
        channels=args.channels,
        changes=args.stock_changes,
        marketplace_latency_ms=args.marketplace_latency_ms,
        progress=progress,
    )
    result = channel_publish.figures(run)
    print(channel_publish.report(result))
    merge_results(channel_publish.SECTION, result)


BENCHMARKS: dict[str, Callable[[argparse.Namespace], None]] = {
    "checkout": _checkout,
    "cost": _cost,
    "realistic": _realistic,
    "imports": _imports,
    "routing": _routing,
    "health": _health,
    "flash": _flash,
    "channels": _channels,
}


def main(argv: list[str] | None = None) -> int:
    from bench import channel_publish, cost_realistic, flash_sale

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
    parser.add_argument(
        "--concurrent",
        action="store_true",
        help="let the fulfil workflows overlap the next checkouts (default: wait for them between checkouts)",
    )
    parser.add_argument(
        "--orders", type=int, default=20, help="full lifecycles the cost meters (cost, realistic) drive (default: 20)"
    )
    parser.add_argument(
        "--partner-latency-ms",
        type=float,
        default=cost_realistic.PARTNER_LATENCY_MS,
        help="the realistic scenario's partners answer after this long (default: %(default)s)",
    )
    parser.add_argument(
        "--webhook-latency-ms",
        type=float,
        default=cost_realistic.WEBHOOK_LATENCY_MS,
        help="the realistic scenario's storefront answers each event after this long (default: %(default)s)",
    )
    parser.add_argument(
        "--buyers", type=int, default=flash_sale.BUYERS, help="the flash sale's buyers (default: %(default)s)"
    )
    parser.add_argument(
        "--threads", type=int, default=flash_sale.THREADS, help="threads the buyers come from (default: %(default)s)"
    )
    parser.add_argument(
        "--units", type=int, default=flash_sale.UNITS, help="units of the flash sale's sku (default: %(default)s)"
    )
    parser.add_argument(
        "--buckets",
        type=int,
        default=flash_sale.BUCKETS,
        help="stock buckets per location for the flash sale, 0 for none (default: %(default)s)",
    )
    parser.add_argument(
        "--stock-changes",
        type=int,
        default=channel_publish.CHANGES,
        help="the channels burst's stock changes (default: %(default)s)",
    )
    parser.add_argument(
        "--channel-skus", type=int, default=channel_publish.SKUS, help="skus the channels list (default: %(default)s)"
    )
    parser.add_argument(
        "--channels", type=int, default=channel_publish.CHANNELS, help="channels of sf-local (default: %(default)s)"
    )
    parser.add_argument(
        "--marketplace-latency-ms",
        type=float,
        default=channel_publish.MARKETPLACE_LATENCY_MS,
        help="the channels' marketplaces answer after this long (default: %(default)s)",
    )
    parser.add_argument("--verbose", action="store_true", help="keep the functions' INFO logs")
    args = parser.parse_args(argv)
    names = args.names or list(BENCHMARKS)
    unknown = [name for name in names if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
    if args.checkouts < 1:
        parser.error("--checkouts must be at least 1")
    if min(args.buyers, args.threads, args.units) < 1:
        parser.error("--buyers, --threads and --units must be at least 1")
    if min(args.stock_changes, args.channel_skus, args.channels) < 1:
        parser.error("--stock-changes, --channel-skus and --channels must be at least 1")

    for name in names:
        BENCHMARKS[name](args)
        print()
    print(f"results: {RESULTS.relative_to(RESULTS.parent.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
