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
# # 3. Soft jumps on S&P 500 daily returns: online EM vs MCMC
#
# The production `online.SoftJumpClassifier` models a log return (dimensionless) as the
# zero-mean mixture r ~ (1 - pi) N(0, sigma_d^2) + pi N(0, sigma_j^2), sigma_j > sigma_d,
# reports P(jump | r) from the log-odds, and learns (pi, sigma_d, sigma_j) by online EM with
# step 0.01 (memory of roughly the last 100-200 returns). The reference is the PyMC mixture
# `reference_models.jump_mixture` fitted by NUTS to the whole span; its per-day membership
# probability E[z_t | data] is the ground truth for P(jump).
#
# Data: S&P 500 daily "Adj Close" log returns shipped with the `arch` package
# (`validation.realdata.sp500_jumps.sp500_log_returns`). The check
# `realdata.sp500_jumps_vs_mcmc` is the synthetic `agreement.jumps_mcmc` applied to these data.

# %%
import os
import tempfile

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from online.soft_jump import SoftJumpClassifier
from reference_models.sampling import SamplerSettings
from validation.agreement._reference import mcmc_seed
from validation.agreement.jumps_mcmc import reference_from_fit, rotation_average
from validation.agreement.reference_fits import fit, reference_model, set_fit_cache_dir
from validation.candidates.jumps import initial_sigma_diffusion, soft_jumps
from validation.realdata.sp500_jumps import audit_sp500_jumps, sp500_log_returns

# %matplotlib inline
SMALL = os.environ.get("NOTEBOOK_SMALL", "0") == "1"
YEARS = (2008, 2009) if SMALL else None
# The check's sampler settings in both modes: the convergence gate needs bulk ESS >= 400, which
# 2 x 1000 draws reach; SMALL shrinks the data span instead (2008-2009, about 500 returns).
SETTINGS = SamplerSettings(draws=1000, tune=1000, chains=2)
SEED = 0
# The audit below refits the same model on the same data and seed: a fit cache makes that a
# lookup instead of a second MCMC run.
set_fit_cache_dir(tempfile.mkdtemp(prefix="nb03_fits_"))

returns = sp500_log_returns(YEARS)
r = returns.to_numpy()
dates = returns.index
print(
    f"SMALL={SMALL}: {r.size} daily returns {dates[0].date()} .. {dates[-1].date()}; "
    f"NUTS {SETTINGS.chains} chains x {SETTINGS.draws} draws (+{SETTINGS.tune} tuning)"
)

# %% [markdown]
# ## Streaming the returns through the classifier
#
# `update(r)` returns P(jump | r) under the parameters *before* this return: the real-time
# classification a market maker would act on. Next to it, the learnt sigma_d and sigma_j.
# Watch sigma_d follow the volatility regime: the EM's short memory makes it a local
# volatility estimate.

# %%
clf = SoftJumpClassifier(initial_sigma_diffusion(r))
p_live, sig_d, sig_j, pis = [], [], [], []
for x in r.tolist():
    p_live.append(clf.update(x))
    sig_d.append(clf.sigma_diffusion)
    sig_j.append(clf.sigma_jump)
    pis.append(clf.pi)
p_live = np.array(p_live)

fig, axes = plt.subplots(2, 1, figsize=(10, 5.5), sharex=True)
axes[0].plot(dates, 100 * r, lw=0.5, color="grey", label="daily log return")
axes[0].plot(dates, 100 * np.array(sig_d), color="tab:blue", label="online sigma_d")
axes[0].plot(dates, 100 * np.array(sig_j), color="tab:red", label="online sigma_j")
axes[0].set_ylabel("percent (log return x 100)")
axes[0].legend(fontsize=8, loc="lower left")
axes[1].plot(dates, pis, color="tab:purple", label="online pi")
axes[1].set_ylabel("jump weight pi")
axes[1].set_xlabel("date")
axes[1].legend(fontsize=8)
fig.suptitle("Online EM parameters while streaming S&P 500 returns")
plt.show()
live = pd.DataFrame({"pi": pis, "sigma_j / sigma_d": np.array(sig_j) / np.array(sig_d)}, dates)
print("live online EM, yearly means:")
print(live.groupby(live.index.year).mean().T.to_string(float_format=lambda v: f"{v:.2f}"))

# %% [markdown]
# ## The MCMC reference and the rotation-averaged online answer
#
# One online run ends on its last ~100 returns, so its final parameters are a local snapshot.
# The check therefore runs the classifier on 20 cyclic rotations of the series and averages
# (`rotation_average`); p_bar[t] is the rotation average of P(jump | r_t) under each run's
# final parameters, comparable to the posterior membership.

# %%
result = fit(
    reference_model("jump_mixture"), {"returns": r}, seed=mcmc_seed(SEED), settings=SETTINGS
)
ref = reference_from_fit(result, r)
avg = rotation_average(soft_jumps, r)
diag = result.diagnostics
print(
    f"MCMC ({diag.backend}, {diag.sampling_seconds:.1f} s): usable={diag.usable} "
    f"{'; '.join(diag.reasons) or '(passes the convergence gate)'}"
)
for k in ("pi", "sigma_d", "sigma_j"):
    print(
        f"{k:>8}: online (rotation geo-mean) {np.exp(avg.log_params[k]):.4f}   "
        f"posterior exp(E log) {np.exp(ref.log_mean[k]):.4f} (log sd {ref.log_sd[k]:.3f})"
    )

