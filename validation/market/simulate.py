"""A seeded generative market with known truth: the event stream a market maker sees.

Units: times are integer ms; prices in dollars; a distance is a fraction of the mid; sigma is
the sd of the log mid per sqrt(second); kappa is in 1 / (fraction of the mid); jump sizes are
log returns.

Model (all draws from one ``numpy.random.Generator``):

* **Mid.** ln m(t) = ln m0 + int_0^t sigma(s) dW_s + sum of the jumps up to t, with
  sigma(s) = ``sigma`` before ``regime_change_s`` and ``sigma_after`` from it on. Jumps arrive
  as a Poisson process of rate ``jump_rate_per_s``; a jump's log size is
  +-(``jump_floor`` + |N(0, ``jump_sd``**2)|) with a fair sign (``jump_floor`` = 0: N(0, sd**2)).
* **Books** at Poisson times (rate ``book_rate_per_s``, plus one at the start): the quoted mid
  is m(t) at the book time; ``levels`` levels a side at distances ``half_spread + j tick_frac``
  (j = 0, 1, ...) with sizes ``depth * exp(-book_kappa * distance) * LogNormal(0, book_noise)``
  (exponential depth at the known ``book_kappa``), rounded to whole shares (at least 1).
* **Market trades** at Poisson times (rate ``trade_rate_per_s``), aggressor side a fair coin,
  size ``ceil(LogNormal(ln size_median, size_log_sd))`` shares. The price is set against the
  quoted mid q of the latest book: ``pricing="exp"``: q (1 + s d) with d ~ Exp(kappa_market)
  (s = +1 buy, -1 sell: bid-ask bounce); ``"touch"``: q (1 + s (half_spread + d)); ``"mid"``:
  q (no bounce, no distance information); ``"offset"`` (the zero-inflated offset model of
  :mod:`validation.realdata.ppc`): at the touch q (1 + s half_spread) with probability
  ``touch_prob``, else q (1 + s max(half_spread - d, 0)) (an improvement reaching the mid
  executes at the mid). kappa_market steps to ``kappa_market *
  kappa_after_factor`` at ``regime_change_s``.
* **Own fills** at Poisson times (rate ``own_fill_rate_per_s``): kappa_own | kappa_market ~
  Gamma(a0, rate = a0 / kappa_market) drawn once per regime; our bid (is_buy) or ask is filled
  at q (1 - s d), d ~ Exp(kappa_own); adverse move after the fill ~ N(adverse_mean_bps,
  adverse_sd_bps**2) bp.

Events at the same ms are ordered book, trade, own fill (a trade sees the book of its
millisecond). Every truth is returned with the stream in :class:`MarketSession`.

Example::

    >>> import numpy as np
    >>> s = simulate_market(MarketSpec(duration_s=60.0), np.random.default_rng(0))
    >>> bool(s.kinds[0] == BOOK) and s.truth.sigma_at(0) == 1e-4
    True
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

BOOK, TRADE, OWN_FILL = 0, 1, 2
"""Event kinds, in their order within one millisecond."""

PRICINGS = ("exp", "touch", "mid", "offset")


@dataclass(frozen=True)
class MarketSpec:
    """Parameters of one simulated session (units in the module docstring)."""

    duration_s: float = 1800.0
    start_ms: int = 34_200_000
    mid0: float = 100.0
    sigma: float = 1e-4
    jump_rate_per_s: float = 0.0
    jump_sd: float = 0.0
    jump_floor: float = 0.0
    regime_change_s: float | None = None
    sigma_after: float | None = None
    kappa_after_factor: float = 1.0
    trade_rate_per_s: float = 2.0
    size_median: float = 300.0
    size_log_sd: float = 0.8
    kappa_market: float = 2500.0
    pricing: str = "exp"
    touch_prob: float = 0.0
    half_spread: float = 1e-4
    tick_frac: float = 1e-4
    book_rate_per_s: float = 1.0
    levels: int = 5
    depth: float = 2000.0
    book_kappa: float = 3000.0
    book_noise: float = 0.2
    own_fill_rate_per_s: float = 0.0
    own_start_s: float = 0.0
    a0: float = 5.0
    adverse_mean_bps: float = 0.0
    adverse_sd_bps: float = 0.0

    @property
    def jump_variance_per_s(self) -> float:
        """Jump rate times E[J**2] for |J| = floor + |N(0, sd**2)|: the jumps' share of the
        variance rate, floor**2 + 2 floor sd sqrt(2/pi) + sd**2 per jump."""
        f, sd = self.jump_floor, self.jump_sd
        return self.jump_rate_per_s * (f * f + 2.0 * f * sd * math.sqrt(2.0 / math.pi) + sd * sd)

    def __post_init__(self) -> None:
        if self.pricing not in PRICINGS:
            raise ValueError(f"pricing={self.pricing!r}: must be one of {PRICINGS}")
        positive = ("duration_s", "mid0", "sigma", "kappa_market", "size_median", "a0")
        for name in positive:
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0.0):
                raise ValueError(f"{name}={value!r}: must be finite and > 0")
        if not 0.0 <= self.touch_prob <= 1.0:
            raise ValueError(f"touch_prob={self.touch_prob!r}: must lie in [0, 1]")
        if self.levels < 1:
            raise ValueError(f"levels={self.levels!r}: must be >= 1")
        if self.regime_change_s is not None and not 0.0 < self.regime_change_s < self.duration_s:
            raise ValueError(f"regime_change_s={self.regime_change_s!r}: must lie in the session")


@dataclass(frozen=True)
class MarketTruth:
    """The true parameters behind a session.

    Attributes:
        sigma_before, sigma_after: diffusion sigma per sqrt(s) before / from the regime change.
        kappa_market_before, kappa_market_after: market-trade kappa per regime.
        kappa_own_before, kappa_own_after: own-fill kappa per regime.
        change_ms: regime-change time (ms), None without one.
        jump_times_ms, jump_sizes: the jumps of the log mid.
        jump_variance_per_s: jump rate times E[J**2], the jumps' share of the variance rate.
        book_kappa: depth decay of the books.
    """

    sigma_before: float
    sigma_after: float
    kappa_market_before: float
    kappa_market_after: float
    kappa_own_before: float
    kappa_own_after: float
    change_ms: int | None
    jump_times_ms: np.ndarray
    jump_sizes: np.ndarray
    jump_variance_per_s: float
    book_kappa: float

    def _after(self, t_ms: int) -> bool:
        return self.change_ms is not None and t_ms >= self.change_ms

    def sigma_at(self, t_ms: int) -> float:
        return self.sigma_after if self._after(t_ms) else self.sigma_before

    def kappa_market_at(self, t_ms: int) -> float:
        return self.kappa_market_after if self._after(t_ms) else self.kappa_market_before

    def kappa_own_at(self, t_ms: int) -> float:
        return self.kappa_own_after if self._after(t_ms) else self.kappa_own_before


@dataclass(frozen=True)
class MarketSession:
    """Time-ordered events and the truth.

    Event i has ``kinds[i]`` (BOOK, TRADE, OWN_FILL) and ``times_ms[i]``. Trades and own fills
    use ``prices``, ``sizes``, ``is_buy`` (and ``adverse_bps`` for fills, NaN when not
    reported); books use row ``book_index[i]`` of the (n_books, levels) book arrays.
    ``quoted_mid[i]`` is the mid of the latest book at event i and ``log_mid[i]`` the true log
    mid at its time.
    """

    spec: MarketSpec
    kinds: np.ndarray
    times_ms: np.ndarray
    prices: np.ndarray
    sizes: np.ndarray
    is_buy: np.ndarray
    adverse_bps: np.ndarray
    book_index: np.ndarray
    bid_prices: np.ndarray
    bid_sizes: np.ndarray
    ask_prices: np.ndarray
    ask_sizes: np.ndarray
    quoted_mid: np.ndarray
    log_mid: np.ndarray
    truth: MarketTruth
    distances: np.ndarray = field(repr=False)
    """|price - quoted mid| / quoted mid per trade or fill (NaN for books)."""

    @property
    def end_ms(self) -> int:
        return self.spec.start_ms + round(self.spec.duration_s * 1000.0)


def _poisson_times(rng: np.random.Generator, rate: float, start: float, end: float) -> np.ndarray:
    """Sorted Poisson event times (s) on [start, end)."""
    if rate <= 0.0 or end <= start:
        return np.empty(0)
    n = rng.poisson(rate * (end - start))
    return np.sort(rng.uniform(start, end, n))


def simulate_market(spec: MarketSpec, rng: np.random.Generator) -> MarketSession:
    """Draw one session (see the module docstring)."""
    dur = spec.duration_s
    change = spec.regime_change_s
    sigma_after = spec.sigma if spec.sigma_after is None else spec.sigma_after
    k_before = spec.kappa_market
    k_after = spec.kappa_market * spec.kappa_after_factor
    own_before = float(rng.gamma(spec.a0, k_before / spec.a0))
    own_after = float(rng.gamma(spec.a0, k_after / spec.a0)) if change is not None else own_before

    book_s = np.concatenate([[0.0], _poisson_times(rng, spec.book_rate_per_s, 0.0, dur)])
    trade_s = _poisson_times(rng, spec.trade_rate_per_s, 0.0, dur)
    own_s = _poisson_times(rng, spec.own_fill_rate_per_s, spec.own_start_s, dur)
    jump_s = _poisson_times(rng, spec.jump_rate_per_s, 0.0, dur)
    signs = np.where(rng.random(jump_s.size) < 0.5, -1.0, 1.0)
    jump_sizes = signs * (
        spec.jump_floor + np.abs(rng.normal(0.0, 1.0, jump_s.size)) * spec.jump_sd
    )

    to_ms = lambda s: spec.start_ms + np.floor(s * 1000.0).astype(np.int64)  # noqa: E731
    kinds = np.concatenate(
        [np.full(book_s.size, BOOK), np.full(trade_s.size, TRADE), np.full(own_s.size, OWN_FILL)]
    )
    secs = np.concatenate([book_s, trade_s, own_s])
    n = kinds.size
    # true log mid at every event time, in continuous time: Brownian increments with the
    # regime's sigma, plus the jumps so far
    by_time = np.argsort(secs, kind="stable")
    ts = secs[by_time]
    sig = np.where(change is not None and ts >= (change or 0.0), sigma_after, spec.sigma)
    path = np.cumsum(rng.normal(0.0, 1.0, n) * sig * np.sqrt(np.diff(ts, prepend=0.0)))
    cum_jumps = np.concatenate([[0.0], np.cumsum(jump_sizes)])
    log_mid = np.empty(n)
    log_mid[by_time] = math.log(spec.mid0) + path + cum_jumps[np.searchsorted(jump_s, ts, "right")]
    # event order: by millisecond, then book < trade < own fill
    times = to_ms(secs)
    order = np.lexsort((secs, kinds, times))
    kinds, secs, times, log_mid = kinds[order], secs[order], times[order], log_mid[order]
    after = np.zeros(n, dtype=bool) if change is None else secs >= change

    is_book = kinds == BOOK
    book_pos = np.cumsum(is_book) - 1  # index of the latest book at each event
    book_mid = np.exp(log_mid[is_book])
    quoted = book_mid[book_pos]

    # books: exponential depth at book_kappa around the quoted mid
    nb, lv = book_mid.size, spec.levels
    dist = spec.half_spread + spec.tick_frac * np.arange(lv)
    noise = rng.lognormal(0.0, spec.book_noise, (2, nb, lv))
    depth = np.maximum(1.0, np.round(spec.depth * np.exp(-spec.book_kappa * dist) * noise))
    bid_prices = book_mid[:, None] * (1.0 - dist)
    ask_prices = book_mid[:, None] * (1.0 + dist)

    buy = rng.random(n) < 0.5
    side = np.where(buy, 1.0, -1.0)
    prices = np.full(n, np.nan)
    sizes = np.full(n, np.nan)
    distances = np.full(n, np.nan)
    adverse = np.full(n, np.nan)

    trade = kinds == TRADE
    k_m = np.where(after, k_after, k_before)
    d = rng.exponential(1.0, n) / k_m
    if spec.pricing == "exp":
        offset = d
    elif spec.pricing == "touch":
        offset = spec.half_spread + d
    elif spec.pricing == "offset":
        at_touch = rng.random(n) < spec.touch_prob
        offset = np.where(at_touch, spec.half_spread, np.maximum(spec.half_spread - d, 0.0))
    else:
        offset = np.zeros(n)
    prices[trade] = quoted[trade] * (1.0 + side[trade] * offset[trade])
    sizes[trade] = np.ceil(rng.lognormal(math.log(spec.size_median), spec.size_log_sd, trade.sum()))

    own = kinds == OWN_FILL
    k_own = np.where(after, own_after, own_before)
    d_own = rng.exponential(1.0, n) / k_own
    prices[own] = quoted[own] * (1.0 - side[own] * d_own[own])
    sizes[own] = 100.0
    if spec.adverse_sd_bps > 0.0 or spec.adverse_mean_bps != 0.0:
        adverse[own] = rng.normal(spec.adverse_mean_bps, spec.adverse_sd_bps, own.sum())
    filled = trade | own
    distances[filled] = np.abs(prices[filled] - quoted[filled]) / quoted[filled]

    truth = MarketTruth(
        sigma_before=spec.sigma,
        sigma_after=sigma_after,
        kappa_market_before=k_before,
        kappa_market_after=k_after,
        kappa_own_before=own_before,
        kappa_own_after=own_after,
        change_ms=None if change is None else int(to_ms(np.array([change]))[0]),
        jump_times_ms=to_ms(jump_s),
        jump_sizes=np.asarray(jump_sizes, dtype=float),
        jump_variance_per_s=spec.jump_variance_per_s,
        book_kappa=spec.book_kappa,
    )
    return MarketSession(
        spec=spec,
        kinds=kinds,
        times_ms=times,
        prices=prices,
        sizes=sizes,
        is_buy=buy,
        adverse_bps=adverse,
        book_index=np.where(is_book, book_pos, -1),
        bid_prices=bid_prices,
        bid_sizes=depth[0],
        ask_prices=ask_prices,
        ask_sizes=depth[1],
        quoted_mid=quoted,
        log_mid=log_mid,
        truth=truth,
        distances=distances,
    )
