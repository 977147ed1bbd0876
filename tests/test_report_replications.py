"""Per-replication tables of the SBC checks (validation.report.replications)."""

from __future__ import annotations

import csv

import numpy as np

from validation.calibration.sbc_exact import ExactSbcSettings, run_kappa_pit
from validation.candidates.kappa import conjugate_kappa
from validation.endtoend.kappa_sbc import KappaSbcSettings, run_kappa_sbc
from validation.market.feed import run_unified
from validation.report.replications import SHOWN, replication_tables, write_csv
from validation.results import CheckResult, Status
from validation.scenarios import GammaPrior


def test_table_rows_are_the_check_numbers_and_the_csv_keeps_them_exactly(tmp_path):
    res = run_kappa_pit(conjugate_kappa, 3, settings=ExactSbcSettings(n_replications=150))
    (table,) = replication_tables(res)
    assert len(table.rows) == 150 and table.where == "replications"
    cols = {h: np.array([r[i] for r in table.rows]) for i, h in enumerate(table.header)}
    assert cols["PIT"].tolist() == res.details["pit"]  # the check's own PITs
    n = np.array(res.details["n_per_replication"])
    shape = GammaPrior().alpha + n  # exact posterior Gamma(a0 + n): mean / sd = sqrt(shape)
    np.testing.assert_allclose(cols["posterior_mean"] / cols["posterior_sd"], np.sqrt(shape))
    z = (cols["posterior_mean"] - cols["theta"]) / cols["posterior_sd"]
    np.testing.assert_array_equal(cols["z"], z)
    assert cols["usable"].all() and cols["replication"].tolist() == list(range(150))
    shown = table.shown
    assert len(shown) == 2 * SHOWN + 1 and shown[SHOWN] is None and shown[-1] == table.rows[-1]
    with write_csv(table, tmp_path).open() as fh:
        back = list(csv.reader(fh))
    assert tuple(back[0]) == table.header
    assert [float(r[1]) for r in back[1:]] == cols["theta"].tolist()


def test_each_checkpoint_of_the_end_to_end_sbc_gets_its_table():
    res = run_kappa_sbc(run_unified, 0, settings=KappaSbcSettings(n_replications=12))
    tables = replication_tables(res)
    assert [t.where for t in tables] == [f"per_checkpoint.{j}.replications" for j in range(3)]
    for j, t in enumerate(tables):
        pit = [r[t.header.index("PIT")] for r in t.rows]
        assert pit == res.details["per_checkpoint"][j]["pit"]
    assert len({t.csv_name() for t in tables}) == 3


def test_a_result_without_replication_moments_has_no_table():
    other = CheckResult(name="x", status=Status.PASS, statistic=0.0, threshold=1.0)
    assert replication_tables(other) == []
