"""Rank SBC on dask.distributed: identical to the serial path, resumable without recomputing,
known-bad prior fails, stores of other settings refused, CLI exit codes.

Recomputation is counted by the Dask scheduler's own transition log (tasks that went from
``processing`` to ``memory``), not by the runner's bookkeeping.
"""

from __future__ import annotations

import argparse
import json
import logging

import numpy as np
import pytest

from validation.calibration import RankSbcSettings, run_reference_ranks
from validation.calibration.distributed import (
    run_distributed_sbc,
    store_description,
    task_key,
)
from validation.calibration.sbc_recompute import recompute
from validation.calibration.sbc_reference import replication_record
from validation.calibration.sbc_store import (
    ReplicationResult,
    SbcStore,
    StoreError,
    StoreFormatError,
    StoreIntegrityError,
    StoreMismatchError,
    store_key,
)
from validation.results import Status
from validation.scenarios import GammaPrior

SEED = 7
N = 12
SETTINGS = RankSbcSettings(n_replications=N)
BAD = RankSbcSettings(n_replications=10, n_max=20, model_prior=GammaPrior(5.0, 5.0 / 25_000.0))


class Interrupted(Exception):
    pass


@pytest.fixture(scope="module")
def cluster():
    from dask.distributed import LocalCluster

    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=logging.ERROR,
    ) as c:
        yield c


def executed_keys(address: str) -> list[str]:
    """Keys the scheduler moved from processing to memory, in order (its transition log)."""
    from dask.distributed import Client

    def log(dask_scheduler) -> list[str]:
        return [
            str(t[0])
            for t in dask_scheduler.transition_log
            if t[1] == "processing" and t[2] == "memory"
        ]

    with Client(address) as client:
        return client.run_on_scheduler(log)


def test_interrupted_run_resumes_without_recomputing_and_equals_the_serial_run(
    cluster, tmp_path
) -> None:
    serial = run_reference_ranks(None, SEED, settings=SETTINGS)
    address = cluster.scheduler_address
    before = len(executed_keys(address))
    m = 5

    def stop_after_m(p) -> None:
        if p.done - p.from_store >= m:
            raise Interrupted

    with pytest.raises(Interrupted):
        run_distributed_sbc(
            SETTINGS, seed=SEED, scheduler=address, store_dir=tmp_path, progress=stop_after_m
        )
    stored = sorted(tmp_path.glob("rep-*.json"))
    assert len(stored) == m
    first = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in stored}
    assert not list(tmp_path.glob(".*.tmp"))
    done_first = set(SbcStore(tmp_path, store_description(SETTINGS, SEED)).load())

    mark = len(executed_keys(address))
    seen = []
    res = run_distributed_sbc(
        SETTINGS, seed=SEED, scheduler=address, store_dir=tmp_path, progress=seen.append
    )
    rerun_keys = executed_keys(address)[mark:]
    skey = store_key(store_description(SETTINGS, SEED))
    assert sorted(rerun_keys) == sorted(task_key(skey, k) for k in range(N) if k not in done_first)
    assert mark - before >= m  # the interrupted run did execute its m tasks
    for p in stored:  # stored records were not rewritten
        assert (p.read_bytes(), p.stat().st_mtime_ns) == first[p.name]
    assert seen[0].done == seen[0].from_store == m and seen[-1].done == N
    assert res.details["distributed"]["from_store"] == m

    # identical to the serial path: same ranks of every quantity, sizes, statistic and verdict
    assert list(res.details["quantities"]) == ["kappa", "loglik"]
    for name, part in serial.details["quantities"].items():
        np.testing.assert_array_equal(res.details["quantities"][name].ranks, part.ranks)
    assert res.details["n_per_replication"] == serial.details["n_per_replication"]
    assert res.details["unusable"] == serial.details["unusable"]
    for a, b in zip(
        vars(res.details["replications"]["kappa"]).values(),
        vars(serial.details["replications"]["kappa"]).values(),
        strict=True,
    ):  # theta, posterior mean and sd, ranks, usable flags
        np.testing.assert_equal(a, b)
    assert res.status is serial.status is Status.PASS
    assert res.statistic == serial.statistic
    assert json.loads(json.dumps(res.to_dict(), allow_nan=False))

    # extend N -> N + 3 with the same store, ranking kappa only (the quantities are not part
    # of the store key): only the 3 new replications run
    mark = len(executed_keys(address))
    more = RankSbcSettings(n_replications=N + 3, quantities=("kappa",))
    ext = run_distributed_sbc(more, seed=SEED, scheduler=address, store_dir=tmp_path)
    assert sorted(executed_keys(address)[mark:]) == sorted(task_key(skey, k) for k in (12, 13, 14))
    assert list(ext.details["quantities"]) == ["kappa"]
    kappa_ranks = ext.details["quantities"]["kappa"].ranks
    np.testing.assert_array_equal(kappa_ranks[:N], serial.details["quantities"]["kappa"].ranks)
    assert kappa_ranks.size == N + 3

    # recomputed from the store, no sampling: the extended run's verdict and ranks exactly,
    # and the log-likelihood quantity added on this kappa-only store gives the serial run's
    mark = len(executed_keys(address))
    again = recompute(tmp_path, quantities=["kappa"])
    assert (again.status, again.statistic) == (ext.status, ext.statistic)
    np.testing.assert_array_equal(again.details["quantities"]["kappa"].ranks, kappa_ranks)
    both = recompute(tmp_path)
    assert list(both.details["quantities"]) == ["kappa", "loglik"]
    np.testing.assert_array_equal(
        both.details["quantities"]["loglik"].ranks[:N], serial.details["quantities"]["loglik"].ranks
    )
    assert len(executed_keys(address)) == mark  # nothing ran on the cluster


