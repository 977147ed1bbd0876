"""Write a shadow comparison to ``shadow.json``, ``shadow.md`` and ``shadow.png``.

``shadow.json`` holds the summary, the run settings and the replay counts (NaN written as
``null``); ``shadow.md`` the same as tables; ``shadow.png`` three panels against the time of day
(hh:mm): kappa (1 / fraction of mid), sigma (log price per sqrt(s), in bp), GLFT half-spread
(bp), each with the V1 and V2 series; the y axes show the 1-99% range of the samples.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from validation.shadow.run import ShadowResult


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_shadow_report(result: ShadowResult, out_dir: str | Path) -> dict[str, Path]:
    """Write the three files into ``out_dir`` (created if needed); returns their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / "shadow.json", "md": out / "shadow.md", "png": out / "shadow.png"}
    payload = {"summary": result.summary, "replay_stats": result.replay_stats}
    paths["json"].write_text(json.dumps(_jsonable(payload), indent=2, allow_nan=False) + "\n")
    paths["md"].write_text(_markdown(result))
    _plot(result.frame, result.summary.get("settings", {}), paths["png"])
    return paths


def _fmt(x: float, spec: str = ".4g") -> str:
    return (
        "n/a" if x is None or (isinstance(x, float) and not math.isfinite(x)) else format(x, spec)
    )


def _markdown(result: ShadowResult) -> str:
    s = result.summary
    settings = s.get("settings", {})
    lines = [
        f"# Shadow comparison V1 vs V2: {settings.get('ticker', '?')} {settings.get('date', '')}",
        "",
        "GLFT half-spread = (1/gamma) ln(1 + gamma/kappa) + 0.5 gamma sigma^2 T + fee, with "
        f"gamma = {settings.get('gamma')} (1 / fraction of mid), "
        f"T = {settings.get('horizon_s')} s, "
        f"fee = {settings.get('fee_bps')} bp; books fed at most every "
        f"{settings.get('book_interval_ms')} ms; sampled every {settings.get('every_ms')} ms.",
        "",
        f"Samples: {s['n_samples']}.",
        "",
        "| statistic | median | 5% | 95% | n |",
        "|---|---|---|---|---|",
    ]
    for key, label in (
        ("log_kappa_ratio", "ln(kappa_v2 / kappa_v1)"),
        ("sigma_ratio", "sigma_v2 / sigma_v1"),
        ("half_spread_diff_bps", "half-spread v2 - v1 (bp)"),
    ):
        q = s[key]
        lines.append(
            f"| {label} | {_fmt(q['median'])} | {_fmt(q['q05'])} | {_fmt(q['q95'])} | {q['n']} |"
        )
    lines += [
        "",
        f"Fraction of samples whose half-spreads differ by more than "
        f"{s['quote_diff_threshold_bps']} bp: {_fmt(s['fraction_quotes_differ'], '.3f')}.",
        "",
        f"Largest differences (after the first {s['warm_up_ms'] / 60_000:g} minutes of quotes):",
        "",
        "| time | v2 - v1 (bp) | V1 (bp) | V2 (bp) |",
        "|---|---|---|---|",
    ]
    for row in s["largest_differences"]:
        lines.append(
            f"| {row['time']} | {_fmt(row['diff_bps'], '.3f')} | "
            f"{_fmt(row['half_spread_v1_bps'], '.3f')} | {_fmt(row['half_spread_v2_bps'], '.3f')} |"
        )
    lines += ["", "Replay counts:", "", "| count | value |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in result.replay_stats.items()]
    return "\n".join(lines) + "\n"


def _clip_to_bulk(ax: plt.Axes, values: pd.DataFrame) -> None:
    """y range = the 1%-99% quantiles of both series widened by 20%, so that the start-up
    transient (a few extreme seconds while the estimators warm up) does not flatten the rest;
    the title of the figure says so."""
    finite = values.to_numpy().ravel()
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        return
    lo, hi = np.quantile(finite, [0.01, 0.99])
    pad = 0.2 * (hi - lo) if hi > lo else 0.1 * abs(hi) + 1e-12
    ax.set_ylim(lo - pad, hi + pad)


def _plot(frame: pd.DataFrame, settings: dict[str, Any], path: Path) -> None:
    times = pd.to_datetime(frame["time_ms"], unit="ms")  # ms after midnight on 1970-01-01
    fig, axes = plt.subplots(3, 1, figsize=(11, 9), sharex=True)
    panels = (
        ("kappa", 1.0, "kappa (1 / fraction of mid)"),
        ("sigma", 1e4, "sigma (bp per sqrt(s))"),
        ("half_spread", 1.0, "GLFT half-spread (bp)"),
    )
    for ax, (name, scale, label) in zip(axes, panels, strict=True):
        suffix = "_bps" if name == "half_spread" else ""
        for version, style in (("v1", "-"), ("v2", "-")):
            ax.plot(
                times,
                frame[f"{name}_{version}{suffix}"] * scale,
                style,
                lw=0.7,
                label=version.upper(),
            )
        ax.set_ylabel(label)
        _clip_to_bulk(ax, frame[[f"{name}_v1{suffix}", f"{name}_v2{suffix}"]] * scale)
        ax.legend(loc="upper right")
        ax.grid(alpha=0.3)
    axes[-1].set_xlabel("time of day (hh:mm)")
    axes[-1].xaxis.set_major_formatter(mdates.DateFormatter("%H:%M"))
    fig.suptitle(
        f"Shadow V1 vs V2: {settings.get('ticker', '')} {settings.get('date', '')} "
        f"(gamma={settings.get('gamma')}, T={settings.get('horizon_s')} s; "
        "y axes show the 1-99% range)"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
