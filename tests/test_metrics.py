"""Prometheus exporter: a real HTTP scrape of /metrics parsed with prometheus_client's parser."""

from __future__ import annotations

import math
import urllib.request

import pytest
from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from online.errors import InvalidInputError
from online.market_params import MarketParams
from online.metrics import MarketParamsExporter

PARAMS = MarketParams(
    sigma=3.2e-4,
    sigma_effective=3.5e-4,
    kappa=2412.5,
    microprice=101.2345,
    jump_ratio=1.27,
    kappa_uncertainty=98.25,
    toxicity_score=0.031,
    param_correlation=-0.42,
    kappa_95_lower=2230.0,
    kappa_95_upper=2610.75,
    timestamp_ms=34_200_123,
)


def scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as resp:
        text = resp.read().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for fam in text_string_to_metric_families(text)
        for s in fam.samples
    }


@pytest.fixture
def served():
    exporter = MarketParamsExporter(labels={"symbol": "AAPL"})
    server, port = exporter.start_http_server(port=0)
    try:
        yield exporter, port
    finally:
        server.shutdown()
        server.server_close()


def test_scraped_gauges_equal_observed_params(served):
    exporter, port = served
    exporter.observe(PARAMS)
    samples = scrape(port)
    label = (("symbol", "AAPL"),)
    for name, value in PARAMS.to_dict().items():
        assert samples[(f"mm_estimator_{name}", label)] == float(value), name
    nan_params = MarketParams(**{**PARAMS.to_dict(), "param_correlation": float("nan")})
    exporter.observe(nan_params)
    assert math.isnan(scrape(port)[("mm_estimator_param_correlation", label)])


def test_scraped_counters_count_updates_and_rejections(served):
    exporter, port = served
    for handler, n in (("trade", 3), ("l2_book", 2), ("own_fill", 1)):
        for _ in range(n):
            exporter.count(handler)
    exporter.count("trade", rejected=True)
    samples = scrape(port)

    def value(name, handler):
        return samples.get((name, (("handler", handler), ("symbol", "AAPL"))))

    assert value("mm_estimator_updates_total", "trade") == 3.0
    assert value("mm_estimator_updates_total", "l2_book") == 2.0
    assert value("mm_estimator_updates_total", "own_fill") == 1.0
    assert value("mm_estimator_rejected_inputs_total", "trade") == 1.0
    assert value("mm_estimator_rejected_inputs_total", "own_fill") is None


def test_exporters_use_private_registries():
    a, b = MarketParamsExporter(), MarketParamsExporter()  # no duplicate-name collision
    assert a.registry is not b.registry
    assert a.registry is not REGISTRY
    assert REGISTRY.get_sample_value("mm_estimator_kappa") is None
    shared = CollectorRegistry()
    exporter = MarketParamsExporter(registry=shared, namespace="x")
    exporter.observe(PARAMS)
    assert shared.get_sample_value("x_kappa") == PARAMS.kappa


def test_unknown_handler_rejected():
    with pytest.raises(InvalidInputError) as err:
        MarketParamsExporter().count("quote")
    assert err.value.field == "handler"


def _params(k: float) -> MarketParams:
    """Every field equal to k: a scrape mixing two observe() calls shows two values."""
    return MarketParams(
        **{name: k for name in PARAMS.to_dict() if name != "timestamp_ms"}, timestamp_ms=int(k)
    )


def test_a_scrape_interleaved_with_observe_shows_one_snapshot():
    """Deterministic interleaving: observe() between the first and the remaining gauges of a
    scrape. Per-field gauges (set one by one, read one by one) show the second call in the
    later gauges; the snapshot collector shows the first call in all of them."""
    exporter = MarketParamsExporter()
    exporter.observe(_params(1.0))
    families = exporter.registry.collect()
    first = next(families)
    exporter.observe(_params(2.0))
    values = [s.value for fam in [first, *families] for s in fam.samples if "total" not in s.name]
    assert len(values) == len(PARAMS.to_dict()) and set(values) == {1.0}
    assert {s.value for fam in exporter.registry.collect() for s in fam.samples} >= {2.0}


def test_concurrent_scrapes_never_mix_observe_calls(served):
    import threading

    exporter, port = served
    exporter.observe(_params(0.0))
    stop = threading.Event()

    def writer() -> None:
        k = 0
        while not stop.is_set():
            k += 1
            exporter.observe(_params(float(k)))

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        seen = set()
        for _ in range(100):
            gauges = {n: v for (n, _), v in scrape(port).items() if "total" not in n}
            assert len(set(gauges.values())) == 1, gauges
            seen |= set(gauges.values())
    finally:
        stop.set()
        thread.join()
    assert len(seen) > 1  # the writer did publish during the scrapes
