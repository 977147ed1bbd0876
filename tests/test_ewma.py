"""Tests of online.ewma against explicit weight vectors computed with numpy."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from online.errors import InvalidInputError, StateDictError
from online.ewma import HybridEWMA, NormalisedTickEWMA, TickEWMA, TickEWMAVariance, tick_alpha

BAD_REALS = [math.nan, math.inf, -math.inf, "1.0", None, True]
BAD_HALF_LIVES = [0.0, -1.0, math.nan, math.inf, -math.inf, "50", True]

finite_x = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
half_lives = st.floats(min_value=0.5, max_value=1e4)


def _state_json(obj) -> str:
    return json.dumps(obj.state_dict(), sort_keys=True)


# ----------------------------------------------------------------------------- alpha


@pytest.mark.parametrize("h", [0.3, 1.0, 5.0, 50.0, 1234.5])
def test_alpha_is_one_minus_two_to_minus_one_over_h(h):
    a = tick_alpha(h)
    # the literal 1 - 2**(-1/h) carries an absolute rounding error up to ~2 ulp(1) = 4.4e-16
    assert a == pytest.approx(1.0 - 2.0 ** (-1.0 / h), rel=1e-14, abs=4.5e-16)
    # after h ticks an observation's weight has halved
    assert (1.0 - a) ** h == pytest.approx(0.5, rel=1e-12, abs=0.0)


def test_alpha_for_long_half_life_has_no_cancellation():
    h = 1e9
    exact = math.log(2.0) / h - (math.log(2.0) / h) ** 2 / 2  # series of 1 - 2**(-1/h)
    assert tick_alpha(h) == pytest.approx(exact, rel=1e-15, abs=0.0)
    # the literal 1 - 2**(-1/h) loses about 7 digits here (the reason expm1 is used)
    assert abs((1.0 - 2.0 ** (-1.0 / h)) / exact - 1.0) > 1e-10


@pytest.mark.parametrize("bad", BAD_HALF_LIVES)
def test_bad_half_life_rejected(bad):
    for make in (
        lambda: TickEWMA(bad, 0.0),
        lambda: TickEWMAVariance(bad),
        lambda: NormalisedTickEWMA(bad),
        lambda: HybridEWMA(bad, 1000.0),
        lambda: HybridEWMA(10.0, bad),
    ):
        with pytest.raises(InvalidInputError) as err:
            make()
        assert err.value.field in ("half_life_ticks", "time_half_life_ms")


# ----------------------------------------------------------------------------- TickEWMA


def _tick_ewma_reference(x: np.ndarray, alpha: float, initial: float | None) -> float:
    """Explicit weights: w_i = alpha (1-alpha)^(n-i); the start value gets (1-alpha)^n."""
    n = len(x)
    w = alpha * (1.0 - alpha) ** (n - 1 - np.arange(n))
    if initial is None:  # first observation is the start value: weight (1-alpha)^(n-1)
        w[0] = (1.0 - alpha) ** (n - 1)
        return float(np.sum(w * x))
    return float(np.sum(w * x) + (1.0 - alpha) ** n * initial)


@pytest.mark.parametrize("initial", [None, 0.0, 3.5])
def test_tick_ewma_equals_explicit_weighted_sum(initial):
    rng = np.random.default_rng(11)
    x = rng.normal(2.0, 1.5, 300)
    est = TickEWMA(7.0, initial)
    for i, xi in enumerate(x.tolist(), start=1):
        est.update(xi)
        ref = _tick_ewma_reference(x[:i], est.alpha, initial)
        assert est.value == pytest.approx(ref, rel=1e-12, abs=1e-12)
    assert est.tick_count == 300


def test_tick_ewma_value_before_data():
    assert TickEWMA(10.0).value is None
    assert TickEWMA(10.0, 2.5).value == 2.5


@given(c=finite_x, h=half_lives, n=st.integers(1, 50), start_with_c=st.booleans())
def test_tick_ewma_constant_input_is_exact(c, h, n, start_with_c):
    est = TickEWMA(h, c if start_with_c else None)
    for _ in range(n):
        est.update(c)
        assert est.value == c


def test_tick_ewma_matches_river_ewmean():
    river_stats = pytest.importorskip("river.stats")
    rng = np.random.default_rng(5)
    x = (1e3 + rng.standard_t(3, 5000)).tolist()
    ours = TickEWMA(20.0)  # initial None: river's convention (first value sets the mean)
    theirs = river_stats.EWMean(fading_factor=ours.alpha)
    max_diff = 0.0
    for xi in x:
        ours.update(xi)
        theirs.update(xi)
        max_diff = max(max_diff, abs(ours.value - theirs.get()))
    assert max_diff <= 1e-12 * 1e3


@given(
    bad=st.sampled_from(BAD_REALS),
    initial=st.one_of(st.none(), finite_x),
    xs=st.lists(finite_x, max_size=5),
)
def test_tick_ewma_rejects_bad_observation_and_keeps_state(bad, initial, xs):
    est = TickEWMA(10.0, initial)
    for xi in xs:
        est.update(xi)
    before = _state_json(est)
    with pytest.raises(InvalidInputError) as err:
        est.update(bad)
    assert err.value.field == "observation"
    assert _state_json(est) == before


def test_tick_ewma_overflow_rejected_state_kept():
    est = TickEWMA(1.0, -1.7e308)
    before = _state_json(est)
    with pytest.raises(InvalidInputError):
        est.update(1.7e308)  # x - value overflows
    assert _state_json(est) == before


def test_tick_ewma_refuses_the_state_of_another_kind():
    with pytest.raises(StateDictError):
        TickEWMA.from_state_dict(TickEWMAVariance(3.0).state_dict())


# ----------------------------------------------------------------------------- normalised


def test_normalised_equals_explicit_weights_and_pandas_adjust_true():
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(12)
    x = rng.normal(2.0, 1.5, 400)
    h = 100.0
    est = NormalisedTickEWMA(h)
    assert est.value is None and est.weight_sum == 0.0
    theirs = pd.Series(x).ewm(alpha=tick_alpha(h), adjust=True).mean().to_numpy()
    keep = 2.0 ** (-1.0 / h)
    for i, xi in enumerate(x.tolist(), start=1):
        est.update(xi)
        w = keep ** (i - 1 - np.arange(i))  # the first observation included, no special weight
        assert est.value == pytest.approx(np.dot(w, x[:i]) / w.sum(), rel=1e-12, abs=1e-12)
        assert est.value == pytest.approx(theirs[i - 1], rel=1e-12, abs=1e-12)
        assert est.weight_sum == pytest.approx(w.sum(), rel=1e-12)
    assert est.tick_count == 400


def test_normalised_first_observation_weighs_like_the_others_unlike_tick_ewma():
    """Both are linear in their inputs, so feeding unit vectors reads their weights off. After
    n = 100 i.i.d. observations (h = 100), Var(value) = sum w**2 Var(x) (weights summing to 1):
    0.0104 (n_eff = 96) with the normalised weights, 0.256 (n_eff = 3.9) for the EWMA started
    from its first observation, whose first value alone still weighs 0.50."""
    n, h = 100, 100.0
    weights = {}
    for make in (lambda: NormalisedTickEWMA(h), lambda: TickEWMA(h)):
        cols = []
        for j in range(n):
            est = make()
            for i in range(n):
                est.update(1.0 if i == j else 0.0)
            cols.append(est.value)
        weights[type(est).__name__] = np.array(cols)
    norm, started = weights["NormalisedTickEWMA"], weights["TickEWMA"]
    a = tick_alpha(h)
    assert norm.sum() == pytest.approx(1.0, rel=1e-12) and started.sum() == pytest.approx(1.0)
    assert norm[0] / norm[1] == pytest.approx(1.0 - a, rel=1e-12)
    assert started[0] / started[1] == pytest.approx((1.0 - a) / a, rel=1e-12)  # 143.8
    assert np.sum(norm**2) == pytest.approx(0.0104, abs=1e-4)
    assert np.sum(started**2) == pytest.approx(0.256, abs=1e-3)


@given(c=finite_x, h=half_lives, n=st.integers(1, 50))
def test_normalised_constant_input_is_exact(c, h, n):
    est = NormalisedTickEWMA(h)
    for _ in range(n):
        est.update(c)
        assert est.value == c


def test_normalised_overflow_rejected_state_kept():
    est = NormalisedTickEWMA(1.0)
    est.update(-1.7e308)
    before = _state_json(est)
    with pytest.raises(InvalidInputError):
        est.update(1.7e308)  # x - value overflows
    assert _state_json(est) == before


# ----------------------------------------------------------------------------- variance


def _variance_weights(n: int, alpha: float) -> np.ndarray:
    w = alpha * (1.0 - alpha) ** (n - 1 - np.arange(n))
    w[0] = (1.0 - alpha) ** (n - 1)  # the first observation initialises the mean
    return w


def _weighted_var(y: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    mu = float(np.sum(w * y) / np.sum(w))
    return mu, float(np.sum(w * (y - mu) ** 2) / np.sum(w))


def test_variance_equals_explicit_weights():
    rng = np.random.default_rng(7)
    x = rng.normal(-3.0, 2.0, 300)
    est = TickEWMAVariance(9.0)
    assert est.mean is None and est.variance is None
    for n, xi in enumerate(x.tolist(), start=1):
        est.update(xi)
        w = _variance_weights(n, est.alpha)
        assert np.sum(w) == pytest.approx(1.0, rel=1e-13, abs=0.0)
        mu, var = _weighted_var(x[:n], w)
        assert est.mean == pytest.approx(mu, rel=1e-12, abs=0.0)
        assert est.variance == pytest.approx(var, rel=1e-12, abs=0.0)


def test_variance_on_huge_offset_stream_where_naive_fails():
    """x = 1e8 + N(0,1): the reference is computed on x - 1e8 (exact by Sterbenz)."""
    rng = np.random.default_rng(3)
    offset = 1e8
    x = offset + rng.normal(0.0, 1.0, 2000)
    est = TickEWMAVariance(50.0)
    a = est.alpha
    naive_m1 = naive_m2 = None  # the E[x^2] - E[x]^2 form
    for xi in x.tolist():
        est.update(xi)
        if naive_m1 is None:
            naive_m1, naive_m2 = xi, xi * xi
        else:
            naive_m1 += a * (xi - naive_m1)
            naive_m2 += a * (xi * xi - naive_m2)
    w = _variance_weights(len(x), a)
    mu, ref = _weighted_var(x - offset, w)
    # spacing of floats at 1e8 is 1.5e-8, so deviations carry ~1e-8 absolute error
    assert est.variance == pytest.approx(ref, rel=1e-7, abs=0.0)
    assert est.mean - offset == pytest.approx(mu, abs=1e-7)
    naive = naive_m2 - naive_m1 * naive_m1
    assert abs(naive / ref - 1.0) > 0.5  # catastrophic cancellation in the naive form


@given(
    xs=st.lists(st.floats(min_value=-1e12, max_value=1e12), min_size=1, max_size=60),
    h=half_lives,
)
def test_variance_never_negative(xs, h):
    est = TickEWMAVariance(h)
    for xi in xs:
        est.update(xi)
        assert est.variance >= 0.0


@given(c=finite_x, h=half_lives, n=st.integers(1, 40))
def test_variance_constant_input_exact(c, h, n):
    est = TickEWMAVariance(h)
    for _ in range(n):
        est.update(c)
    assert est.mean == c and est.variance == 0.0


# ----------------------------------------------------------------------------- HybridEWMA


class SeedHybridEWMA:
    """The V2 design's HybridEWMA, literally: decays the *value* toward zero, then blends."""

    def __init__(self, half_life_ticks: float, time_half_life_ms: float) -> None:
        self.alpha = 1.0 - 2.0 ** (-1.0 / half_life_ticks)
        self.h_ms = time_half_life_ms
        self.value = 0.0
        self.last = 0

    def update(self, x: float, t: int) -> None:
        decayed = self.value * 2.0 ** (-(max(t - self.last, 0)) / self.h_ms)
        self.value = self.alpha * x + (1.0 - self.alpha) * decayed
        self.last = t


