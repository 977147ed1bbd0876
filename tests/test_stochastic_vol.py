"""Tests of online.stochastic_vol: batch weighted regressions and recovery on simulated paths."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import special, stats

from online.errors import InvalidInputError, StateDictError
from online.stochastic_vol import StochasticVolConfig, StochasticVolParams, log_chi2_offset
from validation.agreement.stochastic_vol import (
    MU,
    batch_sv_fit,
    log_variance_proxies,
    simulate_sv_returns,
    true_sv_fit,
)


def _state_json(obj) -> str:
    return json.dumps(obj.state_dict(), sort_keys=True)


_simulate = simulate_sv_returns


def _feed(est, returns) -> None:
    for r in returns:
        est.update(float(r))


def _true_leverage(phi: float, xi: float, rho: float) -> float:
    return true_sv_fit(phi, xi, rho, 0.0).leverage


def _design(y: np.ndarray, k: int, decay: float) -> tuple[np.ndarray, ...]:
    """Instrument z_t (mean of the k proxies before y_{t-1}), regressor y_{t-1}, response y_t
    and weights decay**age of the weighted regressions."""
    n = len(y)
    z = np.mean([y[k + 1 - j : n - j] for j in range(2, k + 2)], axis=0)
    x, yy = y[k : n - 1], y[k + 1 :]
    return z, x, yy, decay ** np.arange(len(yy))[::-1]


# ------------------------------------------------------------------------- exactness


def test_offset_matches_chi2_expectation():
    assert log_chi2_offset(0.0) == pytest.approx(special.digamma(0.5) + math.log(2.0), abs=1e-15)
    for delta in (1e-8, 1e-4, 1e-2, 0.5):
        ref = stats.chi2(1).expect(lambda u, d=delta: np.log(u + d), epsabs=1e-13)
        assert log_chi2_offset(delta) == pytest.approx(ref, abs=1e-9)
    # small-delta expansion quoted in the module docstring: offset rises by sqrt(2 pi delta)
    rise = log_chi2_offset(1e-6) - log_chi2_offset(0.0)
    assert rise == pytest.approx(math.sqrt(2 * math.pi * 1e-6), rel=0.01)


def test_weighted_regressions_equal_batch_least_squares():
    half_life, n = 300.0, 2500
    cfg = StochasticVolConfig(half_life_buckets=half_life)
    r = _simulate(n, 0.9, 0.4, -0.4, np.random.default_rng(0))
    est = StochasticVolParams(cfg)
    _feed(est, r)
    # proxies with the r^2 EWMA from explicit weight vectors (O(n^2), independent of lfilter)
    a = -math.expm1(-math.log(2.0) / half_life)
    r2 = r**2
    m = np.empty(n)
    for t in range(n):
        w = a * (1 - a) ** (t - np.arange(t + 1))
        w[0] = (1 - a) ** t
        m[t] = np.dot(w, r2[: t + 1])
    y = np.log(r2 + cfg.floor_fraction * m)
    proxies = log_variance_proxies(r, half_life, cfg.floor_fraction)
    assert np.allclose(y, proxies, rtol=1e-13, atol=0)

    k, decay = cfg.instrument_lags, 2.0 ** (-1.0 / half_life)
    z, x, yy, w = _design(y, k, decay)
    sw = np.sqrt(w)
    ones = np.ones_like(x)
    # weighted OLS y_t = a + b y_{t-1}
    ols, *_ = np.linalg.lstsq(sw[:, None] * np.c_[ones, x], sw * yy, rcond=None)
    got = est.ar1_regression()
    assert got[0] == pytest.approx(ols[0], rel=1e-10) and got[1] == pytest.approx(ols[1], rel=1e-10)
    # weighted two-stage least squares with instrument z_t
    first, *_ = np.linalg.lstsq(sw[:, None] * np.c_[ones, z], sw * x, rcond=None)
    x_hat = np.c_[ones, z] @ first
    iv, *_ = np.linalg.lstsq(sw[:, None] * np.c_[ones, x_hat], sw * yy, rcond=None)
    got = est.iv_regression()
    assert got[0] == pytest.approx(iv[0], rel=1e-10) and got[1] == pytest.approx(iv[1], rel=1e-10)
    assert est.regression_count == n - k - 1
    # derived quantities from the same batch moments
    phi = float(np.clip(iv[1], -cfg.phi_max, cfg.phi_max))
    assert est.persistence == pytest.approx(phi, rel=1e-10)
    assert est.mean_reversion_per_bucket == pytest.approx(-math.log(phi), rel=1e-9)
    assert est.log_variance_half_life_buckets == pytest.approx(math.log(2) / -math.log(phi), 1e-9)
    mu = np.average(yy, weights=w) - stats.chi2(1).expect(lambda u: np.log(u + cfg.floor_fraction))
    assert est.long_run_log_variance == pytest.approx(mu, rel=1e-10)
    assert est.long_run_sigma == pytest.approx(math.exp(mu / 2), rel=1e-9)
    batch = batch_sv_fit(r, half_life, cfg.floor_fraction, k)  # the check's batch formulas
    assert batch.phi == pytest.approx(iv[1], rel=1e-10) and batch.mu == pytest.approx(mu, 1e-10)
    assert est.vol_of_vol == pytest.approx(batch.xi, rel=1e-9)
    assert est.leverage == pytest.approx(batch.leverage, rel=1e-9)


def test_nothing_reported_before_min_observations():
    cfg = StochasticVolConfig(min_observations=50)
    est = StochasticVolParams(cfg)
    r = _simulate(200, 0.9, 0.4, 0.0, np.random.default_rng(1))
    _feed(est, r[: 50 + cfg.instrument_lags])  # 49 triples
    assert est.regression_count == 49 and not est.is_valid
    for value in (est.persistence, est.long_run_sigma, est.vol_of_vol, est.leverage):
        assert value is None
    est.update(float(r[60]))
    assert est.is_valid and est.persistence is not None and est.long_run_sigma is not None


def test_zero_returns_before_any_move_give_no_proxy():
    est = StochasticVolParams()
    _feed(est, [0.0, 0.0, 0.0])
    assert est.observation_count == 3 and est.regression_count == 0
    assert json.loads(json.dumps(est.state_dict()))["state"]["recent_proxies"] == []
    _feed(est, [1e-3, 0.0])  # a zero after a move maps to ln(delta m), finite
    assert len(est.state_dict()["state"]["recent_proxies"]) == 2


# ------------------------------------------------------------------------- recovery

PHI, XI, RHO = 0.95, 0.3, -0.5
N_PATH, HALF_LIFE = 40_000, 4_000.0


@pytest.fixture(scope="module")
def sampling_sd() -> dict:
    """sd of each estimator over 60 simulated paths (batch formulas, equal to the online ones)."""
    rng = np.random.default_rng(123)
    cfg = StochasticVolConfig(half_life_buckets=HALF_LIFE)
    reps = []
    for _ in range(60):
        r = _simulate(N_PATH, PHI, XI, RHO, rng)
        reps.append(batch_sv_fit(r, HALF_LIFE, cfg.floor_fraction, cfg.instrument_lags))
    return {key: float(np.std([getattr(b, key) for b in reps], ddof=1)) for key in
            ("phi", "mu", "xi", "leverage")}  # fmt: skip


def test_recovers_phi_mu_xi_leverage_on_simulated_path(sampling_sd):
    cfg = StochasticVolConfig(half_life_buckets=HALF_LIFE)
    r = _simulate(N_PATH, PHI, XI, RHO, np.random.default_rng(7))
    est = StochasticVolParams(cfg)
    _feed(est, r)
    sd = sampling_sd
    assert sd["phi"] < 0.02  # the test can tell phi = 0.95 from 0.85
    assert abs(est.persistence - PHI) < 4 * sd["phi"]
    # mu: sd of the weighted mean plus the floor bias quoted in the module (about 0.01)
    assert abs(est.long_run_log_variance - MU) < 4 * sd["mu"] + 0.02
    assert abs(est.vol_of_vol - XI) < 4 * sd["xi"]
    assert abs(est.leverage - _true_leverage(PHI, XI, RHO)) < 4 * sd["leverage"]
    assert est.leverage < 0.0
    assert est.long_run_sigma == pytest.approx(1e-3, rel=0.1)

    # known-bad variants on the same path
    ols_phi = est.ar1_regression()[1]  # plain AR(1) on the noisy proxy: attenuated
    assert abs(ols_phi - PHI) > 4 * sd["phi"]
    raw_mean = est.long_run_log_variance + est.proxy_offset  # proxy mean, no E[ln chi2] offset
    assert abs(raw_mean - MU) > 4 * sd["mu"] + 0.02


# ------------------------------------------------------------------------- bad input, state


@pytest.mark.parametrize("bad", [1e200, -1e200])  # r**2 overflows float64
def test_overflowing_return_rejected_and_state_unchanged(bad):
    est = StochasticVolParams(StochasticVolConfig(min_observations=5))
    _feed(est, _simulate(100, 0.9, 0.4, 0.0, np.random.default_rng(2)))
    before = _state_json(est)
    with pytest.raises(InvalidInputError) as err:
        est.update(bad)
    assert err.value.field == "log_return"
    assert _state_json(est) == before


@pytest.mark.parametrize(
    "kwargs",
    [
        {"half_life_buckets": 0.0},
        {"half_life_buckets": math.inf},
        {"min_observations": 0},
        {"min_observations": 2.5},
        {"floor_fraction": -1e-4},
        {"floor_fraction": 1.0},
        {"phi_max": 1.0},
        {"instrument_lags": 0},
        {"instrument_lags": True},
    ],
)
def test_bad_config_rejected(kwargs):
    with pytest.raises(InvalidInputError) as err:
        StochasticVolConfig(**kwargs)
    assert err.value.field in kwargs


def test_state_with_too_many_recent_proxies_is_refused():
    a = StochasticVolParams(StochasticVolConfig(half_life_buckets=200.0))
    _feed(a, _simulate(300, 0.9, 0.4, -0.3, np.random.default_rng(3)))
    data = a.state_dict()
    data["state"]["recent_proxies"] = [0.0] * 20
    with pytest.raises(StateDictError):
        StochasticVolParams.from_state_dict(data)
