"""Early-session sigma of the unified estimator against the equal-weight realised variance of
the same returns (the regression test of the bipower warm-up weights).

Scenario: the e2e.prequential_pit market (sigma = 1 bp / sqrt(s), one Poisson trade / s,
exponential distances with bid-ask bounce, books every 2 s) plus the e2e.sigma_bias jumps,
+-(20 bp + |N(0, (10 bp)**2)|) one per 5 minutes. Per session, at T = 90 s (about 60
buckets of one or two trades, the volume threshold still adapting up from one round lot):

    d = | ln sigma_hat(T)**2 - ln RV(T) |,   RV = sum r_k**2 / sum dt_k

over the mid returns r_k = ln(m_k / m_{k-1}) between the books quoted at consecutive bucket
closes (dt_k the time between those books: the returns the estimator itself sees), leaving out
the returns whose span holds a true jump. RV is the maximum-likelihood variance rate of those
returns; the estimator's EWMA weights and truncation cost it a little efficiency, so d is a
paired error that is small when the weighting is right. Statistic: the 90th percentile of d
over 40 sessions, FAIL above 0.5.

Known-bad variant: the bipower EWMAs started from their first observation (``TickEWMA``), the
weighting that read sigma 1.95x the truth at 20 s and 1.38x at 10 minutes on the gate session
of base seed 2066 (its first kept return weighs 144 returns). Calibration on seeds disjoint
from the tests' (75 blocks of 40 sessions, seeds 1000-3999, sessions of 125 s): the statistic
was at most 0.464 with the production weights and at least 0.505 with the known-bad ones;
:func:`test_false_alarm_rate_and_power` re-measures both on fresh seeds.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pytest

from online import bipower
from online.ewma import TickEWMA
from online.unified import UnifiedParameterEstimator
from validation.market.feed import feed_session
from validation.market.simulate import BOOK, MarketSpec, simulate_market

T_S = 90.0
SESSIONS = 40
BOUND = 0.5
SPEC = MarketSpec(
    duration_s=T_S + 1.0,
    trade_rate_per_s=1.0,
    pricing="exp",
    book_rate_per_s=0.5,
    jump_rate_per_s=1.0 / 300.0,
    jump_floor=20e-4,
    jump_sd=10e-4,
)


def paired_log_error(seed: int) -> float:
    """|ln sigma_hat(T)^2 - ln RV(T)| on the session of ``seed`` (module docstring)."""
    s = simulate_market(SPEC, np.random.default_rng([seed, 2066]))
    t_cp = s.spec.start_ms + round(T_S * 1000)
    run = feed_session(s, UnifiedParameterEstimator(), [t_cp])
    book = s.kinds == BOOK
    book_ms, log_mid = s.times_ms[book], np.log(s.quoted_mid[book])
    jumps = s.truth.jump_times_ms
    num = den = 0.0
    previous: tuple[int, float] | None = None
    for bucket in run.buckets:
        if bucket.end_ms > t_cp:
            break
        j = int(np.searchsorted(book_ms, bucket.end_ms, side="right")) - 1
        tau, m = int(book_ms[j]), float(log_mid[j])
        clean = previous is not None and not np.any((jumps >= previous[0]) & (jumps <= tau))
        if clean and tau > previous[0]:
            num += (m - previous[1]) ** 2
            den += (tau - previous[0]) / 1000.0
        previous = (tau, m)
    return abs(math.log(run.params[0].sigma ** 2) - math.log(num / den))


def statistic(seeds: Iterable[int]) -> float:
    """90th percentile of :func:`paired_log_error` over ``seeds``."""
    return float(np.quantile([paired_log_error(seed) for seed in seeds], 0.9))


@pytest.fixture
def first_observation_prior(monkeypatch):
    """The known-bad weighting: bipower EWMAs started from their first observation."""
    monkeypatch.setattr(bipower, "NormalisedTickEWMA", TickEWMA)


def test_early_sigma_tracks_the_realised_variance_of_its_returns():
    assert statistic(range(SESSIONS)) <= BOUND


def test_first_observation_prior_fails(first_observation_prior):
    assert statistic(range(SESSIONS)) > BOUND


@pytest.mark.audit
@pytest.mark.parametrize("variant", ["production", "first_observation_prior"])
def test_false_alarm_rate_and_power(variant, request):
    """Over 40 fresh blocks of 40 sessions (seeds 4000-5599): the production weights exceed
    the bound in at most 1 block, the known-bad weights in at least 36 (90%)."""
    if variant != "production":
        request.getfixturevalue("first_observation_prior")
    blocks = [range(4000 + SESSIONS * b, 4000 + SESSIONS * (b + 1)) for b in range(40)]
    over = sum(statistic(seeds) > BOUND for seeds in blocks)
    if variant == "production":
        assert over <= 1
    else:
        assert over >= 36