def test_known_bad_prior_fails_on_a_local_cluster() -> None:
    """Model prior mean 25000 (10x) against kappa ~ Gamma(5, 5/2500), 1..20 distances:
    through the default LocalCluster path (one worker process)."""
    res = run_distributed_sbc(BAD, seed=SEED, n_workers=1)
    assert res.status is Status.FAIL and res.statistic > 1.0
    kappa = res.details["quantities"]["kappa"]
    assert kappa.uniformity.rejected
    assert np.median(kappa.ranks) < 50  # truth sits low in a posterior pulled up
    assert res.details["distributed"]["computed"] == list(range(BAD.n_replications))


def test_replication_inputs_follow_the_serial_stream_in_any_order() -> None:
    """The serial loop's draws (one generator, replications in order) written out here."""
    from validation.calibration._sbc import log_uniform_int
    from validation.calibration.sbc_reference import replication_inputs
    from validation.scenarios import simulate_kappa

    s = RankSbcSettings(n_replications=10)
    rng = np.random.default_rng(SEED)
    expected = []
    for _ in range(10):
        n = log_uniform_int(rng, s.n_min, s.n_max)
        expected.append(simulate_kappa(rng, s.simulation_prior.draw(rng), n))
    seeds = np.random.SeedSequence([SEED, 0x73626372]).generate_state(10)
    for k in (5, 2, 5, 9, 0, 6):
        data, mcmc_seed = replication_inputs(k, s, SEED)
        assert data.kappa == expected[k].kappa and mcmc_seed == seeds[k]
        np.testing.assert_array_equal(data.distances, expected[k].distances)


def test_store_of_other_settings_or_seed_is_refused(tmp_path) -> None:
    SbcStore(tmp_path, store_description(SETTINGS, SEED))
    with pytest.raises(StoreMismatchError, match=r"settings\.n_max: store has 500"):
        SbcStore(tmp_path, store_description(RankSbcSettings(n_max=20), SEED))
    with pytest.raises(StoreMismatchError, match="seed: store has 7, this run has 8"):
        SbcStore(tmp_path, store_description(SETTINGS, SEED + 1))
    # N and the test level do not change any replication: same key, the store is extended
    assert store_key(store_description(SETTINGS, SEED)) == store_key(
        store_description(RankSbcSettings(n_replications=500, alpha=0.01), SEED)
    )


