# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 2. Hierarchical kappa: the plug-in online posterior vs full Bayes
#
# Own fills are few; market trades are many. The hierarchical model (all Gamma shape-RATE,
# distances in fractions of the mid, kappa in 1/fraction):
#
#     kappa_m ~ Gamma(5, 5/2500)                   market kappa (hyperprior)
#     x_1..x_M | kappa_m ~ Exp(kappa_m)            market trade distances
#     kappa_own | kappa_m ~ Gamma(a0, a0 / kappa_m),  a0 = 5
#     d_1..d_n | kappa_own ~ Exp(kappa_own)        own fill distances
#
# Production (`online.HierarchicalKappa`) does not integrate over kappa_m: it *plugs in* the
# market estimate k_hat = E[kappa_m | market trades] and returns
# Gamma(conf a0 + n, conf a0 / k_hat + sum d). `conf` in (0, 1] (`market_kappa_conf`, the
# second argument of `update_market_kappa`) is the fraction of the a0 pseudo-fills the
# market prior is worth. The exact answer integrates kappa_m out
# (`validation.calibration.hierarchical_reference.marginal_own_posterior`, 1-D quadrature).
#
# Questions: how much coverage does plugging in lose, where, and what does lowering `conf`
# buy back (and cost)?

# %%
import os

import matplotlib.pyplot as plt
import numpy as np

from online.hierarchical_kappa import HierarchicalKappa, HierarchicalKappaConfig
from validation.calibration.hierarchical_reference import marginal_own_posterior
from validation.calibration.sbc_plugin import (
    PluginSbcSettings,
    run_hierarchical_plugin_coverage,
)
from validation.candidates.kappa import hierarchical_kappa, market_kappa_plugin
from validation.scenarios import GammaPrior, simulate_hierarchical

# %matplotlib inline
SMALL = os.environ.get("NOTEBOOK_SMALL", "0") == "1"
N_REPLICATIONS = 200 if SMALL else 2000
CONFS = (1.0, 0.5, 0.25)
SEED = 7
HYPER = GammaPrior()
A0 = 5.0
print(f"SMALL={SMALL}: {N_REPLICATIONS} replications per regime and conf; seed {SEED}")


def with_conf(conf: float):
    """The production HierarchicalKappa told (k_hat, conf), as a "hierarchical" candidate."""
    if conf == 1.0:
        return hierarchical_kappa

    def candidate(data, kappa_market):
        est = HierarchicalKappa(HierarchicalKappaConfig(prior_alpha=data.a0))
        est.update_market_kappa(float(kappa_market), conf)
        for d, t in zip(data.own_distances.tolist(), data.own_timestamps_ms.tolist(), strict=True):
            est.update_from_fill(d, int(t))
        return est.posterior

    return candidate


# %% [markdown]
# ## One data set: 30 market trades, 3 own fills
#
# With 30 market trades k_hat is known to about +-18%, and with 3 own fills the prior (centred
# on k_hat) dominates the own posterior. The full-Bayes posterior is wider because it carries
# the uncertainty of kappa_m; the plug-in with conf = 1 is the narrowest.

# %%
rng = np.random.default_rng(SEED)
example = simulate_hierarchical(rng, kappa_market=HYPER.draw(rng), a0=A0, n_own=3, n_market=30)
k_hat = market_kappa_plugin(example, HYPER)
full = marginal_own_posterior(
    example.own_distances, example.market_distances, A0, HYPER.alpha, HYPER.beta
)
posteriors = {f"plug-in, conf={c:g}": with_conf(c)(example, k_hat) for c in CONFS}
posteriors["full Bayes (quadrature)"] = full
print(
    f"true kappa_m {example.kappa_market:.0f}, k_hat {k_hat:.0f}, "
    f"true kappa_own {example.kappa_own:.0f}"
)
for label, post in posteriors.items():
    lo, hi = post.interval(0.95)
    print(f"{label:>24}: mean {post.mean:6.0f}  95% [{lo:6.0f}, {hi:6.0f}]  width {hi - lo:6.0f}")

grid = np.linspace(1.0, 12000.0, 800)
fig, ax = plt.subplots(figsize=(7.5, 3.8))
for label, post in posteriors.items():
    ls = "-" if label.startswith("full") else "--"
    ax.plot(grid, post.cdf(grid), ls=ls, label=label)
ax.axvline(example.kappa_own, color="black", lw=0.8, label="true kappa_own")
ax.set_xlabel("kappa_own (1 / fraction of mid)")
ax.set_ylabel("posterior CDF")
ax.set_title("Own-fill kappa posterior, 30 market trades, 3 own fills")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# ## Coverage SBC over many data sets
#
# `run_hierarchical_plugin_coverage` (check `sbc.hierarchical_plugin_coverage`) draws the
# whole hierarchy, gives the candidate the plug-in k_hat, and records whether its 95% central
# interval covers kappa_own; the full-Bayes posterior is computed on every replication as the
# achievable reference. Two regimes: 20-50 market trades and 2000. The check passes when the
# 95% shortfall is within 2 points. We run it for conf = 1 (production) and two lower values,
# on the same seed (same simulated data for every conf).

