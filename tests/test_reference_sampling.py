"""The sampling layer, checked end to end on the conjugate model against exact math.

Criteria (reference_models.exact_check): mean, sd and the 2.5/50/97.5% quantiles within 4 MCSE
of the exact posterior, and a KS test of ESS-thinned draws with p >= 1e-3. Each criterion is
also shown to reject a wrong target. The convergence gate is shown to reject a short run and
chains that disagree.
"""

from __future__ import annotations

import importlib.util

import arviz as az
import numpy as np
import pytest
from scipy import stats

from reference_models import backends, sampling
from reference_models import gamma_exponential as ge
from reference_models.base import ReferenceDataError
from reference_models.exact_check import compare_with_exact
from reference_models.sampling import ConvergenceGate, SamplerSettings, diagnose, fit

A0, B0 = 5.0, 5.0 / 2500.0
PYMC = SamplerSettings(draws=1000, tune=1000, chains=2, backend="pymc")


@pytest.fixture(scope="module")
def model():
    return ge.build(A0, B0)


@pytest.fixture(scope="module")
def distances():
    return np.random.default_rng(201).exponential(1 / 1800.0, 60)


@pytest.fixture(scope="module")
def conjugate_fit(model, distances):
    return fit(model, {"distances": distances}, seed=202, settings=PYMC)


def test_conjugate_fit_is_usable_and_matches_the_exact_posterior(conjugate_fit, distances):
    diag = conjugate_fit.diagnostics
    assert diag.usable, diag.reasons
    assert diag.backend == "pymc"
    assert set(diag.rhat) == {"kappa"}
    exact = ge.analytic_posterior(distances, A0, B0)
    result = compare_with_exact(conjugate_fit.idata.posterior["kappa"].values, exact)
    assert result.passed, result.failures
    assert result.n_thinned >= 500


def shifted(dist, shift_in_sd):
    """The same shape moved by shift_in_sd posterior sds (a wrong target)."""
    return stats.gamma(dist.kwds["a"], loc=shift_in_sd * dist.std(), scale=dist.kwds["scale"])


@pytest.mark.parametrize(
    ("name", "wrong_target", "must_fail", "ks_rejects"),
    [
        # mean moved by a quarter of a posterior sd
        ("shift", lambda e: shifted(e, 0.25), "mean", True),
        # same mean, sd 30% too wide (an approximation that loses information); KS has little
        # power against a pure change of scale, the sd and tail quantiles catch it
        ("wide", lambda e: stats.norm(e.mean(), 1.3 * e.std()), "sd", False),
        # three extra counts in the shape (a miscounting bug)
        ("count+3", lambda e: stats.gamma(e.kwds["a"] + 3, scale=e.kwds["scale"]), "mean", True),
    ],
)
def test_exact_comparison_rejects_wrong_targets(
    conjugate_fit, distances, name, wrong_target, must_fail, ks_rejects
):
    exact = ge.analytic_posterior(distances, A0, B0)
    result = compare_with_exact(conjugate_fit.idata.posterior["kappa"].values, wrong_target(exact))
    assert not result.passed, name
    assert any(f.startswith(must_fail) for f in result.failures), result.failures
    if ks_rejects:
        assert result.ks_pvalue < 1e-3, name


def test_fits_are_deterministic_and_tuning_does_not_leak(model, distances):
    small = SamplerSettings(draws=200, tune=200, chains=2, backend="pymc")
    first = fit(model, {"distances": distances}, seed=7, settings=small)
    other = np.random.default_rng(203).exponential(1 / 900.0, 400)
    fit(model, {"distances": other}, seed=8, settings=small)  # a different data set in between
    again = fit(model, {"distances": distances}, seed=7, settings=small)
    np.testing.assert_array_equal(
        first.idata.posterior["kappa"].values, again.idata.posterior["kappa"].values
    )
    np.testing.assert_array_equal(
        first.idata.sample_stats["step_size"].values, again.idata.sample_stats["step_size"].values
    )
    reseeded = fit(model, {"distances": distances}, seed=9, settings=small)
    assert not np.array_equal(
        first.idata.posterior["kappa"].values, reseeded.idata.posterior["kappa"].values
    )
    assert first.seed == 7 and first.settings == small


def test_later_fits_do_not_recompile_the_log_density(model, distances, monkeypatch):
    model.compiled_pymc()

    def forbidden(*args, **kwargs):
        raise AssertionError("log density compiled again")

    monkeypatch.setattr(model.model, "logp_dlogp_function", forbidden)
    small = SamplerSettings(draws=100, tune=100, chains=2, backend="pymc")
    for n in (10, 300):
        d = np.random.default_rng(n).exponential(1 / 2000.0, n)
        fit(model, {"distances": d}, seed=n, settings=small)
    fresh = ge.build(A0, B0)  # the guard does fire when a model does compile
    monkeypatch.setattr(fresh.model, "logp_dlogp_function", forbidden)
    with pytest.raises(AssertionError, match="compiled again"):
        fit(fresh, {"distances": distances}, seed=1, settings=small)


