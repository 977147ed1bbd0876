"""MCMC SBC of the PyMC reference model itself: "sbc.reference_gamma_exponential_ranks".

Replication k: kappa_k ~ simulation prior, n_k log-uniform on [n_min, n_max] distances
~ Exp(kappa_k) (fractions of the mid), a NUTS fit of ``reference_models.gamma_exponential`` with
the model prior, then the rank r_k of kappa_k among L draws thinned to about one effective
sample apart (:func:`validation.calibration.pit.thin_draws`; ESS = min(bulk, tail) of the
fit). When the simulation prior is the model's prior and the sampler is right, r_k is uniform
on 0..L (Talts et al. 2018). The fractional ranks (r + 1/2) / (L + 1) go through the
uniformity test with its grid and bins on rank boundaries, so the test sees exactly the
distribution it was calibrated for (false-alarm rate about alpha).

Test quantities (:mod:`validation.calibration.quantities`): the same is done for each
quantity f of ``settings.quantities`` (default: ``kappa`` and the log-likelihood ``loglik`` =
n log kappa - kappa S of the replication's data), ranking f(kappa_k, d_k) among f(draw, d_k)
over the same thinned draws. One uniformity test per quantity at alpha / Q (Bonferroni over
the Q quantities); the check FAILS when any rejects, so its false-alarm rate is at most about
alpha. Each replication's record keeps the true kappa, the data and the thinned draws, so
:func:`rank_verdict` derives every rank from the record, and the serial, vectorised and Dask
paths (which all end in it) give identical ranks for identical records. The same function
derives, per parameter, the posterior mean and sd of the ranked draws
(:func:`replication_moments`, the report's recovery, contraction and per-replication table).

Convergence gate: R-hat <= 1.01, no divergence, and bulk and tail ESS >= L. (The ESS bound is
what rank SBC needs: L draws about one effective sample apart are nearly independent, and
ranks among independent exact draws are exactly uniform whatever L; the agreement checks'
stricter ESS >= 400 is about Monte Carlo error of summaries, which ranks do not have.) A fit
that fails the gate is unusable: it is left out and counted; if more than
``max_unusable_fraction`` of the replications are unusable the check is INCONCLUSIVE, never
PASS. The family is ``"reference"``: the candidate argument is ignored
(the suite passes None).

The model is built and compiled once per process (cached by its build arguments); the prior
enters as data, so a different model prior reuses the same compiled model.

Example (a full check runs 30 NUTS fits, too slow for an example; this is the chi-square
binning of its ranks, by hand: the divisors of L + 1 = 100 up to 20 are 2, 4, 5, 10, 20; 30
ranks keep 5 expected per bin up to 6 bins, so 5 bins; 1000 ranks allow all 20)::

    >>> chi_square_bins(30, 100), chi_square_bins(1000, 100)
    (5, 20)
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from validation.agreement.reference_fits import SamplerRecord
from validation.calibration._sbc import Progress, log_uniform_int
from validation.calibration.pit import ReplicationMoments, fractional_ranks, thin_draws
from validation.calibration.quantities import RankQuantity, parameter, resolve
from validation.calibration.sbc_store import ReplicationResult
from validation.calibration.uniformity import UniformityTest, uniformity_test
from validation.families import Candidate
from validation.results import CheckResult, Status
from validation.scenarios import GammaPrior, KappaData, simulate_kappa

if TYPE_CHECKING:
    from validation.failure_rate import SeedFailureRate

REFERENCE_GAMMA_EXPONENTIAL_RANKS = "sbc.reference_gamma_exponential_ranks"
_MCMC_SEED_TAG = 0x73626372  # "sbcr"
MIN_EXPECTED_PER_BIN = 5


@dataclass(frozen=True)
class RankSbcSettings:
    """Settings of the MCMC rank SBC.

    Attributes:
        n_replications: N fits (each a few tenths of a second).
        n_ranked_draws: L, thinned posterior draws per fit; ranks lie in 0..L.
        n_min, n_max: log-uniform range of distances per data set.
        draws, tune, chains, backend: NUTS settings per fit (``SamplerSettings``).
        alpha: false-alarm rate of the uniformity test.
        max_unusable_fraction: INCONCLUSIVE above this fraction of gated-out fits.
        model_prior: the reference model's prior Gamma(alpha, beta) (shape-rate), given to the
            model as data.
        simulation_prior: the prior kappa is drawn from. A model prior different from it is
            wrong for the data: the known-bad case.
        quantities: names of the test quantities ranked (``validation.calibration.
            quantities.QUANTITIES["gamma_exponential"]``); Bonferroni over them.

    Raises:
        UnknownQuantityError: (a ValueError) an unknown or repeated quantity name.
    """

    n_replications: int = 30
    n_ranked_draws: int = 99
    n_min: int = 1
    n_max: int = 500
    draws: int = 1000
    tune: int = 300
    chains: int = 2
    backend: str = "auto"
    alpha: float = 0.001
    max_unusable_fraction: float = 0.1
    model_prior: GammaPrior = field(default_factory=GammaPrior)
    simulation_prior: GammaPrior = field(default_factory=GammaPrior)
    quantities: tuple[str, ...] = ("kappa", "loglik")

    def __post_init__(self) -> None:
        resolve(MODEL, self.quantities)


MODEL = "gamma_exponential"


def _model(prior_alpha: float, prior_beta: float) -> Any:
    from validation.agreement.reference_fits import reference_model

    return reference_model("gamma_exponential", prior_alpha=prior_alpha, prior_beta=prior_beta)


def chi_square_bins(n: int, support: int, max_bins: int = 20) -> int:
    """Most equal-width bins that divide ``support`` (= L + 1, so bin edges are rank
    boundaries), are at most ``max_bins`` and keep at least MIN_EXPECTED_PER_BIN expected
    counts among ``n`` ranks; the smallest divisor if none keeps that many."""
    divisors = [b for b in range(2, max_bins + 1) if support % b == 0]
    if not divisors:
        raise ValueError(f"L + 1 = {support} has no divisor in 2..{max_bins}")
    ok = [b for b in divisors if n / b >= MIN_EXPECTED_PER_BIN]
    return max(ok) if ok else divisors[0]


#: per process: (seed, n_min, n_max, simulation prior) -> (next k, generator state before it)
_STREAM_POSITION: dict[tuple[Any, ...], tuple[int, dict[str, Any]]] = {}


def replication_inputs(k: int, settings: RankSbcSettings, base_seed: int) -> tuple[KappaData, int]:
    """Replication k's data set and MCMC seed, exactly as the serial path draws them.

    The generator state after the last replication drawn in this process is kept, so tasks
    arriving in increasing k replay only the replications in between.
    """
    if k < 0:
        raise ValueError(f"k={k}: must be >= 0")
    s = settings
    position = (base_seed, s.n_min, s.n_max, s.simulation_prior.alpha, s.simulation_prior.beta)
    rng = np.random.default_rng(base_seed)
    first, state = _STREAM_POSITION.get(position, (0, None))
    if state is not None and first <= k:
        rng.bit_generator.state = state
    else:
        first = 0
    for _ in range(first, k + 1):
        n = log_uniform_int(rng, s.n_min, s.n_max)
        data = simulate_kappa(rng, s.simulation_prior.draw(rng), n)
    _STREAM_POSITION[position] = (k + 1, rng.bit_generator.state)
    words = np.random.SeedSequence([base_seed, _MCMC_SEED_TAG]).generate_state(k + 1)
    return data, int(words[k])


def replicate(k: int, settings: RankSbcSettings, base_seed: int) -> ReplicationResult:
    """Replication k of the rank SBC (see module doc); the model is compiled once per process."""
    from reference_models.sampling import ConvergenceGate, SamplerSettings
    from validation.agreement.reference_fits import fit

    start = time.perf_counter()
    s = settings
    data, mcmc_seed = replication_inputs(k, s, base_seed)
    sampler = SamplerSettings(draws=s.draws, tune=s.tune, chains=s.chains, backend=s.backend)
    gate = ConvergenceGate(min_ess_bulk=s.n_ranked_draws, min_ess_tail=s.n_ranked_draws)
    model = _model(GammaPrior().alpha, GammaPrior().beta)
    prior_data = {"prior_alpha": s.model_prior.alpha, "prior_beta": s.model_prior.beta}
    res = fit(
        model,
        {"distances": data.distances, **prior_data},
        seed=mcmc_seed,
        settings=sampler,
        gate=gate,
    )
    diag = res.diagnostics
    ess = float(min(diag.ess_bulk["kappa"], diag.ess_tail["kappa"]))
    draws = None
    if diag.usable:
        draws = {"kappa": np.asarray(res.idata.posterior["kappa"].values, dtype=float)}
    return replication_record(
        k,
        s.n_ranked_draws,
        tuple(diag.reasons),
        ess,
        {"kappa": data.kappa},
        {"distances": data.distances},
        draws,
        seconds=time.perf_counter() - start,
        sampling_seconds=float(diag.sampling_seconds),
    )


def replication_record(
    k: int,
    n_ranked: int,
    reasons: tuple[str, ...],
    ess: float,
    truth: dict[str, float],
    data: dict[str, np.ndarray],
    draws: dict[str, np.ndarray] | None,
    *,
    seconds: float,
    sampling_seconds: float,
) -> ReplicationResult:
    """The record of one replication: every parameter's (chains, draws) array thinned by the
    same ``ess`` to ``n_ranked`` draws (:func:`~validation.calibration.pit.thin_draws`, the
    same positions for every parameter), or no draws when the fit failed its gate
    (``reasons`` not empty). The number of observations ``n`` is the first data field's size."""
    kept = None
    if not reasons and draws is not None:
        kept = {v: tuple(thin_draws(x, ess, n_ranked).tolist()) for v, x in draws.items()}
    arrays = {f: np.asarray(x, dtype=float) for f, x in data.items()}
    return ReplicationResult(
        k=k,
        n_ranked=n_ranked,
        usable=kept is not None,
        reasons=tuple(reasons),
        seconds=seconds,
        n=int(next(iter(arrays.values())).size),
        ess=ess,
        sampling_seconds=sampling_seconds,
        truth={v: float(x) for v, x in truth.items()},
        data={f: tuple(x.tolist()) for f, x in arrays.items()},
        draws=kept,
    )


