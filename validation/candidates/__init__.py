"""Candidates: functions that turn a scenario data set into the online output a check inspects.

See :mod:`validation.families` for the signature of each family;
:func:`correct_candidates` gives the production estimators of :mod:`online`, one per family.

Example::

    >>> correct_candidates()["kappa"].__name__
    'conjugate_kappa'
"""

from __future__ import annotations

from validation.families import Candidate


def correct_candidates() -> dict[str, Candidate | None]:
    """The production estimators, one candidate per family (``None`` for reference checks)."""
    from online.testing import CONTRACTS
    from validation.candidates import (
        covariance,
        ewma,
        intensity,
        jumps,
        kappa,
        stochastic_vol,
    )
    from validation.market.feed import run_unified

    return {
        "kappa": kappa.conjugate_kappa,
        "hierarchical": kappa.hierarchical_kappa,
        "jumps": jumps.soft_jumps,
        "ewma": ewma.hybrid_ewma,
        "covariance": covariance.parameter_covariance,
        "intensity": intensity.volume_clock_intensity,
        "stochastic_vol": stochastic_vol.stochastic_vol_fit,
        "unified": run_unified,
        "estimators": CONTRACTS,
        "reference": None,
    }
