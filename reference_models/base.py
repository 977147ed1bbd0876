"""A PyMC model whose inputs are ``pm.Data`` containers, compiled once and fed many data sets.

A :class:`ReferenceModel` owns a built ``pm.Model`` and a declaration of its data inputs
(:class:`DataField`). Data enter only through :meth:`ReferenceModel.set_data`, which validates
every value before anything is changed, resets optional inputs that are not given to their
defaults (so a fit depends only on the data it is given, never on the previous fit), and writes
the values into the model's shared variables. Because the data are shared variables without a
static shape, the functions compiled for sampling (log-density and gradient, initial points, and
the nutpie model) are compiled once per ``ReferenceModel`` and serve data sets of any length.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pymc as pm
from pymc.initial_point import make_initial_point_fn

Domain = Literal["real", "non_negative", "positive", "index"]
DerivedDefault = Callable[[Mapping[str, np.ndarray]], float]


class ReferenceDataError(ValueError):
    """Invalid data for a reference model; names the field and the offending value."""

    def __init__(self, field: str, value: object, reason: str) -> None:
        self.field = field
        self.value = value
        self.reason = reason
        super().__init__(f"{field}={value!r}: {reason}")


@dataclass(frozen=True)
class DataField:
    """Declaration of one ``pm.Data`` input of a reference model.

    ``domain``: "real" (finite), "non_negative" (finite, >= 0), "positive" (finite, > 0) or
    "index" (integers in ``{0, ..., n_categories - 1}``). ``scalar`` fields are 0-d, the others
    1-d of any length. ``default`` is None for a required field, a number, or a function of the
    other (already validated) inputs, e.g. a robust scale of the returns.
    """

    name: str
    domain: Domain
    scalar: bool = False
    default: float | DerivedDefault | None = None
    n_categories: int | None = None

    @property
    def required(self) -> bool:
        return self.default is None

    def validate(self, value: object) -> np.ndarray:
        """Return ``value`` as an array of the field's dtype, or raise ReferenceDataError."""
        array = np.asarray(value)
        if self.scalar and array.ndim != 0:
            raise ReferenceDataError(self.name, value, "must be a scalar")
        if not self.scalar and array.ndim != 1:
            raise ReferenceDataError(self.name, value, f"must be 1-d, got ndim={array.ndim}")
        if self.domain == "index":
            return self._validate_index(array)
        if not (np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)):
            raise ReferenceDataError(self.name, value, f"must be real numbers, got {array.dtype}")
        array = array.astype(np.float64)
        checks: list[tuple[np.ndarray, str]] = [(np.isfinite(array), "must be finite")]
        if self.domain == "non_negative":
            checks.append((array >= 0.0, "must be >= 0"))
        elif self.domain == "positive":
            checks.append((array > 0.0, "must be > 0"))
        for ok, reason in checks:
            self._raise_first_bad(array, ok, reason)
        return array

    def _validate_index(self, array: np.ndarray) -> np.ndarray:
        if array.size and not np.issubdtype(array.dtype, np.integer):
            raise ReferenceDataError(self.name, array, f"must be integers, got {array.dtype}")
        array = array.astype(np.int64)
        assert self.n_categories is not None
        ok = (array >= 0) & (array < self.n_categories)
        self._raise_first_bad(array, ok, f"must lie in 0..{self.n_categories - 1}")
        return array

    def _raise_first_bad(self, array: np.ndarray, ok: np.ndarray, reason: str) -> None:
        if np.all(ok):
            return
        if array.ndim == 0:
            raise ReferenceDataError(self.name, array.item(), reason)
        i = int(np.flatnonzero(~ok)[0])
        raise ReferenceDataError(self.name, array[i].item(), f"{reason} (element {i})")


