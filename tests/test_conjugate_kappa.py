"""ConjugateBayesianKappa against references computed from the raw data in the test.

References: the in-window points are selected from the raw (timestamp, distance) arrays with
numpy (window = (now - window_ms, now]), floored, summed with math.fsum; posterior parameters
and intervals come from scipy.stats.gamma with scale = 1/rate.
"""

import itertools
import json
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from online import rolling_sums
from online.conjugate_kappa import ConjugateBayesianKappa, ConjugateKappaConfig
from online.errors import InvalidInputError, StateDictError
from online.gamma_posterior import GammaPosterior


def in_window(t, d, now, window_ms, floor):
    """Floored distances with now - window_ms < t <= now (reference selection)."""
    t = np.asarray(t)
    d = np.maximum(np.asarray(d, dtype=float), floor)
    return d[(t > now - window_ms) & (t <= now)]


def stream(seed, n, kappa=2500.0, mean_gap_ms=600):
    rng = np.random.default_rng(seed)
    d = rng.exponential(1.0 / kappa, n)
    t = np.cumsum(rng.integers(0, 2 * mean_gap_ms, n))
    return d, t


def feed(est, d, t):
    for x, ts in zip(d.tolist(), t.tolist(), strict=True):
        est.update(x, ts)
    return est


# ------------------------------------------------------------------ config
def test_config_defaults_are_production_defaults():
    cfg = ConjugateKappaConfig()
    assert cfg.prior_alpha == 5.0
    assert cfg.prior_beta == pytest.approx(0.002, rel=1e-15, abs=0.0)
    assert cfg.prior_alpha / cfg.prior_beta == pytest.approx(2500.0, rel=1e-14, abs=0.0)
    assert cfg.window_ms == 300_000
    assert cfg.min_distance == 1e-5
    assert (cfg.cv_threshold, cfg.heavy_tail_fraction, cfg.heavy_tail_min_updates) == (
        1.2,
        0.8,
        100,
    )
    prior = ConjugateBayesianKappa().posterior
    assert (prior.alpha, prior.beta) == (5.0, cfg.prior_beta)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("prior_alpha", 0.0),
        ("prior_alpha", math.nan),
        ("prior_beta", -1.0),
        ("prior_beta", math.inf),
        ("window_ms", 0),
        ("window_ms", -5),
        ("window_ms", 1.5),
        ("window_ms", True),
        ("min_distance", -1e-9),
        ("min_distance", math.nan),
        ("cv_threshold", 0.0),
        ("heavy_tail_fraction", 1.0),
        ("heavy_tail_fraction", -0.1),
        ("heavy_tail_min_updates", 0),
        ("heavy_tail_min_updates", 2.5),
    ],
)
def test_config_rejects_bad_values(field, value):
    with pytest.raises(InvalidInputError) as info:
        ConjugateKappaConfig(**{field: value})
    assert info.value.field == field  # this config's field, not the nested HeavyTailConfig's


# --------------------------------------------------------------- posterior
def test_posterior_and_interval_match_scipy_from_raw_window():
    d, t = stream(seed=11, n=3000)
    est = feed(ConjugateBayesianKappa(), d, t)
    cfg = est.config
    win = in_window(t, d, t[-1], cfg.window_ms, cfg.min_distance)
    assert 300 < win.size < 3000  # the window really evicted something
    alpha = cfg.prior_alpha + win.size
    beta = cfg.prior_beta + math.fsum(win)
    post = est.posterior
    assert est.observation_count == win.size
    assert post.alpha == alpha
    assert post.beta == pytest.approx(beta, rel=1e-14, abs=0.0)
    assert est.sum_distances == pytest.approx(math.fsum(win), rel=1e-14, abs=0.0)
    ref = stats.gamma(a=alpha, scale=1.0 / beta)
    assert post.mean == pytest.approx(ref.mean(), rel=1e-13, abs=0.0)
    assert post.sd == pytest.approx(ref.std(), rel=1e-13, abs=0.0)
    for level in (0.5, 0.9, 0.95, 0.99):
        assert est.credible_interval(level) == pytest.approx(
            ref.interval(level), rel=1e-12, abs=0.0
        )
    # Known-bad variant: production's volume-weighted "count" gives a different posterior.
    volumes = np.random.default_rng(3).lognormal(0.0, 1.0, win.size)
    wrong = GammaPosterior(
        cfg.prior_alpha + volumes.sum(), cfg.prior_beta + float(np.dot(volumes, win))
    )
    assert wrong.interval(0.95) != pytest.approx(est.credible_interval(0.95), rel=1e-3, abs=0.0)


