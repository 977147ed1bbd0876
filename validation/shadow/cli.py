"""The ``shadow`` subcommand: V1 vs V2 unified estimators on one LOBSTER day.

    python -m validation shadow --data DIR --ticker AAPL --out DIR [--levels L] [--gamma G]
        [--horizon-s T] [--fee-bps F] [--book-interval-ms B] [--every-ms E] [--minutes M]

Writes ``shadow.json``, ``shadow.md`` and ``shadow.png`` into ``--out``; progress goes to
stderr. Exit status 0 on success, 64 when the data directory or the archive is missing or
damaged, ``--out`` cannot be written, or the arguments are invalid (checked before loading).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

from online.errors import InvalidInputError
from validation.cli_args import (
    USAGE_ERROR,
    existing_dir,
    finite_float,
    non_negative_int,
    output_dir,
    positive_float,
    positive_int,
)
from validation.data.replay import DEFAULT_BOOK_INTERVAL_MS, DEFAULT_EVERY_MS


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the ``shadow`` subcommand on ``subparsers``."""
    from validation.shadow.run import DEFAULT_FEE_BPS, DEFAULT_GAMMA, DEFAULT_HORIZON_S

    p = subparsers.add_parser(
        "shadow", help="replay a LOBSTER day through the V1 and V2 estimators side by side"
    )
    p.add_argument(
        "--data", type=existing_dir, required=True, help="directory of LOBSTER zip archives"
    )
    p.add_argument("--ticker", required=True, help="ticker, e.g. AAPL")
    p.add_argument("--out", type=output_dir, required=True, help="output directory")
    p.add_argument(
        "--levels",
        type=positive_int,
        default=None,
        help="book levels of the archive (default: deepest)",
    )
    p.add_argument(
        "--gamma",
        type=positive_float,
        default=DEFAULT_GAMMA,
        help=f"GLFT risk aversion, 1/(fraction of mid) per unit q (default {DEFAULT_GAMMA:g})",
    )
    p.add_argument(
        "--horizon-s",
        type=positive_float,
        default=DEFAULT_HORIZON_S,
        help=f"GLFT horizon in seconds (default {DEFAULT_HORIZON_S:g})",
    )
    p.add_argument(
        "--fee-bps",
        type=finite_float,
        default=DEFAULT_FEE_BPS,
        help="per-side fee in bp (default 0)",
    )
    p.add_argument(
        "--book-interval-ms",
        type=non_negative_int,
        default=DEFAULT_BOOK_INTERVAL_MS,
        help=f"minimum ms between books fed, 0 = every change (default {DEFAULT_BOOK_INTERVAL_MS})",
    )
    p.add_argument(
        "--every-ms",
        type=positive_int,
        default=DEFAULT_EVERY_MS,
        help=f"sampling interval in ms (default {DEFAULT_EVERY_MS})",
    )
    p.add_argument(
        "--minutes",
        type=positive_float,
        default=None,
        help="replay only the first M minutes after the first message (default: whole day)",
    )


def find_archive(data: Path, ticker: str, levels: int | None) -> Path:
    """The archive ``*_{ticker}_{date}_{L}.zip`` in ``data``: ``levels`` or the deepest.

    Raises:
        FileNotFoundError: no such archive (the message lists what is there).
    """
    pattern = re.compile(rf"_{re.escape(ticker)}_\d{{4}}-\d{{2}}-\d{{2}}_(\d+)$", re.IGNORECASE)
    found = []
    for path in sorted(data.glob("*.zip")):
        match = pattern.search(path.stem)
        if match and (levels is None or int(match[1]) == levels):
            found.append((int(match[1]), path))
    if not found:
        wanted = ticker if levels is None else f"{ticker} with {levels} levels"
        present = ", ".join(p.name for p in sorted(data.glob("*.zip"))) or "none"
        raise FileNotFoundError(f"no LOBSTER archive for {wanted} in {data} (archives: {present})")
    return max(found)[1]


def run(args: argparse.Namespace) -> int:
    """Run the ``shadow`` subcommand; returns the exit status."""
    from validation.data.lobster import load_lobster
    from validation.data.replay import day_until
    from validation.shadow.report import write_shadow_report
    from validation.shadow.run import run_shadow

    try:
        archive = find_archive(args.data, args.ticker, args.levels)
    except FileNotFoundError as exc:
        print(str(exc), file=sys.stderr)
        return USAGE_ERROR
    _progress(f"loading {archive}")
    day = load_lobster(archive)
    if args.minutes is not None and len(day):
        day = day_until(day, day.messages["time_s"][0] + 60.0 * args.minutes)
    t0 = time.perf_counter()
    try:
        result = run_shadow(
            day,
            gamma=args.gamma,
            horizon_s=args.horizon_s,
            fee=args.fee_bps * 1e-4,
            book_interval_ms=args.book_interval_ms,
            every_ms=args.every_ms,
            progress=lambda i, n: _progress(f"  replay {i}/{n} messages"),
        )
    except InvalidInputError as exc:
        print(f"invalid argument: {exc}", file=sys.stderr)
        return USAGE_ERROR
    _progress(f"replayed {len(day)} messages in {time.perf_counter() - t0:.1f} s")
    s = result.summary
    print(
        f"{day.ticker} {day.date}: median ln(kappa_v2/kappa_v1) = "
        f"{s['log_kappa_ratio']['median']:.4g}, median sigma_v2/sigma_v1 = "
        f"{s['sigma_ratio']['median']:.4g}, median half-spread v2 - v1 = "
        f"{s['half_spread_diff_bps']['median']:.4g} bp, quotes differ > "
        f"{s['quote_diff_threshold_bps']} bp {100 * s['fraction_quotes_differ']:.1f}% of the time"
    )
    for path in write_shadow_report(result, args.out).values():
        print(f"wrote {path}")
    return 0
