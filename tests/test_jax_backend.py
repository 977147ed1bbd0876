"""The JAX reference implementations and the ``"jax"`` backend.

The JAX log densities are written independently of the PyMC graphs, in the same unconstrained
coordinates (log kappa, logit pi, ...), so both must give the same normalised log density at
any point: checked against PyMC's compiled ``model.logp`` and against scipy.stats densities.
"""

from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np
import pytest
from scipy import special, stats

from reference_models import build_once, sampling
from reference_models.backends import blackjax_nuts, get_backend, resolve_backend
from reference_models.exact_check import compare_with_exact
from reference_models.fit_cache import fit_manifest
from reference_models.gamma_exponential import analytic_posterior
from reference_models.jax_models import build

A0, B0 = 5.0, 5.0 / 2500.0
# the agreement check's settings (and a data length in the same padding bucket), so the
# compiled program is shared with tests/test_agreement_backends.py in one pytest process
JAX_SETTINGS = sampling.SamplerSettings(draws=1000, tune=1000, chains=4, backend="jax")


def jax_logp(reference_model, data, position, **variant):
    model = build(reference_model.module, **reference_model.build_args, **variant)
    values = blackjax_nuts.pad(reference_model.prepare(data))
    summary = model.summarise({k: jnp.asarray(v) for k, v in values.items()})
    point = {k: jnp.asarray(v) for k, v in position.items()}
    return float(model.logdensity(point, summary))


def pymc_logp(reference_model, data, point):
    reference_model.set_data(data)
    return float(reference_model.model.compile_logp()(point))


def test_gamma_exponential_density_equals_pymc_and_scipy():
    rm = build_once("gamma_exponential", prior_alpha=A0, prior_beta=B0)
    d = np.random.default_rng(1).exponential(1 / 2500, size=37)
    for u in (math.log(800.0), math.log(2500.0), math.log(9000.0)):
        k = math.exp(u)
        by_scipy = (
            stats.gamma.logpdf(k, A0, scale=1 / B0) + u + stats.expon.logpdf(d, scale=1 / k).sum()
        )
        ours = jax_logp(rm, {"distances": d}, {"log_kappa": u})
        assert ours == pytest.approx(by_scipy, rel=1e-12)
        assert ours == pytest.approx(pymc_logp(rm, {"distances": d}, {"kappa_log__": u}), 1e-12)
        swapped = jax_logp(rm, {"distances": d}, {"log_kappa": u}, swap_rate_and_scale=True)
        assert abs(swapped - ours) > 1.0


@pytest.mark.parametrize("a0", [5.0, None])
def test_hierarchical_density_equals_pymc(a0):
    rm = build_once("hierarchical_kappa", n_groups=3, market="learned", a0=a0)
    rng = np.random.default_rng(2)
    data = {
        "market_distances": rng.exponential(1 / 2500, 50),
        "own_distances": rng.exponential(1 / 1500, 20),
        "own_group": rng.integers(0, 3, 20),
    }
    w, v, s = np.log([1000.0, 2000.0, 4000.0]), math.log(2200.0), math.log(3.0)
    pos = {"log_kappa_own": w, "log_kappa_market": v}
    point = {"kappa_own_log__": w, "kappa_market_log__": v}
    if a0 is None:
        pos["log_a0"], point["a0_log__"] = s, s
    assert jax_logp(rm, data, pos) == pytest.approx(pymc_logp(rm, data, point), rel=1e-12)


def test_pinned_hierarchical_density_equals_pymc_and_its_swap_differs():
    rm = build_once("hierarchical_kappa", n_groups=1, market="pinned", a0=5.0)
    d = np.random.default_rng(3).exponential(1 / 2000, 30)
    data = {"own_distances": d, "own_group": np.zeros(30, dtype=np.int64), "kappa_market": 2e3}
    w = np.array([math.log(1800.0)])
    ours = jax_logp(rm, data, {"log_kappa_own": w})
    assert ours == pytest.approx(pymc_logp(rm, data, {"kappa_own_log__": w}), rel=1e-12)
    assert abs(jax_logp(rm, data, {"log_kappa_own": w}, swap_rate_and_scale=True) - ours) > 1.0