def _hybrid_reference(x: np.ndarray, t: np.ndarray, h: float, h_ms: float) -> float:
    n = len(x)
    keep = 2.0 ** (-1.0 / h)
    w = keep ** (n - 1 - np.arange(n)) * 2.0 ** (-(t[-1] - t) / h_ms)
    return float(np.sum(w * x) / np.sum(w))


@pytest.mark.parametrize("h_ms", [50.0, 1000.0, 60_000.0])
def test_hybrid_equals_explicit_normalised_weights(h_ms):
    rng = np.random.default_rng(21)
    n = 300
    gaps = rng.choice([0, 1, 7, 40, 250, 3000], size=n)
    t = np.cumsum(gaps) + 1_700_000_000_000  # epoch-ms scale timestamps
    x = rng.normal(10.0, 3.0, n)
    est = HybridEWMA(25.0, h_ms)
    assert est.value is None
    for i in range(n):
        est.update(float(x[i]), int(t[i]))
        ref = _hybrid_reference(x[: i + 1], t[: i + 1], 25.0, h_ms)
        assert est.value == pytest.approx(ref, rel=1e-12, abs=0.0)
    # the literal seed variant is not this weighted mean
    seed = SeedHybridEWMA(25.0, h_ms)
    for i in range(n):
        seed.update(float(x[i]), int(t[i]))
    assert abs(seed.value / _hybrid_reference(x, t, 25.0, h_ms) - 1.0) > 1e-3


