"""The self-contained ``report.html``: one file for a reviewer, plots embedded as base64 PNG.

Built from the same report dict as report.json (:func:`validation.report.writer.build_report`)
and the same PNGs as report.md: a summary table of every check (status, statistic, threshold,
stated false-alarm rate, seed, candidate), one section per check with its numbers, its stored
severity (:mod:`validation.calibration.severity`), its figures and, for an SBC check, the
first and last rows of its per-replication table (:mod:`validation.report.replications`),
the catalogue power and false alarms when measured, then the environment and seeds. No
script, stylesheet, font or image is fetched: styles are inline, and images and the
per-replication CSV files are ``data:`` URIs.

Example::

    page = render_html(report, {"sbc.kappa_pit": [Path("out/plots/sbc_kappa_pit_ecdf.png")]})
    Path("out/report.html").write_text(page)
"""

from __future__ import annotations

import base64
import math
from html import escape
from pathlib import Path
from typing import Any

from validation.calibration.severity import SeverityRow
from validation.catalogue.power import FalseAlarmResult, PowerRow
from validation.report.replications import ReplicationTable
from validation.results import Explanation

_STYLE = """
body{font-family:sans-serif;margin:2em;max-width:70em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}
th,td{border:1px solid #bbb;padding:.25em .6em;text-align:left;font-size:.9em}
th{background:#eee}
.pass{color:#1a7f37;font-weight:bold}.fail{color:#c62828;font-weight:bold}
.inconclusive{color:#b26a00;font-weight:bold}
section.check{border-top:1px solid #ccc;margin-top:1.5em}
img{max-width:100%;display:block;margin:.5em 0}
code{background:#f4f4f4;padding:0 .2em}
"""


def _fmt(x: Any) -> str:
    if x is None:
        return "-"
    return f"{x:.4g}" if isinstance(x, float) else str(x)


def _anchor(name: str) -> str:
    return "check-" + "".join(ch if ch.isalnum() else "-" for ch in name)


def _status(status: str) -> str:
    return f'<span class="{escape(status)}">{escape(status)}</span>'


def _table(header: list[str], rows: list[list[str]]) -> str:
    """An HTML table; cells are already-escaped HTML."""
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _image(png: Path) -> str:
    data = base64.b64encode(png.read_bytes()).decode("ascii")
    return f'<img alt="{escape(png.stem)}" src="data:image/png;base64,{data}">'


def _summary(report: dict[str, Any]) -> str:
    rows = [
        [
            f'<a href="#{_anchor(c["name"])}"><code>{escape(c["name"])}</code></a>',
            escape(c["kind"]),
            _status(c["status"]),
            escape(_fmt(c["statistic"])),
            escape(_fmt(c["threshold"])),
            escape(_fmt(c["false_alarm_rate"])),
            escape(_fmt(c["size"])),
            escape(_fmt(c["seed"])),
            f"<code>{escape(_fmt(c.get('candidate')))}</code>",
            f"{c['seconds']:.1f}",
        ]
        for c in report["checks"]
    ]
    header = [
        "check",
        "kind",
        "status",
        "statistic",
        "threshold",
        "false-alarm rate",
        "size",
        "seed",
        "candidate",
        "seconds",
    ]
    return _table(header, rows)


def severity_magnitude(magnitude: float) -> str:
    """A detected magnitude as shown in the reports: 4 significant digits, ``-`` for NaN (the
    target power is not reached on the grid)."""
    return "-" if math.isnan(magnitude) else f"{magnitude:.4g}"


def _severity(rows: list[SeverityRow]) -> str:
    """The stored severity rows of one check (smallest magnitude at 80% / 99% power)."""
    if not rows:
        return ""
    body = [
        [
            escape(r.direction),
            escape(r.distortion),
            escape(severity_magnitude(r.detected[0.8])),
            escape(severity_magnitude(r.detected[0.99])),
            escape(f"{r.n_seeds} (from {r.seed0})"),
            escape(r.setting),
            f"<code>{escape(r.command)}</code>",
        ]
        for r in rows
    ]
    header = ["direction", "distortion", "80% power", "99% power", "seeds", "setting", "command"]
    return (
        "<h4>Severity: smallest miscalibration detected (stored table, not recomputed; "
        "- = not reached on the grid)</h4>" + _table(header, body)
    )


def _cell(value: int | float | bool | None) -> str:
    if value is None:
        return "..."
    return escape(_fmt(value))


def _replications(tables: list[tuple[ReplicationTable, Path]]) -> str:
    """First and last rows of each per-replication table; the whole CSV (written beside the
    report) is embedded as a ``data:`` download link, so the page stays one file."""
    out = []
    for table, csv_path in tables:
        rows = [
            [_cell(None)] * len(table.header) if row is None else [_cell(v) for v in row]
            for row in table.shown
        ]
        data = base64.b64encode(csv_path.read_bytes()).decode("ascii")
        link = (
            f'<a download="{escape(csv_path.name)}" href="data:text/csv;base64,{data}">'
            f"<code>{escape(csv_path.name)}</code></a>"
        )
        out.append(
            f"<h4>Per replication ({escape(table.where)}): {len(table.rows)} rows, first and "
            f"last shown; all rows: {link}</h4>" + _table(list(table.header), rows)
        )
    return "".join(out)


