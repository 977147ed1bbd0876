"""The kappa candidates equal the closed-form posteriors computed here from the raw data."""

from __future__ import annotations

import numpy as np
import pytest

from validation.candidates.kappa import (
    conjugate_kappa,
    hierarchical_kappa,
    market_kappa_plugin,
    market_timestamps,
)
from validation.scenarios import GammaPrior, simulate_hierarchical, simulate_kappa

FLOOR = 1e-5  # production distance floor (fraction of the mid)


@pytest.mark.parametrize("n", [0, 1, 7, 300])
def test_conjugate_kappa_is_the_conjugate_posterior(n: int) -> None:
    rng = np.random.default_rng(n)
    prior = GammaPrior(3.0, 3.0 / 4000.0)
    data = simulate_kappa(rng, 20_000.0, n)  # large kappa: some distances below the floor
    post = conjugate_kappa(data, prior)
    d = np.maximum(data.distances, FLOOR)
    assert post.alpha == prior.alpha + n
    assert post.beta == pytest.approx(prior.beta + d.sum(), rel=1e-12)
    if n == 300:
        assert np.any(data.distances < FLOOR)


def test_conjugate_kappa_ignores_volumes() -> None:
    rng = np.random.default_rng(1)
    data = simulate_kappa(rng, 2500.0, 50)
    heavy = type(data)(data.distances, data.timestamps_ms, data.volumes * 100.0, data.kappa)
    assert conjugate_kappa(data, GammaPrior()) == conjugate_kappa(heavy, GammaPrior())


@pytest.mark.parametrize("n_own", [0, 3, 200])
def test_hierarchical_kappa_is_the_pinned_posterior(n_own: int) -> None:
    rng = np.random.default_rng(10 + n_own)
    data = simulate_hierarchical(rng, 3000.0, a0=4.0, n_own=n_own, n_market=10)
    kappa_market = 1234.5
    post = hierarchical_kappa(data, kappa_market)
    d = np.maximum(data.own_distances, FLOOR)
    assert post.alpha == 4.0 + n_own
    assert post.beta == pytest.approx(4.0 / kappa_market + d.sum(), rel=1e-12)


def test_market_plugin_is_the_market_posterior_mean() -> None:
    rng = np.random.default_rng(2)
    prior = GammaPrior()
    for n_market in (0, 25, 2000):
        data = simulate_hierarchical(rng, 2500.0, a0=5.0, n_own=5, n_market=n_market)
        x = np.maximum(data.market_distances, FLOOR)
        expected = (prior.alpha + n_market) / (prior.beta + x.sum())
        assert market_kappa_plugin(data, prior) == pytest.approx(expected, rel=1e-12)


def test_market_timestamps_fit_in_the_window() -> None:
    t = market_timestamps(2000)
    assert t.size == 2000 and t[0] == 0 and t[-1] < 60_000 and np.all(np.diff(t) >= 0)
    assert market_timestamps(0).size == 0
