"""The two third-party warnings the command line silences, and nothing else.

On a fresh install ``python -m validation audit`` would otherwise print, besides its own
progress and result:

- ArviZ's once-a-day ``FutureWarning`` announcing its refactor ("ArviZ is undergoing a major
  refactor ..."), raised by ``import arviz``: it is about ArviZ's future API, not about these
  results;
- PyTensor's ``UserWarning`` "PyTensor could not link to a BLAS installation", raised when
  no BLAS headers are installed: it concerns speed only (``.ci/run`` installs
  libopenblas-dev, which removes its cause).

Each filter matches one message, category and module; every other warning (other
FutureWarnings, numerical RuntimeWarnings, PyMC sampler warnings) is shown as usual. The filters
apply inside :func:`validation.cli.main` only, not when the package is imported as a library.

Example::

    with known_third_party_warnings_silenced():
        import arviz  # no refactor FutureWarning
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator

SILENCED: tuple[tuple[str, type[Warning], str], ...] = (
    (r"\s*ArviZ is undergoing a major refactor", FutureWarning, r"arviz(\.|$)"),
    (r"PyTensor could not link to a BLAS installation", UserWarning, r"pytensor(\.|$)"),
)
"""(message regex, category, module regex) of each silenced warning."""


@contextlib.contextmanager
def known_third_party_warnings_silenced() -> Iterator[None]:
    """Ignore exactly the warnings in :data:`SILENCED` inside the block; filters restored after."""
    with warnings.catch_warnings():
        for message, category, module in SILENCED:
            warnings.filterwarnings("ignore", message=message, category=category, module=module)
        yield
