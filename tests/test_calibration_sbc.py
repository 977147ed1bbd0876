"""The exact-PIT and plug-in SBC checks: PASS on the production candidates, FAIL on wrong ones.

Known-bad candidates are written here from their formulas (not taken from the catalogue):
volume-weighted counts, an over-confident posterior, a prior that ignores the market kappa, an
over-concentrated hierarchical prior.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from online.gamma_posterior import GammaPosterior
from validation.calibration import (
    CHECKS,
    ExactSbcSettings,
    PluginSbcSettings,
    run_hierarchical_pinned_pit,
    run_hierarchical_plugin_coverage,
    run_kappa_pit,
    sbc_plugin,
)
from validation.calibration.audit import exact_pit_audit, plugin_audit
from validation.calibration.hierarchical_reference import marginal_own_posterior
from validation.candidates.kappa import conjugate_kappa, hierarchical_kappa
from validation.families import FAMILIES
from validation.results import CheckResult, Status
from validation.scenarios import GammaPrior, HierarchicalData, KappaData

SEED = 20240611


def _json_roundtrip(result: CheckResult) -> dict:
    return json.loads(json.dumps(result.to_dict(), allow_nan=False))


# ----------------------------------------------------------------- known-bad candidates
def volume_weighted(data: KappaData, prior: GammaPrior) -> GammaPosterior:
    """alpha = a0 + sum v, beta = b0 + sum v d (volume as the count)."""
    v, d = data.volumes, data.distances
    return GammaPosterior(prior.alpha + v.sum(), prior.beta + float(np.sum(v * d)))


def overconfident_kappa(data: KappaData, prior: GammaPrior) -> GammaPosterior:
    """Right mean, half the sd: Gamma(4 alpha, 4 beta)."""
    p = conjugate_kappa(data, prior)
    return GammaPosterior(4 * p.alpha, 4 * p.beta)


def fixed_prior_hierarchical(data: HierarchicalData, kappa_market: float) -> GammaPosterior:
    """Ignores the market kappa it is told: prior Gamma(a0, a0 / 2500)."""
    return hierarchical_kappa(data, 2500.0)


def overconcentrated_hierarchical(data: HierarchicalData, kappa_market: float) -> GammaPosterior:
    """Prior concentration 10 a0: Gamma(10 a0 + n, 10 a0 / kappa_market + S)."""
    return hierarchical_kappa(dataclasses.replace(data, a0=10 * data.a0), kappa_market)


def overconfident_hierarchical(data: HierarchicalData, kappa_market: float) -> GammaPosterior:
    p = hierarchical_kappa(data, kappa_market)
    return GammaPosterior(2 * p.alpha, 2 * p.beta)


# ------------------------------------------------------------------- registry
def test_checks_are_registered_with_contract_names() -> None:
    names = {c.name: c for c in CHECKS}
    assert set(names) == {
        "sbc.kappa_pit",
        "sbc.hierarchical_pinned_pit",
        "sbc.hierarchical_plugin_coverage",
        "sbc.reference_gamma_exponential_ranks",
        "sbc.reference_gamma_exponential_ranks_jax",
        "sbc.reference_jump_mixture_ranks",
        "sbc.kappa_loglik_pit",
        "sbc.jump_reliability",
    }
    assert names["sbc.kappa_pit"].family == "kappa"
    assert names["sbc.hierarchical_pinned_pit"].family == "hierarchical"
    assert names["sbc.hierarchical_plugin_coverage"].family == "hierarchical"
    assert names["sbc.reference_gamma_exponential_ranks"].family == "reference"
    assert names["sbc.reference_gamma_exponential_ranks_jax"].family == "reference"
    assert names["sbc.kappa_loglik_pit"].family == "kappa"
    assert names["sbc.jump_reliability"].family == "jumps"
    assert [c.uses_mcmc for c in CHECKS] == [False, False, False, True, True, True, False, False]
    for c in CHECKS:
        assert c.family in FAMILIES and 0 < c.false_alarm_rate <= 0.001


# ------------------------------------------------------------------- sbc.kappa_pit
def test_kappa_pit_passes_on_the_production_estimator() -> None:
    res = run_kappa_pit(conjugate_kappa, SEED)
    assert res.status is Status.PASS, res.statistic
    assert res.name == "sbc.kappa_pit" and res.seed == SEED and res.false_alarm_rate == 0.001
    d = _json_roundtrip(res)["details"]
    assert len(d["pit"]) == 2000 and min(d["n_per_replication"]) == 1
    assert max(d["n_per_replication"]) <= 500
    assert len(d["coverage"]) == 9
    assert len(d["uniformity"]["ecdf_band"]["ecdf_minus_uniform"]) == 99
    # details reproduce the verdict from the raw PIT values
    u = np.array(d["pit"])
    assert (
        d["uniformity"]["chi_square"]["bin_counts"]
        == np.histogram(u, bins=np.linspace(0, 1, 21))[0].tolist()
    )


@pytest.mark.parametrize("bad", [volume_weighted, overconfident_kappa])
def test_kappa_pit_fails_on_wrong_posteriors(bad) -> None:
    res = run_kappa_pit(bad, SEED, settings=ExactSbcSettings(n_replications=1000))
    assert res.status is Status.FAIL and res.statistic > 1.0


def test_kappa_pit_is_reproducible_from_its_seed() -> None:
    s = ExactSbcSettings(n_replications=200)
    a = run_kappa_pit(conjugate_kappa, 5, settings=s)
    b = run_kappa_pit(conjugate_kappa, 5, settings=s)
    assert a.details["pit"] == b.details["pit"] and a.statistic == b.statistic


def test_candidate_that_raises_fails() -> None:
    def broken(data: KappaData, prior: GammaPrior) -> GammaPosterior:
        return GammaPosterior(prior.alpha, -1.0)

    res = run_kappa_pit(broken, 1, settings=ExactSbcSettings(n_replications=10))
    assert res.status is Status.FAIL and "candidate_error" in res.details


def test_progress_is_reported() -> None:
    seen = []
    run_kappa_pit(
        conjugate_kappa,
        1,
        settings=ExactSbcSettings(n_replications=7),
        progress=lambda i, n: seen.append((i, n)),
    )
    assert seen == [(i, 7) for i in range(1, 8)]


# ------------------------------------------------------- sbc.hierarchical_pinned_pit
def test_pinned_pit_passes_on_the_production_estimator() -> None:
    res = run_hierarchical_pinned_pit(hierarchical_kappa, SEED)
    assert res.status is Status.PASS, res.statistic
    assert _json_roundtrip(res)["details"]["a0"] == 5.0


@pytest.mark.parametrize(
    ("bad", "n_replications"),
    [(fixed_prior_hierarchical, 2000), (overconcentrated_hierarchical, 1000)],
)
def test_pinned_pit_fails_on_wrong_posteriors(bad, n_replications: int) -> None:
    s = ExactSbcSettings(n_replications=n_replications)
    res = run_hierarchical_pinned_pit(bad, SEED, settings=s)
    assert res.status is Status.FAIL and res.statistic > 1.0


# -------------------------------------------------- sbc.hierarchical_plugin_coverage
SMALL_PLUGIN = PluginSbcSettings(n_replications=400)
SMALL_MARKET_ONLY = dataclasses.replace(
    SMALL_PLUGIN, n_replications=300, regimes=SMALL_PLUGIN.regimes[:1]
)


def test_plugin_coverage_passes_and_reports_both_regimes() -> None:
    res = run_hierarchical_plugin_coverage(hierarchical_kappa, SEED, settings=SMALL_PLUGIN)
    assert res.status is Status.PASS, res.details
    d = _json_roundtrip(res)["details"]
    assert set(d["regimes"]) == {"small_market", "large_market"}
    for regime in d["regimes"].values():
        # the exact full-Bayes reference is calibrated in both regimes
        assert not regime["reference_uniformity"]["rejected"]
        assert len(regime["candidate_coverage"]) == 9 and len(regime["reference_pit"]) == 400
        assert regime["shortfall_95"] == pytest.approx(0.95 - regime["coverage_95"])
        assert len(regime["coverage_95_by_n_own"]) == 3
    small, large = d["regimes"]["small_market"], d["regimes"]["large_market"]
    # the plug-in is as uncertain as the market sample size says: ~1/sqrt(A + M)
    assert 0.1 < small["plugin_relative_error_sd"] < 0.3
    assert 0.01 < large["plugin_relative_error_sd"] < 0.04


def test_plugin_coverage_fails_on_an_overconfident_candidate() -> None:
    res = run_hierarchical_plugin_coverage(
        overconfident_hierarchical, SEED, settings=SMALL_MARKET_ONLY
    )
    assert res.status is Status.FAIL and res.statistic > 1.0


def test_plugin_coverage_is_inconclusive_when_the_reference_is_wrong(monkeypatch) -> None:
    """A reference with the wrong hyperprior (rate x 4) is not calibrated: the check cannot
    judge the candidate and must not pass."""

    def wrong(own, market, a0, alpha, beta):
        return marginal_own_posterior(own, market, a0, alpha, 4 * beta)

    monkeypatch.setattr(sbc_plugin, "marginal_own_posterior", wrong)
    res = run_hierarchical_plugin_coverage(hierarchical_kappa, SEED, settings=SMALL_MARKET_ONLY)
    assert res.status is Status.INCONCLUSIVE and res.details["reference_broken"]


def test_plugin_fail_bounds_are_binomial_quantiles() -> None:
    from scipy import stats

    lo, hi = sbc_plugin._one_sided_bounds(1000, 0.02, 0.00025)
    assert stats.binom.cdf(lo - 1, 1000, 0.93) <= 0.00025 < stats.binom.cdf(lo, 1000, 0.93)
    assert stats.binom.sf(hi, 1000, 0.95) <= 0.00025 < stats.binom.sf(hi - 1, 1000, 0.95)


# ------------------------------------------------------------------------ audits
@pytest.mark.audit
def test_audit_false_alarm_rates_of_the_exact_pit_checks() -> None:
    """Measured over 200 seeds at alpha = 0.05 (where the level is visible) and 100 seeds at
    the default 0.001 (which they can only bound); each FAIL count must be consistent with at
    most Binomial(n, alpha) (its exact 99.9% upper quantile). About 20 minutes."""
    from scipy import stats

    rows = exact_pit_audit(n_seeds=200, alphas=(0.05,)) + exact_pit_audit(
        n_seeds=100, alphas=(0.001,)
    )
    for row in rows:
        assert row.failures <= stats.binom.ppf(0.999, row.n_seeds, row.alpha), row


@pytest.mark.audit
def test_audit_false_alarm_rate_of_the_plugin_check() -> None:
    """100 seeds (about 10 minutes). FAIL rate <= alpha = 0.001 when the true shortfall is
    within budget; INCONCLUSIVE rate <= 2 x reference_alpha (two regimes)."""
    from scipy import stats

    s = PluginSbcSettings()
    row = plugin_audit(n_seeds=100, settings=s)
    assert row.failures <= stats.binom.ppf(0.999, row.n_seeds, s.alpha), row
    assert row.inconclusive <= stats.binom.ppf(0.999, row.n_seeds, 2 * s.reference_alpha), row
