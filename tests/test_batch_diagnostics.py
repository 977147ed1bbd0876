"""The vectorised diagnostics equal ArviZ's, fit by fit, on draws that exercise every branch
of the estimators (autocorrelated, anti-correlated, stuck, heavy-tailed, discrete, constant,
odd and short chains, NaN)."""

import arviz as az
import numpy as np
import pytest

from reference_models.batch_diagnostics import diagnose_batch


def _ar1(rng: np.random.Generator, shape: tuple[int, ...], phi: float) -> np.ndarray:
    x = np.zeros(shape)
    e = rng.normal(size=shape)
    for t in range(1, shape[-1]):
        x[..., t] = phi * x[..., t - 1] + e[..., t]
    return x


def _cases() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(20261201)
    constant = rng.normal(size=(6, 2, 40))
    constant[2] = 1.0
    constant[3, 1] = 5.0  # one chain constant, the other not
    return {
        "normal": rng.normal(size=(10, 2, 1000)),
        "ar1_0.95_odd_4_chains": _ar1(rng, (10, 4, 301), 0.95),
        "anti_correlated": _ar1(rng, (10, 2, 200), -0.7),
        "cauchy": rng.standard_cauchy(size=(10, 2, 200)),
        "stuck_chain": np.concatenate(
            [rng.normal(size=(10, 1, 100)), rng.normal(3.0, 1.0, size=(10, 1, 100))], axis=1
        ),
        "discrete": rng.integers(0, 3, size=(10, 2, 60)).astype(float),
        "constant": constant,
        "nine_draws": rng.normal(size=(10, 2, 9)),
    }


def _arviz(fits: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rhat = [az.rhat(f, method="rank") for f in fits]
    bulk = [az.ess(f, method="bulk") for f in fits]
    tail = [az.ess(f, method="tail") for f in fits]
    return tuple(np.asarray(v, dtype=float) for v in (rhat, bulk, tail))


@pytest.mark.parametrize("case", list(_cases()))
def test_rhat_and_ess_equal_arviz_fit_by_fit(case):
    draws = _cases()[case]
    expected = _arviz(draws)
    got = diagnose_batch(draws)
    names = ("rhat", "ess_bulk", "ess_tail")
    for name, want in zip(names, expected, strict=True):
        have = getattr(got, name)
        np.testing.assert_allclose(have, want, rtol=1e-10, equal_nan=True, err_msg=name)


def test_a_fit_with_a_nan_draw_gets_nan_and_the_others_are_unaffected():
    draws = np.random.default_rng(3).normal(size=(3, 2, 50))
    clean = diagnose_batch(draws)
    draws[1, 0, 7] = np.nan
    d = diagnose_batch(draws)
    for name in ("rhat", "ess_bulk", "ess_tail"):
        have, want = getattr(d, name), getattr(clean, name)
        assert np.isnan(have[1])
        np.testing.assert_array_equal(have[[0, 2]], want[[0, 2]])


def test_leading_axes_are_kept():
    draws = np.random.default_rng(4).normal(size=(2, 3, 2, 40))
    d = diagnose_batch(draws)
    assert d.rhat.shape == d.ess_bulk.shape == d.ess_tail.shape == (2, 3)
    np.testing.assert_allclose(d.ess_bulk[1], diagnose_batch(draws[1]).ess_bulk)


@pytest.mark.parametrize("shape", [(2, 3), (5, 1, 100), (5, 2)])
def test_too_few_chains_or_draws_are_refused(shape):
    with pytest.raises(ValueError, match="draws: shape"):
        diagnose_batch(np.zeros(shape))
