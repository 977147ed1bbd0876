"""Measured FAIL rates of ``"recovery.arrival_intensity"``: false alarms and detection.

False alarms: the production ``VolumeClock`` candidate over seeds from ``FALSE_ALARM_SEED0``;
detection: the catalogue's ``EWMA(1/dt)`` (entry ``intensity.ewma_of_reciprocal_dt``) over
seeds from ``POWER_SEED0`` (the catalogue audit's seeds). Rates, intervals and the
INCONCLUSIVE policy are those of :mod:`validation.failure_rate`.

Command (README figures)::

    python -m validation.catalogue.intensity_rates --seeds 1000
"""

from __future__ import annotations

import argparse

from validation.agreement.intensity import CHECKS, NAME
from validation.candidates.intensity import volume_clock_intensity
from validation.catalogue.intensity_bugs import ewma_of_reciprocal_intensity
from validation.failure_rate import SeedFailureRate, measure_failure_rate

FALSE_ALARM_SEED0 = 50_000
"""First seed of the false-alarm measurement on the production candidate."""
POWER_SEED0 = 1_000
"""First seed of the detection measurement (the catalogue audit's seeds 1000..)."""


def measure_rates(false_alarm_seeds: int = 1000, power_seeds: int = 100) -> list[SeedFailureRate]:
    """FAIL rates of the check on the production candidate over ``false_alarm_seeds`` seeds
    and on ``EWMA(1/dt)`` over ``power_seeds`` seeds."""
    run = CHECKS[0].run
    return [
        measure_failure_rate(run, volume_clock_intensity, false_alarm_seeds, FALSE_ALARM_SEED0),
        measure_failure_rate(run, ewma_of_reciprocal_intensity, power_seeds, POWER_SEED0),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="False-alarm and detection rates of " + NAME)
    parser.add_argument("--seeds", type=int, default=1000, help="false-alarm seeds")
    parser.add_argument("--power-seeds", type=int, default=100)
    args = parser.parse_args(argv)
    for m in measure_rates(args.seeds, args.power_seeds):
        print(
            f"{m.check} {m.candidate:30s} seeds {m.seed0}..{m.seed0 + m.n_seeds - 1}: "
            f"{m.failures}/{m.decided} failed, rate {m.rate:.4f} "
            f"[95% CI {m.ci_low:.4f}, {m.ci_high:.4f}], |z| in [{m.min_statistic:.3g}, "
            f"{m.max_statistic:.3g}] vs {m.threshold:.3g}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
