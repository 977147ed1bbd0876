"""Prequential calibration audit: one-step-ahead predictives from the live estimator state,
their PITs in time order, proper scores and the V1 vs V2 verdict.

- :mod:`.predictive`: Lomax (kappa posterior predictive), offset-model and jump-mixture return
  predictives, PIT / log score / CRPS (``scoringrules`` and closed forms).
- :mod:`.offset`: the offset-model predictive of each trade, its parameters updated
  conjugately in time order (the estimator does not carry the model).
- :mod:`.probe`: :class:`PrequentialProbe`, records each predictive before its observation.
- :mod:`.evaluate`: scores a probe's records.
- :mod:`.pit_audit`: per-block ECDF-band uniformity + Ljung-Box serial dependence.
- :mod:`.scores`: Diebold-Mariano with a Newey-West variance.
- :mod:`.sigma_reference`: realized variance and two-scale RV of LOBSTER mid quotes.
- :mod:`.simulated`: the same audit on streams simulated from the model (false alarms) and on
  known-bad variants (detection).
- :mod:`.realdata`: :func:`audit_prequential`, the real-data checks.
- :mod:`.gate`: ``e2e.prequential_pit``, the CI gate on a simulated session.
"""

from validation.prequential.pit_audit import PitAudit, pit_audit
from validation.prequential.probe import PrequentialProbe
from validation.prequential.scores import diebold_mariano

__all__ = ["PitAudit", "PrequentialProbe", "diebold_mariano", "pit_audit"]