@dataclass(frozen=True)
class QuantityRanks:
    """Ranks of one test quantity over the usable replications and their uniformity test (a
    typed part of a rank SBC's details; ``uniformity`` is None when there is no verdict).

    Attributes:
        quantity: its name; description: its formula.
        ranks: r_k in 0..L, by replication in order of k.
        level: the test's level, alpha / Q (Bonferroni over the Q quantities).
        uniformity: ECDF band + chi-square of the fractional ranks at ``level``.
    """

    quantity: str
    description: str
    ranks: np.ndarray
    level: float
    uniformity: UniformityTest | None

    def to_json(self) -> dict[str, Any]:
        return {
            "quantity": self.quantity,
            "description": self.description,
            "ranks": self.ranks.tolist(),
            "level": self.level,
            "uniformity": None if self.uniformity is None else self.uniformity.to_json(),
        }


def ranked_draws(result: ReplicationResult, n_ranked: int) -> dict[str, np.ndarray]:
    """``n_ranked`` of a record's stored thinned draws at evenly spaced positions (all of them
    when ``n_ranked`` is the stored L), the same positions for every parameter.

    Raises:
        ValueError: the record holds no draws, or fewer than ``n_ranked``.
    """
    if result.draws is None:
        raise ValueError(f"replication {result.k}: no draws (the fit failed its gate)")
    if not 1 <= n_ranked <= result.n_ranked:
        raise ValueError(
            f"n_ranked={n_ranked}: must lie in 1..{result.n_ranked}, the draws kept per record"
        )
    return {
        v: thin_draws(np.asarray(x)[None, :], float(len(x)), n_ranked)
        for v, x in result.draws.items()
    }


