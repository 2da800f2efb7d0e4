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


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


@dataclass(frozen=True, eq=False)
class Result:
    """What ``losscli.compute`` returns and every output format renders.

    ``per_element`` is ``l[i, j]``; ``per_sample``, ``per_output`` and ``value``
    follow the reduction (see ``design/reductions.md``); ``n`` divides ``total``
    to give ``value``.
    """

    loss: str
    title: str
    formula: str
    matches: str
    options: dict[str, float | bool]
    reduction: Reduction
    per_element: np.ndarray
    per_sample: np.ndarray
    per_output: np.ndarray
    total: float
    n: int
    value: float

    @property
    def reduce(self) -> str:
        return self.reduction.name

    @property
    def shape(self) -> tuple[int, int]:
        n_samples, n_outputs = self.per_element.shape
        return n_samples, n_outputs

    def n_text(self) -> str:
        """The divisor spelled out: "2 samples x 10 outputs = 20"."""
        n_samples, n_outputs = self.shape
        r = self.reduction
        if r.mean_over_samples and r.mean_over_outputs:
            return f"{_plural(n_samples, 'sample')} x {_plural(n_outputs, 'output')} = {self.n}"
        if r.mean_over_samples:
            return _plural(n_samples, "sample")
        if r.mean_over_outputs:
            return _plural(n_outputs, "output")
        return "1"

    def summed_text(self) -> str:
        """What is summed rather than averaged."""
        r = self.reduction
        if r.mean_over_samples and r.mean_over_outputs:
            return "mean over every element"
        if r.mean_over_samples:
            return "outputs summed, mean over samples"
        if r.mean_over_outputs:
            return "samples summed, mean over outputs"
        return "everything summed"

    def per_sample_formula(self) -> str:
        return "L[i] = sum_j l[i, j] / C" if self.reduction.mean_over_outputs else "L[i] = sum_j l[i, j]"

    def per_output_formula(self) -> str:
        return "O[j] = sum_i l[i, j] / N" if self.reduction.mean_over_samples else "O[j] = sum_i l[i, j]"

    def batch_formula(self) -> str:
        """The batch formula with the sum and n filled in."""
        return f"{self.loss} = sum(l) / n = {short(self.total)} / {self.n} = {short(self.value)}"

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of ``--format json`` (schema_version 1)."""
        return {
            "schema_version": SCHEMA_VERSION,
            "loss": self.loss,
            "formula": self.formula,
            "options": dict(self.options),
            "reduce": self.reduce,
            "shape": list(self.shape),
            "n": self.n,
            "total": self.total,
            "value": self.value,
            "per_sample": self.per_sample.tolist(),
            "per_output": self.per_output.tolist(),
            "per_element": self.per_element.tolist(),
        }

    def to_json(self) -> str:
        import json  # not at the top: --format value should not pay for it

        # One top-level key a line: readable, yet the arrays stay compact.
        fields = (f"  {json.dumps(key)}: {json.dumps(value)}" for key, value in self.to_dict().items())
        return "{\n" + ",\n".join(fields) + "\n}\n"

    def to_csv(self) -> str:
        """Per-sample losses: header ``sample,loss``, full precision."""
        lines = ["sample,loss"]
        lines.extend(f"{i},{x!r}" for i, x in enumerate(self.per_sample.tolist()))
        return "\n".join(lines) + "\n"

    def value_text(self) -> str:
        return repr(self.value) + "\n"
