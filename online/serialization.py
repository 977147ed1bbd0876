"""``state_dict()`` / ``from_state_dict()`` written once, for every estimator.

An estimator inherits :class:`Stateful` and declares its state as a tuple of
:class:`StateField` s: the key in the saved ``"state"`` dict, the attribute it comes from and
a :class:`Codec` saying how the value is written as JSON and read back. The saved dict is
``{"kind": <class name>, "version": 1, "config": <config dataclass as a dict>, "state": {...}}``
(:func:`online._state.pack`), and loading follows the one strict rule of :mod:`online._state`
(:func:`~online._state.strict_loader`): a state dict is accepted only if it is exactly what the
restored estimator saves again, so every codec only has to convert, never to police types.

Loading builds a fresh estimator from the saved config (``_from_config``, by default
``cls(config)``), then replaces each declared attribute by ``codec.load(saved value, the
attribute on the fresh estimator, the fresh estimator)``; the fresh value tells a codec what
the config implies (a window's length, a component's class and config), so a state saved with
another config is refused. Cross-field invariants a round trip cannot see go in
``_check_state`` (raise ``ValueError``; it becomes :class:`~online.errors.StateDictError`).

Example::

    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class CounterConfig:
    ...     step: int = 1
    >>> class Counter(Stateful):
    ...     _state_config = CounterConfig
    ...     _state_fields = (StateField("count", "n", INT),)
    ...     def __init__(self, config=CounterConfig()):
    ...         self.config, self.n = config, 0
    >>> c = Counter()
    >>> c.n = 3
    >>> c.state_dict()
    {'kind': 'Counter', 'version': 1, 'config': {'step': 1}, 'state': {'count': 3}}
    >>> Counter.from_state_dict(c.state_dict()).n
    3
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from online._state import pack, strict_loader, unpack
from online.rolling_sums import RollingWindow

S = TypeVar("S", bound="Stateful")


class Codec:
    """How one state value is written as JSON (:meth:`save`) and read back (:meth:`load`)."""

    def save(self, value: Any) -> Any:
        """The JSON form of ``value``."""
        return value

    def load(self, data: Any, fresh: Any, owner: Any) -> Any:
        """The value for ``data``; ``fresh`` is the attribute on the freshly built ``owner``."""
        raise NotImplementedError


@dataclass(frozen=True)
class Scalar(Codec):
    """A number: ``convert(data)`` (``float`` or ``int``); ``optional``: ``None`` allowed.

    ``minimum`` / ``maximum``: the range every state the estimator can reach stays in (a
    variance >= 0, a rate > 0 with ``positive``, a confidence in [0, 1]); a saved value
    outside it is refused, so a damaged state cannot load and then report a NaN sigma.

    >>> NONNEGATIVE.load(0.0, None, None)
    0.0
    >>> POSITIVE.load(0.0, None, None)
    Traceback (most recent call last):
    ValueError: 0.0 is not > 0.0
    """

    convert: Callable[[Any], Any]
    optional: bool = False
    minimum: float = -math.inf
    maximum: float = math.inf
    positive: bool = False  # the minimum itself excluded

    def load(self, data: Any, fresh: Any, owner: Any) -> Any:
        if data is None and self.optional:
            return None
        value = self.convert(data)
        if self.positive and not value > self.minimum:
            raise ValueError(f"{value!r} is not > {self.minimum!r}")
        if not self.minimum <= value <= self.maximum:
            raise ValueError(f"{value!r} is outside [{self.minimum!r}, {self.maximum!r}]")
        return value

    def outside(self) -> tuple[float, ...]:
        """Values just outside the range, one per bounded side (empty when unbounded).

        >>> UNIT_INTERVAL.outside(), POSITIVE.outside()
        ((-1.0, 2.0), (0.0,))
        """
        below = (self.minimum if self.positive else self.minimum - 1.0,)
        above = (self.maximum + 1.0,)
        return below * math.isfinite(self.minimum) + above * math.isfinite(self.maximum)


FLOAT = Scalar(float)
INT = Scalar(int)
OPTIONAL_FLOAT = Scalar(float, optional=True)
OPTIONAL_INT = Scalar(int, optional=True)
NONNEGATIVE = Scalar(float, minimum=0.0)
OPTIONAL_NONNEGATIVE = Scalar(float, optional=True, minimum=0.0)
POSITIVE = Scalar(float, minimum=0.0, positive=True)
OPTIONAL_POSITIVE = Scalar(float, optional=True, minimum=0.0, positive=True)
UNIT_INTERVAL = Scalar(float, minimum=0.0, maximum=1.0)
SIGNED_UNIT_INTERVAL = Scalar(float, minimum=-1.0, maximum=1.0)


class _NanAsNone(Codec):
    """A float whose NaN ("undefined") is saved as ``None`` (strict JSON has no NaN)."""

    def save(self, value: Any) -> Any:
        return None if math.isnan(value) else value

    def load(self, data: Any, fresh: Any, owner: Any) -> Any:
        return math.nan if data is None else float(data)


NAN_AS_NONE = _NanAsNone()


@dataclass(frozen=True)
class FloatList(Codec):
    """A list of floats; ``same_length``: as long as the fresh estimator's list."""

    same_length: bool = False

    def save(self, value: Any) -> Any:
        return list(value)

    def load(self, data: Any, fresh: Any, owner: Any) -> Any:
        values = [float(v) for v in data]
        if self.same_length and len(values) != len(fresh):
            raise ValueError(f"expected {len(fresh)} values, got {len(values)}")
        return values


