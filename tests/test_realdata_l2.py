"""L2 market-kappa audit on the LOBSTER level-5/10 archives: exact check passes on the
production estimator, fails on injected bad fits; missing data is INCONCLUSIVE."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import online.l2_kappa as l2
from validation.realdata.l2_kappa import ARCHIVES, EXACT_TOL, audit_l2_kappa
from validation.results import Status

DATA = Path(__file__).resolve().parents[2] / "shared/data/lobster"
needs_data = pytest.mark.skipif(
    not all(any(DATA.glob(f"*_{t}_*_{lv}.zip")) for t, lv in ARCHIVES),
    reason=f"LOBSTER level-5/10 archives not found in {DATA}",
)
QUICK = {"max_snapshots": 4000, "n_exact": 400}
REAL_FIT = l2.fit_side


@needs_data
def test_exact_check_passes_on_production_estimator():
    results = audit_l2_kappa(DATA, seed=3, **QUICK)
    assert [r.name for r in results] == [
        f"realdata.l2_kappa.{t}_{lv}.fit_exact" for t, lv in ARCHIVES
    ]
    for r in results:
        assert r.status is Status.PASS, r.details
        assert r.statistic <= EXACT_TOL and r.details["n_sides_compared"] == 800
        depth = r.details["depth_model"]
        assert depth["n_snapshots"] == 4000
        assert 0.0 <= depth["fallback_rate"] <= 1.0
        q = depth["smoothed_kappa_quantiles"]
        assert 50.0 <= q["q01"] <= q["q50"] <= q["q99"] <= 10_000.0
        assert depth["trade_kappa"]["n_trades"] > 0


def _through_origin(distances, sizes, **kw):
    """Bug: slope without centring, sum(x y) / sum(x^2) (a line forced through the origin)."""
    fit = REAL_FIT(distances, sizes, **kw)
    d, s = np.asarray(distances), np.asarray(sizes)
    occ = s > 0
    if fit.n_levels < 2 or math.isnan(fit.slope):
        return fit
    x, y = d[occ], np.log(s[occ])
    slope = float(x @ y / (x @ x))
    return l2.BookFit(slope, fit.intercept, fit.r_squared, fit.n_levels, fit.usable)


def _in_bp(distances, sizes, **kw):
    """Bug: distances in basis points instead of fractions of the mid."""
    return REAL_FIT(np.asarray(distances) * 1e4, sizes, **kw)


@needs_data
@pytest.mark.parametrize("bad", [_through_origin, _in_bp], ids=["through_origin", "bp"])
def test_exact_check_fails_on_injected_bad_fit(monkeypatch, bad):
    monkeypatch.setattr(l2, "fit_side", bad)
    results = audit_l2_kappa(DATA, seed=3, archives=(("GOOG", 10),), **QUICK)
    assert results[0].status is Status.FAIL
    assert results[0].statistic > 1e-3


def test_missing_archives_are_inconclusive(tmp_path):
    results = audit_l2_kappa(tmp_path, seed=0)
    assert len(results) == len(ARCHIVES)
    for r, (ticker, levels) in zip(results, ARCHIVES, strict=True):
        assert r.status is Status.INCONCLUSIVE
        assert f"{ticker}_<date>_{levels}.zip" in r.details["reason"]


def test_unreadable_archive_is_inconclusive(tmp_path):
    (tmp_path / "LOBSTER_SampleFile_GOOG_2012-06-21_5.zip").write_bytes(b"not a zip")
    (result,) = audit_l2_kappa(tmp_path, seed=0, archives=(("GOOG", 5),))
    assert result.status is Status.INCONCLUSIVE
    assert "unreadable" in result.details["reason"]


@needs_data
@pytest.mark.slow
def test_full_day_audit_passes_in_under_a_minute_per_archive():
    for r in audit_l2_kappa(DATA, seed=0):
        assert r.status is Status.PASS, r.details
        assert r.seconds < 60.0
