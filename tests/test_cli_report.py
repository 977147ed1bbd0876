"""End-to-end: the CLI, the suite runner and the report writer."""

from __future__ import annotations

import dataclasses
import json

import pytest

from validation import cli, suite
from validation.catalogue import CATALOGUE
from validation.report.writer import write_report
from validation.results import Status


def test_list_names_every_check_and_catalogue_entry(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    for spec in suite.all_checks():
        assert spec.name in out
    for entry in CATALOGUE:
        assert entry.name in out


def test_unknown_check_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["check", "no.such.check"]) == 64
    assert "unknown check 'no.such.check'" in capsys.readouterr().err


def test_one_check_passes_on_the_production_estimator() -> None:
    assert cli.main(["check", "exact.ewma_weights", "--seed", "3"]) == 0


def test_catalogue_entries_are_registered_checks_of_their_family() -> None:
    specs = suite.checks_by_name()
    for entry in CATALOGUE:
        assert specs[entry.caught_by].family == entry.family


def test_check_seeds_differ_between_checks_and_repeat_for_a_seed() -> None:
    a = suite.check_seed(0, "sbc.kappa_pit")
    assert a == suite.check_seed(0, "sbc.kappa_pit")
    assert a != suite.check_seed(0, "exact.ewma_weights")
    assert a != suite.check_seed(1, "sbc.kappa_pit")


def test_a_failing_check_gives_exit_code_1_and_a_report(tmp_path) -> None:
    """Run the non-MCMC checks with every catalogue bug swapped in: the report says FAIL."""
    bad = {e.family: e.candidate for e in CATALOGUE}
    checks = [c for c in suite.all_checks() if not c.uses_mcmc and c.family in bad]
    candidates = {**suite.correct_candidates(), **bad}
    run = suite.run_checks(checks, base_seed=5, candidates=candidates)
    assert run.exit_code == 1
    assert run.counts[Status.FAIL.value] >= 1
    json_path, md_path, _ = write_report(tmp_path, suite_name="quick", seed=5, run=run, started=0.0)
    report = json.loads(json_path.read_text())
    assert report["summary"]["exit_code"] == 1
    assert {c["status"] for c in report["checks"]} >= {"fail"}
    assert "failed" in md_path.read_text()


def test_quick_audit_end_to_end(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    """The README's main command: all checks pass on the production estimators, seed 0."""
    code = cli.main(["audit", "--suite", "quick", "--out", str(tmp_path), "--seed", "0"])
    report = json.loads((tmp_path / "report.json").read_text())
    assert code == report["summary"]["exit_code"] == 0, report["summary"]
    quick = suite.suite_checks("quick")
    assert [c["name"] for c in report["checks"]] == [c.name for c in quick]
    assert "sbc.reference_gamma_exponential_ranks" not in {c.name for c in quick}  # full only
    assert report["environment"]["packages"]["pymc"]
    assert "pymc" in report["mcmc_backends"] or "nutpie" in report["mcmc_backends"]
    pngs = sorted(p.name for p in (tmp_path / "plots").glob("*.png"))
    assert "sbc_kappa_pit_ecdf.png" in pngs
    assert "sbc_kappa_pit_coverage.png" in pngs
    markdown = (tmp_path / "report.md").read_text()
    for png in pngs:
        assert f"plots/{png}" in markdown
    captured = capsys.readouterr()
    assert f"[1/{len(quick)}]" in captured.err  # progress on stderr
    assert "quick audit:" in captured.out and "0 failed" in captured.out


def test_rerunning_an_audit_with_a_fit_cache_does_no_mcmc(tmp_path, monkeypatch) -> None:
    """First run fills the cache; the second run must not call the sampler at all."""
    from reference_models import sampling
    from validation.agreement import reference_fits

    mcmc = [c for c in suite.all_checks() if c.uses_mcmc and c.name.startswith("agreement.kappa")]
    monkeypatch.setattr(reference_fits, "_cache_dir", None)
    from validation.agreement import kappa

    kappa._kappa_fit.cache_clear()  # the checks memoise fits per process
    reference_fits.set_fit_cache_dir(tmp_path / "fits")
    first = suite.run_checks(mcmc, base_seed=11)
    assert any((tmp_path / "fits").glob("*.nc"))

    def no_sampling(*args, **kwargs):
        raise AssertionError("sampled although the fit is cached")

    monkeypatch.setattr(sampling, "fit", no_sampling)
    kappa._kappa_fit.cache_clear()  # so that the disk cache is what answers
    second = suite.run_checks(mcmc, base_seed=11)
    assert [r.status for r in second.results] == [r.status for r in first.results]
    assert [r.statistic for r in second.results] == [r.statistic for r in first.results]
    reference_fits.set_fit_cache_dir(None)


def test_full_suite_runs_every_check_and_a_check_names_a_known_suite() -> None:
    assert [c.name for c in suite.suite_checks("full")] == [c.name for c in suite.all_checks()]
    with pytest.raises(ValueError, match="suite='nightly'"):
        suite.suite_checks("nightly")
    spec = suite.all_checks()[0]
    with pytest.raises(ValueError, match="suite='weekly'"):
        dataclasses.replace(spec, suite="weekly")
