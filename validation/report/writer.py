"""Write an audit's ``report.json``, its human-readable ``report.md`` (with PNG plots) and the
self-contained ``report.html`` (plots embedded; :mod:`validation.report.html`).

All keep the two kinds of verdict apart (:mod:`validation.verdict`): gate checks, and
adequacy findings with their size and, against a baseline, whether each is accepted, new or
grown.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

from validation.agreement.reference_fits import McmcRecord, SamplerRecord
from validation.calibration.severity import SeverityRow, load_table
from validation.catalogue.power import FalseAlarmResult, PowerRow
from validation.report import panels, plots
from validation.report.coverage import CoverageResult
from validation.report.environment import environment
from validation.report.html import render_html, severity_magnitude
from validation.report.replications import ReplicationTable, replication_tables, write_csv
from validation.results import Explanation, _json_safe
from validation.suite import SuiteRun
from validation.verdict import FindingStatus, Verdict, classify


def _backends(run: SuiteRun) -> list[str]:
    """The MCMC backends that sampled the run's reference fits (from their typed records)."""
    found = {
        part.backend
        for result in run.results
        for kind in (McmcRecord, SamplerRecord)
        for _, part in result.parts(kind)
    }
    return sorted(found)


def build_report(
    suite_name: str,
    seed: int,
    run: SuiteRun,
    started: float,
    power: list[PowerRow] | None = None,
    false_alarms: FalseAlarmResult | None = None,
    verdict: Verdict | None = None,
    coverage: CoverageResult | None = None,
    user_candidates: list[str] | None = None,
) -> dict[str, Any]:
    """The JSON-ready report: every check with its numbers, seeds, versions, timings and
    candidate, the verdict (``verdict``, default: ``classify(run.results)``, i.e. without a
    baseline), the user candidates (``FAMILY=module:function`` specs) and, when measured, the
    line coverage of ``online/`` by the checks."""
    verdict = verdict if verdict is not None else classify(run.results)
    findings = {s.value: len(verdict.of_status(s)) for s in FindingStatus}
    user_candidates = list(user_candidates or [])
    flags = "".join(f" --candidate {spec}" for spec in user_candidates)
    return _json_safe(
        {
            "suite": suite_name,
            "seed": seed,
            "command": f"python -m validation audit --suite {suite_name} --seed {seed}{flags} "
            "--out DIR",
            "user_candidates": user_candidates,
            "started_utc": dt.datetime.fromtimestamp(started, dt.UTC).isoformat(),
            "seconds": run.seconds,
            "environment": environment(),
            "mcmc_backends": _backends(run),
            "summary": {
                **run.counts,
                "exit_code": verdict.exit_code,
                "gate": verdict.gate,
                "adequacy": verdict.adequacy,
                "findings": findings,
            },
            "verdict": verdict.to_dict(),
            "online_coverage": None if coverage is None else coverage.to_dict(),
            "checks": [r.to_dict() for r in run.results],
            "catalogue_power": [dataclasses.asdict(p) for p in power] if power else None,
            "false_alarms": dataclasses.asdict(false_alarms) if false_alarms else None,
        }
    )


def _fmt(x: Any) -> str:
    return f"{x:.4g}" if isinstance(x, float) else str(x)


_PAST = {"pass": "passed", "fail": "failed"}


def _counts(counts: dict[str, int]) -> str:
    """``{"pass": 3, "fail": 1}`` -> ``"3 passed, 1 failed"``."""
    return ", ".join(f"{n} {_PAST.get(name, name)}" for name, n in counts.items())


def _finding_lines(title: str, rows: list[dict[str, Any]], empty: str) -> list[str]:
    lines = [f"### {title} ({len(rows)})", ""]
    if not rows:
        return [*lines, empty, ""]
    for f in rows:
        accepted = (
            f"; accepted size {_fmt(f['accepted_size'])}: {f['reason']}"
            if f["accepted_size"] is not None
            else ""
        )
        note = f" ({f['note']})" if f["note"] else ""
        lines.append(f"- `{f['check']}`: size {_fmt(f['size'])}{accepted}{note}. {f['summary']}")
    return [*lines, ""]


