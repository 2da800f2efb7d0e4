"""losscli.stats: ratio statistics, bootstrap intervals, paired tests, Diebold-Mariano.

Where each expected value comes from is said at the test: scipy.stats (the same draws
for the same seed), a computation by hand on a tiny input, the definitions in
design/reductions.md, or the reference implementations cited in
fixtures/diebold_mariano.json.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from fractions import Fraction
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pytest
from jsonout import loaded
from scipy import stats

from losscli.errors import InputError, UsageError
from losscli.stats import (
    BETTER,
    NO_DIFFERENCE,
    WORSE,
    Interval,
    MissingExtraError,
    RatioStatistic,
    StatisticError,
    StatsUsageError,
    bootstrap_distribution,
    bootstrap_interval,
    diebold_mariano,
    divided_by,
    mean_of_roots,
    paired_bootstrap,
    paired_permutation_test,
    paired_verdict,
    permutation_distribution,
    resampling,
    root_of_divided_by,
)
from losscli.stats.ratio import column_layout, leave_one_out_values

FIXTURES = Path(__file__).parent / "fixtures"
TIE = 100 * np.finfo(np.float64).eps  # scipy.stats.permutation_test's relative tie tolerance


def close(actual: float, expected: float, rel: float = 1e-12) -> bool:
    return math.isclose(actual, expected, rel_tol=rel, abs_tol=rel)


def mean_of(x, axis=-1):
    return np.mean(x, axis=axis)


def ratio_of_sums(a, b, axis=-1):
    return np.sum(a, axis=axis) / np.sum(b, axis=axis)


def difference_of_means(x, y, axis=-1):
    return np.mean(x, axis=axis) - np.mean(y, axis=axis)


@pytest.fixture
def small_batches(monkeypatch):
    """Batches of a few resamples, so that draws span many batches and threads really share them."""
    monkeypatch.setattr(resampling, "BATCH_BYTES", 2000)


# --- the ratio statistic ----------------------------------------------------------------


def test_ratio_statistics_give_the_reductions_values():
    """Each batch value of design/reductions.md, written as a ratio, against its NumPy definition."""
    rng = np.random.default_rng(0)
    predictions, targets = rng.normal(size=(7, 3)), rng.normal(size=(7, 3))
    terms = (predictions - targets) ** 2
    weights = rng.random(7)
    n_samples, n_outputs = terms.shape
    rows = terms.sum(axis=1)
    ones = np.ones(n_samples)
    # --reduce all: sum(l) / (N C)
    assert close(RatioStatistic(rows, ones, divided_by(n_outputs)).value(), np.mean(terms))
    # --reduce samples: sum(l) / N
    assert close(RatioStatistic(rows, ones).value(), terms.sum() / n_samples)
    # --reduce none: sum(l), with b = 1/N so that a resample of N samples stays a sum
    assert close(RatioStatistic(rows, np.full(n_samples, 1 / n_samples)).value(), terms.sum())
    # weighted, divided by the sum of the weights (scikit-learn)
    assert close(RatioStatistic.mean(rows, weights).value(), np.average(rows, weights=weights))
    # RMSE of all outputs, and scikit-learn's multi-output RMSE: mean_j sqrt(colsum_j / N)
    assert close(RatioStatistic(rows, ones, root_of_divided_by(n_outputs)).value(), np.sqrt(np.mean(terms)))
    assert close(RatioStatistic(terms, ones, mean_of_roots).value(), np.mean(np.sqrt(terms.mean(axis=0))))
    # WMAPE: sum |p - t| / sum |t|
    wmape = RatioStatistic(np.abs(predictions - targets).sum(axis=1), np.abs(targets).sum(axis=1))
    assert close(wmape.value(), np.abs(predictions - targets).sum() / np.abs(targets).sum())


def test_a_finish_of_the_wrong_shape_is_a_usage_error():
    statistic = RatioStatistic(np.ones((4, 2)), np.ones(4))  # identity keeps (R, 2): not one value per resample
    with pytest.raises(StatsUsageError, match=r"finish must map ratios of shape \(1, 2\) to shape \(1,\)"):
        statistic.value()


@pytest.mark.parametrize(
    ("numerator", "denominator", "error", "message"),
    [
        ([1.0, np.nan, 2.0], [1.0, 1.0, 1.0], StatisticError, "1 samples have a non-finite numerator"),
        ([1.0, 2.0, 3.0], [1.0, np.inf, 1.0], StatisticError, "non-finite denominator"),
        ([1.0, 2.0, 3.0], [1.0, -1.0, 1.0], StatisticError, "denominators must be >= 0"),
        ([1.0, 2.0, 3.0], [0.0, 0.0, 0.0], StatisticError, "positive sum"),
        ([1.0, 2.0, 3.0], [1.0, 1.0], StatsUsageError, "must have shape"),
    ],
)
def test_unusable_per_sample_values_are_reported(numerator, denominator, error, message):
    with pytest.raises(error, match=message):
        RatioStatistic(np.array(numerator), np.array(denominator)).value()


# --- the bootstrap against scipy ------------------------------------------------------------


@pytest.mark.parametrize("threads", [1, 3])
def test_bootstrap_draws_are_scipys(small_batches, threads):
    """Resample r is row r of default_rng(seed).integers(0, N, (R, N)), scipy's single draw,
    even when the draws are split over many batches and threads: the distributions are equal
    to rounding (the sums add the same numbers in another order)."""
    x = np.random.default_rng(1).exponential(size=40)
    ours = bootstrap_distribution(RatioStatistic.mean(x), resamples=301, seed=9, threads=threads)
    theirs = stats.bootstrap((x,), mean_of, n_resamples=301, rng=np.random.default_rng(9)).bootstrap_distribution
    assert len(resampling.batch_sizes(301, 8 * 40)) > 50  # the small_batches fixture took effect
    np.testing.assert_allclose(ours, theirs, rtol=1e-14, atol=0)


@pytest.mark.parametrize("method", ["percentile", "bca"])
def test_interval_of_a_mean_is_scipys(method):
    """Expected: scipy.stats.bootstrap of np.mean, same seed."""
    x = np.random.default_rng(2).exponential(size=60)
    ours = bootstrap_interval(RatioStatistic.mean(x), resamples=999, seed=4, method=method, level=0.9)
    theirs = stats.bootstrap(
        (x,), mean_of, n_resamples=999, rng=np.random.default_rng(4), method=method, confidence_level=0.9
    ).confidence_interval
    assert close(ours.low, theirs.low) and close(ours.high, theirs.high)
    assert (ours.level, ours.method, ours.resamples, ours.seed) == (0.9, method, 999, 4)


@pytest.mark.parametrize("method", ["percentile", "bca"])
def test_interval_of_a_weighted_mean_is_scipys_paired_ratio(method):
    """A weighted mean is a ratio estimator: numerators and weights resampled together,
    which is scipy.stats.bootstrap((w L, w), sum / sum, paired=True)."""
    rng = np.random.default_rng(3)
    losses, weights = rng.exponential(size=50), rng.random(50)
    ours = bootstrap_interval(RatioStatistic.mean(losses, weights), resamples=999, seed=5, method=method)
    theirs = stats.bootstrap(
        (losses * weights, weights),
        ratio_of_sums,
        paired=True,
        vectorized=True,
        n_resamples=999,
        rng=np.random.default_rng(5),
        method=method,
    ).confidence_interval
    assert close(ours.low, theirs.low) and close(ours.high, theirs.high)


def test_interval_of_a_multi_output_root_is_scipys():
    """scikit-learn's multi-output RMSE, mean_j sqrt(colsum_j / N): numerator (N, C) rows resampled
    whole. scipy resamples the sample indices and the statistic gathers the rows."""
    terms = np.random.default_rng(4).exponential(size=(45, 3))

    def multi_output_rmse(indices, axis=-1):
        return np.sqrt(terms[indices].mean(axis=-2)).mean(axis=-1)

    ours = bootstrap_interval(RatioStatistic(terms, np.ones(45), mean_of_roots), resamples=500, seed=6)
    theirs = stats.bootstrap(
        (np.arange(45),), multi_output_rmse, vectorized=True, n_resamples=500, rng=np.random.default_rng(6)
    ).confidence_interval
    assert close(ours.low, theirs.low) and close(ours.high, theirs.high)


# --- the bootstrap by hand on N = 3 -------------------------------------------------------


def test_tiny_bootstrap_by_hand():
    """x = (1, 2, 6), mean 3; 5 resamples drawn with seed 0, level 0.8 (alpha = 0.1)."""
    x = np.array([1.0, 2.0, 6.0])
    indices = [[2, 1, 1], [0, 0, 0], [0, 0, 0], [2, 1, 2], [1, 1, 2]]
    assert np.random.default_rng(0).integers(0, 3, (5, 3)).tolist() == indices  # the draw contract
    means = [10 / 3, 1, 1, 14 / 3, 10 / 3]  # (6+2+2)/3, 1, 1, (6+2+6)/3, (2+2+6)/3
    statistic = RatioStatistic.mean(x)
    np.testing.assert_allclose(bootstrap_distribution(statistic, resamples=5, seed=0), means, rtol=1e-14)
    v1, v2, v3, v4, v5 = sorted(means)

    def type7(p):  # Hyndman & Fan type 7 on the 5 sorted values: position p*5 + 1 - p (1-based)
        position = p * 5 + 1 - p
        k, g = int(position), position - int(position)
        return (1 - g) * (v1, v2, v3, v4, v5)[k - 1] + g * (v1, v2, v3, v4, v5, v5)[k]

    percentile = bootstrap_interval(statistic, resamples=5, seed=0, method="percentile", level=0.8)
    # positions 1.4 and 4.6: 0.6 v1 + 0.4 v2 = 1 and 0.4 v4 + 0.6 v5 = 62/15
    assert close(percentile.low, 1.0) and close(percentile.high, 62 / 15)

    # BCa: two of five resamples lie below 3 and none at 3, so z0 = Phi^-1((2 + 2) / 10).
    normal = NormalDist()
    z0 = normal.inv_cdf(0.4)
    # jackknife: leaving out 1, 2, 6 gives 4, 3.5, 1.5; U = mean - theta_(i) = -1, -0.5, 1.5
    acceleration = (-1 - 0.125 + 3.375) / (6 * 3.5**1.5)
    z = normal.inv_cdf(0.1)
    alpha_1 = normal.cdf(z0 + (z0 + z) / (1 - acceleration * (z0 + z)))
    alpha_2 = normal.cdf(z0 + (z0 - z) / (1 - acceleration * (z0 - z)))
    bca = bootstrap_interval(statistic, resamples=5, seed=0, method="bca", level=0.8)
    assert close(bca.low, type7(alpha_1)) and close(bca.high, type7(alpha_2))
    # and scipy agrees on this tiny case too
    theirs = stats.bootstrap(
        (x,), mean_of, n_resamples=5, rng=np.random.default_rng(0), confidence_level=0.8
    ).confidence_interval
    assert close(bca.low, theirs.low) and close(bca.high, theirs.high)


def test_tiny_ratio_bootstrap_by_hand():
    """Weights (1, 1, 2) on x = (1, 2, 6): a = (1, 2, 12), b = (1, 1, 2); the same 5 resamples
    give sum a / sum b = 16/4, 3/3, 3/3, 26/5, 16/4."""
    statistic = RatioStatistic.mean([1.0, 2.0, 6.0], weights=[1.0, 1.0, 2.0])
    assert statistic.value() == 15 / 4
    distribution = bootstrap_distribution(statistic, resamples=5, seed=0)
    np.testing.assert_allclose(distribution, [4.0, 1.0, 1.0, 5.2, 4.0], rtol=1e-14)


def test_jackknife_is_the_leave_one_out_statistic():
    """The O(N) leave-one-out values equal N statistics of N - 1 samples computed directly."""
    rng = np.random.default_rng(5)
    terms, weights = rng.exponential(size=(9, 2)), rng.random(9)

    def finish(ratios):
        return np.sqrt(ratios).mean(axis=-1)

    statistic = RatioStatistic(terms * weights[:, None], weights, finish)
    columns, blocks = column_layout([statistic])
    fast = leave_one_out_values([statistic], columns, blocks, [1.0])
    keep = ~np.eye(9, dtype=bool)
    direct = [RatioStatistic(statistic.numerator[k], weights[k], finish).value() for k in keep]
    np.testing.assert_allclose(fast, direct, rtol=1e-13)


def test_bca_at_a_million_samples():
    """The jackknife is O(N): a scipy-style O(N^2) jackknife could not finish at N = 10^6."""
    x = np.random.default_rng(6).exponential(size=1_000_000)
    statistic = RatioStatistic.mean(x)
    interval = bootstrap_interval(statistic, resamples=40, seed=1)
    assert interval.low < statistic.value() < interval.high
    assert interval.high - interval.low < 0.01  # the standard error of the mean is 0.001


# --- degenerate cases ------------------------------------------------------------------


@pytest.mark.parametrize("method", ["percentile", "bca"])
@pytest.mark.parametrize(
    "statistic",
    [
        RatioStatistic.mean(np.full(20, 0.1)),
        RatioStatistic.mean(np.full(20, 0.1), weights=np.linspace(0.1, 2.0, 20)),  # equal ratios a_i / b_i
        RatioStatistic.mean(np.zeros(20)),
    ],
    ids=["equal values", "equal ratios", "zeros"],
)
def test_equal_values_give_the_point_as_interval(method, statistic):
    """Every resample is the point up to rounding (0.1 is not exact in binary, so sums in another
    order differ in the last bits); scipy's BCa gives NaN here, this gives [point, point]."""
    interval = bootstrap_interval(statistic, resamples=200, method=method)
    assert interval.low == interval.high == statistic.value()


