"""Report panels of the calibration checks added beside the SBC ECDF and coverage figures.

``recovery_contraction``: for an SBC check (exact PIT or MCMC ranks: each
:class:`~validation.calibration.pit.ReplicationMoments` in its details, e.g. one per checkpoint
or per parameter), one row of two panels: recovery, the posterior mean against the simulated
parameter (log-log, identity line), and posterior contraction 1 - sd_post^2 / Var(theta) (Var
over all the replications' simulated theta, i.e. the marginal variance of the prior theta is
drawn from) against the posterior z-score (mean - theta) / sd (Schad, Betancourt and Vasishth
2021): a calibrated posterior keeps |z| mostly below 2 at every contraction, an over-confident
one spreads z at high contraction, a biased one shifts it. Only usable replications are drawn
and counted (an MCMC fit that failed its gate has no posterior moments).

``reliability_diagram``: the CORP reliability diagram of a binary-calibration check
(:mod:`validation.calibration.binary`): the PAV-recalibrated probability against the forecast,
the diagonal, the pointwise consistency band of calibrated forecasts, and MCB / DSC / UNC with
the resampling p-value, from the :class:`~validation.calibration.binary.MiscalibrationTest` in
the details (found by type); Agg backend (via
:mod:`validation.report.plots`).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from validation.calibration.binary import BAND_LEVEL, MiscalibrationTest, curve_index
from validation.calibration.pit import ReplicationMoments
from validation.report.plots import _slug
from validation.results import CheckResult


def recovery_contraction(result: CheckResult, out_dir: Path) -> Path | None:
    """Recovery and contraction-vs-z panels (module docstring), one row per
    :class:`ReplicationMoments` part; None without one."""
    parts = result.parts(ReplicationMoments)
    if not parts:
        return None
    fig, axes = plt.subplots(len(parts), 2, figsize=(9.4, 4.0 * len(parts)), squeeze=False)
    for (where, moments), (left, right) in zip(parts, axes, strict=True):
        ok = moments.usable_flags
        theta, mean, sd = moments.theta[ok], moments.posterior_mean[ok], moments.posterior_sd[ok]
        contraction = 1.0 - sd**2 / np.var(moments.theta)
        z = moments.z[ok]
        left.set_title(f"recovery: {ok.sum()} of {ok.size} replications usable", fontsize=9)
        if not ok.any():
            continue
        left.loglog(theta, mean, ".", ms=2, alpha=0.4, color="tab:blue")
        ends = [float(np.min(theta)), float(np.max(theta))]
        left.plot(ends, ends, color="grey", lw=0.8, label="posterior mean = simulated")
        left.set_xlabel(f"simulated parameter ({where})")
        left.set_ylabel("posterior mean")
        left.legend(fontsize=7)
        right.plot(contraction, z, ".", ms=2, alpha=0.4, color="tab:blue")
        for level in (-2.0, 2.0):
            right.axhline(level, color="grey", lw=0.8, ls="--")
        right.set_xlabel("posterior contraction 1 - sd^2 / Var(theta)")
        right.set_ylabel("z = (mean - theta) / sd")
        outside = float(np.mean(np.abs(z) > 2.0))
        right.set_title(f"contraction vs z-score: {100 * outside:.1f}% with |z| > 2", fontsize=9)
    fig.suptitle(f"{result.name}: {result.status.value}", fontsize=10)
    fig.tight_layout()
    path_out = out_dir / f"{_slug(result.name)}_recovery.png"
    fig.savefig(path_out, dpi=110)
    plt.close(fig)
    return path_out


def reliability_diagram(result: CheckResult, out_dir: Path) -> Path | None:
    """CORP reliability diagram(s), one panel per :class:`MiscalibrationTest` in the details."""
    panels = result.parts(MiscalibrationTest)
    if not panels:
        return None
    fig, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels), 4.4), squeeze=False)
    for ax, (path, test) in zip(axes[0], panels, strict=True):
        d = test.decomposition
        keep = curve_index(d.forecast.size)
        x = d.forecast[keep]
        ax.fill_between(
            x,
            test.band_low,
            test.band_high,
            step="post",
            color="tab:blue",
            alpha=0.2,
            label=f"{100 * BAND_LEVEL:.0f}% consistency band",
        )
        ax.step(x, d.recalibrated[keep], where="post", color="tab:red", label="CORP (PAV)")
        ax.plot([0.0, 1.0], [0.0, 1.0], color="grey", lw=0.8, label="calibrated")
        ax.set_xlim(0.0, 1.0)
        ax.set_ylim(0.0, 1.0)
        ax.set_xlabel("forecast probability")
        ax.set_ylabel("conditional event probability (PAV)")
        ax.set_title(
            f"{path.rsplit('.reliability', 1)[0] or 'reliability'}: MCB {d.mcb:.2e}, "
            f"DSC {d.dsc:.2e}, UNC {d.unc:.2e}\np-value {test.p_value:.3g} "
            f"(alpha {test.alpha:g}, {test.resampled_mcb.size} resamples)",
            fontsize=8,
        )
        ax.legend(fontsize=7, loc="upper left")
    fig.suptitle(f"{result.name}: {result.status.value}", fontsize=10)
    fig.tight_layout()
    path_out = out_dir / f"{_slug(result.name)}_reliability.png"
    fig.savefig(path_out, dpi=110)
    plt.close(fig)
    return path_out


FIGURES = (recovery_contraction, reliability_diagram)