def _adequacy_section(report: dict[str, Any]) -> list[str]:
    """Every adequacy check with its size, then the failures as new, grown and accepted."""
    verdict = report["verdict"]
    status = {f["check"]: f for rows in verdict["findings"].values() for f in rows}
    lines = [
        "## Adequacy findings",
        "",
        "A failure is a finding about the model on these data (posterior predictive checks, "
        "regime effects), reported with its size; a reviewed baseline may accept it up to a "
        "size.",
        "",
        "| check | status | size | finding | accepted size | observed vs model |",
        "|---|---|---|---|---|---|",
    ]
    for c in report["checks"]:
        if c["kind"] != "adequacy":
            continue
        f = status.get(c["name"])
        lines.append(
            f"| `{c['name']}` | **{c['status']}** | {_fmt(c['size'])} | "
            f"{f['status'] if f else '-'} | "
            f"{_fmt(f['accepted_size']) if f and f['accepted_size'] is not None else '-'} | "
            f"{c['details'].get('size_summary', '')} |"
        )
    lines.append("")
    findings = verdict["findings"]
    lines += _finding_lines("New findings", findings["new"], "none")
    lines += _finding_lines("Grown findings", findings["grown"], "none")
    lines += _finding_lines("Accepted findings", findings["accepted"], "none")
    if verdict["unused"]:
        lines += ["### Baseline entries that matched no failure", ""]
        lines += [
            f"- `{u['check']}`: {u['why']} (accepted for: {u['reason']})" for u in verdict["unused"]
        ]
        lines.append("")
    return lines


def _coverage_section(cov: dict[str, Any] | None) -> list[str]:
    """Coverage of online/ by the checks, least covered modules first."""
    if cov is None:
        return []
    lines = [
        "## Line coverage of `online/` by these checks",
        "",
        f"{100 * cov['fraction']:.1f}% of the run-time statements ({cov['covered']} of "
        f"{cov['statements']}; statements inside function bodies, so import-time definitions "
        "do not count).",
        "",
        "| module | covered | statements | % |",
        "|---|---|---|---|",
    ]
    rows = sorted(cov["modules"].items(), key=lambda kv: kv[1]["fraction"])
    for name, m in rows:
        if m["statements"]:
            lines.append(
                f"| `{name}` | {m['covered']} | {m['statements']} | {100 * m['fraction']:.0f} |"
            )
    return [*lines, ""]


def _severity_lines(rows: list[SeverityRow]) -> list[str]:
    """The stored severity rows of one check as a markdown table."""
    if not rows:
        return []
    lines = [
        "severity (smallest miscalibration detected; stored table, not recomputed; "
        "- = not reached on the grid):",
        "",
        "| direction | distortion | 80% power | 99% power | seeds | command |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lo, hi = (severity_magnitude(r.detected[p]) for p in (0.8, 0.99))
        lines.append(
            f"| {r.direction} | {r.distortion} | {lo} | {hi} | {r.n_seeds} | `{r.command}` |"
        )
    return [*lines, ""]


def _markdown(
    report: dict[str, Any],
    figures: dict[str, list[str]],
    power_png: str | None,
    power: list[PowerRow] | None = None,
    false_alarms: FalseAlarmResult | None = None,
    severity: dict[str, list[SeverityRow]] | None = None,
    csv_files: dict[str, list[str]] | None = None,
) -> str:
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
        f"- candidates: {', '.join(f'`{c}`' for c in report['user_candidates']) or 'production'}"
        f"{'; other families: production' if report['user_candidates'] else ''}",
        f"- **gate checks: {_counts(s['gate'])}**",
        f"- **adequacy findings: {_counts(s['adequacy'])}; of the failures "
        f"{_counts(s['findings'])}** (baseline: {report['verdict']['baseline'] or 'none'})",
        f"- exit code {s['exit_code']}",
        "",
        "## Gate checks",
        "",
        "A failure is a defect: the estimator does not compute what its model says. No baseline "
        "accepts it.",
        "",
        "| check | status | statistic | threshold | false-alarm rate | seconds |",
        "|---|---|---|---|---|---|",
    ]
    for c in report["checks"]:
        if c["kind"] == "gate":
            lines.append(
                f"| `{c['name']}` | **{c['status']}** | {_fmt(c['statistic'])} | "
                f"{_fmt(c['threshold'])} | {_fmt(c['false_alarm_rate'])} | {c['seconds']:.1f} |"
            )
    lines += ["", *_adequacy_section(report), "", *_coverage_section(report["online_coverage"])]
    for c in report["checks"]:
        lines += [f"### `{c['name']}` ({c['kind']}): {c['status']}", ""]
        if c.get("candidate"):
            lines += [f"candidate: `{c['candidate']}`", ""]
        text = Explanation.of(c["details"])
        if text.statistic_name:
            lines += [f"statistic: {text.statistic_name}", ""]
        if text.size_summary:
            lines += [f"size {_fmt(c['size'])}: {text.size_summary}", ""]
        if text.reason:
            lines += [f"reason: {text.reason}", ""]
        lines += _severity_lines((severity or {}).get(c["name"], []))
        lines += [f"![{Path(f).stem}]({f})" for f in figures.get(c["name"], [])]
        lines += [
            f"- per-replication table: [{f}]({f})" for f in (csv_files or {}).get(c["name"], [])
        ]
        lines.append("")
    if power:
        lines += [
            "## Known-bug catalogue: detection power",
            "",
            "| entry | caught by | seeds | detected | rate | 95% CI | target |",
            "|---|---|---|---|---|---|---|",
        ]
        for p in power:
            lines.append(
                f"| `{p.entry}` | `{p.check}` | {p.n_seeds} | {p.detections} | "
                f"{p.rate:.3f} | [{p.ci_low:.3f}, {p.ci_high:.3f}] | "
                f"{p.min_detection} |"
            )
        lines.append("")
        if power_png:
            lines += [f"![catalogue power]({power_png})", ""]
    fa = false_alarms
    if fa:
        lines += [
            "## False alarms of the quick suite on the correct estimators",
            "",
            f"{fa.any_failed} of {fa.n_seeds} suite runs had a failing check: rate "
            f"{fa.rate:.4f}, 95% CI [{fa.ci_low:.4f}, {fa.ci_high:.4f}] "
            f"(Bonferroni bound {fa.nominal_bound:.4f}; checks: "
            f"{', '.join(fa.checks)}).",
            "",
        ]
    return "\n".join(lines)


