"""The pytest plugin (validation.pytest_plugin), run inside pytester sessions."""

from __future__ import annotations

import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from validation import suite

pytest_plugins = ["pytester"]

REPO = Path(__file__).resolve().parents[1]

USER_TESTS = """
from validation.candidates.kappa import conjugate_kappa
from validation.catalogue.kappa_bugs import volume_weighted_kappa

def test_production_kappa(validation_check):
    result = validation_check("sbc.kappa_pit", conjugate_kappa)
    assert result.passed

def test_volume_weighted_kappa_is_caught(validation_check):
    assert validation_check("sbc.kappa_pit", volume_weighted_kappa).failed

def test_ewma_by_spec(validation_check):
    spec = "ewma=validation.candidates.ewma:hybrid_ewma"
    assert validation_check("exact.ewma_weights", spec).passed
"""


def _properties(xml_path: Path) -> dict[str, dict[str, str]]:
    root = ET.parse(xml_path).getroot()
    return {
        case.get("name"): {p.get("name"): p.get("value") for p in case.iter("property")}
        for case in root.iter("testcase")
    }


def test_the_entry_point_names_the_plugin_module() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["entry-points"]["pytest11"] == {
        "validation.pytest_plugin": "validation.pytest_plugin"
    }


@pytest.fixture(autouse=True)
def _imported_before_the_inner_sessions() -> None:
    """pytester's in-process runs drop the modules they import afterwards; numpy's C
    extensions cannot be loaded twice, so everything the checks use is imported here first."""
    import numpy.fft  # noqa: F401

    import validation.catalogue  # noqa: F401

    suite.all_checks()
    suite.correct_candidates()


@pytest.fixture
def user_suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(test_user=USER_TESTS)
    return pytester


def test_results_and_seeds_go_to_the_junit_xml_within_budget(user_suite: pytest.Pytester) -> None:
    xml = user_suite.path / "junit.xml"
    result = user_suite.runpytest(
        "-p", "validation.pytest_plugin", f"--junitxml={xml}", "--validation-seed", "7"
    )
    result.assert_outcomes(passed=3)
    assert result.ret == 0
    props = _properties(xml)
    kappa = props["test_production_kappa"]
    assert kappa["validation_check"] == "sbc.kappa_pit"
    assert kappa["validation_seed"] == str(suite.check_seed(7, "sbc.kappa_pit"))
    assert float(kappa["validation_false_alarm_rate"]) == 0.001
    assert float(kappa["validation_threshold"]) == 1.0
    assert float(kappa["validation_statistic"]) <= 1.0
    assert kappa["validation_candidate"] == "validation.candidates.kappa:conjugate_kappa"
    assert props["test_volume_weighted_kappa_is_caught"]["validation_status"] == "fail"
    assert float(props["test_volume_weighted_kappa_is_caught"]["validation_statistic"]) > 1.0
    assert props["test_ewma_by_spec"]["validation_false_alarm_rate"] == "0.0"
    result.stdout.fnmatch_lines(
        [
            f"sbc.kappa_pit seed={suite.check_seed(7, 'sbc.kappa_pit')} false_alarm_rate=0.001 *",
            "validation false-alarm budget within budget: 3 check(s) with stated false-alarm "
            "rates summing to 0.002 vs --validation-fa-budget 0.01",
        ]
    )


def test_exceeding_the_budget_fails_a_session_whose_tests_pass(
    user_suite: pytest.Pytester,
) -> None:
    """Two checks at 0.001 each sum to 0.002 > 0.0015: every test passes, the session fails."""
    result = user_suite.runpytest("-p", "validation.pytest_plugin", "--validation-fa-budget=0.0015")
    result.assert_outcomes(passed=3)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "validation false-alarm budget EXCEEDED: session failed: 3 check(s) with stated "
            "false-alarm rates summing to 0.002 vs --validation-fa-budget 0.0015"
        ]
    )


def test_a_budget_outside_0_1_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("-p", "validation.pytest_plugin", "--validation-fa-budget=2")
    assert result.ret == pytest.ExitCode.USAGE_ERROR


def test_a_candidate_of_the_wrong_family_is_an_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_wrong="""
import pytest

def test_it(validation_check):
    with pytest.raises(ValueError, match="takes 'kappa'"):
        validation_check("sbc.kappa_pit", "ewma=validation.candidates.ewma:hybrid_ewma")
"""
    )
    pytester.runpytest("-p", "validation.pytest_plugin").assert_outcomes(passed=1)
