"""User candidates: ``FAMILY=package.module:function`` specs, as in ``--candidate``.

A candidate is any importable function with its family's signature
(:mod:`validation.families`), e.g. for ``"kappa"`` ``(KappaData, GammaPrior) -> posterior``
with ``mean``, ``sd``, ``cdf``, ``ppf`` and ``interval``. A spec names the family and the
function; :func:`candidates_from_specs` imports them and overlays them on the production
candidates, so checks of other families keep running on the estimators of :mod:`online`.

Example::

    from validation import candidates_from_specs, suite

    candidates = candidates_from_specs(["kappa=user_kappa_estimators:conjugate_kappa"])
    run = suite.run_checks([suite.checks_by_name()["sbc.kappa_pit"]], 0, candidates=candidates)
    run.results[0].candidate  # 'user_kappa_estimators:conjugate_kappa'
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass

from validation.candidates import correct_candidates
from validation.families import FAMILIES, Candidate


class CandidateSpecError(ValueError):
    """A ``FAMILY=module:function`` spec that is malformed or does not resolve to a function."""


@dataclass(frozen=True)
class CandidateSpec:
    """A user candidate resolved from its spec: family, function and ``module:function`` label."""

    family: str
    function: Candidate
    label: str


def candidate_label(function: Candidate | None) -> str | None:
    """``module:qualname`` of a candidate (None for the reference family's ``None``)."""
    if function is None:
        return None
    module = getattr(function, "__module__", None) or "?"
    name = getattr(function, "__qualname__", None) or type(function).__qualname__
    return f"{module}:{name}"


def parse_candidate_spec(text: str) -> CandidateSpec:
    """Resolve ``FAMILY=package.module:function`` (the function may be dotted, ``Cls.method``).

    Raises :class:`CandidateSpecError` naming the spec when the family is unknown or takes no
    candidate (``reference``), the module cannot be imported, or the attribute is missing or
    not callable.
    """
    family, sep, target = text.partition("=")
    family = family.strip()
    if not sep or not family or not target:
        raise CandidateSpecError(f"candidate {text!r}: expected FAMILY=package.module:function")
    if family not in FAMILIES or family == "reference":
        known = ", ".join(f for f in FAMILIES if f != "reference")
        raise CandidateSpecError(f"candidate {text!r}: unknown family {family!r}; known: {known}")
    module_name, sep, attr_path = target.partition(":")
    if not sep or not module_name or not attr_path:
        raise CandidateSpecError(f"candidate {text!r}: expected FAMILY=package.module:function")
    try:
        obj: object = importlib.import_module(module_name)
    except Exception as exc:  # an import may fail with any exception; report it on one line
        raise CandidateSpecError(
            f"candidate {text!r}: cannot import {module_name!r} ({type(exc).__name__}: {exc})"
        ) from None
    for part in attr_path.split("."):
        if not hasattr(obj, part):
            raise CandidateSpecError(
                f"candidate {text!r}: module {module_name!r} has no attribute {attr_path!r}"
            )
        obj = getattr(obj, part)
    if not callable(obj):
        raise CandidateSpecError(f"candidate {text!r}: {attr_path!r} is not callable")
    return CandidateSpec(family=family, function=obj, label=f"{module_name}:{attr_path}")


def candidates_from_specs(
    specs: Iterable[str | CandidateSpec],
) -> dict[str, Candidate | None]:
    """The production candidates (:func:`validation.candidates.correct_candidates`) with each
    spec's family replaced by its function. Giving one family twice is an error."""
    candidates = correct_candidates()
    seen: dict[str, str] = {}
    for spec in specs:
        resolved = spec if isinstance(spec, CandidateSpec) else parse_candidate_spec(spec)
        if resolved.family in seen:
            raise CandidateSpecError(
                f"candidate {resolved.label!r}: family {resolved.family!r} already given "
                f"({seen[resolved.family]!r})"
            )
        seen[resolved.family] = resolved.label
        candidates[resolved.family] = resolved.function
    return candidates
