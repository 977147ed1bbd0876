"""The structured result every validation check returns."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    """Outcome of one check. INCONCLUSIVE is never counted as a pass."""

    PASS = "pass"
    FAIL = "fail"
    INCONCLUSIVE = "inconclusive"


@dataclass
class CheckResult:
    """One check's verdict and the numbers behind it.

    Attributes:
        name: check name, e.g. ``"sbc.conjugate_kappa"``.
        status: pass / fail / inconclusive.
        statistic: the tested statistic (its meaning is in ``details["statistic_name"]``).
        threshold: the value ``statistic`` is compared against.
        details: JSON-serialisable numbers behind the verdict (tolerances, MCSEs, p-values...).
        seed: the seed that makes the check reproducible.
        seconds: wall time of the check.
        false_alarm_rate: the nominal probability that this check fails on a correct
            estimator (0.0 for deterministic comparisons to a tolerance).
    """

    name: str
    status: Status
    statistic: float
    threshold: float
    details: dict[str, Any] = field(default_factory=dict)
    seed: int | None = None
    seconds: float = 0.0
    false_alarm_rate: float = 0.0

    @property
    def passed(self) -> bool:
        return self.status is Status.PASS

    @property
    def failed(self) -> bool:
        return self.status is Status.FAIL

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; non-finite floats become strings so the JSON stays valid."""
        out = asdict(self)
        out["status"] = self.status.value
        return _json_safe(out)


def _json_safe(obj: Any) -> Any:
    if isinstance(obj, float) and not math.isfinite(obj):
        return repr(obj)
    if isinstance(obj, dict):
        return {str(k): _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_json_safe(v) for v in obj]
    if hasattr(obj, "item") and callable(obj.item):  # numpy scalar
        return _json_safe(obj.item())
    if hasattr(obj, "tolist"):  # numpy array
        return _json_safe(obj.tolist())
    return obj
