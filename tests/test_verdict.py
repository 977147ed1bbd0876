"""Gate checks vs adequacy findings, the baseline file and the exit status built on them.

The exit-code logic is exercised with small, hand-built CheckResults (real objects of the
code under test, nothing mocked); tests/test_realdata.py and tests/test_sp500_jumps.py run it
on real check results.
"""

from __future__ import annotations

import hashlib
import json

import pytest

from validation import cli
from validation.baseline import (
    AcceptedFinding,
    BaselineError,
    DataRef,
    accept,
    load_baseline,
    parse_baseline,
)
from validation.report.writer import write_report
from validation.results import CheckResult, DataFile, Kind, Status
from validation.suite import SuiteRun
from validation.verdict import SIZE_RTOL, FindingStatus, classify

DAY = DataFile("LOBSTER_SampleFile_AAPL_2012-06-21_1.zip", 1524190, "ab" * 32)
OTHER_DAY = DataFile("LOBSTER_SampleFile_AAPL_2012-06-21_1.zip", 1524190, "cd" * 32)


def _finding(name: str, size: float, status: Status = Status.FAIL, data=DAY) -> CheckResult:
    return CheckResult(
        name=name,
        status=status,
        statistic=0.001,
        threshold=0.005,
        kind=Kind.ADEQUACY,
        size=size,
        data_files=[data],
        details={"size_name": "band widths", "size_summary": f"cv outside by {size}"},
    )


def _gate(name: str, status: Status = Status.PASS) -> CheckResult:
    return CheckResult(name=name, status=status, statistic=0.3, threshold=1.0)


def _findings() -> list[CheckResult]:
    return [_finding("ppc.a", 2.0), _finding("ppc.b", 0.5)]


def test_default_kind_is_gate_and_survives_a_json_round_trip() -> None:
    gate = _gate("exact.x", Status.FAIL)
    assert gate.kind is Kind.GATE and gate.size is None and gate.data_files == []
    for result in (gate, _finding("ppc.a", 2.0)):
        back = CheckResult.from_dict(json.loads(json.dumps(result.to_dict())))
        assert back == result


def test_without_a_baseline_every_finding_is_new_and_fails() -> None:
    verdict = classify([_gate("g"), *_findings()])
    assert verdict.exit_code == 1
    assert [f.status for f in verdict.findings] == [FindingStatus.NEW, FindingStatus.NEW]
    assert verdict.gate == {"pass": 1, "fail": 0, "inconclusive": 0}
    assert verdict.adequacy == {"pass": 0, "fail": 2, "inconclusive": 0}
    assert SuiteRun(results=[_gate("g"), *_findings()]).exit_code == 1


def test_accepted_findings_of_the_same_or_smaller_size_exit_0() -> None:
    baseline = accept(_findings(), "model known to misfit")
    smaller = [_gate("g"), _finding("ppc.a", 2.0), _finding("ppc.b", 0.25)]
    verdict = classify(smaller, baseline)
    assert verdict.exit_code == 0
    assert [f.status for f in verdict.findings] == [FindingStatus.ACCEPTED] * 2
    assert verdict.findings[1].accepted_size == 0.5
    assert verdict.findings[1].reason == "model known to misfit"


def test_a_new_finding_exits_1_among_accepted_ones() -> None:
    baseline = accept(_findings(), "known")
    verdict = classify([*_findings(), _finding("ppc.c", 0.1)], baseline)
    assert verdict.exit_code == 1
    assert [f.check for f in verdict.of_status(FindingStatus.NEW)] == ["ppc.c"]
    assert len(verdict.of_status(FindingStatus.ACCEPTED)) == 2


def test_a_grown_finding_exits_1() -> None:
    baseline = accept(_findings(), "known")
    verdict = classify([_finding("ppc.a", 2.0), _finding("ppc.b", 0.5001)], baseline)
    assert verdict.exit_code == 1
    (grown,) = verdict.of_status(FindingStatus.GROWN)
    assert (grown.check, grown.size, grown.accepted_size) == ("ppc.b", 0.5001, 0.5)


def test_run_to_run_rounding_of_a_size_is_not_growth() -> None:
    # the S&P 500 size of two runs of one audit: 2.3000502773173666 and 2.3000502781212084
    baseline = accept([_finding("ppc.a", 2.3000502773173666)], "known")
    assert classify([_finding("ppc.a", 2.3000502781212084)], baseline).exit_code == 0
    grown = 2.3000502773173666 * (1 + 2 * SIZE_RTOL)
    assert classify([_finding("ppc.a", grown)], baseline).exit_code == 1