def quantity_ranks(
    result: ReplicationResult, quantities: Iterable[RankQuantity], n_ranked: int
) -> dict[str, int]:
    """Rank of each quantity at the record's truth among its values at ``n_ranked`` draws."""
    draws = ranked_draws(result, n_ranked)
    data = {f: np.asarray(x) for f, x in result.data.items()}
    return {q.name: q.rank(result.truth, draws, data) for q in quantities}


def replication_moments(
    ordered: Sequence[ReplicationResult],
    ranks: dict[int, dict[str, int]],
    n_ranked: int,
    quantities: Sequence[str],
) -> dict[str, ReplicationMoments]:
    """Per parameter v (the records' ``truth`` keys), the replications' moments in order of k:
    theta = the true v, posterior mean and sd (ddof = 1) of the ``n_ranked`` ranked draws of v
    (:func:`ranked_draws`: the ESS-thinned draws the ranks are taken among), and ``ranked``:
    ``"rank"``, the rank of v among them, and ``"rank_<q>"`` for each test quantity q in
    ``quantities`` that is not a parameter (e.g. the joint ``loglik``). An unusable
    replication (no draws) has NaN moments and ranks and ``usable`` False.

    ``ranks[k]``: the rank of every parameter and quantity of usable replication k.

    Example (one usable replication with draws 1, 2, 3 and truth 2.5; one gated out)::

        >>> ok = replication_record(0, 3, (), 3.0, {"kappa": 2.5}, {"d": np.ones(2)},
        ...                         {"kappa": np.array([[1.0, 2.0, 3.0]])}, seconds=0.0,
        ...                         sampling_seconds=0.0)
        >>> bad = replication_record(1, 3, ("r_hat",), 3.0, {"kappa": 4.0}, {"d": np.ones(2)},
        ...                          None, seconds=0.0, sampling_seconds=0.0)
        >>> ranks = {0: {"kappa": 2, "loglik": 1}}
        >>> m = replication_moments([ok, bad], ranks, 3, ["kappa", "loglik"])["kappa"]
        >>> m.posterior_mean.tolist(), m.posterior_sd.tolist(), m.ranked["rank_loglik"].tolist()
        ([2.0, nan], [1.0, nan], [1.0, nan])
    """
    names = tuple(ordered[0].truth)
    joint = [q for q in quantities if q not in names]
    columns: dict[str, list[list[float]]] = {v: [] for v in names}
    for r in ordered:
        draws = ranked_draws(r, n_ranked) if r.usable else {}
        extra = [ranks[r.k][q] if r.usable else math.nan for q in joint]
        for v in names:
            x = draws.get(v)
            moments = [math.nan] * 3 if x is None else [x.mean(), x.std(ddof=1), ranks[r.k][v]]
            columns[v].append([r.truth[v], *moments, *extra])
    usable = np.array([r.usable for r in ordered])
    out = {}
    for v, rows in columns.items():
        c = np.array(rows, dtype=float).T
        ranked = {"rank": c[3], **{f"rank_{q}": c[4 + i] for i, q in enumerate(joint)}}
        out[v] = ReplicationMoments(c[0], c[1], c[2], ranked=ranked, usable=usable)
    return out


