"""Real-data jump audit on S&P 500 daily log returns (2008-2009 span to stay fast)."""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import numpy as np
import pytest

from validation.agreement.jumps_mcmc import APPROX_TOL_P
from validation.baseline import AcceptedFinding, Baseline, DataRef
from validation.catalogue.jump_bugs import binary_three_sigma
from validation.realdata.sp500_jumps import NAME, TOP_DAYS, audit_sp500_jumps, sp500_log_returns
from validation.results import Kind, Status
from validation.verdict import FindingStatus, classify

pytest.importorskip("arch")

SPAN = (2008, 2009)
SEED = 7
CRASH_DAYS = {"2008-09-29", "2008-10-13", "2008-10-15", "2008-10-28"}
"""The four largest absolute daily moves of 2008-2009 (Lehman/TARP vote, October 2008)."""


@pytest.fixture(scope="module")
def result():
    (res,) = audit_sp500_jumps(seed=SEED, years=SPAN)
    return res


def test_returns_are_log_ratios_of_adj_close_in_the_span() -> None:
    from arch.data import sp500

    close = sp500.load()["Adj Close"]
    r = sp500_log_returns(SPAN)
    assert r.index.min().year == 2008 and r.index.max().year == 2009
    prev = close.shift(1).loc[r.index]
    np.testing.assert_allclose(r.to_numpy(), np.log(close.loc[r.index] / prev).to_numpy())
    assert len(sp500_log_returns()) == len(close) - 1
    with pytest.raises(ValueError):
        sp500_log_returns((2009, 2008))
    with pytest.raises(ValueError):
        sp500_log_returns((1980, 1981))


def test_audit_gives_finite_numbers_and_a_definite_status(result) -> None:
    assert result.name == NAME
    assert result.status in (Status.PASS, Status.FAIL)  # the 2008-09 fit passes its gate
    assert result.details["mcmc"].usable
    assert math.isfinite(result.statistic)
    assert (result.status is Status.PASS) == (result.statistic <= 1.0)
    for row in result.details["parameters"].values():
        for key in ("online", "posterior_mean", "posterior_sd", "z_posterior_sds", "mcse"):
            assert math.isfinite(row[key])
        lo, hi = row["posterior_interval_95"]
        assert lo < row["posterior_mean"] < hi
    pj = result.details["p_jump"]
    assert 0.0 <= pj["mean_abs_dp"] <= pj["max_abs_dp"] <= 1.0
    assert -1.0 <= pj["correlation"] <= 1.0
    assert result.details["n"] == len(sp500_log_returns(SPAN))


def test_memberships_are_probabilities_and_top_days_are_the_crash_days(result) -> None:
    pj = result.details["p_jump"]
    rows = pj["top_days_by_mcmc"] + pj["top_days_by_abs_diff"]
    for row in rows:
        for key in ("mcmc_membership", "online_p_jump", "online_p_jump_single_pass"):
            assert 0.0 <= row[key] <= 1.0
    top = [row["date"] for row in pj["top_days_by_mcmc"]]
    # sigma_j > sigma_d in every draw, so the membership increases with |r|: the top days are
    # the largest |r| days, computed here directly from the prices.
    r = sp500_log_returns(SPAN)
    largest = {str(d.date()) for d in r.abs().sort_values(ascending=False).index[:TOP_DAYS]}
    assert set(top) == largest
    assert set(top) >= CRASH_DAYS
    assert all(row["mcmc_membership"] > 0.5 for row in pj["top_days_by_mcmc"][:4])


def test_binary_three_sigma_candidate_differs_beyond_tolerance(result) -> None:
    (bad,) = audit_sp500_jumps(seed=SEED, years=SPAN, candidate=binary_three_sigma)
    assert bad.status is Status.FAIL
    assert bad.details["p_jump"]["max_abs_dp"] > APPROX_TOL_P
    assert bad.details["ratios"]["max_abs_dp"] > 1.0
    # the binary 0/1 output is further from the memberships than the production candidate's
    assert bad.details["p_jump"]["max_abs_dp"] > result.details["p_jump"]["max_abs_dp"]
    # same MCMC fit (memoised) for both candidates
    assert bad.details["mcmc"] == result.details["mcmc"]


def test_the_audit_is_an_adequacy_finding_on_the_arch_data_file(result) -> None:
    from arch.data import sp500

    assert result.kind is Kind.ADEQUACY
    assert result.size == result.statistic
    (data,) = result.data_files
    raw = (Path(sp500.__file__).parent / "sp500.csv.gz").read_bytes()
    assert (data.name, data.bytes) == ("sp500.csv.gz", len(raw))
    assert data.sha256 == hashlib.sha256(raw).hexdigest()
    assert "vs tolerance" in result.details["size_summary"]


def test_a_bad_classifier_is_a_grown_finding_against_the_accepted_size(result) -> None:
    """Accept the production classifier's finding at its size: the binary 3-sigma classifier
    on the same returns is a grown finding and fails the audit."""
    (data,) = result.data_files
    entry = AcceptedFinding(
        NAME, "volatility clustering", result.size, (DataRef(data.name, sha256=data.sha256),)
    )
    baseline = Baseline(findings=(entry,))
    assert classify([result], baseline).exit_code == 0
    (bad,) = audit_sp500_jumps(seed=SEED, years=SPAN, candidate=binary_three_sigma)
    assert bad.size > result.size
    verdict = classify([bad], baseline)
    assert [f.status for f in verdict.findings] == [FindingStatus.GROWN]
    assert verdict.exit_code == 1
