"""Test quantities of the rank SBC: their values against scipy, the verdict per quantity with
Bonferroni on exact posterior draws (no MCMC), the latest-half bug that only the
log-likelihood quantity catches, and the mixture's joint quantity."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from validation.calibration.quantities import QUANTITIES, UnknownQuantityError, resolve
from validation.calibration.sbc_reference import (
    RankSbcSettings,
    rank_verdict,
    replication_inputs,
    replication_record,
)
from validation.results import Status

RNG = np.random.default_rng(11)


def test_exponential_loglik_equals_scipy() -> None:
    d = RNG.exponential(1 / 2500.0, 37)
    kappa = np.array([1200.0, 2500.0, 4100.0])
    got = QUANTITIES["gamma_exponential"]["loglik"].evaluate({"kappa": kappa}, {"distances": d})
    expected = [stats.expon.logpdf(d, scale=1 / k).sum() for k in kappa]
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_mixture_loglik_equals_scipy_densities() -> None:
    r = np.concatenate([RNG.normal(0, 1e-4, 90), RNG.normal(0, 8e-4, 10)])
    theta = {"pi": np.array([0.05, 0.2]), "sigma_d": np.array([1e-4, 2e-4])}
    theta["sigma_j"] = np.array([5e-4, 9e-4])
    got = QUANTITIES["jump_mixture"]["loglik"].evaluate(theta, {"returns": r})
    expected = [
        np.log(
            (1 - p) * stats.norm.pdf(r, 0, sd) + p * stats.norm.pdf(r, 0, sj)
        ).sum()
        for p, sd, sj in zip(theta["pi"], theta["sigma_d"], theta["sigma_j"], strict=True)
    ]  # fmt: skip
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_a_quantity_increasing_in_kappa_ranks_exactly_like_kappa() -> None:
    """kappa S (S > 0 fixed by the data): the reason it is not a built-in."""
    from validation.calibration.quantities import RankQuantity

    kappa_s = RankQuantity("kappa_s", "kappa S", lambda t, y: t["kappa"] * y["distances"].sum())
    kappa = QUANTITIES["gamma_exponential"]["kappa"]
    for _ in range(50):
        d = {"distances": RNG.exponential(4e-4, RNG.integers(1, 50))}
        draws = {"kappa": RNG.gamma(5.0, 500.0, 99)}
        truth = {"kappa": float(RNG.gamma(5.0, 500.0))}
        assert kappa_s.rank(truth, draws, d) == kappa.rank(truth, draws, d)


def test_unknown_quantities_are_refused_naming_the_value() -> None:
    with pytest.raises(UnknownQuantityError, match="'pi' is not a test quantity"):
        RankSbcSettings(quantities=("kappa", "pi"))
    with pytest.raises(UnknownQuantityError, match="no repeats"):
        resolve("gamma_exponential", ["kappa", "kappa"])
    with pytest.raises(UnknownQuantityError, match="at least one"):
        resolve("jump_mixture", [])


def exact_records(settings: RankSbcSettings, seed: int, latest_half: bool = False) -> list:
    """Records of the conjugate rank SBC with L exact posterior draws instead of NUTS: the
    posterior Gamma(a0 + n, b0 + S) of all the distances, or of the latest ceil(n / 2)."""
    rng = np.random.default_rng([seed, 99])
    prior = settings.model_prior
    out = []
    for k in range(settings.n_replications):
        data, _ = replication_inputs(k, settings, seed)
        used = data.distances[data.distances.size // 2 :] if latest_half else data.distances
        rate = prior.beta + used.sum()
        draws = rng.gamma(prior.alpha + used.size, 1.0 / rate, (1, settings.n_ranked_draws))
        out.append(
            replication_record(
                k,
                settings.n_ranked_draws,
                (),
                float(settings.n_ranked_draws),
                {"kappa": data.kappa},
                {"distances": data.distances},
                {"kappa": draws},
                seconds=0.0,
                sampling_seconds=0.0,
            )
        )
    return out


EXACT = RankSbcSettings(n_replications=300)


def test_bonferroni_over_quantities() -> None:
    res = rank_verdict(exact_records(EXACT, 1), EXACT, 1, 0.0)
    parts = res.details["quantities"]
    assert list(parts) == ["kappa", "loglik"]
    assert all(
        p.level == EXACT.alpha / 2 and p.uniformity.alpha == EXACT.alpha / 2 for p in parts.values()
    )
    assert res.statistic == max(p.uniformity.statistic for p in parts.values())
    assert res.false_alarm_rate == EXACT.alpha


@pytest.mark.parametrize("seed", range(3))
def test_exact_posterior_passes_and_latest_half_fails_on_loglik_only(seed) -> None:
    good = rank_verdict(exact_records(EXACT, seed), EXACT, seed, 0.0)
    assert good.status is Status.PASS, good.statistic
    bad = rank_verdict(exact_records(EXACT, seed, latest_half=True), EXACT, seed, 0.0)
    parts = bad.details["quantities"]
    assert bad.status is Status.FAIL
    assert parts["loglik"].uniformity.rejected and not parts["kappa"].uniformity.rejected
    # the truth's log-likelihood sits too high: the ECDF of its ranks runs below the diagonal
    below = parts["loglik"].uniformity.band.ecdf_minus_uniform
    assert -below.min() > below.max()


@pytest.mark.audit
def test_exact_draw_rates_over_100_seeds() -> None:
    """Combined verdict on exact draws: false alarms at most 3/100; the latest-half posterior
    caught on >= 99/100 by loglik and on <= 3/100 by the kappa rank."""
    fa = kappa_hits = loglik_hits = 0
    for seed in range(100):
        fa += rank_verdict(exact_records(EXACT, seed), EXACT, seed, 0.0).failed
        bad = rank_verdict(exact_records(EXACT, seed, latest_half=True), EXACT, seed, 0.0)
        kappa_hits += bad.details["quantities"]["kappa"].uniformity.rejected
        loglik_hits += bad.details["quantities"]["loglik"].uniformity.rejected
    print(
        f"exact draws: false alarms {fa}/100, latest half: kappa {kappa_hits}, loglik {loglik_hits}"
    )
    assert fa <= 3 and kappa_hits <= 3 and loglik_hits >= 99


def test_latest_half_jax_model_keeps_the_latest_half_of_the_distances() -> None:
    import jax.numpy as jnp

    from reference_models.backends.blackjax_nuts import pad
    from validation.catalogue.reference_bugs import latest_half_jax_model

    model = latest_half_jax_model()  # imports the JAX models first: float64 arrays
    d = RNG.exponential(4e-4, 7)
    data = {
        k: jnp.asarray(v)
        for k, v in pad({"distances": d, "prior_alpha": 5.0, "prior_beta": 0.002}, 16).items()
    }
    summary = model.summarise(data)
    assert float(summary["n"]) == 4  # ceil(7 / 2): distances 3..6
    assert float(summary["sum_distances"]) == pytest.approx(d[3:].sum(), rel=1e-14)


def test_rates_by_quantity_counts_each_quantitys_rejections() -> None:
    from validation.calibration.sbc_reference import rates_by_quantity

    def exact_or_half(_candidate, seed: int):
        records = exact_records(EXACT, seed, latest_half=seed % 2 == 1)
        return rank_verdict(records, EXACT, seed, 0.0)

    rates = rates_by_quantity(exact_or_half, None, 2, 0)  # seed 0 exact, seed 1 latest half
    assert (rates.rate.failures, rates.rate.failed_seeds) == (1, (1,))
    assert rates.rejections == {"kappa": 0, "loglik": 1}
    assert "1/2 failed" in rates.line() and "loglik 1" in rates.line()
