"""Report figures, drawn from the typed parts a check stores in ``CheckResult.details``.

Parts are found by type (:meth:`validation.results.CheckResult.parts`) and read by attribute:
:class:`~validation.calibration.uniformity.EcdfBandTest` (ECDF difference plot),
:class:`~validation.calibration.coverage.CoverageTable` (coverage plot) and
:class:`~validation.agreement.posterior.PosteriorOverlay` (online vs MCMC posterior). Each
function returns the written PNG path, or None when the result carries no data of that kind.
Matplotlib runs with the non-interactive Agg backend.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from validation.agreement.posterior import PosteriorOverlay
from validation.calibration.coverage import CoverageTable
from validation.calibration.uniformity import EcdfBandTest
from validation.catalogue.power import PowerRow
from validation.results import CheckResult


def _slug(name: str) -> str:
    return name.replace(".", "_").replace("/", "_")


def ecdf_difference(result: CheckResult, out_dir: Path) -> Path | None:
    """SBC ECDF-difference plot(s): ECDF(u) - u with the simultaneous band, one panel each."""
    bands = result.parts(EcdfBandTest)
    if not bands:
        return None
    fig, axes = plt.subplots(1, len(bands), figsize=(5.2 * len(bands), 3.6), squeeze=False)
    for ax, (path, band) in zip(axes[0], bands, strict=True):
        lower, upper = band.band_minus_uniform
        ax.fill_between(
            band.grid,
            lower,
            upper,
            color="tab:blue",
            alpha=0.2,
            step="mid",
            label=f"{100 * band.family_wise_level:.2f}% simultaneous band",
        )
        ax.step(band.grid, band.ecdf_minus_uniform, where="mid", color="black", label="ECDF - u")
        ax.axhline(0.0, color="grey", lw=0.8)
        ax.set_xlabel("fractional rank / PIT u")
        ax.set_ylabel("ECDF(u) - u")
        where = path.removesuffix(".band")
        where = "" if where == "uniformity" else where.removesuffix(".uniformity")
        ax.set_title(where or "SBC", fontsize=9)
        ax.legend(fontsize=7, loc="lower left")
    fig.suptitle(f"{result.name}: {result.status.value}", fontsize=10)
    fig.tight_layout()
    path_out = out_dir / f"{_slug(result.name)}_ecdf.png"
    fig.savefig(path_out, dpi=110)
    plt.close(fig)
    return path_out


def coverage(result: CheckResult, out_dir: Path) -> Path | None:
    """Empirical vs nominal coverage per interval kind, with the binomial acceptance bands."""
    tables = [(p, table.rows) for p, table in result.parts(CoverageTable) if table.rows]
    if not tables:
        return None
    fig, axes = plt.subplots(1, len(tables), figsize=(5.2 * len(tables), 3.6), squeeze=False)
    for ax, (path, rows) in zip(axes[0], tables, strict=True):
        kinds = sorted({r.kind for r in rows})
        for k, kind in enumerate(kinds):
            sel = [r for r in rows if r.kind == kind]
            x = np.array([r.nominal for r in sel]) + (k - 1) * 0.012
            emp = np.array([r.empirical for r in sel])
            lo = emp - np.array([r.band_low for r in sel])
            hi = np.array([r.band_high for r in sel]) - emp
            colour = f"C{k}"
            ax.vlines(x, emp - lo, emp + hi, color=colour, alpha=0.3, lw=6)
            ax.plot(x, emp, "o", color=colour, label=f"{kind} interval")
        ax.plot([0.4, 1.0], [0.4, 1.0], color="grey", lw=0.8, label="nominal")
        ax.set_xlabel("nominal coverage")
        ax.set_ylabel("empirical coverage")
        ax.set_title(path.removesuffix("coverage").rstrip("._") or "coverage", fontsize=9)
        ax.legend(fontsize=7)
    fig.suptitle(f"{result.name}: empirical coverage, bars = binomial acceptance band", fontsize=10)
    fig.tight_layout()
    path_out = out_dir / f"{_slug(result.name)}_coverage.png"
    fig.savefig(path_out, dpi=110)
    plt.close(fig)
    return path_out


def posterior_overlay(result: CheckResult, out_dir: Path) -> Path | None:
    """Online posterior vs the MCMC draws: per-bin probability mass of both."""
    overlays = result.parts(PosteriorOverlay)
    if not overlays:
        return None
    fig, axes = plt.subplots(1, len(overlays), figsize=(5.2 * len(overlays), 3.6), squeeze=False)
    for ax, (path, ov) in zip(axes[0], overlays, strict=True):
        edges = np.asarray(ov.edges, dtype=float)
        centres = 0.5 * (edges[1:] + edges[:-1])
        width = np.diff(edges)
        ax.bar(centres, ov.reference_mass, width=width, alpha=0.4, label="MCMC draws")
        ax.step(centres, ov.candidate_mass, where="mid", color="black", label="online")
        ax.set_xlabel(ov.variable)
        ax.set_ylabel("probability per bin")
        ax.set_title(path.rsplit(".overlay", 1)[0] or "posterior", fontsize=9)
        ax.legend(fontsize=7)
    fig.suptitle(f"{result.name}: online vs MCMC posterior", fontsize=10)
    fig.tight_layout()
    path_out = out_dir / f"{_slug(result.name)}_overlay.png"
    fig.savefig(path_out, dpi=110)
    plt.close(fig)
    return path_out


def power_chart(rows: list[PowerRow], out_dir: Path) -> Path | None:
    """Detection rate per catalogue entry with its 95% Clopper-Pearson interval."""
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(7.5, 0.45 * len(rows) + 1.2))
    y = np.arange(len(rows))
    rate = np.array([r.rate for r in rows])
    err = np.array([[r.rate - r.ci_low for r in rows], [r.ci_high - r.rate for r in rows]])
    ax.errorbar(rate, y, xerr=err, fmt="o", color="tab:red")
    ax.axvline(0.99, color="grey", ls="--", lw=0.8, label="target 0.99")
    ax.set_yticks(y, [r.entry for r in rows], fontsize=8)
    ax.set_xlim(-0.02, 1.02)
    ax.set_xlabel("detection rate (95% Clopper-Pearson)")
    ax.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    path_out = out_dir / "catalogue_power.png"
    fig.savefig(path_out, dpi=110)
    plt.close(fig)
    return path_out


FIGURES = (ecdf_difference, coverage, posterior_overlay)
