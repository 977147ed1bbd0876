"""Old name of :mod:`validation.families`, kept only for the catalogue's bug modules.

``validation.catalogue.covariance_bugs`` and ``validation.catalogue.jump_bugs`` still import
``CovariancePath`` and ``JumpFit`` from here; new code imports :mod:`validation.families`.
Delete this module once those two imports name :mod:`validation.families`.
"""

from validation.families import CovariancePath, JumpFit

__all__ = ["CovariancePath", "JumpFit"]
