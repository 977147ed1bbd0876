"""``"recovery.arrival_intensity"``: the volume clock's arrival intensity recovers a known rate.

Scenario (seeded): a rate lambda ~ log-uniform on [0.1, 5] buckets per second and n = 2000
i.i.d. inter-bucket durations ``d_i = ceil(Exp(lambda))`` in integer ms (a Geometric law on
{1, 2, ...}, ``q = exp(-lambda / 1000)``, exact mean ``m = 1 / (1 - q)`` ms and variance
``q m**2``; :func:`validation.scenarios.simulate_bucket_durations`). The true intensity of
these durations is ``1000 / m`` buckets per second (lambda to within 0.25% at 5 /s).

Statistic. The candidate returns intensities ``I_k`` (buckets per second) after each duration
k. On the duration scale a correct ``1 / EWMA(dt)`` estimator gives
``1000 / I_k = sum_i W[k, i] d_i``, an exactly unbiased weighted sum with the tick-EWMA
weights ``W[k, 0] = (1 - a)**k``, ``W[k, i] = a (1 - a)**(k - i)`` (1 <= i <= k),
``a = 1 - 2**(-1/h)`` (each row sums to 1). The check averages over k >= 250 (burn-in)::

    S = mean_k (1000 / I_k) / m - 1 = sum_i c_i (d_i / m - 1),  c = mean_k W[k, :]
    Var[S] = q sum_i c_i**2,   z = S / sqrt(Var[S])

so under a correct candidate E[z] = 0 and sd 1 exactly; S is a weighted sum of about 1800
independent geometric variables, and z is compared with N(0, 1): FAIL when
``|z| > Phi^-1(1 - 0.0005) = 3.29`` (stated false-alarm rate 0.001). The null skewness of z,
``(1 + q) sum c_i**3 / (sqrt(q) (sum c_i**2)**1.5)``, is about 0.05 (reported per run); to
first order it moves the two tails in opposite directions and leaves their sum at 0.001.

The reference (weights, mean, variance, threshold) is built here from the definition, not from
the candidate. The Jensen-biased ``EWMA(1/dt)`` gives intensities several times the truth, so
``S`` lies between -0.92 and -0.78 and ``|z|`` between 33 and 39 (seeds 1000..1099).

Measured rates (false alarms on the production candidate, detection of the catalogue entry
``intensity.ewma_of_reciprocal_dt`` on seeds 1000..1099)::

    python -m validation.catalogue.intensity_rates --seeds 1000

Example (the production candidate passes; the tick-EWMA weights by hand for half-life 1,
a = 1/2: row k is ``(1/2)**k`` on the first input, then ``(1/2)**(k - i + 1)``)::

    >>> from validation.candidates import correct_candidates
    >>> check_arrival_intensity(correct_candidates()["intensity"], 0).status.value
    'pass'
    >>> ewma_weight_matrix(3, 1.0)
    array([[1.  , 0.  , 0.  ],
           [0.5 , 0.5 , 0.  ],
           [0.25, 0.25, 0.5 ]])
"""

from __future__ import annotations

import functools
import math

import numpy as np
from scipy import stats

from online.volume_clock import VolumeClockConfig
from validation.agreement._common import CandidateError, Timer, call_candidate, fail_result
from validation.families import Candidate, CheckSpec
from validation.results import CheckResult, Status
from validation.scenarios import BucketDurations, simulate_bucket_durations

NAME = "recovery.arrival_intensity"
N_BUCKETS = 2000
"""Inter-bucket durations per scenario."""
BURN_IN = 250
"""Leading estimates left out of the time average (5 half-lives at the production h = 50)."""
HALF_LIFE_BUCKETS = VolumeClockConfig().intensity_half_life_buckets
"""The production intensity half-life (50 buckets)."""
RATE_RANGE_PER_S = (0.1, 5.0)
"""lambda is drawn log-uniformly on this range (buckets per second)."""
FALSE_ALARM_RATE = 0.001
Z_THRESHOLD = float(stats.norm.isf(FALSE_ALARM_RATE / 2.0))
"""Two-sided N(0, 1) critical value, 3.2905."""