def test_posterior_mean_recovers_true_kappa():
    """Coverage-style sanity: the true kappa lies in the 99.9% interval of a big window."""
    kappa = 1800.0
    d, t = stream(seed=5, n=4000, kappa=kappa, mean_gap_ms=10)
    cfg = ConjugateKappaConfig(min_distance=0.0)
    est = feed(ConjugateBayesianKappa(cfg), d, t)
    lo, hi = est.credible_interval(0.999)
    assert lo < kappa < hi
    # a wrong-kappa generator (x1.5) falls outside the same interval
    d_bad, t_bad = stream(seed=5, n=4000, kappa=1.5 * kappa, mean_gap_ms=10)
    lo_b, hi_b = feed(ConjugateBayesianKappa(cfg), d_bad, t_bad).credible_interval(0.999)
    assert not lo_b < kappa < hi_b


def test_distance_floor():
    est = ConjugateBayesianKappa()
    est.update(0.0, 0)
    est.update(3e-6, 1)
    est.update(2e-4, 2)
    assert est.sum_distances == pytest.approx(1e-5 + 1e-5 + 2e-4, rel=1e-15, abs=0.0)
    raw = ConjugateBayesianKappa(ConjugateKappaConfig(min_distance=0.0))
    raw.update(0.0, 0)
    raw.update(3e-6, 1)
    assert raw.sum_distances == pytest.approx(3e-6, rel=1e-15, abs=0.0)
    assert raw.observation_count == 2


# ------------------------------------------------------------------ window
def test_eviction_boundary_is_inclusive_of_exactly_window_old():
    """Window is (now - window_ms, now]: a point exactly window_ms old is evicted."""
    cfg = ConjugateKappaConfig(window_ms=1000, min_distance=0.0)
    est = ConjugateBayesianKappa(cfg)
    est.update(1e-4, 0)
    est.update(2e-4, 1)
    est.update(4e-4, 999)  # now - window = -1: nothing evicted
    assert est.observation_count == 3
    est.update(8e-4, 1000)  # t=0 is exactly 1000 ms old -> out; t=1 is 999 ms old -> in
    assert est.observation_count == 3
    assert est.sum_distances == pytest.approx(2e-4 + 4e-4 + 8e-4, rel=1e-15, abs=0.0)
    est.advance(1001)  # t=1 now exactly 1000 ms old
    assert est.observation_count == 2
    assert est.sum_distances == pytest.approx(4e-4 + 8e-4, rel=1e-15, abs=0.0)
    est.advance(2000)
    assert est.observation_count == 0
    assert est.sum_distances == 0.0
    assert est.posterior == GammaPosterior(cfg.prior_alpha, cfg.prior_beta)


events = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=400),
        st.one_of(st.just(0.0), st.floats(min_value=0.0, max_value=1e-2)),
    ),
    min_size=1,
    max_size=150,
)


@given(
    events=events,
    window_ms=st.integers(min_value=1, max_value=2000),
    floor=st.sampled_from([0.0, 1e-5, 3e-4]),
)
def test_posterior_equals_the_one_from_in_window_points_only(events, window_ms, floor):
    cfg = ConjugateKappaConfig(window_ms=window_ms, min_distance=floor)
    est = ConjugateBayesianKappa(cfg)
    gaps, dist = zip(*events, strict=True)
    t = np.cumsum(gaps)
    for i, (x, ts) in enumerate(zip(dist, t.tolist(), strict=True)):
        est.update(x, ts)
        win = in_window(t[: i + 1], dist[: i + 1], ts, window_ms, floor)
        post = est.posterior
        assert est.observation_count == win.size
        assert post.alpha == cfg.prior_alpha + win.size
        assert post.beta == pytest.approx(cfg.prior_beta + math.fsum(win), rel=1e-12, abs=0.0)


@given(
    events=events,
    levels=st.lists(st.floats(min_value=1e-4, max_value=1 - 1e-4), min_size=2, max_size=6),
)
def test_intervals_nest_in_the_level(events, levels):
    est = ConjugateBayesianKappa()
    now = 0
    for gap, x in events:
        now += gap
        est.update(x, now)
    intervals = [est.credible_interval(lv) for lv in sorted(levels)]
    for (lo_a, hi_a), (lo_b, hi_b) in itertools.pairwise(intervals):
        assert lo_b <= lo_a <= hi_a <= hi_b
    lo, hi = intervals[0]
    assert lo <= est.posterior.ppf(0.5) <= hi