def test_a_gate_failure_among_accepted_findings_still_exits_1() -> None:
    baseline = accept(_findings(), "known")
    verdict = classify([*_findings(), _gate("agreement.x", Status.FAIL), _gate("g")], baseline)
    assert len(verdict.of_status(FindingStatus.ACCEPTED)) == 2
    assert verdict.gate_failures == ["agreement.x"]
    assert verdict.exit_code == 1


def test_gate_checks_cannot_be_accepted() -> None:
    with pytest.raises(BaselineError, match="gate check"):
        accept([_gate("agreement.x", Status.FAIL)], "no", checks=["agreement.x"])
    # accepting "all" skips gate failures: they still fail the audit
    results = [_gate("agreement.x", Status.FAIL), *_findings()]
    assert classify(results, accept(results, "known")).exit_code == 1


def test_a_finding_on_changed_data_is_new() -> None:
    baseline = accept(_findings(), "known")
    verdict = classify([_finding("ppc.a", 1.0, data=OTHER_DAY)], baseline)
    (new,) = verdict.findings
    assert new.status is FindingStatus.NEW and "other data" in new.note
    assert verdict.exit_code == 1
    assert {(u.check, u.why) for u in verdict.unused} == {
        ("ppc.a", "check ran on other data"),
        ("ppc.b", "check not run"),
    }


def test_a_finding_without_finite_size_is_never_accepted() -> None:
    baseline = accept(_findings(), "known")
    verdict = classify([_finding("ppc.a", float("inf"))], baseline)
    assert verdict.findings[0].status is FindingStatus.GROWN
    assert verdict.exit_code == 1


def test_inconclusive_of_either_kind_exits_2_only_when_nothing_fails() -> None:
    baseline = accept(_findings(), "known")
    assert classify([*_findings(), _gate("g", Status.INCONCLUSIVE)], baseline).exit_code == 2
    undecided = _finding("ppc.c", 0.0, Status.INCONCLUSIVE)
    assert classify([*_findings(), undecided], baseline).exit_code == 2
    assert classify([undecided, _gate("g", Status.FAIL)], baseline).exit_code == 1
    resolved = classify([_finding("ppc.a", 0.0, Status.PASS)], baseline)
    assert resolved.exit_code == 0
    assert ("ppc.a", "check pass") in {(u.check, u.why) for u in resolved.unused}


def test_baseline_toml_round_trip_and_replacement() -> None:
    baseline = accept(_findings(), "model known to misfit", seed=3)
    back = parse_baseline(baseline.to_toml())
    assert back.findings == baseline.findings
    entry = back.entries_for("ppc.a")[0]
    assert entry.data == (DataRef(DAY.name, DAY.bytes, DAY.sha256),)
    assert entry.seed == 3 and entry.summary == "cv outside by 2.0"
    # re-accepting one check replaces its entry and keeps the other one
    again = accept([_finding("ppc.a", 3.0)], "grew, reviewed", existing=back)
    assert [(f.check, f.size, f.reason) for f in again.findings] == [
        ("ppc.b", 0.5, "model known to misfit"),
        ("ppc.a", 3.0, "grew, reviewed"),
    ]


def test_baseline_by_size_only_matches_on_name_and_bytes() -> None:
    text = f"""
version = 1
[[finding]]
check = "ppc.a"
reason = "hand-written entry"
size = 2.5
[[finding.data]]
name = "{DAY.name}"
bytes = {DAY.bytes}
"""
    verdict = classify([_finding("ppc.a", 2.0), _finding("ppc.a2", 1.0)], parse_baseline(text))
    assert [f.status for f in verdict.findings] == [FindingStatus.ACCEPTED, FindingStatus.NEW]
    changed = DataFile(DAY.name, DAY.bytes + 1, DAY.sha256)
    assert classify([_finding("ppc.a", 2.0, data=changed)], parse_baseline(text)).exit_code == 1


GOOD_ENTRY = """version = 1
[[finding]]
check = "ppc.a"
reason = "hand-written entry"
size = 2.5
[[finding.data]]
name = "f.zip"
bytes = 1
"""


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('reason = "hand-written entry"\n', "", "missing field 'reason'"),
        ('"hand-written entry"', '"  "', "'reason' = '  ' is empty"),
        ("size = 2.5", "size = -1.0", "'size' = -1.0 must be finite"),
        ("bytes = 1", 'bytes = "x"', "'bytes' = 'x' is not a size"),
        ("bytes = 1", 'sha256 = "xyz"', "'sha256' = 'xyz' is not a digest"),
        ("bytes = 1\n", "", "needs 'bytes' or 'sha256'"),
    ],
)
def test_invalid_baseline_entries_are_named(old: str, new: str, message: str) -> None:
    assert parse_baseline(GOOD_ENTRY).findings[0].check == "ppc.a"
    with pytest.raises(BaselineError, match=r"finding\[0\] \(ppc.a\)") as info:
        parse_baseline(GOOD_ENTRY.replace(old, new))
    assert message in str(info.value)


