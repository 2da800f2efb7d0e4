"""A result's batch value as the ratio statistic the stats wing resamples.

Every batch value is finish(sum_i a_i / sum_i b_i) over the samples (stats/ratio.py): the
pass keeps each sample's numerator a_i (its weighted terms summed over the outputs, or the
terms themselves when roots are taken per output) and what it adds to the divisor b_i (1, its
weight, 1 or 0 when ignored, or sum_j |t_ij| for WMAPE). The reduction decides the rest: a
sum over samples (no mean) takes b_i = 1/N, so that sum_i b_i = 1 in every resample of N; a
mean over outputs divides by C; a root is taken last. The statistic is checked against the result's own value before any
interval is drawn from it: a mapping that does not reproduce the number is refused, never
resampled.
"""

from __future__ import annotations

import math

import numpy as np

from ..core.result import Result
from ..core.terms import LossTask
from ..errors import UsageError


def statistic_of(task: LossTask, result: Result, numerator: np.ndarray, divisor: np.ndarray, sizes=None):
    """The RatioStatistic whose value is ``result.value``. ``sizes``: the samples each row holds (the
    buckets of stats/buckets.py); None: a sample each."""
    from ..stats import RatioStatistic

    reduction, ratio = task.reduction, task.spec.ratio
    sizes = np.ones(len(divisor)) if sizes is None else np.asarray(sizes, dtype=np.float64)
    samples = float(sizes.sum())
    if ratio is None and not reduction.mean_over_samples:
        divisor = sizes / samples  # sum_i b_i = 1 over the N samples: the sum stays a sum in a resample of N
    if ratio is not None and ratio.add:  # (sum a + add) / (sum b + add): add / N on every sample
        share = ratio.add * sizes / samples
        numerator, divisor = numerator + (share if numerator.ndim == 1 else share[:, None]), divisor + share
    outputs = result.shape[1] if reduction.mean_over_outputs and ratio is None else 1
    if task.spec.root and task.options.get("per_output_root"):
        from ..core.terms import output_scale_of

        scale = output_scale_of(task, result.shape[1])
        scale = np.ones(result.shape[1]) if scale is None else scale

        def finish(ratios):
            return np.sqrt(ratios) @ scale / outputs
    elif task.spec.root:
        from ..core.terms import take_root

        def finish(ratios):
            return take_root(task, ratios / outputs)
    else:

        def finish(ratios):
            return ratios / outputs

    statistic = RatioStatistic(numerator, divisor, finish)
    got = _unless_reproduced(statistic, result.value)
    if got is not None:
        raise UsageError(
            f"{result.loss} --reduce {result.reduce}: its value ({result.value!r}) is no ratio of per-sample sums "
            f"that resampling can reproduce ({got!r}); intervals and paired tests are not available for it"
        )
    return statistic


def _summed(n: int) -> np.ndarray:
    """The divisors of a sum over samples (no mean): sum_i b_i = 1 in every resample of N."""
    return np.full(n, 1.0 / n)


def _unless_reproduced(statistic, value: float) -> float | None:
    """None when the statistic gives ``value`` (to 1e-9); else what it gives."""
    got = statistic.value()
    return None if math.isfinite(got) and math.isclose(got, value, rel_tol=1e-9, abs_tol=1e-300) else got


def with_intervals(
    run, results: list[Result], level: float, resamples: int, seed: int, method: str, horizon: int | None = None
):
    """Every result with the bootstrap interval of its value: over the samples, or their K buckets
    (stats/buckets.py); with a forecast ``horizon``, over blocks of consecutive samples."""
    from dataclasses import replace

    from ..stats import bootstrap_interval
    from ..stats.buckets import in_time_blocks

    out = []
    for k, (task, result) in enumerate(zip(run.tasks, results, strict=True)):
        blocks = None
        if horizon is not None:  # samples in time order: a block bootstrap (the pass kept every sample's sums)
            statistic, blocks = in_time_blocks(statistic_of(task, result, *run.statistic_rows(k)), horizon)
        else:
            statistic = statistic_of(task, result, *run.bucketed(k))
        interval = bootstrap_interval(statistic, level=level, resamples=resamples, seed=seed, method=method)
        if blocks is not None:  # the method says the blocks, so that the signature pins the number
            interval = interval._replace(method=f"{interval.method}/blocks:{blocks}")
        out.append(replace(result, ci=interval))
    return out


def plain_statistic(task: LossTask, per_sample, value: float, name: str):
    """The mean (or, with no mean over samples, the sum) of per-sample losses, checked to give
    ``value``: a saved baseline's statistic, and the run's own to compare with it."""
    from ..stats import RatioStatistic

    values = np.asarray(per_sample, dtype=np.float64)
    if not np.isfinite(values).all():
        raise UsageError(f"{name}: a per-sample loss is not a finite number; a paired test needs finite losses")
    divisor = np.ones(len(values)) if task.reduction.mean_over_samples else _summed(len(values))
    statistic = RatioStatistic(values, divisor)
    got = _unless_reproduced(statistic, value)
    if got is not None:
        raise UsageError(
            f"{name}: its per-sample losses give {got!r}, not its value {value!r}; a paired test needs a loss "
            f"whose value is their mean"
        )
    return statistic
