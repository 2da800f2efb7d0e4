"""``--explain``: the formulas of a result with the user's own numbers substituted."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..core.result import Result, short

SPELL_OUT = 6  # at most this many terms are written out in a sum


def _sum_text(values: np.ndarray) -> str:
    """``a + b + c`` for a few values, else ``(sum of K terms)``."""
    if len(values) <= SPELL_OUT:
        return " + ".join(short(float(v)) for v in values)
    return f"sum of {len(values):,} terms"


def explain(
    result: Result, preds: np.ndarray, targets: np.ndarray, by_reduce: Mapping[str, Result], source: str = "PREDS"
) -> list[tuple[str, str]]:
    """(heading, text) lines: each level's formula with the numbers filled in, and what
    n and the value would be under every other ``--reduce``."""
    n_samples, n_outputs = result.shape
    r = result.reduction
    lines = [
        (
            "axes",
            f"i runs over the {n_samples:,} samples (rows of {source}); j over the {n_outputs:,} outputs "
            f"(columns){'; with class labels, j is the class' if targets.shape != preds.shape else ''}",
        ),
    ]
    if result.per_element is not None:
        t00 = targets[0, 0]
        lines.append(
            (
                "element",
                f"l[i, j] = {result.formula}; e.g. l[0, 0] = {short(result.per_element[0, 0])} "
                f"for p = {short(preds[0, 0])}, t = {short(t00)}",
            )
        )
        row = result.per_element[0]
        over_c = f") / {n_outputs}" if r.mean_over_outputs and not result.weights else ")"
        raw_row = short(float(row.sum()))
        lines.append(
            (
                "sample",
                f"{result.per_sample_formula}: L[0] = ({_sum_text(row)}{over_c} = "
                f"{short(result.per_sample[0])}" + ("" if len(row) <= SPELL_OUT else f"   (the row sums to {raw_row})"),
            )
        )
    else:
        lines.append(
            (
                "sample",
                f"{result.per_sample_formula}: L[0] = {short(result.per_sample[0])} "
                "(a max or a norm over the outputs: no element terms)",
            )
        )
    lines.append(("batch", _batch_text(result)))
    for name, other in by_reduce.items():
        mark = "   <- this result" if name == result.reduce else ""
        lines.append(
            (
                f"--reduce {name}",
                f"n = {other.n_text}: {other.loss} = {short(other.value)}   ({other.summed_text}){mark}",
            )
        )
    return lines


def _batch_text(result: Result) -> str:
    r = result.reduction
    note = f"   (n = {result.n_text}; {result.summed_text})"
    if not result.mean_of_terms or result.weights:
        return result.batch_formula + note
    per_sample = result.per_sample
    # Per-sample values are already means over the outputs when outputs are averaged.
    divisor = result.n / (result.shape[1] if r.mean_over_outputs else 1)
    terms = _sum_text(per_sample) if len(per_sample) <= SPELL_OUT else short(float(per_sample.sum()))
    over = f" / {short(divisor)}" if divisor != 1 else ""
    return f"{result.loss} = ({terms}){over} = {short(result.value)}{note}"


MAX_ROWS_CHECKED = 200  # the per-sample gradient check computes one row at a time


def gradient_lines(
    result: Result, preds: np.ndarray, targets: np.ndarray, by_reduce: Mapping[str, Result]
) -> list[tuple[str, str]]:
    """The second seed's question on the user's data: the mean of the per-sample gradients
    is the gradient of the mean, and n only scales it."""
    from ..core.compute import compute

    lines = [
        (
            "gradient",
            f"d {result.loss}/dp has the predictions' shape {result.shape}; every entry is "
            f"(1/n) x the derivative of the terms it enters, n = {result.n_text}",
        )
    ]
    scaled = [
        f"{name}: {short(float(other.gradient[0, 0]))} (n = {short(other.n)})"
        for name, other in by_reduce.items()
        if other.gradient is not None
    ]
    # n x gradient is the same under every reduction, unless a root bends it
    products = {short(float(other.gradient[0, 0] * other.n)) for other in by_reduce.values()}
    same = f"; n x grad[0, 0] = {products.pop()} under each" if len(products) == 1 else ""
    lines.append(("n scales it", "grad[0, 0] under --reduce " + ", ".join(scaled) + same))
    plain = result.mean_of_terms and not result.weights and result.options.get("var") is None
    n_samples = result.shape[0]
    if not plain or n_samples > MAX_ROWS_CHECKED:
        why = "weights, variances or a root change n per sample" if not plain else f"over {MAX_ROWS_CHECKED} samples"
        lines.append(("per sample", f"(the per-sample check is left out: {why})"))
        return lines
    r = result.reduction
    row_reduce = "outputs" if r.mean_over_outputs else "none"
    if result.per_element is None:
        row_reduce = "none"
    options = {k: v for k, v in result.options.items() if v is not None}
    rows = [
        compute(result.loss, preds[i : i + 1], targets[i : i + 1], reduce=row_reduce, grad=True, **options).gradient[0]
        for i in range(n_samples)
    ]
    mean_of_gradients = np.array(rows) / (n_samples if r.mean_over_samples else 1)
    gap = float(np.max(np.abs(mean_of_gradients - result.gradient)))
    averaged = "the mean" if r.mean_over_samples else "the sum"
    lines.append(
        (
            "per sample",
            f"dL[0]/dp[0, :] starts {', '.join(short(float(x)) for x in rows[0][:3])}; "
            f"{averaged} of the {n_samples} per-sample gradients equals the gradient of "
            f"{averaged} (largest difference {gap:.1e})",
        )
    )
    return lines
