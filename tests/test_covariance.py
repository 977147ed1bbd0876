"""Tests of online.covariance against numpy's weighted covariance with explicit weights."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from online.covariance import ParameterCovariance, ParameterCovarianceConfig
from online.errors import InvalidInputError, StateDictError


def _state_json(obj) -> str:
    return json.dumps(obj.state_dict(), sort_keys=True)


def _weights(n: int, half_life: float) -> np.ndarray:
    return (2.0 ** (-1.0 / half_life)) ** (n - 1 - np.arange(n))


def _kappa_sigma_stream(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Correlated positive (kappa, sigma) point estimates: kappa ~ 2500, sigma ~ 1e-4."""
    z = rng.normal(size=(n, 2))
    kappa = 2500.0 + 300.0 * z[:, 0]
    sigma = 1e-4 * (1.0 + 0.1 * (0.6 * z[:, 0] + 0.8 * z[:, 1]))
    return kappa, sigma


class SeedParameterCovariance:
    """The V2 design's ParameterCovariance, literally: zero-start EWMA of x, y, x^2, y^2, xy."""

    def __init__(self, half_life: float) -> None:
        self.a = 1.0 - 2.0 ** (-1.0 / half_life)
        self.mk = self.ms = self.mkk = self.mss = self.mks = 0.0

    def update(self, k: float, s: float) -> None:
        a = self.a
        self.mk = a * k + (1 - a) * self.mk
        self.ms = a * s + (1 - a) * self.ms
        self.mkk = a * k * k + (1 - a) * self.mkk
        self.mss = a * s * s + (1 - a) * self.mss
        self.mks = a * k * s + (1 - a) * self.mks

    def var_kappa(self) -> float:
        return self.mkk - self.mk**2


def test_defaults_are_production():
    cfg = ParameterCovarianceConfig()
    assert (cfg.half_life_ticks, cfg.min_observations) == (50.0, 20)


def test_equals_numpy_weighted_cov_for_every_prefix():
    rng = np.random.default_rng(1)
    kappa, sigma = _kappa_sigma_stream(rng, 200)
    est = ParameterCovariance()
    assert est.means() is None and est.covariance_matrix() is None
    assert est.variances() is None and est.covariance() is None
    for n in range(1, 201):
        est.update(float(kappa[n - 1]), float(sigma[n - 1]))
        w = _weights(n, 50.0)
        ref = np.cov(kappa[:n], sigma[:n], aweights=w, bias=True)
        ours = est.covariance_matrix()
        scale = np.sqrt(np.outer(np.diag(ref), np.diag(ref)))  # |cov| <= sqrt(var var)
        assert np.all(np.abs(ours - ref) <= 1e-12 * scale), n
        var_k, var_s = est.variances()
        assert var_k == ours[0, 0] and var_s == ours[1, 1]
        assert est.covariance() == ours[0, 1]
        mk, ms = est.means()
        assert mk == pytest.approx(np.average(kappa[:n], weights=w), rel=1e-12, abs=0.0)
        assert ms == pytest.approx(np.average(sigma[:n], weights=w), rel=1e-12, abs=0.0)
    assert est.observation_count == 200


def test_correlation_equals_weighted_pearson_and_gates():
    rng = np.random.default_rng(2)
    kappa, sigma = _kappa_sigma_stream(rng, 120)
    cfg = ParameterCovarianceConfig(half_life_ticks=30.0, min_observations=20)
    est = ParameterCovariance(cfg)
    for n in range(1, 121):
        est.update(float(kappa[n - 1]), float(sigma[n - 1]))
        if n < 20:
            assert est.correlation() is None and not est.is_valid
            continue
        assert est.is_valid
        c = np.cov(kappa[:n], sigma[:n], aweights=_weights(n, 30.0), bias=True)
        ref = c[0, 1] / math.sqrt(c[0, 0] * c[1, 1])
        assert est.correlation() == pytest.approx(ref, rel=1e-12, abs=0.0)
    assert est.correlation() > 0.3  # the stream has correlation 0.6


