"""The docstring examples of every module of ``online`` run (doctest), and every public
estimator class has one."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import online
from online.testing import public_estimators

MODULES = sorted(info.name for info in pkgutil.walk_packages(online.__path__, prefix="online."))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, raise_on_error=False, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


@pytest.mark.parametrize("cls", public_estimators(), ids=lambda c: c.__name__)
def test_every_public_estimator_has_an_example(cls):
    assert ">>>" in (cls.__doc__ or ""), f"{cls.__name__} has no docstring example"
    assert doctest.DocTestFinder().find(cls, globs=vars(importlib.import_module(cls.__module__)))