# %%
runs = {
    c: run_hierarchical_plugin_coverage(
        with_conf(c), SEED, settings=PluginSbcSettings(n_replications=N_REPLICATIONS)
    )
    for c in CONFS
}
for c, res in runs.items():
    for regime, det in res.details["regimes"].items():
        ref95 = det["reference_coverage"]
        ref = next(r for r in ref95 if r.kind == "central" and r.nominal == 0.95)
        print(
            f"conf={c:<4g} {regime:>12}: plug-in 95% coverage {det['coverage_95']:.3f}"
            f"  (full Bayes {ref.empirical:.3f})  shortfall {det['shortfall_95']:+.3f}"
            f"  -> check {res.status.value}"
        )
print(f"binomial sd of one coverage estimate: {np.sqrt(0.95 * 0.05 / N_REPLICATIONS):.3f}")

# %% [markdown]
# ### Where the shortfall sits: coverage by number of own fills
#
# The plug-in's missing uncertainty matters only while the prior carries weight, i.e. with
# few own fills; with hundreds of fills every version converges on the own data.

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), sharey=True)
for ax, regime in zip(axes, ("small_market", "large_market"), strict=True):
    for c, res in runs.items():
        strata = res.details["regimes"][regime]["coverage_95_by_n_own"]
        x = np.arange(len(strata))
        ax.plot(x, [s["plugin_coverage_95"] for s in strata], "o-", label=f"plug-in conf={c:g}")
    strata = runs[1.0].details["regimes"][regime]["coverage_95_by_n_own"]
    ax.plot(x, [s["reference_coverage_95"] for s in strata], "k^--", label="full Bayes")
    ax.axhline(0.95, color="grey", lw=0.8)
    ax.axhline(0.93, color="grey", lw=0.8, ls=":", label="budget 0.93")
    ax.set_xticks(x, [f"{s['n_own_min']}-{s['n_own_max']}" for s in strata])
    ax.set_xlabel("own fills per replication")
    det = res.details["regimes"][regime]
    lo, hi = det["n_market_min"], det["n_market_max"]
    ax.set_title(f"{regime}: {lo if lo == hi else f'{lo}-{hi}'} market trades")
axes[0].set_ylabel("95% central-interval coverage")
axes[0].legend(fontsize=8)
plt.show()

# %% [markdown]
# ### What a lower conf costs: interval width
#
# Coverage is bought with width. On fresh data sets from the same hierarchy (20-50 market
# trades), the median 95% interval width relative to the full-Bayes width, by own fills. A
# ratio below 1 with under-coverage is over-confidence; above 1 is paying width for nothing.

# %%
rng = np.random.default_rng(SEED + 1)
n_own_values = (1, 3, 10, 30, 100)
n_sets = 25 if SMALL else 200
ratios = {c: [] for c in CONFS}
for n_own in n_own_values:
    per_conf = {c: [] for c in CONFS}
    for _ in range(n_sets):
        data = simulate_hierarchical(
            rng, HYPER.draw(rng), A0, n_own=n_own, n_market=int(rng.integers(20, 51))
        )
        k_hat = market_kappa_plugin(data, HYPER)
        lo_r, hi_r = marginal_own_posterior(
            data.own_distances, data.market_distances, A0, HYPER.alpha, HYPER.beta
        ).interval(0.95)
        for c in CONFS:
            lo, hi = with_conf(c)(data, k_hat).interval(0.95)
            per_conf[c].append((hi - lo) / (hi_r - lo_r))
    for c in CONFS:
        ratios[c].append(float(np.median(per_conf[c])))
fig, ax = plt.subplots(figsize=(7, 3.6))
for c in CONFS:
    ax.plot(n_own_values, ratios[c], "o-", label=f"plug-in conf={c:g}")
    print(
        f"conf={c:<4g} width / full-Bayes width: "
        + ", ".join(f"n={n}: {r:.2f}" for n, r in zip(n_own_values, ratios[c], strict=True))
    )
ax.axhline(1.0, color="black", ls="--", label="full Bayes")
ax.set_xscale("log")
ax.set_xlabel("own fills")
ax.set_ylabel("median 95% width / full-Bayes width")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# ## What to conclude
#
# * With few market trades the production plug-in (conf = 1) can only lose coverage where the
#   prior carries weight, i.e. with few own fills; with 2000 market trades it matches full
#   Bayes. The size of the loss is small: the README records the 5000-replication
#   measurement, 94.2% with 20-50 market trades (0.8 points short, 1.2 points with fewer than
#   10 own fills) and 94.7% with 2000 (equal to the exact reference). A run with a few hundred
#   replications (the binomial sd printed above) cannot resolve a shortfall that small; the
#   full-size render (2000 replications) narrows it.
# * The width panel shows what the plug-in gets wrong: with conf = 1 its 95% interval is
#   slightly NARROWER than the full-Bayes one for a handful of own fills, and equal once the
#   own data dominate.
# * Lowering `market_kappa_conf` widens the prior. It buys back coverage where the plug-in is
#   short, but it is blunt: conf = 0.5 or 0.25 gives intervals wider than full Bayes (ratios
#   above 1) and over-covers, and it applies the same discount when k_hat is precise (2000
#   trades), where nothing needed fixing. Against the 2-point budget the production conf = 1
#   passes, so a lower conf is paid for in quote width without a calibration gain.