def _check_section(
    check: dict[str, Any],
    pngs: list[Path],
    severity: list[SeverityRow] | None = None,
    replications: list[tuple[ReplicationTable, Path]] | None = None,
) -> str:
    text = Explanation.of(check["details"])
    facts = [
        ("statistic", _fmt(check["statistic"])),
        ("statistic is", text.statistic_name),
        ("threshold", _fmt(check["threshold"])),
        ("stated false-alarm rate", _fmt(check["false_alarm_rate"])),
        ("size", text.size_summary and f"{_fmt(check['size'])}: {text.size_summary}"),
        ("reason", text.reason),
        ("candidate error", text.candidate_error),
        ("seed", _fmt(check["seed"])),
        ("candidate", _fmt(check.get("candidate"))),
        ("seconds", f"{check['seconds']:.2f}"),
    ]
    rows = [[escape(k), escape(str(v))] for k, v in facts if v]
    return (
        f'<section class="check" id="{_anchor(check["name"])}">'
        f"<h3><code>{escape(check['name'])}</code> ({escape(check['kind'])}): "
        f"{_status(check['status'])}</h3>"
        + _table(["", "value"], rows)
        + _severity(severity or [])
        + "".join(_image(p) for p in pngs)
        + _replications(replications or [])
        + "</section>"
    )


def _power(power: list[PowerRow] | None, power_png: Path | None) -> str:
    if not power:
        return ""
    rows = [
        [
            f"<code>{escape(p.entry)}</code>",
            f"<code>{escape(p.check)}</code>",
            str(p.n_seeds),
            str(p.detections),
            f"{p.rate:.3f}",
            f"[{p.ci_low:.3f}, {p.ci_high:.3f}]",
            escape(_fmt(p.min_detection)),
        ]
        for p in power
    ]
    header = ["entry", "caught by", "seeds", "detected", "rate", "95% CI", "target"]
    chart = _image(power_png) if power_png else ""
    return "<h2>Known-bug catalogue: detection power</h2>" + _table(header, rows) + chart


def _false_alarms(fa: FalseAlarmResult | None) -> str:
    if not fa:
        return ""
    return (
        "<h2>False alarms of the quick suite on the correct estimators</h2>"
        f"<p>{fa.any_failed} of {fa.n_seeds} suite runs had a failing check: rate "
        f"{fa.rate:.4f}, 95% CI [{fa.ci_low:.4f}, {fa.ci_high:.4f}] (Bonferroni bound "
        f"{fa.nominal_bound:.4f}).</p>"
    )


def _environment(report: dict[str, Any]) -> str:
    env = report["environment"]
    rows = [
        ["Python", escape(env["python"])],
        ["platform", escape(env["platform"])],
        ["machine", escape(env["machine"])],
        *([escape(k), escape(_fmt(v))] for k, v in env["packages"].items()),
        ["MCMC backend(s)", escape(", ".join(report["mcmc_backends"]) or "none used")],
        ["base seed", escape(str(report["seed"]))],
    ]
    seeds = [
        [f"<code>{escape(c['name'])}</code>", escape(_fmt(c["seed"]))] for c in report["checks"]
    ]
    return (
        "<h2>Environment</h2>"
        + _table(["", "version"], rows)
        + "<h2>Seeds</h2><p>Each check's seed is derived from the base seed and its name "
        "(<code>validation.families.check_seed</code>).</p>" + _table(["check", "seed"], seeds)
    )


def render_html(
    report: dict[str, Any],
    figures: dict[str, list[Path]],
    power_png: Path | None = None,
    power: list[PowerRow] | None = None,
    false_alarms: FalseAlarmResult | None = None,
    severity: dict[str, list[SeverityRow]] | None = None,
    replications: dict[str, list[tuple[ReplicationTable, Path]]] | None = None,
) -> str:
    """The whole page for ``report`` (a :func:`build_report` dict); ``figures`` maps a check
    name to the PNG files drawn for it (read and embedded here); ``power`` and
    ``false_alarms`` are the measured catalogue power and suite false alarms, if any;
    ``severity`` the stored severity rows and ``replications`` the per-replication tables
    (each with its CSV file, embedded here) by check name."""
    severity, replications = severity or {}, replications or {}
    s = report["summary"]
    title = f"Validation audit: {report['suite']} suite, seed {report['seed']}"
    candidates = ", ".join(report.get("user_candidates") or []) or "production"
    overview = [
        ["started", escape(f"{report['started_utc']} ({report['seconds']:.1f} s)")],
        ["reproduce", f"<code>{escape(report['command'])}</code>"],
        ["candidates", f"<code>{escape(candidates)}</code>"],
        ["gate checks", escape(", ".join(f"{n} {k}" for k, n in s["gate"].items()))],
        ["adequacy checks", escape(", ".join(f"{n} {k}" for k, n in s["adequacy"].items()))],
        ["findings", escape(", ".join(f"{n} {k}" for k, n in s["findings"].items()))],
        ["exit code", escape(str(s["exit_code"]))],
    ]
    sections = "".join(
        _check_section(
            c, figures.get(c["name"], []), severity.get(c["name"]), replications.get(c["name"])
        )
        for c in report["checks"]
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{escape(title)}</h1>"
        + _table(["", ""], overview)
        + "<h2>Summary</h2>"
        + _summary(report)
        + "<h2>Checks</h2>"
        + sections
        + _power(power, power_png)
        + _false_alarms(false_alarms)
        + _environment(report)
        + "</body></html>\n"
    )
