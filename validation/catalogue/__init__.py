"""The known-bug catalogue: executable wrong candidates, each with the check that must catch it.

``CATALOGUE`` lists :class:`BugEntry` records. Each candidate has the signature of its family
(see ``validation/families.py``), so the same checks that gate the correct estimators measure
their power on these. ``validation.catalogue.power`` measures the detection rates.

A flaw that production code still carries is run through that code: the ``"legacy V1"``
entries through the ``online.legacy`` classes that ``EstimatorVersion.legacy_v1()`` (shadow
mode) runs, or the unified estimator with a V1 flag; the units bugs through the production
estimators fed the wrong units; the ``"unified"`` entries through the unified estimator with
one method changed. Only flaws with no counterpart in ``online/`` (the design document's code as
written, and production bugs since fixed) are implemented in the ``*_bugs`` modules; each
module's docstring says which of its candidates are which.
"""

from validation.catalogue import (
    covariance_bugs,
    ewma_bugs,
    hierarchical_bugs,
    intensity_bugs,
    jump_bugs,
    kappa_bugs,
    prequential_bugs,
    reference_bugs,
    sbc_bugs,
    stochastic_vol_bugs,
    unified_bugs,
)
from validation.catalogue.entry import SOURCES, BugEntry

CATALOGUE: list[BugEntry] = [
    BugEntry(
        name="kappa.volume_weighted_counts",
        family="kappa",
        flaw=(
            "Fill volumes used as the observation count: posterior Gamma(a0 + sum v_i, "
            "b0 + sum v_i d_i) instead of Gamma(a0 + n, b0 + sum d_i). The Gamma-Exponential "
            "likelihood kappa^n exp(-kappa sum d) counts fills, and volume carries no "
            "information about the distance law, so the posterior's concentration follows "
            "the traded volume (over-confident when volumes are large, under-confident when "
            "small) and its mean is a volume-weighted harmonic mean of the distances."
        ),
        source="legacy V1",
        candidate=kappa_bugs.volume_weighted_kappa,
        caught_by="sbc.kappa_pit",
    ),
    BugEntry(
        name="kappa.bp_units",
        family="kappa",
        flaw=(
            "Units mismatch: distances in basis points (1e4 d) fed to an estimator whose prior "
            "Gamma(5, 5/2500) is in fractions of the mid. The posterior Gamma(a0 + n, "
            "b0 + 1e4 sum d) has mean about kappa / 1e4, read as if it were in fractional units: "
            "every quote's kappa is off by four orders of magnitude once a few fills are in."
        ),
        source="production",
        candidate=kappa_bugs.bp_units_kappa,
        caught_by="sbc.kappa_pit",
    ),
    BugEntry(
        name="kappa.student_t_uncorrected",
        family="kappa",
        flaw=(
            "Robust Student-t (nu = 4) weighted update without a consistency correction: "
            "Gamma(a0 + sum w_i, b0 + sum w_i d_i), w_i = (nu + 1) / (nu + (kappa_hat d_i)^2) at "
            "the fixed point kappa_hat = posterior mean. Down-weighting the large distances of "
            "a clean exponential sample shortens the mean distance: the fixed point solves "
            "E[w(z)(z - 1)] = 0 for z = kappa_hat d, i.e. kappa_hat = 1.68 kappa as n grows "
            "(production reported about 1.5x). A consistent version divides by that factor."
        ),
        source="production",
        candidate=kappa_bugs.robust_t_kappa,
        caught_by="sbc.kappa_pit",
    ),
    BugEntry(
        name="hierarchical.linear_blend",
        family="hierarchical",
        flaw=(
            "Own and market kappa blended linearly: kappa = c n / sum d + (1 - c) kappa_market "
            "with confidence c = n / (n + a0), returned as a Gamma with the own posterior's "
            "shape a0 + n and that mean. The hierarchical posterior mean "
            "(a0 + n) / (a0 / kappa_market + sum d) is the same blend of the mean DISTANCES "
            "1/kappa, not of the rates; blending rates puts weight on the raw n / sum d, which "
            "has infinite mean for n = 1 and is biased upward (Jensen) for small n."
        ),
        source="legacy V1",
        candidate=hierarchical_bugs.linear_blend_kappa,
        caught_by="sbc.hierarchical_pinned_pit",
    ),
    BugEntry(
        name="hierarchical.prior_only_confidence",
        family="hierarchical",
        flaw=(
            "Linear blend whose 'confidence' comes from the prior alone: c = 1 / (1 + CV) with "
            "CV = 1 / sqrt(alpha) of an own-fill Gamma posterior whose prior is the fixed "
            "production Gamma(5, 5/2500), so c = 0.69 with zero fills; kappa = c * own mean + "
            "(1 - c) kappa_market. With few fills 69% of the weight sits on the fixed prior "
            "mean 2500 whatever the market says (returned as a Gamma with shape a0 + n)."
        ),
        source="production",
        candidate=hierarchical_bugs.prior_confidence_blend,
        caught_by="sbc.hierarchical_pinned_pit",
    ),
    BugEntry(
        name="hierarchical.bp_units",
        family="hierarchical",
        flaw=(
            "Units mismatch: own-fill distances in basis points (1e4 d) fed to a hierarchical "
            "estimator whose prior Gamma(a0, a0 / kappa_market) is in fractions of the mid; "
            "the posterior Gamma(a0 + n, a0 / kappa_market + 1e4 sum d) collapses toward "
            "kappa_own / 1e4 as soon as a few fills arrive."
        ),
        source="production",
        candidate=hierarchical_bugs.bp_units_hierarchical,
        caught_by="sbc.hierarchical_pinned_pit",
    ),
    BugEntry(
        name="jumps.binary_three_sigma",
        family="jumps",
        flaw=(
            "Binary jump classification: P(jump | r) = 1 if |r| > 3 sigma_clean else 0. The "
            "posterior probability of the mixture, sigmoid(ln(pi/(1-pi)) + ln(sigma_d/sigma_j) "
            "+ r^2/2 (1/sigma_d^2 - 1/sigma_j^2)), is strictly between 0 and 1; the hard cut "
            "makes the toxicity score and anything fed by P jump discontinuously at 3 sigma."
        ),
        source="legacy V1",
        candidate=jump_bugs.binary_three_sigma,
        caught_by="exact.jump_probability",
    ),
    BugEntry(
        name="jumps.design_hard_sigma_update",
        family="jumps",
        flaw=(
            "The design's SoftJumpClassifier: sigma_j^2 <- 0.1 r^2 + 0.9 sigma_j^2 only when "
            "P(jump | r) > 0.5 (a hard decision again) and sigma_d never updated. The jump "
            "variance is the EWMA of r^2 over |r| beyond the P = 0.5 boundary (about 3 sigma_d), "
            "a truncated second moment, with an effective memory of about 10 jumps; sigma_d "
            "stays at its initial value, so the mixture parameters are not the online EM "
            "estimates E-step responsibilities would give."
        ),
        source="design V2 seed",
        candidate=jump_bugs.design_soft_jump,
        caught_by="recovery.jump_parameters",
    ),
    BugEntry(
        name="ewma.one_second_gaps",
        family="ewma",
        flaw=(
            "Time decay that assumes 1 s between observations: weights "
            "((1 - alpha) 2^(-1000/H_ms))^(n - i) instead of (1 - alpha)^(n - i) "
            "2^(-(t_n - t_i)/H_ms). On a volume clock the gaps are irregular (bursts of tens of "
            "ms, lulls of seconds), so bursts are forgotten far too fast and lulls not at all."
        ),
        source="legacy V1",
        candidate=ewma_bugs.one_second_ewma,
        caught_by="exact.ewma_weights",
    ),
    BugEntry(
        name="ewma.design_hybrid_decays_to_zero",
        family="ewma",
        flaw=(
            "The design's HybridEWMA: value <- alpha x + (1 - alpha) value 2^(-dt/H_ms), from "
            "value = 0. The time decay shrinks the VALUE toward zero instead of down-weighting "
            "old observations, so a constant input c converges to alpha c / (1 - (1 - alpha) "
            "2^(-dt/H)) < c: the estimate is biased toward zero, the more so the longer the gaps."
        ),
        source="design V2 seed",
        candidate=ewma_bugs.design_hybrid_ewma,
        caught_by="exact.ewma_fixed_point",
    ),
    BugEntry(
        name="covariance.design_zero_start_raw_moments",
        family="covariance",
        flaw=(
            "The design's ParameterCovariance: EWMAs of k, s, k^2, s^2, k s started at 0 and "
            "cov = E[k s] - E[k] E[s]. The zero start scales every moment by 1 - (1 - alpha)^n "
            "(with a 50-tick half-life the first estimates are mostly the zero start), and the "
            "raw-moment difference cancels catastrophically for offset data (it can come out "
            "negative). West's weighted update is exact from the first observation."
        ),
        source="design V2 seed",
        candidate=covariance_bugs.design_covariance,
        caught_by="exact.covariance_weights",
    ),
    BugEntry(
        name="intensity.ewma_of_reciprocal_dt",
        family="intensity",
        flaw=(
            "Arrival intensity as an EWMA of reciprocal durations, EWMA(1000 / dt) buckets per "
            "second, instead of 1000 / EWMA(dt). By Jensen's inequality E[1/dt] > 1/E[dt], and "
            "for exponential inter-bucket times E[1/dt] is infinite: the estimate is driven by "
            "the shortest gaps (finite only through the whole-ms clock and a 1 ms floor) and "
            "runs 5-21x the true rate (median 6.7x for rates of 0.1-5 buckets/s, half-life 50 "
            "buckets), so every quantity scaled by the arrival rate is inflated. 1 / EWMA(dt) "
            "is consistent: EWMA(dt) is an unbiased weighted mean of the durations."
        ),
        source="production",
        candidate=intensity_bugs.ewma_of_reciprocal_intensity,
        caught_by="recovery.arrival_intensity",
    ),
    BugEntry(
        name="stochastic_vol.ols_persistence",
        family="stochastic_vol",
        flaw=(
            "Persistence from the plain AR(1) slope of the log-squared-return proxy, "
            "Cov(y_{t-1}, y_t) / Var(y_{t-1}), instead of the instrumental-variable slope. "
            "The proxy noise (variance about pi^2 / 2) attenuates the slope to "
            "phi Var(h) / (Var(h) + Var(e)): phi = 0.95 reads as about 0.15."
        ),
        source="planted",
        candidate=stochastic_vol_bugs.ols_persistence,
        caught_by="recovery.stochastic_vol",
    ),
    BugEntry(
        name="stochastic_vol.no_proxy_offset",
        family="stochastic_vol",
        flaw=(
            "Long-run log variance as the mean of the proxy ln(r^2 + c) without subtracting "
            "E[ln(z^2 + delta)] = -1.25: the long-run variance is reported at "
            "exp(-1.25) = 0.29 of the truth (sigma at 0.54)."
        ),
        source="planted",
        candidate=stochastic_vol_bugs.no_proxy_offset,
        caught_by="recovery.stochastic_vol",
    ),
    BugEntry(
        name="unified.vwap_returns",
        family="unified",
        flaw=(
            "Bucket returns from consecutive VWAPs, ln(vwap_k / vwap_{k-1}), instead of the "
            "book mid at bucket close. A VWAP is an average of the price path over the "
            "bucket, so with several trades per bucket the return variance is about 2/3 of "
            "the mid's (Working 1960: sigma about 0.82 of the truth); with one trade per "
            "bucket the return carries the bid-ask bounce 2 E[d^2] instead. The V1 path "
            "(use_mid_returns=False), run as shipped."
        ),
        source="legacy V1",
        candidate=unified_bugs.vwap_returns,
        caught_by="e2e.sigma_bias",
    ),
    BugEntry(
        name="unified.per_bucket_sigma",
        family="unified",
        flaw=(
            "The per-bucket clean sigma reported as sigma per sqrt(second): no conversion by "
            "the bucket rate, so sigma is off by sqrt(seconds per bucket) (about 1.7 with "
            "three-second buckets) and the GLFT inventory term by its square."
        ),
        source="production",
        candidate=unified_bugs.per_bucket_sigma,
        caught_by="e2e.sigma_bias",
    ),
    BugEntry(
        name="unified.rate_counted_twice",
        family="unified",
        flaw=(
            "The per-second variance multiplied by the bucket rate once more (a unit "
            "conversion applied twice): sigma is off by sqrt(buckets per second)."
        ),
        source="production",
        candidate=unified_bugs.sqrt_intensity_twice,
        caught_by="e2e.sigma_bias",
    ),
    BugEntry(
        name="unified.variance_as_uncertainty",
        family="unified",
        flaw=(
            "kappa_uncertainty emitted as the posterior variance a / b^2 instead of the sd "
            "sqrt(a) / b: consumers that size the kappa risk from it, or rebuild the Gamma "
            "from mean and sd, get a posterior hundreds of times too wide."
        ),
        source="production",
        candidate=unified_bugs.variance_as_uncertainty,
        caught_by="e2e.kappa_sbc",
    ),
    BugEntry(
        name="unified.market_interval_always",
        family="unified",
        flaw=(
            "kappa_95_lower / kappa_95_upper always from the market-trade posterior, also "
            "once own fills give the point value: the interval describes kappa_market, not "
            "the own-fill kappa the quotes use, and misses it whenever they differ "
            "(kappa_own | kappa_market ~ Gamma(5, 5 / kappa_market) has a CV of 0.45)."
        ),
        source="production",
        candidate=unified_bugs.market_interval_always,
        caught_by="e2e.kappa_sbc",
    ),
    BugEntry(
        name="unified.phi_on_mean_only",
        family="unified",
        flaw=(
            "The adverse-selection factor phi applied to the reported mean only: phi kappa "
            "with kappa ~ Gamma(a, b) is Gamma(a, b / phi), but sd and interval are those of "
            "Gamma(a, b), so under adverse selection the interval no longer contains the "
            "kappa the quotes use (phi down to 0.5)."
        ),
        source="production",
        candidate=unified_bugs.phi_on_mean_only,
        caught_by="e2e.kappa_sbc",
    ),
    BugEntry(
        name="unified.per_bucket_jump_yardstick",
        family="unified",
        flaw=(
            "Bucket returns classified against the per-bucket clean sd whatever time they "
            "span. A bucket return is N(0, sigma^2 dt) with a random dt, a scale mixture of "
            "normals whose tails the two-normal mixture reads as jumps: on the simulated "
            "market mean P(jump) came out at 0.09 against a jump rate of 0.01-0.015 per "
            "bucket (the unified estimator's wiring before the duration-aware yardstick)."
        ),
        source="production",
        candidate=unified_bugs.per_bucket_jump_yardstick,
        caught_by="e2e.jump_calibration",
    ),
    BugEntry(
        name="unified.toxicity_label_swap",
        family="unified",
        flaw=(
            "toxicity_score read from the other mixture component: the EWMA of "
            "P(diffusion | r) = 1 - P(jump | r), a label switch of the two-normal mixture. "
            "Quotes widen in calm markets and tighten when jumps arrive."
        ),
        source="planted",
        candidate=unified_bugs.toxicity_label_swap,
        caught_by="e2e.jump_calibration",
    ),
    BugEntry(
        name="jumps.sigma_d_total_rms",
        family="jumps",
        flaw=(
            "The diffusion sd taken as the root mean square of ALL returns, jumps included: "
            "sqrt((1 - pi) sigma_d^2 + pi sigma_j^2), 1.48 sigma_d at pi = 0.05 and sigma_j = "
            "5 sigma_d (2.4 at 10 sigma_d). P(jump | r) is then the Bayes probability of a "
            "mixture whose diffusive component is too wide: moderate jumps read as diffusion "
            "and P(jump) is too low wherever the components overlap."
        ),
        source="planted",
        candidate=sbc_bugs.total_rms_sigma_d,
        caught_by="sbc.jump_reliability",
    ),
    BugEntry(
        name="jumps.sigma_d_median_abs",
        family="jumps",
        flaw=(
            "The diffusion sd taken as median |r| without the MAD-to-sd factor "
            "1 / Phi^-1(3/4) = 1.4826: 0.67 sigma_d for normal returns. The diffusive "
            "component is too narrow, so ordinary 2-3 sigma returns get a large P(jump) and "
            "the toxicity fed by it is inflated."
        ),
        source="planted",
        candidate=sbc_bugs.median_abs_sigma_d,
        caught_by="sbc.jump_reliability",
    ),
    BugEntry(
        name="kappa.latest_half_only",
        family="kappa",
        flaw=(
            "The posterior conditions on the latest half of the fills only (a window half as "
            "long as the data it should cover): Gamma(a0 + m, b0 + sum of the latest m = "
            "ceil(n / 2) distances). It is the exact posterior of less data, so its "
            "parameter PIT is uniform and its intervals cover at their nominal rates "
            "(sbc.kappa_pit passes it), but it is sqrt(2) too wide for large n and its mean "
            "ignores half the information; the log-likelihood of ALL the fills at the true "
            "kappa sits too high within its posterior distribution."
        ),
        source="planted",
        candidate=sbc_bugs.latest_half_kappa,
        caught_by="sbc.kappa_loglik_pit",
    ),
    *prequential_bugs.ENTRIES,
    BugEntry(
        name="reference.loglik_latest_half",
        family="reference",
        flaw=(
            "The conjugate reference model's likelihood built on the latest half of the "
            "distances: kappa^m exp(-kappa S_m) with m = ceil(n / 2) and S_m the sum of the "
            "latest m distances, instead of kappa^n exp(-kappa S). Its posterior is the exact "
            "posterior of those m distances, so the rank of kappa among the draws stays "
            "uniform (the parameter rank passes), but the log-likelihood of ALL the "
            "distances, n log kappa - kappa S, at the true kappa ranks too high among its "
            "values at the draws: only the data-dependent test quantity catches it."
        ),
        source="planted",
        candidate=reference_bugs.latest_half_jax_model,
        caught_by="sbc.reference_gamma_exponential_ranks_jax",
    ),
]

__all__ = ["CATALOGUE", "SOURCES", "BugEntry"]
