"""Online parameters of a log-variance AR(1) (stochastic volatility in volume time).

Model, per volume bucket t (``r_t`` a dimensionless log return)::

    r_t = exp(h_t / 2) eps_t,               eps_t i.i.d., mean 0, variance 1
    h_{t+1} - mu = phi (h_t - mu) + xi eta_t,   eta_t i.i.d. N(0, 1)

so ``h_t`` is the log of the per-bucket return variance.

Proxy. ``h_t`` is not observed; the estimator uses::

    y_t = ln(r_t**2 + c_t),   c_t = delta * m_t

with ``m_t`` the EWMA (same half-life) of ``r**2`` including ``r_t`` and ``delta = 1e-4``
(:attr:`StochasticVolConfig.floor_fraction`). Without ``c_t`` a zero return (common on a discrete
price grid) would give ``-inf``; with it a zero return maps to about ``ln(v) - 9.2``. Then
``y_t = h_t + e_t`` with ``e_t = ln(eps_t**2 + c_t / v_t)``, which is i.i.d. and independent of
the h path when ``c_t / v_t`` is constant. For Gaussian eps and ``c_t / v_t = delta``
``E[e_t] = E[ln(z**2 + delta)]`` (-1.2704 at delta = 0, -1.2454 at 1e-4; computed by
quadrature) and ``Var(e_t) ~ pi**2 / 2 = 4.93``. Since ``c_t`` is proportional to the mean
variance rather than to ``v_t`` the offset varies with ``h_t``; to first order the extra bias in
``mu`` is ``sqrt(2 pi delta) (exp(3 Var(h) / 8) - 1)``, about 0.01 for Var(h) = 1.

Why not a plain AR(1) regression of ``y_t`` on ``y_{t-1}``: the noise ``e`` (variance ~4.93,
typically larger than Var(h)) attenuates its slope to ``phi Var(h) / (Var(h) + Var(e))``
(errors in variables). The persistence is therefore an instrumental-variable (IV) slope. The
instrument is the mean of the K = 10 (:attr:`StochasticVolConfig.instrument_lags`) proxies
before ``y_{t-1}``, ``z_t = (y_{t-2} + ... + y_{t-1-K}) / K``, uncorrelated with the noise in
``y_{t-1}`` and ``y_t`` because ``e`` is serially independent::

    phi = Cov_w(z_t, y_t) / Cov_w(z_t, y_{t-1})             clipped to [-phi_max, phi_max]

(population ratio ``sum_{j=2..K+1} phi**j / sum_{j=1..K} phi**j = phi``). With K = 1 this is
the textbook IV with ``y_{t-2}``; averaging K lags raises the instrument's covariance with
``y_{t-1}`` for persistent h (simulated, phi = 0.95, Var(h) = 0.92, 1500 buckets: sd of phi
0.24 with K = 1, 0.03 with K = 10). The other parameters come from covariances the noise does
not touch (lags >= 1; ``Cov(z_t, y_{t-1}) = Var(h) (phi + ... + phi**K) / K``)::

    mu             = mean_w(y_t) - E[e]                      (long-run log variance)
    long_run_sigma = exp(mu / 2)                             (log-return sd per bucket)
    Var(h)         = Cov_w(z_t, y_{t-1}) K / (phi + ... + phi**K)
    xi             = sqrt(Var(h) (1 - phi**2))               (vol of log-vol per bucket)
    kappa_v        = -ln(phi),  half-life = ln 2 / kappa_v   (per bucket; phi > 0 only)
    leverage       = Cov_w(r_t, y_{t+1} - y_t) / (sd_w(r) sqrt(Var(h_{t+1} - h_t)))
                     with Var(h_{t+1} - h_t) = 2 Var(h) (1 - phi)

(``Cov(r_t, e_{t+1} - e_t) = 0`` for symmetric eps, so the covariance is that of the true h
increment; the denominator uses the noise-free increment variance.) The plain OLS slope is
still available as :meth:`StochasticVolParams.ar1_regression` for diagnostics.

Moments. All weighted moments use weights ``d**(n - i)``, ``d = 2**(-1/half_life_buckets)``
with West's incremental weighted update on deviations (as in :mod:`online.covariance`), never
``E[x**2] - E[x]**2``. The AR moments are over triples ``(z_t, y_{t-1}, y_t)``, the leverage
moments over pairs ``(r_{t-1}, y_t - y_{t-1})``. Every estimate is ``None`` before
``min_observations`` triples and whenever its formula is undefined (``Cov(z_t, y_{t-1}) = 0``;
``phi <= 0`` for kappa_v, xi and leverage; ``Var(h) <= 0`` for xi and leverage).

Precision. The default half-life of 500 buckets (about 1440 effective buckets) tracks regime
changes within a trading day but leaves the estimates noisy: simulated with phi = 0.95,
xi = 0.3, leverage -0.44, snapshots every 2000 buckets gave phi 0.89 to 0.99, xi 0.12 to 0.46,
and a leverage often clipped at -1. At an effective 14 000 buckets (half-life 4000) the
sampling sd is about 0.010 for phi, 0.05 for mu, 0.04 for xi and 0.13 for the leverage. Use
the long-run sigma and phi as slow regime indicators, not as precise inputs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from scipy import integrate

from online import _checks
from online.errors import InvalidInputError
from online.ewma import TickEWMA
from online.serialization import (
    INT,
    OPTIONAL_FLOAT,
    Codec,
    Component,
    FloatList,
    StateField,
    Stateful,
)

_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


@lru_cache(maxsize=16)
def log_chi2_offset(delta: float) -> float:
    """``E[ln(z**2 + delta)]`` for ``z ~ N(0, 1)`` (-1.27036 = psi(1/2) + ln 2 at delta = 0)."""
    if delta == 0.0:
        return -1.2703628454614782

    def integrand(z: float) -> float:
        return 2.0 * math.log(z * z + delta) * _INV_SQRT_2PI * math.exp(-0.5 * z * z)

    # split at sqrt(delta), where the log changes from ~ln(delta) to ~2 ln z
    knot = math.sqrt(delta)
    a, _ = integrate.quad(integrand, 0.0, knot, epsabs=1e-13, epsrel=1e-12)
    b, _ = integrate.quad(integrand, knot, math.inf, epsabs=1e-13, epsrel=1e-12, limit=200)
    return a + b


@dataclass(frozen=True)
class StochasticVolConfig:
    """Configuration (production defaults).

    Attributes:
        half_life_buckets: half-life of the moment weights, buckets (500).
        min_observations: regression triples before estimates are reported (50).
        floor_fraction: ``delta`` in ``c_t = delta * EWMA(r**2)``, in [0, 1) (1e-4).
        phi_max: the persistence is clipped to ``[-phi_max, phi_max]``, in (0, 1) (0.9999).
        instrument_lags: K, number of lagged proxies averaged into the instrument (10).
    """

    half_life_buckets: float = 500.0
    min_observations: int = 50
    floor_fraction: float = 1e-4
    phi_max: float = 0.9999
    instrument_lags: int = 10

    def __post_init__(self) -> None:
        _checks.positive("half_life_buckets", self.half_life_buckets)
        m = self.min_observations
        if isinstance(m, bool) or not isinstance(m, int) or m < 1:
            raise InvalidInputError("min_observations", m, "must be an integer >= 1")
        if _checks.non_negative("floor_fraction", self.floor_fraction) >= 1.0:
            raise InvalidInputError("floor_fraction", self.floor_fraction, "must be < 1")
        _checks.unit_interval_open("phi_max", self.phi_max)
        k = self.instrument_lags
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise InvalidInputError("instrument_lags", k, "must be an integer >= 1")


class _WeightedMoments:
    """Exponentially weighted means and co-moments of k variables (West's update).

    ``W <- d W + 1``; ``delta = x - mean_old``; ``mean <- mean_old + delta / W``;
    ``C_ij <- d C_ij + (1 - 1/W) delta_i delta_j``. ``C / W`` is the weighted (biased)
    covariance with weights ``d**(n - i)``.
    """

    __slots__ = ("c", "d", "mean", "w")

    def __init__(self, k: int, decay: float) -> None:
        self.d = decay
        self.w = 0.0
        self.mean = [0.0] * k
        self.c = [[0.0] * k for _ in range(k)]

    def updated(self, x: list[float]) -> tuple[float, list[float], list[list[float]]] | None:
        """New ``(W, mean, C)`` after ``x``, or ``None`` if a value would overflow."""
        d = self.d
        w = d * self.w + 1.0
        f = 1.0 - 1.0 / w
        delta = [xi - mi for xi, mi in zip(x, self.mean, strict=True)]
        mean = [mi + di / w for mi, di in zip(self.mean, delta, strict=True)]
        c = [
            [d * cij + f * di * dj for cij, dj in zip(row, delta, strict=True)]
            for row, di in zip(self.c, delta, strict=True)
        ]
        if not all(math.isfinite(v) for row in c for v in row):
            return None
        return w, mean, c

    def cov(self, i: int, j: int) -> float:
        return self.c[i][j] / self.w

    def state(self) -> dict[str, Any]:
        return {"w": self.w, "mean": list(self.mean), "c": [list(r) for r in self.c]}

    def load(self, state: dict[str, Any]) -> None:
        k = len(self.mean)
        mean = [float(v) for v in state["mean"]]
        c = [[float(v) for v in row] for row in state["c"]]
        if len(mean) != k or len(c) != k or any(len(row) != k for row in c):
            raise ValueError("moment dimensions do not match")
        self.w, self.mean, self.c = float(state["w"]), mean, c


class _MomentsCodec(Codec):
    """:class:`_WeightedMoments` saved as its ``state()``, loaded into the fresh one (which
    has the config's dimension and decay)."""

    def save(self, value: _WeightedMoments) -> dict[str, Any]:
        return value.state()

    def load(self, data: Any, fresh: _WeightedMoments, owner: Any) -> _WeightedMoments:
        fresh.load(data)
        return fresh


_MOMENTS = _MomentsCodec()

# index of each variable in the AR triple (z_t, y_{t-1}, y_t)
_Z, _X, _Y = 0, 1, 2


class StochasticVolParams(Stateful):
    """Streaming estimates of (mu, phi, xi, leverage) of the log-variance AR(1) (see module).

    >>> sv = StochasticVolParams()
    >>> for r in (1e-3, -2e-3, 5e-4):
    ...     sv.update(r)
    >>> sv.observation_count, sv.persistence  # None until min_observations returns
    (3, None)
    """

    __slots__ = (
        "_ar",
        "_config",
        "_count",
        "_decay",
        "_lev",
        "_offset",
        "_prev_r",
        "_r2",
        "_triples",
        "_ys",
    )
    _state_config = StochasticVolConfig
    _state_fields = (
        StateField("r2_ewma", "_r2", Component()),
        StateField("ar_moments", "_ar", _MOMENTS),
        StateField("leverage_moments", "_lev", _MOMENTS),
        StateField("recent_proxies", "_ys", FloatList()),
        StateField("prev_r", "_prev_r", OPTIONAL_FLOAT),
        StateField("observation_count", "_count", INT),
        StateField("regression_count", "_triples", INT),
    )

    def __init__(self, config: StochasticVolConfig | None = None) -> None:
        self._config = StochasticVolConfig() if config is None else config
        self._decay = 2.0 ** (-1.0 / self._config.half_life_buckets)
        self._offset = log_chi2_offset(self._config.floor_fraction)
        self._r2 = TickEWMA(self._config.half_life_buckets)
        self._ar = _WeightedMoments(3, self._decay)
        self._lev = _WeightedMoments(2, self._decay)
        self._ys: list[float] = []  # the last K + 1 proxies y_{t-1-K}, ..., y_{t-1}
        self._prev_r: float | None = None  # r_{t-1}, paired with the next proxy increment
        self._count = 0
        self._triples = 0

    @property
    def config(self) -> StochasticVolConfig:
        return self._config

    @property
    def observation_count(self) -> int:
        """Number of returns accepted."""
        return self._count

    @property
    def proxy_offset(self) -> float:
        """``E[ln(z**2 + delta)]``, the mean of the proxy noise subtracted from mean(y)."""
        return self._offset

    def update(self, log_return: float) -> None:
        """Fold in one volume-bucket log return (finite)."""
        r = _checks.finite("log_return", log_return)
        rr = r * r
        if not math.isfinite(rr):
            raise InvalidInputError("log_return", log_return, "square would overflow float64")
        m_old = self._r2.value
        m = rr if m_old is None else m_old + self._r2.alpha * (rr - m_old)
        arg = rr + self._config.floor_fraction * m
        y = math.log(arg) if arg > 0.0 else None
        ys, k = self._ys, self._config.instrument_lags
        ar_new = lev_new = None
        if y is not None and ys:
            lev_new = self._lev.updated([self._prev_r, y - ys[-1]])
            if len(ys) == k + 1:
                ar_new = self._ar.updated([math.fsum(ys[:k]) / k, ys[-1], y])
            if lev_new is None or (len(ys) == k + 1 and ar_new is None):
                raise InvalidInputError("log_return", log_return, "moments would overflow")
        # all checks passed: mutate
        self._r2.update(rr)
        self._count += 1
        if y is None:  # every return so far is 0: no proxy yet
            return
        if ar_new is not None:
            self._ar.w, self._ar.mean, self._ar.c = ar_new
            self._triples += 1
        if lev_new is not None:
            self._lev.w, self._lev.mean, self._lev.c = lev_new
        ys.append(y)
        if len(ys) > k + 1:
            del ys[0]
        self._prev_r = r

    # ------------------------------------------------------------------ estimates
    @property
    def regression_count(self) -> int:
        """Number of (z_t, y_{t-1}, y_t) triples in the AR moments."""
        return self._triples

    @property
    def is_valid(self) -> bool:
        """True once ``min_observations`` triples are in and the IV slope is defined."""
        return self._raw_phi() is not None

    def _raw_phi(self) -> float | None:
        if self._triples < self._config.min_observations:
            return None
        czx = self._ar.c[_Z][_X]
        if czx == 0.0:
            return None
        return self._ar.c[_Z][_Y] / czx

    def ar1_regression(self) -> tuple[float, float] | None:
        """Weighted OLS ``y_t = a + b y_{t-1}``: ``(a, b)`` (slope attenuated, see module)."""
        if self._ar.w == 0.0 or self._ar.c[_X][_X] == 0.0:
            return None
        b = self._ar.c[_X][_Y] / self._ar.c[_X][_X]
        return self._ar.mean[_Y] - b * self._ar.mean[_X], b

    def iv_regression(self) -> tuple[float, float] | None:
        """Weighted IV ``y_t = a + b y_{t-1}`` with instrument ``z_t``: ``(a, b)``, unclipped."""
        if self._ar.w == 0.0 or self._ar.c[_Z][_X] == 0.0:
            return None
        b = self._ar.c[_Z][_Y] / self._ar.c[_Z][_X]
        return self._ar.mean[_Y] - b * self._ar.mean[_X], b

    @property
    def persistence(self) -> float | None:
        """phi, the IV slope clipped to ``[-phi_max, phi_max]``."""
        phi = self._raw_phi()
        if phi is None:
            return None
        cap = self._config.phi_max
        return min(cap, max(-cap, phi))

    @property
    def mean_reversion_per_bucket(self) -> float | None:
        """``kappa_v = -ln(phi)`` per bucket; ``None`` unless 0 < phi."""
        phi = self.persistence
        return None if phi is None or phi <= 0.0 else -math.log(phi)

    @property
    def log_variance_half_life_buckets(self) -> float | None:
        """Half-life of log-variance shocks, ``ln 2 / kappa_v`` buckets."""
        k = self.mean_reversion_per_bucket
        return None if k is None else math.log(2.0) / k

    @property
    def long_run_log_variance(self) -> float | None:
        """``mu = mean_w(y) - E[ln(z**2 + delta)]``."""
        if not self.is_valid:
            return None
        return self._ar.mean[_Y] - self._offset

    @property
    def long_run_sigma(self) -> float | None:
        """``exp(mu / 2)``, log-return sd per bucket."""
        mu = self.long_run_log_variance
        return None if mu is None else math.exp(0.5 * mu)

    def _log_variance_variance(self) -> float | None:
        """``Var(h) = Cov_w(z, y_{t-1}) K / (phi + ... + phi**K)`` (``None`` unless > 0)."""
        phi = self.persistence
        if phi is None or phi <= 0.0:
            return None
        k = self._config.instrument_lags
        mean_power = math.fsum(phi**j for j in range(1, k + 1)) / k
        var_h = self._ar.cov(_Z, _X) / mean_power
        return var_h if var_h > 0.0 else None

    @property
    def vol_of_vol(self) -> float | None:
        """``xi = sqrt(Var(h) (1 - phi**2))``, sd of the log-variance shock per bucket."""
        var_h = self._log_variance_variance()
        if var_h is None:
            return None
        phi = self.persistence
        return math.sqrt(var_h * (1.0 - phi * phi))

    @property
    def leverage(self) -> float | None:
        """``corr(r_t, h_{t+1} - h_t)`` with the noise-free increment variance, in [-1, 1]."""
        var_h = self._log_variance_variance()
        if var_h is None or self._lev.w == 0.0:
            return None
        var_dh = 2.0 * var_h * (1.0 - self.persistence)
        denom = math.sqrt(self._lev.cov(0, 0)) * math.sqrt(var_dh)
        if denom == 0.0:
            return None
        return min(1.0, max(-1.0, self._lev.cov(0, 1) / denom))

    # ---------------------------------------------------------------------- state
    def _check_state(self) -> None:
        if len(self._ys) > self._config.instrument_lags + 1:
            raise ValueError("more recent proxies than instrument_lags + 1")
