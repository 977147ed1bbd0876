"""Argument parsing shared by the command-line entry points: usage errors exit 64.

Exit statuses 0 / 1 / 2 are verdicts (pass / a check failed / inconclusive). Every usage,
path or input error is exit status :data:`USAGE_ERROR` (64, ``EX_USAGE`` of sysexits.h) with
a one-line message on stderr and no traceback, and is detected while the arguments are
parsed, before any work starts:

- :class:`Parser` is an ``argparse.ArgumentParser`` whose errors raise :class:`UsageError`
  instead of exiting with argparse's status 2 (which would read as "inconclusive");
- the ``type=`` converters below check values and paths (a seed is an integer >= 0, an output
  directory must be creatable and writable, a data directory must exist, a ``--candidate``
  must import and name a function).

Example::

    parser = Parser(prog="python -m validation")
    parser.add_argument("--seed", type=seed, default=0)
    try:
        args = parser.parse_args(argv)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return USAGE_ERROR
"""

from __future__ import annotations

import argparse
import math
import os
from pathlib import Path
from typing import NoReturn

from validation.candidate_spec import CandidateSpec, CandidateSpecError, parse_candidate_spec

USAGE_ERROR = 64


class UsageError(Exception):
    """A usage, path or input error: exit status 64 with this one-line message."""


class Parser(argparse.ArgumentParser):
    """``ArgumentParser`` raising :class:`UsageError` (exit 64) instead of exiting with 2."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see: {self.prog} --help)")


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None


def seed(text: str) -> int:
    """A random seed: an integer in [0, 2**63)."""
    value = _integer(text)
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"{text!r}: a seed must be an integer in [0, 2**63)")
    return value


def positive_int(text: str) -> int:
    """An integer >= 1."""
    value = _integer(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be an integer >= 1")
    return value


def non_negative_int(text: str) -> int:
    """An integer >= 0."""
    value = _integer(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be an integer >= 0")
    return value


def finite_float(text: str) -> float:
    """A finite number."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} must be finite")
    return value


def positive_float(text: str) -> float:
    """A finite number > 0."""
    value = finite_float(text)
    if value <= 0.0:
        raise argparse.ArgumentTypeError(f"{text!r} must be > 0")
    return value


def candidate(text: str) -> CandidateSpec:
    """A user candidate ``FAMILY=package.module:function``, imported and resolved now
    (:func:`validation.candidate_spec.parse_candidate_spec`)."""
    try:
        return parse_candidate_spec(text)
    except CandidateSpecError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def existing_dir(text: str) -> Path:
    """A directory that exists."""
    path = Path(text)
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text}: not a directory")
    return path


def output_dir(text: str) -> Path:
    """A directory that exists and is writable, or can be created (its nearest existing
    ancestor is a writable directory). Nothing is created here."""
    path = Path(text)
    if path.exists():
        if not path.is_dir():
            raise argparse.ArgumentTypeError(f"{text}: exists and is not a directory")
        if not os.access(path, os.W_OK | os.X_OK):
            raise argparse.ArgumentTypeError(f"{text}: directory is not writable")
        return path
    ancestor = path.absolute().parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir() or not os.access(ancestor, os.W_OK | os.X_OK):
        raise argparse.ArgumentTypeError(f"{text}: cannot be created ({ancestor} is not writable)")
    return path