def test_jump_mixture_density_equals_pymc_and_scipy():
    rm = build_once("jump_mixture")
    r = np.random.default_rng(4).standard_t(3, size=200) * 1e-4
    t, ld, x = -2.0, 0.1, 1.2
    scale = float(np.median(np.abs(r)) / stats.norm.ppf(0.75))
    pi, sd = special.expit(t), scale * math.exp(ld)
    sj = sd * (1 + math.exp(x))
    by_scipy = (
        stats.beta.logpdf(pi, 1.0, 9.0)
        + math.log(pi * (1 - pi))
        + stats.norm.logpdf(ld, 0, 1)
        + stats.norm.logpdf(x, math.log(3.0), 1)
        + np.logaddexp(
            np.log1p(-pi) + stats.norm.logpdf(r, 0, sd), np.log(pi) + stats.norm.logpdf(r, 0, sj)
        ).sum()
    )
    pos = {"logit_pi": t, "log_sigma_d_rel": ld, "log_ratio_excess": x}
    ours = jax_logp(rm, {"returns": r}, pos)
    assert ours == pytest.approx(by_scipy, rel=1e-12)
    point = {"pi_logodds__": t, "log_sigma_d_rel": ld, "log_ratio_excess": x}
    assert ours == pytest.approx(pymc_logp(rm, {"returns": r}, point), rel=1e-12)
    # the known-bad variant drops log(1 - pi) from the diffusion term of every return
    by_scipy_bad = (
        by_scipy
        + (
            np.logaddexp(stats.norm.logpdf(r, 0, sd), np.log(pi) + stats.norm.logpdf(r, 0, sj))
            - np.logaddexp(
                np.log1p(-pi) + stats.norm.logpdf(r, 0, sd),
                np.log(pi) + stats.norm.logpdf(r, 0, sj),
            )
        ).sum()
    )
    bad = jax_logp(rm, {"returns": r}, pos, omit_diffusion_weight=True)
    assert bad == pytest.approx(by_scipy_bad, rel=1e-12) and bad - ours > 1.0


def test_padding_does_not_change_the_density():
    rm = build_once("jump_mixture")
    model = blackjax_nuts.jax_model_of(rm)
    r = np.random.default_rng(5).normal(0, 1e-4, 21)
    values = rm.prepare({"returns": r})
    pos = {"logit_pi": -1.0, "log_sigma_d_rel": 0.0, "log_ratio_excess": 1.0}
    by_length = [
        float(
            model.logdensity(
                pos, {k: jnp.asarray(v) for k, v in blackjax_nuts.pad(values, n).items()}
            )
        )
        for n in (21, 32, 256)
    ]
    assert by_length[1] == pytest.approx(by_length[0], rel=1e-13)
    assert by_length[2] == pytest.approx(by_length[0], rel=1e-13)
    assert blackjax_nuts.padded_length(17) == 32 and blackjax_nuts.padded_length(3) == 16


def test_jax_backend_fit_matches_the_exact_posterior_and_is_deterministic():
    rm = build_once("gamma_exponential", prior_alpha=A0, prior_beta=B0)
    d = np.random.default_rng(6).exponential(1 / 3000, size=80)
    settings = JAX_SETTINGS
    res = sampling.fit(rm, {"distances": d}, seed=3, settings=settings)
    assert res.diagnostics.usable and res.diagnostics.backend == "jax", res.diagnostics
    draws = res.idata.posterior["kappa"].values
    assert draws.shape == (4, 1000)
    comparison = compare_with_exact(draws, analytic_posterior(d, A0, B0))
    assert comparison.passed, comparison.failures
    again = sampling.fit(rm, {"distances": d}, seed=3, settings=settings)
    np.testing.assert_array_equal(again.idata.posterior["kappa"].values, draws)


def test_jax_backend_rejects_a_wrong_target():
    """The same comparison fails when the exact posterior is that of the swapped prior."""
    rm = build_once("gamma_exponential", prior_alpha=A0, prior_beta=B0)
    d = np.random.default_rng(6).exponential(1 / 3000, size=80)
    settings = JAX_SETTINGS
    draws = sampling.fit(rm, {"distances": d}, seed=3, settings=settings).idata.posterior
    assert not compare_with_exact(draws["kappa"].values, analytic_posterior(d, A0, 1 / B0)).passed


def test_registry_and_fit_cache_key_per_backend():
    assert resolve_backend("jax") == "jax" and get_backend("jax").name == "jax"
    with pytest.raises(ValueError, match="stan"):
        get_backend("stan")
    rm = build_once("gamma_exponential", prior_alpha=A0, prior_beta=B0)
    data = {"distances": np.full(5, 4e-4)}
    manifests = {
        b: fit_manifest(rm, data, seed=1, settings=sampling.SamplerSettings(backend=b))
        for b in ("pymc", "jax")
    }
    assert {"jax", "jaxlib", "blackjax"} <= set(manifests["jax"]["versions"])
    assert "jax" not in manifests["pymc"]["versions"]
    assert manifests["jax"]["model"]["graph_sha256"] != manifests["pymc"]["model"]["graph_sha256"]


def test_tune_zero_is_refused_by_the_jax_backend():
    rm = build_once("gamma_exponential", prior_alpha=A0, prior_beta=B0)
    settings = sampling.SamplerSettings(tune=0, chains=2, backend="jax")
    with pytest.raises(ValueError, match="tune=0"):
        sampling.fit(rm, {"distances": np.full(5, 4e-4)}, seed=1, settings=settings)


