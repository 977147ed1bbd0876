"""The command line silences exactly two known third-party warnings, and shows the others."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

SCRIPT = """
import sys, warnings
from validation.cli_warnings import known_third_party_warnings_silenced
silence = sys.argv[1] == "silence"
with known_third_party_warnings_silenced() if silence else warnings.catch_warnings():
    import arviz
    import pytensor
    pytensor.config.blas__ldflags
    warnings.warn("an unrelated future change", FutureWarning)
    warnings.warn("PyTensor could not link to a BLAS installation (lookalike)", UserWarning)
"""


def _stderr(mode: str, cache: Path) -> str:
    """Fresh interpreter with an empty ArviZ cache, so its once-a-day warning is due."""
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, mode],
        cwd=REPO,
        env={**os.environ, "XDG_CACHE_HOME": str(cache)},
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return proc.stderr


def test_only_the_arviz_refactor_and_blas_warnings_are_silenced(tmp_path: Path) -> None:
    shown = _stderr("show", tmp_path / "a")
    assert "ArviZ is undergoing a major refactor" in shown  # the warning is real here
    quiet = _stderr("silence", tmp_path / "b")
    assert "ArviZ is undergoing" not in quiet
    assert "PyTensor could not link to a BLAS installation." not in quiet  # shown without BLAS
    assert "an unrelated future change" in quiet
    assert "(lookalike)" in quiet  # same message from another module: not silenced