def _record(k: int, rank: int, usable: bool = True) -> ReplicationResult:
    """A record whose kappa rank among its 99 stored draws is ``rank`` (truth 2500)."""
    draws = {"kappa": np.arange(1.0, 100.0) * 2500.0 / (rank + 0.5)}
    reasons = () if usable else ("ess_bulk[kappa]=12 < 99",)
    distances = {"distances": np.full(17, 1 / 3 * 1e-3)}
    return replication_record(
        k, 99, reasons, 400.0, {"kappa": 2500.0}, distances, draws, seconds=0.1,
        sampling_seconds=0.05,
    )  # fmt: skip


def test_store_records_round_trip_exactly(tmp_path) -> None:
    store = SbcStore(tmp_path, {"a": 1})
    for r in (_record(3, 40, usable=False), _record(4, 7)):
        store.append(r)
    loaded = SbcStore(tmp_path, {"a": 1}).load()
    assert loaded == {3: _record(3, 40, usable=False), 4: _record(4, 7)}
    assert loaded[3].draws is None and len(loaded[4].draws["kappa"]) == 99


def _store_of(directory, seed: int, ranks: list[int]) -> SbcStore:
    """A store of SETTINGS and ``seed`` holding one usable record per rank."""
    store = SbcStore(directory, store_description(SETTINGS, seed))
    for k, rank in enumerate(ranks):
        store.append(_record(k, rank))
    return store


def _edit(path, edit) -> None:
    envelope = json.loads(path.read_text())
    edit(envelope)
    path.write_text(json.dumps(envelope, sort_keys=True))


def _copy_from_other_seed(directory, tmp_path) -> None:
    other = _store_of(tmp_path / "other", SEED + 1, [0, 0, 0, 0, 0])
    for p in sorted(other.directory.glob("rep-*.json")):  # overwrites 0..2, adds 3..4
        (directory / p.name).write_bytes(p.read_bytes())


def _renumber(directory, tmp_path) -> None:
    """Record 1 moved over record 2 with its index edited (and its hash left alone)."""
    _edit(directory / "rep-000001.json", lambda e: e["record"].update(k=2))
    (directory / "rep-000001.json").replace(directory / "rep-000002.json")


def _rename_only(directory, tmp_path) -> None:
    """Record 1 copied to replication 2's file name, content untouched (hash still valid)."""
    (directory / "rep-000002.json").write_bytes((directory / "rep-000001.json").read_bytes())


def _flip_usable(directory, tmp_path) -> None:
    _edit(directory / "rep-000000.json", lambda e: e["record"].update(usable=False, draws=None))


def _edit_draws(directory, tmp_path) -> None:
    """Draws scaled so that the truth ranks 50 instead of 10."""
    _edit(directory / "rep-000000.json", lambda e: e["record"]["draws"].update(
        kappa=[x * 10.5 / 50.5 for x in e["record"]["draws"]["kappa"]]))  # fmt: skip


def _truncate(directory, tmp_path) -> None:
    path = directory / "rep-000001.json"
    path.write_bytes(path.read_bytes()[:20])


def _edit_manifest(directory, tmp_path) -> None:
    manifest = json.loads((directory / "manifest.json").read_text())
    manifest["description"]["seed"] = SEED + 1
    (directory / "manifest.json").write_text(json.dumps(manifest))


TAMPERING = {
    "records copied from another seed's store": (_copy_from_other_seed, "record of another store"),
    "record index edited": (_renumber, "does not match its sha256"),
    "record under another index's file name": (_rename_only, "holds replication 1, not its"),
    "usable flag edited": (_flip_usable, "does not match its sha256"),
    "thinned draws edited": (_edit_draws, "does not match its sha256"),
    "truncated record": (_truncate, "unreadable"),
    "manifest description edited": (_edit_manifest, "not the hash of its description"),
}


