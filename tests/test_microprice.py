"""MicropriceEstimator: batch weighted ridge reference, recovery, ordering, errors, state."""

from __future__ import annotations

import json

import numpy as np
import pytest

from online.errors import InvalidInputError, StateDictError
from online.microprice import MicropriceConfig, MicropriceEstimator


def random_stream(seed: int, n_events: int = 3000):
    """Mixed book/trade events on an irregular clock: ("book", bp, bs, ap, as, t) or
    ("trade", size, is_buy, t)."""
    rng = np.random.default_rng(seed)
    t, mid, events = 0, 100.0, []
    for _ in range(n_events):
        t += int(rng.integers(0, 400))
        if rng.random() < 0.3:
            events.append(("trade", float(rng.integers(1, 500)), bool(rng.random() < 0.5), t))
        else:
            mid += 0.005 * int(rng.integers(-1, 2))
            half = 0.005 * int(rng.integers(1, 3))
            events.append(
                (
                    "book",
                    mid - half,
                    float(rng.integers(0, 900)),
                    mid + half,
                    float(rng.integers(1, 900)),
                    t,
                )
            )
    return events


def feed(est: MicropriceEstimator, events) -> None:
    for ev in events:
        if ev[0] == "book":
            est.on_book(*ev[1:])
        else:
            est.on_trade(*ev[1:])


def batch_reference(events, cfg: MicropriceConfig) -> np.ndarray:
    """Weighted ridge LS written from the definitions: explicit weights, explicit targets."""
    a = 1 - 2 ** (-1 / cfg.flow_half_life_trades)
    trades, books = [], []  # trades: (signed, size); books: (t, mid, I, F)
    for ev in events:
        if ev[0] == "trade":
            trades.append((ev[1] if ev[2] else -ev[1], ev[1]))
        else:
            k = len(trades)
            if k == 0:
                flow = 0.0
            else:
                w = a * (1 - a) ** (k - 1 - np.arange(k))
                w[0] = (1 - a) ** (k - 1)
                s, v = np.array(trades).T
                flow = float(np.dot(w, s) / np.dot(w, v))
            _, bp, bs, ap, as_, t = ev
            books.append((t, (bp + ap) / 2, (bs - as_) / (bs + as_), flow))
    times = np.array([b[0] for b in books])
    mids = np.array([b[1] for b in books])
    rows = []
    for t, m, i, f in books:
        if times[-1] > t + cfg.horizon_ms:  # matured: a later book is past the horizon
            m_h = mids[np.searchsorted(times, t + cfg.horizon_ms, side="right") - 1]
            rows.append((1.0, i, f, (m_h - m) / m))
    data = np.array(rows)
    x, y = data[:, :3], data[:, 3]
    n = len(y)
    w = 2.0 ** (-(n - 1 - np.arange(n)) / cfg.half_life_obs)
    lhs = x.T @ (w[:, None] * x) + cfg.ridge * np.eye(3)
    return np.linalg.solve(lhs, x.T @ (w * y)), n


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_coefficients_equal_batch_weighted_ridge(seed):
    cfg = MicropriceConfig(
        half_life_obs=300.0, ridge=0.5, flow_half_life_trades=7.0, min_observations=10
    )
    events = random_stream(seed)
    est = MicropriceEstimator(cfg)
    feed(est, events)
    ref, n = batch_reference(events, cfg)
    assert est.observation_count == n > 1000
    got = np.array(est.coefficients)
    np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-10 * np.abs(ref).max())
    i = est.book_imbalance
    assert est.microprice() == pytest.approx(
        est.mid * (1 + ref[1] * i + ref[2] * est.flow_imbalance), rel=1e-13
    )


