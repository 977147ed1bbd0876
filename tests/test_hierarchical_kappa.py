"""HierarchicalKappa against closed-form references computed from the raw fills in the test."""

import itertools
import json
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from online.conjugate_kappa import ConjugateBayesianKappa, ConjugateKappaConfig
from online.errors import InvalidInputError, StateDictError
from online.hierarchical_kappa import HierarchicalKappa, HierarchicalKappaConfig


def fills(seed, n, kappa, mean_gap_ms=600):
    rng = np.random.default_rng(seed)
    d = rng.exponential(1.0 / kappa, n)
    t = np.cumsum(rng.integers(0, 2 * mean_gap_ms, n))
    return d, t


def fed(d, t, config=None, kappa_market=None, conf=1.0, moves=None):
    est = HierarchicalKappa(config)
    if kappa_market is not None:
        est.update_market_kappa(kappa_market, conf)
    moves = [None] * len(d) if moves is None else moves
    for x, ts, m in zip(np.asarray(d).tolist(), np.asarray(t).tolist(), moves, strict=True):
        est.update_from_fill(x, ts, m)
    return est


def reference_posterior(d, t, now, a0, kappa_market, conf, window_ms, floor):
    """Gamma(conf a0 + n, conf a0 / k_m + sum d) from the in-window fills, as scipy."""
    t = np.asarray(t)
    win = np.maximum(np.asarray(d, dtype=float), floor)[(t > now - window_ms) & (t <= now)]
    a_p = conf * a0
    alpha, beta = a_p + win.size, a_p / kappa_market + math.fsum(win)
    return alpha, beta, stats.gamma(a=alpha, scale=1.0 / beta)


# ------------------------------------------------------------------ config
def test_config_defaults_are_production_defaults():
    cfg = HierarchicalKappaConfig()
    assert (cfg.prior_alpha, cfg.window_ms, cfg.min_fills) == (5.0, 300_000, 10)
    assert (cfg.as_coefficient, cfg.as_half_life_fills) == (0.2, 50.0)
    assert (cfg.min_distance, cfg.default_market_kappa) == (1e-5, 2500.0)
    assert cfg.as_alpha == pytest.approx(1.0 - 2.0 ** (-1.0 / 50.0), rel=1e-14, abs=0.0)
    est = HierarchicalKappa()
    assert est.market_kappa == 2500.0
    assert est.market_conf == 1.0
    assert est.prior.alpha == 5.0
    assert est.prior.beta == pytest.approx(5.0 / 2500.0, rel=1e-15, abs=0.0)
    assert est.adverse_selection_factor == 1.0
    assert est.adverse_selection_bps is None
    assert not est.is_ready


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("prior_alpha", 0.0),
        ("window_ms", 0),
        ("window_ms", 10.5),
        ("min_fills", -1),
        ("min_fills", 2.0),
        ("as_coefficient", -0.1),
        ("as_coefficient", math.inf),
        ("as_half_life_fills", 0.0),
        ("min_distance", -1e-6),
        ("default_market_kappa", 0.0),
        ("default_market_kappa", math.nan),
    ],
)
def test_config_rejects_bad_values(field, value):
    with pytest.raises(InvalidInputError) as info:
        HierarchicalKappaConfig(**{field: value})
    assert info.value.field == field


# --------------------------------------------------------------- posterior
@pytest.mark.parametrize("conf", [1.0, 0.5, 0.13])
def test_posterior_and_interval_match_scipy_from_raw_window(conf):
    k_m = 3100.0
    d, t = fills(seed=21, n=1500, kappa=2000.0)
    est = fed(d, t, kappa_market=k_m, conf=conf)
    cfg = est.config
    alpha, beta, ref = reference_posterior(
        d, t, t[-1], cfg.prior_alpha, k_m, conf, cfg.window_ms, cfg.min_distance
    )
    assert 100 < est.observation_count < 1500
    assert est.posterior.alpha == pytest.approx(alpha, rel=1e-15, abs=0.0)
    assert est.posterior.beta == pytest.approx(beta, rel=1e-13, abs=0.0)
    assert est.posterior.mean == pytest.approx(ref.mean(), rel=1e-13, abs=0.0)
    for level in (0.5, 0.9, 0.95, 0.99):
        assert est.credible_interval(level) == pytest.approx(
            ref.interval(level), rel=1e-12, abs=0.0
        )
    assert est.effective_kappa() == pytest.approx(ref.mean(), rel=1e-13, abs=0.0)  # phi = 1


