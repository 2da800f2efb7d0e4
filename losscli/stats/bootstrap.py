"""Bootstrap confidence intervals of a ratio statistic: percentile and BCa.

Resampling draws N sample indices with replacement per resample and sums each
statistic's columns over them (see ratio.py and resampling.py). The intervals follow
Efron & Tibshirani, *An Introduction to the Bootstrap* (1993), §13.3 (percentile) and
§14.3, eqs. 14.10, 14.14, 14.15 (BCa), computed as ``scipy.stats.bootstrap`` computes them
(scipy 1.17, ``_bca_interval`` and ``stats.quantile(method="linear")``), so that the
same seed gives scipy's resamples and scipy's interval, to rounding (tests: 1e-12
relative) rather than to the bit, for three deliberate reasons:

- a resample's sums are counts @ columns (each sample times the number of times it was
  drawn), not sums of the gathered values as scipy's statistic takes them: the same
  numbers added in another order, and 2-4 times faster at N = 10^6;
- the jackknife of the BCa acceleration uses leave-one-out sums, O(N), where scipy
  recomputes N statistics of N - 1 samples, O(N^2);
- the normal cdf and quantile come from ``statistics.NormalDist`` (no scipy needed),
  where scipy uses ``special.ndtr`` / ``ndtri``: they agree to about 1 ulp.

Degenerate cases. When the resamples agree to 1e-9 relative (all per-sample values, or
all per-sample ratios, equal: the spread is rounding), the interval is [point, point] by
either method, where scipy's BCa gives NaN. A statistic that is not finite on the
samples or on some resample (a zero denominator), an undefined BCa correction (the point
value lies below or above every resample, so z0 is infinite; or 1 - a (z0 + z) <= 0) and
a non-finite jackknife value raise StatisticError (a ValueError) saying which: no NaN
bounds are returned.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from statistics import NormalDist
from typing import NamedTuple

import numpy as np

from .errors import StatisticError, StatsUsageError
from .ratio import Block, RatioStatistic, checked, column_layout, finished_values, leave_one_out_values, point_values
from .resampling import resampled_sums

METHODS = ("studentized", "bca", "percentile")
_STANDARD_NORMAL = NormalDist()
# Resamples that differ by less than this relative amount differ by the rounding of sums
# taken in another order, not by sampling: equal per-sample values give such a distribution.
_ROUNDING = 1e-9


class Interval(NamedTuple):
    """A bootstrap confidence interval and how it was made (resamples and seed reproduce it)."""

    low: float
    high: float
    level: float
    method: str
    resamples: int
    seed: int

    def to_dict(self) -> dict:
        return self._asdict()


def bootstrap_distribution(
    statistic: RatioStatistic, *, resamples: int = 2000, seed: int = 0, threads: int | None = None
) -> np.ndarray:
    """The statistic's value on each of ``resamples`` bootstrap resamples, in draw order.

    Resample r uses the indices of row r of ``np.random.default_rng(seed).integers(0, N,
    (resamples, N))``; the values equal scipy.stats.bootstrap's ``bootstrap_distribution``
    for the same seed, to rounding.
    """
    check_parameters(resamples=resamples, seed=seed, threads=threads)
    statistic = checked(statistic, "statistic", min_samples=2)
    columns, blocks = column_layout([statistic])
    return resampled_values([statistic], [1.0], columns, blocks, resamples, seed, threads)


def bootstrap_interval(
    statistic: RatioStatistic,
    *,
    level: float = 0.95,
    resamples: int = 2000,
    seed: int = 0,
    method: str = "studentized",
    threads: int | None = None,
) -> Interval:
    """A two-sided bootstrap interval of ``statistic.value()`` at confidence ``level``.

    method="studentized": the bootstrap-t interval (stats/studentized.py), the command line's default.
    method="percentile": the alpha and 1 - alpha quantiles of the bootstrap values,
    alpha = (1 - level) / 2. method="bca": the quantiles at
    alpha_1,2 = Phi(z0 + (z0 + z) / (1 - a (z0 + z))), z = Phi^-1(alpha), Phi^-1(1 - alpha),
    with the bias correction z0 = Phi^-1(share of resamples below the point value, ties
    counted half) and the acceleration a = sum U_i^3 / (6 (sum U_i^2)^(3/2)), U_i the
    jackknife influence values (Efron & Tibshirani 1993, eqs. 14.10, 14.14, 14.15; ties in
    z0 count half, as in scipy, where the book counts values strictly below). Quantiles are
    Hyndman & Fan's type 7 (linear), as NumPy's and scipy's defaults.

    ``threads`` sets how many threads sum the resamples; the result does not depend on it.
    """
    check_parameters(resamples=resamples, seed=seed, threads=threads, level=level, method=method)
    statistic = checked(statistic, "statistic", min_samples=2)
    return combined_interval([statistic], [1.0], level, resamples, seed, method, threads)[1]


def studentizable(statistics: Sequence[RatioStatistic]) -> bool:
    """Whether the studentized interval applies: every numerator one column (a root per output's
    numerator has C; then BCa is used)."""
    return all(np.ndim(statistic.numerator) == 1 for statistic in statistics)


def combined_interval(
    statistics: Sequence[RatioStatistic],
    coefficients: Sequence[float],
    level: float,
    resamples: int,
    seed: int,
    method: str,
    threads: int | None,
) -> tuple[list[float], Interval]:
    """Each statistic's point value, and the interval of sum_s coefficient_s * value_s.

    All statistics are resampled with the same indices (a paired bootstrap when there are two).
    """
    made = (float(level), method, int(resamples), int(seed))
    if method == "studentized" and studentizable(statistics):
        from .studentized import studentized_draws

        values, point, scale, t = studentized_draws(statistics, coefficients, resamples, seed, threads)
        if scale > 0 and np.isfinite(t).all():
            ordered_t = np.sort(t)
            alpha = (1 - level) / 2
            low = point - linear_quantile(ordered_t, 1 - alpha) * scale
            high = point - linear_quantile(ordered_t, alpha) * scale
            return values, Interval(float(low), float(high), *made)
    if method == "studentized":  # a root per output (no one variance), or no spread to studentize by: BCa
        method = "bca"
    columns, blocks = column_layout(statistics)
    values = point_values(statistics, columns, blocks)
    point = float(sum(c * v for c, v in zip(coefficients, values, strict=True)))
    distribution = resampled_values(statistics, coefficients, columns, blocks, resamples, seed, threads)
    ordered = np.sort(distribution)
    made = (float(level), method, int(resamples), int(seed))
    if ordered[-1] - ordered[0] <= _ROUNDING * max(abs(ordered[0]), abs(ordered[-1])):
        return values, Interval(point, point, *made)  # every resample agrees: nothing is uncertain
    alpha = (1 - level) / 2  # the same expression as scipy's, so the same bits
    if method == "percentile":
        probabilities = (alpha, 1 - alpha)
    else:
        jackknife = leave_one_out_values(statistics, columns, blocks, coefficients)
        probabilities = bca_probabilities(point, distribution, jackknife, alpha)
    low, high = (linear_quantile(ordered, p) for p in probabilities)
    return values, Interval(low, high, *made)


def resampled_values(
    statistics: Sequence[RatioStatistic],
    coefficients: Sequence[float],
    columns: np.ndarray,
    blocks: list[Block],
    resamples: int,
    seed: int,
    threads: int | None,
) -> np.ndarray:
    """sum_s coefficient_s * value_s on each bootstrap resample: (resamples,)."""
    n_samples = columns.shape[1]
    sums = resampled_sums(columns, resamples, seed, threads)
    combined = np.zeros(resamples)
    for statistic, block, coefficient in zip(statistics, blocks, coefficients, strict=True):
        combined += coefficient * finished_values(statistic, block, sums, n_samples)
    bad = np.count_nonzero(~np.isfinite(combined))
    if bad:
        raise StatisticError(
            f"{bad} of {resamples} resamples give a non-finite statistic "
            "(e.g. every sample drawn has a zero denominator); no interval"
        )
    return combined


def bca_probabilities(
    point: float, distribution: np.ndarray, jackknife: np.ndarray, alpha: float
) -> tuple[float, float]:
    """The BCa-adjusted quantile levels (alpha_1, alpha_2) (Efron & Tibshirani 1993, eq. 14.10)."""
    # z0: ties count half, as scipy's _percentile_of_score (kind="mean").
    below = np.count_nonzero(distribution < point) + np.count_nonzero(distribution <= point)
    share = below / (2 * len(distribution))
    if not 0 < share < 1:
        side = "below" if share == 0 else "above"
        raise StatisticError(
            f"the BCa interval is undefined: the point value lies {side} every bootstrap value "
            "(infinite bias correction); use method='percentile' or more samples"
        )
    z0 = _STANDARD_NORMAL.inv_cdf(share)
    # U_i = mean(theta_(.)) - theta_(i) (eq. 14.15); scipy scales U by N - 1, which cancels in a.
    influence = jackknife.mean() - jackknife
    spread = float(np.sum(influence**2))
    # All jackknife values equal: the jackknife sees no skewness, so no acceleration.
    acceleration = float(np.sum(influence**3)) / (6 * spread**1.5) if spread > 0 else 0.0
    z_alpha = _STANDARD_NORMAL.inv_cdf(alpha)
    probabilities = []
    for z in (z_alpha, -z_alpha):
        shrink = 1 - acceleration * (z0 + z)
        if shrink <= 0:
            raise StatisticError(
                f"the BCa interval is undefined: the acceleration {acceleration:.3g} is too large "
                "for this level; use method='percentile'"
            )
        probabilities.append(_STANDARD_NORMAL.cdf(z0 + (z0 + z) / shrink))
    return probabilities[0], probabilities[1]


def linear_quantile(ordered: np.ndarray, probability: float) -> float:
    """The probability-quantile of sorted values, Hyndman & Fan (1996) type 7 ("linear").

    Written as scipy.stats.quantile's ``_quantile_hf`` computes it (position p n + 1 - p,
    1-based), so that it gives scipy's bits.
    """
    n = len(ordered)
    p = np.float64(probability)
    position = p * n + (1 - p)  # 1-based: between ordered[floor - 1] and ordered[floor]
    lower = position // 1 - 1  # 0-based index of the lower neighbour
    weight = 0.0 if lower < 0 else position % 1
    lower_index = int(min(max(lower, 0), n - 1))
    upper_index = int(min(max(lower + 1, 0), n - 1))
    return float((1 - weight) * ordered[lower_index] + weight * ordered[upper_index])


def check_parameters(
    *, resamples: int, seed: int, threads: int | None, level: float = 0.95, method: str = "bca"
) -> None:
    """A clear StatsUsageError for a level outside (0, 1), no resamples, an unknown method, a bad seed."""
    if not isinstance(level, float | int) or not 0 < level < 1:
        raise StatsUsageError(f"level must be a number strictly between 0 and 1; got {level!r}")
    for name, value, least in (("resamples", resamples, 1), ("seed", seed, 0), ("threads", threads, 1)):
        if name == "threads" and value is None:
            continue
        try:
            if value is None:  # resamples or seed: None is not an integer either
                raise TypeError
            whole = operator.index(value)
        except TypeError:
            raise StatsUsageError(f"{name} must be an integer; got {value!r}") from None
        if whole < least or isinstance(value, bool):
            raise StatsUsageError(f"{name} must be an integer >= {least}; got {value!r}")
    if method not in METHODS:
        raise StatsUsageError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