def write_report(
    out_dir: Path,
    suite_name: str,
    seed: int,
    run: SuiteRun,
    started: float,
    power: list[PowerRow] | None = None,
    false_alarms: FalseAlarmResult | None = None,
    verdict: Verdict | None = None,
    coverage: CoverageResult | None = None,
    user_candidates: list[str] | None = None,
) -> list[Path]:
    """Write ``report.json``, ``report.md``, ``plots/*.png``, ``tables/*.csv`` (every row of
    each SBC check's per-replication table) and the self-contained ``report.html``
    (:mod:`validation.report.html`) under ``out_dir``; each check with a row in the stored
    severity table (:func:`validation.calibration.severity.load_table`) gets its detectable
    miscalibrations in report.md and report.html."""
    out_dir = Path(out_dir)
    plot_dir = out_dir / "plots"
    plot_dir.mkdir(parents=True, exist_ok=True)
    report = build_report(
        suite_name, seed, run, started, power, false_alarms, verdict, coverage, user_candidates
    )
    figures: dict[str, list[str]] = {}
    for result in run.results:
        for draw in (*plots.FIGURES, *panels.FIGURES):
            png = draw(result, plot_dir)
            if png is not None:
                figures.setdefault(result.name, []).append(str(png.relative_to(out_dir)))
    tables: dict[str, list[tuple[ReplicationTable, Path]]] = {}
    for result in run.results:
        for table in replication_tables(result):
            tables.setdefault(result.name, []).append((table, write_csv(table, out_dir / "tables")))
    csv_files = {
        name: [str(f.relative_to(out_dir)) for _, f in rows] for name, rows in tables.items()
    }
    stored = load_table()
    severity = {r.name: stored[r.name] for r in run.results if r.name in stored}
    power_png = plots.power_chart(power or [], plot_dir)
    json_path = out_dir / "report.json"
    json_path.write_text(json.dumps(report, indent=1, allow_nan=False))
    md_path = out_dir / "report.md"
    power_rel = str(power_png.relative_to(out_dir)) if power_png else None
    md_path.write_text(
        _markdown(report, figures, power_rel, power, false_alarms, severity, csv_files)
    )
    html_path = out_dir / "report.html"
    embedded = {name: [out_dir / f for f in files] for name, files in figures.items()}
    html_path.write_text(
        render_html(report, embedded, power_png, power, false_alarms, severity, tables)
    )
    return [json_path, md_path, html_path]
