"""GLFT optimal half-spread and reservation-price shift from kappa and sigma.

Gueant-Lehalle-Fernandez-Tapia quotes, written in *relative* price units so that they take the
estimators' outputs directly:

    half-spread   delta = (1 / gamma) ln(1 + gamma / kappa) + 0.5 gamma sigma^2 T + fee
    reservation   shift = -q gamma sigma^2 tau

Units (every price quantity is a fraction of the mid, 1 bp = 1e-4):

* ``kappa``: fill-intensity decay in 1 / (fraction of mid), as in ``MarketParams.kappa``
  (kappa = 2500: fills decay by e per 4 bp of distance).
* ``sigma``: volatility of the log price per sqrt(second), as in ``MarketParams.sigma``;
  ``sigma^2 T`` is then a squared fraction of the mid.
* ``gamma``: risk aversion in 1 / (fraction of mid) per unit of inventory ``q``. It is the only
  unit that makes both terms fractions of the mid: ``gamma / kappa`` is dimensionless and
  ``gamma sigma^2 T`` is (1 / fraction) x fraction^2 = a fraction.
* ``horizon_s``, ``tau_s``: seconds; ``fee``: fraction of the mid per side (negative for a
  rebate); ``delta`` and ``shift``: fractions of the mid.

The first term is evaluated as ``log1p(gamma / kappa) / gamma`` so the risk-neutral limit
gamma -> 0, where ``delta -> 1 / kappa + fee``, is reached without cancellation.
"""

from __future__ import annotations

import math

from online import _checks


def glft_half_spread(
    kappa: float, sigma: float, gamma: float, horizon_s: float, fee: float = 0.0
) -> float:
    """GLFT half-spread ``(1/gamma) ln(1 + gamma/kappa) + 0.5 gamma sigma^2 T + fee``.

    Args:
        kappa: fill-intensity decay, 1 / (fraction of mid), > 0.
        sigma: log-price volatility per sqrt(s), >= 0.
        gamma: risk aversion, 1 / (fraction of mid) per unit of inventory, > 0.
        horizon_s: horizon T in seconds, >= 0.
        fee: per-side fee as a fraction of the mid (negative = rebate), finite.

    Returns:
        The half-spread as a fraction of the mid (multiply by 1e4 for bp).

    Raises:
        InvalidInputError: an argument is not finite or outside its range.
    """
    k = _checks.positive("kappa", kappa)
    s = _checks.non_negative("sigma", sigma)
    g = _checks.positive("gamma", gamma)
    t = _checks.non_negative("horizon_s", horizon_s)
    f = _checks.finite("fee", fee)
    return math.log1p(g / k) / g + 0.5 * g * s * s * t + f


def reservation_shift(q: float, gamma: float, sigma: float, tau_s: float) -> float:
    """Reservation-price shift ``-q gamma sigma^2 tau`` as a fraction of the mid.

    Args:
        q: signed inventory (positive = long), in the units ``gamma`` is quoted per.
        gamma: risk aversion, 1 / (fraction of mid) per unit of inventory, > 0.
        sigma: log-price volatility per sqrt(s), >= 0.
        tau_s: time to the horizon in seconds, >= 0.

    Returns:
        The shift of the reservation price relative to the mid (a long position shifts it
        down), a fraction of the mid.

    Raises:
        InvalidInputError: an argument is not finite or outside its range.
    """
    inventory = _checks.finite("q", q)
    g = _checks.positive("gamma", gamma)
    s = _checks.non_negative("sigma", sigma)
    tau = _checks.non_negative("tau_s", tau_s)
    return -inventory * g * s * s * tau
