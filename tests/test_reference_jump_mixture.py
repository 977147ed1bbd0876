"""MCMC of the jump mixture on simulated returns with known parameters and labels.

Data: n = 2000 returns, pi = 0.05, sigma_d = 1e-4, sigma_j = 5e-4 (seeded).

Membership criteria, with p* = P(jump | r, true parameters) the oracle probabilities:
- Brier score below that of the best constant predictor in hindsight, zbar (1 - zbar);
- excess over the oracle: mean (p - p*)^2 <= 3 / n. Since E[z | r] = p*, the expected Brier
  score of any predictor p is E[p* (1 - p*)] + E[(p - p*)^2], so mean (p - p*)^2 is exactly
  the excess Brier score; for a 3-parameter model estimated from n points the estimation
  error of p is of order (number of parameters) / n, hence the bound 3 / n = 1.5e-3.
Both are shown to reject known-bad membership rules: the binary 3-sigma rule (the Module 3
bug) and swapped labels.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special, stats

from reference_models import jump_mixture as jm
from reference_models.sampling import SamplerSettings, fit

N, PI, SD, SJ = 2000, 0.05, 1e-4, 5e-4
TRUTH = {"pi": PI, "sigma_d": SD, "sigma_j": SJ}


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(301)
    z = rng.random(N) < PI
    r = rng.normal(size=N) * np.where(z, SJ, SD)
    return r, z


@pytest.fixture(scope="module")
def mixture_fit(data):
    settings = SamplerSettings(draws=1000, tune=1000, chains=2, backend="pymc")
    return fit(jm.build(), {"returns": data[0]}, seed=302, settings=settings)


def oracle(r):
    log_odds = np.log(PI / (1 - PI)) + stats.norm.logpdf(r, 0, SJ) - stats.norm.logpdf(r, 0, SD)
    return special.expit(log_odds)


def truth_inside_99(posterior, truth):
    out = {}
    for name, value in truth.items():
        lo, hi = np.quantile(posterior[name].values.ravel(), [0.005, 0.995])
        out[name] = bool(lo < value < hi)
    return out


def test_mixture_fit_is_usable_and_orders_the_scales(mixture_fit):
    assert mixture_fit.diagnostics.usable, mixture_fit.diagnostics.reasons
    post = mixture_fit.idata.posterior
    assert np.all(post["sigma_j"].values > post["sigma_d"].values)


def test_true_parameters_inside_99_percent_intervals(mixture_fit):
    post = mixture_fit.idata.posterior
    assert truth_inside_99(post, TRUTH) == dict.fromkeys(TRUTH, True)
    # the same check rejects wrong truths
    wrong = {"pi": 2 * PI, "sigma_d": 1.25 * SD, "sigma_j": 1.5 * SJ}
    assert truth_inside_99(post, wrong) == dict.fromkeys(TRUTH, False)


def brier(p, z):
    return float(np.mean((p - z) ** 2))


def membership_ok(p, r, z):
    """The two criteria of the module docstring."""
    zbar = z.mean()
    return brier(p, z) < zbar * (1 - zbar) and np.mean((p - oracle(r)) ** 2) <= 3 / r.size


def test_membership_probabilities_beat_constant_and_approach_the_oracle(mixture_fit, data):
    r, z = data
    p = jm.membership_probabilities(mixture_fit, r)
    assert np.all((p >= 0) & (p <= 1))
    assert membership_ok(p, r, z), (brier(p, z), np.mean((p - oracle(r)) ** 2))
    # known-bad membership rules fail the same criteria
    hard_3_sigma = (np.abs(r) > 3 * SD).astype(float)
    assert not membership_ok(hard_3_sigma, r, z)
    assert not membership_ok(1 - p, r, z)


@pytest.mark.slow
def test_posterior_is_scale_free(data):
    """Returns in bp-scale units and in units of 1: same relative posterior within 4 MCSE."""
    from reference_models.exact_check import mcse

    r = data[0]
    rm = jm.build()
    settings = SamplerSettings(draws=1000, tune=1000, chains=2, backend="pymc")
    a, b = (
        fit(rm, {"returns": r * k}, seed=s, settings=settings) for k, s in ((1, 303), (1e4, 304))
    )
    for var, k in (("pi", 1.0), ("sigma_d", 1e4), ("sigma_j", 1e4)):
        x = a.idata.posterior[var].values * k
        y = b.idata.posterior[var].values
        tol = 4 * np.hypot(mcse(x, "mean"), mcse(y, "mean"))
        assert abs(x.mean() - y.mean()) <= tol, (var, x.mean(), y.mean(), tol)
