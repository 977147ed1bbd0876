"""MCMC rank SBC of the PyMC jump mixture with a joint test quantity:
``"sbc.reference_jump_mixture_ranks"``.

Replication k: (pi, sigma_d, sigma_j) drawn from the model's own prior (with a fixed data scale
s, so the prior does not depend on the data: pi ~ Beta(1, 9), log(sigma_d / s) ~ N(0, 1),
log(sigma_j / sigma_d - 1) ~ N(log 3, 1)), n zero-mean returns from the two-normal mixture
(:func:`validation.scenarios.simulate_jumps`), a NUTS fit of
:mod:`reference_models.jump_mixture` with the model prior, the draws of the three parameters
thinned together to L draws about one effective sample apart (ESS = the smallest bulk or tail
ESS of the three). Test quantities (:mod:`validation.calibration.quantities`): each parameter,
and the joint ``loglik`` = sum_i log((1 - pi) N(r_i; 0, sigma_d^2) + pi N(r_i; 0, sigma_j^2)),
a function of all three parameters at once and of the data. Verdict, gate and multiplicity as
the conjugate rank SBC (:func:`validation.calibration.sbc_reference.ranks_result`: one
uniformity test per quantity at alpha / 4, Bonferroni; R-hat <= 1.01, no divergence, ESS >=
L; INCONCLUSIVE above 10% gated-out fits).

Known-bad: a model prior on pi other than the simulation prior (``model_pi_prior=(9.0, 1.0)``,
mean 0.9 against 0.1), which pulls every posterior of pi up.

Cost: 100 replications x 300 returns, 2 chains x (1000 tune + 1000 draws): one NUTS fit per
replication (README, "Calibration beyond the parameter PIT"; a slow, full-suite check). With
500 + 500 iterations 17 of 100 fits failed the R-hat gate (seed 0), so the check was
INCONCLUSIVE; with 1000 + 1000, 3.

Rates over seeds (false alarms on base seeds 90000.., the wrong pi prior on 1000..)::

    python -c "from validation.calibration.sbc_mixture import main; main(['--seeds', '10'])"

Example (a replication's true parameters; a full check runs 100 NUTS fits)::

    >>> import numpy as np
    >>> truth = draw_parameters(np.random.default_rng(0), MixtureRankSettings())
    >>> sorted(truth), truth["sigma_j"] > truth["sigma_d"]
    (['pi', 'sigma_d', 'sigma_j'], True)
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from validation.agreement.reference_fits import SamplerRecord
from validation.calibration._sbc import Progress
from validation.calibration.quantities import resolve
from validation.calibration.sbc_reference import (
    ranks_result,
    rates_by_quantity,
    replication_record,
)
from validation.calibration.sbc_store import ReplicationResult
from validation.families import Candidate
from validation.results import CheckResult
from validation.scenarios import simulate_jumps

NAME = "sbc.reference_jump_mixture_ranks"
MODEL = "jump_mixture"
PARAMETERS = ("pi", "sigma_d", "sigma_j")
_MCMC_SEED_TAG = 0x73626A6D  # "sbjm"


@dataclass(frozen=True)
class MixtureRankSettings:
    """Settings of the mixture rank SBC.

    Attributes:
        n_replications: N fits; n_returns: returns per data set.
        n_ranked_draws: L thinned draws per fit.
        draws, tune, chains, backend: NUTS settings per fit.
        alpha: family-wise level (alpha / Q per quantity); max_unusable_fraction: as the
            conjugate rank SBC.
        scale: the model's data scale s (fraction of the mid per return), fixed.
        pi_prior: the Beta(a, b) pi is drawn from; model_pi_prior: the model's (the same
            unless testing the known-bad case). The scale priors are the model's defaults.
        quantities: test quantities (``QUANTITIES["jump_mixture"]``).
    """

    n_replications: int = 100
    n_returns: int = 300
    n_ranked_draws: int = 99
    draws: int = 1000
    tune: int = 1000
    chains: int = 2
    backend: str = "auto"
    alpha: float = 0.001
    max_unusable_fraction: float = 0.1
    scale: float = 1e-4
    pi_prior: tuple[float, float] = (1.0, 9.0)
    model_pi_prior: tuple[float, float] = (1.0, 9.0)
    sigma_d_log_sd: float = 1.0
    ratio_median: float = 4.0
    ratio_log_sd: float = 1.0
    quantities: tuple[str, ...] = ("pi", "sigma_d", "sigma_j", "loglik")

    def __post_init__(self) -> None:
        resolve(MODEL, self.quantities)


def draw_parameters(rng: np.random.Generator, settings: MixtureRankSettings) -> dict[str, float]:
    """(pi, sigma_d, sigma_j) from the simulation prior (module docstring)."""
    s = settings
    pi = rng.beta(*s.pi_prior)
    sigma_d = s.scale * math.exp(rng.normal(0.0, s.sigma_d_log_sd))
    excess = math.exp(rng.normal(math.log(s.ratio_median - 1.0), s.ratio_log_sd))
    return {"pi": float(pi), "sigma_d": sigma_d, "sigma_j": sigma_d * (1.0 + excess)}


def replicate(k: int, settings: MixtureRankSettings, base_seed: int) -> ReplicationResult:
    """Replication k: data from ``default_rng([base_seed, k])``, one NUTS fit, the record."""
    from reference_models.sampling import ConvergenceGate, SamplerSettings
    from validation.agreement.reference_fits import fit, reference_model

    start = time.perf_counter()
    s = settings
    rng = np.random.default_rng([base_seed, k])
    truth = draw_parameters(rng, s)
    returns = simulate_jumps(rng, s.n_returns, **truth).returns
    mcmc_seed = int(np.random.SeedSequence([base_seed, _MCMC_SEED_TAG]).generate_state(k + 1)[k])
    model = reference_model(
        MODEL,
        pi_alpha=s.model_pi_prior[0],
        pi_beta=s.model_pi_prior[1],
        sigma_d_log_sd=s.sigma_d_log_sd,
        ratio_median=s.ratio_median,
        ratio_log_sd=s.ratio_log_sd,
    )
    sampler = SamplerSettings(draws=s.draws, tune=s.tune, chains=s.chains, backend=s.backend)
    gate = ConvergenceGate(min_ess_bulk=s.n_ranked_draws, min_ess_tail=s.n_ranked_draws)
    res = fit(
        model, {"returns": returns, "scale": s.scale}, seed=mcmc_seed, settings=sampler, gate=gate
    )
    diag = res.diagnostics
    ess = float(min(min(diag.ess_bulk[v], diag.ess_tail[v]) for v in PARAMETERS))
    draws = None
    if diag.usable:
        draws = {v: np.asarray(res.idata.posterior[v].values, dtype=float) for v in PARAMETERS}
    return replication_record(
        k,
        s.n_ranked_draws,
        tuple(diag.reasons),
        ess,
        truth,
        {"returns": returns},
        draws,
        seconds=time.perf_counter() - start,
        sampling_seconds=float(diag.sampling_seconds),
    )


def run_mixture_ranks(
    candidate: Candidate | None,
    seed: int,
    *,
    settings: MixtureRankSettings | None = None,
    progress: Progress | None = None,
) -> CheckResult:
    """Rank SBC of ``reference_models.jump_mixture`` (module docstring), serial."""
    del candidate  # "reference" family: the check tests the reference model itself
    s = settings if settings is not None else MixtureRankSettings()
    start = time.perf_counter()
    results = []
    for k in range(s.n_replications):
        results.append(replicate(k, s, seed))
        if progress:
            progress(k + 1, s.n_replications)
    details = {
        "n_returns": s.n_returns,
        "scale": s.scale,
        "pi_prior": list(s.pi_prior),
        "model_pi_prior": list(s.model_pi_prior),
        "sampler": SamplerRecord.of(s),
        "sampling_seconds": math.fsum(r.sampling_seconds for r in results),
    }
    return ranks_result(
        NAME,
        results,
        n_replications=s.n_replications,
        n_ranked=s.n_ranked_draws,
        quantities=resolve(MODEL, s.quantities),
        alpha=s.alpha,
        max_unusable_fraction=s.max_unusable_fraction,
        seed=seed,
        seconds=time.perf_counter() - start,
        details=details,
    )


FALSE_ALARM_SEED0 = 90_000
POWER_SEED0 = 1_000


def main(argv: list[str] | None = None) -> int:
    """Print the FAIL rate (and rejections per quantity) of the check on the correct model and
    with the model prior on pi Beta(9, 1)."""
    import argparse
    import dataclasses

    parser = argparse.ArgumentParser(description="False-alarm and detection rates of " + NAME)
    parser.add_argument("--seeds", type=int, default=10, help="false-alarm seeds (0: none)")
    parser.add_argument("--power-seeds", type=int, default=3)
    args = parser.parse_args(argv)
    wrong = dataclasses.replace(MixtureRankSettings(), model_pi_prior=(9.0, 1.0))

    def pi_prior_reversed(_candidate: Candidate | None, seed: int) -> CheckResult:
        return run_mixture_ranks(None, seed, settings=wrong)

    if args.power_seeds > 0:
        print(
            rates_by_quantity(
                pi_prior_reversed, pi_prior_reversed, args.power_seeds, POWER_SEED0
            ).line()
        )
    if args.seeds > 0:
        print(rates_by_quantity(run_mixture_ranks, None, args.seeds, FALSE_ALARM_SEED0).line())
    return 0
