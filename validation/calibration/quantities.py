"""Test quantities of the MCMC rank SBC: named functions f(theta, y) of the parameters and data.

Rank SBC of a quantity f (Talts et al. 2018; Modrak et al. 2023, "Simulation-based
calibration checking for Bayesian computation: the choice of test quantities shapes
sensitivity"): for replication k with true parameters theta_k, data y_k and L thinned
posterior draws theta_k1..theta_kL,

    r_k(f) = #{l : f(theta_kl, y_k) < f(theta_k, y_k)},

discrete uniform on 0..L over replications when the posterior is exact, for EVERY f. The
parameter itself is the usual rank. A quantity that depends on the data can see what a
parameter rank cannot: a posterior that is exact given only part of the data (e.g. the latest
half of the distances) has uniform parameter ranks, but the log-likelihood of ALL the data at
the true value sits too high among its values at the draws.

Built-ins (``QUANTITIES[model]``):

- ``gamma_exponential``: ``kappa``; ``loglik`` = log p(d | kappa) = n log kappa - kappa S
  (S = sum d, n the count; kappa in 1 / fraction of the mid). A quantity strictly increasing
  in kappa for fixed data, such as kappa S (whose law given n is Gamma(n, 1) under the prior
  predictive), ranks exactly like kappa and adds nothing: it is not a built-in
  (``tests/test_rank_quantities.py`` shows its ranks equal the parameter ranks).
- ``jump_mixture``: ``pi``, ``sigma_d``, ``sigma_j`` and the joint ``loglik`` = sum_i
  log((1 - pi) N(r_i; 0, sigma_d^2) + pi N(r_i; 0, sigma_j^2)), a function of all three
  parameters together (returns are log returns).

``theta`` maps each parameter to an array of draws (shape (m,)), ``data`` maps each data field
to its array; a quantity returns shape (m,).

Example (the log-likelihood of two distances at kappa = 2500 and 5000)::

    >>> import numpy as np
    >>> q = QUANTITIES["gamma_exponential"]["loglik"]
    >>> v = q.evaluate({"kappa": np.array([2500.0, 5000.0])}, {"distances": np.array([4e-4, 4e-4])})
    >>> np.round(v, 4).tolist()
    [13.6481, 13.0344]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from validation.calibration.pit import rank_statistic

Arrays = Mapping[str, np.ndarray]


class UnknownQuantityError(ValueError):
    """A test quantity name that the model does not define."""


@dataclass(frozen=True)
class RankQuantity:
    """A named test quantity f(theta, data) -> float, vectorised over draws.

    Attributes:
        name: its name in settings, records and reports.
        description: one line with the formula.
        fn: ``(theta, data) -> array (m,)`` for ``theta[v]`` of shape (m,).
    """

    name: str
    description: str
    fn: Callable[[Arrays, Arrays], np.ndarray]

    def evaluate(self, theta: Arrays, data: Arrays) -> np.ndarray:
        """f at every draw: a float array of the draws' shape."""
        return np.asarray(self.fn(theta, data), dtype=float)

    def rank(self, truth: Mapping[str, float], draws: Arrays, data: Arrays) -> int:
        """#{l : f(draw_l, data) < f(truth, data)}, in 0..L."""
        at_truth = self.evaluate({v: np.array([x]) for v, x in truth.items()}, data)[0]
        return rank_statistic(float(at_truth), self.evaluate(draws, data))


def parameter(variable: str) -> RankQuantity:
    """The parameter itself: f(theta, y) = theta[variable] (the usual rank)."""
    return RankQuantity(variable, f"the parameter {variable}", lambda t, y: t[variable])


def _exponential_loglik(theta: Arrays, data: Arrays) -> np.ndarray:
    kappa = np.asarray(theta["kappa"], dtype=float)
    d = np.asarray(data["distances"], dtype=float)
    return d.size * np.log(kappa) - kappa * float(d.sum())


def _mixture_loglik(theta: Arrays, data: Arrays) -> np.ndarray:
    pi = np.asarray(theta["pi"], dtype=float)[:, None]
    sd = np.asarray(theta["sigma_d"], dtype=float)[:, None]
    sj = np.asarray(theta["sigma_j"], dtype=float)[:, None]
    r = np.asarray(data["returns"], dtype=float)[None, :]
    log_d = np.log1p(-pi) + stats.norm.logpdf(r, 0.0, sd)
    log_j = np.log(pi) + stats.norm.logpdf(r, 0.0, sj)
    return np.logaddexp(log_d, log_j).sum(axis=1)


QUANTITIES: dict[str, dict[str, RankQuantity]] = {
    "gamma_exponential": {
        "kappa": parameter("kappa"),
        "loglik": RankQuantity(
            "loglik", "log p(d | kappa) = n log kappa - kappa sum d", _exponential_loglik
        ),
    },
    "jump_mixture": {
        "pi": parameter("pi"),
        "sigma_d": parameter("sigma_d"),
        "sigma_j": parameter("sigma_j"),
        "loglik": RankQuantity(
            "loglik",
            "sum_i log((1 - pi) N(r_i; 0, sigma_d^2) + pi N(r_i; 0, sigma_j^2))",
            _mixture_loglik,
        ),
    },
}


def resolve(model: str, names: Sequence[str]) -> tuple[RankQuantity, ...]:
    """The quantities ``names`` of ``model``.

    Raises:
        UnknownQuantityError: an unknown model or quantity name, a repeated name, or none.

    >>> [q.name for q in resolve("gamma_exponential", ["loglik", "kappa"])]
    ['loglik', 'kappa']
    >>> resolve("gamma_exponential", ["kappa_s"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    validation.calibration.quantities.UnknownQuantityError: quantities: 'kappa_s' is not a ...
    """
    if model not in QUANTITIES:
        raise UnknownQuantityError(f"model={model!r}: no test quantities (have {list(QUANTITIES)})")
    have = QUANTITIES[model]
    if not names or len(set(names)) != len(names):
        raise UnknownQuantityError(f"quantities={list(names)!r}: need at least one, no repeats")
    for name in names:
        if name not in have:
            raise UnknownQuantityError(
                f"quantities: {name!r} is not a test quantity of {model} (have {', '.join(have)})"
            )
    return tuple(have[n] for n in names)