def test_short_run_fails_the_gate_with_reasons(model, distances):
    short = SamplerSettings(draws=50, tune=10, chains=2, backend="pymc")
    result = fit(model, {"distances": distances}, seed=204, settings=short)
    diag = result.diagnostics
    assert not diag.usable
    assert any(r.startswith("ess_bulk[kappa]") for r in diag.reasons), diag.reasons
    assert any(r.startswith("ess_tail[kappa]") for r in diag.reasons), diag.reasons


def test_invalid_data_raises_before_sampling_and_leaves_model_unchanged(model, distances):
    model.set_data({"distances": distances})
    with pytest.raises(ReferenceDataError, match="distances"):
        fit(model, {"distances": np.append(distances, np.nan)}, seed=1, settings=PYMC)
    np.testing.assert_array_equal(model.model["distances"].get_value(), distances)


def synthetic_idata(chain_means, divergent=0, seed=205):
    rng = np.random.default_rng(seed)
    draws = rng.normal(size=(len(chain_means), 1000)) + np.asarray(chain_means)[:, None]
    diverging = np.zeros(draws.shape, dtype=bool)
    diverging.flat[:divergent] = True
    return az.from_dict(posterior={"x": draws}, sample_stats={"diverging": diverging})


def test_gate_accepts_iid_chains_and_rejects_disagreeing_or_divergent_ones():
    gate = ConvergenceGate()
    good = diagnose(synthetic_idata([0, 0, 0, 0]), gate, sampling_seconds=1.0, backend="none")
    assert good.usable and good.reasons == []
    assert 3000 < good.ess_bulk["x"] < 5000 and good.rhat["x"] < 1.01
    apart = diagnose(synthetic_idata([0, 0, 0, 0.5]), gate, sampling_seconds=1.0, backend="none")
    assert not apart.usable
    assert any(r.startswith("rhat[x]") for r in apart.reasons)
    div = diagnose(synthetic_idata([0, 0], divergent=3), gate, sampling_seconds=1.0, backend="x")
    assert div.divergences == 3 and div.reasons == ["divergences=3 > 0"]
    lenient = ConvergenceGate(max_divergences=3)
    assert diagnose(
        synthetic_idata([0, 0], divergent=3), lenient, sampling_seconds=1, backend="x"
    ).usable


def test_gate_treats_nan_as_failure():
    reasons = ConvergenceGate().reasons({"x": float("nan")}, {"x": 500.0}, {"x": float("nan")}, 0)
    assert reasons == ["rhat[x]=nan > 1.01", "ess_tail[x]=nan < 400"]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"draws": 0},
        {"tune": -1},
        {"chains": 0},
        {"cores": 0},
        {"target_accept": 1.0},
        {"target_accept": 0.0},
        {"backend": "stan"},
    ],
)
def test_sampler_settings_are_checked(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        SamplerSettings(**kwargs)


def test_backend_resolution(monkeypatch):
    installed = importlib.util.find_spec("nutpie") is not None
    assert sampling.resolve_backend("auto") == ("nutpie" if installed else "pymc")
    assert sampling.resolve_backend("pymc") == "pymc"
    monkeypatch.setattr(backends.importlib.util, "find_spec", lambda name: None)
    assert sampling.resolve_backend("auto") == "pymc"
    with pytest.raises(ImportError, match="nutpie"):
        sampling.resolve_backend("nutpie")


def test_nutpie_backend_matches_the_exact_posterior(distances):
    pytest.importorskip("nutpie")
    model = ge.build(A0, B0)  # own model: compiling for nutpie is separate from PyMC's
    settings = SamplerSettings(draws=1000, tune=1000, chains=2, backend="nutpie")
    result = fit(model, {"distances": distances}, seed=206, settings=settings)
    assert result.diagnostics.usable and result.diagnostics.backend == "nutpie"
    assert list(result.idata.posterior.data_vars) == ["kappa"]  # as PyMC: no kappa_log__
    exact = ge.analytic_posterior(distances, A0, B0)
    assert compare_with_exact(result.idata.posterior["kappa"].values, exact).passed
    again = fit(model, {"distances": distances}, seed=206, settings=settings)
    np.testing.assert_array_equal(
        result.idata.posterior["kappa"].values, again.idata.posterior["kappa"].values
    )
    other = np.random.default_rng(207).exponential(1 / 900.0, 300)  # new length, same compile
    result = fit(model, {"distances": other}, seed=208, settings=settings)
    assert compare_with_exact(
        result.idata.posterior["kappa"].values, ge.analytic_posterior(other, A0, B0)
    ).passed


@pytest.mark.slow
def test_parallel_chains_give_the_same_draws(model, distances):
    """cores=2 (multiprocess, the prebuilt step is pickled) reproduces cores=1 exactly."""
    settings = SamplerSettings(draws=200, tune=200, chains=2, backend="pymc")
    serial = fit(model, {"distances": distances}, seed=209, settings=settings)
    parallel_settings = SamplerSettings(draws=200, tune=200, chains=2, backend="pymc", cores=2)
    parallel = fit(model, {"distances": distances}, seed=209, settings=parallel_settings)
    np.testing.assert_array_equal(
        serial.idata.posterior["kappa"].values, parallel.idata.posterior["kappa"].values
    )
