"""The ``e2e.prequential_pit`` gate: its records, read from a black-box candidate's
checkpoints, against the live probe's, and its verdicts on the known-bad catalogue entries."""

from __future__ import annotations

import numpy as np
import pytest

from online.unified import UnifiedParameterEstimator
from validation.catalogue import CATALOGUE
from validation.market import feed_session, run_unified, simulate_market
from validation.market.simulate import TRADE
from validation.prequential.gate import NAME, run_prequential_pit, run_records
from validation.prequential.probe import PrequentialProbe
from validation.prequential.simulated import session_spec


def test_checkpoint_records_match_the_live_probe():
    rng = np.random.default_rng(4)
    session = simulate_market(session_spec(rng, duration_s=600.0), rng)
    probe = PrequentialProbe(UnifiedParameterEstimator())
    feed_session(session, probe, [])
    live = probe.records()
    cps = (np.unique(session.times_ms[session.kinds == TRADE]) - 1).tolist()
    ours = run_records(session, run_unified(session, cps))
    # trades: the same events and distances; the Gamma equal unless an event of the trade's
    # own millisecond came first (the probe sees it, a checkpoint 1 ms earlier does not)
    a, b = live["trades"], ours["trades"]
    assert a.size == b.size and a.size > 500
    np.testing.assert_allclose(b["lo"], a["lo"], rtol=1e-9, atol=1e-15)
    same = np.isclose(b["a"], a["a"], rtol=1e-12) & np.isclose(b["b"], a["b"], rtol=1e-12)
    assert same.mean() > 0.95
    # returns: the same mids, spans and sigma (the probe's pi is the classifier's; ours 0)
    ra, rb = live["returns"], ours["returns"]
    assert rb.size >= 0.95 * ra.size and rb.size > 100
    common, ia, ib = np.intersect1d(ra["time_ms"], rb["time_ms"], return_indices=True)
    assert common.size >= 0.95 * rb.size
    np.testing.assert_allclose(rb["lo"][ib], ra["lo"][ia], rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(rb["dt_s"][ib], ra["dt_s"][ia])
    np.testing.assert_allclose(rb["sigma"][ib], ra["sigma"][ia], rtol=1e-12)


@pytest.mark.slow
def test_gate_fails_each_catalogue_entry_on_the_quantity_it_breaks():
    entries = {e.name: e for e in CATALOGUE if e.caught_by == NAME}
    assert set(entries) == {"unified.kappa_reported_2x", "unified.vwap_returns.prequential"}
    kappa = run_prequential_pit(entries["unified.kappa_reported_2x"].candidate, 3)
    vwap = run_prequential_pit(entries["unified.vwap_returns.prequential"].candidate, 3)
    assert kappa.status.value == "fail" and vwap.status.value == "fail"
    assert kappa.details["rejected"] == {"trade_distance": True, "bucket_return": False}
    assert vwap.details["rejected"] == {"trade_distance": False, "bucket_return": True}
