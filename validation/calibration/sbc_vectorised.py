"""Rank SBC of the gamma_exponential reference with every replication in one JAX program:
``"sbc.reference_gamma_exponential_ranks_jax"``.

The same check as :func:`validation.calibration.sbc_reference.run_reference_ranks` on the JAX
implementation of the model (:mod:`reference_models.jax_models.gamma_exponential`, BlackJAX
window adaptation + NUTS): the same replications (data and MCMC seed of replication k from
:func:`~validation.calibration.sbc_reference.replication_inputs`), the same convergence gate
(R-hat <= 1.01, no divergence, bulk and tail ESS >= L, computed by ArviZ for every replication
at once), the same ESS-thinned ranks (:func:`~validation.calibration.pit.thin_draws`) and the
same verdict (:func:`~validation.calibration.sbc_reference.rank_verdict`). What differs is
the execution: the data sets are zero-padded to one length with a mask, stacked, and
replications x chains are sampled by ONE ``jax.jit(jax.vmap(...))`` program (each chain with
its own window adaptation), called on batches of 100 replications
(:func:`~reference_models.backends.blackjax_nuts.sample_batch`) and so compiled once per
(settings, padded length) and process, whatever the number of replications.

Known-bad: ``model=build("gamma_exponential", ..., swap_rate_and_scale=True)`` (prior rate and
scale confused) or a ``model_prior`` other than the simulation prior; both fail.

False-alarm and detection rates over seeds (one compiled program serves every seed)::

    python -c "from validation.calibration.sbc_vectorised import main; main(['--seeds', '100'])"

Example::

    >>> from validation.calibration.sbc_vectorised import VECTORISED_SETTINGS
    >>> VECTORISED_SETTINGS.chains, VECTORISED_SETTINGS.backend
    (2, 'jax')
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from validation.calibration._sbc import Progress
from validation.calibration.pit import rank_statistic, thin_draws
from validation.calibration.sbc_reference import (
    RankSbcSettings,
    rank_verdict,
    replication_inputs,
)
from validation.calibration.sbc_store import ReplicationResult
from validation.families import Candidate
from validation.results import CheckResult

VECTORISED_RANKS = "sbc.reference_gamma_exponential_ranks_jax"
VECTORISED_SETTINGS = RankSbcSettings(n_replications=300, backend="jax")
"""300 replications x 2 chains x (300 warm-up + 1000 draws), L = 99 (cheap in one program)."""


def _default_model() -> Any:
    """The JAX implementation of the gamma_exponential reference (prior as data)."""
    from reference_models.backends.blackjax_nuts import jax_model_of
    from validation.agreement.reference_fits import reference_model
    from validation.scenarios import GammaPrior

    prior = GammaPrior()
    return jax_model_of(
        reference_model("gamma_exponential", prior_alpha=prior.alpha, prior_beta=prior.beta)
    )


def replicate_batch(
    ks: Sequence[int],
    settings: RankSbcSettings,
    base_seed: int,
    *,
    model: Any = None,
    target_accept: float = 0.9,
) -> list[ReplicationResult]:
    """Replications ``ks`` of the rank SBC, sampled together (see the module docstring).

    ``seconds`` and ``sampling_seconds`` of each result are the batch's wall time (all of it,
    compilation included, and the sampler call alone) divided by the number of replications.
    """
    import arviz as az
    import xarray as xr

    from reference_models.backends.blackjax_nuts import sample_batch
    from reference_models.sampling import ConvergenceGate, SamplerSettings

    start = time.perf_counter()
    s = settings
    model = _default_model() if model is None else model
    inputs = [replication_inputs(k, s, base_seed) for k in ks]
    prior = {"prior_alpha": np.float64(s.model_prior.alpha)}
    prior["prior_beta"] = np.float64(s.model_prior.beta)
    sampler = SamplerSettings(
        draws=s.draws, tune=s.tune, chains=s.chains, target_accept=target_accept, backend="jax"
    )
    sample_start = time.perf_counter()
    draws, divergent = sample_batch(
        model,
        [{"distances": d.distances, **prior} for d, _ in inputs],
        [seed for _, seed in inputs],
        sampler,
    )
    kappa = draws["kappa"]  # (replication, chain, draw)
    sampling_seconds = time.perf_counter() - sample_start
    posterior = xr.Dataset({"kappa": (("chain", "draw", "replication"), np.moveaxis(kappa, 0, -1))})
    rhat = az.rhat(posterior)["kappa"].values
    ess_bulk = az.ess(posterior, method="bulk")["kappa"].values
    ess_tail = az.ess(posterior, method="tail")["kappa"].values
    divergences = divergent.sum(axis=(1, 2))
    gate = ConvergenceGate(min_ess_bulk=s.n_ranked_draws, min_ess_tail=s.n_ranked_draws)
    results = []
    for i, (k, (d, _)) in enumerate(zip(ks, inputs, strict=True)):
        reasons = gate.reasons(
            {"kappa": float(rhat[i])},
            {"kappa": float(ess_bulk[i])},
            {"kappa": float(ess_tail[i])},
            int(divergences[i]),
        )
        ess = float(min(ess_bulk[i], ess_tail[i]))
        rank = None
        if not reasons:
            rank = rank_statistic(d.kappa, thin_draws(kappa[i], ess, s.n_ranked_draws))
        results.append((k, rank, reasons, d.distances.size, ess))
    per_rep = (time.perf_counter() - start) / len(results)
    return [
        ReplicationResult(
            k=k,
            rank=rank,
            n_ranked=s.n_ranked_draws,
            usable=not reasons,
            reasons=tuple(reasons),
            seconds=per_rep,
            n=int(n),
            ess=ess,
            sampling_seconds=sampling_seconds / len(results),
        )
        for k, rank, reasons, n, ess in results
    ]


def run_vectorised_ranks(
    candidate: Candidate | None,
    seed: int,
    *,
    settings: RankSbcSettings | None = None,
    model: Any = None,
    progress: Progress | None = None,
) -> CheckResult:
    """Rank SBC of the JAX gamma_exponential model, all replications in one program."""
    del candidate  # "reference" family: the check tests the reference model itself
    s = settings if settings is not None else VECTORISED_SETTINGS
    if s.backend != "jax":
        s = dataclasses.replace(s, backend="jax")
    start = time.perf_counter()
    results = replicate_batch(range(s.n_replications), s, seed, model=model)
    if progress:
        progress(s.n_replications, s.n_replications)
    seconds = time.perf_counter() - start
    extra = {
        "vectorised": True,
        "model": getattr(model, "name", "gamma_exponential"),
        "replications_per_minute": 60.0 * s.n_replications / seconds if seconds > 0 else math.inf,
    }
    return rank_verdict(results, s, seed, seconds, extra=extra, name=VECTORISED_RANKS)


FALSE_ALARM_SEED0 = 80_000
POWER_SEED0 = 1_000


def measure_rates(false_alarm_seeds: int, power_seeds: int) -> list:
    """FAIL rates: the correct JAX model over ``false_alarm_seeds`` seeds; the swapped
    rate/scale model and a model prior 10x off (rate 10 b0) over ``power_seeds`` seeds each."""
    from reference_models.jax_models import build
    from validation.failure_rate import measure_failure_rate
    from validation.scenarios import GammaPrior

    prior = GammaPrior()
    swapped_model = build(
        "gamma_exponential",
        prior_alpha=prior.alpha,
        prior_beta=prior.beta,
        swap_rate_and_scale=True,
    )
    wrong_prior = dataclasses.replace(
        VECTORISED_SETTINGS, model_prior=GammaPrior(prior.alpha, 10.0 * prior.beta)
    )

    def swapped(candidate, seed):
        return run_vectorised_ranks(candidate, seed, model=swapped_model)

    def prior_10x_off(candidate, seed):
        return run_vectorised_ranks(candidate, seed, settings=wrong_prior)

    out = [measure_failure_rate(run_vectorised_ranks, None, false_alarm_seeds, FALSE_ALARM_SEED0)]
    for bad in (swapped, prior_10x_off):
        out.append(measure_failure_rate(bad, bad, power_seeds, POWER_SEED0))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="False-alarm and detection rates of " + __name__)
    parser.add_argument("--seeds", type=int, default=100, help="false-alarm seeds")
    parser.add_argument("--power-seeds", type=int, default=20)
    args = parser.parse_args(argv)
    for m in measure_rates(args.seeds, args.power_seeds):
        print(
            f"{m.check} {m.candidate:14s} seeds {m.seed0}..{m.seed0 + m.n_seeds - 1}: "
            f"{m.failures}/{m.decided} failed ({m.inconclusive} inconclusive), "
            f"rate {m.rate:.4f} [95% CI {m.ci_low:.4f}, {m.ci_high:.4f}]",
            flush=True,
        )
    return 0