def test_offset_stream_where_the_design_formula_fails():
    """kappa = 1e8 + N(0,1): reference on exactly shifted data (Sterbenz), same weights."""
    rng = np.random.default_rng(3)
    n = 2000
    k = 1e8 + rng.normal(0.0, 1.0, n)
    s = 1e3 + 0.01 * rng.normal(0.0, 1.0, n) + 0.005 * (k - 1e8)
    est = ParameterCovariance()
    seed = SeedParameterCovariance(50.0)
    for ki, si in zip(k.tolist(), s.tolist(), strict=True):
        est.update(ki, si)
        seed.update(ki, si)
    ref = np.cov(k - 1e8, s - 1e3, aweights=_weights(n, 50.0), bias=True)
    # float spacing at 1e8 is 1.5e-8, i.e. ~1e-8 relative to unit-sd deviations
    np.testing.assert_allclose(est.covariance_matrix(), ref, rtol=1e-7)
    assert abs(seed.var_kappa() / ref[0, 0] - 1.0) > 0.5  # cancellation


def test_design_formula_has_zero_start_bias():
    """Known-bad variant: after 20 updates the zero-start mean is ~0.24 x the data mean."""
    est, seed = ParameterCovariance(), SeedParameterCovariance(50.0)
    for _ in range(20):
        est.update(2500.0, 1e-4)
        seed.update(2500.0, 1e-4)
    assert est.means() == (2500.0, 1e-4)
    assert est.variances() == (0.0, 0.0)
    assert seed.mk < 0.3 * 2500.0
    assert seed.var_kappa() > 1e5  # spurious variance from the zero start


pos = st.floats(min_value=1e-300, max_value=1e100)
nonneg = st.floats(min_value=0.0, max_value=1e100)


@given(
    pairs=st.lists(st.tuples(pos, nonneg), min_size=1, max_size=60),
    h=st.floats(min_value=0.1, max_value=1e4),
    m=st.integers(1, 5),
)
def test_variances_non_negative_and_correlation_bounded(pairs, h, m):
    est = ParameterCovariance(ParameterCovarianceConfig(half_life_ticks=h, min_observations=m))
    for k, s in pairs:
        est.update(k, s)
        vk, vs = est.variances()
        assert vk >= 0.0 and vs >= 0.0
        r = est.correlation()
        assert r is None or -1.0 <= r <= 1.0
        if r is None and est.observation_count >= m:
            assert vk == 0.0 or vs == 0.0 or math.sqrt(vk) * math.sqrt(vs) == 0.0


def test_correlation_none_for_zero_variance_and_clipped_for_exact_line():
    est = ParameterCovariance()
    for i in range(30):
        est.update(1000.0 + i, 2e-4)  # constant sigma
    assert est.variances()[1] == 0.0 and est.correlation() is None
    est = ParameterCovariance()
    for i in range(30):
        est.update(1000.0 + 37.0 * i, 1e-4 * (1.0 + 0.1 * i))
    assert est.correlation() == pytest.approx(1.0, abs=1e-12) and est.correlation() <= 1.0


@pytest.mark.parametrize(
    ("kappa", "sigma", "field"),
    [
        (1e200, 1e-4, "kappa"),  # squares overflow float64
        (2500.0, 1e200, "sigma"),
    ],
)
def test_overflowing_input_rejected_state_unchanged(kappa, sigma, field):
    est = ParameterCovariance()
    est.update(2500.0, 1e-4)
    est.update(2400.0, 1.2e-4)
    before = _state_json(est)
    with pytest.raises(InvalidInputError) as err:
        est.update(kappa, sigma)
    assert err.value.field == field
    assert _state_json(est) == before


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"half_life_ticks": 0.0}, "half_life_ticks"),
        ({"half_life_ticks": math.nan}, "half_life_ticks"),
        ({"half_life_ticks": math.inf}, "half_life_ticks"),
        ({"min_observations": 0}, "min_observations"),
        ({"min_observations": 2.5}, "min_observations"),
        ({"min_observations": True}, "min_observations"),
    ],
)
def test_bad_config_rejected(kwargs, field):
    with pytest.raises(InvalidInputError) as err:
        ParameterCovarianceConfig(**kwargs)
    assert err.value.field == field


def test_state_dict_without_config_and_state_is_refused():
    with pytest.raises(StateDictError):
        ParameterCovariance.from_state_dict({"kind": "ParameterCovariance", "version": 1})
