"""End-to-end checks of what production emits: ``UnifiedParameterEstimator.params()`` fed a
simulated market (:mod:`validation.market`) event by event, default flags.

Candidate family ``"unified"``: ``(MarketSession, checkpoints_ms) -> SessionRun``
(:func:`validation.market.feed.run_unified` is the production one).
"""

from validation.endtoend.consistency import NAME as PARAMS_CONSISTENCY
from validation.endtoend.consistency import run_params_consistency
from validation.endtoend.contracts import NAME as CONTRACTS
from validation.endtoend.contracts import run_contracts
from validation.endtoend.estimator_contracts import CHECKS as ESTIMATOR_CONTRACTS
from validation.endtoend.jump_calibration import NAME as JUMP_CALIBRATION
from validation.endtoend.jump_calibration import run_jump_calibration
from validation.endtoend.kappa_joint import ALPHA as JOINT_ALPHA
from validation.endtoend.kappa_joint import NAME as KAPPA_JOINT
from validation.endtoend.kappa_joint import run_kappa_joint
from validation.endtoend.kappa_sbc import NAME as KAPPA_SBC
from validation.endtoend.kappa_sbc import KappaSbcSettings, run_kappa_sbc
from validation.endtoend.sigma_bias import NAME as SIGMA_BIAS
from validation.endtoend.sigma_bias import SigmaBiasSettings, run_sigma_bias
from validation.families import CheckSpec
from validation.prequential.gate import CHECK as PREQUENTIAL_PIT

MEASURED_JUMP_FALSE_ALARM_RATE = 0.03

CHECKS: list[CheckSpec] = [
    CheckSpec(
        name=KAPPA_SBC,
        family="unified",
        run=run_kappa_sbc,
        uses_mcmc=False,
        false_alarm_rate=KappaSbcSettings().alpha,
        description="SBC of params() kappa on simulated sessions: PIT and 95% interval "
        "coverage at 1 min, after evictions, and once own fills take over",
    ),
    CheckSpec(
        name=KAPPA_JOINT,
        family="unified",
        run=run_kappa_joint,
        uses_mcmc=True,
        false_alarm_rate=JOINT_ALPHA,
        description="params() own-fill kappa vs NUTS on the joint PyMC model with "
        "kappa_market uncertain (MCSE + 0.35 sd moment-matching allowance)",
    ),
    CheckSpec(
        name=SIGMA_BIAS,
        family="unified",
        run=run_sigma_bias,
        uses_mcmc=False,
        false_alarm_rate=SigmaBiasSettings().alpha,
        description="params() sigma / sigma_effective vs the true sigma across bucket sizes, "
        "bounce and jumps (t-tests over independent sessions)",
    ),
    CheckSpec(
        name=JUMP_CALIBRATION,
        family="unified",
        run=run_jump_calibration,
        uses_mcmc=False,
        # measured, not nominal: the two-normal mixture is approximate for these returns, and
        # the check failed the production estimator on 3 of 100 seeds (2000-2099; 95% CI
        # 0.006-0.085) against its nominal alpha of 0.001
        false_alarm_rate=MEASURED_JUMP_FALSE_ALARM_RATE,
        description="per-bucket P(jump) calibrated against the simulated jump labels "
        "(calibration in the large + binned chi-square)",
    ),
    CheckSpec(
        name=PARAMS_CONSISTENCY,
        family="unified",
        run=run_params_consistency,
        uses_mcmc=False,
        false_alarm_rate=0.0,
        description="every params() field finite once warm; kappa sd and 95% interval "
        "describe one Gamma",
    ),
    CheckSpec(
        name=CONTRACTS,
        family="unified",
        run=run_contracts,
        uses_mcmc=False,
        false_alarm_rate=0.0,
        description="V2 and V1 unified estimators: strict-JSON round trip mid-session continues "
        "bit-identically, bad input rejected with the state unchanged, GLFT closed forms",
    ),
    PREQUENTIAL_PIT,
    *ESTIMATOR_CONTRACTS,
]

__all__ = ["CHECKS"]
