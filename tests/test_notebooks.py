"""The research notebooks execute top to bottom on small data and draw at least one figure.

Each ``notebooks/NN_*.py`` (jupytext percent format) runs in a fresh ``python3`` kernel through
``notebooks/render.py``'s :func:`execute` (nbclient; working directory the repository root;
``NOTEBOOK_SMALL=1``, ``MPLBACKEND=Agg``), with a per-cell time bound. The LOBSTER notebook is
skipped, with the reason, when the data directory is absent.
"""

from __future__ import annotations

import importlib.util
import os
import time
from pathlib import Path

import nbformat
import pytest
from nbclient.exceptions import CellExecutionError

REPO_ROOT = Path(__file__).resolve().parent.parent
CELL_TIMEOUT_S = 120
"""Per-cell bound in SMALL mode on a shared 2-core machine (cells take a few seconds)."""
NEEDS_LOBSTER = {"05_lobster_calibration_audit"}


def _load_render():
    spec = importlib.util.spec_from_file_location(
        "notebook_render", REPO_ROOT / "notebooks" / "render.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


render = _load_render()


def _lobster_missing() -> str | None:
    """Why the LOBSTER notebook cannot run, or None when its level-1 archives are present."""
    from validation.realdata.market_kappa import TICKERS, level1_archive

    data = Path(os.environ.get("LOBSTER_DIR", REPO_ROOT.parent / "shared" / "data" / "lobster"))
    if not data.is_dir() or not all(level1_archive(data, t) for t in TICKERS):
        return f"LOBSTER level-1 archives of {TICKERS} not found in {data} (set LOBSTER_DIR)"
    return None


def _png_count(nb: nbformat.NotebookNode) -> int:
    return sum(
        "image/png" in out.get("data", {})
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
    )


def _errors(nb: nbformat.NotebookNode) -> list[str]:
    return [
        f"{out.get('ename')}: {out.get('evalue')}"
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]


def _code_notebook(*sources: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])


def test_at_least_five_notebooks():
    names = [p.stem for p in render.notebooks()]
    assert len(names) >= 5, names


@pytest.mark.parametrize("path", render.notebooks(), ids=lambda p: p.stem)
def test_notebook_executes_and_draws(path: Path):
    if path.stem in NEEDS_LOBSTER and (reason := _lobster_missing()):
        pytest.skip(reason)
    import jupytext

    nb = jupytext.read(path)
    start = time.perf_counter()
    render.execute(nb, small=True, cell_timeout_s=CELL_TIMEOUT_S)
    seconds = time.perf_counter() - start
    print(f"{path.stem}: {seconds:.1f} s")
    assert _errors(nb) == []
    assert _png_count(nb) >= 1, f"{path.stem} produced no image/png output"
    assert any(
        "SMALL=True" in out.get("text", "") for c in nb.cells for out in c.get("outputs", [])
    ), "the kernel did not see NOTEBOOK_SMALL=1"


def test_execution_catches_errors_and_missing_figures():
    """The assertions above can fail: a raising cell raises, a text-only notebook has no PNG."""
    broken = _code_notebook("x = 1", "raise RuntimeError('boom')")
    with pytest.raises(CellExecutionError, match="boom"):
        render.execute(broken, small=True, cell_timeout_s=CELL_TIMEOUT_S)
    assert _errors(broken) == ["RuntimeError: boom"]
    plain = _code_notebook("print('no figure here')")
    render.execute(plain, small=True, cell_timeout_s=CELL_TIMEOUT_S)
    assert _png_count(plain) == 0 and _errors(plain) == []


TINY_NOTEBOOK = """# %%
import os

import matplotlib.pyplot as plt

# %matplotlib inline
print("SMALL" if os.environ.get("NOTEBOOK_SMALL") == "1" else "FULL")
fig, ax = plt.subplots()
ax.plot([0, 1], [0, 1])
plt.show()
"""


def test_render_command_writes_ipynb_and_html(tmp_path: Path, monkeypatch):
    """``render.main`` on a tiny notebook (the real ones are executed above)."""
    source = tmp_path / "src"
    source.mkdir()
    (source / "01_tiny.py").write_text(TINY_NOTEBOOK, encoding="utf-8")
    monkeypatch.setattr(render, "NOTEBOOK_DIR", source)
    out = tmp_path / "out"
    assert render.main(["--out", str(out), "--small", "--html"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["01_tiny.html", "01_tiny.ipynb"]
    nb = nbformat.read(out / "01_tiny.ipynb", as_version=4)
    assert _png_count(nb) == 1
    assert nb.cells[0].outputs[0]["text"] == "SMALL\n"
    assert "data:image/png;base64" in (out / "01_tiny.html").read_text(encoding="utf-8")
    with pytest.raises(SystemExit):
        render.main(["--out", str(out), "no_such_notebook"])
