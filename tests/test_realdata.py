"""Real-data audit of market kappa (LOBSTER) and its posterior predictive check machinery."""

from __future__ import annotations

import hashlib
import math
import os
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from online.conjugate_kappa import ConjugateKappaConfig
from online.gamma_posterior import GammaPosterior
from validation.baseline import accept
from validation.data import load_lobster, trade_distances
from validation.realdata import audit_market_kappa, exponential_ppc, offset_ppc
from validation.realdata.market_kappa import level1_archive, window_ends
from validation.realdata.ppc import (
    PPP_THRESHOLD,
    measure_false_alarm_rate,
    statistics,
    two_sided_ppp,
)
from validation.results import Kind, Status
from validation.verdict import FindingStatus, classify

A0, B0, FLOOR = 5.0, 5.0 / 2500.0, 1e-5
H = 0.86e-4  # half-spread (fraction of mid), about one AAPL tick


def _data_dir() -> Path:
    default = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "lobster"
    return Path(os.environ.get("LOBSTER_DATA_DIR", default))


def _aapl_dir() -> Path:
    directory = _data_dir()
    if level1_archive(directory, "AAPL") is None:
        pytest.skip(f"LOBSTER AAPL level-1 archive not found in {directory} (LOBSTER_DATA_DIR)")
    return directory


def _small_settings():
    """2 chains x 1000 draws: with 2 x 500 the bulk ESS of this fit was 323, below the
    convergence gate's 400, which makes the check INCONCLUSIVE (by design, never PASS)."""
    from reference_models.sampling import SamplerSettings

    return SamplerSettings(draws=1000, tune=500, chains=2)


# --------------------------------------------------------------------------- PPC primitives


def test_statistics_match_numpy_on_a_small_sample() -> None:
    d = np.array([1.0, 2.0, 4.0, 9.0])
    cv, below, mx = statistics(d, threshold=3.0)
    assert cv == pytest.approx(np.std(d, ddof=1) / 4.0)
    assert below == 0.5
    assert mx == pytest.approx(9.0 / 4.0)


def test_two_sided_ppp_counts() -> None:
    rep = np.arange(1.0, 100.0)  # 99 replicates 1..99
    assert two_sided_ppp(80.0, rep) == pytest.approx(2 * 21 / 100)
    assert two_sided_ppp(50.0, rep) == 1.0  # 2 * 51 / 100 capped at 1
    assert two_sided_ppp(1000.0, rep) == pytest.approx(2 / 100)
    assert two_sided_ppp(-5.0, rep) == pytest.approx(2 / 100)


def _exp_ppc(d: np.ndarray, seed: int):
    d = np.maximum(d, FLOOR)
    post = GammaPosterior(A0 + d.size, B0 + math.fsum(d))
    return exponential_ppc(
        d, np.full(d.size, H), post, min_distance=FLOOR, rng=np.random.default_rng(seed)
    )


def test_exponential_ppc_passes_on_exponential_data() -> None:
    rng = np.random.default_rng(11)
    res = _exp_ppc(rng.exponential(0.85e-4, size=450), seed=12)
    assert not res.rejected, res.ppp
    assert res.min_ppp >= PPP_THRESHOLD


def test_exponential_ppc_fails_on_gamma_data_with_cv_066() -> None:
    rng = np.random.default_rng(11)
    shape = 2.3  # CV = 1 / sqrt(2.3) = 0.66, as in the LOBSTER distances
    res = _exp_ppc(rng.gamma(shape, 0.85e-4 / shape, size=450), seed=12)
    assert res.rejected
    assert res.ppp["cv"] < PPP_THRESHOLD
    assert res.observed["cv"] == pytest.approx(0.66, abs=0.06)


def _offset_data(rng, n, inside):
    """At the touch w.p. 2/3, else improvement x from ``inside(rng, n)``; d = max(h - x, 0)."""
    touch = rng.random(n) < 2.0 / 3.0
    x = inside(rng, n)
    return np.where(touch, H, np.maximum(H - x, 0.0)), np.full(n, H), touch


def _off_ppc(d, h, touch, seed):
    return offset_ppc(
        d,
        h,
        touch,
        prior_alpha=A0,
        prior_beta=B0,
        min_distance=FLOOR,
        rng=np.random.default_rng(seed),
    )


def test_offset_ppc_passes_on_data_from_the_offset_model() -> None:
    d, h, touch = _offset_data(
        np.random.default_rng(21), 450, lambda r, n: r.exponential(0.5 * H, size=n)
    )
    res = _off_ppc(d, h, touch, seed=22)
    assert not res.rejected, res.ppp
    # conjugate posterior of the mid-censored exponential, recomputed from the raw data
    inside = ~touch
    n_mid = int(np.sum(d[inside] == 0.0))
    assert res.posterior["kappa_inside_alpha"] == A0 + inside.sum() - n_mid
    assert res.posterior["kappa_inside_beta"] == pytest.approx(B0 + np.sum(H - d[inside]))


def test_offset_ppc_fails_when_inside_trades_are_all_near_the_touch() -> None:
    # improvements uniform on [0, 0.2 h]: no trade near the mid, so the Exp tail is wrong
    d, h, touch = _offset_data(
        np.random.default_rng(21), 450, lambda r, n: r.uniform(0.0, 0.2 * H, size=n)
    )
    res = _off_ppc(d, h, touch, seed=22)
    assert res.rejected, res.ppp


