"""Reference models without sampling: data validation, model densities vs scipy, closed forms.

The compiled log density of each model is evaluated at random points (in the sampler's
unconstrained space) and compared with the same density written independently with
scipy.stats plus the log-Jacobians of PyMC's transforms. This pins down parameterisation
(rate vs scale), the data wiring and the compile-once property (one compiled function, data
of changing length).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from pymc.blocking import DictToArrayBijection
from scipy import integrate, special, stats

from reference_models import gamma_exponential as ge
from reference_models import hierarchical_kappa as hk
from reference_models import jump_mixture as jm
from reference_models.base import ReferenceDataError


def model_logp(rm, point: dict[str, np.ndarray]) -> float:
    """The compiled log density at an unconstrained point given by value-variable names."""
    compiled = rm.compiled_pymc()
    ordered = {v.name: np.asarray(point[v.name], dtype=float) for v in compiled.value_vars}
    logp, _ = compiled.logp_dlogp([DictToArrayBijection.map(ordered).data], extra_vars={})
    return float(logp)


# ---------------------------------------------------------------- gamma-exponential


def gamma_exp_logp_scipy(log_kappa, d, a0, b0, prior_as_scale=False):
    kappa = math.exp(log_kappa)
    prior_scale = b0 if prior_as_scale else 1.0 / b0
    return (
        stats.gamma.logpdf(kappa, a0, scale=prior_scale)
        + stats.expon.logpdf(d, scale=1.0 / kappa).sum()
        + log_kappa  # Jacobian of kappa = exp(log_kappa)
    )


def test_gamma_exponential_density_matches_scipy_for_data_of_changing_length():
    rng = np.random.default_rng(101)
    rm = ge.build(5.0, 5.0 / 2500.0)
    compiled = rm.compiled_pymc()
    for n in (0, 1, 37, 500):
        d = rng.exponential(1 / 3000.0, n)
        rm.set_data({"distances": d})
        for log_kappa in rng.normal(math.log(2500.0), 0.5, 3):
            got = model_logp(rm, {"kappa_log__": log_kappa})
            want = gamma_exp_logp_scipy(log_kappa, d, 5.0, 5.0 / 2500.0)
            assert got == pytest.approx(want, rel=1e-10, abs=1e-8)
            bad = gamma_exp_logp_scipy(log_kappa, d, 5.0, 5.0 / 2500.0, prior_as_scale=True)
            assert abs(got - bad) > 1.0  # a scale-parameterised prior would be caught
    assert rm.compiled_pymc() is compiled  # compiled once, reused for every data set


def test_gamma_exponential_prior_is_data_and_resets_to_default():
    rm = ge.build(5.0, 0.002)
    d = np.array([1e-4, 3e-4])
    rm.set_data({"distances": d, "prior_alpha": 50.0, "prior_beta": 0.01})
    got = model_logp(rm, {"kappa_log__": 8.0})
    assert got == pytest.approx(gamma_exp_logp_scipy(8.0, d, 50.0, 0.01), rel=1e-10)
    rm.set_data({"distances": d})  # optional inputs not given go back to the build defaults
    got = model_logp(rm, {"kappa_log__": 8.0})
    assert got == pytest.approx(gamma_exp_logp_scipy(8.0, d, 5.0, 0.002), rel=1e-10)


def unnormalised_posterior_moments(log_density, lo, hi):
    """Mean, sd and CDF of a 1-d density known up to a constant, by quadrature."""
    peak = max(log_density(x) for x in np.linspace(lo, hi, 2001))

    def dens(x):
        return math.exp(log_density(x) - peak)

    z = integrate.quad(dens, lo, hi, limit=200)[0]
    mean = integrate.quad(lambda x: x * dens(x), lo, hi, limit=200)[0] / z
    var = integrate.quad(lambda x: (x - mean) ** 2 * dens(x), lo, hi, limit=200)[0] / z
    return mean, math.sqrt(var), lambda t: integrate.quad(dens, lo, t, limit=200)[0] / z


def test_analytic_posterior_matches_quadrature_of_prior_times_likelihood():
    rng = np.random.default_rng(102)
    d = rng.exponential(1 / 1800.0, 40)
    a0, b0 = 5.0, 5.0 / 2500.0

    def log_lik(k):
        return stats.expon.logpdf(d, scale=1 / k).sum()

    def log_post(k):
        return stats.gamma.logpdf(k, a0, scale=1.0 / b0) + log_lik(k)

    mean, sd, cdf = unnormalised_posterior_moments(log_post, 1.0, 6000.0)
    post = ge.analytic_posterior(d, a0, b0)
    assert post.mean() == pytest.approx(mean, rel=1e-7)
    assert post.std() == pytest.approx(sd, rel=1e-6)
    assert post.cdf(1700.0) == pytest.approx(cdf(1700.0), abs=1e-7)
    # the same comparison rejects a subtly wrong target: the prior left out (flat prior)
    wrong_mean, wrong_sd, _ = unnormalised_posterior_moments(log_lik, 1.0, 6000.0)
    assert post.mean() != pytest.approx(wrong_mean, rel=1e-4)
    assert post.std() != pytest.approx(wrong_sd, rel=1e-4)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "distances"),
        ({"distances": [1e-4, np.nan]}, "distances"),
        ({"distances": [1e-4, np.inf]}, "distances"),
        ({"distances": [1e-4, -1e-4]}, "distances"),
        ({"distances": [[1e-4]]}, "distances"),
        ({"distances": ["a"]}, "distances"),
        ({"distances": [1e-4], "prior_alpha": 0.0}, "prior_alpha"),
        ({"distances": [1e-4], "prior_beta": [1.0]}, "prior_beta"),
        ({"distances": [1e-4], "kappa": 3.0}, "kappa"),
    ],
)
def test_invalid_data_is_rejected_naming_the_field_and_leaves_the_model_unchanged(data, field):
    rm = ge.build(5.0, 0.002)
    rm.set_data({"distances": [2e-4, 3e-4], "prior_alpha": 7.0})
    before = {k: rm.model[k].get_value().copy() for k in rm.data_keys}
    with pytest.raises(ReferenceDataError) as err:
        rm.set_data(data)
    assert err.value.field == field
    assert field in str(err.value)
    for k, v in before.items():
        np.testing.assert_array_equal(rm.model[k].get_value(), v)


def test_analytic_posterior_rejects_bad_input():
    with pytest.raises(ReferenceDataError, match="distances"):
        ge.analytic_posterior(np.array([1e-4, -1.0]), 5.0, 0.002)
    with pytest.raises(ReferenceDataError, match="prior_beta"):
        ge.analytic_posterior(np.array([1e-4]), 5.0, -0.002)


# ---------------------------------------------------------------- hierarchical kappa


def hierarchical_logp_scipy(point, data, *, a0, km_shape=2.0, km_mean=2500.0, non_centred=False):
    """Joint log density in PyMC's unconstrained space, written with scipy.stats."""
    out = 0.0
    if "kappa_market_log__" in point:
        km = math.exp(point["kappa_market_log__"])
        out += stats.gamma.logpdf(km, km_shape, scale=km_mean / km_shape) + math.log(km)
        out += stats.expon.logpdf(data["market_distances"], scale=1 / km).sum()
    else:
        km = data["kappa_market"]
    if "a0_log__" in point:
        a0 = math.exp(point["a0_log__"])
        out += stats.lognorm.logpdf(a0, s=1.0, scale=5.0) + math.log(a0)
    if non_centred:
        u = np.exp(point["kappa_own_ratio_log__"])
        out += (stats.gamma.logpdf(u, a0, scale=1.0 / a0) + np.log(u)).sum()
        k = km * u
    else:
        k = np.exp(point["kappa_own_log__"])
        out += (stats.gamma.logpdf(k, a0, scale=km / a0) + np.log(k)).sum()
    return out + stats.expon.logpdf(data["own_distances"], scale=1 / k[data["own_group"]]).sum()


