"""Write an audit's ``report.json`` and its human-readable ``report.md`` (with PNG plots)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

from validation.report import plots
from validation.report.environment import environment
from validation.results import _json_safe
from validation.suite import SuiteRun


def _backends(run: SuiteRun) -> list[str]:
    found: set[str] = set()
    for result in run.results:
        for _, value in plots._find(result.details, "backend"):
            if isinstance(value, str) and value != "auto":
                found.add(value)
    return sorted(found)


def build_report(
    suite_name: str,
    seed: int,
    run: SuiteRun,
    started: float,
    power: list[Any] | None = None,
    false_alarms: Any | None = None,
) -> dict[str, Any]:
    """The JSON-ready report: every check with its numbers, seeds, versions and timings."""
    return _json_safe(
        {
            "suite": suite_name,
            "seed": seed,
            "command": f"python -m validation audit --suite {suite_name} --seed {seed} --out DIR",
            "started_utc": dt.datetime.fromtimestamp(started, dt.UTC).isoformat(),
            "seconds": run.seconds,
            "environment": environment(),
            "mcmc_backends": _backends(run),
            "summary": {**run.counts, "exit_code": run.exit_code},
            "checks": [r.to_dict() for r in run.results],
            "catalogue_power": [dataclasses.asdict(p) for p in power] if power else None,
            "false_alarms": dataclasses.asdict(false_alarms) if false_alarms else None,
        }
    )


def _fmt(x: Any) -> str:
    return f"{x:.4g}" if isinstance(x, float) else str(x)


def _markdown(report: dict[str, Any], figures: dict[str, list[str]], power_png: str | None) -> str:
    env = report["environment"]
    pkgs = ", ".join(f"{k} {v}" for k, v in env["packages"].items() if v)
    s = report["summary"]
    lines = [
        f"# Validation audit: `{report['suite']}` suite, seed {report['seed']}",
        "",
        f"- started {report['started_utc']}, {report['seconds']:.1f} s",
        f"- reproduce: `{report['command']}`",
        f"- Python {env['python']} on {env['platform']}; {pkgs}",
        f"- MCMC backend(s): {', '.join(report['mcmc_backends']) or 'none used'}",
        f"- **{s['pass']} passed, {s['fail']} failed, {s['inconclusive']} inconclusive** "
        f"(exit code {s['exit_code']})",
        "",
        "## Checks",
        "",
        "| check | status | statistic | threshold | false-alarm rate | seconds |",
        "|---|---|---|---|---|---|",
    ]
    for c in report["checks"]:
        lines.append(
            f"| `{c['name']}` | **{c['status']}** | {_fmt(c['statistic'])} | "
            f"{_fmt(c['threshold'])} | {_fmt(c['false_alarm_rate'])} | {c['seconds']:.1f} |"
        )
    lines.append("")
    for c in report["checks"]:
        lines += [f"### `{c['name']}`: {c['status']}", ""]
        statistic_name = c["details"].get("statistic_name")
        if statistic_name:
            lines += [f"statistic: {statistic_name}", ""]
        reason = c["details"].get("reason")
        if reason:
            lines += [f"reason: {reason}", ""]
        lines += [f"![{Path(f).stem}]({f})" for f in figures.get(c["name"], [])]
        lines.append("")
    if report["catalogue_power"]:
        lines += [
            "## Known-bug catalogue: detection power",
            "",
            "| entry | caught by | seeds | detected | rate | 95% CI | target |",
            "|---|---|---|---|---|---|---|",
        ]
        for p in report["catalogue_power"]:
            lines.append(
                f"| `{p['entry']}` | `{p['check']}` | {p['n_seeds']} | {p['detections']} | "
                f"{p['rate']:.3f} | [{p['ci_low']:.3f}, {p['ci_high']:.3f}] | "
                f"{p['min_detection']} |"
            )
        lines.append("")
        if power_png:
            lines += [f"![catalogue power]({power_png})", ""]
    fa = report["false_alarms"]
    if fa:
        lines += [
            "## False alarms of the quick suite on the correct estimators",
            "",
            f"{fa['any_failed']} of {fa['n_seeds']} suite runs had a failing check: rate "
            f"{fa['rate']:.4f}, 95% CI [{fa['ci_low']:.4f}, {fa['ci_high']:.4f}] "
            f"(Bonferroni bound {fa['nominal_bound']:.4f}; checks: "
            f"{', '.join(fa['checks'])}).",
            "",
        ]
    return "\n".join(lines)


def write_report(
    out_dir: Path,
    suite_name: str,
    seed: int,
    run: SuiteRun,
    started: float,
    power: list[Any] | None = None,
    false_alarms: Any | None = None,
) -> list[Path]:
    """Write ``report.json``, ``report.md`` and ``plots/*.png`` under ``out_dir``."""
    out_dir = Path(out_dir)
    plot_dir = out_dir / "plots"
    plot_dir.mkdir(parents=True, exist_ok=True)
    report = build_report(suite_name, seed, run, started, power, false_alarms)
    figures: dict[str, list[str]] = {}
    for result in run.results:
        for draw in plots.FIGURES:
            png = draw(result, plot_dir)
            if png is not None:
                figures.setdefault(result.name, []).append(str(png.relative_to(out_dir)))
    power_png = plots.power_chart(report["catalogue_power"] or [], plot_dir)
    json_path = out_dir / "report.json"
    json_path.write_text(json.dumps(report, indent=1, allow_nan=False))
    md_path = out_dir / "report.md"
    md_path.write_text(
        _markdown(report, figures, str(power_png.relative_to(out_dir)) if power_png else None)
    )
    return [json_path, md_path]