# %% [markdown]
# ## P(jump) over time
#
# Top: daily values around the 2008 crash (July 2008 - June 2009); bottom: 21-trading-day
# means over the whole span, which make the regimes readable. The MCMC membership and the
# rotation-averaged online P(jump) use parameters fitted to the whole span; the live P(jump)
# uses the parameters of that day.

# %%
frame = pd.DataFrame(
    {
        "MCMC membership": ref.membership,
        "online, rotation average": avg.p_bar,
        "online, live (before update)": p_live,
    },
    index=dates,
)
zoom = frame.loc["2008-07-01":"2009-06-30"]
fig, axes = plt.subplots(2, 1, figsize=(10, 6.5))
for col, colour, marker in zip(frame.columns, ("k", "C1", "C0"), "os^", strict=True):
    axes[0].plot(zoom.index, zoom[col], color=colour, marker=marker, lw=0.6, ms=2.5, label=col)
    axes[1].plot(frame.index, frame[col].rolling(21).mean(), color=colour, lw=1.2, label=col)
axes[0].set_ylabel("P(jump) per day")
axes[0].set_xlabel("date (July 2008 - June 2009)")
axes[1].set_ylabel("P(jump), 21-day mean")
axes[1].set_xlabel("date")
axes[0].legend(fontsize=8, loc="upper right")
plt.show()

fig, ax = plt.subplots(figsize=(4.8, 4.5))
ax.plot(ref.membership, avg.p_bar, ".", ms=3, alpha=0.5)
ax.plot([0, 1], [0, 1], color="grey", lw=0.8, label="equality")
ax.set_xlabel("MCMC membership E[z_t | data]")
ax.set_ylabel("online rotation-averaged P(jump)")
ax.legend(fontsize=8)
plt.show()
dp = np.abs(avg.p_bar - ref.membership)
print(
    f"max |p_bar - membership| {dp.max():.3f}, mean {dp.mean():.3f}, "
    f"correlation {np.corrcoef(avg.p_bar, ref.membership)[0, 1]:.3f}"
)

# %% [markdown]
# ## The audit check's verdict
#
# `audit_sp500_jumps` applies the synthetic check's tolerances (measured on data from the
# mixture itself) to these returns.

# %%
(check,) = audit_sp500_jumps(seed=SEED, years=YEARS, settings=SETTINGS)
print(
    f"{check.name}: {check.status.value.upper()}  statistic {check.statistic:.2f} "
    f"(fails above {check.threshold:g})"
)
print(
    pd.DataFrame(check.details["parameters"])
    .T[["online", "posterior_mean", "posterior_sd", "z_posterior_sds"]]
    .to_string(float_format=lambda v: f"{v:.4g}")
)
print("days with the highest MCMC membership:")
print(
    pd.DataFrame(check.details["p_jump"]["top_days_by_mcmc"])
    .head(5)
    .to_string(index=False, float_format=lambda v: f"{v:.4f}")
)
by_year = pd.DataFrame(check.details["p_jump"]["by_year"]).T
print(by_year.to_string(float_format=lambda v: f"{v:.3f}"))
ax = by_year[["mean_p_jump_online", "mean_p_jump_mcmc"]].plot.bar(figsize=(8, 3.5))
ax.set_xlabel("calendar year")
ax.set_ylabel("mean P(jump) over the year")
ax.legend(["online, rotation average", "MCMC membership"], fontsize=8)
plt.show()

# %% [markdown]
# ## What to conclude
#
# * Both methods rank the days alike (the correlation above), and the largest days (table
#   above) get P(jump) near 1 from both. They disagree in level, and the check's statistic
#   says by how much relative to the tolerances measured on synthetic mixtures. On the full
#   1999-2018 span the check FAILs (README: sigma_j online 0.0156 vs posterior 0.0210 +-
#   0.0008; max P(jump) difference 0.19-0.20 vs a tolerance of 0.12).
# * That FAIL is a finding about the model, not a bug in either fit: daily returns cluster in
#   volatility, so the constant-variance mixture's "jump" component mostly marks
#   high-volatility PERIODS (the 21-day means of every method rise in 2008-2009 and 2011),
#   not isolated jumps.
# * The online EM has a short memory (~100 days) and follows the local regime (yearly table
#   above, full 1999-2018 span): through 1999-2006 pi stays at a few percent with sigma_j
#   held near its floor 2 sigma_d, i.e. the jump component is barely used; from the 2008
#   crisis on pi is 0.15-0.4, also in the calm years 2012-2017. That the calm years after 2008
#   look so different from those before suggests the EM's state depends on its path, not only
#   on recent returns. The rotation average (20 runs, each ending at a different place)
#   averages such local states, so its level need not match the whole-span posterior's.
# * For quoting, the live P(jump) is what the engine sees, and it reflects the recent regime
#   (about the last 100 days), not the whole history. A jump classifier for
#   volatility-clustered data needs a volatility model under it (e.g. `set_sigma_diffusion`
#   fed by a bipower sigma) before its P(jump) means "jump".
