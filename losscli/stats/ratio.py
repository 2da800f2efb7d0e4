"""The statistic every interval and test is about: finish(sum_i a_i / sum_i b_i).

Every batch value losscli computes has this form (design/reductions.md): ``a`` holds the
per-sample numerators, shape (N,) or (N, C); ``b`` the per-sample denominators, shape (N,);
``finish`` turns the ratio of the sums into the reported value. For example

- a plain mean over N samples: a = L, b = 1, finish = identity;
- ``--reduce all`` of C outputs: a = row sums of l, b = 1, finish = x / C;
- a weighted mean divided by the sum of the weights: a = w * L, b = w;
- ``--reduce none`` (a sum): a = L, b = 1 / N, so that a resample of N samples stays a sum;
- RMSE: finish = sqrt(x / C); scikit-learn's multi-output RMSE: a = l (N, C), b = 1,
  finish = mean over outputs of sqrt(x);
- WMAPE: a = row sums of |p - t|, b = row sums of |t|.

Resampling keeps each sample's numerator and denominator together, so a weighted mean is
resampled as a ratio estimator. Sums are taken over columns of a (k, N) matrix that stacks
the numerator columns (and the denominator, unless every sample has the same one), so the
point value, a resample and a leave-one-out value all come from one function of column sums.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np

from .errors import StatisticError, StatsUsageError

Finish = Callable[[np.ndarray], np.ndarray]


def identity(ratios: np.ndarray) -> np.ndarray:
    """The ratio itself: a mean, a weighted mean, a sum (b = 1/N), WMAPE."""
    return ratios


def divided_by(count: float) -> Finish:
    """x / count: ``--reduce all`` with count = C outputs."""
    return lambda ratios: ratios / count


def root_of_divided_by(count: float) -> Finish:
    """sqrt(x / count): RMSE of C outputs averaged together."""
    return lambda ratios: np.sqrt(ratios / count)


def mean_of_roots(ratios: np.ndarray) -> np.ndarray:
    """mean_j sqrt(x_j) over the last axis: scikit-learn's multi-output RMSE (a is (N, C), b = 1)."""
    return np.sqrt(ratios).mean(axis=-1)


class RatioStatistic(NamedTuple):
    """finish(sum_i numerator_i / sum_i denominator_i) over N samples.

    ``finish`` is vectorised: ratios of shape (R,) (a 1-D numerator) or (R, C) (a 2-D one)
    map to R values. A denominator that is the same for every sample (1, 1/N) is summed
    as N times that value.

    >>> RatioStatistic.mean([1.0, 2.0, 6.0]).value()
    3.0
    >>> RatioStatistic.mean([1.0, 2.0, 6.0], weights=[1.0, 1.0, 2.0]).value()
    3.75
    """

    numerator: np.ndarray
    denominator: np.ndarray
    finish: Finish = identity

    @classmethod
    def mean(cls, per_sample, weights=None, finish: Finish = identity) -> RatioStatistic:
        """The (weighted) mean of per-sample values: a = w L, b = w (w = 1 when not weighted)."""
        values = np.asarray(per_sample, dtype=np.float64)
        if weights is None:
            return cls(values, np.ones(len(values)), finish)
        weights = np.asarray(weights, dtype=np.float64)
        if weights.shape != values.shape[:1]:
            raise StatsUsageError(f"one weight per sample: got {weights.shape} weights for {values.shape[:1]} samples")
        scale = weights.reshape((-1,) + (1,) * (values.ndim - 1))
        return cls(values * scale, weights, finish)

    @property
    def n_samples(self) -> int:
        return len(self.denominator)

    def value(self) -> float:
        """The point value, computed exactly as the resampling code computes a resample."""
        statistic = checked(self, "statistic")
        columns, blocks = column_layout([statistic])
        return point_values([statistic], columns, blocks)[0]


class Block(NamedTuple):
    """Where one statistic's sums sit among the stacked columns."""

    numerator: slice  # rows of the column matrix holding the numerator's columns
    denominator: int | None  # row holding the denominators; None: every sample has `constant`
    constant: float
    outputs: int | None  # C for a 2-D numerator, None for a 1-D one


