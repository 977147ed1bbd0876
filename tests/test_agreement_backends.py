"""Cross-implementation agreement: the JAX reference models vs the PyMC ones."""

from __future__ import annotations

import numpy as np
import pytest

from validation.agreement.backends import CHECKS, KNOWN_BAD, SCENARIOS, compare_draws, run_check
from validation.results import Status


def test_conjugate_jax_and_pymc_agree_and_the_swapped_prior_fails():
    good = run_check("gamma_exponential", 0)
    assert good.status is Status.PASS, good.details
    assert good.statistic < 1.0 and good.false_alarm_rate == 1e-3
    bad = run_check("gamma_exponential", 0, known_bad=True)
    assert bad.status is Status.FAIL and bad.statistic > 1.0
    assert bad.details["pymc"] == good.details["pymc"]  # same PyMC fit, only the JAX model differs


def test_two_sample_comparison_flags_a_shift_of_a_fraction_of_an_sd():
    """iid draws: the same distribution passes, a 0.3 sd shift in one sample fails."""
    rng = np.random.default_rng(0)
    a = {"x": rng.normal(size=(4, 1000))}
    same = {"x": rng.normal(size=(4, 1000))}
    rows, ks, _ = compare_draws(a, same, 1e-3)
    assert max(r.ratio for r in rows) < 1.0 and ks["x"] > 1e-3
    shifted = {"x": rng.normal(0.3, 1.0, size=(4, 1000))}
    rows, _, _ = compare_draws(a, shifted, 1e-3)
    assert max(r.ratio for r in rows if r.summary == "mean") > 1.0


def test_checks_are_registered_in_the_reference_family():
    names = {c.name for c in CHECKS}
    assert names == {
        "agreement.jax_vs_pymc.gamma_exponential",
        "agreement.jax_vs_pymc.hierarchical_kappa",
        "agreement.jax_vs_pymc.jump_mixture",
    }
    assert all(c.family == "reference" and c.uses_mcmc for c in CHECKS)


def test_every_model_has_a_known_bad_jax_variant():
    from reference_models.jax_models import build

    assert set(KNOWN_BAD) == set(SCENARIOS)
    for module, variant in KNOWN_BAD.items():
        assert "[" in build(module, **SCENARIOS[module].build, **variant).name


@pytest.mark.parametrize("module", ["hierarchical_kappa", "jump_mixture"])
def test_hierarchical_and_mixture_agree(module):
    """In the default run because the quick audit leaves these two checks to the full suite."""
    result = run_check(module, 0)
    assert result.status is Status.PASS, result.details


@pytest.mark.slow
def test_hierarchical_swapped_prior_fails():
    assert run_check("hierarchical_kappa", 0, known_bad=True).status is Status.FAIL


@pytest.mark.slow
def test_mixture_without_the_diffusion_weight_fails():
    """The log-sum-exp without log(1 - pi) moves pi from about 0.05 to about 0.98."""
    bad = run_check("jump_mixture", 0, known_bad=True)
    assert bad.status is Status.FAIL and bad.details["known_bad"] == KNOWN_BAD["jump_mixture"]
    (pi,) = [
        r for r in bad.details["summaries"] if r["variable"] == "pi" and r["summary"] == "mean"
    ]
    assert pi["pymc"] < 0.2 < 0.9 < pi["jax"]