def ranks_result(
    name: str,
    results: Iterable[ReplicationResult],
    *,
    n_replications: int,
    n_ranked: int,
    quantities: tuple[RankQuantity, ...],
    alpha: float,
    max_unusable_fraction: float,
    seed: int,
    seconds: float,
    details: dict[str, Any],
) -> CheckResult:
    """The rank SBC verdict on replications 0..N-1: ranks of every quantity derived from the
    records, one uniformity test per quantity at alpha / Q, FAIL when any rejects
    (statistic = the largest test statistic, > 1 exactly then); INCONCLUSIVE when more than
    ``max_unusable_fraction`` of the fits failed their gate or fewer than 2 are usable.
    ``details["replications"]`` maps each parameter to its :func:`replication_moments` (the
    report's recovery and contraction panels and per-replication tables)."""
    ordered = sorted(results, key=lambda r: r.k)
    if [r.k for r in ordered] != list(range(n_replications)):
        raise ValueError("results must hold replications 0..n_replications-1 exactly once")
    usable = [r for r in ordered if r.usable]
    unusable = [
        {"replication": r.k, "reasons": list(r.reasons), "ess": r.ess}
        for r in ordered
        if not r.usable
    ]
    names = {q.name for q in quantities}
    own = tuple(parameter(v) for v in ordered[0].truth if v not in names)
    per_rep = {r.k: quantity_ranks(r, (*quantities, *own), n_ranked) for r in usable}
    level = alpha / len(quantities)
    decided = len(unusable) <= max_unusable_fraction * n_replications and len(usable) >= 2
    support = n_ranked + 1
    parts = {}
    for q in quantities:
        ranks = np.array([per_rep[r.k][q.name] for r in usable], dtype=np.int64)
        uni = None
        if decided:
            uni = uniformity_test(
                fractional_ranks(ranks, n_ranked),
                level,
                grid_size=support,
                n_bins=chi_square_bins(ranks.size, support),
            )
        parts[q.name] = QuantityRanks(q.name, q.description, ranks, level, uni)
    status, statistic = Status.INCONCLUSIVE, float("nan")
    if decided:
        tests = [p.uniformity for p in parts.values() if p.uniformity is not None]
        status = Status.FAIL if any(u.rejected for u in tests) else Status.PASS
        statistic = max(u.statistic for u in tests)
    return CheckResult(
        name=name,
        status=status,
        statistic=statistic,
        threshold=1.0,
        details={
            "statistic_name": "max over test quantities of max(ECDF band excursion, chi2 / "
            "critical) of fractional ranks, each at alpha / Q (Bonferroni); FAIL when > 1",
            "n_replications": n_replications,
            "n_usable": len(usable),
            "unusable": unusable,
            "n_ranked_draws": n_ranked,
            "quantities": parts,
            "replications": replication_moments(
                ordered, per_rep, n_ranked, [q.name for q in quantities]
            ),
            "alpha": alpha,
            **details,
        },
        seed=seed,
        seconds=seconds,
        false_alarm_rate=alpha,
    )


