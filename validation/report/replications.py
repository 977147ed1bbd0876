"""Per-replication table of an SBC check, from its typed
:class:`~validation.calibration.pit.ReplicationMoments` part(s) (found by type, read by
attribute): replication index, simulated theta, posterior mean and sd, z = (mean - theta) /
sd, each ranked statistic (PIT, rank, a test quantity's PIT) and the usable flag. The report
shows the first and last rows and writes every row to a CSV file beside it.

Example::

    >>> import numpy as np
    >>> from validation.calibration.pit import ReplicationMoments
    >>> from validation.results import CheckResult, Status
    >>> m = ReplicationMoments(np.array([2.0, 4.0]), np.array([2.5, 3.0]), np.array([0.5, 2.0]),
    ...                        ranked={"PIT": np.array([0.2, 0.7])})
    >>> r = CheckResult("sbc.x", Status.PASS, 0.1, 1.0, details={"replications": m})
    >>> (t,) = replication_tables(r)
    >>> t.header
    ('replication', 'theta', 'posterior_mean', 'posterior_sd', 'z', 'PIT', 'usable')
    >>> t.rows[0]
    (0, 2.0, 2.5, 0.5, 1.0, 0.2, True)
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from validation.calibration.pit import ReplicationMoments
from validation.report.plots import _slug
from validation.results import CheckResult

SHOWN = 5
"""Rows shown at each end of a table in the report."""


@dataclass(frozen=True)
class ReplicationTable:
    """All rows of one ReplicationMoments part; ``where`` is its path in the details."""

    check: str
    where: str
    header: tuple[str, ...]
    rows: tuple[tuple[int | float | bool, ...], ...]

    @property
    def shown(self) -> tuple[tuple[int | float | bool, ...] | None, ...]:
        """The first and last ``SHOWN`` rows, None where rows are left out."""
        if len(self.rows) <= 2 * SHOWN:
            return self.rows
        return (*self.rows[:SHOWN], None, *self.rows[-SHOWN:])

    def csv_name(self) -> str:
        where = "" if self.where == "replications" else "_" + _slug(self.where)
        return f"{_slug(self.check)}{where}_replications.csv"


def replication_tables(result: CheckResult) -> list[ReplicationTable]:
    """One table per ReplicationMoments part of ``result`` (none when it has no part)."""
    tables = []
    for where, m in result.parts(ReplicationMoments):
        names = tuple(m.ranked)
        header = ("replication", "theta", "posterior_mean", "posterior_sd", "z", *names, "usable")
        columns = [
            m.theta.tolist(),
            m.posterior_mean.tolist(),
            m.posterior_sd.tolist(),
            m.z.tolist(),
            *(m.ranked[k].tolist() for k in names),
        ]
        usable = m.usable_flags.tolist()
        rows = tuple(
            (k, *(float(c[k]) for c in columns), bool(usable[k])) for k in range(m.theta.size)
        )
        tables.append(ReplicationTable(result.name, where, header, rows))
    return tables


def write_csv(table: ReplicationTable, out_dir: Path) -> Path:
    """Every row of ``table`` as CSV (full float precision) in ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / table.csv_name()
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(table.header)
        writer.writerows(
            [repr(v) if isinstance(v, float) else v for v in row] for row in table.rows
        )
    return path
