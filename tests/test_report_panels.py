"""Recovery / contraction panels of the exact-PIT SBC checks (validation.report.panels)."""

from __future__ import annotations

import numpy as np

from reference_models.diagnostics import Diagnostics
from validation.agreement.reference_fits import McmcRecord, SamplerRecord
from validation.calibration.sbc_exact import ExactSbcSettings, run_kappa_pit
from validation.candidates.kappa import conjugate_kappa
from validation.catalogue.kappa_bugs import robust_t_kappa
from validation.report.panels import FIGURES, recovery_contraction
from validation.report.writer import build_report
from validation.results import CheckResult, Status
from validation.scenarios import GammaPrior
from validation.suite import SuiteRun

SMALL = ExactSbcSettings(n_replications=300)


def test_sbc_details_carry_theta_and_the_posterior_moments_of_each_replication():
    res = run_kappa_pit(conjugate_kappa, 2, settings=SMALL)
    moments = res.details["replications"]
    theta, mean, sd = moments.theta, moments.posterior_mean, moments.posterior_sd
    assert theta.size == mean.size == sd.size == 300
    prior = GammaPrior()
    n = np.array(res.details["n_per_replication"])
    np.testing.assert_allclose(mean / sd, np.sqrt(prior.alpha + n), rtol=1e-9)  # Gamma(a0 + n)
    # exact posterior: z-scores are roughly standard normal (independent of the plot code)
    z = (mean - theta) / sd
    assert abs(np.mean(z)) < 0.3 and 0.8 < np.std(z) < 1.2


def test_recovery_panel_is_drawn_for_sbc_results_and_skipped_otherwise(tmp_path):
    for candidate in (conjugate_kappa, robust_t_kappa):
        png = recovery_contraction(run_kappa_pit(candidate, 0, settings=SMALL), tmp_path)
        assert png is not None and png.read_bytes()[:4] == b"\x89PNG"
    other = CheckResult(name="x", status=Status.PASS, statistic=0.0, threshold=1.0)
    assert recovery_contraction(other, tmp_path) is None
    assert recovery_contraction in FIGURES


def test_loglik_sbc_carries_the_replication_moments_for_its_recovery_panel(tmp_path):
    from validation.calibration.loglik_pit import run_kappa_loglik_pit

    res = run_kappa_loglik_pit(conjugate_kappa, 1, settings=ExactSbcSettings(n_replications=100))
    moments = res.details["replications"]
    assert moments.theta.size == moments.posterior_sd.size == 100
    assert recovery_contraction(res, tmp_path) is not None


def test_report_lists_the_backends_of_the_typed_mcmc_records_only():
    diagnostics = Diagnostics({}, {}, {}, 0, 0.25, "nutpie", usable=True)
    fit = McmcRecord(diagnostics, seed=1)
    sbc = SamplerRecord(backend="jax", draws=1000, tune=300, chains=2)
    run = SuiteRun(
        results=[
            CheckResult("a", Status.PASS, 0.5, 1.0, details={"mcmc": fit}),
            CheckResult("b", Status.PASS, 0.5, 1.0, details={"nested": [{"sampler": sbc}]}),
            # a plain "backend" key is a setting, not a record of which sampler ran
            CheckResult("c", Status.PASS, 0.5, 1.0, details={"backend": "pymc"}),
        ]
    )
    report = build_report("quick", 0, run, started=0.0)
    assert report["mcmc_backends"] == ["jax", "nutpie"]
    assert report["checks"][0]["details"]["mcmc"] == {**diagnostics.to_dict(), "seed": 1}
    assert report["checks"][1]["details"]["nested"][0]["sampler"]["chains"] == 2