def test_conf_one_is_the_plain_conjugate_posterior():
    a0, k_m = 5.0, 1700.0
    d, t = fills(seed=2, n=800, kappa=2100.0)
    hier = fed(d, t, kappa_market=k_m, conf=1.0)
    plain = ConjugateBayesianKappa(ConjugateKappaConfig(prior_alpha=a0, prior_beta=a0 / k_m))
    for x, ts in zip(d.tolist(), t.tolist(), strict=True):
        plain.update(x, ts)
    assert hier.posterior.alpha == plain.posterior.alpha
    assert hier.posterior.beta == pytest.approx(plain.posterior.beta, rel=1e-15, abs=0.0)
    # and the closed form from the raw data
    alpha, beta, _ = reference_posterior(d, t, t[-1], a0, k_m, 1.0, 300_000, 1e-5)
    assert (hier.posterior.alpha, hier.posterior.beta) == pytest.approx(
        (alpha, beta), rel=1e-13, abs=0.0
    )


def test_halving_conf_halves_the_pseudo_count_and_widens_small_n_posteriors():
    k_m = 2500.0
    d, t = fills(seed=7, n=3, kappa=k_m)  # data consistent with the prior
    full = fed(d, t, kappa_market=k_m, conf=1.0)
    half = fed(d, t, kappa_market=k_m, conf=0.5)
    a0 = full.config.prior_alpha
    assert half.prior.alpha == pytest.approx(0.5 * full.prior.alpha, rel=1e-15, abs=0.0)
    assert half.prior.mean == pytest.approx(k_m, rel=1e-14, abs=0.0)
    assert full.prior.mean == pytest.approx(k_m, rel=1e-14, abs=0.0)
    assert half.prior.sd / half.prior.mean == pytest.approx(
        1 / math.sqrt(0.5 * a0), rel=1e-14, abs=0.0
    )
    # posterior CV = 1 / sqrt(conf a0 + n) for any data
    assert full.posterior.sd / full.posterior.mean == pytest.approx(1 / math.sqrt(a0 + 3))
    assert half.posterior.sd / half.posterior.mean == pytest.approx(1 / math.sqrt(0.5 * a0 + 3))
    lo_f, hi_f = full.credible_interval(0.95)
    lo_h, hi_h = half.credible_interval(0.95)
    assert hi_h - lo_h > 1.1 * (hi_f - lo_f)
    # the halved prior moves the posterior mean towards the data: |shift| grows
    mle = 3 / math.fsum(np.maximum(d, 1e-5))
    assert abs(half.posterior.mean - mle) < abs(full.posterior.mean - mle)


def test_conf_is_irrelevant_for_large_n():
    k_m, kappa = 2500.0, 900.0
    d, t = fills(seed=8, n=20_000, kappa=kappa, mean_gap_ms=5)
    means = [fed(d, t, kappa_market=k_m, conf=c).posterior.mean for c in (1.0, 0.5, 0.05)]
    est = fed(d, t, kappa_market=k_m, conf=1.0)
    mle = est.observation_count / est.sum_distances
    assert est.observation_count > 15_000
    for m in means:
        assert m == pytest.approx(mle, rel=2e-3, abs=0.0)
    assert max(means) / min(means) - 1 < 2e-3
    # the same comparison at n = 3 shows conf does matter there (the check can fail)
    small = [fed(d[:3], t[:3], kappa_market=k_m, conf=c).posterior.mean for c in (1.0, 0.05)]
    assert abs(small[0] / small[1] - 1) > 0.1


@given(
    events=st.lists(
        st.tuples(st.integers(min_value=0, max_value=400), st.floats(min_value=0, max_value=1e-2)),
        min_size=1,
        max_size=120,
    ),
    window_ms=st.integers(min_value=1, max_value=2000),
    kappa_market=st.floats(min_value=10.0, max_value=1e5),
    conf=st.floats(min_value=1e-3, max_value=1.0),
)
def test_posterior_equals_the_one_from_in_window_fills_only(events, window_ms, kappa_market, conf):
    cfg = HierarchicalKappaConfig(window_ms=window_ms)
    est = HierarchicalKappa(cfg)
    est.update_market_kappa(kappa_market, conf)
    t = np.cumsum([g for g, _ in events])
    d = [x for _, x in events]
    for i, ts in enumerate(t.tolist()):
        est.update_from_fill(d[i], ts)
        alpha, beta, _ = reference_posterior(
            d[: i + 1], t[: i + 1], ts, cfg.prior_alpha, kappa_market, conf, window_ms, 1e-5
        )
        assert est.posterior.alpha == pytest.approx(alpha, rel=1e-15, abs=0.0)
        assert est.posterior.beta == pytest.approx(beta, rel=1e-12, abs=0.0)
        assert est.is_ready == (est.observation_count >= cfg.min_fills)


@given(levels=st.lists(st.floats(min_value=1e-4, max_value=1 - 1e-4), min_size=2, max_size=6))
def test_intervals_nest_in_the_level(levels):
    d, t = fills(seed=3, n=12, kappa=2000.0)
    est = fed(d, t, kappa_market=2600.0, conf=0.4)
    intervals = [est.credible_interval(lv) for lv in sorted(levels)]
    for (lo_a, hi_a), (lo_b, hi_b) in itertools.pairwise(intervals):
        assert lo_b <= lo_a <= hi_a <= hi_b


