"""MCMC SBC of the PyMC gamma_exponential reference: ranks uniform with the right prior, not
with a prior that is off; and the quadrature posterior of kappa_own against PyMC (slow)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from validation.calibration import RankSbcSettings, run_reference_ranks
from validation.calibration.sbc_reference import chi_square_bins
from validation.results import Status
from validation.scenarios import GammaPrior

SEED = 7
SMALL = RankSbcSettings(n_replications=15)


def test_ranks_pass_with_the_right_prior() -> None:
    res = run_reference_ranks(None, SEED, settings=SMALL)
    assert res.status is Status.PASS, res.details
    d = json.loads(json.dumps(res.to_dict(), allow_nan=False))["details"]
    assert list(d["quantities"]) == ["kappa", "loglik"]
    for part in d["quantities"].values():
        ranks = part["ranks"]
        assert d["n_usable"] == len(ranks) >= 14
        assert all(0 <= r <= 99 for r in ranks)
        assert part["level"] == part["uniformity"]["alpha"] == SMALL.alpha / 2
        bins = chi_square_bins(len(ranks), 100)
        assert (
            part["uniformity"]["chi_square"]["bin_counts"]
            == np.bincount(np.array(ranks) // (100 // bins), minlength=bins).tolist()
        )


def test_ranks_fail_when_the_reference_prior_is_off() -> None:
    """Model prior mean 25000 (10x) while kappa is drawn from Gamma(5, 5/2500); 1..20
    distances per data set, so the prior matters."""
    bad = RankSbcSettings(n_replications=10, n_max=20, model_prior=GammaPrior(5.0, 5.0 / 25_000.0))
    res = run_reference_ranks(None, SEED, settings=bad)
    assert res.status is Status.FAIL and res.statistic > 1.0
    kappa = res.details["quantities"]["kappa"]
    assert kappa.uniformity.rejected
    assert np.median(kappa.ranks) < 50  # truth sits low in a posterior pulled up


def test_unusable_fits_make_the_check_inconclusive() -> None:
    """Gate ESS >= L with L larger than the draws kept: no fit is usable."""
    s = RankSbcSettings(n_replications=2, n_ranked_draws=5000 - 1, draws=200, tune=100)
    res = run_reference_ranks(None, SEED, settings=s)
    assert res.status is Status.INCONCLUSIVE and len(res.details["unusable"]) == 2


def test_chi_square_bins_divide_the_rank_support() -> None:
    assert chi_square_bins(20, 100) == 4
    assert chi_square_bins(30, 100) == 5
    assert chi_square_bins(1000, 100) == 20
    assert chi_square_bins(3, 100) == 2
    with pytest.raises(ValueError):
        chi_square_bins(100, 23)


@pytest.mark.audit
def test_audit_ranks_pass_with_more_replications() -> None:
    res = run_reference_ranks(None, SEED, settings=RankSbcSettings(n_replications=200))
    assert res.status is Status.PASS, res.statistic


@pytest.mark.slow
def test_quadrature_posterior_matches_pymc_hierarchical_model() -> None:
    """The learned-market PyMC model with hyperprior Gamma(5, 5/2500) and a0 = 5 against the
    quadrature posterior: KS distance of ESS-thinned draws within its 99.9% critical value, and
    posterior means within 4.5 Monte Carlo standard errors."""
    from scipy import stats

    from reference_models import hierarchical_kappa as hk
    from reference_models.sampling import SamplerSettings, fit
    from validation.calibration.hierarchical_reference import marginal_own_posterior

    rng = np.random.default_rng(3)
    km = rng.gamma(5.0, 2500.0 / 5.0)
    ko = rng.gamma(5.0, km / 5.0)
    own, market = rng.exponential(1 / ko, 8), rng.exponential(1 / km, 30)
    model = hk.build(n_groups=1, market="learned", a0=5.0, market_prior_shape=5.0)
    data = {"own_distances": own, "own_group": np.zeros(8, dtype=np.int64)}
    res = fit(
        model,
        {**data, "market_distances": market},
        seed=11,
        settings=SamplerSettings(draws=2000, tune=1000, chains=2),
    )
    assert res.diagnostics.usable, res.diagnostics.reasons
    draws = np.asarray(res.idata.posterior["kappa_own"].values[..., 0], dtype=float)
    post = marginal_own_posterior(own, market, 5.0, 5.0, 5.0 / 2500.0)
    ess = res.diagnostics.ess_bulk["kappa_own"]
    thinned = draws.ravel()[:: max(1, int(np.ceil(draws.size / ess)))]
    ks = stats.kstest(thinned, post.cdf)
    assert ks.pvalue > 1e-3, ks
    assert abs(draws.mean() - post.mean) < 4.5 * post.sd / np.sqrt(ess)