def test_duplicate_entries_and_bad_toml_are_refused() -> None:
    text = accept(_findings(), "known").to_toml()
    body = text.split("[[finding]]", 2)[1]
    with pytest.raises(BaselineError, match="listed twice"):
        parse_baseline(text + "\n[[finding]]" + body)
    with pytest.raises(BaselineError, match="not valid TOML"):
        parse_baseline("version = ")
    with pytest.raises(BaselineError, match="version"):
        parse_baseline("version = 2")


def test_accept_refuses_an_empty_reason_and_unacceptable_checks() -> None:
    with pytest.raises(BaselineError, match="reason"):
        accept(_findings(), "  ")
    with pytest.raises(BaselineError, match="not in the audit"):
        accept(_findings(), "r", checks=["nope"])
    with pytest.raises(BaselineError, match="status pass"):
        accept([_finding("ppc.a", 0.0, Status.PASS)], "r", checks=["ppc.a"])
    no_data = _finding("ppc.a", 1.0)
    no_data.data_files = []
    with pytest.raises(BaselineError, match="no data file"):
        accept([no_data], "r")


def test_data_file_of_hashes_the_file(tmp_path) -> None:
    path = tmp_path / "day.zip"
    path.write_bytes(b"not really a zip")
    f = DataFile.of(path)
    assert f == DataFile("day.zip", 16, hashlib.sha256(b"not really a zip").hexdigest())


def test_baseline_command_and_report_from_an_audit_report(tmp_path, capsys) -> None:
    """report.json -> `baseline` command -> baseline file -> the same results exit 0."""
    results = [_gate("g"), *_findings(), _finding("ppc.ok", 0.0, Status.PASS)]
    write_report(tmp_path / "a", "quick", 0, SuiteRun(results=results), started=0.0)
    report = json.loads((tmp_path / "a" / "report.json").read_text())
    assert report["summary"]["exit_code"] == 1
    assert report["summary"]["findings"] == {"accepted": 0, "new": 2, "grown": 0}
    assert [c["kind"] for c in report["checks"]] == ["gate", *["adequacy"] * 3]

    out = tmp_path / "validation-baseline.toml"
    argv = ["baseline", "--from", str(tmp_path / "a" / "report.json"), "--out", str(out)]
    assert cli.main([*argv, "--reason", "reviewed: model misfit"]) == 0
    baseline = load_baseline(out)
    assert [(f.check, f.size) for f in baseline.findings] == [("ppc.a", 2.0), ("ppc.b", 0.5)]
    assert "ppc.a: size <= 2" in capsys.readouterr().out
    assert cli.main([*argv, "--reason", "x", "--check", "g"]) == 64
    assert "gate check" in capsys.readouterr().err

    grown = [_gate("g"), _finding("ppc.a", 2.5), _finding("ppc.b", 0.5)]
    verdict = classify(grown, baseline)
    _, md, _ = write_report(
        tmp_path / "b", "quick", 0, SuiteRun(results=grown), 0.0, verdict=verdict
    )
    report = json.loads((tmp_path / "b" / "report.json").read_text())
    assert report["summary"]["exit_code"] == 1
    assert report["summary"]["findings"] == {"accepted": 1, "new": 0, "grown": 1}
    assert report["verdict"]["findings"]["grown"][0]["check"] == "ppc.a"
    text = md.read_text()
    assert "### Grown findings (1)" in text and "### Accepted findings (1)" in text
    assert "### New findings (0)" in text and "reviewed: model misfit" in text


def test_audit_refuses_a_missing_or_invalid_baseline(tmp_path, capsys) -> None:
    argv = ["audit", "--out", str(tmp_path / "out"), "--baseline"]
    assert cli.main([*argv, str(tmp_path / "missing.toml")]) == 64
    bad = tmp_path / "bad.toml"
    bad.write_text('[[finding]]\ncheck = "x"\n')
    assert cli.main([*argv, str(bad)]) == 64
    assert "missing field 'reason'" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_accepted_finding_matches_exactly_the_named_files() -> None:
    entry = AcceptedFinding("x", "r", 1.0, (DataRef(DAY.name, sha256=DAY.sha256),))
    assert entry.matches_data([DAY])
    assert not entry.matches_data([OTHER_DAY])
    assert not entry.matches_data([DAY, DataFile("extra.csv", 1, "00" * 32)])
    assert not entry.matches_data([])
