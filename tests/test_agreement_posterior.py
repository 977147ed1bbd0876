"""The posterior-agreement machinery on exact draws (no MCMC): it passes the true posterior at
about its nominal rate and fails shifted, over-confident and wrong-interval candidates."""

from __future__ import annotations

import numpy as np
import pytest
from arviz.utils import Numba
from scipy import stats

from online import GammaPosterior
from validation.agreement.posterior import (
    SUMMARIES,
    bonferroni_z,
    compare_posterior,
    ess_thin,
)

TRUE = GammaPosterior(55.0, 55.0 / 2500.0)
ALPHA = 1e-3


def exact_draws(seed: int, chains: int = 2, draws: int = 1000) -> np.ndarray:
    return TRUE.frozen().rvs(size=(chains, draws), random_state=np.random.default_rng(seed))


class WrongInterval:
    """The true posterior except that interval() returns a 98% interval for any level."""

    def __init__(self, post):
        self._p = post
        self.mean, self.sd, self.cdf, self.ppf = post.mean, post.sd, post.cdf, post.ppf

    def interval(self, level=0.95):
        return self._p.interval(0.98)


class NormalApprox:
    """Normal with the true posterior's mean and sd (right mean and sd, wrong shape)."""

    def __init__(self, post):
        self._n = stats.norm(post.mean, post.sd)
        self.mean, self.sd = post.mean, post.sd

    def cdf(self, x):
        return self._n.cdf(x)

    def ppf(self, q):
        return self._n.ppf(q)

    def interval(self, level=0.95):
        return tuple(self._n.interval(level))


def test_bonferroni_z_matches_the_normal_quantile():
    assert bonferroni_z(1e-3, 7) == pytest.approx(stats.norm.ppf(1 - 1e-3 / 14), rel=1e-12)
    assert bonferroni_z(0.5e-3, 7) == pytest.approx(3.97, abs=0.01)


@pytest.mark.parametrize("seed", range(5))
def test_true_posterior_agrees(seed):
    c = compare_posterior(TRUE, exact_draws(seed), alpha=ALPHA)
    assert c.agrees, c.to_details()
    assert [s.summary for s in c.summaries] == list(SUMMARIES)
    assert c.ks_pvalue is not None and c.ks_draws >= 600  # iid: ESS ~ 2000, step 2 or 3


@pytest.mark.parametrize(
    ("label", "candidate"),
    [
        ("mean +5%", GammaPosterior(TRUE.alpha, TRUE.beta / 1.05)),
        ("sd x 0.8 (over-confident)", GammaPosterior(TRUE.alpha / 0.64, TRUE.beta / 0.64)),
        ("98% interval for 95%", WrongInterval(TRUE)),
    ],
)
@pytest.mark.parametrize("seed", range(3))
def test_wrong_posteriors_fail(label, candidate, seed):
    c = compare_posterior(candidate, exact_draws(seed), alpha=ALPHA)
    assert not c.agrees, label


def test_wrong_interval_fails_only_on_the_interval_ends():
    c = compare_posterior(WrongInterval(TRUE), exact_draws(0), alpha=ALPHA)
    failing = {s.summary for s in c.summaries if s.ratio > 1.0}
    assert failing == {"interval_low", "interval_high"}


def test_normal_approximation_of_a_skewed_posterior_fails():
    skewed = GammaPosterior(4.0, 4.0 / 2500.0)
    draws = skewed.frozen().rvs(size=(2, 2000), random_state=np.random.default_rng(1))
    assert compare_posterior(skewed, draws, alpha=ALPHA).agrees
    assert not compare_posterior(NormalApprox(skewed), draws, alpha=ALPHA).agrees


def test_approx_tol_widens_every_tolerance_by_posterior_sds():
    draws = exact_draws(0)
    base = compare_posterior(TRUE, draws, alpha=ALPHA, exact=False)
    wide = compare_posterior(TRUE, draws, alpha=ALPHA, approx_tol=0.5, exact=False)
    sd = draws.std(ddof=1)
    for b, w in zip(base.summaries, wide.summaries, strict=True):
        assert w.tolerance == pytest.approx(b.tolerance + 0.5 * sd, rel=1e-12)
    assert base.ks_pvalue is None
    assert base.z == pytest.approx(bonferroni_z(ALPHA, 7))
    # a 0.3 sd shift fails without the allowance and passes with it
    shifted = GammaPosterior(TRUE.alpha, TRUE.alpha / (TRUE.mean + 0.3 * TRUE.sd))
    assert not compare_posterior(shifted, draws, alpha=ALPHA, exact=False).agrees
    assert compare_posterior(shifted, draws, alpha=ALPHA, approx_tol=0.5, exact=False).agrees


def test_mcse_follows_the_iid_formula():
    draws = exact_draws(3, chains=4, draws=2500)
    c = compare_posterior(TRUE, draws, alpha=ALPHA)
    mean_row = next(s for s in c.summaries if s.summary == "mean")
    iid_se = draws.std(ddof=1) / np.sqrt(draws.size)
    assert mean_row.mcse == pytest.approx(iid_se, rel=0.1)


def test_ess_thin_keeps_about_half_the_ess_of_an_autocorrelated_chain():
    rng = np.random.default_rng(4)
    phi = 0.9  # AR(1): ESS ~ N (1 - phi) / (1 + phi)
    chains = np.empty((2, 5000))
    for c in range(2):
        x = 0.0
        for i in range(5000):
            x = phi * x + rng.normal()
            chains[c, i] = x
    kept = ess_thin(chains)
    expected = 0.5 * chains.size * (1 - phi) / (1 + phi)
    assert 0.5 * expected < kept.size < 1.5 * expected
    lag1 = np.corrcoef(kept[:-1], kept[1:])[0, 1]
    assert abs(lag1) < 0.1


def test_numba_flag_is_restored():
    before = Numba.numba_flag
    compare_posterior(TRUE, exact_draws(0), alpha=ALPHA)
    assert Numba.numba_flag == before


def test_draws_must_be_chain_by_draw():
    with pytest.raises(ValueError, match="chain, draw"):
        compare_posterior(TRUE, exact_draws(0).ravel(), alpha=ALPHA)


def measure_machinery_false_alarms(n_reps: int, seed0: int = 0) -> int:
    """How often the exact-draw comparison of the TRUE posterior fails (nominal <= ALPHA)."""
    return sum(
        not compare_posterior(TRUE, exact_draws(seed0 + i), alpha=ALPHA).agrees
        for i in range(n_reps)
    )


@pytest.mark.audit
def test_measured_false_alarm_rate_on_exact_draws():
    """2000 replications at a nominal 1e-3 (expected 2): 7 or more would reject the nominal
    rate (Poisson(2) tail probability 0.005)."""
    failures = measure_machinery_false_alarms(2000, seed0=200_000)
    assert failures <= 6
