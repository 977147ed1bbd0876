"""Rank SBC of the PyMC jump mixture with the joint log-likelihood quantity (slow: NUTS fits)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from validation.calibration.sbc_mixture import (
    MixtureRankSettings,
    draw_parameters,
    replicate,
    run_mixture_ranks,
)
from validation.results import Status

SMALL = MixtureRankSettings(n_replications=40)


def test_parameters_follow_the_model_prior() -> None:
    """pi ~ Beta(1, 9), log(sigma_d / s) ~ N(0, 1), log(sigma_j / sigma_d - 1) ~ N(log 3, 1),
    against scipy over 4000 draws (KS at 0.001)."""
    from scipy import stats

    s = MixtureRankSettings()
    rng = np.random.default_rng(5)
    draws = [draw_parameters(rng, s) for _ in range(4000)]
    pi = np.array([d["pi"] for d in draws])
    log_sd = np.log([d["sigma_d"] / s.scale for d in draws])
    log_excess = np.log([d["sigma_j"] / d["sigma_d"] - 1.0 for d in draws])
    assert stats.kstest(pi, stats.beta(1.0, 9.0).cdf).pvalue > 0.001
    assert stats.kstest(log_sd, stats.norm(0.0, 1.0).cdf).pvalue > 0.001
    assert stats.kstest(log_excess, stats.norm(np.log(3.0), 1.0).cdf).pvalue > 0.001


@pytest.mark.slow
def test_records_keep_joint_thinned_draws() -> None:
    r = replicate(3, SMALL, 0)
    assert set(r.truth) == {"pi", "sigma_d", "sigma_j"} and len(r.data["returns"]) == 300
    assert r.usable, r.reasons
    assert {v: len(x) for v, x in r.draws.items()} == dict.fromkeys(r.truth, 99)
    assert all(sj > sd for sd, sj in zip(r.draws["sigma_d"], r.draws["sigma_j"], strict=True))


@pytest.mark.slow
def test_correct_model_passes_and_a_wrong_pi_prior_fails() -> None:
    good = run_mixture_ranks(None, 1, settings=SMALL)
    assert good.status is Status.PASS, good.statistic
    assert list(good.details["quantities"]) == ["pi", "sigma_d", "sigma_j", "loglik"]
    bad = run_mixture_ranks(None, 1, settings=dataclasses.replace(SMALL, model_pi_prior=(9.0, 1.0)))
    assert bad.status is Status.FAIL
    assert bad.details["quantities"]["pi"].uniformity.rejected
    assert np.median(bad.details["quantities"]["pi"].ranks) < 50  # posterior of pi pulled up
