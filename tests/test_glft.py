"""GLFT half-spread and reservation shift against closed forms computed here with numpy."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from online.errors import InvalidInputError
from online.glft import glft_half_spread, reservation_shift

kappas = st.floats(10.0, 1e6)
sigmas = st.floats(0.0, 1e-2)
gammas = st.floats(1e-6, 1e5)
horizons = st.floats(0.0, 3600.0)


def test_matches_closed_form_on_a_grid() -> None:
    k, s, g, t, f = np.meshgrid(
        [100.0, 2500.0, 12_500.0],
        [0.0, 6e-5, 3e-4],
        [0.1, 100.0, 1000.0, 1e5],
        [0.0, 1.0, 60.0],
        [-2e-5, 0.0, 1e-4],
        indexing="ij",
    )
    # np.log1p: np.log(1 + x) loses ~eps / x relative precision for the small x = g / k here
    expected = np.log1p(g / k) / g + 0.5 * g * s**2 * t + f
    got = np.vectorize(glft_half_spread)(k, s, g, t, f)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-18)


@pytest.mark.parametrize("kappa", [50.0, 2500.0, 1e5])
def test_risk_neutral_limit_is_one_over_kappa_plus_fee(kappa: float) -> None:
    fee, sigma, horizon = 1.5e-5, 1e-4, 60.0
    limit = 1.0 / kappa + fee
    errors = []
    for gamma in (1e-2, 1e-4, 1e-6, 1e-8, 1e-10):
        delta = glft_half_spread(kappa, sigma, gamma, horizon, fee)
        # first-order expansion: delta - limit = gamma (0.5 sigma^2 T - 1 / (2 kappa^2)) + O(g^2)
        slope = 0.5 * sigma**2 * horizon - 0.5 / kappa**2
        assert delta - limit == pytest.approx(gamma * slope, rel=1e-3, abs=1e-19)
        errors.append(abs(delta - limit))
    # the error shrinks linearly with gamma
    assert errors[-1] < 1e-6 * errors[0]


def test_tiny_gamma_has_no_cancellation() -> None:
    """log1p keeps full precision where the naive log(1 + x) / gamma does not."""
    kappa, gamma = 2500.0, 1e-12
    delta = glft_half_spread(kappa, 0.0, gamma, 0.0)
    assert delta == pytest.approx(1.0 / kappa, rel=1e-12)
    naive = math.log(1.0 + gamma / kappa) / gamma
    assert abs(naive - 1.0 / kappa) > 1e-6 / kappa  # the naive form is off (shows the check bites)


@given(kappas, kappas, sigmas, gammas, horizons)
def test_decreasing_in_kappa(k1: float, k2: float, s: float, g: float, t: float) -> None:
    lo, hi = sorted((k1, k2))
    assert glft_half_spread(hi, s, g, t) <= glft_half_spread(lo, s, g, t)


@given(kappas, sigmas, sigmas, gammas, horizons)
def test_increasing_in_sigma(k: float, s1: float, s2: float, g: float, t: float) -> None:
    lo, hi = sorted((s1, s2))
    assert glft_half_spread(k, hi, g, t) >= glft_half_spread(k, lo, g, t)


@given(kappas, sigmas, gammas, horizons, horizons)
def test_increasing_in_horizon(k: float, s: float, g: float, t1: float, t2: float) -> None:
    lo, hi = sorted((t1, t2))
    assert glft_half_spread(k, s, g, hi) >= glft_half_spread(k, s, g, lo)


@given(kappas, gammas, gammas)
def test_without_risk_term_decreasing_in_gamma(k: float, g1: float, g2: float) -> None:
    lo, hi = sorted((g1, g2))
    # monotone up to rounding: gammas one ulp apart may give half-spreads one ulp apart
    rounding = 1.0 + 4.0 * np.finfo(float).eps
    assert glft_half_spread(k, 0.0, hi, 60.0) <= glft_half_spread(k, 0.0, lo, 60.0) * rounding
    assert glft_half_spread(k, 0.0, hi, 60.0) <= 1.0 / k  # ln(1 + x) <= x


def test_reservation_shift_closed_form_and_sign() -> None:
    q = np.array([-3.0, -1.0, 0.0, 2.0, 10.0])
    gamma, sigma, tau = 1000.0, 6e-5, 30.0
    got = np.array([reservation_shift(x, gamma, sigma, tau) for x in q])
    np.testing.assert_allclose(got, -q * gamma * sigma**2 * tau, rtol=1e-15)
    assert got[0] > 0 and got[-1] < 0  # long inventory shifts the reservation price down
    assert reservation_shift(0.0, gamma, sigma, tau) == 0.0


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ((0.0, 1e-4, 1.0, 60.0), "kappa"),
        ((-5.0, 1e-4, 1.0, 60.0), "kappa"),
        ((math.nan, 1e-4, 1.0, 60.0), "kappa"),
        ((math.inf, 1e-4, 1.0, 60.0), "kappa"),
        ((2500.0, -1e-4, 1.0, 60.0), "sigma"),
        ((2500.0, math.nan, 1.0, 60.0), "sigma"),
        ((2500.0, 1e-4, 0.0, 60.0), "gamma"),
        ((2500.0, 1e-4, -1.0, 60.0), "gamma"),
        ((2500.0, 1e-4, 1.0, -1.0), "horizon_s"),
        ((2500.0, 1e-4, 1.0, math.inf), "horizon_s"),
        ((2500.0, 1e-4, 1.0, 60.0, math.nan), "fee"),
        ((True, 1e-4, 1.0, 60.0), "kappa"),
        (("2500", 1e-4, 1.0, 60.0), "kappa"),
    ],
)
def test_half_spread_bad_input(args: tuple, field: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        glft_half_spread(*args)
    assert info.value.field == field


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ((math.nan, 1.0, 1e-4, 1.0), "q"),
        ((1.0, 0.0, 1e-4, 1.0), "gamma"),
        ((1.0, 1.0, -1e-4, 1.0), "sigma"),
        ((1.0, 1.0, 1e-4, -1.0), "tau_s"),
        ((1.0, 1.0, 1e-4, math.inf), "tau_s"),
    ],
)
def test_reservation_shift_bad_input(args: tuple, field: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        reservation_shift(*args)
    assert info.value.field == field