def synthetic_chain(
    seed: int,
    b: tuple[float, float, float],
    n: int = 20_000,
    swap_sides: bool = False,
    flip_flow: bool = False,
):
    """Books every 1000 ms; m_{k+1} = m_k (1 + b0 + b1 I_k + b2 F_k + eps), eps sd 2e-4."""
    rng = np.random.default_rng(seed)
    est = MicropriceEstimator(MicropriceConfig(half_life_obs=1e9, ridge=1e-3))
    mid, flow_rows = 100.0, []
    for k in range(n):
        t = 1000 * k
        for j in range(int(rng.integers(0, 3))):
            est.on_trade(float(rng.integers(1, 100)), bool(rng.random() < 0.5) != flip_flow, t + j)
        f = est.flow_imbalance * (-1 if flip_flow else 1)
        qb, qa = float(rng.integers(1, 1000)), float(rng.integers(1, 1000))
        imb = (qb - qa) / (qb + qa)
        half = 0.005
        if swap_sides:
            est.on_book(mid - half, qa, mid + half, qb, t + 500)
        else:
            est.on_book(mid - half, qb, mid + half, qa, t + 500)
        flow_rows.append((imb, f))
        mid *= 1 + b[0] + b[1] * imb + b[2] * f + rng.normal(0, 2e-4)
    x = np.column_stack([np.ones(n), np.array(flow_rows)])
    se = 2e-4 * np.sqrt(np.diag(np.linalg.inv(x.T @ x)))
    return est, se


def recovered(est, truth, se, z=5.0) -> bool:
    got = np.array(est.coefficients)
    return bool(np.all(np.abs(got - np.array(truth)) <= z * se))


TRUTH = (1e-5, 3e-4, -2e-4)


def test_recovers_known_coefficients():
    est, se = synthetic_chain(7, TRUTH)
    assert recovered(est, TRUTH, se), (est.coefficients, se)
    assert est.observation_count == 20_000 - 2  # the last two books never mature


@pytest.mark.parametrize("bad", ["swap_sides", "flip_flow"])
def test_recovery_check_fails_on_bad_feeds(bad):
    est, se = synthetic_chain(7, TRUTH, **{bad: True})
    assert not recovered(est, TRUTH, se)


def test_maturation_order_and_memory_bound():
    est = MicropriceEstimator(MicropriceConfig(horizon_ms=1000, min_observations=1, max_pending=3))
    est.on_book(99.0, 10.0, 101.0, 30.0, 0)
    est.on_book(100.0, 10.0, 102.0, 10.0, 1000)  # exactly at the horizon: not yet matured
    assert est.observation_count == 0 and est.pending_count == 2
    est.on_book(104.0, 10.0, 106.0, 10.0, 1001)  # matures t=0 with M(1000) = 101
    assert est.observation_count == 1 and est.pending_count == 2
    # one observation: (A + ridge I) b = x y with x = (1, -0.5, 0), y = 0.01
    x, y = np.array([1.0, -0.5, 0.0]), 101.0 / 100.0 - 1.0
    ref = np.linalg.solve(np.outer(x, x) + np.eye(3), x * y)
    np.testing.assert_allclose(est.coefficients, ref, rtol=1e-12)
    for t in (1002, 1003, 1004):
        est.on_book(104.0, 10.0, 106.0, 10.0, t)
    assert est.pending_count == 3 and est.dropped_count == 2
    est.on_trade(5.0, True, 1004)
    assert est.observation_count == 1  # trades do not mature observations


def test_microprice_is_mid_until_fit_valid():
    est = MicropriceEstimator(MicropriceConfig(min_observations=5))
    assert est.microprice() is None and est.coefficients is None
    for k in range(6):
        est.on_book(99.0, 30.0, 101.0, 10.0, 1000 * k)
    assert est.observation_count == 4 and est.microprice() == 100.0
    est.on_book(99.0, 30.0, 101.0, 10.0, 6000)
    assert est.coefficients is not None


def _bad_calls():
    return [
        # specific to a quote (generic bad input: tests/test_estimator_contracts.py)
        ("on_book", (100.0, 1.0, 100.0, 1.0, 10)),  # locked
        ("on_book", (-1.0, 1.0, 101.0, 1.0, 10)),  # negative price
        ("on_book", (100.0, 0.0, 101.0, 0.0, 10)),  # both sizes 0
    ]


