"""Execute the research notebooks and write them with their outputs for reading.

Usage::

    python notebooks/render.py --out DIR [--small] [--html] [NAME ...]

Each ``notebooks/NN_*.py`` (jupytext percent format; or only the NAMEs given, e.g.
``04_ewma_volume_clock``) is read, executed top to bottom in a fresh ``python3`` kernel whose
working directory is the repository root, and written to ``DIR/<name>.ipynb`` with its
outputs; with ``--html`` also to ``DIR/<name>.html`` (nbconvert).
``--small`` sets ``NOTEBOOK_SMALL=1`` in the kernel's environment, which each notebook reads to
pick smaller sizes (replications, MCMC draws, data span); without it the notebooks run at full
size. ``MPLBACKEND=Agg`` is always set. Progress goes to stderr. Exit status 1 when a notebook
raised (its partial output is still written).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

NOTEBOOK_DIR = Path(__file__).resolve().parent
REPO_ROOT = NOTEBOOK_DIR.parent
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}
CELL_TIMEOUT_S = 600
"""Upper bound on one cell's wall time, seconds (full-size MCMC cells take minutes)."""


def notebooks() -> list[Path]:
    """The notebook sources, ``notebooks/NN_*.py``, in numeric order."""
    return sorted(p for p in NOTEBOOK_DIR.glob("[0-9][0-9]_*.py"))


@contextmanager
def _kernel_env(small: bool) -> Iterator[None]:
    """Set NOTEBOOK_SMALL and MPLBACKEND for the kernel (it inherits this process's env)."""
    saved = {k: os.environ.get(k) for k in ("NOTEBOOK_SMALL", "MPLBACKEND")}
    os.environ["NOTEBOOK_SMALL"] = "1" if small else "0"
    os.environ["MPLBACKEND"] = "Agg"
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def execute(nb: nbformat.NotebookNode, *, small: bool, cell_timeout_s: int = CELL_TIMEOUT_S):
    """Execute ``nb`` (e.g. ``jupytext.read(path)``) in place, top to bottom; returns it.

    Raises:
        nbclient.exceptions.CellExecutionError: when a cell raises (``nb`` keeps the outputs
            up to and including that cell).
    """
    nb.metadata["kernelspec"] = KERNELSPEC
    client = NotebookClient(
        nb,
        kernel_name="python3",
        timeout=cell_timeout_s,
        resources={"metadata": {"path": str(REPO_ROOT)}},
    )
    with _kernel_env(small):
        client.execute()
    return nb


def _write(nb, out: Path, name: str, html: bool) -> None:
    nbformat.write(nb, out / f"{name}.ipynb")
    if html:
        from nbconvert import HTMLExporter

        body, _ = HTMLExporter().from_notebook_node(nb)
        (out / f"{name}.html").write_text(body, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    parser.add_argument("--small", action="store_true", help="small sizes (NOTEBOOK_SMALL=1)")
    parser.add_argument("--html", action="store_true", help="also write HTML via nbconvert")
    parser.add_argument("names", nargs="*", help="notebook names (default: all)")
    args = parser.parse_args(argv)
    chosen = [p for p in notebooks() if not args.names or p.stem in args.names]
    unknown = set(args.names) - {p.stem for p in chosen}
    if unknown:
        parser.error(f"unknown notebook(s): {', '.join(sorted(unknown))}")
    args.out.mkdir(parents=True, exist_ok=True)
    status = 0
    for path in chosen:
        name = path.stem
        print(f"[render] {name}: executing ({'small' if args.small else 'full'})", file=sys.stderr)
        start = time.perf_counter()
        nb = jupytext.read(path)
        try:
            execute(nb, small=args.small)
        except CellExecutionError as exc:
            status = 1
            print(f"[render] {name}: FAILED: {str(exc).splitlines()[0]}", file=sys.stderr)
        seconds = time.perf_counter() - start
        _write(nb, args.out, name, args.html)
        print(f"[render] {name}: {seconds:.1f} s -> {args.out / name}.ipynb", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