def test_a_resample_with_a_zero_denominator_is_an_error():
    statistic = RatioStatistic.mean([1.0, 2.0, 3.0], weights=[1.0, 0.0, 0.0])
    assert statistic.value() == 1.0
    with pytest.raises(StatisticError, match=r"of 100 resamples give a non-finite statistic"):
        bootstrap_interval(statistic, resamples=100)


def test_bca_is_undefined_when_the_point_lies_outside_every_resample():
    """Seed 4 draws indices (2, 2, 2) and (1, 2, 2): means 6 and 14/3, both above the point 3."""
    statistic = RatioStatistic.mean([1.0, 2.0, 6.0])
    np.testing.assert_allclose(bootstrap_distribution(statistic, resamples=2, seed=4), [6.0, 14 / 3])
    with pytest.raises(StatisticError, match="lies below every bootstrap value"):
        bootstrap_interval(statistic, resamples=2, seed=4)
    percentile = bootstrap_interval(statistic, resamples=2, seed=4, method="percentile", level=0.5)
    # positions 0.25 * 2 + 0.75 = 1.25 and 1.75 between 14/3 and 6
    assert close(percentile.low, 14 / 3 + 0.25 * (6 - 14 / 3)) and close(percentile.high, 14 / 3 + 0.75 * 4 / 3)


