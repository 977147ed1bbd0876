"""Hierarchical reference for own-fill kappa shrunk toward the market kappa.

Units: distances are fractions of the mid (1 bp = 1e-4); kappas are per unit fraction.

Model (rates throughout; Gamma(shape, rate) has mean shape / rate)::

    kappa_market ~ Gamma(h, rate h / m)              # market="learned"; mean m, CV 1/sqrt(h)
    market_distances_i ~ Exponential(kappa_market)
    kappa_own[g] | kappa_market, a0 ~ Gamma(a0, rate a0 / kappa_market),  g = 0..G-1
    own_distances_j ~ Exponential(kappa_own[own_group_j])

``m`` is the data input ``"kappa_market_prior_mean"`` (default given to :func:`build`), so the
hyperprior can be centred on an L2-derived value per fit; ``h`` (``market_prior_shape``) is
fixed at build time.

With ``market="pinned"`` kappa_market is the known constant given as data ``"kappa_market"``
(no market data) and the posterior is conjugate per group::

    kappa_own[g] | data ~ Gamma(a0 + n_g, rate a0 / kappa_market + sum_{j in g} d_j)

which is what the online ``HierarchicalKappa`` computes; :func:`pinned_posterior` returns it.

``a0=None`` makes the concentration learnable with prior ``a0 ~ LogNormal(log(a0_median),
a0_log_sd)`` (defaults: median 5, the production value, and log-sd 1, so the central 95% prior
range is about [0.7, 35]). With few groups a0 is weakly identified; its posterior then stays
close to this prior.

Constants enter the graph as float64 (PyTensor would store a Python float that is exact in
float32, such as 5.0, as float32 and evaluate e.g. gammaln(a0) in single precision).

Parameterisation for NUTS: ``"centred"`` samples log kappa_own directly; ``"non_centred"``
samples u[g] = kappa_own[g] / kappa_market ~ Gamma(a0, rate a0) (which does not depend on
kappa_market) and sets kappa_own = kappa_market * u. Centred is the default because it
measured better everywhere (``python -m benchmarks.compile_once``, 2 chains x 1000 draws,
median of 5 data sets, min bulk ESS per second): a0 = 5 with ~10 / ~200 own fills 963 vs 687
and 883 vs 533; a0 learned 448 vs 252 and 504 vs 351. With a0 learned and few own fills both
occasionally show a divergence at target_accept = 0.9 (the gate then marks the fit unusable);
target_accept = 0.99 removed them in the 5 data sets tried.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import pymc as pm
from scipy import stats

from reference_models.base import DataField, ReferenceDataError, ReferenceModel

NAME = "hierarchical_kappa"


def build(
    *,
    n_groups: int = 2,
    market: Literal["learned", "pinned"] = "learned",
    a0: float | None = 5.0,
    a0_median: float = 5.0,
    a0_log_sd: float = 1.0,
    market_prior_shape: float = 2.0,
    market_prior_mean: float = 2500.0,
    parameterisation: Literal["centred", "non_centred"] = "centred",
) -> ReferenceModel:
    """Build the hierarchical model (see the module docstring for the formulas).

    Data keys: ``"own_distances"`` (>= 0) and ``"own_group"`` (ints in 0..n_groups-1, same
    length), plus for ``market="learned"``: ``"market_distances"`` (>= 0) and optional
    ``"kappa_market_prior_mean"`` (> 0); for ``market="pinned"``: ``"kappa_market"`` (> 0).
    """
    if n_groups < 1:
        raise ValueError(f"n_groups={n_groups}: must be >= 1")
    if market not in ("learned", "pinned"):
        raise ValueError(f"market={market!r}: must be 'learned' or 'pinned'")
    if parameterisation not in ("centred", "non_centred"):
        raise ValueError(f"parameterisation={parameterisation!r}: must be centred/non_centred")
    for name, value in [
        ("a0", 1.0 if a0 is None else a0),
        ("a0_median", a0_median),
        ("a0_log_sd", a0_log_sd),
        ("market_prior_shape", market_prior_shape),
        ("market_prior_mean", market_prior_mean),
    ]:
        DataField(name, "positive", scalar=True).validate(value)

    fields = [
        DataField("own_distances", "non_negative"),
        DataField("own_group", "index", n_categories=n_groups),
    ]
    with pm.Model(coords={"group": np.arange(n_groups)}) as model:
        own_distances = pm.Data("own_distances", np.zeros(0))
        own_group = pm.Data("own_group", np.zeros(0, dtype=np.int64))
        if market == "pinned":
            fields.append(DataField("kappa_market", "positive", scalar=True))
            kappa_market = pm.Data("kappa_market", float(market_prior_mean))
        else:
            fields += [
                DataField("market_distances", "non_negative"),
                DataField(
                    "kappa_market_prior_mean", "positive", scalar=True, default=market_prior_mean
                ),
            ]
            market_distances = pm.Data("market_distances", np.zeros(0))
            prior_mean = pm.Data("kappa_market_prior_mean", float(market_prior_mean))
            shape = np.float64(market_prior_shape)
            kappa_market = pm.Gamma("kappa_market", alpha=shape, beta=shape / prior_mean)
            pm.Exponential("market_distances_obs", lam=kappa_market, observed=market_distances)
        if a0 is None:
            conc = pm.LogNormal(
                "a0", mu=np.float64(math.log(a0_median)), sigma=np.float64(a0_log_sd)
            )
        else:
            conc = np.float64(a0)
        if parameterisation == "centred":
            kappa_own = pm.Gamma("kappa_own", alpha=conc, beta=conc / kappa_market, dims="group")
        else:
            ratio = pm.Gamma("kappa_own_ratio", alpha=conc, beta=conc, dims="group")
            kappa_own = pm.Deterministic("kappa_own", kappa_market * ratio, dims="group")
        pm.Exponential("own_distances_obs", lam=kappa_own[own_group], observed=own_distances)
    return ReferenceModel(
        f"{NAME}[{market},{'a0 learned' if a0 is None else f'a0={a0}'},{parameterisation}]",
        model,
        fields,
        same_length=[("own_distances", "own_group")],
        module=NAME,
        build_args={
            "n_groups": n_groups,
            "market": market,
            "a0": a0,
            "a0_median": a0_median,
            "a0_log_sd": a0_log_sd,
            "market_prior_shape": market_prior_shape,
            "market_prior_mean": market_prior_mean,
            "parameterisation": parameterisation,
        },
    )


def pinned_posterior(
    own_distances: np.ndarray,
    own_group: np.ndarray,
    kappa_market: float,
    a0: float,
    n_groups: int,
) -> list[stats.rv_continuous]:
    """Exact per-group posteriors with kappa_market known: scipy gamma(a0 + n_g, scale=1/rate_g).

    rate_g = a0 / kappa_market + sum of the group's distances.
    """
    d = DataField("own_distances", "non_negative").validate(own_distances)
    g = DataField("own_group", "index", n_categories=n_groups).validate(own_group)
    if d.shape != g.shape:
        raise ReferenceDataError("own_group", g.shape, f"must match own_distances {d.shape}")
    km = float(DataField("kappa_market", "positive", scalar=True).validate(kappa_market))
    conc = float(DataField("a0", "positive", scalar=True).validate(a0))
    counts = np.bincount(g, minlength=n_groups)
    sums = [math.fsum(d[g == k]) for k in range(n_groups)]
    return [
        stats.gamma(a=conc + counts[k], scale=1.0 / (conc / km + sums[k])) for k in range(n_groups)
    ]