@pytest.mark.parametrize("name", list(TAMPERING))
def test_a_tampered_store_is_refused_by_the_store_the_runner_and_the_cli(
    name, tmp_path, capsys
) -> None:
    from validation.calibration.cli import run

    directory = tmp_path / "store"
    _store_of(directory, SEED, [10, 50, 90])
    assert set(SbcStore(directory, store_description(SETTINGS, SEED)).load()) == {0, 1, 2}
    tamper, message = TAMPERING[name]
    tamper(directory, tmp_path)
    with pytest.raises(StoreIntegrityError, match=message):
        SbcStore(directory, store_description(SETTINGS, SEED)).load()
    # the runner refuses before starting any cluster (no scheduler exists at this address)
    with pytest.raises(StoreIntegrityError, match=message):
        run_distributed_sbc(SETTINGS, seed=SEED, scheduler="tcp://127.0.0.1:1", store_dir=directory)
    assert run(_cli_args(replications=N, seed=SEED, store=directory)) == 64
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_records_without_a_manifest_are_refused(tmp_path) -> None:
    _store_of(tmp_path, SEED, [10, 50, 90])
    (tmp_path / "manifest.json").unlink()
    with pytest.raises(StoreIntegrityError, match=r"3 records but no manifest\.json"):
        SbcStore(tmp_path, store_description(SETTINGS, SEED))
    assert not (tmp_path / "manifest.json").exists()  # not adopted under this run's settings


def test_an_untampered_store_loads_every_record(tmp_path) -> None:
    """Control for the tampering tests: every record loads and recomputes to its ranks."""
    _store_of(tmp_path, SEED, [10, 50, 90])
    loaded = SbcStore(tmp_path, store_description(SETTINGS, SEED)).load()
    assert sorted(loaded) == [0, 1, 2]
    res = recompute(tmp_path, quantities=["kappa"])
    assert res.details["quantities"]["kappa"].ranks.tolist() == [10, 50, 90]
    assert res.details["recomputed"]["from_store"] == 3


def _old_format_store(directory) -> None:
    """A store as the version before draws were kept wrote it: records with a rank and no
    truth, data or draws (valid hashes and key)."""
    store = _store_of(directory, SEED, [10, 50, 90])
    for k in range(3):
        path = store.path(k)
        envelope = json.loads(path.read_text())
        record = {
            f: v for f, v in envelope["record"].items() if f not in ("truth", "data", "draws")
        }
        record["rank"] = 10
        envelope["record"] = record
        envelope["sha256"] = store_key({"key": envelope["key"], "record": record})
        path.write_text(json.dumps(envelope, sort_keys=True))


