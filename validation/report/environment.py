"""Package versions and machine facts recorded in every report."""

from __future__ import annotations

import importlib.metadata
import platform
import sys

_PACKAGES = ("numpy", "scipy", "pymc", "pytensor", "arviz", "xarray", "nutpie", "matplotlib")


def package_versions() -> dict[str, str | None]:
    """Installed version of each package the results depend on (None if absent)."""
    versions: dict[str, str | None] = {}
    for name in _PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def environment() -> dict[str, object]:
    """Python, platform and package versions."""
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "packages": package_versions(),
    }
