"""Per-replication moments of the MCMC rank SBC (sbc_reference.replication_moments): derived
from each record's kept (ESS-thinned) draws of the right parameter, NaN for gated-out fits, and
shown by the report as recovery / contraction panels and per-replication tables. Records are
built from synthetic (chains, draws) arrays (no MCMC), so every number is checked against numpy
on the record's own draws."""

from __future__ import annotations

import csv
import dataclasses

import matplotlib.pyplot as plt
import numpy as np
import pytest

from validation.calibration.pit import ReplicationMoments
from validation.calibration.quantities import resolve
from validation.calibration.sbc_reference import (
    RankSbcSettings,
    rank_verdict,
    ranks_result,
    replication_inputs,
    replication_record,
)
from validation.report.replications import replication_tables
from validation.report.writer import write_report
from validation.results import CheckResult, Status
from validation.suite import SuiteRun

SETTINGS = RankSbcSettings(n_replications=40)
RAW = (2, 600)  # chains x draws per fit; thinned by ceil(1200 / 150) = 8 to 150, then 99 kept
ESS = 150.0
GATED_OUT = (3, 17, 18, 25, 39)
"""5 of 40 > 10%: the verdict is INCONCLUSIVE, so no ECDF band (seconds to compute) is needed;
the moments and ranks do not depend on the verdict."""


def conjugate_records(settings: RankSbcSettings, seed: int) -> tuple[list, list]:
    """The conjugate rank SBC's records with exact posterior Gamma(a0 + n, b0 + S) draws as the
    raw (chains, draws) arrays, and those raw arrays; replications GATED_OUT failed their
    gate."""
    rng = np.random.default_rng([seed, 7])
    prior = settings.model_prior
    out, raws = [], []
    for k in range(settings.n_replications):
        data, _ = replication_inputs(k, settings, seed)
        rate = prior.beta + data.distances.sum()
        raw = rng.gamma(prior.alpha + data.distances.size, 1.0 / rate, RAW)
        raws.append(raw)
        out.append(
            replication_record(
                k,
                settings.n_ranked_draws,
                ("r_hat kappa 1.05 > 1.01",) if k in GATED_OUT else (),
                ESS,
                {"kappa": data.kappa},
                {"distances": data.distances},
                None if k in GATED_OUT else {"kappa": raw},
                seconds=0.0,
                sampling_seconds=0.0,
            )
        )
    return out, raws


def mixture_records(n: int, seed: int) -> list:
    """Jump-mixture records: three parameters on very different scales, each with its own raw
    draws around its truth; the last replication failed its gate."""
    rng = np.random.default_rng(seed)
    out = []
    for k in range(n):
        truth = {"pi": np.exp(rng.uniform(-5.0, -1.0)), "sigma_d": np.exp(rng.uniform(-11.0, -7.0))}
        truth["sigma_j"] = truth["sigma_d"] * rng.uniform(3.0, 5.0)
        raw = {v: x * np.exp(rng.normal(0.0, 0.1, RAW)) for v, x in truth.items()}
        returns = rng.normal(0.0, truth["sigma_d"], 50)
        out.append(
            replication_record(
                k,
                99,
                ("divergences 3",) if k == n - 1 else (),
                ESS,
                truth,
                {"returns": returns},
                raw,
                seconds=0.0,
                sampling_seconds=0.0,
            )
        )
    return out


def mixture_result(records: list) -> CheckResult:
    """The mixture check's verdict on ``records`` (INCONCLUSIVE: no gated-out fit allowed)."""
    return ranks_result(
        "sbc.reference_jump_mixture_ranks",
        records,
        n_replications=len(records),
        n_ranked=99,
        quantities=resolve("jump_mixture", ("pi", "sigma_d", "sigma_j", "loglik")),
        alpha=0.001,
        max_unusable_fraction=0.0,
        seed=0,
        seconds=0.0,
        details={},
    )


def _loglik(kappa: np.ndarray | float, d: np.ndarray) -> np.ndarray:
    """log prod_i kappa exp(-kappa d_i), by hand."""
    return d.size * np.log(kappa) - kappa * np.sum(d)


@pytest.fixture(scope="module")
def conjugate() -> tuple[list, CheckResult, list]:
    records, raws = conjugate_records(SETTINGS, 5)
    return records, rank_verdict(records, SETTINGS, 5, 0.0), raws


def test_moments_are_numpy_mean_and_sd_of_each_records_kept_draws(conjugate) -> None:
    records, res, _ = conjugate
    m = res.details["replications"]["kappa"]
    assert isinstance(m, ReplicationMoments)
    usable = [r for r in records if r.usable]
    kept = [np.array(r.draws["kappa"]) for r in usable]
    assert all(x.size == SETTINGS.n_ranked_draws for x in kept)
    ok = m.usable_flags
    np.testing.assert_array_equal(m.theta[ok], [r.truth["kappa"] for r in usable])
    np.testing.assert_allclose(m.posterior_mean[ok], [np.mean(x) for x in kept], rtol=1e-12)
    np.testing.assert_allclose(m.posterior_sd[ok], [np.std(x, ddof=1) for x in kept], rtol=1e-12)
    ranks = [int(np.sum(x < r.truth["kappa"])) for x, r in zip(kept, usable, strict=True)]
    assert (
        m.ranked["rank"][ok].tolist() == ranks == res.details["quantities"]["kappa"].ranks.tolist()
    )
    loglik = [
        int(np.sum(_loglik(x, d) < _loglik(r.truth["kappa"], d)))
        for x, r in zip(kept, usable, strict=True)
        for d in [np.array(r.data["distances"])]
    ]
    assert m.ranked["rank_loglik"][ok].tolist() == loglik
    assert list(m.ranked) == ["rank", "rank_loglik"]