@pytest.mark.audit
def test_ppc_false_alarm_rates_on_correct_models() -> None:
    for model in ("exponential", "offset"):
        rate = measure_false_alarm_rate(model, 200)
        assert rate.ci_low <= 3 * PPP_THRESHOLD, rate


# --------------------------------------------------------------------------- real data


def test_window_ends_are_deterministic_and_one_per_slice() -> None:
    t = np.array([0, 10_000_000])
    a = window_ends(t, 4, 300_000, seed=5, ticker="AAPL")
    assert a == window_ends(t, 4, 300_000, seed=5, ticker="AAPL")
    assert a != window_ends(t, 4, 300_000, seed=6, ticker="AAPL")
    edges = np.linspace(300_000, 10_000_000, 5)
    for k, end in enumerate(a):
        assert edges[k] <= end <= edges[k + 1]


@pytest.fixture(scope="module")
def aapl_results():
    return audit_market_kappa(
        _aapl_dir(), seed=7, n_windows=1, tickers=("AAPL",), sampler_settings=_small_settings()
    )


def test_aapl_audit_returns_three_finite_checks(aapl_results) -> None:
    names = [r.name for r in aapl_results]
    assert names == [
        "realdata.market_kappa_vs_mcmc.AAPL",
        "realdata.market_kappa_ppc.AAPL",
        "realdata.offset_model_ppc.AAPL",
    ]
    for r in aapl_results:
        assert math.isfinite(r.statistic)
        assert r.to_dict()["details"]["windows"]


def test_aapl_online_posterior_is_the_conjugate_posterior_of_the_window(aapl_results) -> None:
    # independent recomputation from the raw archive: trades in (T - 5 min, T], floored
    agreement = aapl_results[0]
    (window,) = agreement.details["windows"]
    end = window["window_end_ms"]
    td = trade_distances(load_lobster(level1_archive(_data_dir(), "AAPL")))
    m = (td.time_ms > end - 300_000) & (td.time_ms <= end)
    d = np.maximum(td.distance[m], FLOOR)
    exact = stats.gamma(a=A0 + d.size, scale=1.0 / (B0 + math.fsum(d)))
    post = window["online_posterior"]
    assert window["n_online"] == window["n_reference"] == d.size
    assert post["mean"] == pytest.approx(exact.mean(), rel=1e-9)
    assert post["ci95_low"] == pytest.approx(exact.ppf(0.025), rel=1e-9)
    assert window["mcmc_mean"] == pytest.approx(exact.mean(), abs=4 * exact.std() / 20)


def test_aapl_agreement_passes(aapl_results) -> None:
    agreement = aapl_results[0]
    assert agreement.status is Status.PASS, agreement.details
    assert agreement.statistic <= 1.0


@pytest.fixture(scope="module")
def one_minute_results():
    """Known-bad candidate: same stream, 1-minute window instead of the production 5 minutes."""
    return audit_market_kappa(
        _aapl_dir(),
        seed=7,
        n_windows=1,
        tickers=("AAPL",),
        sampler_settings=_small_settings(),
        config=ConjugateKappaConfig(window_ms=60_000),
    )


def test_aapl_agreement_fails_for_a_one_minute_window_estimator(one_minute_results) -> None:
    assert one_minute_results[0].status is Status.FAIL


def test_aapl_exponential_model_is_rejected(aapl_results) -> None:
    ppc = aapl_results[1]
    assert ppc.status is Status.FAIL
    (window,) = ppc.details["windows"]
    assert window["observed"]["cv"] < 0.8 < window["replicated_mean"]["cv"]
    assert "misspecified" in ppc.details["verdict"]


def test_aapl_checks_have_their_kind_and_name_their_archive(aapl_results) -> None:
    assert [r.kind for r in aapl_results] == [Kind.GATE, Kind.ADEQUACY, Kind.ADEQUACY]
    raw = level1_archive(_data_dir(), "AAPL").read_bytes()
    for r in aapl_results:
        (data,) = r.data_files
        assert data.name == level1_archive(_data_dir(), "AAPL").name
        assert (data.bytes, data.sha256) == (len(raw), hashlib.sha256(raw).hexdigest())


def test_aapl_exponential_finding_size_is_the_cv_distance_outside_the_band(aapl_results) -> None:
    ppc = aapl_results[1]
    (window,) = ppc.details["windows"]
    lo, hi = window["replicated_q005"]["cv"], window["replicated_q995"]["cv"]
    cv_excess = (lo - window["observed"]["cv"]) / (hi - lo)
    assert cv_excess > 1.0  # observed CV more than one band width below the band
    assert ppc.size >= cv_excess
    assert ppc.size == max(window["band_excess"].values())
    assert f"{window['observed']['cv']:.4g}" in ppc.details["size_summary"]


def test_accepted_real_findings_pass_but_a_gate_failure_among_them_fails(
    aapl_results, one_minute_results
) -> None:
    baseline = accept(aapl_results, "exponential distances rejected: half-spread offset")
    verdict = classify(aapl_results, baseline)
    assert verdict.findings and verdict.exit_code == 0
    assert all(f.status is FindingStatus.ACCEPTED for f in verdict.findings)
    # the 1-minute-window estimator's own findings accepted: its agreement failure still fails
    bad_baseline = accept(one_minute_results, "accepted to hide a defect")
    bad = classify(one_minute_results, bad_baseline)
    assert all(f.status is FindingStatus.ACCEPTED for f in bad.findings)
    assert bad.gate_failures == ["realdata.market_kappa_vs_mcmc.AAPL"]
    assert bad.exit_code == 1
