"""End-to-end checks of MarketParams (validation.endtoend) and the replay of simulated
sessions (validation.market.feed): the wiring they rely on, and that each check fails on a
known-bad variant of the production estimator (the catalogue's unified entries are caught in
tests/test_catalogue.py)."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pytest

import validation.candidates.stochastic_vol
import validation.endtoend._reported
import validation.market.feed
import validation.market.simulate
import validation.report.coverage
import validation.results
from online.unified import UnifiedParameterEstimator
from validation.catalogue import unified_bugs
from validation.endtoend.consistency import run_params_consistency
from validation.endtoend.kappa_joint import approximation_error, run_kappa_joint
from validation.market import MarketSpec, feed_session, run_unified, simulate_market
from validation.report.coverage import runtime_lines
from validation.results import Status


@pytest.mark.parametrize(
    "module",
    [
        validation.market.simulate,
        validation.market.feed,
        validation.endtoend._reported,
        validation.report.coverage,
        validation.candidates.stochastic_vol,
        validation.results,
    ],
    ids=lambda m: m.__name__,
)
def test_docstring_examples_run(module):
    result = doctest.testmod(module, raise_on_error=False)
    assert result.attempted > 0 and result.failed == 0


def test_bucket_returns_are_mid_log_returns_at_bucket_close():
    """Each classified bucket return equals ln(m_k / m_{k-1}), m the quoted mid at the closing
    trade, computed here from the session."""
    s = simulate_market(
        MarketSpec(duration_s=600.0, trade_rate_per_s=3.0), np.random.default_rng(4)
    )
    seen = []

    class Recording(UnifiedParameterEstimator):
        def _on_bucket(self, r, end_ms, duration_ms):
            seen.append((end_ms, r))
            super()._on_bucket(r, end_ms, duration_ms)

    run = feed_session(s, Recording(), [s.end_ms])
    assert len(seen) > 100 and len(run.buckets) == len(seen) + 1  # the first has no return
    mids = {int(t): m for t, m in zip(s.times_ms, s.quoted_mid, strict=True)}
    closes = [b.end_ms for b in run.buckets]
    for (end_ms, r), prev in zip(seen, closes[:-1], strict=True):
        assert r == pytest.approx(math.log(mids[end_ms] / mids[prev]), abs=1e-15)


def test_snapshots_see_every_event_up_to_the_checkpoint():
    s = simulate_market(MarketSpec(duration_s=60.0), np.random.default_rng(5))
    before_all = s.spec.start_ms - 1
    run = run_unified(s, [before_all, s.end_ms])
    assert run.params[0].timestamp_ms == -1 and run.kappa_sources[0] == "prior"
    assert run.params[1].timestamp_ms == int(s.times_ms[-1])


def test_params_consistency_passes_production_and_fails_variance_as_sd():
    assert run_params_consistency(run_unified, 0).status is Status.PASS
    bad = run_params_consistency(unified_bugs.variance_as_uncertainty, 0)
    assert bad.status is Status.FAIL and bad.details["n_problems"] > 0


def test_joint_mcmc_agreement_passes_production_and_fails_variance_as_sd():
    good = run_kappa_joint(run_unified, 0)
    assert good.status is Status.PASS, good.details
    bad = run_kappa_joint(unified_bugs.variance_as_uncertainty, 0)
    assert bad.status is Status.FAIL and math.isfinite(bad.statistic)


def test_moment_matching_error_is_within_the_stated_allowance():
    err = approximation_error(n_draws=60, seed=9)
    assert np.all(err < 0.35) and np.median(err) < 0.1


def test_runtime_lines_are_the_statements_inside_function_bodies():
    src = "X = 1\n\ndef f(a):\n    b = a\n    if b:\n        return 2\n\nclass C:\n    y = 3\n"
    assert runtime_lines(src) == {4, 5, 6}


def test_contracts_pass_production_and_fail_a_lossy_restore(monkeypatch):
    from validation.endtoend.contracts import run_contracts

    assert run_contracts(None, 0).status is Status.PASS
    original = UnifiedParameterEstimator.from_state_dict.__func__

    def lossy(cls, data):  # forgets the mid of the last bucket close
        est = original(cls, data)
        est._close_mid = None
        return est

    monkeypatch.setattr(UnifiedParameterEstimator, "from_state_dict", classmethod(lossy))
    bad = run_contracts(None, 0)
    assert bad.status is Status.FAIL and any("differs" in p for p in bad.details["problems"])


def test_contracts_fail_an_exporter_that_rounds_a_field(monkeypatch):
    import dataclasses

    from online.metrics import MarketParamsExporter
    from validation.endtoend.contracts import run_contracts

    original = MarketParamsExporter.observe

    def rounding(self, params):  # exports sigma in float32
        original(self, dataclasses.replace(params, sigma=float(np.float32(params.sigma))))

    monkeypatch.setattr(MarketParamsExporter, "observe", rounding)
    bad = run_contracts(None, 0)
    assert bad.status is Status.FAIL
    assert any("exported mm_estimator_sigma" in p for p in bad.details["problems"])


def test_stochastic_vol_recovery_passes_production_and_fails_the_planted_bugs():
    from validation.agreement.stochastic_vol import run_stochastic_vol
    from validation.candidates.stochastic_vol import stochastic_vol_fit
    from validation.catalogue import stochastic_vol_bugs

    assert run_stochastic_vol(stochastic_vol_fit, 11).status is Status.PASS
    for bug in (stochastic_vol_bugs.ols_persistence, stochastic_vol_bugs.no_proxy_offset):
        assert run_stochastic_vol(bug, 11).status is Status.FAIL


def test_estimator_contracts_pass_production_and_fail_a_lenient_loader():
    import dataclasses

    import online
    from online.testing import CONTRACTS
    from validation.endtoend.estimator_contracts import run_estimator_contracts

    tick = next(c for c in CONTRACTS if c.name == "TickEWMA")
    assert run_estimator_contracts([tick], 0).status is Status.PASS

    class LenientTickEWMA(online.TickEWMA):  # drops unknown keys instead of refusing them
        @classmethod
        def from_state_dict(cls, data):
            known = {k: data[k] for k in ("kind", "version", "config", "state") if k in data}
            return super().from_state_dict(known)

    lenient = dataclasses.replace(tick, make=lambda: LenientTickEWMA(20.0))
    bad = run_estimator_contracts([lenient], 0)
    assert bad.status is Status.FAIL
    assert any("extra key was accepted" in p for p in bad.details["problems"])


def test_interpreted_kernels_swap_every_numba_kernel_and_restore_it():
    from online import bulk
    from validation.endtoend.estimator_contracts import interpreted_kernels

    compiled = bulk.ewma._tick_kernel
    with interpreted_kernels() as replaced:
        assert bulk.ewma._tick_kernel is compiled.py_func
        assert "online.bulk.ewma._tick_kernel" in replaced and len(replaced) >= 6
        np.testing.assert_array_equal(bulk.tick_ewma([1.0, 3.0], 1.0), [1.0, 2.0])
    assert bulk.ewma._tick_kernel is compiled