@pytest.mark.parametrize("parameterisation", ["centred", "non_centred"])
@pytest.mark.parametrize(("market", "a0"), [("pinned", 5.0), ("learned", 5.0), ("learned", None)])
def test_hierarchical_density_matches_scipy(market, a0, parameterisation):
    rng = np.random.default_rng(103)
    rm = hk.build(n_groups=3, market=market, a0=a0, parameterisation=parameterisation)
    own = "kappa_own_ratio_log__" if parameterisation == "non_centred" else "kappa_own_log__"
    for n in (0, 25, 80):
        data = {
            "own_distances": rng.exponential(1 / 2000.0, n),
            "own_group": rng.integers(0, 3, n),
        }
        data.update(
            {"kappa_market": 2300.0}
            if market == "pinned"
            else {"market_distances": rng.exponential(1 / 2500.0, 2 * n + 1)}
        )
        rm.set_data(data)
        point = {own: rng.normal(0.0 if own.endswith("ratio_log__") else 7.6, 0.3, 3)}
        if market == "learned":
            point["kappa_market_log__"] = rng.normal(7.8, 0.3)
        if a0 is None:
            point["a0_log__"] = rng.normal(1.6, 0.5)
        want = hierarchical_logp_scipy(
            point,
            data,
            a0=math.exp(point["a0_log__"]) if a0 is None else a0,
            non_centred=parameterisation == "non_centred",
        )
        assert model_logp(rm, point) == pytest.approx(want, rel=1e-10, abs=1e-8)