def test_a_non_finite_statistic_is_an_error():
    statistic = RatioStatistic.mean([1.0, 2.0, 6.0], finish=lambda ratios: np.log(ratios - 3))
    with pytest.raises(StatisticError, match="not finite"):
        bootstrap_interval(statistic)


@pytest.mark.parametrize(
    "parameters",
    [
        {"level": 0.0},
        {"level": 1.0},
        {"level": 95},
        {"resamples": 0},
        {"resamples": 2.5},
        {"resamples": True},
        {"method": "basic"},
        {"seed": -1},
        {"threads": 0},
    ],
)
def test_bad_parameters_are_usage_errors(parameters):
    with pytest.raises(StatsUsageError) as raised:
        bootstrap_interval(RatioStatistic.mean([1.0, 2.0, 3.0]), **parameters)
    assert isinstance(raised.value, UsageError) and isinstance(raised.value, ValueError)


def test_data_errors_belong_to_losscli_and_to_value_error():
    with pytest.raises(StatisticError) as raised:
        bootstrap_interval(RatioStatistic.mean([1.0]))
    assert isinstance(raised.value, InputError) and isinstance(raised.value, ValueError)


def test_results_do_not_depend_on_the_number_of_threads(small_batches):
    rng = np.random.default_rng(7)
    a = RatioStatistic.mean(rng.exponential(size=64), rng.random(64))
    b = RatioStatistic.mean(rng.exponential(size=64), rng.random(64))
    one = (bootstrap_interval(a, threads=1), paired_permutation_test(a, b, threads=1))
    for threads in (2, 4):
        assert (bootstrap_interval(a, threads=threads), paired_permutation_test(a, b, threads=threads)) == one