def test_the_unthinned_draws_would_give_other_moments(conjugate) -> None:
    """The comparison above can tell the kept draws from all the draws of the fit: the raw
    arrays (regenerated with the same stream) have other means, beyond its tolerance."""
    records, res, raws = conjugate
    m = res.details["replications"]["kappa"]
    gap = [abs(raws[r.k].mean() / m.posterior_mean[r.k] - 1.0) for r in records if r.usable]
    assert min(gap) > 1e-9 and np.median(gap) > 1e-3


def test_gated_out_replications_have_nan_moments_and_are_marked_unusable(conjugate) -> None:
    records, res, _ = conjugate
    m = res.details["replications"]["kappa"]
    assert np.flatnonzero(~m.usable_flags).tolist() == list(GATED_OUT)
    assert m.theta.size == SETTINGS.n_replications
    for k in GATED_OUT:
        assert m.theta[k] == records[k].truth["kappa"]
        values = [m.posterior_mean[k], m.posterior_sd[k], *(r[k] for r in m.ranked.values())]
        assert np.isnan(values).all()
    assert np.isfinite(m.posterior_sd[m.usable_flags]).all()
    (table,) = replication_tables(res)
    assert [row[-1] for row in table.rows] == m.usable_flags.tolist()


def test_fewer_ranked_draws_take_the_moments_from_the_same_draws_as_the_ranks(conjugate) -> None:
    """--recompute --thin L': the moments use the L' evenly spaced stored draws ranked."""
    records, _, _ = conjugate
    short = dataclasses.replace(SETTINGS, n_ranked_draws=33)
    m = rank_verdict(records, short, 5, 0.0).details["replications"]["kappa"]
    idx = np.round(np.linspace(0, SETTINGS.n_ranked_draws - 1, 33)).astype(int)
    for r in records:
        if r.usable:
            x = np.array(r.draws["kappa"])[idx]
            assert m.posterior_mean[r.k] == pytest.approx(np.mean(x), rel=1e-12)
            assert m.posterior_sd[r.k] == pytest.approx(np.std(x, ddof=1), rel=1e-12)
            assert m.ranked["rank"][r.k] == np.sum(x < r.truth["kappa"])


def test_each_mixture_parameter_gets_the_moments_of_its_own_draws() -> None:
    records = mixture_records(30, 2)
    res = mixture_result(records)
    moments = res.details["replications"]
    assert list(moments) == ["pi", "sigma_d", "sigma_j"]
    usable = records[:-1]
    for v, m in moments.items():
        kept = [np.array(r.draws[v]) for r in usable]
        np.testing.assert_array_equal(m.theta, [r.truth[v] for r in records])
        assert m.usable_flags.tolist() == [True] * 29 + [False]
        assert np.isnan([m.posterior_mean[-1], m.posterior_sd[-1], m.ranked["rank"][-1]]).all()
        mean, sd = m.posterior_mean[:-1], m.posterior_sd[:-1]
        np.testing.assert_allclose(mean, [np.mean(x) for x in kept], rtol=1e-12)
        np.testing.assert_allclose(sd, [np.std(x, ddof=1) for x in kept], rtol=1e-12)
        assert m.ranked["rank"][:-1].tolist() == res.details["quantities"][v].ranks.tolist()
        loglik = res.details["quantities"]["loglik"].ranks.tolist()
        assert list(m.ranked) == ["rank", "rank_loglik"]
        assert m.ranked["rank_loglik"][:-1].tolist() == loglik
    # sigma_j is 3-5 sigma_d: a swapped parameter could not pass the comparison above
    assert np.all(
        moments["sigma_j"].posterior_mean[:-1] > 2 * moments["sigma_d"].posterior_mean[:-1]
    )


def test_the_report_shows_panels_and_tables_of_rank_sbc_results(conjugate, tmp_path) -> None:
    """Every parameter's table (CSV linked from report.md, first and last rows in report.html)
    and one row of recovery / contraction panels per parameter."""
    _, gamma, _ = conjugate
    mixture = mixture_result(mixture_records(20, 3))
    assert gamma.status is Status.INCONCLUSIVE and gamma.details["n_usable"] == 35
    write_report(tmp_path, "quick", 5, SuiteRun(results=[gamma, mixture]), started=0.0)
    markdown = (tmp_path / "report.md").read_text()
    html = (tmp_path / "report.html").read_text()
    for name, where in [
        ("sbc_reference_gamma_exponential_ranks", "kappa"),
        ("sbc_reference_jump_mixture_ranks", "pi"),
        ("sbc_reference_jump_mixture_ranks", "sigma_d"),
        ("sbc_reference_jump_mixture_ranks", "sigma_j"),
    ]:
        csv_name = f"tables/{name}_replications_{where}_replications.csv"
        assert f"[{csv_name}]({csv_name})" in markdown
        assert f"Per replication (replications.{where})" in html
        with (tmp_path / csv_name).open() as fh:
            header = next(csv.reader(fh))
        assert header[5:] == ["rank", "rank_loglik", "usable"]
    for name, rows in [
        ("sbc_reference_gamma_exponential_ranks", 1),
        ("sbc_reference_jump_mixture_ranks", 3),
    ]:
        png = f"plots/{name}_recovery.png"
        assert f"]({png})" in markdown and (tmp_path / png).read_bytes()[:4] == b"\x89PNG"
        height, width = plt.imread(tmp_path / png).shape[:2]
        assert height / width == pytest.approx(rows * 4.0 / 9.4, rel=0.01)  # rows of 9.4 x 4 in
