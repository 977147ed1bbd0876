"""HeavyTailDetector and the window CV, against numpy on the raw window."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from online import rolling_sums
from online.conjugate_kappa import ConjugateBayesianKappa, ConjugateKappaConfig
from online.errors import InvalidInputError
from online.heavy_tail import HeavyTailConfig, HeavyTailDetector, coefficient_of_variation
from online.rolling_sums import RollingWindow


def numpy_cv(values):
    v = np.asarray(values, dtype=float)
    return float(np.std(v) / np.mean(v))  # population sd (ddof = 0)


# ------------------------------------------------------------ CV vs numpy
@given(
    events=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=300),
            st.floats(min_value=0.0, max_value=1e-2),
        ),
        min_size=1,
        max_size=120,
    ),
    window_ms=st.integers(min_value=1, max_value=1500),
)
def test_window_cv_matches_numpy(events, window_ms):
    est = ConjugateBayesianKappa(ConjugateKappaConfig(window_ms=window_ms))
    t = np.cumsum([g for g, _ in events])
    d = np.maximum([x for _, x in events], est.config.min_distance)
    for i, ts in enumerate(t.tolist()):
        est.update(events[i][1], ts)
        win = d[: i + 1][t[: i + 1] > ts - window_ms]
        if win.size < 2:
            assert math.isnan(est.heavy_tail.cv)
        else:
            assert est.heavy_tail.cv == pytest.approx(numpy_cv(win), rel=1e-9, abs=1e-12)


def test_cv_is_stable_for_a_large_offset():
    """Values 1 + 1e-7 z: the raw-sums formula loses the variance, the window does not."""
    rng = np.random.default_rng(17)
    x = 1.0 + 1e-7 * rng.standard_normal(20_000)
    window = RollingWindow(window_ms=1000)
    s1 = s2 = 0.0  # known-bad variant: E[x^2] - E[x]^2 on raw running sums
    worst = worst_naive = 0.0
    for i, v in enumerate(x.tolist()):
        window.evict(i)
        if i >= 1000:
            s1 -= x[i - 1000]
            s2 -= x[i - 1000] ** 2
        window.push(i, v)
        s1 += v
        s2 += v * v
        if i % 500 == 499:
            win = x[max(0, i - 999) : i + 1]
            ref = numpy_cv(win)
            n = win.size
            naive = math.sqrt(max(s2 / n - (s1 / n) ** 2, 0.0)) / (s1 / n)
            worst = max(worst, abs(coefficient_of_variation(window) - ref) / ref)
            worst_naive = max(worst_naive, abs(naive - ref) / ref)
    assert worst < 1e-6  # the data carry ~1e-9 relative information per deviation
    assert worst_naive > 1e-2


def cancellation_case():
    """One huge value followed by 2000 tiny ones; evicting the huge value cancels m2."""
    rng = np.random.default_rng(4)
    tiny = 1e-6 * (1.0 + 0.1 * rng.standard_normal(2000))
    window = RollingWindow(window_ms=10_000)
    window.push(0, 1e3)
    for i, v in enumerate(tiny.tolist(), start=1):
        window.push(i, v)
    window.evict(10_000)  # removes only t = 0
    assert window.count == tiny.size
    return abs(coefficient_of_variation(window) - numpy_cv(tiny)) / numpy_cv(tiny)


def test_cancellation_guard_recomputes(monkeypatch):
    assert cancellation_case() < 1e-12
    # without the guard (known-bad variant) the same check fails
    monkeypatch.setattr(rolling_sums, "CANCELLATION_RATIO", -math.inf)
    assert cancellation_case() > 1e-3


def test_cv_undefined_cases():
    window = RollingWindow(window_ms=10)
    assert math.isnan(coefficient_of_variation(window))
    window.push(0, 1e-4)
    assert math.isnan(coefficient_of_variation(window))
    window.push(1, 1e-4)
    assert coefficient_of_variation(window) == 0.0
    zeros = RollingWindow(window_ms=10)
    zeros.push(0, 0.0)
    zeros.push(0, 0.0)
    assert math.isnan(coefficient_of_variation(zeros))


# ------------------------------------------------------------ the flag rule
def detector_after(cvs, **cfg):
    det = HeavyTailDetector(HeavyTailConfig(**cfg))
    for cv in cvs:
        det.record(cv)
    return det


def test_no_flag_before_min_updates():
    det = detector_after([1.5] * 99)
    assert det.exceedance_count == 99
    assert not det.is_heavy_tailed
    assert det.kappa_scale == 1.0
    det.record(1.5)
    assert det.is_heavy_tailed
    assert det.kappa_scale == pytest.approx(0.5, rel=1e-15, abs=0.0)


def test_fraction_must_exceed_eighty_percent():
    at = detector_after([1.3] * 80 + [1.0] * 20)
    assert at.exceedance_count == 80
    assert not at.is_heavy_tailed  # exactly 80% is not "more than 80%"
    above = detector_after([1.0] * 19 + [1.3] * 81)
    assert above.is_heavy_tailed
    assert above.kappa_scale == pytest.approx(2.0 - 1.3, rel=1e-15, abs=0.0)
    at_threshold = detector_after([1.2] * 200)  # CV equal to the threshold does not exceed
    assert at_threshold.exceedance_count == 0


def test_undefined_cv_counts_as_non_exceeding_update():
    det = detector_after([math.nan] * 19 + [2.0] * 81)
    assert det.update_count == 100
    assert det.is_heavy_tailed
    det.record(math.nan)
    assert det.is_heavy_tailed  # 81 / 101 > 0.8
    assert det.kappa_scale == 1.0  # undefined current CV: no scaling


@pytest.mark.parametrize(("cv", "scale"), [(1.25, 0.75), (1.9, 0.5), (4.0, 0.5), (1.21, 0.79)])
def test_kappa_scale_is_clamped_two_minus_cv(cv, scale):
    det = detector_after([cv] * 100)
    assert det.kappa_scale == pytest.approx(scale, rel=1e-12, abs=0.0)


def test_flags_heavy_tails_but_not_exponential_data():
    """Lomax(shape 3) has CV sqrt(3); an exponential has CV 1."""
    rng = np.random.default_rng(99)
    n = 3000
    t = np.cumsum(rng.integers(0, 200, n)).tolist()
    expo = ConjugateBayesianKappa(ConjugateKappaConfig(min_distance=0.0))
    heavy = ConjugateBayesianKappa(ConjugateKappaConfig(min_distance=0.0))
    for x, y, ts in zip(
        rng.exponential(4e-4, n).tolist(),
        (4e-4 * 2.0 * rng.pareto(3.0, n)).tolist(),
        t,
        strict=True,
    ):
        expo.update(x, ts)
        heavy.update(y, ts)
    assert not expo.heavy_tail.is_heavy_tailed
    assert expo.heavy_tail.exceedance_count < 0.05 * n
    assert expo.heavy_tail.kappa_scale == 1.0
    assert heavy.heavy_tail.is_heavy_tailed
    assert heavy.heavy_tail.kappa_scale == pytest.approx(
        min(max(2.0 - heavy.heavy_tail.cv, 0.5), 1.0), rel=1e-15
    )
    assert heavy.heavy_tail.kappa_scale < 1.0


# ---------------------------------------------------------- input & state
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("cv_threshold", 0.0),
        ("cv_threshold", math.nan),
        ("heavy_fraction", 1.0),
        ("heavy_fraction", 1.5),
        ("min_updates", 0),
        ("min_updates", True),
    ],
)
def test_config_rejects_bad_values(field, value):
    with pytest.raises(InvalidInputError) as info:
        HeavyTailConfig(**{field: value})
    assert info.value.field == field