def test_an_old_store_without_draws_is_refused_naming_what_is_missing(tmp_path, capsys) -> None:
    from validation.calibration.cli import run

    _old_format_store(tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    message = "record has no truth, data, draws"
    with pytest.raises(StoreFormatError, match=message):
        recompute(tmp_path)
    with pytest.raises(StoreFormatError, match=message):  # a run refuses too, before sampling
        run_distributed_sbc(SETTINGS, seed=SEED, scheduler="tcp://127.0.0.1:1", store_dir=tmp_path)
    assert run(_cli_args(store=tmp_path, recompute=True)) == 64
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before  # nothing re-sampled


def test_recompute_changes_level_quantities_and_thinning_without_sampling(tmp_path, capsys) -> None:
    from validation.calibration.cli import run

    ranks = [int(r) for r in np.random.default_rng(3).integers(0, 100, 40)]
    _store_of(tmp_path, SEED, ranks)
    base = recompute(tmp_path, quantities=["kappa"])
    assert base.details["quantities"]["kappa"].ranks.tolist() == ranks
    assert base.details["alpha"] == SETTINGS.alpha and base.details["n_ranked_draws"] == 99
    loose = recompute(tmp_path, quantities=["kappa"], alpha=0.5)
    assert loose.details["quantities"]["kappa"].level == 0.5
    # L' = 9 of the 99 stored draws, evenly spaced: draw positions 0, 12, 24, ..., 98 (the
    # draws increase with their index, so the rank is how many of those lie below the truth)
    thin = recompute(tmp_path, quantities=["kappa"], n_ranked=9)
    kept = np.round(np.linspace(0, 98, 9)).astype(int)
    assert thin.details["quantities"]["kappa"].ranks.tolist() == [
        int(np.count_nonzero(kept < r)) for r in ranks
    ]
    # the moments are of the same 9 draws: (kept + 1) * 2500 / (rank + 0.5)
    moments = thin.details["replications"]["kappa"]
    scale = 2500.0 / (np.array(ranks) + 0.5)
    np.testing.assert_allclose(moments.posterior_mean, scale * np.mean(kept + 1.0), rtol=1e-12)
    np.testing.assert_allclose(moments.posterior_sd, scale * np.std(kept + 1.0, ddof=1), rtol=1e-12)
    assert moments.ranked["rank"].tolist() == thin.details["quantities"]["kappa"].ranks.tolist()
    with pytest.raises(ValueError, match="keeps 99 thinned draws"):
        recompute(tmp_path, n_ranked=100)
    with pytest.raises(ValueError, match="not a test quantity"):
        recompute(tmp_path, quantities=["kappa_s"])
    assert run(_cli_args(store=tmp_path, recompute=True, quantities="kappa", thin=9)) in (0, 1)
    out = capsys.readouterr().out
    assert "recomputed from" in out and "L = 9" in out and "quantity kappa" in out
    assert run(_cli_args(store=tmp_path, recompute=True, thin=22)) == 64  # 23 bins: none
    assert run(_cli_args(recompute=True)) == 64
    assert "--recompute needs --store" in capsys.readouterr().err
    (tmp_path / "rep-000005.json").unlink()
    with pytest.raises(StoreError, match=r"replications \[5\] missing"):
        recompute(tmp_path)


def _cli_args(**kw) -> argparse.Namespace:
    from validation.calibration.cli import add_parser

    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers(dest="command"))
    argv = ["sbc"] + [f"--{k.replace('_', '-')}={v}" for k, v in kw.items() if v is not True]
    argv += [f"--{k.replace('_', '-')}" for k, v in kw.items() if v is True]
    return parser.parse_args(argv)


def test_cli_fails_the_bad_prior_and_prints_the_summary(cluster, tmp_path, capsys) -> None:
    from validation.calibration.cli import run

    args = _cli_args(
        replications=10, n_max=20, seed=SEED, bad_prior=True, scheduler=cluster.scheduler_address
    )
    assert run(args) == 1
    out = capsys.readouterr()
    assert "verdict: FAIL" in out.out and "chi-square p-value" in out.out
    assert "ranks    0-" in out.out
    assert "sbc 10/10" in out.err
    # a store from the good prior refuses the bad-prior settings: usage error
    SbcStore(tmp_path, store_description(RankSbcSettings(n_replications=2), SEED))
    args_bad = _cli_args(replications=2, seed=SEED, store=tmp_path, bad_prior=True)
    assert run(args_bad) == 64
    assert "model_prior.beta" in capsys.readouterr().err


@pytest.mark.slow
def test_jax_chunks_fan_out_and_give_the_single_program_ranks(cluster) -> None:
    """Chunks of vectorised replications on the cluster: the verdict of the one-program run
    and, replication by replication, its ranks (every replication k has the same inputs)."""
    from validation.calibration.sbc_vectorised import run_vectorised_ranks

    jax_settings = RankSbcSettings(n_replications=40, backend="jax")
    single = run_vectorised_ranks(None, SEED, settings=jax_settings)
    fanned = run_distributed_sbc(
        jax_settings, seed=SEED, scheduler=cluster.scheduler_address, chunk_size=20
    )
    assert fanned.details["distributed"]["chunk_size"] == 20
    assert len(fanned.details["distributed"]["computed"]) == 40
    assert fanned.status is single.status
    for name, part in single.details["quantities"].items():
        np.testing.assert_array_equal(fanned.details["quantities"][name].ranks, part.ranks)
