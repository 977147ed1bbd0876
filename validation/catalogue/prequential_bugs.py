"""Known bugs the prequential gate ``e2e.prequential_pit`` must catch, as ``"unified"``
candidates (:mod:`validation.prequential.gate`).

* ``kappa_reported_2x`` (planted): the production estimator with its reported kappa, sd and
  95% interval doubled (:class:`validation.prequential.simulated.KappaScaled`), a units-style
  slip in the emission; the Lomax predictive of the next trade distance is then too narrow.
* The VWAP-return estimator (``use_mid_returns=False``, the V1 path, run as shipped) is
  :data:`validation.catalogue.unified_bugs.vwap_returns`.
"""

from __future__ import annotations

from online.unified import UnifiedParameterEstimator
from validation.catalogue import unified_bugs
from validation.catalogue.entry import BugEntry
from validation.market.feed import unified_candidate
from validation.prequential.gate import NAME
from validation.prequential.simulated import KappaScaled


def _kappa_2x() -> KappaScaled:
    return KappaScaled(UnifiedParameterEstimator(), 2.0)


kappa_reported_2x = unified_candidate(_kappa_2x)

ENTRIES: list[BugEntry] = [
    BugEntry(
        name="unified.kappa_reported_2x",
        family="unified",
        flaw=(
            "kappa, kappa_uncertainty and the 95% interval emitted at twice the posterior's "
            "values: the reported Gamma keeps the shape a and halves the rate b, so the "
            "predictive of the next trade distance, Lomax(a, b / 2), expects distances half "
            "as long as they are and the PITs pile up near 1."
        ),
        source="planted",
        candidate=kappa_reported_2x,
        caught_by=NAME,
    ),
    BugEntry(
        name="unified.vwap_returns.prequential",
        family="unified",
        flaw=(
            "Bucket returns from consecutive VWAPs (use_mid_returns=False, the V1 path): sigma "
            "about 0.82 of the mid's with several trades per bucket, so the predictive "
            "N(0, sigma^2 dt) of the next mid return is too narrow and its PITs pile up at "
            "both ends (the same candidate as unified.vwap_returns, caught here by the "
            "prequential audit rather than by the sigma bias t-test)."
        ),
        source="legacy V1",
        candidate=unified_bugs.vwap_returns,
        caught_by=NAME,
    ),
]