@dataclass(frozen=True)
class CompiledPyMC:
    """Functions compiled once per model for PyMC's NUTS.

    ``logp_dlogp`` maps the raveled free (transformed) variables to (log density, gradient);
    ``initial_point`` maps a seed to a jittered start (uniform(-1, 1) jitter in the transformed
    space, as PyMC's ``jitter+adapt_diag``); both read the current ``pm.Data`` values.
    """

    logp_dlogp: Any
    initial_point: Callable[[int], dict[str, np.ndarray]]
    value_vars: list[Any]


class ReferenceModel:
    """A built ``pm.Model``, its named data inputs, and what is compiled once for it.

    ``same_length`` lists pairs of 1-d fields that must have equal lengths (e.g. distances and
    their group index). ``module`` and ``build_args`` name the ``reference_models`` module and
    the arguments it was built from; backends that do not sample the PyMC graph (``"jax"``)
    build their own implementation of the model from them.
    """

    def __init__(
        self,
        name: str,
        model: pm.Model,
        fields: Sequence[DataField],
        *,
        same_length: Sequence[tuple[str, str]] = (),
        module: str | None = None,
        build_args: Mapping[str, Any] | None = None,
    ) -> None:
        names = [f.name for f in fields]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate data fields in {names}")
        missing = [n for n in names if n not in model.named_vars]
        if missing:
            raise ValueError(f"model {name!r} has no pm.Data named {missing}")
        self.name = name
        self.model = model
        self.fields: dict[str, DataField] = {f.name: f for f in fields}
        self.same_length = tuple(same_length)
        self.module = module
        self.build_args = dict(build_args or {})
        self._pymc: CompiledPyMC | None = None
        self._nutpie: Any = None

    @property
    def data_keys(self) -> tuple[str, ...]:
        """All data inputs (required and optional)."""
        return tuple(self.fields)

    @property
    def required_keys(self) -> tuple[str, ...]:
        return tuple(n for n, f in self.fields.items() if f.required)

    def prepare(self, data: Mapping[str, object]) -> dict[str, np.ndarray]:
        """Validate ``data``, fill in defaults, return the complete input set; changes nothing."""
        unknown = sorted(set(data) - set(self.fields))
        if unknown:
            raise ReferenceDataError(unknown[0], data[unknown[0]], f"not an input of {self.name}")
        for name in self.required_keys:
            if name not in data:
                raise ReferenceDataError(name, None, f"required by {self.name}")
        out = {n: self.fields[n].validate(v) for n, v in data.items()}
        for name, f in self.fields.items():
            if name not in out:
                value = f.default(out) if callable(f.default) else f.default
                out[name] = f.validate(value)
        for a, b in self.same_length:
            if out[a].shape != out[b].shape:
                raise ReferenceDataError(
                    b, out[b].shape, f"must have the same length as {a} {out[a].shape}"
                )
        return out

    def set_data(self, data: Mapping[str, object]) -> dict[str, np.ndarray]:
        """Validate, then write every input into the model; returns the values written."""
        values = self.prepare(data)
        pm.set_data(values, model=self.model)
        return values

    def compiled_pymc(self) -> CompiledPyMC:
        """The NUTS functions, compiled on first use and reused for every later data set."""
        if self._pymc is None:
            model = self.model
            initial_point = make_initial_point_fn(
                model=model, jitter_rvs=set(model.free_RVs), return_transformed=True
            )
            value_vars = model.continuous_value_vars
            if len(value_vars) != len(model.value_vars):
                raise ValueError(f"model {self.name!r} has discrete free variables")
            logp_dlogp = model.logp_dlogp_function(
                value_vars, ravel_inputs=True, initial_point=initial_point(0)
            )
            logp_dlogp.trust_input = True
            self._pymc = CompiledPyMC(logp_dlogp, initial_point, value_vars)
        return self._pymc

    def compiled_nutpie(self) -> Any:
        """The nutpie model (``nutpie.compile_pymc_model``), compiled on first use."""
        if self._nutpie is None:
            import nutpie

            self._nutpie = nutpie.compile_pymc_model(self.model)
        return self._nutpie
