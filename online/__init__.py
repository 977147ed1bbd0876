"""Production online estimators: O(1) per event, numpy/scipy only (never pymc)."""

from online.errors import InvalidInputError, StateDictError
from online.gamma_posterior import GammaPosterior

__all__ = ["GammaPosterior", "InvalidInputError", "StateDictError"]