@pytest.mark.parametrize("call", _bad_calls(), ids=lambda c: f"{c[0]}{c[1]}")
def test_bad_input_raises_and_leaves_state_unchanged(call):
    est = MicropriceEstimator(MicropriceConfig(horizon_ms=2, min_observations=1))
    for t in range(5):
        est.on_book(99.0 + 0.1 * t, 10.0 + t, 101.0, 20.0, t)
    est.on_trade(3.0, True, 5)
    assert est.observation_count == 2 and est.coefficients is not None
    before = json.dumps(est.state_dict())
    with pytest.raises(InvalidInputError):
        getattr(est, call[0])(*call[1])
    assert json.dumps(est.state_dict()) == before


def test_config_validation():
    for kwargs in (
        {"horizon_ms": 0},
        {"half_life_obs": -1.0},
        {"ridge": -1e-9},
        {"min_observations": 0},
        {"max_pending": 1.5},
    ):
        with pytest.raises(InvalidInputError):
            MicropriceConfig(**kwargs)


def test_state_dict_of_another_kind_is_refused():
    with pytest.raises(StateDictError):
        MicropriceEstimator.from_state_dict({"kind": "MarketKappaFromL2"})


def stream_with_one_bad_quote(seed: int, n: int, bad_at: int | None, factor: float):
    """Books every 100 ms at 99.99 / 100.01 around a mid with m_{k+1} = m_k (1 + 3e-5 I_k +
    eps), eps sd 2e-5, some trades; book ``bad_at`` is quoted at ``factor`` x the price."""
    rng = np.random.default_rng(seed)
    mid, events = 100.0, []
    for k in range(n):
        t = 100 * (k + 1)
        for _ in range(int(rng.integers(0, 2))):
            events.append(("trade", float(rng.integers(1, 100)), bool(rng.random() < 0.5), t))
        qb, qa = float(rng.integers(1, 1000)), float(rng.integers(1, 1000))
        scale = factor if k == bad_at else 1.0
        events.append(("book", mid * scale - 0.01 * scale, qb, mid * scale + 0.01 * scale, qa, t))
        mid *= 1 + 3e-5 * (qb - qa) / (qb + qa) + rng.normal(0, 2e-5)
    return events


def fitted_corrections(cfg: MicropriceConfig, events):
    """(estimator, worst |mid (b1 I + b2 F)| / half spread over the books after warm-up)."""
    est, worst = MicropriceEstimator(cfg), 0.0
    for ev in events:
        if ev[0] == "trade":
            est.on_trade(*ev[1:])
            continue
        est.on_book(*ev[1:])
        beta = est.coefficients
        if beta is not None:
            raw = est.mid * (beta[1] * est.book_imbalance + beta[2] * est.flow_imbalance)
            worst = max(worst, abs(raw) / (0.5 * (ev[3] - ev[1])))
            assert ev[1] <= est.microprice() <= ev[3]
    return est, worst


@pytest.mark.parametrize("factor", [1000.0, 2.0])
@pytest.mark.parametrize("bad_at", [50, 3000], ids=["in warm-up", "warm"])
def test_one_bad_quote_does_not_move_the_fit(factor, bad_at):
    """Reference: the same stream without the bad quote. The unwinsorised fit (outlier_scale
    so large that nothing is clipped) is the known-bad variant and must fail the same check."""
    cfg = MicropriceConfig()
    clean, clean_worst = fitted_corrections(cfg, stream_with_one_bad_quote(3, 8000, None, 1.0))
    events = stream_with_one_bad_quote(3, 8000, bad_at, factor)
    robust, robust_worst = fitted_corrections(cfg, events)
    b_clean, b_robust = np.array(clean.coefficients), np.array(robust.coefficients)
    assert abs(b_robust[1] - b_clean[1]) <= 0.05 * abs(b_clean[1])
    assert robust_worst <= 1.0 and clean_worst <= 1.0
    naive, naive_worst = fitted_corrections(MicropriceConfig(outlier_scale=1e300), events)
    assert abs(naive.coefficients[1] - b_clean[1]) > 0.05 * abs(b_clean[1])
    assert naive_worst > 1.0
