"""The fit cache: hits reproduce the original fit exactly without sampling, every input of the
fit changes the key, and damaged entries are misses, never crashes or half-loaded results."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import os
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import arviz as az
import numpy as np
import pymc as pm
import pytensor
import pytest

from reference_models import fit_cache, sampling
from reference_models.base import ReferenceModel
from reference_models.cache import build_once
from reference_models.fit_cache import CachedFitResult, cached_fit, fit_key
from reference_models.sampling import ConvergenceGate, FitResult, SamplerSettings

BUILD = {"prior_alpha": 5.0, "prior_beta": 0.002}
SETTINGS = SamplerSettings(draws=300, tune=300, chains=2, backend="pymc")
GATE = ConvergenceGate(min_ess_bulk=100, min_ess_tail=100)
SEED = 11
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def model() -> ReferenceModel:
    return build_once("gamma_exponential", **BUILD)


@pytest.fixture(scope="module")
def distances() -> np.ndarray:
    return np.random.default_rng(7).exponential(1 / 2000.0, 40)


def key_of(model, data, *, seed=SEED, settings=SETTINGS, gate=GATE, build_key=BUILD) -> str:
    return fit_key(model, data, seed=seed, settings=settings, gate=gate, build_key=build_key)


def call(model, data, cache_dir, **overrides) -> CachedFitResult:
    kwargs = {"seed": SEED, "settings": SETTINGS, "gate": GATE, "build_key": BUILD}
    return cached_fit(model, data, cache_dir=cache_dir, **(kwargs | overrides))


@pytest.fixture(scope="module")
def stored(model, distances, tmp_path_factory):
    """One real fit stored in a cache directory: (first result, second result, directory)."""
    directory = tmp_path_factory.mktemp("fit_cache")
    first = call(model, {"distances": distances}, directory)
    patch = pytest.MonkeyPatch()
    patch.setattr(sampling, "fit", _refuse)
    try:
        second = call(model, {"distances": distances}, directory)
    finally:
        patch.undo()
    return first, second, directory


def _refuse(*args, **kwargs):
    raise AssertionError("sampling.fit called on a cache hit")


def assert_same_fit(result: FitResult, original: FitResult) -> None:
    assert result.idata.groups() == original.idata.groups()
    for group in original.idata.groups():
        assert result.idata[group].identical(original.idata[group]), group
    for name, draws in original.idata.posterior.data_vars.items():
        loaded = result.idata.posterior[name].values
        assert loaded.dtype == draws.values.dtype
        assert loaded.tobytes() == draws.values.tobytes()
    assert result.diagnostics == original.diagnostics
    assert result.diagnostics.to_dict() == original.diagnostics.to_dict()


# --- miss, then hit -----------------------------------------------------------------------------


def test_miss_then_hit_returns_the_original_fit_without_sampling(stored):
    first, second, directory = stored
    assert first.cache.status == "miss" and not first.cache.hit
    assert second.cache.status == "hit" and second.cache.hit
    assert first.cache.key == second.cache.key
    assert second.cache.entry == directory / f"{first.cache.key}.json"
    assert sorted(p.name for p in directory.iterdir()) == sorted(
        [f"{first.cache.key}.json", f"{first.cache.key}.nc"]
    )
    assert isinstance(second, FitResult)
    assert (second.seed, second.settings) == (SEED, SETTINGS)
    assert second.diagnostics.sampling_seconds == first.diagnostics.sampling_seconds
    assert_same_fit(second, first)


def test_a_hit_is_what_sampling_afresh_gives(model, distances, stored):
    """Fits are deterministic, so the cached draws equal a new uncached fit's draws."""
    first, second, _ = stored
    fresh = call(model, {"distances": distances}, None)
    assert fresh.cache.status == "disabled" and fresh.cache.entry is None
    assert fresh.cache.key == first.cache.key
    np.testing.assert_array_equal(
        second.idata.posterior["kappa"].values, fresh.idata.posterior["kappa"].values
    )


