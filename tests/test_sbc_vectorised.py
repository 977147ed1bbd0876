"""Rank SBC of the JAX gamma_exponential model with all replications in one program."""

from __future__ import annotations

import dataclasses

import pytest

from reference_models.jax_models import build
from validation.calibration.sbc_reference import replication_inputs
from validation.calibration.sbc_vectorised import (
    VECTORISED_RANKS,
    VECTORISED_SETTINGS,
    run_vectorised_ranks,
)
from validation.results import Status
from validation.scenarios import GammaPrior

SMALL = VECTORISED_SETTINGS  # the registered check's size: one compiled program for both


@pytest.fixture(scope="module")
def correct():
    return run_vectorised_ranks(None, 4, settings=SMALL)


def test_correct_model_passes_with_gated_replications(correct):
    assert correct.name == VECTORISED_RANKS
    assert correct.status is Status.PASS, correct.details.get("uniformity")
    assert correct.details["n_usable"] >= 0.9 * SMALL.n_replications
    assert correct.details["sampler"].chains == 2
    for part in correct.details["quantities"].values():
        assert part.ranks.size == correct.details["n_usable"]
        assert all(0 <= r <= SMALL.n_ranked_draws for r in part.ranks)
    moments = correct.details["replications"]["kappa"]  # the report's panels and table
    assert moments.usable_flags.sum() == correct.details["n_usable"]
    kappa_ranks = correct.details["quantities"]["kappa"].ranks.tolist()
    assert moments.ranked["rank"][moments.usable_flags].tolist() == kappa_ranks


def test_wrong_model_prior_fails():
    """Model prior 10x off the simulation prior (data-driven: the same compiled program)."""
    bad = dataclasses.replace(SMALL, model_prior=GammaPrior(5.0, 10 * GammaPrior().beta))
    assert run_vectorised_ranks(None, 4, settings=bad).status is Status.FAIL


def test_replications_use_the_serial_paths_data(correct):
    unusable = {u["replication"] for u in correct.details["unusable"]}
    usable = [k for k in range(SMALL.n_replications) if k not in unusable]
    assert correct.details["n_per_replication"] == [
        replication_inputs(k, SMALL, 4)[0].distances.size for k in usable
    ]


@pytest.mark.slow
def test_likelihood_of_the_latest_half_fails_on_the_loglik_rank_only():
    """The catalogue's reference.loglik_latest_half: its kappa ranks stay uniform (a model of
    its own: one more compilation, about 40 s)."""
    from validation.catalogue.reference_bugs import latest_half_jax_model

    bad = run_vectorised_ranks(latest_half_jax_model, 4, settings=SMALL)
    parts = bad.details["quantities"]
    assert bad.status is Status.FAIL
    assert parts["loglik"].uniformity.rejected and not parts["kappa"].uniformity.rejected
    assert bad.details["model"] == "gamma_exponential[latest half of the distances]"


@pytest.mark.slow
def test_swapped_rate_and_scale_fails():
    swapped = build(
        "gamma_exponential", prior_alpha=5.0, prior_beta=0.002, swap_rate_and_scale=True
    )
    assert run_vectorised_ranks(None, 4, settings=SMALL, model=swapped).status is Status.FAIL