# --- paired comparisons -----------------------------------------------------------------


@pytest.mark.parametrize("method", ["percentile", "bca"])
def test_paired_bootstrap_is_scipys(method):
    """The same indices for both models: scipy.stats.bootstrap((x, y), mean x - mean y, paired=True)."""
    rng = np.random.default_rng(8)
    x, y = rng.exponential(size=70), rng.exponential(size=70) * 1.2
    ours = paired_bootstrap(RatioStatistic.mean(x), RatioStatistic.mean(y), resamples=999, seed=2, method=method)
    theirs = stats.bootstrap(
        (x, y),
        difference_of_means,
        paired=True,
        vectorized=True,
        n_resamples=999,
        rng=np.random.default_rng(2),
        method=method,
    ).confidence_interval
    assert close(ours.difference, x.mean() - y.mean())
    assert close(ours.value_a, x.mean()) and close(ours.value_b, y.mean())
    assert close(ours.interval.low, theirs.low) and close(ours.interval.high, theirs.high)


@pytest.mark.parametrize("threads", [1, 2])
def test_permutation_draws_are_scipys(small_batches, threads):
    """Random swap patterns: the null distribution equals scipy.stats.permutation_test's
    (permutation_type="samples") for the same seed, and the p-value is the stated formula on it.
    With N = 33 a batch holds 15 x 33 draws, an odd count: the stream still runs on unbroken."""
    assert resampling.batch_sizes(999, 4 * 33)[0] * 33 % 2 == 1
    rng = np.random.default_rng(9)
    x, y = rng.exponential(size=33), rng.exponential(size=33) * 1.3
    a, b = RatioStatistic.mean(x), RatioStatistic.mean(y)
    result = stats.permutation_test(
        (x, y),
        difference_of_means,
        permutation_type="samples",
        vectorized=True,
        n_resamples=999,
        rng=np.random.default_rng(5),
    )
    null = permutation_distribution(a, b, resamples=999, seed=5, threads=threads)
    np.testing.assert_allclose(null, result.null_distribution, rtol=0, atol=1e-12)
    observed = abs(result.statistic)
    extreme = np.count_nonzero(np.abs(result.null_distribution) >= observed - TIE * observed)
    test = paired_permutation_test(a, b, resamples=999, seed=5, threads=threads)
    assert (test.p_value, test.resamples, test.exact) == ((1 + extreme) / 1000, 999, False)