def test_hierarchical_learned_hyperprior_mean_is_data():
    rm = hk.build(n_groups=1, market="learned")
    data = {
        "own_distances": np.array([1e-4]),
        "own_group": np.array([0]),
        "market_distances": np.array([2e-4, 5e-4]),
    }
    point = {"kappa_market_log__": 7.5, "kappa_own_log__": np.array([7.7])}
    rm.set_data({**data, "kappa_market_prior_mean": 4000.0})
    want = hierarchical_logp_scipy(point, data, a0=5.0, km_mean=4000.0)
    assert model_logp(rm, point) == pytest.approx(want, rel=1e-10)


def test_pinned_posterior_matches_quadrature():
    rng = np.random.default_rng(104)
    km, a0 = 2500.0, 5.0
    d = rng.exponential(1 / 1500.0, 30)
    g = np.repeat([0, 1], 15)
    posts = hk.pinned_posterior(d, g, km, a0, n_groups=3)
    for k in (0, 1):
        dk = d[g == k]

        def log_post(x, dk=dk):
            return (
                stats.gamma.logpdf(x, a0, scale=km / a0) + stats.expon.logpdf(dk, scale=1 / x).sum()
            )

        mean, sd, _ = unnormalised_posterior_moments(log_post, 1.0, 8000.0)
        assert posts[k].mean() == pytest.approx(mean, rel=1e-7)
        assert posts[k].std() == pytest.approx(sd, rel=1e-6)
    # an empty group keeps its prior Gamma(a0, rate a0 / kappa_market)
    assert posts[2].mean() == pytest.approx(km)
    assert posts[2].std() == pytest.approx(km / math.sqrt(a0))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"own_group": np.array([0, 2])}, "own_group"),
        ({"own_group": np.array([0.0, 1.0])}, "own_group"),
        ({"own_group": np.array([0, 1, 1])}, "own_group"),
        ({"own_distances": np.array([1e-4, -1e-9])}, "own_distances"),
        ({"kappa_market": 0.0}, "kappa_market"),
        ({"kappa_market": np.nan}, "kappa_market"),
    ],
)
def test_hierarchical_invalid_data(change, field):
    rm = hk.build(n_groups=2, market="pinned")
    good = {
        "own_distances": np.array([1e-4, 2e-4]),
        "own_group": np.array([0, 1]),
        "kappa_market": 2e3,
    }
    rm.set_data(good)
    with pytest.raises(ReferenceDataError) as err:
        rm.set_data({**good, **change})
    assert err.value.field == field
    np.testing.assert_array_equal(rm.model["own_group"].get_value(), [0, 1])
    assert rm.model["kappa_market"].get_value() == 2e3


def test_hierarchical_build_arguments_are_checked():
    with pytest.raises(ValueError, match="n_groups"):
        hk.build(n_groups=0)
    with pytest.raises(ValueError, match="market"):
        hk.build(market="fixed")
    with pytest.raises(ValueError, match="parameterisation"):
        hk.build(parameterisation="nc")
    with pytest.raises(ReferenceDataError, match="a0"):
        hk.build(a0=-1.0)


# ---------------------------------------------------------------- jump mixture


