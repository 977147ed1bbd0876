"""pytest plugin: run the suite's checks on your own estimator inside your own tests.

Installed as the ``pytest11`` entry point ``validation.pytest_plugin`` (or enable it with
``-p validation.pytest_plugin``). It provides:

- the fixture ``validation_check``: ``validation_check(name, candidate)`` runs the named check
  (``python -m validation list``) on ``candidate`` (a function of the check's family, or a
  ``"FAMILY=module:function"`` spec) through :func:`validation.suite.run_checks` and returns
  its :class:`~validation.results.CheckResult`, with the seed
  ``validation.families.check_seed(--validation-seed, name)`` as in ``python -m validation
  check NAME --seed S``. The statistic, threshold, stated
  false-alarm rate, seed, status and candidate are attached to the test's JUnit XML entry
  (``record_property``, names prefixed ``validation_``);
- the session false-alarm budget ``--validation-fa-budget`` (default 0.01): the stated
  false-alarm rates of all checks run in the session are summed (a union bound on the
  probability that any of them fails a correct estimator); when the sum exceeds the budget
  the session fails (exit status 1) and the summary says by how much. The terminal summary
  lists every check run with its seed and rate.

Example (a test in the user's repository)::

    from my_package.kappa import my_kappa_posterior

    def test_my_kappa_is_calibrated(validation_check):
        result = validation_check("sbc.kappa_pit", my_kappa_posterior)
        assert result.passed, result.details
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from validation.families import Candidate
from validation.results import CheckResult

DEFAULT_FA_BUDGET = 0.01


@dataclass
class _Ledger:
    """The checks run in this session: (test id, check, seed, stated false-alarm rate)."""

    budget: float
    runs: list[tuple[str, str, int, float]] = field(default_factory=list)

    @property
    def total(self) -> float:
        return math.fsum(rate for *_, rate in self.runs)

    @property
    def exceeded(self) -> bool:
        return self.total > self.budget


_LEDGER = pytest.StashKey[_Ledger]()


def _budget(text: str) -> float:
    value = float(text)
    if not (math.isfinite(value) and 0.0 <= value <= 1.0):
        raise ValueError(f"--validation-fa-budget must be in [0, 1], got {text!r}")
    return value


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("validation", "validation suite checks on user estimators")
    group.addoption(
        "--validation-fa-budget",
        type=_budget,
        default=DEFAULT_FA_BUDGET,
        help="fail the session when the stated false-alarm rates of the validation checks "
        f"run sum to more than this (default {DEFAULT_FA_BUDGET})",
    )
    group.addoption(
        "--validation-seed",
        type=int,
        default=0,
        help="base seed of the validation checks (default 0)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_LEDGER] = _Ledger(budget=config.getoption("validation_fa_budget"))


RunCheck = Callable[..., CheckResult]


@pytest.fixture
def validation_check(
    request: pytest.FixtureRequest, record_property: Callable[[str, object], None]
) -> RunCheck:
    """``run(name, candidate) -> CheckResult``; see the module docstring."""
    from validation import suite
    from validation.candidate_spec import parse_candidate_spec

    ledger = request.config.stash[_LEDGER]
    base_seed = request.config.getoption("validation_seed")

    def run(name: str, candidate: Candidate | str) -> CheckResult:
        specs = suite.checks_by_name()
        if name not in specs:
            raise ValueError(f"unknown validation check {name!r}; known: {', '.join(specs)}")
        spec = specs[name]
        if isinstance(candidate, str):
            resolved = parse_candidate_spec(candidate)
            if resolved.family != spec.family:
                raise ValueError(
                    f"candidate {candidate!r} is of family {resolved.family!r}; "
                    f"check {name!r} takes {spec.family!r}"
                )
            candidate = resolved.function
        result = suite.run_checks([spec], base_seed, candidates={spec.family: candidate}).results[0]
        seed = suite.check_seed(base_seed, name)
        ledger.runs.append((request.node.nodeid, name, seed, result.false_alarm_rate))
        for key, value in (
            ("check", name),
            ("status", result.status.value),
            ("statistic", result.statistic),
            ("threshold", result.threshold),
            ("false_alarm_rate", result.false_alarm_rate),
            ("seed", seed),
            ("candidate", result.candidate),
        ):
            record_property(f"validation_{key}", value)
        return result

    return run


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    ledger = session.config.stash.get(_LEDGER, None)
    if ledger is not None and ledger.exceeded and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config
) -> None:
    ledger = config.stash.get(_LEDGER, None)
    if ledger is None or not ledger.runs:
        return
    terminalreporter.section("validation checks")
    for nodeid, name, seed, rate in ledger.runs:
        terminalreporter.write_line(f"{name} seed={seed} false_alarm_rate={rate:g} ({nodeid})")
    verdict = "EXCEEDED: session failed" if ledger.exceeded else "within budget"
    terminalreporter.write_line(
        f"validation false-alarm budget {verdict}: {len(ledger.runs)} check(s) with stated "
        f"false-alarm rates summing to {ledger.total:.6g} vs --validation-fa-budget "
        f"{ledger.budget:g}",
        red=ledger.exceeded,
        green=not ledger.exceeded,
    )