def test_exact_permutation_test_is_scipys():
    """2^10 <= resamples: every swap pattern, in scipy's order, and scipy's exact p-value."""
    rng = np.random.default_rng(10)
    x, y = rng.exponential(size=10), rng.exponential(size=10) + 0.3
    a, b = RatioStatistic.mean(x), RatioStatistic.mean(y)
    result = stats.permutation_test(
        (x, y), difference_of_means, permutation_type="samples", vectorized=True, n_resamples=2000
    )
    np.testing.assert_allclose(permutation_distribution(a, b, resamples=2000), result.null_distribution, atol=1e-12)
    test = paired_permutation_test(a, b, resamples=2000)
    assert test.exact and test.resamples == 1024
    assert close(test.p_value, result.pvalue)


def test_permutation_of_ratios_under_a_root_is_scipys():
    """A ratio under a root (weighted RMSE): each swap moves a sample's numerator and
    denominator to the other model. scipy permutes sample indices into [A's; B's] arrays."""
    rng = np.random.default_rng(11)
    numerators = rng.exponential(size=50)
    denominators = rng.random(50) + 0.1
    a = RatioStatistic(numerators[:25], denominators[:25], np.sqrt)
    b = RatioStatistic(numerators[25:], denominators[25:], np.sqrt)

    def rmse_difference(i, j, axis=-1):
        def root(k):
            return np.sqrt(numerators[k].sum(axis=axis) / denominators[k].sum(axis=axis))

        return root(i) - root(j)

    result = stats.permutation_test(
        (np.arange(25), np.arange(25, 50)),
        rmse_difference,
        permutation_type="samples",
        vectorized=True,
        n_resamples=500,
        rng=np.random.default_rng(12),
    )
    np.testing.assert_allclose(
        permutation_distribution(a, b, resamples=500, seed=12), result.null_distribution, atol=1e-12
    )


