"""Measured rejection rates of ``"sbc.jump_reliability"``: a calibrated classifier, the
production classifier and the known-bad classifiers it must catch.

Seeds seed0 .. seed0 + n - 1 for the calibrated (Bayes at the true parameters) and the
production classifier, with the resampling p-value's rejection counts at 0.001 (the check's
alpha), 0.01 and 0.05; the catalogue entries caught by the check plus ``CROSS_CHECKED`` (caught
by another check, which this one must also catch) over seeds 1000 .. 1000 + n - 1.

Command (README figures)::

    python -m validation.catalogue.jump_reliability_rates --seeds 200
"""

from __future__ import annotations

import argparse
import dataclasses

import numpy as np

from validation.calibration.sbc_jumps import NAME, calibrated_classifier, run_jump_reliability
from validation.candidates.jumps import soft_jumps
from validation.catalogue import CATALOGUE
from validation.catalogue.audit import power_table
from validation.catalogue.power import measure_power
from validation.families import Candidate
from validation.suite import checks_by_name

CROSS_CHECKED = ("jumps.binary_three_sigma",)
"""Catalogue entries caught by another check that ``sbc.jump_reliability`` must also catch."""
LEVELS = (0.001, 0.01, 0.05)


def rejection_counts(candidate: Candidate, seeds: range) -> dict[float, int]:
    """How many of ``seeds`` give a resampling p-value <= each of ``LEVELS``."""
    p_values = np.array(
        [run_jump_reliability(candidate, k).details["reliability"].p_value for k in seeds]
    )
    return {a: int(np.count_nonzero(p_values <= a)) for a in LEVELS}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=100)
    parser.add_argument("--seed0", type=int, default=0)
    args = parser.parse_args(argv)
    seeds = range(args.seed0, args.seed0 + args.seeds)
    for label, candidate in (
        ("Bayes classifier", calibrated_classifier),
        ("soft_jumps", soft_jumps),
    ):
        counts = rejection_counts(candidate, seeds)
        print(label + ": " + ", ".join(f"p <= {a:g}: {k}/{len(seeds)}" for a, k in counts.items()))
    by_name = {e.name: e for e in CATALOGUE}
    entries = [e for e in CATALOGUE if e.caught_by == NAME]
    entries += [dataclasses.replace(by_name[e], caught_by=NAME) for e in CROSS_CHECKED]
    print(power_table(measure_power(entries, checks_by_name(), args.seeds, 1_000)))


if __name__ == "__main__":
    main()
