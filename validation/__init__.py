"""Validation of the online estimators: checks, SBC, the known-bug catalogue, reports, CLI.

``candidates_from_specs(["kappa=package.module:function"])`` points the checks at a user's
own estimator (see :mod:`validation.candidate_spec`).
"""

from validation.candidate_spec import candidates_from_specs

__all__ = ["candidates_from_specs"]