@pytest.mark.slow
def test_one_scan_sampler_reproduces_blackjax_window_adaptation_then_nuts():
    """The single-scan sampler is BlackJAX's two phases (same keys): the same draws."""
    import blackjax
    import jax

    from reference_models.jax_models.nuts import INITIAL_STEP_SIZE, all_chains_sampler

    model = build("gamma_exponential", prior_alpha=A0, prior_beta=B0)
    d = np.random.default_rng(2).exponential(1 / 3000, size=40)
    data = {
        k: jnp.asarray(v)
        for k, v in blackjax_nuts.pad({"distances": d, "prior_alpha": A0, "prior_beta": B0}).items()
    }
    tune, draws = 150, 60
    ours, _ = jax.jit(
        all_chains_sampler(model, chains=1, tune=tune, draws=draws, target_accept=0.9)
    )(data, jax.random.key(5))
    summary = model.summarise(data)

    def logdensity(position):
        return model.logdensity(position, summary)

    init_key, warm_key, draw_key = jax.random.split(jax.random.split(jax.random.key(5), 1)[0], 3)
    adaptation = blackjax.window_adaptation(
        blackjax.nuts,
        logdensity,
        target_acceptance_rate=0.9,
        initial_step_size=INITIAL_STEP_SIZE,
    )
    (state, parameters), _ = adaptation.run(
        warm_key, model.initial_position(init_key, summary), num_steps=tune
    )
    step = jax.jit(blackjax.nuts(logdensity, **parameters).step)
    reference = []
    for key in jax.random.split(draw_key, draws):
        state, _ = step(key, state)
        reference.append(float(jnp.exp(state.position["log_kappa"])))
    np.testing.assert_allclose(np.asarray(ours["kappa"])[0], reference, rtol=1e-9)


def test_compilation_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    from reference_models.jax_models import CACHE_ENV, compilation_cache_dir

    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "jax"))
    assert compilation_cache_dir() == tmp_path / "jax"
    monkeypatch.setenv(CACHE_ENV, "")
    assert compilation_cache_dir() is None
    monkeypatch.delenv(CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert compilation_cache_dir() == tmp_path / "kappa-validation-suite" / "jax"


def test_one_xla_device_per_core_unless_the_flags_say_otherwise():
    import os

    import jax

    from reference_models.jax_models import HOST_DEVICES_FLAG

    flags = os.environ["XLA_FLAGS"].split()
    (count,) = [int(f.split("=")[1]) for f in flags if f.startswith(HOST_DEVICES_FLAG)]
    if jax.default_backend() == "cpu":
        assert jax.local_device_count() == count
        assert blackjax_nuts.devices() == jax.local_devices()


@pytest.mark.slow
def test_a_data_sets_draws_do_not_depend_on_its_batch_or_device():
    """sample_batch in one batch of 3 and in batches of 2 (the last one filled up), split
    over the devices, gives each data set the draws of a fit of that data set alone with the
    same key (up to the rounding of vectorised arithmetic)."""
    import jax

    from reference_models.jax_models.nuts import all_chains_sampler

    model = build("gamma_exponential", prior_alpha=A0, prior_beta=B0)
    rng = np.random.default_rng(9)
    values = [
        {"distances": rng.exponential(1 / 3000, size=n), "prior_alpha": A0, "prior_beta": B0}
        for n in (4, 11, 7)
    ]
    settings = sampling.SamplerSettings(draws=25, tune=25, chains=2, backend="jax")
    whole, div_whole = blackjax_nuts.sample_batch(model, values, [4, 5, 6], settings, 3)
    parts, div_parts = blackjax_nuts.sample_batch(model, values, [4, 5, 6], settings, 2)
    assert whole["kappa"].shape == (3, 2, 25) and div_whole.shape == (3, 2, 25)
    np.testing.assert_allclose(parts["kappa"], whole["kappa"], rtol=1e-9)
    np.testing.assert_array_equal(div_parts, div_whole)
    alone = jax.jit(
        all_chains_sampler(model, chains=2, tune=25, draws=25, target_accept=settings.target_accept)
    )
    for i, (data, seed) in enumerate(zip(values, [4, 5, 6], strict=True)):
        one, one_divergent = alone(blackjax_nuts.pad(data, 16), jax.random.key(seed))
        np.testing.assert_allclose(whole["kappa"][i], np.asarray(one["kappa"]), rtol=1e-9)
        np.testing.assert_array_equal(div_whole[i], np.asarray(one_divergent))
    assert not np.allclose(whole["kappa"][0], whole["kappa"][1])
    with pytest.raises(ValueError, match="batch_size=0"):
        blackjax_nuts.sample_batch(model, values, [4, 5, 6], settings, 0)
