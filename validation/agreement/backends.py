"""Cross-implementation agreement: the JAX reference models vs the PyMC ones on the same data.

Checks ``"agreement.jax_vs_pymc.<model>"`` for the three reference models. Each simulates one
data set from its seed, fits the PyMC model (backend ``"auto"``) and its independent JAX
implementation (:mod:`reference_models.jax_models`, BlackJAX NUTS), and compares, for every
compared scalar variable, five summaries of the two sets of draws: mean, sd, and the 2.5%,
50% and 97.5% quantiles (the last two are also the ends of the central 95% interval).

Two-sample tolerance of a summary: ``z * sqrt(MCSE_pymc^2 + MCSE_jax^2)``, MCSEs from ArviZ
(``az.mcse``: mean, sd, quantile). As in :mod:`validation.agreement.posterior`, a quantile's
MCSE is floored at ``sqrt(q (1 - q) / ESS_q) / f(x_q)``, here with ``1 / f(x_q)`` estimated
from the pooled draws of both fits by the central difference (Q(q + 0.01) - Q(q - 0.01)) /
0.02 (ArviZ's rank-based tail MCSE is itself noisy). Half of the budget ``ALPHA`` goes to the
summaries (Bonferroni over 5 x variables two-sided tests), half to two-sample
Kolmogorov-Smirnov tests of ESS-thinned draws (Bonferroni over variables). Both fits must pass
the convergence gate, else the check is INCONCLUSIVE.

Scenarios (seeded): gamma_exponential: kappa ~ Gamma(5, 5/2500), 100 distances;
hierarchical_kappa (kappa_market learned, 2 groups, a0 = 5): kappa_market ~ Gamma(2,
2/2500), 200 market and 2 x 30 own distances; jump_mixture: 1000 returns with pi = 0.05,
sigma_d = 1e-4, sigma_j = 5e-4.

The known-bad variants (``KNOWN_BAD``): ``run_check(model, seed, known_bad=True)`` samples a
deliberately wrong JAX model: for gamma_exponential and hierarchical_kappa the Gamma prior's
rate replaced by its scale (``swap_rate_and_scale``); for jump_mixture the log-sum-exp without
the weight (1 - pi) of the diffusion component (``omit_diffusion_weight``), which inflates pi.
The family is ``"reference"``: the candidate argument is ignored.

Rates over seeds (false alarms from ``FALSE_ALARM_SEED0``, detections of the known-bad variant
from ``POWER_SEED0``)::

    python -c "from validation.agreement.backends import main; main(['--seeds', '100'])"
    python -c "from validation.agreement.backends import main; main(['--module',
        'jump_mixture', '--seeds', '0', '--power-seeds', '10'])"  # known-bad only

Example (the comparison of two sets of draws; identical draws differ by nothing, and the
summaries' z is ``Phi^-1(1 - (ALPHA / 2) / (2 * 5))`` = ``Phi^-1(1 - 5e-5)`` = 3.89)::

    >>> import numpy as np
    >>> a = np.random.default_rng(0).normal(size=(2, 400))
    >>> rows, ks, z = compare_draws({"x": a}, {"x": a.copy()}, ALPHA)
    >>> len(rows), max(r.ratio for r in rows), ks["x"], round(z, 2)
    (5, 0.0, 1.0, 3.89)
"""

from __future__ import annotations

import argparse
import functools
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import arviz as az
import numpy as np
from scipy import stats

from validation.agreement._common import Timer
from validation.agreement._reference import mcmc_seed, reference_model
from validation.agreement.posterior import arviz_without_numba, bonferroni_z, ess_thin
from validation.agreement.reference_fits import McmcRecord
from validation.families import Candidate, CheckSpec
from validation.results import CheckResult, Status
from validation.scenarios import GammaPrior, simulate_jumps

ALPHA = 1e-3
SUMMARY_QUANTILES = {"q025": 0.025, "q500": 0.5, "q975": 0.975}
SUMMARIES = ("mean", "sd", *SUMMARY_QUANTILES)
_DENSITY_STEP = 0.01
_JAX_SEED_TAG = 0x6A6178  # "jax"