def test_sign_flips_by_hand():
    """A = (2, 3, 5), B = (1, 1, 1): d = (1, 2, 4), observed 7/3. The 8 patterns in scipy's
    order (first sample slowest, unswapped first) give (±1 ±2 ±4) / 3 = 7, -1, 3, -5, 5, -3, 1, -7
    over 3; |d*| >= 7/3 for 2 of 8, so p = 1/4."""
    a, b = RatioStatistic.mean([2.0, 3.0, 5.0]), RatioStatistic.mean([1.0, 1.0, 1.0])
    null = permutation_distribution(a, b, resamples=8)
    np.testing.assert_allclose(null, np.array([7, -1, 3, -5, 5, -3, 1, -7]) / 3, rtol=1e-15)
    test = paired_permutation_test(a, b, resamples=8)
    assert test.exact and test.p_value == 0.25 and close(test.difference, 7 / 3)


def test_ratio_swaps_by_hand():
    """A: a = (3, 1), b = (1, 2), value 4/3; B: a = (1, 2), b = (2, 1), value 1.
    Swapping sample 2 gives A = 5/2, B = 2/4; sample 1: A = 2/4, B = 5/2; both: A = 1, B = 4/3."""
    a = RatioStatistic(np.array([3.0, 1.0]), np.array([1.0, 2.0]))
    b = RatioStatistic(np.array([1.0, 2.0]), np.array([2.0, 1.0]))
    np.testing.assert_allclose(permutation_distribution(a, b, resamples=4), [1 / 3, 2, -2, -1 / 3], rtol=1e-15)
    assert paired_permutation_test(a, b, resamples=4).p_value == 1.0  # every |d*| >= 1/3


@pytest.mark.parametrize(
    ("difference", "low", "high", "p_value", "verdict"),
    [
        (-0.5, -0.9, -0.1, 0.01, BETTER),
        (0.5, 0.1, 0.9, 0.01, WORSE),
        (-0.5, -0.9, -0.1, 0.05, BETTER),  # p = alpha still rejects
        (-0.5, -0.9, -0.1, 0.20, NO_DIFFERENCE),  # the interval excludes 0, the test does not reject
        (-0.5, -0.9, 0.1, 0.01, NO_DIFFERENCE),  # the test rejects, the interval holds 0
        (0.05, -0.9, -0.1, 0.01, NO_DIFFERENCE),  # the interval and the difference disagree in sign
        (0.0, 0.0, 0.0, 1.0, NO_DIFFERENCE),
    ],
)
def test_verdict_needs_the_interval_and_the_test_to_agree(difference, low, high, p_value, verdict):
    interval = Interval(low, high, 0.95, "bca", 2000, 0)
    assert paired_verdict(difference, interval, p_value) == verdict


def test_a_clearly_better_model_is_found_better():
    """Noise of standard deviation 1 against 1.5 on 400 samples: MSE 1 against 2.25."""
    rng = np.random.default_rng(13)
    sharp = RatioStatistic.mean(rng.normal(size=400) ** 2)
    blurred = RatioStatistic.mean((1.5 * rng.normal(size=400)) ** 2)
    difference = paired_bootstrap(sharp, blurred)
    test = paired_permutation_test(sharp, blurred)
    assert difference.interval.high < 0 and test.p_value < 0.01
    assert paired_verdict(difference.difference, difference.interval, test.p_value) == BETTER
    reverse = paired_bootstrap(blurred, sharp)
    assert (
        paired_verdict(reverse.difference, reverse.interval, paired_permutation_test(blurred, sharp).p_value) == WORSE
    )


