"""Every module that holds a registered check's ``run`` function shows the check (or, for an
MCMC check, the statistic it computes) in a runnable example in its module docstring, and the
examples of the module pass (doctest)."""

from __future__ import annotations

import doctest
import importlib
import inspect

import pytest

from validation.suite import all_checks

MODULES = sorted({inspect.getmodule(spec.run).__name__ for spec in all_checks()})


def test_every_check_module_is_listed():
    """The parametrisation below is not empty and covers each check's own module."""
    assert len(MODULES) > 1
    for spec in all_checks():
        assert spec.run.__module__ in MODULES, spec.name


@pytest.mark.parametrize("name", MODULES)
def test_check_module_example_runs(name):
    module = importlib.import_module(name)
    examples = doctest.DocTestParser().get_examples(module.__doc__ or "")
    assert examples, f"{name}: no >>> example in the module docstring"
    result = doctest.testmod(module, raise_on_error=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= len(examples) and result.failed == 0
