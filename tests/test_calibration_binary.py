"""CORP reliability, the consistency-resampling test and the "sbc.jump_reliability" check."""

from __future__ import annotations

import math

import numpy as np
import pytest

from online.errors import InvalidInputError
from validation.calibration.binary import corp_decomposition, miscalibration_test
from validation.calibration.sbc_jumps import (
    NAME,
    calibrated_classifier,
    run_jump_reliability,
)
from validation.candidates.jumps import soft_jumps
from validation.catalogue.jump_bugs import binary_three_sigma
from validation.results import Status


def reference_pav(y: list[float], w: list[float]) -> list[float]:
    """Textbook pool-adjacent-violators (Barlow et al. 1972), written out independently."""
    blocks: list[list[float]] = []  # [weighted mean, weight, length]
    for yi, wi in zip(y, w, strict=True):
        blocks.append([yi, wi, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            m2, w2, n2 = blocks.pop()
            m1, w1, n1 = blocks.pop()
            blocks.append([(m1 * w1 + m2 * w2) / (w1 + w2), w1 + w2, n1 + n2])
    return [m for m, _, n in blocks for _ in range(n)]


def test_recalibrated_curve_is_the_isotonic_regression_with_ties_pooled():
    rng = np.random.default_rng(1)
    p = rng.choice(np.linspace(0.05, 0.95, 19), size=400)
    y = rng.uniform(size=400) < p**1.5
    d = corp_decomposition(p, y)
    values = sorted(set(p.tolist()))
    means = [float(np.mean(y[p == v])) for v in values]
    weights = [float(np.sum(p == v)) for v in values]
    np.testing.assert_allclose(d.forecast, values)
    np.testing.assert_allclose(d.recalibrated, reference_pav(means, weights), atol=1e-12)
    assert d.count.tolist() == weights


def test_brier_decomposition_is_exact_and_components_are_nonnegative():
    rng = np.random.default_rng(2)
    p = rng.uniform(size=3000)
    y = rng.uniform(size=3000) < 0.2 + 0.6 * p
    d = corp_decomposition(p, y)
    assert d.brier == pytest.approx(np.mean((p - y) ** 2), abs=1e-15)
    assert d.brier == pytest.approx(d.mcb - d.dsc + d.unc, abs=1e-12)
    assert d.mcb >= 0.0 and d.dsc >= 0.0
    assert d.unc == pytest.approx(y.mean() * (1.0 - y.mean()), abs=1e-15)


def test_hard_forecast_mcb_by_hand():
    """p in {0, 1}: PAV gives the event rate in each group (monotone here), so MCB =
    error rate - (n0 r0 (1 - r0) + n1 r1 (1 - r1)) / n."""
    p = np.array([0.0] * 8 + [1.0] * 4)
    y = np.array([0] * 6 + [1] * 2 + [1] * 3 + [0])
    d = corp_decomposition(p, y)
    r0, r1 = 2 / 8, 3 / 4
    expected = 3 / 12 - (8 * r0 * (1 - r0) + 4 * r1 * (1 - r1)) / 12
    assert d.mcb == pytest.approx(expected, abs=1e-15)
    test = miscalibration_test(p, y, np.random.default_rng(0), alpha=0.01, n_resamples=99)
    assert test.rejected and test.p_value == pytest.approx(0.01)


def test_resampling_test_holds_its_level_on_calibrated_forecasts():
    """200 calibrated data sets at alpha = 0.05 (B = 99): rejections ~ Binomial(200, <= 0.05)."""
    rejections = 0
    for seed in range(200):
        rng = np.random.default_rng(seed)
        p = rng.beta(0.5, 3.0, size=500)
        y = rng.uniform(size=500) < p
        rejections += miscalibration_test(p, y, rng, alpha=0.05, n_resamples=99).rejected
    assert rejections <= 19  # P(Binomial(200, 0.05) > 19) = 0.0026


def test_resampling_test_rejects_a_mildly_overconfident_forecast():
    rng = np.random.default_rng(3)
    q = rng.beta(0.5, 3.0, size=4000)
    y = rng.uniform(size=4000) < q
    p = np.clip(q * 1.4, 0.0, 1.0)
    assert miscalibration_test(p, y, rng, alpha=0.001).rejected


@pytest.mark.parametrize(
    ("p", "y", "field"),
    [
        ([0.1, 1.2], [0, 1], "p"),
        ([0.1, float("nan")], [0, 1], "p"),
        ([0.1, 0.2], [0, 2], "y"),
        ([0.1, 0.2], [0, 1, 1], "y"),
        ([0.1], [1], "p"),
    ],
)
def test_bad_input_raises_naming_the_field(p, y, field):
    with pytest.raises(InvalidInputError) as err:
        corp_decomposition(p, y)
    assert err.value.field == field


def test_resampling_settings_are_validated():
    rng = np.random.default_rng(0)
    with pytest.raises(InvalidInputError, match="alpha"):
        miscalibration_test([0.1, 0.2], [0, 1], rng, alpha=0.0)
    with pytest.raises(InvalidInputError, match="n_resamples"):
        miscalibration_test([0.1, 0.2], [0, 1], rng, alpha=0.001, n_resamples=500)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_check_passes_the_production_and_the_bayes_classifier(seed):
    for candidate in (soft_jumps, calibrated_classifier):
        res = run_jump_reliability(candidate, seed)
        assert res.status is Status.PASS, (candidate.__name__, res.details["reliability"])
        assert res.statistic <= 1.0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_check_catches_the_binary_three_sigma_rule(seed):
    res = run_jump_reliability(binary_three_sigma, seed)
    assert res.status is Status.FAIL and math.isfinite(res.statistic) and res.statistic > 1.0


def test_check_fails_a_candidate_that_raises():
    def broken(returns):
        raise ValueError("no")

    res = run_jump_reliability(broken, 0)
    assert res.status is Status.FAIL and res.name == NAME


# --------------------------------------------------------------------------- audit (>= 100 seeds)


@pytest.mark.audit
def test_audit_false_alarms_of_the_bayes_classifier_and_binary_detection():
    """False alarms at the stated 0.001 on the exactly calibrated classifier: 0 or 1 of 200
    (P(Binomial(200, 0.001) >= 2) = 0.018); the binary 3-sigma rule caught on 100 of 100."""
    alarms = sum(run_jump_reliability(calibrated_classifier, k).failed for k in range(200))
    assert alarms <= 1
    assert all(run_jump_reliability(binary_three_sigma, 1000 + k).failed for k in range(100))


def test_reliability_diagram_is_drawn_for_the_check_and_skipped_otherwise(tmp_path):
    from validation.report.panels import reliability_diagram
    from validation.results import CheckResult

    png = reliability_diagram(run_jump_reliability(binary_three_sigma, 0), tmp_path)
    assert png is not None and png.stat().st_size > 5000 and png.read_bytes()[:4] == b"\x89PNG"
    other = CheckResult(name="x", status=Status.PASS, statistic=0.0, threshold=1.0)
    assert reliability_diagram(other, tmp_path) is None


def test_consistency_band_contains_the_diagonal_mostly_for_calibrated_forecasts():
    rng = np.random.default_rng(4)
    p = rng.uniform(size=3000)
    y = rng.uniform(size=3000) < p
    test = miscalibration_test(p, y, rng, alpha=0.01, n_resamples=199)
    x = test.decomposition.forecast[np.unique(np.linspace(0, p.size - 1, 400).round().astype(int))]
    inside = (test.band_low <= x + 0.02) & (x - 0.02 <= test.band_high)
    assert inside.mean() > 0.95
