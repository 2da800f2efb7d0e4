"""The statistics wing's errors: members of losscli's one exception family.

Each is also the builtin a Python caller would expect (``ValueError``, ``ImportError``),
so ``except ValueError`` works as well as ``except LossCliError``.
"""

from __future__ import annotations

from ..errors import InputError, LossCliError, UsageError


class StatisticError(InputError, ValueError):
    """The per-sample values give no finite statistic, or no defined interval or test.

    Examples: a denominator that sums to zero, a resample whose denominator is zero,
    a BCa interval whose bias correction is infinite, a loss differential with no variance.
    """


class StatsUsageError(UsageError, ValueError):
    """A parameter is out of range: a level outside (0, 1), no resamples, an unknown method."""


class MissingExtraError(LossCliError, ImportError):
    """A function needs the optional extra ``losscli[stats]`` (scipy), which is not installed."""
