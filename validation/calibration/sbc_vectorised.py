"""Rank SBC of the gamma_exponential reference with every replication in one JAX program:
``"sbc.reference_gamma_exponential_ranks_jax"``.

The same check as :func:`validation.calibration.sbc_reference.run_reference_ranks` on the JAX
implementation of the model (:mod:`reference_models.jax_models.gamma_exponential`, BlackJAX
window adaptation + NUTS): the same replications (data and MCMC seed of replication k from
:func:`~validation.calibration.sbc_reference.replication_inputs`), the same convergence gate
(R-hat <= 1.01, no divergence, bulk and tail ESS >= L: ArviZ's estimators, vectorised over the
replications by :func:`reference_models.batch_diagnostics.diagnose_batch`), the same
ESS-thinned ranks (:func:`~validation.calibration.pit.thin_draws`) and the same verdict
(:func:`~validation.calibration.sbc_reference.rank_verdict`). What differs is the execution:
the data sets are zero-padded to one length with a mask, stacked, and replications x chains are
sampled by ONE ``jax.jit(jax.vmap(...))`` program (each chain with its own window adaptation),
called on batches of 100 replications
(:func:`~reference_models.backends.blackjax_nuts.sample_batch`) and so compiled once per
(settings, padded length) and process, whatever the number of replications.

Known-bad: ``model=build("gamma_exponential", ..., swap_rate_and_scale=True)`` (prior rate and
scale confused) or a ``model_prior`` other than the simulation prior; both fail.

Known-bad for the data-dependent test quantity only: the likelihood built on the latest half
of the distances (catalogue entry ``reference.loglik_latest_half``, measured by
:mod:`validation.catalogue.reference_rates`): its kappa ranks stay uniform, its ``loglik``
ranks do not.

False-alarm and detection rates over seeds (one compiled program serves every seed), with the
rejections of each test quantity::

    python -c "from validation.calibration.sbc_vectorised import main; main(['--seeds', '100'])"

Measured with both test quantities (kappa and loglik, each at alpha / 2; 2026-12-01, 2 shared
cores); known-bad models on seeds 1000-1019, the correct model on seeds 80000-80099:

=============================  =============  =============  ==============
model                          combined FAIL  kappa rejects  loglik rejects
=============================  =============  =============  ==============
prior rate and scale swapped   20/20          20/20          20/20
model prior 10x off            20/20          20/20          20/20
reference.loglik_latest_half   20/20          0/20           20/20
correct (false alarms)         1/100          0/100          1/100
=============================  =============  =============  ==============

(``main(['--seeds', '0', '--power-seeds', '20'])``: 177 s and 265 s for the two variants, 457 s
wall and 201 s CPU in all, load average 1.8 -> 5.1; ``python -m
validation.catalogue.reference_rates --seeds 0 --power-seeds 20``: 437 s, 480 s wall and 127 s
CPU in all, load 5.1 -> 8.6.) The combined FAIL rate of each is
1.00, 95% CI [0.83, 1]. False alarms: ``rates_by_quantity(run_vectorised_ranks, None, 20,
80000 + 20 i)`` for i = 0..4 in one process (2123 s, 526 s CPU, load 8.6 -> 10.5): 1/100, seed
80078 by loglik, 95% CI [0.0003, 0.054]: consistent with alpha = 0.001 (at that rate, P(at
least 1 of 100) = 0.095).

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
from validation.calibration.sbc_reference import (
    QuantityRejections,
    RankSbcSettings,
    rank_verdict,
    rates_by_quantity,
    replication_inputs,
    replication_record,
)
from validation.calibration.sbc_store import ReplicationResult
from validation.calibration.uniformity import compile_band_in_background
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
    from reference_models.backends.blackjax_nuts import sample_batch
    from reference_models.batch_diagnostics import diagnose_batch
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
    diagnostics = diagnose_batch(kappa)
    rhat, ess_bulk, ess_tail = diagnostics.rhat, diagnostics.ess_bulk, diagnostics.ess_tail
    divergences = divergent.sum(axis=(1, 2))
    gate = ConvergenceGate(min_ess_bulk=s.n_ranked_draws, min_ess_tail=s.n_ranked_draws)
    reasons = [
        tuple(
            gate.reasons(
                {"kappa": float(rhat[i])},
                {"kappa": float(ess_bulk[i])},
                {"kappa": float(ess_tail[i])},
                int(divergences[i]),
            )
        )
        for i in range(len(inputs))
    ]
    per_rep = (time.perf_counter() - start) / len(inputs)
    return [
        replication_record(
            k,
            s.n_ranked_draws,
            reasons[i],
            float(min(ess_bulk[i], ess_tail[i])),
            {"kappa": d.kappa},
            {"distances": d.distances},
            {"kappa": kappa[i]},
            seconds=per_rep,
            sampling_seconds=sampling_seconds / len(inputs),
        )
        for i, (k, (d, _)) in enumerate(zip(ks, inputs, strict=True))
    ]


def run_vectorised_ranks(
    candidate: Candidate | None,
    seed: int,
    *,
    settings: RankSbcSettings | None = None,
    model: Any = None,
    progress: Progress | None = None,
) -> CheckResult:
    """Rank SBC of the JAX gamma_exponential model, all replications in one program.

    ``candidate`` (family ``"reference"``): None for the reference implementation, or a
    function returning a replacement :class:`~reference_models.jax_models.JaxModel` (a
    catalogue bug, ``validation.catalogue.reference_bugs``); an explicit ``model`` takes
    precedence.
    """
    if model is None and candidate is not None:
        model = candidate()
    s = settings if settings is not None else VECTORISED_SETTINGS
    if s.backend != "jax":
        s = dataclasses.replace(s, backend="jax")
    start = time.perf_counter()
    compile_band_in_background()  # while the sampler compiles and runs
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
VARIANTS = ("swapped", "prior_10x_off")
"""Known-bad variants: prior rate and scale swapped in the JAX model; model prior 10x off
(rate 10 b0)."""


def measure_rates(
    false_alarm_seeds: int, power_seeds: int, variants: Sequence[str] = VARIANTS
) -> list[QuantityRejections]:
    """FAIL rates (with per-quantity rejections): the correct JAX model over
    ``false_alarm_seeds`` seeds (none when 0), then each of ``variants`` over ``power_seeds``.
    (The catalogue's reference bugs: :mod:`validation.catalogue.reference_rates`.)"""
    from reference_models.jax_models import build
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

    def swapped(_candidate, seed):
        return run_vectorised_ranks(None, seed, model=swapped_model)

    def prior_10x_off(_candidate, seed):
        return run_vectorised_ranks(None, seed, settings=wrong_prior)

    runs = {"swapped": swapped, "prior_10x_off": prior_10x_off}
    out = []
    if false_alarm_seeds > 0:
        out.append(
            rates_by_quantity(run_vectorised_ranks, None, false_alarm_seeds, FALSE_ALARM_SEED0)
        )
    out += [rates_by_quantity(runs[v], runs[v], power_seeds, POWER_SEED0) for v in variants]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="False-alarm and detection rates of " + __name__)
    parser.add_argument("--seeds", type=int, default=100, help="false-alarm seeds (0: none)")
    parser.add_argument("--power-seeds", type=int, default=20)
    parser.add_argument("--variants", nargs="*", choices=VARIANTS, default=list(VARIANTS))
    args = parser.parse_args(argv)
    for q in measure_rates(args.seeds, args.power_seeds, args.variants):
        print(q.line(), flush=True)
    return 0
