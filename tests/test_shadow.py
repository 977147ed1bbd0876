"""Shadow mode V1 vs V2: summary vs numpy, kappas vs closed forms, report files, CLI."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from online.conjugate_kappa import ConjugateKappaConfig
from online.legacy import VolumeWeightedKappaConfig
from validation.data.lobster import load_lobster
from validation.data.replay import day_until, timestamps_ms
from validation.data.trade_distances import trade_distances
from validation.shadow import cli as shadow_cli
from validation.shadow import run_shadow, summarize, write_shadow_report
from validation.shadow.run import WARM_UP_MS

DATA = Path(__file__).resolve().parents[2] / "shared/data/lobster"
AAPL = DATA / "LOBSTER_SampleFile_AAPL_2012-06-21_1.zip"
needs_aapl = pytest.mark.skipif(not AAPL.exists(), reason=f"LOBSTER sample not found at {AAPL}")
GAMMA, HORIZON_S, FEE = 1000.0, 60.0, 1e-5


def numpy_summary(frame: pd.DataFrame, warm_up_ms: int = WARM_UP_MS) -> dict:
    """The shadow summary recomputed from the columns with numpy only."""
    k1, k2 = frame["kappa_v1"].to_numpy(), frame["kappa_v2"].to_numpy()
    s1, s2 = frame["sigma_v1"].to_numpy(), frame["sigma_v2"].to_numpy()
    h1, h2 = frame["half_spread_v1_bps"].to_numpy(), frame["half_spread_v2_bps"].to_numpy()
    ok_k = np.isfinite(k1) & np.isfinite(k2)
    ok_s = np.isfinite(s1) & np.isfinite(s2) & (s1 > 0)
    ok_h = np.isfinite(h1) & np.isfinite(h2)
    out = {}
    for key, values in (
        ("log_kappa_ratio", np.log(k2[ok_k]) - np.log(k1[ok_k])),
        ("sigma_ratio", s2[ok_s] / s1[ok_s]),
        ("half_spread_diff_bps", h2[ok_h] - h1[ok_h]),
    ):
        q05, med, q95 = np.percentile(values, [5, 50, 95])
        out[key] = {"median": med, "q05": q05, "q95": q95, "n": values.size}
    diff = h2[ok_h] - h1[ok_h]
    out["fraction"] = np.mean(np.abs(diff) > 0.5)
    times = frame["time_ms"].to_numpy()[ok_h]
    late = times >= times.min() + warm_up_ms
    order = np.argsort(-np.abs(diff[late]), kind="stable")[:5]
    out["largest_times"] = times[late][order].tolist()
    out["largest_diffs"] = diff[late][order].tolist()
    return out


def assert_summary_matches(summary: dict, frame: pd.DataFrame) -> None:
    ref = numpy_summary(frame, summary["warm_up_ms"])
    for key in ("log_kappa_ratio", "sigma_ratio", "half_spread_diff_bps"):
        for stat in ("median", "q05", "q95"):
            assert summary[key][stat] == pytest.approx(ref[key][stat], rel=1e-12, abs=1e-15)
        assert summary[key]["n"] == ref[key]["n"]
    assert summary["fraction_quotes_differ"] == pytest.approx(ref["fraction"], abs=1e-15)
    largest = summary["largest_differences"]
    assert [row["time_ms"] for row in largest] == ref["largest_times"]
    assert [row["diff_bps"] for row in largest] == pytest.approx(ref["largest_diffs"], rel=1e-12)


def test_summary_on_a_hand_made_frame() -> None:
    rng = np.random.default_rng(7)
    n = 200
    frame = pd.DataFrame(
        {
            "time_ms": 34_200_000 + 1000 * np.arange(n),
            "kappa_v1": rng.uniform(2000, 9000, n),
            "kappa_v2": rng.uniform(2000, 9000, n),
            "sigma_v1": rng.uniform(1e-5, 2e-4, n),
            "sigma_v2": rng.uniform(1e-5, 2e-4, n),
            "half_spread_v1_bps": rng.normal(2.0, 1.0, n),
            "half_spread_v2_bps": rng.normal(2.0, 1.0, n),
        }
    )
    frame.loc[:9, ["kappa_v1", "sigma_v2", "half_spread_v1_bps"]] = np.nan  # warm-up NaNs
    summary = summarize(frame, warm_up_ms=0)
    assert_summary_matches(summary, frame)
    assert summary["log_kappa_ratio"]["n"] == n - 10
    late = summarize(frame, warm_up_ms=60_000)
    assert_summary_matches(late, frame)
    first_quoted = frame["time_ms"][10]
    assert all(r["time_ms"] >= first_quoted + 60_000 for r in late["largest_differences"])
    # a known-bad summary (NaNs not dropped) would not match: nanless count differs
    assert np.isnan(np.percentile(np.log(frame["kappa_v2"] / frame["kappa_v1"]), 50))


def test_summary_fraction_and_largest_are_exact() -> None:
    frame = pd.DataFrame(
        {
            "time_ms": [1000, 2000, 3000, 4000],
            "kappa_v1": [1.0, 1.0, 1.0, 1.0],
            "kappa_v2": [1.0, math.e, 1.0, 1.0],
            "sigma_v1": [1.0, 2.0, 1.0, 1.0],
            "sigma_v2": [1.0, 1.0, 1.0, 1.0],
            "half_spread_v1_bps": [1.0, 1.0, 1.0, 1.0],
            "half_spread_v2_bps": [1.4, 0.4, 2.0, 1.5],  # diffs 0.4, -0.6, 1.0, 0.5
        }
    )
    s = summarize(frame, warm_up_ms=0)
    assert s["fraction_quotes_differ"] == 0.5  # 0.5 itself is not > 0.5
    assert [r["time"] for r in s["largest_differences"][:2]] == ["00:00:03.000", "00:00:02.000"]
    assert s["log_kappa_ratio"]["q95"] == pytest.approx(0.85)  # linear: 0.95 * 3 = 2.85 -> 0.85


# ---------------------------------------------------------------- real data
@pytest.fixture(scope="module")
def aapl_30min():
    day = load_lobster(AAPL)
    return day_until(day, day.messages["time_s"][0] + 1800.0)


@pytest.fixture(scope="module")
def shadow(aapl_30min):
    return run_shadow(
        aapl_30min, gamma=GAMMA, horizon_s=HORIZON_S, fee=FEE, book_interval_ms=0, every_ms=2000
    )


@needs_aapl
def test_real_summary_equals_numpy_recomputation(aapl_30min, shadow) -> None:
    t = timestamps_ms(aapl_30min)
    grid = np.arange(-(-t[0] // 2000) * 2000, t[-1] + 1, 2000)
    np.testing.assert_array_equal(shadow.frame["time_ms"], grid)
    assert_summary_matches(shadow.summary, shadow.frame)


@needs_aapl
def test_real_half_spreads_follow_glft(shadow) -> None:
    f = shadow.frame
    for v in ("v1", "v2"):
        k, s = f[f"kappa_{v}"].to_numpy(), f[f"sigma_{v}"].to_numpy()
        expected = 1e4 * (np.log1p(GAMMA / k) / GAMMA + 0.5 * GAMMA * s**2 * HORIZON_S + FEE)
        np.testing.assert_allclose(f[f"half_spread_{v}_bps"], expected, rtol=1e-12)
    assert np.isfinite(f[["half_spread_v1_bps", "half_spread_v2_bps"]].to_numpy()[60:]).all()


def _window_kappas(day, frame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """V2 (count) and V1 (volume-weighted) posterior means over (t - w, t], and whether the
    window's trade sizes differ, at each sample's last event time t, from trade_distances."""
    td = trade_distances(day)
    v2_cfg, v1_cfg = ConjugateKappaConfig(), VolumeWeightedKappaConfig()
    assert v2_cfg.window_ms == v1_cfg.window_ms and v2_cfg.min_distance == v1_cfg.min_distance
    d = np.maximum(td.distance, v2_cfg.min_distance)
    v = td.size.astype(np.float64)
    k2, k1, mixed = [], [], []
    for t in frame["last_event_ms"].to_numpy():
        w = (td.time_ms > t - v2_cfg.window_ms) & (td.time_ms <= t)
        k2.append((v2_cfg.prior_alpha + w.sum()) / (v2_cfg.prior_beta + d[w].sum()))
        k1.append((v1_cfg.prior_alpha + v[w].sum()) / (v1_cfg.prior_beta + (v[w] * d[w]).sum()))
        mixed.append(w.any() and np.ptp(v[w]) > 0)
    return np.array(k2), np.array(k1), np.array(mixed)


@needs_aapl
def test_real_kappas_equal_count_and_volume_weighted_closed_forms(aapl_30min, shadow) -> None:
    k2, k1, mixed = _window_kappas(aapl_30min, shadow.frame)
    np.testing.assert_allclose(shadow.frame["kappa_v2"], k2, rtol=1e-9)
    np.testing.assert_allclose(shadow.frame["kappa_v1"], k1, rtol=1e-9)
    # where the window holds trades of different sizes, volume weighting moves kappa
    rel = np.abs(shadow.frame["kappa_v1"] / shadow.frame["kappa_v2"] - 1.0).to_numpy()
    assert mixed.mean() > 0.95
    assert (rel[mixed] > 1e-3).mean() > 0.95


@needs_aapl
def test_unit_sizes_make_v1_and_v2_kappa_equal(aapl_30min) -> None:
    """Known-bad input for the check above: with every size 1 the two kappas coincide."""
    day = day_until(aapl_30min, aapl_30min.messages["time_s"][0] + 300.0)
    msgs = day.messages.copy()
    msgs["size"] = 1
    ones = dataclasses.replace(day, messages=msgs)
    f = run_shadow(ones, book_interval_ms=0, every_ms=5000).frame
    np.testing.assert_allclose(f["kappa_v1"], f["kappa_v2"], rtol=1e-12)


@needs_aapl
def test_report_files(shadow, tmp_path: Path) -> None:
    paths = write_shadow_report(shadow, tmp_path)
    payload = json.loads(paths["json"].read_text())
    assert payload["summary"]["log_kappa_ratio"]["median"] == pytest.approx(
        shadow.summary["log_kappa_ratio"]["median"], rel=1e-15
    )
    assert payload["replay_stats"] == shadow.replay_stats
    assert payload["summary"]["settings"]["gamma"] == GAMMA
    md = paths["md"].read_text()
    assert "ln(kappa_v2 / kappa_v1)" in md and "| trades_fed |" in md
    assert paths["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _cli(argv: list[str]) -> int:
    from validation import cli

    return cli.main(argv)


def test_cli_missing_directory(tmp_path: Path, capsys) -> None:
    code = _cli(
        [
            "shadow",
            "--data",
            str(tmp_path / "nope"),
            "--ticker",
            "AAPL",
            "--out",
            str(tmp_path / "out"),
        ]
    )
    assert code == 64
    assert "not a directory" in capsys.readouterr().err


def test_cli_missing_archive(tmp_path: Path, capsys) -> None:
    (tmp_path / "LOBSTER_SampleFile_GOOG_2012-06-21_1.zip").write_bytes(b"")
    code = _cli(
        ["shadow", "--data", str(tmp_path), "--ticker", "AAPL", "--out", str(tmp_path / "out")]
    )
    assert code == 64
    err = capsys.readouterr().err
    assert "no LOBSTER archive for AAPL" in err and "GOOG_2012-06-21_1.zip" in err


@needs_aapl
def test_cli_end_to_end(tmp_path: Path, capsys) -> None:
    code = _cli(
        [
            "shadow",
            "--data",
            str(DATA),
            "--ticker",
            "AAPL",
            "--out",
            str(tmp_path),
            "--minutes",
            "2",
            "--fee-bps",
            "0.1",
        ]
    )
    assert code == 0
    captured = capsys.readouterr()
    assert "replayed" in captured.err and "wrote" in captured.out
    payload = json.loads((tmp_path / "shadow.json").read_text())
    assert payload["summary"]["settings"]["fee_bps"] == pytest.approx(0.1)
    day = load_lobster(AAPL)
    t = timestamps_ms(day_until(day, day.messages["time_s"][0] + 120.0))
    assert payload["summary"]["n_samples"] == len(
        np.arange(-(-t[0] // 1000) * 1000, t[-1] + 1, 1000)
    )


def test_find_archive_picks_deepest_or_requested(tmp_path: Path) -> None:
    for levels in (1, 5, 10):
        (tmp_path / f"LOBSTER_SampleFile_GOOG_2012-06-21_{levels}.zip").write_bytes(b"")
    assert shadow_cli.find_archive(tmp_path, "GOOG", None).stem.endswith("_10")
    assert shadow_cli.find_archive(tmp_path, "goog", 5).stem.endswith("_5")
    with pytest.raises(FileNotFoundError):
        shadow_cli.find_archive(tmp_path, "GOOG", 2)
