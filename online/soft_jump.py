"""Soft jump classification of returns with an online-EM two-component Gaussian mixture.

Model: a log return r (dimensionless, i.e. a fraction of the price) is drawn from::

    r ~ (1 - pi) N(0, sigma_d**2) + pi N(0, sigma_j**2),   sigma_j > sigma_d

(sigma are standard deviations, in log-return units). The posterior jump probability
(the responsibility) is ``P(jump | r) = expit(L(r))`` with the log-odds::

    L(r) = log(pi / (1 - pi)) + log(sigma_d / sigma_j) + (r**2 / 2) (1/sigma_d**2 - 1/sigma_j**2)

evaluated in log space, so it is finite for any finite r (P -> 1 for |r| >> sigma_d).

Online EM (stochastic approximation with step ``g``, default 0.01) on the responsibilities
``p = P(jump | r)`` - no hard threshold::

    N_j <- clamp((1 - g) N_j + g p, pi_min, pi_max)        (this is pi)
    S_j <- (1 - g) S_j + g p r**2
    S_d <- (1 - g) S_d + g (1 - p) r**2
    sigma_j**2 = S_j / N_j,   sigma_d**2 = S_d / (1 - N_j)

The clamp on pi is the production one; the clamped N_j is also the divisor of S_j. With step g
the estimates track roughly the last ``2/g`` = 200 ticks, so on a long stationary stream they
fluctuate around values with a small step-size bias (measured over 60 seeded streams with
pi = 0.05, sigma_j = 5 sigma_d: pi about +9%, sigma_j about -6%, sigma_d about -1%; at
g = 0.002 these fall to +1.5%, -1%, -0.2%).

The statistics start at ``N_j = pi_0``, ``S_j = pi_0 sigma_j0**2``,
``S_d = (1 - pi_0) sigma_d0**2`` so the initial parameters are exactly the supplied ones.
After each step two projections keep the mixture identifiable and finite:
``sigma_d >= sigma_floor`` and ``sigma_j >= min_jump_ratio * sigma_d`` (``min_jump_ratio = 2``
by default, so ``sigma_j > sigma_d`` strictly). Both are applied by raising the stored S so the
statistics and the reported sigmas stay consistent.

Toxicity is the exponentially weighted mean of P(jump) with a 50-tick half-life, normalised by
its weight sum (``sum_i w_i p_i / sum_i w_i``, ``w_i = 2**(-(n - i)/50)``), so it carries no
start-up bias toward an initial value; it is reported after 20 observations and is ``None``
before that.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from online import _checks
from online.errors import InvalidInputError
from online.serialization import FLOAT, INT, NONNEGATIVE, POSITIVE, StateField, Stateful, fields


@dataclass(frozen=True)
class SoftJumpConfig:
    """Configuration; defaults are the production defaults.

    Attributes:
        pi_initial: initial jump prior pi (0.05).
        step: EM step size g; pi <- g P + (1 - g) pi (0.01).
        pi_min, pi_max: clamp for pi ([0.001, 0.5]).
        initial_jump_ratio: sigma_j / sigma_d when no sigma_jump is given (4).
        min_jump_ratio: lower bound on sigma_j / sigma_d, > 1 (2).
        sigma_floor: lower bound on sigma_d in log-return units (1e-12, far below one tick);
            at least 1e-150 so that sigma_d**2 stays a normal float64.
        toxicity_half_life_ticks: half-life of the toxicity EWMA in ticks (50).
        toxicity_min_observations: observations before toxicity is reported (20).
    """

    pi_initial: float = 0.05
    step: float = 0.01
    pi_min: float = 0.001
    pi_max: float = 0.5
    initial_jump_ratio: float = 4.0
    min_jump_ratio: float = 2.0
    sigma_floor: float = 1e-12
    toxicity_half_life_ticks: float = 50.0
    toxicity_min_observations: int = 20

    def __post_init__(self) -> None:
        lo = _checks.unit_interval_open("pi_min", self.pi_min)
        hi = _checks.unit_interval_open("pi_max", self.pi_max)
        if hi < lo:
            raise InvalidInputError("pi_max", self.pi_max, f"must be >= pi_min={lo}")
        p0 = _checks.unit_interval_open("pi_initial", self.pi_initial)
        if not lo <= p0 <= hi:
            raise InvalidInputError("pi_initial", p0, f"must lie in [{lo}, {hi}]")
        _checks.unit_interval_open("step", self.step)
        if _checks.finite("min_jump_ratio", self.min_jump_ratio) <= 1.0:
            raise InvalidInputError("min_jump_ratio", self.min_jump_ratio, "must be > 1")
        if _checks.finite("initial_jump_ratio", self.initial_jump_ratio) < self.min_jump_ratio:
            raise InvalidInputError(
                "initial_jump_ratio", self.initial_jump_ratio, "must be >= min_jump_ratio"
            )
        if _checks.positive("sigma_floor", self.sigma_floor) < 1e-150:
            raise InvalidInputError("sigma_floor", self.sigma_floor, "must be >= 1e-150")
        _checks.positive("toxicity_half_life_ticks", self.toxicity_half_life_ticks)
        m = self.toxicity_min_observations
        if isinstance(m, bool) or not isinstance(m, int) or m < 0:
            raise InvalidInputError("toxicity_min_observations", m, "must be an integer >= 0")


def _expit(log_odds: float) -> float:
    """Logistic function ``1 / (1 + e**-L)`` without overflow.

    Below L = -700 (where ``1 + e**-L`` equals ``e**-L`` in float64) it is ``e**L``; such L
    need an extreme ``sigma_floor`` and ``pi_min`` (sigma_j / sigma_d ~ e**700). The single
    formula elsewhere keeps the result monotone in L (each operation is monotone).
    """
    if log_odds < -700.0:
        return math.exp(log_odds)
    return 1.0 / (1.0 + math.exp(-log_odds))


class SoftJumpClassifier(Stateful):
    """Online two-component zero-mean Gaussian mixture for returns (see module docstring).

    Args:
        sigma_diffusion: initial sigma_d (log-return units), finite and >= sigma_floor.
        sigma_jump: initial sigma_j; default ``initial_jump_ratio * sigma_diffusion``; must be
            >= ``min_jump_ratio * sigma_diffusion``.
        config: :class:`SoftJumpConfig`.

    >>> clf = SoftJumpClassifier(sigma_diffusion=1e-4)
    >>> round(clf.jump_probability(1e-4), 3), round(clf.jump_probability(1e-3), 3)  # 1 vs 10 sd
    (0.021, 1.0)
    """

    __slots__ = ("_config", "_count", "_n", "_s_d", "_s_j", "_tox", "_tox_keep", "_tox_w")
    _state_config = SoftJumpConfig
    _state_fields = (
        *fields(POSITIVE, (("n_jump", "_n"), ("s_jump", "_s_j"), ("s_diffusion", "_s_d"))),
        StateField("toxicity_weight_sum", "_tox_w", NONNEGATIVE),
        StateField("toxicity", "_tox", FLOAT),
        StateField("observation_count", "_count", INT),
    )

    def __init__(
        self,
        sigma_diffusion: float,
        sigma_jump: float | None = None,
        config: SoftJumpConfig | None = None,
    ) -> None:
        cfg = SoftJumpConfig() if config is None else config
        sd = _checks.positive("sigma_diffusion", sigma_diffusion)
        if sd < cfg.sigma_floor:
            raise InvalidInputError("sigma_diffusion", sigma_diffusion, "is below sigma_floor")
        if sigma_jump is None:
            sj = cfg.initial_jump_ratio * sd
        else:
            sj = _checks.positive("sigma_jump", sigma_jump)
            if sj < cfg.min_jump_ratio * sd:
                raise InvalidInputError(
                    "sigma_jump", sigma_jump, "must be >= min_jump_ratio * sigma_diffusion"
                )
        if not math.isfinite(sj * sj):
            raise InvalidInputError("sigma_jump", sj, "sigma_jump**2 overflows float64")
        self._config = cfg
        self._n = cfg.pi_initial
        self._s_j = cfg.pi_initial * sj * sj
        self._s_d = (1.0 - cfg.pi_initial) * sd * sd
        self._tox_keep = 2.0 ** (-1.0 / cfg.toxicity_half_life_ticks)
        self._tox_w = 0.0
        self._tox = 0.0
        self._count = 0

    def _check_state(self) -> None:
        """pi = n_jump is a probability strictly inside (0, 1)."""
        if not self._n < 1.0:
            raise ValueError(f"n_jump={self._n!r}: must be < 1")

    @property
    def config(self) -> SoftJumpConfig:
        return self._config

    @property
    def pi(self) -> float:
        """Current prior jump probability (clamped to [pi_min, pi_max])."""
        return self._n

    @property
    def sigma_diffusion(self) -> float:
        """sigma_d = sqrt(S_d / (1 - pi)), log-return units."""
        return math.sqrt(self._s_d / (1.0 - self._n))

    @property
    def sigma_jump(self) -> float:
        """sigma_j = sqrt(S_j / pi), log-return units; always >= min_jump_ratio * sigma_d."""
        return math.sqrt(self._s_j / self._n)

    @property
    def observation_count(self) -> int:
        return self._count

    def _log_odds(self, r: float) -> float:
        n = self._n
        var_d = self._s_d / (1.0 - n)
        q = var_d * n / self._s_j  # (sigma_d / sigma_j)**2 < 1; may underflow to 0
        z = r / math.sqrt(var_d)
        log_ratio = 0.5 * (math.log(var_d * n) - math.log(self._s_j))  # log(sigma_d/sigma_j)
        return math.log(n / (1.0 - n)) + log_ratio + 0.5 * z * z * (1.0 - q)

    def log_odds(self, log_return: float) -> float:
        """``L(r) = log P(jump | r) - log P(diffusion | r)`` under the current parameters."""
        return self._log_odds(_checks.finite("log_return", log_return))

    def jump_probability(self, log_return: float) -> float:
        """Posterior ``P(jump | r) = expit(L(r))`` in [0, 1]; does not change the state."""
        return _expit(self._log_odds(_checks.finite("log_return", log_return)))

    def update(self, log_return: float) -> float:
        """One online-EM step on ``log_return``; returns its P(jump) under the old parameters."""
        r = _checks.finite("log_return", log_return)
        cfg = self._config
        p = _expit(self._log_odds(r))
        g = cfg.step
        r2 = r * r
        n = min(cfg.pi_max, max(cfg.pi_min, (1.0 - g) * self._n + g * p))
        s_d = max((1.0 - g) * self._s_d + g * (1.0 - p) * r2, (1.0 - n) * cfg.sigma_floor**2)
        var_d = s_d / (1.0 - n)
        s_j = max((1.0 - g) * self._s_j + g * p * r2, n * cfg.min_jump_ratio**2 * var_d)
        if not (math.isfinite(s_d) and math.isfinite(s_j)):
            raise InvalidInputError("log_return", log_return, "r**2 overflows float64")
        tox_w = self._tox_keep * self._tox_w + 1.0
        self._tox += (p - self._tox) / tox_w
        self._tox_w = tox_w
        self._n, self._s_d, self._s_j = n, s_d, s_j
        self._count += 1
        return p

    def set_sigma_diffusion(self, sigma: float) -> None:
        """Replace sigma_d by an external estimate (e.g. the clean bipower sigma).

        Sets ``S_d = (1 - pi) sigma**2`` so the EM continues *from* this value: later
        :meth:`update` calls move sigma_d again with step g, so a caller that wants sigma_d
        pinned to the external estimate calls this before every update. sigma_j is raised if
        needed to keep ``sigma_j >= min_jump_ratio * sigma``; pi is unchanged.
        """
        s = _checks.positive("sigma", sigma)
        cfg = self._config
        if s < cfg.sigma_floor:
            raise InvalidInputError("sigma", sigma, "is below sigma_floor")
        s_d = (1.0 - self._n) * s * s
        s_j = max(self._s_j, self._n * cfg.min_jump_ratio**2 * s * s)
        if not math.isfinite(s_j):
            raise InvalidInputError("sigma", sigma, "sigma**2 overflows float64")
        self._s_d, self._s_j = s_d, s_j

    def next_mixture(self, sigma_diffusion: float) -> tuple[float, float, float]:
        """(pi, sigma_d, sigma_j) a next :meth:`update` after
        ``set_sigma_diffusion(sigma_diffusion)`` would use: sigma_j raised to
        ``min_jump_ratio * sigma_d`` as that update does. Read-only."""
        sigma_j = max(self.sigma_jump, self._config.min_jump_ratio * sigma_diffusion)
        return self.pi, sigma_diffusion, sigma_j

    def toxicity_score(self) -> float | None:
        """Weight-normalised 50-tick EWMA of P(jump), or ``None`` before 20 observations."""
        if self._count < self._config.toxicity_min_observations:
            return None
        return self._tox

    @classmethod
    def _from_config(cls, config: SoftJumpConfig) -> SoftJumpClassifier:
        return cls(config.sigma_floor, config=config)
