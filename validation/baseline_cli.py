"""``python -m validation baseline``: accept an audit's adequacy findings into a baseline file.

Reads an audit's ``report.json`` and writes (or updates) the baseline TOML that
``python -m validation audit --baseline FILE`` reads (:mod:`validation.baseline`): one entry per
failed adequacy check (or per ``--check NAME``), at its measured size, on the data files it
ran on, with ``--reason``. Entries already in ``--out`` for other checks or other data are
kept; an entry for the same check and data files is replaced. Gate checks cannot be accepted.

Example::

    python -m validation audit --suite quick --out audit-data --data ../shared/data/lobster
    python -m validation baseline --from audit-data/report.json \\
        --reason "exponential trade distances rejected: half-spread offset, see README"

Exit status: 0 written; 64 usage errors (unreadable report or baseline, empty reason, a named
check that is absent, a gate check, not failed, or has no data or finite size).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from validation.baseline import BaselineError, accept, load_baseline
from validation.results import CheckResult

DEFAULT_OUT = Path("validation-baseline.toml")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the ``baseline`` subcommand on ``subparsers``."""
    p = subparsers.add_parser(
        "baseline", help="accept an audit report's adequacy findings into a baseline TOML"
    )
    p.add_argument("--from", dest="report", type=Path, required=True, help="an audit's report.json")
    p.add_argument("--reason", required=True, help="why the findings are accepted (reviewed)")
    p.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"baseline file (default {DEFAULT_OUT})"
    )
    p.add_argument(
        "--check",
        action="append",
        default=None,
        metavar="NAME",
        help="accept only this check (repeatable; default: every failed adequacy check)",
    )


def run(args: argparse.Namespace) -> int:
    """Write the baseline; 0 on success, 64 on a usage error (message on stderr)."""
    try:
        report = json.loads(args.report.read_text())
        results = [CheckResult.from_dict(c) for c in report["checks"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"--from {args.report}: not a readable audit report ({exc})", file=sys.stderr)
        return 64
    try:
        existing = load_baseline(args.out) if args.out.exists() else None
        baseline = accept(
            results, args.reason, checks=args.check, existing=existing, seed=report.get("seed")
        )
    except (BaselineError, OSError) as exc:
        print(f"baseline: {exc}", file=sys.stderr)
        return 64
    args.out.write_text(baseline.to_toml(), encoding="utf-8")
    print(f"wrote {args.out}: {len(baseline.findings)} accepted findings")
    for f in baseline.findings:
        print(f"  {f.check}: size <= {f.size:.6g} on {', '.join(sorted(f.data_names))}")
    return 0