# ------------------------------------------------------------------- drift
def regime_stream(seed, n):
    """Exponential distances whose scale switches 1e-1 <-> 1e-7 every 5000 events."""
    rng = np.random.default_rng(seed)
    scale = np.where((np.arange(n) // 5000) % 2 == 0, 1e-1, 1e-7)
    d = rng.exponential(1.0, n) * scale
    t = np.cumsum(rng.integers(0, 600, n))
    return d, t


def naive_running_sums(x, t, window_ms):
    """Known-bad variant: plain float += / -= in the estimator's operation order.

    Builds the sequence of adds and evictions and accumulates it with np.cumsum (sequential).
    Returns the running sum after each update.
    """
    n = x.size
    leave = np.searchsorted(t, t + window_ms, side="left")  # update that evicts point j
    gone = leave < n
    keys = np.concatenate([2 * np.arange(n) + 1, 2 * leave[gone]])  # evictions before add
    vals = np.concatenate([x, -x[gone]])
    order = np.argsort(keys, kind="stable")
    running = np.cumsum(vals[order])
    is_add = order < n
    pos = np.empty(n, dtype=np.int64)
    pos[order[is_add]] = np.nonzero(is_add)[0]
    return running[pos]


def check_no_drift(n, seed):
    window_ms = 300_000
    d, t = regime_stream(seed, n)
    est = ConjugateBayesianKappa(ConjugateKappaConfig(window_ms=window_ms, min_distance=0.0))
    start = np.searchsorted(t, t - window_ms, side="right")
    checkpoints = set(range(999, n, 997)) | {n - 1}
    worst_sum = worst_cv = 0.0
    naive = naive_running_sums(d, t, window_ms)
    worst_naive = 0.0
    update = est.update
    for i, (x, ts) in enumerate(zip(d.tolist(), t.tolist(), strict=True)):
        update(x, ts)
        if i in checkpoints:
            win = d[start[i] : i + 1]
            ref = math.fsum(win)
            assert est.observation_count == win.size
            worst_sum = max(worst_sum, abs(est.sum_distances - ref) / ref)
            worst_naive = max(worst_naive, abs(naive[i] - ref) / ref)
            ref_cv = np.std(win) / np.mean(win)
            worst_cv = max(worst_cv, abs(est.heavy_tail.cv - ref_cv) / ref_cv)
    return worst_sum, worst_cv, worst_naive


def test_running_sums_do_not_drift_over_a_million_events():
    worst_sum, worst_cv, worst_naive = check_no_drift(1_000_000, seed=2024)
    assert worst_sum < 1e-9
    assert worst_cv < 1e-9
    # the same check fails a plain running sum on this stream
    assert worst_naive > 1e-9


def test_compensated_sum_alone_does_not_drift(monkeypatch):
    """With both recomputation triggers disabled the Neumaier sum still holds 1e-9."""
    monkeypatch.setattr(rolling_sums, "RECOMPUTE_MIN_EVICTIONS", 10**9)
    monkeypatch.setattr(rolling_sums, "CANCELLATION_RATIO", -math.inf)
    window_ms = 300_000
    d, t = regime_stream(seed=77, n=100_000)
    start = np.searchsorted(t, t - window_ms, side="right")
    naive = naive_running_sums(d, t, window_ms)
    window = rolling_sums.RollingWindow(window_ms)
    worst = worst_naive = 0.0
    for i, (x, ts) in enumerate(zip(d.tolist(), t.tolist(), strict=True)):
        window.evict(ts)
        window.push(ts, x)
        if i % 499 == 498:
            ref = math.fsum(d[start[i] : i + 1])
            worst = max(worst, abs(window.total - ref) / ref)
            worst_naive = max(worst_naive, abs(naive[i] - ref) / ref)
    assert worst < 1e-9
    assert worst_naive > 1e-9


# ---------------------------------------------------------------- bad input
def loaded_estimator():
    est = ConjugateBayesianKappa(ConjugateKappaConfig(window_ms=5000))
    d, t = stream(seed=1, n=60, mean_gap_ms=100)
    return feed(est, d, t)


bad_distances = st.one_of(
    st.sampled_from([math.nan, math.inf, -math.inf, True, None, "1e-4"]),
    st.floats(max_value=-1e-300),
    st.floats(max_value=-1e-300).map(np.float64),
)


@pytest.mark.parametrize("level", [0.0, 1.0, math.nan, -0.5, 2.0])
def test_bad_level_rejected(level):
    est = loaded_estimator()
    with pytest.raises(InvalidInputError) as info:
        est.credible_interval(level)
    assert info.value.field == "level"


def test_equal_timestamps_and_integer_floats_accepted():
    est = ConjugateBayesianKappa()
    est.update(1e-4, 100)
    est.update(2e-4, 100)
    est.update(np.float64(3e-4), 100.0)
    assert est.observation_count == 3
    assert est.last_timestamp_ms == 100


# ------------------------------------------------------------------- state
def test_state_dict_rejects_foreign_or_broken_data():
    sd = loaded_estimator().state_dict()
    with pytest.raises(StateDictError):
        ConjugateBayesianKappa.from_state_dict({**sd, "kind": "HierarchicalKappa"})
    broken = json.loads(json.dumps(sd))
    del broken["state"]["window"]
    with pytest.raises(StateDictError):
        ConjugateBayesianKappa.from_state_dict(broken)
    mismatched = json.loads(json.dumps(sd))
    mismatched["config"]["window_ms"] = 1234
    with pytest.raises(StateDictError):
        ConjugateBayesianKappa.from_state_dict(mismatched)