@dataclass(frozen=True)
class Scenario:
    """One model's comparison: how to build it, simulate its data, which variables to compare."""

    module: str
    build: dict[str, Any]
    simulate: Callable[[np.random.Generator], dict[str, np.ndarray]]
    variables: tuple[tuple[str, int | None], ...]


def _gamma_exponential_data(rng: np.random.Generator) -> dict[str, np.ndarray]:
    kappa = GammaPrior().draw(rng)
    return {"distances": rng.exponential(1.0 / kappa, size=100)}


def _hierarchical_data(rng: np.random.Generator) -> dict[str, np.ndarray]:
    kappa_market = rng.gamma(2.0, 2500.0 / 2.0)
    kappa_own = rng.gamma(5.0, kappa_market / 5.0, size=2)
    group = np.repeat(np.arange(2), 30)
    return {
        "market_distances": rng.exponential(1.0 / kappa_market, size=200),
        "own_distances": rng.exponential(1.0 / kappa_own[group]),
        "own_group": group,
    }


def _jump_data(rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {"returns": simulate_jumps(rng, 1000, 0.05, 1e-4, 5e-4).returns}


KNOWN_BAD = {
    "gamma_exponential": {"swap_rate_and_scale": True},
    "hierarchical_kappa": {"swap_rate_and_scale": True},
    "jump_mixture": {"omit_diffusion_weight": True},
}
"""Build arguments of each model's known-bad JAX variant (see the module docstring)."""

SCENARIOS = {
    "gamma_exponential": Scenario(
        "gamma_exponential",
        {"prior_alpha": GammaPrior().alpha, "prior_beta": GammaPrior().beta},
        _gamma_exponential_data,
        (("kappa", None),),
    ),
    "hierarchical_kappa": Scenario(
        "hierarchical_kappa",
        {"n_groups": 2, "market": "learned", "a0": 5.0},
        _hierarchical_data,
        (("kappa_market", None), ("kappa_own", 0), ("kappa_own", 1)),
    ),
    "jump_mixture": Scenario(
        "jump_mixture", {}, _jump_data, (("pi", None), ("sigma_d", None), ("sigma_j", None))
    ),
}


@dataclass(frozen=True)
class DrawComparison:
    """One summary of one variable in both implementations."""

    variable: str
    summary: str
    pymc: float
    jax: float
    mcse_pymc: float
    mcse_jax: float
    tolerance: float
    ratio: float


def _summaries(draws: np.ndarray, inverse_density: dict[str, float]):
    """Estimates and MCSEs (quantiles floored as in the module doc) from (chain, draw)."""
    flat = draws.ravel()
    est = {"mean": float(flat.mean()), "sd": float(flat.std(ddof=1))}
    est.update({k: float(np.quantile(flat, q)) for k, q in SUMMARY_QUANTILES.items()})
    with arviz_without_numba():
        se = {m: float(az.mcse(draws, method=m)) for m in ("mean", "sd")}
        for k, q in SUMMARY_QUANTILES.items():
            ess = float(az.ess(draws, method="quantile", prob=q))
            floor = math.sqrt(q * (1.0 - q) / ess) * inverse_density[k]
            se[k] = max(float(az.mcse(draws, method="quantile", prob=q)), floor)
    return est, se


def compare_draws(
    pymc_draws: dict[str, np.ndarray], jax_draws: dict[str, np.ndarray], alpha: float
) -> tuple[list[DrawComparison], dict[str, float], float]:
    """Summaries of every variable (draws shaped (chain, draw)) and the KS p-values.

    Returns the rows, the two-sample KS p-value per variable and the z of the summaries.
    """
    z = bonferroni_z(alpha / 2.0, len(SUMMARIES) * len(pymc_draws))
    rows, ks = [], {}
    for var, a in pymc_draws.items():
        b = jax_draws[var]
        pooled = np.concatenate([a.ravel(), b.ravel()])
        h = _DENSITY_STEP
        inv_f = {
            k: float(np.quantile(pooled, q + h) - np.quantile(pooled, q - h)) / (2 * h)
            for k, q in SUMMARY_QUANTILES.items()
        }
        est_a, se_a = _summaries(a, inv_f)
        est_b, se_b = _summaries(b, inv_f)
        for name in SUMMARIES:
            tol = z * math.hypot(se_a[name], se_b[name])
            diff = abs(est_a[name] - est_b[name])
            ratio = diff / tol if tol > 0 else (0.0 if diff == 0 else math.inf)
            rows.append(
                DrawComparison(
                    var, name, est_a[name], est_b[name], se_a[name], se_b[name], tol, ratio
                )
            )
        ks[var] = float(stats.ks_2samp(ess_thin(a), ess_thin(b)).pvalue)
    return rows, ks, z


@dataclass(frozen=True)
class Judgement:
    """The check's decision on two sets of draws: the summaries, the KS p-values, and
    ``agrees`` (every summary within tolerance and every KS p-value at least ``ks_alpha`` =
    ``ALPHA / 2`` over the variables)."""

    rows: list[DrawComparison]
    ks: dict[str, float]
    z: float
    ks_alpha: float

    @property
    def agrees(self) -> bool:
        return max(r.ratio for r in self.rows) <= 1.0 and min(self.ks.values()) >= self.ks_alpha

    @property
    def statistic(self) -> float:
        """max(|pymc - jax| / tolerance, alpha_KS / p_KS): > 1 exactly when it disagrees."""
        ks_ratio = max(self.ks_alpha / max(p, np.finfo(float).tiny) for p in self.ks.values())
        return float(max(max(r.ratio for r in self.rows), ks_ratio))


def judge(pymc_draws: dict[str, np.ndarray], jax_draws: dict[str, np.ndarray]) -> Judgement:
    """The check's rule on draws (chain, draw) per variable (:func:`compare_draws` at
    ``ALPHA``)."""
    rows, ks, z = compare_draws(pymc_draws, jax_draws, ALPHA)
    return Judgement(rows, ks, z, ALPHA / 2.0 / len(ks))


@functools.lru_cache(maxsize=8)
def _pymc_fit(module: str, seed: int):
    from reference_models.sampling import SamplerSettings
    from validation.agreement.reference_fits import fit

    scenario = SCENARIOS[module]
    model = reference_model(module, **scenario.build)
    data = scenario.simulate(np.random.default_rng(seed))
    settings = SamplerSettings(draws=1000, tune=1000, chains=4)
    return fit(model, data, seed=mcmc_seed(seed), settings=settings)


def _jax_fit(module: str, seed: int, known_bad: bool):
    from reference_models.backends import blackjax_nuts
    from reference_models.jax_models import build
    from reference_models.sampling import ConvergenceGate, FitResult, SamplerSettings

    scenario = SCENARIOS[module]
    model = reference_model(module, **scenario.build)
    if known_bad:
        jax_model = build(module, **scenario.build, **KNOWN_BAD[module])
    else:
        jax_model = blackjax_nuts.jax_model_of(model)
    values = model.prepare(scenario.simulate(np.random.default_rng(seed)))
    settings = SamplerSettings(draws=1000, tune=1000, chains=4, backend="jax")
    jax_seed = int(np.random.SeedSequence([seed, _JAX_SEED_TAG]).generate_state(1)[0])
    idata = blackjax_nuts.sample_model(jax_model, values, settings, jax_seed)
    diagnostics = blackjax_nuts.BACKEND.diagnostics(idata, ConvergenceGate(), sampling_seconds=0)
    return FitResult(idata=idata, diagnostics=diagnostics, seed=jax_seed, settings=settings)


def _draws(fit_result, variables) -> dict[str, np.ndarray]:
    out = {}
    for var, index in variables:
        values = np.asarray(fit_result.idata.posterior[var].values, dtype=float)
        out[var if index is None else f"{var}[{index}]"] = (
            values if index is None else values[..., index]
        )
    return out


def run_check(module: str, seed: int, *, known_bad: bool = False) -> CheckResult:
    """``"agreement.jax_vs_pymc.<module>"`` for one seed (see the module docstring); with
    ``known_bad`` the JAX side is the model's ``KNOWN_BAD`` variant."""
    name, timer = f"agreement.jax_vs_pymc.{module}", Timer()
    scenario = SCENARIOS[module]
    pymc_fit = _pymc_fit(module, seed)
    jax_fit = _jax_fit(module, seed, known_bad)
    j = judge(_draws(pymc_fit, scenario.variables), _draws(jax_fit, scenario.variables))
    usable = pymc_fit.diagnostics.usable and jax_fit.diagnostics.usable
    status = Status.INCONCLUSIVE if not usable else (Status.PASS if j.agrees else Status.FAIL)
    return CheckResult(
        name=name,
        status=status,
        statistic=j.statistic,
        threshold=1.0,
        details={
            "statistic_name": "max(|pymc - jax| / tolerance over summaries, alpha_KS / p_KS)",
            "summaries": [asdict(r) for r in j.rows],
            "z": j.z,
            "ks_pvalues": j.ks,
            "ks_alpha": j.ks_alpha,
            "false_alarm_budget": ALPHA,
            "known_bad": KNOWN_BAD[module] if known_bad else None,
            "pymc": McmcRecord.of(pymc_fit),
            "jax": McmcRecord.of(jax_fit),
        },
        seed=seed,
        seconds=timer.seconds,
        false_alarm_rate=ALPHA,
    )


def _check(module: str) -> Callable[[Candidate | None, int], CheckResult]:
    def run(candidate: Candidate | None, seed: int) -> CheckResult:
        del candidate  # "reference" family: the check tests the reference models themselves
        return run_check(module, seed)

    run.__doc__ = f"``agreement.jax_vs_pymc.{module}`` (see :mod:`{__name__}`)."
    return run


CHECKS = [
    CheckSpec(
        name=f"agreement.jax_vs_pymc.{module}",
        family="reference",
        run=_check(module),
        uses_mcmc=True,
        false_alarm_rate=ALPHA,
        description=f"{module}: JAX (BlackJAX) and PyMC posteriors agree within MCSE + KS",
        # checks of the reference implementations, 7-9 s each: the quick suite keeps the
        # conjugate one; the default tests run all three (tests/test_agreement_backends.py)
        suite="quick" if module == "gamma_exponential" else "full",
    )
    for module in SCENARIOS
]


FALSE_ALARM_SEED0 = 70_000
POWER_SEED0 = 1_000


def measure_rates(module: str, false_alarm_seeds: int, power_seeds: int) -> list:
    """FAIL rates of ``agreement.jax_vs_pymc.<module>``: correct JAX model over
    ``false_alarm_seeds`` seeds, the ``KNOWN_BAD`` variant over ``power_seeds`` (either may
    be 0: not measured)."""
    from validation.failure_rate import measure_failure_rate

    spec = next(c for c in CHECKS if c.name.endswith(module))
    out = []
    if false_alarm_seeds:
        out.append(measure_failure_rate(spec.run, None, false_alarm_seeds, FALSE_ALARM_SEED0))
    if power_seeds:

        def known_bad(candidate, seed):
            return run_check(module, seed, known_bad=True)

        out.append(measure_failure_rate(known_bad, known_bad, power_seeds, POWER_SEED0))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="False-alarm and detection rates, JAX vs PyMC")
    parser.add_argument("--module", choices=sorted(SCENARIOS), default="gamma_exponential")
    parser.add_argument("--seeds", type=int, default=100, help="false-alarm seeds")
    parser.add_argument("--power-seeds", type=int, default=20)
    args = parser.parse_args(argv)
    for m in measure_rates(args.module, args.seeds, args.power_seeds):
        print(
            f"{m.check} {m.candidate:12s} seeds {m.seed0}..{m.seed0 + m.n_seeds - 1}: "
            f"{m.failures}/{m.decided} failed ({m.inconclusive} inconclusive), "
            f"rate {m.rate:.4f} [95% CI {m.ci_low:.4f}, {m.ci_high:.4f}], statistic in "
            f"[{m.min_statistic:.3g}, {m.max_statistic:.3g}] vs {m.threshold:.3g}",
            flush=True,
        )
    return 0
