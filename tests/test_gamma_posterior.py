"""GammaPosterior (shape-RATE) against scipy.stats.gamma with scale = 1/beta."""

import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from scipy import stats

from online.errors import InvalidInputError
from online.gamma_posterior import GammaPosterior

shapes = st.floats(min_value=1e-2, max_value=1e5)
rates = st.floats(min_value=1e-4, max_value=1e4)
levels = st.floats(min_value=1e-6, max_value=1.0 - 1e-6)


@given(alpha=shapes, beta=rates)
def test_moments_match_scipy(alpha, beta):
    ref = stats.gamma(a=alpha, scale=1.0 / beta)
    post = GammaPosterior(alpha, beta)
    assert post.mean == pytest.approx(ref.mean(), rel=1e-12, abs=0.0)
    assert post.var == pytest.approx(ref.var(), rel=1e-12, abs=0.0)
    assert post.sd == pytest.approx(ref.std(), rel=1e-12, abs=0.0)


@given(alpha=shapes, beta=rates, level=levels)
def test_interval_matches_scipy_quantiles(alpha, beta, level):
    lo_ref = stats.gamma.ppf((1.0 - level) / 2.0, a=alpha, scale=1.0 / beta)
    hi_ref = stats.gamma.ppf((1.0 + level) / 2.0, a=alpha, scale=1.0 / beta)
    lo, hi = GammaPosterior(alpha, beta).interval(level)
    assert lo == pytest.approx(lo_ref, rel=1e-12, abs=1e-300)
    assert hi == pytest.approx(hi_ref, rel=1e-12, abs=0.0)


def test_interval_has_its_probability_mass():
    """Independent of scipy's ppf: the mass inside the interval, by numerical integration."""
    from scipy import integrate

    alpha, beta, level = 7.5, 0.003, 0.9
    lo, hi = GammaPosterior(alpha, beta).interval(level)

    def density(k):
        return math.exp(
            alpha * math.log(beta) - math.lgamma(alpha) + (alpha - 1) * math.log(k) - beta * k
        )

    mass, _ = integrate.quad(density, lo, hi, epsabs=0, epsrel=1e-12)
    below, _ = integrate.quad(density, 0.0, lo, epsabs=0, epsrel=1e-12)
    assert mass == pytest.approx(level, abs=1e-9)
    assert below == pytest.approx((1 - level) / 2, abs=1e-9)


def test_rate_not_scale():
    """Known-bad variant (beta read as a scale) is told apart by the same comparison."""
    alpha, beta = 12.0, 0.004
    post = GammaPosterior(alpha, beta)
    wrong = stats.gamma(a=alpha, scale=beta)
    assert post.mean == pytest.approx(alpha / beta, rel=1e-15, abs=0.0)
    assert post.mean != pytest.approx(wrong.mean(), rel=1e-3, abs=0.0)
    assert post.interval(0.95) != pytest.approx(wrong.interval(0.95), rel=1e-3, abs=0.0)


@given(alpha=shapes, beta=rates, q=st.floats(min_value=1e-9, max_value=1 - 1e-9))
def test_cdf_ppf_and_frozen(alpha, beta, q):
    post = GammaPosterior(alpha, beta)
    x = post.ppf(q)
    assert x == pytest.approx(stats.gamma.ppf(q, a=alpha, scale=1 / beta), rel=1e-12, abs=1e-300)
    assume(x > 1e-290)  # below this the quantile underflows double precision
    assert post.cdf(x) == pytest.approx(q, rel=1e-8, abs=1e-12)
    assert post.frozen().mean() == pytest.approx(alpha / beta, rel=1e-12, abs=0.0)


def test_mode():
    assert GammaPosterior(6.0, 0.002).mode == pytest.approx(5.0 / 0.002, rel=1e-15, abs=0.0)
    assert GammaPosterior(0.5, 2.0).mode == 0.0
    xs = np.linspace(1.0, 6000.0, 200_001)
    pdf = stats.gamma.pdf(xs, a=6.0, scale=1 / 0.002)
    assert GammaPosterior(6.0, 0.002).mode == pytest.approx(xs[np.argmax(pdf)], abs=0.05)


@pytest.mark.parametrize("level", [0.0, 1.0, -0.1, 1.5, math.nan, math.inf, True, "0.9"])
def test_bad_levels_rejected(level):
    with pytest.raises(InvalidInputError) as info:
        GammaPosterior(5.0, 0.002).interval(level)
    assert info.value.field == "level"


@pytest.mark.parametrize(
    ("alpha", "beta", "field"),
    [
        (0.0, 1.0, "alpha"),
        (-1.0, 1.0, "alpha"),
        (math.nan, 1.0, "alpha"),
        (1.0, 0.0, "beta"),
        (1.0, math.inf, "beta"),
        (1.0, -2.0, "beta"),
    ],
)
def test_bad_parameters_rejected(alpha, beta, field):
    with pytest.raises(InvalidInputError) as info:
        GammaPosterior(alpha, beta)
    assert info.value.field == field
