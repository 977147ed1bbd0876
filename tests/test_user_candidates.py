"""User candidates: ``--candidate FAMILY=module:function`` on the CLI and in the Python API,
and the worked example in examples/ (a correct and a subtly wrong kappa estimator)."""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import validation
from validation import cli, suite
from validation.calibration.sbc_exact import ExactSbcSettings, run_kappa_pit
from validation.candidate_spec import CandidateSpecError, parse_candidate_spec
from validation.report.writer import write_report

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
CORRECT = "kappa=user_kappa_estimators:conjugate_kappa"
WRONG = "kappa=user_kappa_estimators:scale_for_rate_kappa"


@pytest.fixture
def examples_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(EXAMPLES))


def test_a_spec_overlays_only_its_family(examples_on_path: None) -> None:
    import user_kappa_estimators

    production = suite.correct_candidates()
    candidates = validation.candidates_from_specs([CORRECT])
    assert candidates["kappa"] is user_kappa_estimators.conjugate_kappa
    assert {f: c for f, c in candidates.items() if f != "kappa"} == {
        f: c for f, c in production.items() if f != "kappa"
    }


@pytest.mark.parametrize(
    ("spec", "why"),
    [
        ("kappa", "expected FAMILY=package.module:function"),
        ("kappa=os.path", "expected FAMILY=package.module:function"),
        ("=os:getcwd", "expected FAMILY=package.module:function"),
        ("kapa=os:getcwd", "unknown family 'kapa'"),
        ("reference=os:getcwd", "unknown family 'reference'"),
        ("kappa=no_such_module_xyz:fn", "cannot import 'no_such_module_xyz'"),
        ("kappa=os:no_such_function", "has no attribute 'no_such_function'"),
        ("kappa=os:sep", "'sep' is not callable"),
    ],
)
def test_a_bad_spec_is_rejected_naming_it(spec: str, why: str) -> None:
    with pytest.raises(CandidateSpecError, match=why) as info:
        parse_candidate_spec(spec)
    assert repr(spec) in str(info.value)


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "sbc.kappa_pit", "--candidate", "kappa=no_such_module_xyz:fn"],
        ["check", "sbc.kappa_pit", "--candidate", "kappa=os:sep"],
        [
            "check",
            "sbc.kappa_pit",
            "--candidate",
            "kappa=os:getcwd",
            "--candidate",
            "kappa=os:getpid",
        ],
        ["audit", "--out", "OUT", "--candidate", "jumps"],
    ],
    ids=["missing module", "not callable", "family twice", "audit malformed"],
)
def test_a_bad_candidate_exits_64_with_one_line_before_any_check(argv, tmp_path, capsys) -> None:
    argv = [str(tmp_path / "out") if a == "OUT" else a for a in argv]
    assert cli.main(argv) == 64
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and "candidate" in captured.err
    assert "Traceback" not in captured.err and "[1/" not in captured.err
    assert not (tmp_path / "out").exists()


def test_the_correct_example_passes_sbc_kappa_pit_through_the_cli(
    examples_on_path: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["check", "sbc.kappa_pit", "--candidate", CORRECT]) == 0
    out = capsys.readouterr().out
    assert "sbc.kappa_pit: pass" in out
    assert "candidate=user_kappa_estimators:conjugate_kappa" in out


def test_the_wrong_example_fails_sbc_kappa_pit_in_a_fresh_cli_process(tmp_path: Path) -> None:
    """``python -m validation check`` as a user runs it: exit 1, and stderr carries only the
    command's own progress (a fresh ArviZ cache would otherwise add its FutureWarning)."""
    env = {**os.environ, "PYTHONPATH": str(EXAMPLES), "XDG_CACHE_HOME": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "validation", "check", "sbc.kappa_pit", "--candidate", WRONG],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 1, proc.stderr
    assert "sbc.kappa_pit: fail" in proc.stdout
    assert "candidate=user_kappa_estimators:scale_for_rate_kappa" in proc.stdout
    lines = proc.stderr.splitlines()
    assert lines and all(line.startswith("[1/1] sbc.kappa_pit") for line in lines), proc.stderr


def test_the_report_records_each_checks_candidate(examples_on_path: None, tmp_path: Path) -> None:
    """Python API: a kappa check on the user's function, a hierarchical one on production."""
    by_name = suite.checks_by_name()
    small = ExactSbcSettings(n_replications=200)
    kappa = dataclasses.replace(
        by_name["sbc.kappa_pit"], run=functools.partial(run_kappa_pit, settings=small)
    )
    run = suite.run_checks(
        [kappa, by_name["exact.ewma_weights"]],
        base_seed=0,
        candidates=validation.candidates_from_specs([CORRECT]),
    )
    assert [r.candidate for r in run.results] == [
        "user_kappa_estimators:conjugate_kappa",
        "validation.candidates.ewma:hybrid_ewma",
    ]
    paths = write_report(tmp_path, "quick", 0, run, started=0.0, user_candidates=[CORRECT])
    report = json.loads(paths[0].read_text())
    assert report["user_candidates"] == [CORRECT]
    assert f"--candidate {CORRECT}" in report["command"]
    assert [c["candidate"] for c in report["checks"]] == [r.candidate for r in run.results]
    assert "candidate: `user_kappa_estimators:conjugate_kappa`" in paths[1].read_text()
