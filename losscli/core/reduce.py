"""The reduction model of ``design/reductions.md``: which axes are averaged, and n.

``--reduce`` names the axes that are averaged; every other axis is summed. The
divisor n of the batch value is the product of the averaged axes' sizes, where the
size of the sample axis is N, or the sum of the sample weights when there are any.
"""

from __future__ import annotations

from typing import NamedTuple

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