def test_no_cache_dir_always_samples_and_writes_nothing(model, distances, monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr(sampling, "fit", lambda *a, **k: calls.append(1) or _stub())
    monkeypatch.chdir(tmp_path)
    for _ in range(2):
        assert call(model, {"distances": distances}, None).cache.status == "disabled"
    assert len(calls) == 2
    assert list(tmp_path.iterdir()) == []


def _stub() -> FitResult:
    """A stand-in fit result (only for tests where nothing is stored)."""
    return FitResult(idata=az.InferenceData(), diagnostics=None, seed=SEED, settings=SETTINGS)


# --- the key ------------------------------------------------------------------------------------


def test_equal_inputs_give_equal_keys(model, distances):
    base = key_of(model, {"distances": distances})
    assert len(base) == 64 and int(base, 16) >= 0
    assert key_of(model, {"distances": distances.copy()}) == base
    # prepare() fills in the defaults and casts to float64: the fit, hence the key, is the same
    assert key_of(model, {"distances": list(distances), "prior_alpha": 5}) == base
    assert key_of(model, {"distances": distances}, build_key=dict(reversed(BUILD.items()))) == base
    if importlib.util.find_spec("nutpie") is None:
        auto = dataclasses.replace(SETTINGS, backend="auto")
        assert key_of(model, {"distances": distances}, settings=auto) == base


def _changed_inputs(distances):
    d = {"distances": distances}
    bumped = distances.copy()
    bumped[17] = np.nextafter(bumped[17], 1.0)
    return {
        "one ulp in one distance": ({"distances": bumped}, {}),
        "one distance fewer": ({"distances": distances[:-1]}, {}),
        "prior_alpha given as data": (d | {"prior_alpha": 6.0}, {}),
        "prior_beta given as data": (d | {"prior_beta": 0.0021}, {}),
        "seed": (d, {"seed": SEED + 1}),
        "draws": (d, {"settings": dataclasses.replace(SETTINGS, draws=301)}),
        "tune": (d, {"settings": dataclasses.replace(SETTINGS, tune=301)}),
        "chains": (d, {"settings": dataclasses.replace(SETTINGS, chains=3)}),
        "target_accept": (d, {"settings": dataclasses.replace(SETTINGS, target_accept=0.91)}),
        "cores": (d, {"settings": dataclasses.replace(SETTINGS, cores=2)}),
        "gate max_rhat": (d, {"gate": dataclasses.replace(GATE, max_rhat=1.02)}),
        "gate min_ess_bulk": (d, {"gate": dataclasses.replace(GATE, min_ess_bulk=101)}),
        "gate min_ess_tail": (d, {"gate": dataclasses.replace(GATE, min_ess_tail=101)}),
        "gate max_divergences": (d, {"gate": dataclasses.replace(GATE, max_divergences=1)}),
        "build_key value": (d, {"build_key": BUILD | {"prior_beta": 0.003}}),
        "build_key int vs float": (d, {"build_key": BUILD | {"prior_alpha": 5}}),
        "build_key missing": (d, {"build_key": None}),
    }


@pytest.mark.parametrize("change", list(_changed_inputs(np.zeros(20))))
def test_each_input_changes_the_key(model, distances, change):
    data, overrides = _changed_inputs(distances)[change]
    assert key_of(model, data, **overrides) != key_of(model, {"distances": distances})


def test_a_model_built_with_another_prior_has_another_key(model, distances):
    other_build = {"prior_alpha": 6.0, "prior_beta": 0.002}
    other = build_once("gamma_exponential", **other_build)
    base = key_of(model, {"distances": distances})
    assert key_of(other, {"distances": distances}, build_key=other_build) != base
    # even a caller who forgets the build key: the prepared default prior differs
    assert key_of(other, {"distances": distances}, build_key=BUILD) != base


def test_model_name_and_graph_change_the_key(model, distances, monkeypatch):
    base = key_of(model, {"distances": distances})
    edited = _edited_model(model)
    assert edited.name == model.name and edited.data_keys == model.data_keys
    assert key_of(edited, {"distances": distances}) != base
    monkeypatch.setattr(model, "name", "gamma_exponential_v2")
    assert key_of(model, {"distances": distances}) != base


def _edited_model(model: ReferenceModel) -> ReferenceModel:
    """Same name, inputs and prior as ``model``, another likelihood (Gamma(2, kappa))."""
    with pm.Model() as edited:
        a0 = pm.Data("prior_alpha", BUILD["prior_alpha"])
        b0 = pm.Data("prior_beta", BUILD["prior_beta"])
        distances = pm.Data("distances", np.zeros(0))
        kappa = pm.Gamma("kappa", alpha=a0, beta=b0)
        pm.Gamma("distances_obs", alpha=2.0, beta=kappa, observed=distances)
    return ReferenceModel(model.name, edited, list(model.fields.values()))


@pytest.mark.parametrize(
    "module", [np, pm, pytensor, az], ids=["numpy", "pymc", "pytensor", "arviz"]
)
def test_a_package_version_changes_the_key(model, distances, module, monkeypatch):
    base = key_of(model, {"distances": distances})
    monkeypatch.setattr(module, "__version__", module.__version__ + ".post1")
    assert key_of(model, {"distances": distances}) != base


def test_resolving_to_nutpie_and_its_version_change_the_key(model, distances, monkeypatch):
    """nutpie need not be installed: resolution and the module are faked."""
    base = key_of(model, {"distances": distances})
    monkeypatch.setattr(fit_cache, "resolve_backend", lambda backend: "nutpie")
    monkeypatch.setitem(sys.modules, "nutpie", types.SimpleNamespace(__version__="0.15.0"))
    with_nutpie = key_of(model, {"distances": distances})
    monkeypatch.setitem(sys.modules, "nutpie", types.SimpleNamespace(__version__="0.15.1"))
    assert len({base, with_nutpie, key_of(model, {"distances": distances})}) == 3


def test_unhashable_build_key_values_are_refused(model, distances):
    with pytest.raises(TypeError, match="cannot hash"):
        key_of(model, {"distances": distances}, build_key={"prior": object()})


def test_a_subprocess_computes_the_same_key(model, distances, tmp_path):
    np.save(tmp_path / "d.npy", distances)
    script = textwrap.dedent(
        f"""
        import numpy as np
        from reference_models.cache import build_once
        from reference_models.fit_cache import fit_key
        from reference_models.sampling import ConvergenceGate, SamplerSettings
        model = build_once("gamma_exponential", **{BUILD!r})
        print(fit_key(model, {{"distances": np.load({str(tmp_path / "d.npy")!r})}},
                      seed={SEED}, settings={SETTINGS!r}, gate={GATE!r}, build_key={BUILD!r}))
        """
    )
    env = os.environ | {"PYTHONPATH": str(REPO), "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        check=True,
        timeout=120,
    )
    assert out.stdout.strip().splitlines()[-1] == key_of(model, {"distances": distances})


# --- damaged entries ----------------------------------------------------------------------------


@pytest.fixture
def damaged(stored, tmp_path, monkeypatch):
    """A copy of the stored entry in tmp_path; sampling.fit returns the original result."""
    first, _, directory = stored
    for path in directory.iterdir():
        (tmp_path / path.name).write_bytes(path.read_bytes())
    calls = []

    def fake_fit(*args, **kwargs):
        calls.append(1)
        return FitResult(first.idata, first.diagnostics, first.seed, first.settings)

    monkeypatch.setattr(sampling, "fit", fake_fit)
    return first, tmp_path, calls


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _flip_a_byte(path: Path) -> None:
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    path.write_bytes(bytes(raw))


def _other_valid_netcdf(path: Path) -> None:
    """A well-formed file with other draws (e.g. a concurrent writer's or a stale entry)."""
    with az.rc_context({"data.load": "eager"}):
        idata = az.from_netcdf(path)
    idata.posterior["kappa"] = idata.posterior["kappa"] * 2.0
    idata.to_netcdf(str(path))


def _invalid_diagnostics(path: Path) -> None:
    record = json.loads(path.read_text())
    record["diagnostics"] = {"rhat": {}}
    path.write_text(json.dumps(record))


def _edit_record(path: Path, edit) -> None:
    record = json.loads(path.read_text())
    edit(record)
    path.write_text(json.dumps(record, sort_keys=True, indent=1))


def _mark_usable(path: Path) -> None:
    """The verdict flips when the gate's flag is edited: the record hash must catch it."""
    _edit_record(path, lambda r: r["diagnostics"].update(usable=not r["diagnostics"]["usable"]))


def _edit_divergences(path: Path) -> None:
    _edit_record(
        path, lambda r: r["diagnostics"].update(divergences=r["diagnostics"]["divergences"] + 7)
    )


def _edit_rhat(path: Path) -> None:
    _edit_record(path, lambda r: r["diagnostics"]["rhat"].update(kappa=1.0))


def _edit_manifest_and_rehash(path: Path) -> None:
    """A consistent record (hash recomputed) whose manifest is not the key's."""

    def edit(record):
        record["manifest"]["seed"] += 1
        body = {k: v for k, v in record.items() if k != "record_sha256"}
        record["record_sha256"] = fit_cache._digest(body)

    _edit_record(path, edit)


@pytest.mark.parametrize(
    ("suffix", "damage"),
    [
        (".nc", _truncate),
        (".nc", _flip_a_byte),
        (".nc", Path.unlink),
        (".nc", _other_valid_netcdf),
        (".json", _truncate),
        (".json", _invalid_diagnostics),
        (".json", _mark_usable),
        (".json", _edit_divergences),
        (".json", _edit_rhat),
        (".json", _edit_manifest_and_rehash),
    ],
    ids=[
        "truncated nc",
        "flipped nc byte",
        "missing nc",
        "other valid nc",
        "truncated json",
        "bad diagnostics",
        "edited usable flag",
        "edited divergences",
        "edited rhat",
        "manifest of another key",
    ],
)
def test_a_damaged_entry_is_a_miss_with_a_warning_and_is_repaired(
    model, distances, damaged, suffix, damage
):
    first, directory, calls = damaged
    damage(directory / f"{first.cache.key}{suffix}")
    with pytest.warns(UserWarning, match="unreadable, refitting"):
        result = call(model, {"distances": distances}, directory)
    assert result.cache.status == "miss" and calls == [1]
    again = call(model, {"distances": distances}, directory)
    assert again.cache.status == "hit" and calls == [1]
    assert_same_fit(again, first)


def test_an_entry_copied_under_another_key_is_a_miss(model, distances, damaged):
    """Another seed's key names the copied files: the record is bound to its own key."""
    first, directory, calls = damaged
    other = key_of(model, {"distances": distances}, seed=SEED + 1)
    for suffix in (".nc", ".json"):
        src = directory / f"{first.cache.key}{suffix}"
        (directory / f"{other}{suffix}").write_bytes(src.read_bytes())
    with pytest.warns(UserWarning, match="another key"):
        result = call(model, {"distances": distances}, directory, seed=SEED + 1)
    assert result.cache.status == "miss" and calls == [1]


def test_an_undamaged_copy_is_a_hit(model, distances, damaged):
    """Control for the damage tests: the copied entry itself loads."""
    _, directory, calls = damaged
    assert call(model, {"distances": distances}, directory).cache.status == "hit"
    assert calls == []


def test_a_crash_before_the_json_is_written_leaves_no_loadable_entry(
    model, distances, damaged, monkeypatch
):
    first, directory, calls = damaged
    for path in directory.iterdir():
        path.unlink()
    real_replace = os.replace

    def crash_on_json(src, dst):
        if str(dst).endswith(".json"):
            raise OSError("disk full")
        real_replace(src, dst)

    monkeypatch.setattr(fit_cache.os, "replace", crash_on_json)
    with pytest.warns(UserWarning, match="not stored: disk full"):
        result = call(model, {"distances": distances}, directory)
    assert result.cache.status == "miss" and result.cache.entry is None
    assert [p.name for p in directory.iterdir()] == [f"{first.cache.key}.nc"]  # no temp files
    monkeypatch.setattr(fit_cache.os, "replace", real_replace)
    assert call(model, {"distances": distances}, directory).cache.status == "miss"
    assert calls == [1, 1]
    assert call(model, {"distances": distances}, directory).cache.status == "hit"