def rank_verdict(
    results: Iterable[ReplicationResult],
    settings: RankSbcSettings,
    seed: int,
    seconds: float,
    extra: dict[str, Any] | None = None,
    name: str = REFERENCE_GAMMA_EXPONENTIAL_RANKS,
) -> CheckResult:
    """The verdict of the conjugate model's rank SBC on replications 0..N-1 (any order),
    reported as ``name``: :func:`ranks_result` with the settings' quantities, L and alpha."""
    s = settings
    ordered = sorted(results, key=lambda r: r.k)
    details: dict[str, Any] = {
        "n_per_replication": [r.n for r in ordered if r.usable],
        "model_prior": {"alpha": s.model_prior.alpha, "beta": s.model_prior.beta},
        "simulation_prior": {
            "alpha": s.simulation_prior.alpha,
            "beta": s.simulation_prior.beta,
        },
        "sampler": SamplerRecord.of(s),
        "sampling_seconds": math.fsum(r.sampling_seconds for r in ordered),
        **(extra or {}),
    }
    return ranks_result(
        name,
        ordered,
        n_replications=s.n_replications,
        n_ranked=s.n_ranked_draws,
        quantities=resolve(MODEL, s.quantities),
        alpha=s.alpha,
        max_unusable_fraction=s.max_unusable_fraction,
        seed=seed,
        seconds=seconds,
        details=details,
    )


def run_reference_ranks(
    candidate: Candidate | None,
    seed: int,
    *,
    settings: RankSbcSettings | None = None,
    progress: Progress | None = None,
) -> CheckResult:
    """Rank SBC of ``reference_models.gamma_exponential`` (see module doc), one replication
    after another; :mod:`validation.calibration.distributed` runs the same replications on a
    Dask cluster."""
    del candidate  # "reference" family: the check tests the reference model itself
    s = settings if settings is not None else RankSbcSettings()
    start = time.perf_counter()
    results = []
    for k in range(s.n_replications):
        results.append(replicate(k, s, seed))
        if progress:
            progress(k + 1, s.n_replications)
    return rank_verdict(results, s, seed, time.perf_counter() - start)


@dataclass(frozen=True)
class QuantityRejections:
    """A FAIL rate over seeds and, per test quantity, on how many seeds its own uniformity
    test (at alpha / Q) rejected."""

    rate: SeedFailureRate
    rejections: dict[str, int]

    def line(self) -> str:
        """One printed line: seeds, FAIL count and rate with its 95% CI, rejections."""
        m = self.rate
        per_quantity = ", ".join(f"{k} {v}" for k, v in sorted(self.rejections.items()))
        return (
            f"{m.check} {m.candidate:14s} seeds {m.seed0}..{m.seed0 + m.n_seeds - 1}: "
            f"{m.failures}/{m.decided} failed ({m.inconclusive} inconclusive), "
            f"rate {m.rate:.4f} [95% CI {m.ci_low:.4f}, {m.ci_high:.4f}]; rejected per "
            f"quantity: {per_quantity}; failed seeds {list(m.failed_seeds)}; {m.seconds:.0f} s"
        )


def rates_by_quantity(
    run: Callable[[Any, int], CheckResult], candidate: Any, n_seeds: int, seed0: int
) -> QuantityRejections:
    """:func:`validation.failure_rate.measure_failure_rate` of ``run`` that also counts, per
    test quantity, the seeds on which that quantity's test rejected."""
    from validation.failure_rate import measure_failure_rate

    counts: Counter[str] = Counter()

    def counted(c: Any, seed: int) -> CheckResult:
        result = run(c, seed)
        for name, part in result.details.get("quantities", {}).items():
            counts[name] += part.uniformity is not None and part.uniformity.rejected
        return result

    counted.__name__ = getattr(run, "__name__", "run")
    rate = measure_failure_rate(counted, candidate, n_seeds, seed0)
    return QuantityRejections(rate, dict(counts))
