"""Rates of the vectorised rank SBC on the catalogue's reference bugs, per test quantity.

False alarms of the combined verdict (Bonferroni over the quantities) on the correct JAX model
and detections of ``reference.loglik_latest_half``, each with the rejections of every test
quantity on its own (parameter rank vs log-likelihood rank)::

    python -m validation.catalogue.reference_rates --seeds 100 --power-seeds 100

Seeds as :mod:`validation.calibration.sbc_vectorised`: false alarms on 80000.., detections
on 1000.. (about 10 s per seed once compiled, 2 cores).
"""

from __future__ import annotations

import argparse

from validation.calibration.sbc_reference import QuantityRejections, rates_by_quantity
from validation.calibration.sbc_vectorised import (
    FALSE_ALARM_SEED0,
    POWER_SEED0,
    run_vectorised_ranks,
)
from validation.catalogue.reference_bugs import latest_half_jax_model


def measure(false_alarm_seeds: int, power_seeds: int) -> list[QuantityRejections]:
    """Correct model over ``false_alarm_seeds`` seeds (none when 0), then the latest-half
    likelihood over ``power_seeds`` seeds."""
    out = []
    if false_alarm_seeds > 0:
        out.append(
            rates_by_quantity(run_vectorised_ranks, None, false_alarm_seeds, FALSE_ALARM_SEED0)
        )
    if power_seeds > 0:
        out.append(
            rates_by_quantity(run_vectorised_ranks, latest_half_jax_model, power_seeds, POWER_SEED0)
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=100, help="false-alarm seeds (0: none)")
    parser.add_argument("--power-seeds", type=int, default=100)
    args = parser.parse_args(argv)
    for q in measure(args.seeds, args.power_seeds):
        print(q.line(), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
