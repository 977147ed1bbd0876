"""The record of one known bug: what is wrong, where it came from, and which check must catch it."""

from __future__ import annotations

from dataclasses import dataclass

from validation.families import FAMILIES, Candidate

SOURCES = ("design V2 seed", "legacy V1", "production", "planted")


@dataclass(frozen=True)
class BugEntry:
    """A known-bad candidate and the check that must detect it.

    Attributes:
        name: unique identifier, e.g. ``"kappa.volume_weighted_counts"``.
        family: candidate family (one of ``validation.families.FAMILIES``); the candidate has
            that family's signature.
        flaw: one paragraph: what is wrong and why, with the formula.
        source: ``"design V2 seed"`` (the design document's code as written), ``"legacy V1"``
            (a bug the design set out to fix), ``"production"`` (a production bug listed in
            REFERENCE_FACTS.md) or ``"planted"`` (a plausible single-edit defect of the
            current code, with no recorded origin).
        candidate: the executable buggy candidate.
        caught_by: name of the check that must FAIL on it.
        min_detection: required fraction of seeds on which the check fails.

    Raises:
        ValueError: unknown family or source, or min_detection outside (0, 1].

    >>> from validation.catalogue.ewma_bugs import one_second_ewma
    >>> entry = BugEntry("ewma.example", "ewma", "1 s gaps assumed", "legacy V1",
    ...                  one_second_ewma, "exact.ewma_weights")
    >>> entry.min_detection
    0.99
    >>> BugEntry("x", "ewma", "f", "folklore", one_second_ewma,  # doctest: +ELLIPSIS
    ...          "exact.ewma_weights")
    Traceback (most recent call last):
    ValueError: source='folklore': must be one of (...)
    """

    name: str
    family: str
    flaw: str
    source: str
    candidate: Candidate
    caught_by: str
    min_detection: float = 0.99

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise ValueError(f"family={self.family!r}: must be one of {FAMILIES}")
        if self.source not in SOURCES:
            raise ValueError(f"source={self.source!r}: must be one of {SOURCES}")
        if not 0.0 < self.min_detection <= 1.0:
            raise ValueError(f"min_detection={self.min_detection!r}: must lie in (0, 1]")
