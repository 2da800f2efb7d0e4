"""Two models on the same samples: the difference of their values, its interval, a paired test, a verdict.

Model A's and model B's statistics share the N samples. The paired bootstrap resamples
both with the same indices; the paired permutation test swaps, sample by sample at
random, which model each sample's numerator and denominator belong to, and recomputes
both finished values (for a plain mean this is the classic sign-flip test on the
per-sample differences). Lower loss is better: a negative difference A - B favours A.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .bootstrap import Interval, check_parameters, combined_interval
from .errors import StatisticError, StatsUsageError
from .ratio import RatioStatistic, checked, column_layout, common_value, finished_values, point_values
from .resampling import all_swaps, map_batches, random_swaps

BETTER = "better"
WORSE = "worse"
NO_DIFFERENCE = "no significant difference"

# Null values within this relative distance of the observed one count as ties (scipy's
# permutation_test uses the same 100 eps): sums in another order must not make a tie "less extreme".
_TIE_TOLERANCE = 100 * np.finfo(np.float64).eps


class PairedDifference(NamedTuple):
    """value_a - value_b and its paired bootstrap interval."""

    difference: float
    value_a: float
    value_b: float
    interval: Interval

    def to_dict(self) -> dict:
        return {**self._asdict(), "interval": self.interval.to_dict()}


class PermutationTest(NamedTuple):
    """A two-sided paired permutation test of value_a = value_b.

    ``resamples`` is the number of swap patterns compared: the ``resamples`` asked for, or
    2^N when that is no more and every pattern was enumerated (``exact``).
    """

    difference: float
    p_value: float
    resamples: int
    seed: int
    exact: bool

    def to_dict(self) -> dict:
        return self._asdict()


def paired_bootstrap(
    a: RatioStatistic,
    b: RatioStatistic,
    *,
    level: float = 0.95,
    resamples: int = 2000,
    seed: int = 0,
    method: str = "studentized",
    threads: int | None = None,
) -> PairedDifference:
    """value_a - value_b and its bootstrap interval, both models resampled with the same indices.

    The interval is bootstrap_interval's (studentized, BCa or percentile) applied to the difference;
    the studentized one's standard error is the difference's own (its linearisation sums both
    models' influence per sample), and the jackknife of the BCa acceleration leaves sample i out of
    both models at once.
    """
    check_parameters(resamples=resamples, seed=seed, threads=threads, level=level, method=method)
    a, b = checked(a, "model A", min_samples=2), checked(b, "model B", min_samples=2)
    _same_samples(a, b)
    (value_a, value_b), interval = combined_interval([a, b], [1.0, -1.0], level, resamples, seed, method, threads)
    return PairedDifference(value_a - value_b, value_a, value_b, interval)


def permutation_distribution(
    a: RatioStatistic, b: RatioStatistic, *, resamples: int = 2000, seed: int = 0, threads: int | None = None
) -> np.ndarray:
    """value_a - value_b after each random swap pattern: the permutation null distribution.

    Pattern r swaps sample i when the lowest bit of element (r, i) of
    ``np.random.default_rng(seed).integers(0, 2**32, (resamples, N), dtype=np.uint32)`` is 0,
    which is what scipy.stats.permutation_test(permutation_type="samples") draws for the
    same seed. When 2^N <= resamples, every pattern is enumerated instead, in scipy's order.
    """
    check_parameters(resamples=resamples, seed=seed, threads=threads)
    a, b = checked(a, "model A", min_samples=2), checked(b, "model B", min_samples=2)
    return _null_differences(a, b, resamples, seed, threads)[1]


def paired_permutation_test(
    a: RatioStatistic, b: RatioStatistic, *, resamples: int = 2000, seed: int = 0, threads: int | None = None
) -> PermutationTest:
    """Two-sided p-value of value_a = value_b by swapping the models' per-sample contributions.

    p = (1 + #{|d*| >= |d|}) / (resamples + 1) over random swap patterns d* (the observed
    pattern counted once, Phipson & Smyth 2010), or #{|d*| >= |d|} / 2^N when all 2^N
    patterns are enumerated (2^N <= resamples); |d*| within 100 eps |d| of |d| counts as a tie.
    For an exact test the null is symmetric (the complement of a pattern negates d*), so
    this p-value equals scipy's two-sided one, 2 min(P(d* <= d), P(d* >= d)).
    """
    check_parameters(resamples=resamples, seed=seed, threads=threads)
    a, b = checked(a, "model A", min_samples=2), checked(b, "model B", min_samples=2)
    difference, null, exact = _null_differences(a, b, resamples, seed, threads)
    observed = abs(difference)
    extreme = np.count_nonzero(np.abs(null) >= observed - _TIE_TOLERANCE * observed)
    p_value = float(extreme / len(null) if exact else (1 + extreme) / (len(null) + 1))
    return PermutationTest(difference, min(1.0, p_value), len(null), int(seed), exact)


def paired_verdict(difference: float, interval: Interval, p_value: float) -> str:
    """Model A against model B: "better", "worse" or "no significant difference".

    Rule, with alpha = 1 - interval.level: A is "better" when the whole interval of
    value_a - value_b lies below 0, the difference is below 0, and p_value <= alpha; "worse"
    when all three point the other way; otherwise "no significant difference". A verdict
    of a difference needs the interval and the test to agree, so it never contradicts
    either: when one of them finds no difference, neither does the verdict.
    """
    alpha = 1 - interval.level
    if p_value <= alpha:
        if interval.high < 0 and difference < 0:
            return BETTER
        if interval.low > 0 and difference > 0:
            return WORSE
    return NO_DIFFERENCE


def _same_samples(a: RatioStatistic, b: RatioStatistic) -> None:
    if a.n_samples != b.n_samples:
        raise StatsUsageError(f"the models must be scored on the same samples; got {a.n_samples} and {b.n_samples}")


def _null_differences(
    a: RatioStatistic, b: RatioStatistic, resamples: int, seed: int, threads: int | None
) -> tuple[float, np.ndarray, bool]:
    """The observed difference, the differences under the swap patterns, and whether they are all 2^N."""
    _same_samples(a, b)
    if a.numerator.shape != b.numerator.shape:
        raise StatsUsageError(
            f"a permutation test swaps numerators, so they must have one shape; got {a.numerator.shape} "
            f"and {b.numerator.shape}"
        )
    # Both models need one layout; a denominator column only when swapping can change a denominator sum.
    shared = common_value(a.denominator)
    explicit = shared is None or shared != common_value(b.denominator)
    columns_a, (block,) = column_layout([a], explicit)
    columns_b, _ = column_layout([b], explicit)
    value_a, value_b = (point_values([s], columns, [block])[0] for s, columns in ((a, columns_a), (b, columns_b)))
    n_samples = a.n_samples
    gain = columns_b - columns_a  # what A's sums gain (and B's lose) when sample i is swapped

    def moved_sums(swaps: np.ndarray) -> np.ndarray:
        # einsum runs NumPy's own loops (no BLAS threads), so threads cannot change the bits.
        return np.einsum("rn,kn->rk", swaps.astype(np.float64), gain)

    exact = n_samples <= int(resamples).bit_length() - 1  # 2^N <= resamples
    swaps = all_swaps(n_samples) if exact else random_swaps(n_samples, resamples, seed)
    moved = map_batches(swaps, moved_sums, threads)
    values_a = finished_values(a, block, columns_a.sum(axis=1) + moved, n_samples)
    values_b = finished_values(b, block, columns_b.sum(axis=1) - moved, n_samples)
    null = values_a - values_b
    bad = np.count_nonzero(~np.isfinite(null))
    if bad:
        raise StatisticError(f"{bad} of {len(null)} swap patterns give a non-finite difference (a zero denominator?)")
    return value_a - value_b, null, exact
