"""Report panels of the calibration checks added beside the SBC ECDF and coverage figures.

``reliability_diagram``: the CORP reliability diagram of a binary-calibration check
(:mod:`validation.calibration.binary`): the PAV-recalibrated probability against the forecast,
the diagonal, the pointwise consistency band of calibrated forecasts, and MCB / DSC / UNC with
the resampling p-value. Drawn from ``details["reliability"]``; Agg backend (via
:mod:`validation.report.plots`).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from validation.report.plots import _find, _slug
from validation.results import CheckResult


def reliability_diagram(result: CheckResult, out_dir: Path) -> Path | None:
    """CORP reliability diagram(s), one panel per ``reliability`` entry of the details."""
    panels = [
        (path, r)
        for path, r in _find(result.details, "reliability")
        if isinstance(r, dict) and "curve_recalibrated" in r
    ]
    if not panels:
        return None
    fig, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels), 4.4), squeeze=False)
    for ax, (path, r) in zip(axes[0], panels, strict=True):
        x = np.asarray(r["curve_forecast"], dtype=float)
        ax.fill_between(
            x,
            r["band_low"],
            r["band_high"],
            step="post",
            color="tab:blue",
            alpha=0.2,
            label=f"{100 * r['band_level']:.0f}% consistency band",
        )
        ax.step(x, r["curve_recalibrated"], where="post", color="tab:red", label="CORP (PAV)")
        ax.plot([0.0, 1.0], [0.0, 1.0], color="grey", lw=0.8, label="calibrated")
        ax.set_xlim(0.0, 1.0)
        ax.set_ylim(0.0, 1.0)
        ax.set_xlabel("forecast probability")
        ax.set_ylabel("conditional event probability (PAV)")
        ax.set_title(
            f"{path.rsplit('.reliability', 1)[0] or 'reliability'}: MCB {r['mcb']:.2e}, "
            f"DSC {r['dsc']:.2e}, UNC {r['unc']:.2e}\np-value {r['p_value']:.3g} "
            f"(alpha {r['alpha']:g}, {r['n_resamples']} resamples)",
            fontsize=8,
        )
        ax.legend(fontsize=7, loc="upper left")
    fig.suptitle(f"{result.name}: {result.status.value}", fontsize=10)
    fig.tight_layout()
    path_out = out_dir / f"{_slug(result.name)}_reliability.png"
    fig.savefig(path_out, dpi=110)
    plt.close(fig)
    return path_out


FIGURES = (reliability_diagram,)