def checked(statistic: RatioStatistic, name: str, min_samples: int = 1) -> RatioStatistic:
    """The statistic with float64 arrays, or a clear error saying what is wrong with it."""
    if not isinstance(statistic, RatioStatistic):
        raise StatsUsageError(f"{name} must be a RatioStatistic, not {type(statistic).__name__}")
    numerator = np.asarray(statistic.numerator, dtype=np.float64)
    denominator = np.asarray(statistic.denominator, dtype=np.float64)
    if numerator.ndim not in (1, 2) or denominator.ndim != 1 or len(numerator) != len(denominator):
        raise StatsUsageError(
            f"{name}: the numerator must have shape (N,) or (N, C) and the denominator (N,); "
            f"got {numerator.shape} and {denominator.shape}"
        )
    if len(denominator) < min_samples:
        count = len(denominator)
        raise StatisticError(
            f"{name}: {count} sample{'s' if count != 1 else ''}; resampling needs at least {min_samples}"
        )
    if not callable(statistic.finish):
        raise StatsUsageError(f"{name}: finish must be a function of the ratios")
    for role, values in (("numerator", numerator), ("denominator", denominator)):
        bad = np.flatnonzero(~np.isfinite(values.reshape(len(values), -1)).all(axis=1))
        if len(bad):
            raise StatisticError(f"{name}: {len(bad)} samples have a non-finite {role} (the first: sample {bad[0]})")
    if (denominator < 0).any() or not denominator.sum() > 0:
        raise StatisticError(f"{name}: the denominators must be >= 0 with a positive sum (weights, counts, |t|)")
    return RatioStatistic(numerator, denominator, statistic.finish)


def common_value(values: np.ndarray) -> float | None:
    """The value every element has, or None when they differ."""
    first = values[0]
    return float(first) if (values == first).all() else None


def column_layout(
    statistics: Sequence[RatioStatistic], explicit_denominators: bool = False
) -> tuple[np.ndarray, list[Block]]:
    """The (k, N) matrix of every column that varies over samples, and each statistic's block.

    Columns are rows of a C-contiguous matrix, so that summing one over a resample's counts
    is one sequential pass over contiguous memory.
    """
    rows: list[np.ndarray] = []
    blocks: list[Block] = []
    for statistic in statistics:
        numerator = statistic.numerator
        outputs = None if numerator.ndim == 1 else numerator.shape[1]
        start = len(rows)
        rows.extend([numerator] if outputs is None else list(numerator.T))
        constant = common_value(statistic.denominator)
        if constant is None or explicit_denominators:
            blocks.append(Block(slice(start, len(rows)), len(rows), 0.0, outputs))
            rows.append(statistic.denominator)
        else:
            blocks.append(Block(slice(start, len(rows)), None, constant, outputs))
    return np.ascontiguousarray(np.stack(rows)), blocks


def finished_values(statistic: RatioStatistic, block: Block, sums: np.ndarray, n_samples: int) -> np.ndarray:
    """finish(numerator sums / denominator sums) for each row of ``sums`` (R, k): R values.

    ``n_samples`` is how many samples each row summed (N for a resample, N - 1 for a
    leave-one-out row): a constant denominator contributes n_samples times itself.
    """
    numerators = sums[:, block.numerator]
    if block.outputs is None:
        numerators = numerators[:, 0]
    if block.denominator is None:
        denominators = np.full(len(sums), n_samples * block.constant)
    else:
        denominators = sums[:, block.denominator]
    # A zero denominator or a finish outside its domain gives inf or nan, which callers report.
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = numerators / (denominators if block.outputs is None else denominators[:, None])
        values = np.asarray(statistic.finish(ratios), dtype=np.float64)
    if values.shape != (len(sums),):
        raise StatsUsageError(
            f"finish must map ratios of shape {ratios.shape} to shape ({len(sums)},); it gave {values.shape}"
        )
    return values


def point_values(statistics: Sequence[RatioStatistic], columns: np.ndarray, blocks: list[Block]) -> list[float]:
    """Each statistic's value on the original samples; a non-finite one is an error."""
    sums = columns.sum(axis=1)[None, :]
    n_samples = columns.shape[1]
    values = [float(finished_values(s, b, sums, n_samples)[0]) for s, b in zip(statistics, blocks, strict=True)]
    for value in values:
        if not np.isfinite(value):
            raise StatisticError(f"the statistic is not finite on these samples ({value}); check finish and the inputs")
    return values


def leave_one_out_values(
    statistics: Sequence[RatioStatistic], columns: np.ndarray, blocks: list[Block], coefficients: Sequence[float]
) -> np.ndarray:
    """The jackknife values theta_(i), i = 1..N, of sum_s coefficient_s * value_s, in O(N k).

    Leaving sample i out of a ratio of sums gives (S_a - a_i) / (S_b - b_i): one subtraction
    per sample and column, instead of N statistics of N - 1 samples (O(N^2), as a generic
    jackknife such as scipy's computes it).
    """
    sums = columns.sum(axis=1)
    left_out_sums = sums[None, :] - columns.T  # (N, k): row i is every sum without sample i
    n_samples = columns.shape[1]
    combined = np.zeros(n_samples)
    for statistic, block, coefficient in zip(statistics, blocks, coefficients, strict=True):
        combined += coefficient * finished_values(statistic, block, left_out_sums, n_samples - 1)
    if not np.isfinite(combined).all():
        first = int(np.flatnonzero(~np.isfinite(combined))[0])
        raise StatisticError(
            f"the BCa acceleration is undefined: leaving out sample {first} gives a non-finite statistic "
            "(e.g. a zero denominator); use method='percentile'"
        )
    return combined
