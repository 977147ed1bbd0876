"""Shadow mode: the V1 and V2 unified estimators on the same LOBSTER replay (see ``run``)."""

from validation.shadow.report import write_shadow_report
from validation.shadow.run import ShadowResult, run_shadow, summarize

__all__ = ["ShadowResult", "run_shadow", "summarize", "write_shadow_report"]
