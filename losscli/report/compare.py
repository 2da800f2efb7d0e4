"""``--compare``: the batch value as each framework's conventions compute it, with n.

Every row is one call in one framework (or NumPy, or the textbook cost) and the
``--reduce`` that reproduces it; its value and n come from ``compute`` under that
reduction. Rows whose framework has no such loss, option or weighting say so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from ..core.registry import Loss
from ..core.result import Result

FRAMEWORKS = ("PyTorch", "Keras", "scikit-learn")


class Row(NamedTuple):
    framework: str
    call: str
    reduce: str | None  # the --reduce that gives this number; None: not one number
    n: float | None
    value: float | None
    note: str = ""

    def to_dict(self) -> dict:
        return self._asdict()


# A run computes the result under (reduce, weight_divisor, extra options).
Run = Callable[..., Result]


def compare(spec: Loss, options: dict, n_outputs: int, weighted: bool, run: Run) -> list[Row]:
    rows: list[Row] = []

    def row(framework: str, call: str, reduce: str, weight_divisor: str = "sum", note: str = "", **extra) -> None:
        if reduce not in spec.reductions:
            rows.append(Row(framework, call, None, None, None, f"--reduce {reduce} does not apply to {spec.name}"))
            return
        result = run(reduce, weight_divisor, **extra)
        rows.append(Row(framework, call, reduce, result.n, result.value, note))

    def vector(framework: str, call: str, what: str) -> None:
        rows.append(Row(framework, call, None, None, None, what))

    # Class weights and ignored samples change n in PyTorch's own way: no plain mean is that.
    by_class = options.get("class_weights") is not None or options.get("ignore_index") is not None
    elementwise = not spec.per_sample_only and not spec.ratio and not by_class
    root, close = ("np.sqrt(", ")") if spec.root else ("", "")
    one_root = {"per_output_root": False} if spec.root else {}  # a root of the whole mean
    if elementwise:
        if weighted:
            row("NumPy", f"{root}np.average(l, weights=w[:, None] * np.ones_like(l)){close}", "all", **one_root)
        else:
            row("NumPy", f"{root}np.mean(l){close}", "all", **one_root)
    if "samples" in spec.reductions and not by_class:
        row(
            "textbook",
            f"{'root of the ' if spec.root else ''}sum over outputs, mean over samples",
            "samples",
            **one_root,
        )

    calls = spec.calls(options)
    for framework, call, convention in calls:
        _framework_rows(framework, call, convention, spec, n_outputs, weighted, row, vector)
    present = {framework for framework, _, _ in calls}
    for framework in FRAMEWORKS:
        if framework not in present:
            vector(framework, "-", f"no {spec.name} with these options in {framework}")
    return rows


def _framework_rows(framework, call, convention, spec, n_outputs, weighted, row, vector) -> None:
    if framework == "PyTorch":
        if weighted:
            vector(framework, call, 'takes no sample weights: reduction="none", then (w * l).sum() / w.sum()')
            return
        means = {"elements": "all", "samples": "samples", "kl": "all", "output_means": "all"}[convention]
        row(framework, f'{call}(reduction="mean")', means)
        if convention == "kl":
            row(framework, f'{call}(reduction="batchmean")', "samples")
        row(framework, f'{call}(reduction="sum")', "outputs" if convention == "output_means" else "none")
        shape = "(N, C)" if convention in ("elements", "kl") else "(N,)"
        vector(framework, f'{call}(reduction="none")', f"a tensor of shape {shape}: no reduction")
    elif framework == "Keras":
        per_sample_mean = convention == "mean"
        batch, total = ("all", "outputs") if per_sample_mean else ("samples", "none")
        if weighted:
            row(framework, f'{call}(reduction="sum_over_batch_size")', batch, "count", note="divides by N")
            row(framework, f'{call}(reduction="mean_with_sample_weight")', batch, "sum", note="divides by sum(w)")
        else:
            row(framework, f'{call}(reduction="sum_over_batch_size")', batch)
        row(framework, f'{call}(reduction="sum")', total)
        vector(framework, f"{call}(reduction=None)", "per-sample values, shape (N,)")
    elif convention == "one_output":
        if n_outputs == 1:
            row(framework, f"{call}(y_true, y_pred)", "all")
        else:
            vector(framework, f"{call}(y_true, y_pred)", "takes one output; call it per column")
    elif convention == "brier":
        row(
            framework,
            f"{call}(y_true, y_proba)",
            "all" if n_outputs == 2 else "samples",
            note="halved for two columns" if n_outputs == 2 else "",
        )
    else:  # multioutput
        extra = {"per_output_root": True} if spec.root else {}
        call_text = f'{call}(y_true, y_pred{", sample_weight=w" if weighted else ""}, multioutput="uniform_average")'
        row(framework, call_text, "all", **extra)
        vector(framework, f'{call}(..., multioutput="raw_values")', "per-output values, shape (C,)")