def mixture_logp_scipy(point, r, scale, pi_beta=(1.0, 9.0)):
    pi = special.expit(point["pi_logodds__"])
    a, b = point["log_sigma_d_rel"], point["log_ratio_excess"]
    sd = scale * math.exp(a)
    sj = sd * (1.0 + math.exp(b))
    lik = np.logaddexp(
        math.log1p(-pi) + stats.norm.logpdf(r, 0, sd), math.log(pi) + stats.norm.logpdf(r, 0, sj)
    ).sum()
    return (
        stats.beta.logpdf(pi, *pi_beta)
        + math.log(pi * (1 - pi))  # Jacobian of the logit transform
        + stats.norm.logpdf(a, 0, 1)
        + stats.norm.logpdf(b, math.log(3.0), 1)
        + lik
    )


def test_mixture_density_matches_scipy_and_is_scale_free():
    rng = np.random.default_rng(105)
    rm = jm.build()
    for n, c in ((50, 1e-4), (400, 1.0), (1, 3e-3)):
        r = rng.normal(0, c, n) * np.where(rng.random(n) < 0.1, 5.0, 1.0)
        values = rm.set_data({"returns": r})
        scale = float(values["scale"])
        assert scale == pytest.approx(np.median(np.abs(r)) / stats.norm.ppf(0.75))
        point = {
            "pi_logodds__": rng.normal(-2, 0.5),
            "log_sigma_d_rel": rng.normal(0, 0.3),
            "log_ratio_excess": rng.normal(1, 0.3),
        }
        got = model_logp(rm, point)
        assert got == pytest.approx(mixture_logp_scipy(point, r, scale), rel=1e-10)
        # Rescaling returns by k (scale follows) shifts the log density by the constant
        # -n log k only, so the posterior in the sampled coordinates is the same.
        rm.set_data({"returns": r * 1e3})
        assert model_logp(rm, point) == pytest.approx(got - n * math.log(1e3), rel=1e-10)


def test_mixture_explicit_scale_and_degenerate_returns():
    rm = jm.build()
    r = np.array([1e-4, -2e-4, 5e-4])
    assert rm.set_data({"returns": r, "scale": 2e-4})["scale"] == 2e-4
    with pytest.raises(ReferenceDataError, match="scale"):
        rm.set_data({"returns": np.zeros(5)})
    with pytest.raises(ReferenceDataError, match="scale"):
        rm.set_data({"returns": np.zeros(0)})
    with pytest.raises(ReferenceDataError, match="returns"):
        rm.set_data({"returns": np.array([1e-4, np.inf])})
    with pytest.raises(ReferenceDataError, match="ratio_median"):
        jm.build(ratio_median=1.0)


def fake_fit(pi, sd, sj):
    """A FitResult carrying only a posterior with the given (chain, draw) arrays."""
    import arviz as az

    from reference_models.sampling import Diagnostics, FitResult, SamplerSettings

    idata = az.from_dict(posterior={"pi": pi, "sigma_d": sd, "sigma_j": sj})
    diag = Diagnostics({}, {}, {}, 0, 0.0, "none", True, [])
    return FitResult(idata, diag, 0, SamplerSettings())


def test_membership_probabilities_match_direct_bayes_rule_and_survive_50_sigma():
    rng = np.random.default_rng(106)
    pi = rng.uniform(0.02, 0.2, (2, 7))
    sd = rng.uniform(0.8e-4, 1.2e-4, (2, 7))
    sj = sd * rng.uniform(3, 6, (2, 7))
    r = np.array([0.0, 1e-4, -2.5e-4, 4e-4, 8e-4])
    p = jm.membership_probabilities(fake_fit(pi, sd, sj), r)
    pv, sdv, sjv = (x.reshape(-1, 1) for x in (pi, sd, sj))
    jump = pv * stats.norm.pdf(r, 0, sjv)
    direct = (jump / (jump + (1 - pv) * stats.norm.pdf(r, 0, sdv))).mean(axis=0)
    np.testing.assert_allclose(p, direct, rtol=1e-12)
    assert np.all(np.diff(p[[0, 1, 3, 4]]) > 0)  # grows with |r|
    extreme = jm.membership_probabilities(fake_fit(pi, sd, sj), np.array([50 * 1.2e-4, -1.0]))
    np.testing.assert_array_equal(extreme, [1.0, 1.0])  # direct formula gives 0/0 for -1.0
    with pytest.raises(ReferenceDataError, match="returns"):
        jm.membership_probabilities(fake_fit(pi, sd, sj), np.array([np.nan]))