def test_a_permutation_test_needs_numerators_of_one_shape():
    with pytest.raises(StatsUsageError, match="one shape"):
        paired_permutation_test(
            RatioStatistic(np.ones((4, 2)), np.ones(4), mean_of_roots), RatioStatistic.mean(np.ones(4))
        )
    with pytest.raises(StatsUsageError, match="same samples"):
        paired_bootstrap(RatioStatistic.mean(np.ones(4)), RatioStatistic.mean(np.ones(5)))


# --- coverage and error rates (fixed seeds) --------------------------------------------------


def test_intervals_cover_the_true_mse():
    """predictions = truth + N(0, 1): the true MSE is 1. The 95% intervals over 400 data sets
    of 200 samples must cover it 92-98% of the time (binomial sd 1.1%). Squared normal errors
    are skewed: at 100 samples both intervals cover about 92.5% (the bootstrap's known small-
    sample undercoverage), at 200 about 94%; outer seeds 0-3 gave 93.0-95.8% here (seed 0: 95.0%
    BCa, 94.75% percentile)."""
    rng = np.random.default_rng(0)
    covered = {"bca": 0, "percentile": 0}
    for repetition in range(400):
        statistic = RatioStatistic.mean(rng.normal(size=200) ** 2)
        for method in covered:
            interval = bootstrap_interval(statistic, resamples=499, seed=repetition, method=method, threads=1)
            covered[method] += interval.low <= 1.0 <= interval.high
    for method, count in covered.items():
        assert 0.92 <= count / 400 <= 0.98, (method, count)


def test_permutation_test_false_positive_rate():
    """Two models with independent N(0, 1) noise are equally good: at level 0.05 the test
    may reject at most 7% of 400 data sets (it rejects 3.75% with these seeds)."""
    rng = np.random.default_rng(4202)
    rejections = 0
    for repetition in range(400):
        a = RatioStatistic.mean(rng.normal(size=100) ** 2)
        b = RatioStatistic.mean(rng.normal(size=100) ** 2)
        rejections += paired_permutation_test(a, b, resamples=499, seed=repetition, threads=1).p_value <= 0.05
    assert rejections / 400 <= 0.07


# --- Diebold-Mariano ---------------------------------------------------------------------

DM = loaded((FIXTURES / "diebold_mariano.json").read_text())


def series_losses(name: str, loss: str) -> tuple[np.ndarray, np.ndarray]:
    series = DM["series"][name]
    actual = np.array(series["actual"])
    errors = [actual - np.array(series[key]) for key in ("forecast_a", "forecast_b")]
    return tuple(e**2 if loss == "squared" else np.abs(e) for e in errors)


@pytest.mark.parametrize("h", [1, 2])
def test_diebold_mariano_by_hand(h):
    """The five-point series (squared errors 1, 1, 1, 4, 9 against 9, 36, 36, 0, 81) in exact
    rational arithmetic from the formulas of DM (1995) and HLN (1997); only the last root is a float."""
    loss_a, loss_b = series_losses("five", "squared")
    d = [Fraction(int(x)) for x in loss_a - loss_b]  # -8, -35, -35, 4, -72
    T = len(d)
    mean = sum(d) / T  # -146/5
    gamma = [sum((d[t] - mean) * (d[t - k] - mean) for t in range(k, T)) / T for k in range(h)]
    variance = gamma[0] + 2 * sum(gamma[1:])  # 17254/25 at h = 1
    squared = mean**2 / (variance / T) * (T + 1 - 2 * h + Fraction(h * (h - 1), T)) / T
    expected = -math.sqrt(squared)  # the mean differential is negative
    result = diebold_mariano(loss_a, loss_b, h=h)
    assert close(result.statistic, expected)
    assert close(result.p_value, 2 * stats.t.sf(abs(expected), T - 1))
    assert (result.h, result.T, result.mean_differential) == (h, 5, -29.2)


