"""Bulk path of :class:`online.conjugate_kappa.ConjugateBayesianKappa` (posterior only).

After update ``i`` (distance ``d_i`` at ``t_i`` ms) the posterior is
``Gamma(alpha_i, beta_i)`` in shape-RATE form with::

    alpha_i = a0 + n_i,   beta_i = b0 + sum_{j in window} max(d_j, min_distance)

over the window ``(t_i - window_ms, t_i]`` (an observation exactly ``window_ms`` old is out),
``n_i`` the count in the window. Distances are fractions of the mid. The window is two
pointers over the arrays; the running sum is a Neumaier compensated pair (add and subtract
both compensated) reset exactly whenever the window holds one value, so it does not drift and
agrees with the streaming estimator's compensated, periodically recomputed sum to rounding.
The heavy-tail detector of the streaming estimator is not reproduced.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numba
import numpy as np

from online.bulk._arrays import non_negative_array, timestamps_array
from online.bulk._restore import restore
from online.conjugate_kappa import ConjugateBayesianKappa, ConjugateKappaConfig


class KappaPosteriorPath(NamedTuple):
    """Per-update posterior Gamma(alpha, beta) (shape, RATE) and window count."""

    alpha: np.ndarray
    beta: np.ndarray
    count: np.ndarray


@numba.njit(cache=True, inline="always")
def _neumaier_add(hi, lo, x):
    """(hi, lo) + x as a Neumaier compensated pair: the sum is hi + lo."""
    s = hi + x
    if abs(hi) >= abs(x):
        lo += (hi - s) + x
    else:
        lo += (x - s) + hi
    return s, lo


@numba.njit(cache=True)
def _kernel(d, t, window_ms, total_out, count_out):
    start = 0
    hi = 0.0
    lo = 0.0
    for i in range(d.shape[0]):
        cutoff = t[i] - window_ms
        evicted = False
        while start < i and t[start] <= cutoff:
            hi, lo = _neumaier_add(hi, lo, -d[start])
            start += 1
            evicted = True
        if evicted and i - start <= 1:
            hi = d[start] if i - start == 1 else 0.0
            lo = 0.0
        if i == start:
            hi, lo = d[i], 0.0
        else:
            hi, lo = _neumaier_add(hi, lo, d[i])
        total_out[i] = hi + lo
        count_out[i] = i - start + 1


def conjugate_kappa_posterior(
    distances: object,
    timestamps_ms: object,
    config: ConjugateKappaConfig | None = None,
    state: dict[str, Any] | None = None,
) -> KappaPosteriorPath:
    """Posterior path over a stream of distances (fraction of mid, >= 0) at integer ms times.

    Args:
        config: production defaults if None.
        state: optional ``ConjugateBayesianKappa.state_dict()`` (same config) to continue
            from: its window's (floored) values enter the window ahead of ``distances``, and
            the first timestamp may not precede its last timestamp.

    Raises:
        InvalidInputError: bad distance (field ``distances[i]``), timestamps that are not
            non-negative integers, go backwards, or differ in length; a state with a
            different config.
    """
    est = restore(ConjugateBayesianKappa, state, (config,))
    cfg = est.config
    d = non_negative_array("distances", distances)
    t = timestamps_array("timestamps_ms", timestamps_ms, len(d), est.last_timestamp_ms)
    window = est.state_dict()["state"]["window"]
    k = len(window["values"])
    floored = np.concatenate(
        [np.asarray(window["values"], dtype=float), np.maximum(d, cfg.min_distance)]
    )
    times = np.concatenate([np.asarray(window["timestamps"], dtype=np.int64), t])
    total = np.empty_like(floored)
    count = np.empty(len(floored), dtype=np.int64)
    _kernel(floored, times, cfg.window_ms, total, count)
    total, count = total[k:], count[k:]
    return KappaPosteriorPath(cfg.prior_alpha + count, cfg.prior_beta + total, count)
