"""UnifiedParameterEstimator: every online estimator wired to three event handlers.

Data flow (each handler validates ALL of its input before any component is touched, so a
rejected event leaves the whole estimator unchanged; every handler is O(1) amortised, the book
handler O(levels)):

* ``on_trade(price, size, is_buy, timestamp_ms)``

  1. VolumeClock.on_trade(price, size, t). Each closed bucket k has the log return
     r_k = ln(m_k / m_{k-1}), m_k the book mid when bucket k closes (the trade that closes it
     is measured against the book before it, as its distance is); no return before two
     buckets have closed with a book. ``use_mid_returns=False``: the V1 return
     ln(vwap_k / vwap_{k-1}). The VWAP return is the difference of two *averages* of the
     price path: with n trades spread over a bucket its variance is about 2/3 of the
     point-to-point variance (Working 1960), so sigma comes out at about sqrt(2/3) = 0.82 of
     the truth, and single-trade buckets add the bid-ask bounce instead. The mid at close is
     a point sample of the quoted mid, free of both. On each bucket with a return r:

     - jump classifier: sigma_d <- the clean sd of a diffusive return over r's span,
       sqrt(clean rate * max(span, mean span)), computed *before* r is added (r does not inflate its
       own yardstick; V1 VWAP returns: the per-bucket sigma_clean), then P(jump | r) =
       classifier.update(r). A per-bucket sigma_d ignores that bucket returns span random
       times: the diffusive returns are then a scale mixture of normals, whose tails the
       two-normal mixture reads as jumps (on a simulated market it flagged 3-4 times as many
       buckets as held a jump). The classifier is created at the first bucket at which
       sigma_d >= the classifier's floor exists; returns before it, and returns spanning 0 ms
       (two closes against the same book: r = 0), are not classified.
       V2: SoftJumpClassifier; ``use_soft_jumps=False``: BinaryJumpClassifier (3 sigma).
     - bipower.update(r), stochastic_vol.update(r); ``use_tick_ewma=False``: also the 1 s
       EWMA variance (``online.legacy.OneSecondEWMAVariance``).
     - covariance.update(kappa, sigma) with the current point estimates of :meth:`params`,
       once sigma exists (``use_param_covariance=False``: no covariance, correlation NaN).

  2. Microprice.on_trade(size, is_buy, t).
  3. Market-trade kappa: distance d = |price - mid| / mid with mid the last book's
     (best bid + best ask) / 2. V2: ConjugateBayesianKappa (count-based);
     ``use_v2_kappa=False``: VolumeWeightedKappa. A trade before the first book has no mid:
     it is counted in ``skipped["trades_before_book"]`` and does not enter the kappa.

* ``on_l2_book(bid_prices, bid_sizes, ask_prices, ask_sizes, timestamp_ms)``

  MarketKappaFromL2.on_book(...) (full book) and Microprice.on_book(level 1); the mid is
  updated.

* ``on_own_fill(price, size, is_buy, timestamp_ms, adverse_move_bps=None)``

  Own kappa with distance |price - mid| / mid (V2: HierarchicalKappa.update_from_fill;
  ``use_hierarchical_kappa=False``: LinearBlendKappa, which ignores the adverse move). Size
  and side are validated but do not enter the kappa (a fill is one observation, whatever its
  size). A fill before the first book is counted in ``skipped["own_fills_without_mid"]``.

After every accepted event the rolling kappa windows are advanced to the event time and the
own-kappa prior is refreshed from the market:

* prior mean k_m = the market-trade kappa posterior mean Gamma(A, B) when its window holds a
  trade, else the L2 book kappa;
* confidence by moment matching. With kappa_own | k_m ~ Gamma(a0, a0 / k_m) and
  k_m ~ Gamma(A, B), the marginal of kappa_own has squared coefficient of variation
  CV^2 = (1 + 1/a0)(1 + 1/A) - 1 ~ 1/a0 + 1/A. A single Gamma(a_eff, a_eff / k_m) prior with
  the same CV^2 has a_eff = a0 A / (a0 + A), i.e. conf = a_eff / a0 = A / (A + a0): the
  market's uncertainty lowers the prior's pseudo-count instead of being ignored. While the L2
  kappa is the prior mean, conf = MarketKappaFromL2.confidence (its fit quality, in (0, 1]).
  The V1 blend takes k_m only.

:meth:`UnifiedParameterEstimator.params` (units in :mod:`online.market_params`):

* kappa: the own-kappa posterior when it is ready (>= min_fills fills in its window), else the
  market-trade kappa posterior (:attr:`UnifiedParameterEstimator.kappa_source` says which:
  "own_fills", "market_trades", or "prior" when the market window is empty). The point value
  is the posterior mean, kappa_uncertainty its sd, the interval its exact Gamma 2.5% / 97.5%
  quantiles. The V2 own kappa includes the adverse-selection factor phi in (0.5, 1]: phi kappa
  with kappa ~ Gamma(a, b) is Gamma(a, b / phi), whose mean is ``effective_kappa()``.
* sigma = sqrt(bipower clean_variance_per_s), sigma_effective = sqrt(bipower
  effective_variance_per_s): each return enters with its bucket duration, and the variance
  per second is sum w r**2 / sum w dt over the same (truncated) returns with the same weights.
  ``use_mid_returns=False`` (V1 returns): per-bucket sigma_clean * sqrt(lambda), lambda =
  VolumeClock.intensity_per_s (buckets per second); that product of EWMAs of different
  memories is biased whenever the bucket size changes. ``use_tick_ewma=False``: sigma from the
  1 s EWMA variance and sigma_effective = the per-bucket value taken as per second (the V1
  assumption of one observation per second).
* jump_ratio from the bipower estimator, toxicity_score from the jump classifier,
  param_correlation from the covariance, microprice from the microprice estimator; NaN while
  not available.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from online import _checks
from online.bipower import BipowerConfig, MultiScaleBipowerEstimator
from online.conjugate_kappa import ConjugateBayesianKappa, ConjugateKappaConfig
from online.covariance import ParameterCovariance, ParameterCovarianceConfig
from online.errors import InvalidInputError
from online.gamma_posterior import GammaPosterior
from online.hierarchical_kappa import HierarchicalKappa, HierarchicalKappaConfig
from online.l2_kappa import L2KappaConfig, MarketKappaFromL2
from online.legacy import (
    BinaryJumpClassifier,
    BinaryJumpConfig,
    LinearBlendKappa,
    LinearBlendKappaConfig,
    OneSecondEWMAConfig,
    OneSecondEWMAVariance,
    VolumeWeightedKappa,
    VolumeWeightedKappaConfig,
)
from online.market_params import EstimatorVersion, MarketParams
from online.microprice import MicropriceConfig, MicropriceEstimator
from online.protocols import JumpClassifier, MarketKappa, OwnKappa, TimedVariance
from online.serialization import (
    OPTIONAL_FLOAT,
    OPTIONAL_INT,
    Component,
    IntDict,
    StateField,
    Stateful,
    fields,
)
from online.soft_jump import SoftJumpClassifier, SoftJumpConfig
from online.stochastic_vol import StochasticVolConfig, StochasticVolParams
from online.volume_clock import VolumeBucket, VolumeClock, VolumeClockConfig

PRICE_RANGE = (1e-8, 1e12)
"""Accepted prices (inclusive), in the price unit of the feed. The bounds keep every derived
quantity (log VWAP ratios, distances, volume sums) finite, so no component can reject an event
that passed validation; they are far outside any traded instrument."""

MAX_SIZE = 1e15
"""Largest accepted trade or fill size (shares)."""

MAX_ADVERSE_MOVE_BPS = 1e8
"""Largest accepted |adverse move| in bp."""

KAPPA_LEVEL = 0.95
"""Level of the reported kappa credible interval."""

HANDLERS = ("trade", "l2_book", "own_fill")
_SKIP_KEYS = ("trades_before_book", "own_fills_without_mid")

_NAN = float("nan")


@dataclass(frozen=True)
class UnifiedEstimatorConfig:
    """Component configurations (production defaults) and the feature flags.

    The legacy configurations are used only by the V1 paths their flags select.
    """

    version: EstimatorVersion = field(default_factory=EstimatorVersion.all_enabled)
    volume_clock: VolumeClockConfig = field(default_factory=VolumeClockConfig)
    bipower: BipowerConfig = field(default_factory=BipowerConfig)
    stochastic_vol: StochasticVolConfig = field(default_factory=StochasticVolConfig)
    l2_kappa: L2KappaConfig = field(default_factory=L2KappaConfig)
    market_kappa: ConjugateKappaConfig = field(default_factory=ConjugateKappaConfig)
    own_kappa: HierarchicalKappaConfig = field(default_factory=HierarchicalKappaConfig)
    soft_jump: SoftJumpConfig = field(default_factory=SoftJumpConfig)
    covariance: ParameterCovarianceConfig = field(default_factory=ParameterCovarianceConfig)
    microprice: MicropriceConfig = field(default_factory=MicropriceConfig)
    legacy_market_kappa: VolumeWeightedKappaConfig = field(
        default_factory=VolumeWeightedKappaConfig
    )
    legacy_own_kappa: LinearBlendKappaConfig = field(default_factory=LinearBlendKappaConfig)
    binary_jump: BinaryJumpConfig = field(default_factory=BinaryJumpConfig)
    one_second_ewma: OneSecondEWMAConfig = field(default_factory=OneSecondEWMAConfig)

    @classmethod
    def from_fields(cls, **fields: dict[str, Any]) -> UnifiedEstimatorConfig:
        """Rebuild from ``dataclasses.asdict`` output (nested dicts, tuples as JSON lists)."""
        types = {
            "version": EstimatorVersion,
            "volume_clock": VolumeClockConfig,
            "bipower": BipowerConfig,
            "stochastic_vol": StochasticVolConfig,
            "l2_kappa": L2KappaConfig,
            "market_kappa": ConjugateKappaConfig,
            "own_kappa": HierarchicalKappaConfig,
            "soft_jump": SoftJumpConfig,
            "covariance": ParameterCovarianceConfig,
            "microprice": MicropriceConfig,
            "legacy_market_kappa": VolumeWeightedKappaConfig,
            "legacy_own_kappa": LinearBlendKappaConfig,
            "binary_jump": BinaryJumpConfig,
            "one_second_ewma": OneSecondEWMAConfig,
        }
        if set(fields) != set(types):
            raise TypeError(f"config fields {sorted(fields)} do not match {sorted(types)}")
        built = {}
        for name, values in fields.items():
            kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
            built[name] = types[name](**kwargs)
        return cls(**built)


def _price(name: str, value: float) -> float:
    p = _checks.positive(name, value)
    if not PRICE_RANGE[0] <= p <= PRICE_RANGE[1]:
        raise InvalidInputError(name, value, f"must lie in {PRICE_RANGE}")
    return p


def _size(name: str, value: float) -> float:
    s = _checks.positive(name, value)
    if s > MAX_SIZE:
        raise InvalidInputError(name, value, f"must be <= {MAX_SIZE}")
    return s


def _side(value: bool) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise InvalidInputError("is_buy", value, "must be a bool")
    return bool(value)


def _level_one(name: str, value: Any) -> float:
    """First entry of a 1-D book array as float (full checks are the L2 estimator's)."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(name, value, "must be a 1-D array of numbers") from exc
    if arr.ndim != 1 or arr.size == 0:
        raise InvalidInputError(name, value, "must be a non-empty 1-D array")
    return float(arr[0])


def _jump_template(owner: UnifiedParameterEstimator) -> tuple[type, Any]:
    """Class and config of the jump classifier ``owner`` creates at its first classified
    bucket (the state holds it from then on)."""
    return owner._jump_type, owner._jump_config


class UnifiedParameterEstimator(Stateful):
    """All online estimators behind three event handlers (wiring in the module docstring).

    Components are held by role (:mod:`online.protocols`): the version flags choose which
    estimator fills each role, and the handlers call the role's methods only.

    >>> import numpy as np
    >>> d = np.arange(1, 6) * 1e-4
    >>> sizes = 1_000 * np.exp(-2_000 * d)
    >>> est = UnifiedParameterEstimator()
    >>> est.on_l2_book(100 * (1 - d), sizes, 100 * (1 + d), sizes, 0)
    >>> est.on_trade(100.02, 50.0, True, 10)  # 2 bp from the mid
    >>> p = est.params()
    >>> est.kappa_source, round(p.kappa, 1), p.sigma  # Gamma(5 + 1, 0.002 + 0.0002); no bucket
    ('market_trades', 2727.3, nan)
    """

    _state_config = UnifiedEstimatorConfig.from_fields
    _state_fields = (
        StateField("clock", "_clock", Component()),
        StateField("bipower", "_bipower", Component()),
        StateField("stochastic_vol", "_sv", Component()),
        StateField("l2", "_l2", Component()),
        StateField("microprice", "_micro", Component()),
        StateField("market_kappa", "_market", Component()),
        StateField("own_kappa", "_own", Component()),
        StateField("jumps", "_jumps", Component(optional=True, template=_jump_template)),
        StateField("covariance", "_cov", Component(optional=True)),
        StateField("one_second", "_one_second", Component(optional=True)),
        *fields(OPTIONAL_FLOAT, (("mid", "_mid"), ("close_mid", "_close_mid"))),
        *fields(OPTIONAL_INT, (("mid_ms", "_mid_ms"), ("close_mid_ms", "_close_mid_ms"))),
        StateField("last_p_jump", "_last_p_jump", OPTIONAL_FLOAT),
        StateField("last_ms", "_last_ms", OPTIONAL_INT),
        *fields(IntDict(), (("counts", "counts"), ("skipped", "skipped"))),
    )

    def __init__(self, config: UnifiedEstimatorConfig | None = None) -> None:
        cfg = UnifiedEstimatorConfig() if config is None else config
        v = cfg.version
        self.config = cfg
        self._clock = VolumeClock(cfg.volume_clock)
        self._bipower = MultiScaleBipowerEstimator(cfg.bipower)
        self._sv = StochasticVolParams(cfg.stochastic_vol)
        self._l2 = MarketKappaFromL2(cfg.l2_kappa)
        self._micro = MicropriceEstimator(cfg.microprice)
        self._market: MarketKappa = (
            ConjugateBayesianKappa(cfg.market_kappa)
            if v.use_v2_kappa
            else VolumeWeightedKappa(cfg.legacy_market_kappa)
        )
        self._own: OwnKappa = (
            HierarchicalKappa(cfg.own_kappa)
            if v.use_hierarchical_kappa
            else LinearBlendKappa(cfg.legacy_own_kappa)
        )
        self._jump_type: type[JumpClassifier] = (
            SoftJumpClassifier if v.use_soft_jumps else BinaryJumpClassifier
        )
        self._jump_config = cfg.soft_jump if v.use_soft_jumps else cfg.binary_jump
        self._jumps: JumpClassifier | None = None
        self._cov = ParameterCovariance(cfg.covariance) if v.use_param_covariance else None
        self._one_second: TimedVariance | None = (
            None if v.use_tick_ewma else OneSecondEWMAVariance(cfg.one_second_ewma)
        )
        self._mid: float | None = None
        self._close_mid: float | None = None
        self._mid_ms: int | None = None
        self._close_mid_ms: int | None = None
        self._last_p_jump: float | None = None
        self._last_ms: int | None = None
        self.counts: dict[str, int] = dict.fromkeys(HANDLERS, 0)
        self.skipped: dict[str, int] = dict.fromkeys(_SKIP_KEYS, 0)

    @property
    def version(self) -> EstimatorVersion:
        return self.config.version

    # ------------------------------------------------------------------ handlers
    def on_trade(self, price: float, size: float, is_buy: bool, timestamp_ms: int) -> None:
        """A market trade: price in (1e-8, 1e12], size in (0, 1e15] shares, aggressor side.

        Raises:
            InvalidInputError: bad price, size, side or timestamp (not before the last event);
                the estimator is unchanged.
        """
        p = _price("price", price)
        s = _size("size", size)
        buy = _side(is_buy)
        t = _checks.timestamp("timestamp_ms", timestamp_ms, self._last_ms)

        bucket = self._clock.on_trade(p, s, t)  # first: the only component that can still reject
        self._advance(t)
        self._micro.on_trade(s, buy, t)
        if self._mid is None:
            self.skipped["trades_before_book"] += 1
        else:
            d = abs(p - self._mid) / self._mid
            self._market.update_from_trade(d, s, t)
        if bucket is not None:
            ret = self._bucket_return(bucket)
            if ret is not None:
                self._on_bucket(ret[0], bucket.end_ms, ret[1])
        self._finish("trade", t)

    def on_l2_book(
        self,
        bid_prices: Any,
        bid_sizes: Any,
        ask_prices: Any,
        ask_sizes: Any,
        timestamp_ms: int,
    ) -> None:
        """An L2 snapshot: 1-D arrays, level 1 first (see ``MarketKappaFromL2.on_book``).

        Raises:
            InvalidInputError: a malformed side, crossed book, best prices outside
                PRICE_RANGE, both level-1 sizes 0, or a timestamp before the last event; the
                estimator is unchanged.
        """
        t = _checks.timestamp("timestamp_ms", timestamp_ms, self._last_ms)
        bp = _level_one("bid_prices", bid_prices)
        ap = _level_one("ask_prices", ask_prices)
        bs = _level_one("bid_sizes", bid_sizes)
        qa = _level_one("ask_sizes", ask_sizes)
        if math.isfinite(bp):
            _price("bid_prices", bp)
        if math.isfinite(ap):
            _price("ask_prices", ap)
        if bs == 0.0 and qa == 0.0:
            raise InvalidInputError("ask_sizes", ask_sizes, "level-1 sizes are both 0")
        # The L2 estimator validates the whole book before it changes; after it has accepted
        # the book, level 1 is valid for the microprice too (checked above: sizes not both 0).
        self._l2.on_book(bid_prices, bid_sizes, ask_prices, ask_sizes, t)
        self._advance(t)
        self._micro.on_book(bp, bs, ap, qa, t)
        self._mid = 0.5 * (bp + ap)
        self._mid_ms = t
        self._finish("l2_book", t)

    def on_own_fill(
        self,
        price: float,
        size: float,
        is_buy: bool,
        timestamp_ms: int,
        adverse_move_bps: float | None = None,
    ) -> None:
        """One of our own fills; ``adverse_move_bps`` (bp, positive = adverse) is optional.

        Raises:
            InvalidInputError: bad price, size, side, timestamp or adverse move; the estimator
                is unchanged.
        """
        p = _price("price", price)
        _size("size", size)
        _side(is_buy)
        t = _checks.timestamp("timestamp_ms", timestamp_ms, self._last_ms)
        move = None
        if adverse_move_bps is not None:
            move = _checks.finite("adverse_move_bps", adverse_move_bps)
            if abs(move) > MAX_ADVERSE_MOVE_BPS:
                raise InvalidInputError(
                    "adverse_move_bps",
                    adverse_move_bps,
                    f"|value| must be <= {MAX_ADVERSE_MOVE_BPS}",
                )

        self._advance(t)
        if self._mid is None:
            self.skipped["own_fills_without_mid"] += 1
        else:
            d = abs(p - self._mid) / self._mid
            self._own.update_from_fill(d, t, move)
        self._finish("own_fill", t)

    # ------------------------------------------------------------------ internals
    def _advance(self, t: int) -> None:
        self._market.advance(t)
        self._own.advance(t)

    def _finish(self, handler: str, t: int) -> None:
        self._refresh_own_prior()
        self.counts[handler] += 1
        self._last_ms = t

    def _refresh_own_prior(self) -> None:
        if self._market.observation_count > 0:
            post = self._market.posterior
            k_m, conf = post.mean, post.alpha / (post.alpha + self._own.prior_alpha)
        else:
            k_m, conf = self._l2.kappa, self._l2.confidence
        self._own.update_market_kappa(k_m, conf)

    def _bucket_return(self, bucket: VolumeBucket) -> tuple[float, int] | None:
        """(log return, the time it spans in ms) of the closed bucket (module docstring, step
        1); None when undefined. A mid return spans the times of the two books it compares."""
        if not self.version.use_mid_returns:
            r = bucket.log_return
            return None if r is None else (r, bucket.duration_ms)
        previous, previous_ms = self._close_mid, self._close_mid_ms
        self._close_mid, self._close_mid_ms = self._mid, self._mid_ms
        if previous is None or previous_ms is None or self._mid is None or self._mid_ms is None:
            return None
        return math.log(self._mid / previous), self._mid_ms - previous_ms

    def _jump_yardstick(self, span_ms: int) -> float | None:
        """sigma_d for classifying a return spanning ``span_ms``: the clean sd of a diffusive
        return over that span (``MultiScaleBipowerEstimator.diffusive_variance``; V1 VWAP
        returns: the per-bucket sigma_clean); None when unavailable or below the floor."""
        if self.version.use_mid_returns:
            var = self._bipower.diffusive_variance(span_ms)
            sigma = None if var is None else math.sqrt(var)
        else:
            sigma = self._bipower.sigma_clean
        if sigma is None or sigma < self.config.soft_jump.sigma_floor:
            return None
        return sigma

    def _on_bucket(self, r: float, end_ms: int, span_ms: int) -> None:
        sigma_d = self._jump_yardstick(span_ms)
        if sigma_d is not None:
            if self._jumps is None:
                self._jumps = self._jump_type(sigma_d, config=self._jump_config)  # type: ignore[call-arg]
            else:
                self._jumps.set_sigma_diffusion(sigma_d)
            self._last_p_jump = self._jumps.update(r)
        else:
            self._last_p_jump = None
        self._bipower.update(r, span_ms)
        self._sv.update(r)
        if self._one_second is not None:
            self._one_second.update(r, end_ms)
        if self._cov is not None:
            sigma = self._sigmas()[0]
            if math.isfinite(sigma):
                self._cov.update(self._kappa_posterior()[0].mean, sigma)

    def _kappa_posterior(self) -> tuple[GammaPosterior, str]:
        own = self._own
        if own.is_ready:
            return own.effective_posterior, "own_fills"
        source = "market_trades" if self._market.observation_count > 0 else "prior"
        return self._market.posterior, source

    def _sigmas(self) -> tuple[float, float]:
        """(sigma, sigma_effective) per sqrt(s); NaN while not available."""
        bip = self._bipower
        if self._one_second is not None:
            legacy, eff = self._one_second.sigma_per_sqrt_s, bip.sigma_effective
            return (_NAN if legacy is None else legacy, _NAN if eff is None else eff)
        if self.version.use_mid_returns:
            clean, eff = bip.clean_variance_per_s, bip.effective_variance_per_s
            return (
                _NAN if clean is None else math.sqrt(clean),
                _NAN if eff is None else math.sqrt(eff),
            )
        lam = self._clock.intensity_per_s
        clean, eff = bip.sigma_clean, bip.sigma_effective
        if lam is None:
            return _NAN, _NAN
        root = math.sqrt(lam)
        return (
            _NAN if clean is None else clean * root,
            _NAN if eff is None else eff * root,
        )

    # ------------------------------------------------------------------ outputs
    @property
    def kappa_source(self) -> str:
        """Where params().kappa comes from: "own_fills", "market_trades" or "prior"."""
        return self._kappa_posterior()[1]

    @property
    def stochastic_vol(self) -> StochasticVolParams:
        """The stochastic-volatility parameters (per bucket), fed every bucket return."""
        return self._sv

    @property
    def bucket_count(self) -> int:
        """Number of closed volume buckets."""
        return self._clock.bucket_count

    @property
    def last_jump_probability(self) -> float | None:
        """P(jump | r) of the last bucket return, under the classifier's parameters before it;
        None when that return was not classified (no bucket yet, or no sigma_clean yet)."""
        return self._last_p_jump

    @property
    def jump_mixture(self) -> tuple[float, float, float] | None:
        """(pi, sigma_d, sigma_j) the soft jump classifier will use on a next bucket return of
        the mean duration, log-return sd: sigma_d is the yardstick it is set to before each
        update (:meth:`_jump_yardstick`; for a return of another span it scales with
        sqrt(span)) and sigma_j is raised to min_jump_ratio sigma_d as that update would. None
        before the classifier exists, while the yardstick is unavailable, or on the V1 binary
        path. Read-only."""
        jumps, sigma_d = self._jumps, self._jump_yardstick(0)
        if jumps is None or sigma_d is None:
            return None
        return jumps.next_mixture(sigma_d)

    @property
    def mid(self) -> float | None:
        """Mid of the last book, (best bid + best ask) / 2; None before any."""
        return self._mid

    @property
    def last_timestamp_ms(self) -> int | None:
        return self._last_ms

    def params(self) -> MarketParams:
        """The current :class:`MarketParams` (NaN for what is not yet available)."""
        post, _ = self._kappa_posterior()
        lo, hi = post.interval(KAPPA_LEVEL)
        sigma, sigma_eff = self._sigmas()
        jump_ratio = self._bipower.jump_ratio
        tox = None if self._jumps is None else self._jumps.toxicity_score()
        corr = None if self._cov is None else self._cov.correlation()
        micro = self._micro.microprice()
        return MarketParams(
            sigma=sigma,
            sigma_effective=sigma_eff,
            kappa=post.mean,
            microprice=_NAN if micro is None else micro,
            jump_ratio=_NAN if jump_ratio is None else jump_ratio,
            kappa_uncertainty=post.sd,
            toxicity_score=_NAN if tox is None else tox,
            param_correlation=_NAN if corr is None else corr,
            kappa_95_lower=lo,
            kappa_95_upper=hi,
            timestamp_ms=-1 if self._last_ms is None else self._last_ms,
        )
