"""Prometheus export of :class:`online.market_params.MarketParams` and event counts.

Metrics (``<ns>`` is the namespace, default ``mm_estimator``; every metric carries the
constant ``labels`` given to the exporter):

* one Gauge per MarketParams field, ``<ns>_<field>`` (units as in
  :mod:`online.market_params`; a NaN field is exported as NaN, and every gauge is NaN before
  the first ``observe()``);
* ``<ns>_updates_total{handler}``: events accepted per handler (trade, l2_book, own_fill);
* ``<ns>_rejected_inputs_total{handler}``: events rejected with ``InvalidInputError``.

One scrape is one snapshot: :meth:`MarketParamsExporter.observe` replaces the whole set of
values at once (one reference swap of an immutable tuple) and the gauges are produced by a
custom collector that reads that reference once per scrape, so a scrape never mixes fields of
two ``observe()`` calls (per-field ``Gauge`` objects, set one after the other, did).

Every exporter owns its own :class:`prometheus_client.CollectorRegistry` unless one is passed;
the process-global default registry is never touched, so several exporters (and tests) do not
collide. This is the only module of :mod:`online` that imports ``prometheus_client``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter
from prometheus_client import start_http_server as _start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from online.errors import InvalidInputError
from online.market_params import MarketParams

HANDLERS = ("trade", "l2_book", "own_fill")
"""The estimator's event handlers, the values of the ``handler`` label."""

_FIELDS = tuple(f.name for f in dataclasses.fields(MarketParams))


class _SnapshotGauges(Collector):
    """One gauge per MarketParams field, all read from the same snapshot in one scrape."""

    def __init__(self, namespace: str, labels: dict[str, str]) -> None:
        self._names = [f"{namespace}_{field}" for field in _FIELDS]
        self._label_names = list(labels)
        self._label_values = [labels[k] for k in self._label_names]
        self._values: tuple[float, ...] = (math.nan,) * len(_FIELDS)

    def set(self, values: tuple[float, ...]) -> None:
        self._values = values  # one atomic reference swap

    def collect(self) -> Iterator[GaugeMetricFamily]:
        values = self._values  # read once: every gauge of this scrape is from one observe()
        for name, field, value in zip(self._names, _FIELDS, values, strict=True):
            family = GaugeMetricFamily(name, f"MarketParams.{field}", labels=self._label_names)
            family.add_metric(self._label_values, value)
            yield family


class MarketParamsExporter:
    """Gauges of the latest MarketParams and counters of accepted/rejected events.

    Args:
        registry: registry to register the metrics in; a new private one when None.
        namespace: metric name prefix.
        labels: constant labels added to every metric (e.g. ``{"symbol": "AAPL"}``).
    """

    def __init__(
        self,
        registry: CollectorRegistry | None = None,
        namespace: str = "mm_estimator",
        labels: dict[str, str] | None = None,
    ) -> None:
        self.registry = CollectorRegistry() if registry is None else registry
        self.labels = dict(labels or {})
        names = list(self.labels)
        self._gauges = _SnapshotGauges(namespace, self.labels)
        self.registry.register(self._gauges)
        self._updates = Counter(
            "updates",
            "events accepted per estimator handler",
            [*names, "handler"],
            namespace=namespace,
            registry=self.registry,
        )
        self._rejected = Counter(
            "rejected_inputs",
            "events rejected as invalid input per estimator handler",
            [*names, "handler"],
            namespace=namespace,
            registry=self.registry,
        )

    def observe(self, params: MarketParams) -> None:
        """Publish ``params``: every gauge of the next scrape shows this call's fields."""
        values = params.to_dict()
        self._gauges.set(tuple(float(values[field]) for field in _FIELDS))

    def count(self, handler: str, *, rejected: bool = False) -> None:
        """Add one accepted (or, with ``rejected=True``, one rejected) event of ``handler``.

        Raises:
            InvalidInputError: if ``handler`` is not one of :data:`HANDLERS`.
        """
        if handler not in HANDLERS:
            raise InvalidInputError("handler", handler, f"must be one of {HANDLERS}")
        counter = self._rejected if rejected else self._updates
        counter.labels(**self.labels, handler=handler).inc()

    def start_http_server(self, port: int = 0, addr: str = "127.0.0.1") -> tuple[WSGIServer, int]:
        """Serve this exporter's registry at ``http://addr:port/metrics`` in a daemon thread.

        ``port = 0`` picks a free port. Returns ``(server, port)``; stop with
        ``server.shutdown(); server.server_close()``.
        """
        server, _thread = _start_http_server(port, addr=addr, registry=self.registry)
        return server, int(server.server_port)