@dataclass(frozen=True)
class IntDict(Codec):
    """A dict of counts with the fresh estimator's keys."""

    def save(self, value: Any) -> Any:
        return dict(value)

    def load(self, data: Any, fresh: Any, owner: Any) -> Any:
        return {key: int(data[key]) for key in fresh}


class _Window(Codec):
    """A :class:`~online.rolling_sums.RollingWindow`, of the fresh window's length."""

    def save(self, value: Any) -> Any:
        return value.state()

    def load(self, data: Any, fresh: Any, owner: Any) -> Any:
        window = RollingWindow.from_state(data)
        if window.window_ms != fresh.window_ms:
            raise ValueError(
                f"window length {window.window_ms} does not match the config ({fresh.window_ms})"
            )
        return window


WINDOW = _Window()


def _component(data: Any, kind: type, config: Any) -> Any:
    restored = kind.from_state_dict(data)
    if restored.config != config:
        raise ValueError(f"{kind.__name__} state was saved with another config")
    return restored


@dataclass(frozen=True)
class Component(Codec):
    """A nested estimator, saved with its own ``state_dict()``.

    It is restored with the class and config of the fresh estimator's component, or of
    ``template(owner)`` (for a component the owner creates later), and must have been saved
    with that config. ``optional``: ``None`` is allowed, and then only where the fresh
    estimator has none (or, with a template, whatever the fresh value).
    """

    optional: bool = False
    template: Callable[[Any], tuple[type, Any]] | None = None

    def save(self, value: Any) -> Any:
        return None if value is None else value.state_dict()

    def load(self, data: Any, fresh: Any, owner: Any) -> Any:
        if self.template is not None:
            if data is None and self.optional:
                return None
            return _component(data, *self.template(owner))
        if self.optional and (data is None or fresh is None):
            if (data is None) != (fresh is None):
                raise ValueError("component present in one of state and config only")
            return None
        return _component(data, type(fresh), fresh.config)


@dataclass(frozen=True)
class ComponentList(Codec):
    """A list of nested estimators, one per fresh component (same classes and configs)."""

    def save(self, value: Any) -> Any:
        return [v.state_dict() for v in value]

    def load(self, data: Any, fresh: Any, owner: Any) -> Any:
        if len(data) != len(fresh):
            raise ValueError(f"expected {len(fresh)} components, got {len(data)}")
        return [_component(d, type(f), f.config) for d, f in zip(data, fresh, strict=True)]


@dataclass(frozen=True)
class Custom(Codec):
    """A value with its own conversion: ``dump(value)`` to JSON, ``read(data)`` back."""

    dump: Callable[[Any], Any]
    read: Callable[[Any], Any]

    def save(self, value: Any) -> Any:
        return self.dump(value)

    def load(self, data: Any, fresh: Any, owner: Any) -> Any:
        return self.read(data)


@dataclass(frozen=True)
class StateField:
    """State entry ``key`` holds attribute ``attr``, written and read by ``codec``."""

    key: str
    attr: str
    codec: Codec


def fields(codec: Codec, names: Iterable[tuple[str, str]]) -> tuple[StateField, ...]:
    """One :class:`StateField` per (key, attribute) pair, all with ``codec``."""
    return tuple(StateField(key, attr, codec) for key, attr in names)


class Stateful:
    """Mixin giving ``state_dict()`` and a strict ``from_state_dict()`` from declared fields.

    Subclasses set ``_state_config`` (the config dataclass, or a callable building it from the
    saved config's fields) and ``_state_fields``, and expose their config as ``config``.
    """

    __slots__ = ()

    _state_config: ClassVar[Callable[..., Any]]
    _state_fields: ClassVar[tuple[StateField, ...]]

    def state_dict(self) -> dict[str, Any]:
        """JSON-serialisable exact state; :meth:`from_state_dict` restores it."""
        state = {f.key: f.codec.save(getattr(self, f.attr)) for f in self._state_fields}
        return pack(type(self).__name__, self.config, state)  # type: ignore[attr-defined]

    @classmethod
    def _from_config(cls: type[S], config: Any) -> S:
        """A fresh estimator with ``config`` (override when the constructor takes more)."""
        return cls(config)  # type: ignore[call-arg]

    def _check_state(self) -> None:
        """Raise ``ValueError`` if the restored fields are inconsistent (default: no check)."""

    @classmethod
    @strict_loader
    def from_state_dict(cls: type[S], data: dict[str, Any]) -> S:
        """Restore an estimator saved by :meth:`state_dict` (strict: :mod:`online._state`)."""
        config, state = unpack(cls.__name__, cls._state_config, data)  # type: ignore[arg-type]
        obj = cls._from_config(config)
        for f in cls._state_fields:
            try:
                value = f.codec.load(state[f.key], getattr(obj, f.attr), obj)
            except ValueError as exc:
                raise ValueError(f"state.{f.key}: {exc}") from exc
            setattr(obj, f.attr, value)
        obj._check_state()
        return obj
