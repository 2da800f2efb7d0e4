"""Coverage shown, not assumed (issue 22): over many data sets drawn from a known distribution, the
nominal 95% interval must cover the true value 93-97% of the time, for the value of a loss and for the
paired difference of two models, and the paired test must reject a true null about 5% of the time.

The intervals are those --ci and --against compute: losscli.stats' default (the studentized bootstrap)
over the samples, or over their 4,096 buckets when there are more (stats/buckets.py). The true values
are the distributions' own: with errors e ~ N(0, 1), E[e^2] = 1 and E|e| = sqrt(2 / pi); for bce, p
drawn from {0.2, 0.5, 0.8} and y ~ Bernoulli(q) with q = 0.3, 0.5, 0.6 for them, E[bce] is the mean of
-q log p - (1 - q) log(1 - p). The per-sample losses are NumPy's (losscli's element functions are
checked against the frameworks elsewhere); what is tested here is the interval.

The data sets and the resamples are seeded: the counts are fixed numbers, and their binomial spread at
the true coverage (0.7% for 1,000 data sets) is why the bounds are 93-97%. The fast run takes N = 50 and
N = 100,000 (mse); ``-m fuzz`` runs every loss at N = 100,000 and the paired difference there.
"""

from __future__ import annotations

import numpy as np
import pytest

from losscli.stats import RatioStatistic, bootstrap_interval, paired_bootstrap, paired_permutation_test
from losscli.stats.buckets import BUCKETS, bucketed

P = np.array([0.2, 0.5, 0.8])
Q = np.array([0.3, 0.5, 0.6])
TRUE = {"mse": 1.0, "mae": float(np.sqrt(2 / np.pi)), "bce": float(np.mean(-Q * np.log(P) - (1 - Q) * np.log(1 - P)))}


def _losses(name: str, rng, n: int) -> np.ndarray:
    if name == "bce":
        k = rng.integers(0, 3, n)
        y = rng.random(n) < Q[k]
        return -(y * np.log(P[k]) + ~y * np.log(1 - P[k]))
    e = rng.normal(size=n)
    return e * e if name == "mse" else np.abs(e)


def _coverage(name: str, n: int, data_sets: int, resamples: int) -> float:
    rng = np.random.default_rng(12345)
    covered = 0
    for r in range(data_sets):
        statistic = bucketed(RatioStatistic.mean(_losses(name, rng, n)))
        interval = bootstrap_interval(statistic, resamples=resamples, seed=r)
        covered += interval.low <= TRUE[name] <= interval.high
    return covered / data_sets


def _paired(n: int, data_sets: int, resamples: int) -> tuple[float, float]:
    """Two models of the same targets (their errors share the targets' noise): the coverage of the true
    difference of their mse, 0.5^2 - 0.6^2 = -0.11, and how often the test rejects a model of the
    same error as the first (the null)."""
    rng = np.random.default_rng(777)
    covered = rejected = 0
    for r in range(data_sets):
        noise = rng.normal(size=n)
        a = noise + rng.normal(scale=0.5, size=n)
        b = noise + rng.normal(scale=0.6, size=n)
        same = noise + rng.normal(scale=0.5, size=n)
        mean_a = bucketed(RatioStatistic.mean(a * a))
        difference = paired_bootstrap(mean_a, bucketed(RatioStatistic.mean(b * b)), resamples=resamples, seed=r)
        covered += difference.interval.low <= -0.11 <= difference.interval.high
        test = paired_permutation_test(mean_a, bucketed(RatioStatistic.mean(same * same)), resamples=resamples, seed=r)
        rejected += test.p_value <= 0.05
    return covered / data_sets, rejected / data_sets


@pytest.mark.parametrize("name", ["mse", "mae", "bce"])
def test_the_interval_of_50_samples_covers_95_percent(name):
    assert 0.93 <= _coverage(name, 50, 1000, 2000) <= 0.97


def test_the_interval_of_100000_samples_in_buckets_covers_95_percent():
    assert BUCKETS < 100_000  # resampled as buckets
    assert 0.93 <= _coverage("mse", 100_000, 500, 500) <= 0.97


def test_the_paired_difference_of_50_samples_covers_and_its_test_has_size_5_percent():
    coverage, size = _paired(50, 1000, 2000)
    assert 0.93 <= coverage <= 0.97
    assert 0.03 <= size <= 0.07


@pytest.mark.fuzz
@pytest.mark.parametrize("name", ["mse", "mae", "bce"])
def test_long_the_interval_of_100000_samples_covers_95_percent(name):
    assert 0.93 <= _coverage(name, 100_000, 500, 2000) <= 0.97


@pytest.mark.fuzz
def test_long_the_paired_difference_of_100000_samples():
    coverage, size = _paired(100_000, 500, 2000)
    assert 0.93 <= coverage <= 0.97
    assert 0.03 <= size <= 0.07
