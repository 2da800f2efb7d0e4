"""The result of one loss computation, and its machine-readable forms."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .reduce import Reduction

SCHEMA_VERSION = 1


def short(x: float) -> str:
    """A number for people: ten significant digits at most."""
    return f"{x:.10g}"


def _plain(value: Any) -> Any:
    return value.tolist() if isinstance(value, np.ndarray) else value


@dataclass(frozen=True, eq=False)
class Result:
    """What ``losscli.compute`` returns and every output format renders.

    ``per_element`` is ``l[i, j]`` (None for losses that exist only per sample);
    ``per_sample``, ``per_output`` and ``value`` follow the reduction (see
    ``design/reductions.md``); ``n`` divides ``total`` to give ``value`` (before the
    square root, for RMSE). With weights, every term is already multiplied by its weight.
    """

    loss: str
    title: str
    formula: str
    matches: str
    options: dict[str, Any]
    reduction: Reduction
    shape: tuple[int, int]
    per_element: np.ndarray | None
    per_sample: np.ndarray
    per_output: np.ndarray | None
    total: float
    n: float
    value: float
    n_text: str  # the divisor spelled out: "2 samples x 10 outputs = 20"
    summed_text: str  # what is summed rather than averaged
    per_sample_formula: str
    per_output_formula: str
    batch_formula: str  # with the sum and n filled in
    weights: dict[str, Any] | None = None  # {"divisor": "sum" | "count" | "class_weights", "value": ...}
    notes: str = ""  # how this loss's reductions relate to its framework's
    gradient: np.ndarray | None = None  # d value / d predictions, when asked for
    mean_of_terms: bool = True  # value = total / n; False after a root (RMSE) or for a ratio (WMAPE)

    @property
    def reduce(self) -> str:
        return self.reduction.name

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of ``--format json`` (schema_version 1)."""
        return {
            "schema_version": SCHEMA_VERSION,
            "loss": self.loss,
            "formula": self.formula,
            "options": {name: _plain(value) for name, value in self.options.items()},
            "reduce": self.reduce,
            "shape": list(self.shape),
            "n": self.n,
            "total": self.total,
            "value": self.value,
            "weights": self.weights,
            "per_sample": self.per_sample.tolist(),
            "per_output": None if self.per_output is None else self.per_output.tolist(),
            "per_element": None if self.per_element is None else self.per_element.tolist(),
            "gradient": None if self.gradient is None else self.gradient.tolist(),
        }