def test_is_ready_and_eviction_boundary():
    cfg = HierarchicalKappaConfig(window_ms=1000)
    est = HierarchicalKappa(cfg)
    for i in range(10):
        est.update_from_fill(3e-4, 100 * i)  # t = 0 .. 900
    assert est.is_ready
    est.advance(1000)  # t = 0 is exactly window_ms old -> evicted
    assert est.observation_count == 9
    assert not est.is_ready


# ------------------------------------------------------- adverse selection
def test_adverse_selection_ewma_matches_explicit_weights():
    rng = np.random.default_rng(13)
    n = 120
    d, t = fills(seed=13, n=n, kappa=2500.0, mean_gap_ms=50)
    moves = rng.normal(3.0, 2.0, n)
    given_moves = [float(m) if i % 3 else None for i, m in enumerate(moves)]  # some fills lack
    est = fed(d, t, moves=given_moves)
    x = np.array([m for m in given_moves if m is not None])
    a = 1.0 - 2.0 ** (-1.0 / 50.0)
    k = x.size
    w = a * (1.0 - a) ** (k - 1 - np.arange(k))
    w[0] = (1.0 - a) ** (k - 1)  # started at the first move
    assert w.sum() == pytest.approx(1.0, rel=1e-12, abs=0.0)
    as_ref = float(np.dot(w, x))
    assert est.adverse_selection_bps == pytest.approx(as_ref, rel=1e-12, abs=0.0)
    phi = 0.5 + 0.5 * math.exp(-0.2 * as_ref)
    assert est.adverse_selection_factor == pytest.approx(phi, rel=1e-12, abs=0.0)
    assert est.effective_kappa() == pytest.approx(est.posterior.mean * phi, rel=1e-12, abs=0.0)
    # known-bad variant: an EWMA started at 0 is biased low and fails the same comparison
    w_zero = a * (1.0 - a) ** (k - 1 - np.arange(k))
    assert float(np.dot(w_zero, x)) != pytest.approx(est.adverse_selection_bps, rel=1e-3, abs=0.0)


def test_adverse_selection_factor_range():
    est = HierarchicalKappa()
    est.update_from_fill(2e-4, 0)
    assert est.adverse_selection_factor == 1.0  # no move seen yet
    est.update_from_fill(2e-4, 1, 10.0)
    assert est.adverse_selection_bps == 10.0
    assert est.adverse_selection_factor == pytest.approx(
        0.5 + 0.5 * math.exp(-2.0), rel=1e-15, abs=0.0
    )
    fav = HierarchicalKappa()
    fav.update_from_fill(2e-4, 0, -25.0)  # favourable moves never raise kappa
    assert fav.adverse_selection_factor == 1.0
    huge = HierarchicalKappa()
    huge.update_from_fill(2e-4, 0, 1e6)
    assert huge.adverse_selection_factor == 0.5


# -------------------------------------------------------------- bad input
def loaded():
    d, t = fills(seed=1, n=40, kappa=2500.0, mean_gap_ms=100)
    est = fed(d, t, kappa_market=2000.0, conf=0.7, moves=[1.0] * 40)
    return est


@given(
    kappa=st.one_of(st.sampled_from([0.0, -1.0, math.nan, math.inf, None]), st.just(2000.0)),
    conf=st.one_of(
        st.sampled_from([0.0, -0.5, math.nan, math.inf, 1.0 + 1e-12, 2.0, None]),
        st.floats(min_value=1.0, exclude_min=True, allow_infinity=False),
        st.just(0.5),
    ),
)
def test_bad_market_kappa_or_conf_rejected_state_unchanged(kappa, conf):
    est = loaded()
    before = est.state_dict()
    if kappa == 2000.0 and conf == 0.5:
        est.update_market_kappa(kappa, conf)
        assert est.prior.alpha == pytest.approx(2.5, rel=1e-15, abs=0.0)
        return
    with pytest.raises(InvalidInputError) as info:
        est.update_market_kappa(kappa, conf)
    assert info.value.field == ("kappa" if kappa != 2000.0 else "conf")
    assert est.state_dict() == before


# ------------------------------------------------------------------ state
def test_state_dict_rejects_foreign_data():
    sd = loaded().state_dict()
    with pytest.raises(StateDictError):
        HierarchicalKappa.from_state_dict({**sd, "kind": "ConjugateBayesianKappa"})
    broken = json.loads(json.dumps(sd))
    del broken["state"]["market_conf"]
    with pytest.raises(StateDictError):
        HierarchicalKappa.from_state_dict(broken)