@pytest.mark.parametrize("case", DM["cases"], ids=lambda c: f"{c['series']}-{c['loss']}-h{c['h']}")
def test_diebold_mariano_matches_two_independent_implementations(case):
    """Expected: John Tsang's dm_test (scipy t) and Edoardo Annunziata's dm_test (its own
    incomplete beta, so its p-value agrees to ~1e-11); see fixtures/diebold_mariano.json."""
    result = diebold_mariano(*series_losses(case["series"], case["loss"]), h=case["h"])
    assert close(result.statistic, case["statistic"]) and close(result.p_value, case["p_value"])
    assert close(result.statistic, case["statistic_annunziata"])
    assert close(result.p_value, case["p_value_annunziata"], rel=1e-10)


@pytest.mark.parametrize("case", DM["published"], ids=lambda c: c["where"].split(": ")[1])
def test_diebold_mariano_matches_published_values(case):
    """Expected: the values printed in the dieboldmariano project's README and tests."""
    result = diebold_mariano(*series_losses(case["series"], case["loss"]), h=case["h"])
    tolerance = 0.5 * 10.0 ** -case["decimals"]
    assert abs(result.statistic - case["statistic"]) < tolerance
    if "p_one_sided" in case:  # their one-sided p is P(t <= statistic)
        one_sided = result.p_value / 2 if result.statistic < 0 else 1 - result.p_value / 2
        assert abs(one_sided - case["p_one_sided"]) < tolerance
    else:
        assert abs(result.p_value - case["p_value"]) < tolerance


def test_diebold_mariano_rejects_a_variance_that_is_not_positive():
    case = DM["negative_variance"][0]  # V = gamma_0 + 2 (gamma_1 + gamma_2) < 0 at h = 3
    with pytest.raises(StatisticError, match="long-run variance is .* <= 0 at h = 3"):
        diebold_mariano(*series_losses(case["series"], case["loss"]), h=case["h"])
    with pytest.raises(StatisticError, match="differ by a constant"):
        diebold_mariano([1.0, 2.0, 3.0], [0.5, 1.5, 2.5])


@pytest.mark.parametrize("h", [0, 5, 6, 2.0, True])
def test_diebold_mariano_needs_a_horizon_below_t(h):
    with pytest.raises(StatsUsageError, match="1 <= h < T = 5"):
        diebold_mariano([1.0, 2.0, 3.0, 4.0, 6.0], [1.5, 2.0, 2.0, 5.0, 4.0], h=h)


def test_diebold_mariano_without_scipy_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "scipy.stats", None)
    with pytest.raises(MissingExtraError, match=r"pip install 'losscli\[stats\]'") as raised:
        diebold_mariano([1.0, 2.0, 3.0, 5.0], [1.5, 1.0, 2.0, 4.0])
    assert isinstance(raised.value, ImportError)


def test_bootstrap_and_permutation_do_not_need_scipy():
    code = (
        "import sys; sys.modules['scipy'] = None\n"
        "from losscli.stats import RatioStatistic, bootstrap_interval, paired_bootstrap, paired_permutation_test\n"
        "a, b = RatioStatistic.mean([1.0, 2.0, 4.0, 3.0]), RatioStatistic.mean([2.0, 2.0, 5.0, 1.0])\n"
        "bootstrap_interval(a); paired_bootstrap(a, b); paired_permutation_test(a, b)\n"
        "assert 'scipy.stats' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, timeout=60)


def test_results_are_plain_dictionaries():
    a, b = RatioStatistic.mean([1.0, 2.0, 4.0, 3.0]), RatioStatistic.mean([2.0, 2.0, 5.0, 1.0])
    difference = paired_bootstrap(a, b, resamples=100).to_dict()
    assert set(difference) == {"difference", "value_a", "value_b", "interval"}
    assert set(difference["interval"]) == {"low", "high", "level", "method", "resamples", "seed"}
    assert set(paired_permutation_test(a, b).to_dict()) == {"difference", "p_value", "resamples", "seed", "exact"}
    json.dumps([difference, diebold_mariano([1.0, 2.0, 4.0, 3.0], [2.0, 2.0, 5.0, 1.0]).to_dict()])
