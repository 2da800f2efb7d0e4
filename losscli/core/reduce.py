"""The reduction model of ``design/reductions.md``: which axes are averaged, and n.

``--reduce`` names the axes that are averaged; every other axis is summed. The
divisor n of the batch value is the product of the averaged axes' sizes, where the
size of the sample axis is N, or the sum of the sample weights when there are any.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..errors import UsageError


class Reduction(NamedTuple):
    name: str
    mean_over_samples: bool
    mean_over_outputs: bool
    known_as: str


REDUCTIONS: dict[str, Reduction] = {
    r.name: r
    for r in (
        Reduction(
            "all",
            True,
            True,
            'np.mean; PyTorch reduction="mean"; Keras MSE/MAE/BCE default; scikit-learn multioutput="uniform_average"',
        ),
        Reduction(
            "samples",
            True,
            False,
            "the textbook cost (sum over outputs, mean over samples); PyTorch CrossEntropyLoss "
            'and KLDivLoss "batchmean"; Keras categorical cross-entropy and KLD',
        ),
        Reduction("outputs", False, True, 'Keras reduction="sum" of a loss that means over the last axis'),
        Reduction("none", False, False, 'PyTorch reduction="sum"'),
    )
}


def get_reduction(name: str) -> Reduction:
    try:
        return REDUCTIONS[name.strip().lower()]
    except KeyError:
        raise UsageError(f"unknown reduction {name!r}; use one of {', '.join(REDUCTIONS)}") from None


class SampleAxis(NamedTuple):
    """What averaging over samples divides by: N, or a sum of weights."""

    size: float
    text: str  # "2 samples", "sum of weights = 3.5", ...


class Reduced(NamedTuple):
    total: float  # sum of every (weighted) term
    n: float  # the divisor of the batch value
    value: float  # total / n
    per_sample: np.ndarray  # (N,)
    per_output: np.ndarray  # (C,)


def reduce_terms(terms: np.ndarray, reduction: Reduction, samples: SampleAxis) -> Reduced:
    """Per-sample, per-output and batch values of the (N, C) terms."""
    n_samples, n_outputs = terms.shape
    sample_divisor = samples.size if reduction.mean_over_samples else 1
    output_divisor = n_outputs if reduction.mean_over_outputs else 1
    # Row and column sums as BLAS products with ones: several times faster than
    # sum(axis=...) on (N, C) arrays, and as accurate (multiple accumulators).
    per_sample = terms @ np.ones(n_outputs)
    per_sample /= output_divisor
    per_output = np.ones(n_samples) @ terms
    per_output /= sample_divisor
    total = float(terms.sum())  # the pairwise sum of np.mean: the same value to the last bit
    n = sample_divisor * output_divisor
    return Reduced(total, n, total / n, per_sample, per_output)