def ewma_weight_matrix(n: int, half_life_buckets: float) -> np.ndarray:
    """Explicit (n, n) lower-triangular weights of a tick EWMA started from its first input.

    Row k (after k + 1 inputs): ``W[k, 0] = (1 - a)**k``, ``W[k, i] = a (1 - a)**(k - i)`` for
    1 <= i <= k, zero above the diagonal; ``a = 1 - 2**(-1/h)``.
    """
    a = 1.0 - 2.0 ** (-1.0 / half_life_buckets)
    k = np.arange(n)[:, None]
    i = np.arange(n)[None, :]
    lag = np.maximum(k - i, 0)
    w = np.where(i == 0, (1.0 - a) ** lag, a * (1.0 - a) ** lag)
    return np.where(i <= k, w, 0.0)


@functools.lru_cache(maxsize=4)
def time_average_weights(n: int, half_life_buckets: float, burn_in: int) -> np.ndarray:
    """``c = mean over k >= burn_in of W[k, :]``: weight of each duration in the averaged EWMA
    (cached, read-only)."""
    c = ewma_weight_matrix(n, half_life_buckets)[burn_in:].mean(axis=0)
    c.flags.writeable = False
    return c


def draw_scenario(seed: int) -> BucketDurations:
    """lambda ~ log-uniform on RATE_RANGE_PER_S, then N_BUCKETS rounded-up exponential durations."""
    rng = np.random.default_rng(seed)
    lo, hi = RATE_RANGE_PER_S
    rate = math.exp(rng.uniform(math.log(lo), math.log(hi)))
    return simulate_bucket_durations(rng, N_BUCKETS, rate)


def null_moments(data: BucketDurations, weights: np.ndarray) -> tuple[float, float]:
    """(sd, skewness) of ``S = sum_i c_i (d_i / m - 1)`` for geometric d_i (cumulants of the
    scaled law: variance q, third cumulant q (1 + q))."""
    q = data.q
    s2, s3 = float(np.sum(weights**2)), float(np.sum(weights**3))
    return math.sqrt(q * s2), (1.0 + q) * s3 / (math.sqrt(q) * s2**1.5)


def check_arrival_intensity(candidate: Candidate, seed: int) -> CheckResult:
    """``"recovery.arrival_intensity"``: two-sided z-test of the time-averaged duration ratio."""
    timer = Timer()
    data = draw_scenario(seed)
    try:
        out = call_candidate(candidate, data.durations_ms, HALF_LIFE_BUCKETS)
    except CandidateError as exc:
        return fail_result(NAME, seed, "candidate raised", FALSE_ALARM_RATE, timer, error=str(exc))
    try:
        intensity = np.asarray(out, dtype=float)
    except (TypeError, ValueError):
        intensity = np.empty(0)
    if intensity.shape != (N_BUCKETS,):
        reason = f"output is not a length-{N_BUCKETS} array"
        return fail_result(NAME, seed, reason, FALSE_ALARM_RATE, timer)
    tail = intensity[BURN_IN:]
    if not np.all(np.isfinite(tail) & (tail > 0.0)):
        reason = "intensity not finite and positive after the burn-in"
        return fail_result(NAME, seed, reason, FALSE_ALARM_RATE, timer)
    weights = time_average_weights(N_BUCKETS, HALF_LIFE_BUCKETS, BURN_IN)
    sd, skew = null_moments(data, weights)
    true_per_s = 1000.0 / data.mean_ms
    s = float(np.mean(1000.0 / tail) / data.mean_ms - 1.0)
    z = s / sd
    return CheckResult(
        name=NAME,
        status=Status.PASS if abs(z) <= Z_THRESHOLD else Status.FAIL,
        statistic=abs(z),
        threshold=Z_THRESHOLD,
        details={
            "statistic_name": "|z|, z = (mean_k (1000 / I_k) / m - 1) / sqrt(q sum c_i^2)",
            "z": z,
            "mean_duration_ratio_minus_1": s,
            "null_sd": sd,
            "null_skewness": skew,
            "rate_per_s": data.rate_per_s,
            "true_intensity_per_s": true_per_s,
            "time_average_intensity_per_s": float(np.mean(tail)),
            "mean_log_ratio": float(np.mean(np.log(tail / true_per_s))),
            "n": N_BUCKETS,
            "burn_in": BURN_IN,
            "half_life_buckets": HALF_LIFE_BUCKETS,
        },
        seed=seed,
        seconds=timer.seconds,
        false_alarm_rate=FALSE_ALARM_RATE,
    )


CHECKS = [
    CheckSpec(
        name=NAME,
        family="intensity",
        run=check_arrival_intensity,
        uses_mcmc=False,
        false_alarm_rate=FALSE_ALARM_RATE,
        description="volume-clock intensity recovers a known exponential rate (z-test, 2000 "
        "buckets)",
    ),
]