@given(
    c=finite_x,
    gaps=st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=40),
    h=half_lives,
    h_ms=st.floats(min_value=1e-3, max_value=1e9),
)
def test_hybrid_constant_input_stays_exactly_constant(c, gaps, h, h_ms):
    est = HybridEWMA(h, h_ms)
    t = 0
    for g in gaps:
        t += g
        est.update(c, t)
        assert est.value == c


def test_seed_hybrid_fails_the_constant_input_check():
    """Known-bad variant for the test above: the constant 5.0 does not stay 5.0."""
    seed = SeedHybridEWMA(10.0, 1000.0)
    t = 0
    for _ in range(500):
        t += 500
        seed.update(5.0, t)
    assert seed.value < 0.9 * 5.0


def test_hybrid_forgets_after_long_gap_and_equal_times_are_tick_only():
    est = HybridEWMA(10.0, 100.0)
    est.update(1.0, 0)
    est.update(3.0, 0)  # dt = 0: pure tick weights, w = (keep, 1)
    keep = 2.0 ** (-1.0 / 10.0)
    assert est.value == pytest.approx((keep * 1.0 + 3.0) / (keep + 1.0), rel=1e-15, abs=0.0)
    est.update(7.0, 10**7)  # 1e5 time half-lives later: older weights underflow to zero
    assert est.value == 7.0 and est.weight_sum == 1.0
