"""Intervals and paired tests over per-sample losses.

Every batch value is a ratio statistic, finish(sum_i a_i / sum_i b_i) (ratio.py). From
the per-sample arrays the engine already holds, this wing gives

- bootstrap_interval: a studentized (the default), BCa or percentile interval of one statistic
  (a statistic of many samples is first summed into buckets: buckets.py);
- paired_bootstrap, paired_permutation_test, paired_verdict: model A against model B on
  the same samples;
- diebold_mariano: the HLN-corrected Diebold-Mariano test for losses in time order
  (needs scipy, the extra ``losscli[stats]``; nothing else here does).

>>> from losscli.stats import RatioStatistic, bootstrap_interval
>>> interval = bootstrap_interval(RatioStatistic.mean([0.5, 1.5, 1.0, 2.0, 0.0, 0.7, 1.1, 0.2]), resamples=999, seed=1)
>>> interval.low < 0.875 < interval.high, interval.method, interval.resamples
(True, 'studentized', 999)

With five samples some resamples draw one sample five times: no spread to studentize by, so
the interval is BCa's (its ``method`` says so).
"""

from .bootstrap import METHODS, Interval, bootstrap_distribution, bootstrap_interval
from .diebold_mariano import DieboldMariano, diebold_mariano
from .errors import MissingExtraError, StatisticError, StatsUsageError
from .paired import (
    BETTER,
    NO_DIFFERENCE,
    WORSE,
    PairedDifference,
    PermutationTest,
    paired_bootstrap,
    paired_permutation_test,
    paired_verdict,
    permutation_distribution,
)
from .ratio import RatioStatistic, divided_by, identity, mean_of_roots, root_of_divided_by

__all__ = [
    "BETTER",
    "METHODS",
    "NO_DIFFERENCE",
    "WORSE",
    "DieboldMariano",
    "Interval",
    "MissingExtraError",
    "PairedDifference",
    "PermutationTest",
    "RatioStatistic",
    "StatisticError",
    "StatsUsageError",
    "bootstrap_distribution",
    "bootstrap_interval",
    "diebold_mariano",
    "divided_by",
    "identity",
    "mean_of_roots",
    "paired_bootstrap",
    "paired_permutation_test",
    "paired_verdict",
    "permutation_distribution",
    "root_of_divided_by",
]
