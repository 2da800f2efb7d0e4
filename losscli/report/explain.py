"""``--explain``: the formulas of a result with the user's own numbers substituted."""

from __future__ import annotations

import numpy as np

from ..core.result import GradientChecks, Result, short

SPELL_OUT = 6  # at most this many terms are written out in a sum


def _sum_text(values: np.ndarray) -> str:
    """``a + b + c`` for a few values, else ``sum of K terms``."""
    if len(values) <= SPELL_OUT:
        return " + ".join(short(float(v)) for v in values)
    return f"sum of {len(values):,} terms"


def _rows_text(result: Result) -> str:
    """What i runs over: the rows actually used, and how they were matched."""
    n = result.shape[0]
    if not result.inputs:
        return f"the {n:,} samples (rows of the predictions)"
    first = result.inputs[0]
    dropped = f", after {first.dropped:,} with a missing value were dropped" if first.dropped else ""
    if len(result.inputs) > 1 and "label" in result.inputs[1].matched:
        how = f"; {result.inputs[1].path}'s rows matched to them {result.inputs[1].matched}"
    elif len(result.inputs) > 1:
        how = f"; row i of {result.inputs[1].path} with row i of {first.path}"
    else:
        how = ""
    return f"the {n:,} samples (data rows of {first.path}{dropped}{how})"


def explain(result: Result) -> list[tuple[str, str]]:
    """(heading, text) lines: each level's formula with the numbers filled in, and what
    n and the value would be under every other ``--reduce``."""
    n_samples, n_outputs = result.shape
    r = result.reduction
    kept = result.kept
    first = 0 if kept is None else int(np.searchsorted(kept.index, 0))
    labels = kept is not None and kept.labels is not None
    lines = [
        (
            "axes",
            f"i runs over {_rows_text(result)}; j over the {n_outputs:,} outputs (columns)"
            f"{'; with class labels, j is the class' if labels else ''}",
        ),
    ]
    if result.elements and kept is not None:
        row = kept.terms[first]
        target = _target_text(kept, first)
        lines.append(
            (
                "element",
                f"l[i, j] = {result.formula}; e.g. l[0, 0] = {short(float(row[0]))} for p = "
                f"{short(float(kept.preds[first, 0]))}, {target}",
            )
        )
        over_c = f") / {n_outputs}" if r.mean_over_outputs and not result.weights else ")"
        raw_row = short(float(row.sum()))
        lines.append(
            (
                "sample",
                f"{result.per_sample_formula}: L[0] = ({_sum_text(row)}{over_c} = "
                f"{short(float(kept.per_sample[first]))}"
                + ("" if len(row) <= SPELL_OUT else f"   (the row sums to {raw_row})"),
            )
        )
    elif kept is not None:
        lines.append(
            (
                "sample",
                f"{result.per_sample_formula}: L[0] = {short(float(kept.per_sample[first]))} "
                "(a max or a norm over the outputs: no element terms)",
            )
        )
    lines.append(("batch", _batch_text(result)))
    lines += _constant_lines(result)
    for name, other in result.alternatives.items():
        mark = "   <- this result" if name == result.reduce else ""
        lines.append(
            (
                f"--reduce {name}",
                f"n = {other.n_text}: {result.loss} = {short(other.value)}   ({other.summed_text}){mark}",
            )
        )
    return lines


def _constant_lines(result: Result) -> list[tuple[str, str]]:
    """Each framework constant the number depends on, and where it comes from."""
    if result.like is None:
        return []
    out = []
    for constant in result.like.constants:
        value = constant.value
        if isinstance(value, tuple):
            value = ", ".join(map(repr, value))
        shown = "none" if value is None else str(value)
        out.append(("constant", f"{constant.option} = {shown}: {constant.why}"))
    return out


def _target_text(kept, first: int) -> str:
    """t of element [0, 0]; for a class label, the label and the one-hot row it stands for."""
    if kept.labels is None:
        return f"t = {short(float(kept.targets[first, 0]))}"
    label = kept.labels[first]
    row = kept.targets[first]
    shown = ", ".join(short(float(x)) for x in row[:8]) + (", ..." if len(row) > 8 else "")
    return f"t = {short(float(row[0]))} (sample 0's label is {short(float(label))}: the one-hot row [{shown}])"


def _batch_text(result: Result) -> str:
    r = result.reduction
    note = f"   (n = {result.n_text}; {result.summed_text})"
    if not result.mean_of_terms or result.weights:
        return result.batch_formula + note
    divisor = result.n / (result.shape[1] if r.mean_over_outputs else 1)
    kept = result.kept
    if kept is not None and result.shape[0] <= SPELL_OUT and len(kept.index) == result.shape[0]:
        terms = _sum_text(kept.per_sample)
    else:
        terms = short(result.total / (result.shape[1] if r.mean_over_outputs else 1))
    over = f" / {short(divisor)}" if divisor != 1 else ""
    return f"{result.loss} = ({terms}){over} = {short(result.value)}{note}"


def gradient_lines(result: Result, checks: GradientChecks) -> list[tuple[str, str]]:
    """The second seed's question on the user's data: the mean of the per-sample gradients
    is the gradient of the mean, and n only scales it (``checks``, computed by the engine)."""
    under, rows, why_not = checks.under, checks.per_sample, checks.why_not
    lines = [
        (
            "gradient",
            f"d {result.loss}/dp has the predictions' shape {result.shape}; every entry is "
            f"(1/n) x the derivative of the terms it enters, n = {result.n_text}",
        )
    ]
    scaled = [f"{name}: {short(g)} (n = {short(result.alternatives[name].n)})" for name, g in under.items()]
    products = {short(g * result.alternatives[name].n) for name, g in under.items()}
    same = f"; n x grad[0, 0] = {products.pop()} under each" if len(products) == 1 else ""
    lines.append(("n scales it", "grad[0, 0] under --reduce " + ", ".join(scaled) + same))
    if rows is None:
        lines.append(("per sample", f"(the per-sample check is left out: {why_not})"))
        return lines
    lines.append(("per sample", _per_sample_check(result, rows)))
    return lines


def _per_sample_check(result: Result, rows: np.ndarray) -> str:
    """``rows``: each sample's own gradient (the engine's :func:`per_sample_gradients`)."""
    r = result.reduction
    kept = result.kept
    n_samples = result.shape[0]
    mean_of_gradients = np.array(rows) / (n_samples if r.mean_over_samples else 1)
    gap = float(np.max(np.abs(mean_of_gradients - kept.gradient)))
    averaged = "the mean" if r.mean_over_samples else "the sum"
    return (
        f"dL[0]/dp[0, :] starts {', '.join(short(float(x)) for x in rows[0][:3])}; "
        f"{averaged} of the {n_samples} per-sample gradients equals the gradient of {averaged} "
        f"(largest difference {gap:.1e})"
    )
