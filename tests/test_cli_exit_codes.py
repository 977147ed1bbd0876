"""Exit statuses: 0/1/2 are verdicts only; every usage, path or input error is 64 with one line
on stderr and no traceback, found before any work starts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from validation import cli, suite

REPO = Path(__file__).resolve().parents[1]


def _prepare(tmp_path: Path) -> None:
    """A plain file, and a directory holding a damaged archive."""
    (tmp_path / "a_file").write_text("x")
    (tmp_path / "damaged").mkdir()
    archive = tmp_path / "damaged" / "LOBSTER_SampleFile_AAPL_2012-06-21_1.zip"
    archive.write_bytes(b"PK\x03\x04 garbage")


def _bad_argv(tmp_path: Path) -> dict[str, list[str]]:
    a_file = tmp_path / "a_file"
    out = str(tmp_path / "out")
    damaged = tmp_path / "damaged"
    shadow = ["shadow", "--ticker", "AAPL", "--out", out]
    return {
        "no command": [],
        "unknown command": ["bogus"],
        "unknown option": ["list", "--bogus"],
        "audit without --out": ["audit"],
        "audit --out is a file": ["audit", "--out", str(a_file)],
        "audit --out under a file": ["audit", "--out", str(a_file / "sub")],
        "audit --data missing": ["audit", "--out", out, "--data", str(tmp_path / "nope")],
        "audit --fit-cache is a file": ["audit", "--out", out, "--fit-cache", str(a_file)],
        "audit negative seed": ["audit", "--out", out, "--seed", "-1"],
        "audit seed not an integer": ["audit", "--out", out, "--seed", "1.5"],
        "audit --power-seeds 0": ["audit", "--out", out, "--power-seeds", "0"],
        "audit unknown suite": ["audit", "--out", out, "--suite", "huge"],
        "check unknown name": ["check", "no.such.check"],
        "check negative seed": ["check", "exact.ewma_weights", "--seed", "-3"],
        "sbc one replication": ["sbc", "--replications", "1"],
        "sbc zero workers": ["sbc", "--workers", "0"],
        "sbc negative seed": ["sbc", "--seed", "-1"],
        "sbc --store is a file": ["sbc", "--store", str(a_file)],
        "sbc --recompute without --store": ["sbc", "--recompute"],
        "sbc --recompute on a directory that is no store": [
            "sbc",
            "--recompute",
            "--store",
            str(tmp_path),
        ],
        "sbc --thin without --recompute": ["sbc", "--thin", "9"],
        "sbc unknown quantity": ["sbc", "--quantities", "kappa_s"],
        "sbc --alpha above 1": ["sbc", "--alpha", "1.5"],
        "shadow --data missing": [*shadow, "--data", str(tmp_path / "nope")],
        "shadow no archive": [*shadow, "--data", str(tmp_path)],
        "shadow damaged archive": [*shadow, "--data", str(damaged)],
        "shadow gamma nan": [*shadow, "--data", str(damaged), "--gamma", "nan"],
        "shadow --out is a file": [
            "shadow",
            "--ticker",
            "AAPL",
            "--data",
            str(damaged),
            "--out",
            str(a_file),
        ],
        "shadow negative minutes": [*shadow, "--data", str(damaged), "--minutes", "-2"],
    }


CASES = list(_bad_argv(Path("unused")))  # the names; each test builds its own argv


@pytest.mark.parametrize("case", CASES)
def test_usage_path_and_input_errors_exit_64_with_one_line(case, tmp_path, capsys, monkeypatch):
    def no_work(*args, **kwargs):
        raise AssertionError("work started before the arguments were checked")

    monkeypatch.setattr(suite, "run_checks", no_work)
    monkeypatch.setattr("validation.calibration.distributed.run_distributed_sbc", no_work)
    monkeypatch.setattr("validation.shadow.run.run_shadow", no_work)
    _prepare(tmp_path)
    argv = _bad_argv(tmp_path)[case]
    assert cli.main(argv) == 64
    captured = capsys.readouterr()
    lines = [line for line in captured.err.splitlines() if line.strip()]
    if case == "shadow damaged archive":  # found while reading the archive: its progress line
        assert lines[0].startswith("loading ")
        lines = lines[1:]
    assert len(lines) == 1, captured.err
    assert "Traceback" not in captured.err and captured.out == ""


def test_a_subprocess_gets_64_and_no_traceback(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "validation", "audit", "--out", str(tmp_path), "--seed", "-1"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 64
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "--seed" in done.stderr


def test_help_is_not_an_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["audit", "--help"])
    assert exit_info.value.code == 0
