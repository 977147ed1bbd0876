"""Prometheus export of :class:`online.market_params.MarketParams` and event counts.

Metrics (``<ns>`` is the namespace, default ``mm_estimator``; every metric carries the
constant ``labels`` given to the exporter):

* one Gauge per MarketParams field, ``<ns>_<field>`` (units as in
  :mod:`online.market_params`; a NaN field is exported as NaN);
* ``<ns>_updates_total{handler}``: events accepted per handler (trade, l2_book, own_fill);
* ``<ns>_rejected_inputs_total{handler}``: events rejected with ``InvalidInputError``.

Every exporter owns its own :class:`prometheus_client.CollectorRegistry` unless one is passed;
the process-global default registry is never touched, so several exporters (and tests) do not
collide. This is the only module of :mod:`online` that imports ``prometheus_client``.
"""

from __future__ import annotations

import dataclasses
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Gauge
from prometheus_client import start_http_server as _start_http_server

from online.errors import InvalidInputError
from online.market_params import MarketParams

HANDLERS = ("trade", "l2_book", "own_fill")
"""The estimator's event handlers, the values of the ``handler`` label."""

_FIELDS = tuple(f.name for f in dataclasses.fields(MarketParams))


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
        self._gauges = {
            field: Gauge(
                field,
                f"MarketParams.{field}",
                names,
                namespace=namespace,
                registry=self.registry,
            )
            for field in _FIELDS
        }
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
        """Set every gauge to the corresponding field of ``params``."""
        for field, value in params.to_dict().items():
            gauge = self._gauges[field]
            (gauge.labels(**self.labels) if self.labels else gauge).set(float(value))

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
