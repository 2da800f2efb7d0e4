"""From the merged state of a loss to its :class:`~losscli.core.result.Result`.

The batch value of every reduction is the same sum of weighted terms divided by its own
n, so any reduction and weight divisor can be finished from one state: ``--explain``
and ``--compare`` cost no second pass.
"""

from __future__ import annotations

import math
from typing import NamedTuple, cast

import numpy as np

from ..errors import InputError
from .order import Bins
from .reduce import REDUCTIONS, Reduction, SampleAxis
from .result import Alternative, Kept, Result, short
from .state import LossState
from .terms import LossTask, output_scale_of, ratio_floor, ratio_of, root_words, take_root


def plural(count: int, word: str) -> str:
    return f"{count:,} {word}" if count == 1 else f"{count:,} {word}s"


def summed_text(reduction: Reduction, task: LossTask | None = None) -> str:
    if task is not None and task.spec.order == "bins":
        return "binned by the predicted probability"
    if task is not None and task.spec.order:  # a maximum or a median, not a sum: --reduce all alone applies
        statistic = "maximum" if task.spec.order == "max" else "median"
        return f"each output's {statistic} over the samples, mean over the outputs"
    if reduction.mean_over_samples and reduction.mean_over_outputs:
        return "mean over every element"
    if reduction.mean_over_samples:
        return "outputs summed, mean over samples"
    if reduction.mean_over_outputs:
        return "samples summed, mean over outputs"
    return "everything summed"


def sample_axis(task: LossTask, state: LossState, weight_divisor: str) -> tuple[SampleAxis, dict | None]:
    """What averaging over samples divides by, and the JSON ``weights`` block."""
    class_weighted = task.divides_by_class_weights
    if not task.weighted and not task.counted and not class_weighted:
        return SampleAxis(state.rows, plural(state.rows, "sample")), None
    ignored = f" ({state.rows - state.counted:,} ignored)" if task.counted else ""
    if weight_divisor == "count" or (not task.weighted and not class_weighted):
        size = float(state.counted)
        return SampleAxis(size, plural(state.counted, "sample") + ignored), {"divisor": "count", "value": size}
    size = state.divisor.value
    if class_weighted:
        text = f"sum of the targets' class weights = {short(size)}{ignored}"
        return SampleAxis(size, text), {"divisor": "class_weights", "value": size}
    return SampleAxis(size, f"sum of weights = {short(size)}{ignored}"), {"divisor": "sum", "value": size}


def n_text(reduction: Reduction, samples: SampleAxis, n_outputs: int, n: float) -> str:
    outputs = plural(n_outputs, "output")
    if reduction.mean_over_samples and reduction.mean_over_outputs:
        return f"{samples.text} x {outputs} = {short(n)}"
    if reduction.mean_over_samples:
        return samples.text
    if reduction.mean_over_outputs:
        return outputs
    return "1"


class Batch(NamedTuple):
    """The batch figures of one reduction."""

    total: float
    n: float
    value: float
    per_output: np.ndarray | None
    n_text: str
    batch_formula: str
    per_sample_formula: str
    per_output_formula: str
    weights: dict | None
    sample_divisor: float
    output_divisor: int


class NoSamples(InputError):
    """The divisor of a mean over samples is 0 (weights that sum to 0, every sample ignored)."""


def batch(task: LossTask, state: LossState, reduction: Reduction | None = None, weight_divisor: str | None = None):
    """The batch value, n and per-output values of ``state`` under a reduction."""
    spec = task.spec
    reduction = reduction or task.reduction
    samples, weights = sample_axis(task, state, weight_divisor or task.weight_divisor)
    n_outputs = state.n_outputs
    if reduction.mean_over_samples and samples.size == 0:
        raise NoSamples(f"no sample counts ({samples.text}); the mean over samples is undefined")
    sd = samples.size if reduction.mean_over_samples else 1
    od = n_outputs if reduction.mean_over_outputs else 1
    total = np.float64(state.total.value)  # NumPy division: 0 / 0 is nan, x / 0 inf, as the frameworks give
    output_scale = output_scale_of(task, n_outputs)
    if output_scale is not None:  # each output's column sum times its weight over the mean weight
        total = np.float64(state.per_output.value @ output_scale)
    n = sd * od
    with np.errstate(all="ignore"):
        value = float(total / n)
        per_output = None if spec.per_sample_only else state.per_output.value / sd
    summed = "sum(l)" if output_scale is None else "sum_ij s_j l[i, j]"
    formula = f"{spec.name} = {summed} / n = {short(total)} / {short(n)} = {short(value)}"
    ps_formula = "L[i] = sum_j l[i, j] / C" if reduction.mean_over_outputs else "L[i] = sum_j l[i, j]"
    if output_scale is not None:
        ps_formula = ps_formula.replace("l[i, j]", "s_j l[i, j]") + "   (s_j = w_j C / sum(w): --output-weights)"
    po_formula = f"O[j] = sum_i l[i, j] / {'N' if weights is None else 'sum(w)'}"
    if not reduction.mean_over_samples:
        po_formula = "O[j] = sum_i l[i, j]"
    if spec.ratio is not None:
        ratio = spec.ratio
        n = max(state.scale_total.value + ratio.add, ratio_floor(task))
        value = float(ratio_of(task, total, np.float64(state.scale_total.value)))
        per_output = ratio_of(task, state.per_output.value, state.scale_per_output.value)
        if ratio.add:
            add = f" + {short(ratio.add)}"
            formula = f"{spec.name} = (sum(l){add}) / ({ratio.denominator}) = {short(total + ratio.add)} / {short(n)}"
            ps_formula = f"L[i] = (sum_j l[i, j]{add}) / ({ratio.per_row} {ratio.denominator})"
            po_formula = f"O[j] = (sum_i l[i, j]{add}) / ({ratio.per_column} {ratio.denominator})"
        else:
            formula = f"{spec.name} = sum(l) / {ratio.denominator.replace(' ', '')} = {short(total)} / {short(n)}"
            ps_formula = f"L[i] = sum_j l[i, j] / {ratio.per_row}"
            po_formula = f"O[j] = sum_i l[i, j] / {ratio.per_column}"
        formula += f" = {short(value)}"
        text = f"{ratio.denominator} = {short(n)}"
    else:
        text = n_text(reduction, samples, n_outputs, n)
        if output_scale is not None and reduction.mean_over_outputs:
            text += " (outputs weighted by --output-weights)"
    if spec.order:
        value, per_output, formula, po_formula, text = _order_statistic(task, state, samples, n_outputs)
        n = samples.size
    if spec.root:
        assert per_output is not None, "a root loss has element terms"
        with np.errstate(all="ignore"):
            per_output = take_root(task, per_output)
        ps_formula = _rooted(task, ps_formula)
        po_formula = _rooted(task, po_formula)
        if task.options.get("per_output_root"):
            value = float(per_output @ (np.ones(n_outputs) if output_scale is None else output_scale)) / od
            over = " / C" if reduction.mean_over_outputs else ""
            formula = f"{spec.name} = sum_j sqrt(O[j]){over} = {short(value)}   (roots taken per output)"
        else:
            value = float(take_root(task, np.float64(value))) if value >= 0 else math.nan
            formula = (
                f"{spec.name} = {root_words(task, 'sum(l) / n')} = {root_words(task, f'{short(total)} / {short(n)}')} "
                f"= {short(value)}"
                "   (root taken after the reduction)"
            )
    if spec.per_sample_only:
        ps_formula = f"L[i] = {spec.formula}"
    return Batch(float(total), n, value, per_output, text, formula, ps_formula, po_formula, weights, sd, od)


def _rooted(task: LossTask, formula: str) -> str:
    """'L[i] = sum_j l[i, j] / C' with its right side under the loss's root."""
    left, right = formula.split(" = ", 1)
    return f"{left} = {root_words(task, right)}"


def _order_statistic(task: LossTask, state: LossState, samples: SampleAxis, n_outputs: int):
    """A maximum or a median of each output's terms over the samples, their mean over the outputs
    (scikit-learn's multioutput='uniform_average'), or the calibration error of the bins: value,
    per-output values, formulas, n's words."""
    spec, statistic = task.spec, state.order_statistic
    assert statistic is not None, "an order statistic's state keeps it"
    if isinstance(statistic, Bins):
        return _calibration(task, statistic, samples)
    per_output = statistic.per_output()
    value = float(per_output.mean())
    po_formula = f"O[j] = {spec.order}_i l[i, j]"
    of = f"{samples.text}, their {'maximum' if spec.order == 'max' else 'median'}"
    if n_outputs == 1:
        formula = f"{spec.name} = {spec.order}_i l[i] = {short(value)}"
        text = of
    else:
        formula = f"{spec.name} = sum_j {spec.order}_i l[i, j] / C = {short(value)}"
        text = f"{of} per output, mean over {plural(n_outputs, 'output')}"
    return value, per_output, formula, po_formula, text


def _calibration(task: LossTask, bins: Bins, samples: SampleAxis):
    """The calibration error of the bins, each bin's n said (the last slot: probabilities of exactly 1)."""
    value = bins.value()
    counts = ", ".join(f"{int(c):,}" for c in bins.counts[: bins.bins]) + (
        f" (+ {int(bins.counts[-1]):,} at p = 1)" if bins.counts[-1] else ""
    )
    text = f"{samples.text} in {bins.bins} bins of p, n_b = {counts}"
    words = {
        "l1": "sum_b (n_b / N) |acc_b - conf_b|",
        "l2": "sqrt(sum_b (n_b / N) (acc_b - conf_b)^2)",
        "max": "max_b |acc_b - conf_b|",
    }
    formula = f"{task.spec.name} = {words[bins.norm]} = {short(value)}   (acc_b, conf_b: bin b's mean t and p)"
    return value, np.array([value]), formula, "O[0] = the calibration error", text


def gradient_scale(task: LossTask, figures: Batch) -> np.ndarray | float:
    """What the raw gradient (of the sum of weighted terms) is multiplied by: 1/n, and the
    root's chain rule."""
    if task.spec.root and task.options.get("per_output_root"):
        assert figures.per_output is not None, "a root loss has element terms"
        with np.errstate(divide="ignore"):
            return 1.0 / (figures.sample_divisor * figures.output_divisor * 2.0 * figures.per_output)
    with np.errstate(all="ignore"):  # a root at 0 has no derivative: inf, then nan, as PyTorch gives
        if task.spec.root and task.spec.root_power is not None:  # d (S / n)^a / dS = a value / S
            return float(np.float64(task.spec.root_power(task.options)) * figures.value / figures.total)
        if task.spec.root:
            return float(np.float64(1.0) / (2.0 * figures.value * figures.n))
        return float(np.float64(1.0) / figures.n)


def why_not_finite(task: LossTask, state: LossState, value: float) -> str | None:
    if math.isfinite(value):
        return None
    if state.non_finite:
        return f"{state.non_finite:,} element terms are inf or NaN"
    if math.isinf(value):
        return "the sum of the terms overflows float64"
    return "the value is undefined (NaN)"


class Arrays(NamedTuple):
    """Every sample's values, when a run kept them."""

    per_sample: np.ndarray
    terms: np.ndarray
    gradient: np.ndarray | None
    ids: list[str] | None


def finish(task: LossTask, state: LossState, *, arrays: Arrays | None = None, inputs=(), grad: bool = False) -> Result:
    """The Result of a loss from its merged state (and every sample's values, if kept)."""
    spec = task.spec
    figures = batch(task, state)
    scale = gradient_scale(task, figures) if grad else None
    alternatives = {}
    for name in spec.reductions:
        other = figures if name == task.reduction.name else batch(task, state, REDUCTIONS[name])
        alternatives[name] = Alternative(other.n, other.n_text, other.value, summed_text(REDUCTIONS[name], task))
    per_element = per_sample = gradient = ids = None
    if arrays is not None:
        per_sample, ids = arrays.per_sample, arrays.ids
        per_element = None if spec.per_sample_only else arrays.terms
        if grad and arrays.gradient is not None:
            with np.errstate(all="ignore"):
                gradient = arrays.gradient * scale
    return Result(
        loss=spec.name,
        title=spec.title,
        formula=spec.formula,
        matches=spec.matches,
        options=task.options,
        reduction=task.reduction,
        shape=(state.rows, state.n_outputs),
        per_element=per_element,
        per_sample=per_sample,
        per_output=figures.per_output,
        total=figures.total,
        n=figures.n,
        value=figures.value,
        n_text=figures.n_text,
        summed_text=summed_text(task.reduction, task),
        per_sample_formula=figures.per_sample_formula,
        per_output_formula=figures.per_output_formula,
        batch_formula=figures.batch_formula,
        weights=figures.weights,
        notes=spec.notes,
        gradient=gradient,
        mean_of_terms=not (spec.root or spec.ratio is not None or spec.order),
        elements=not spec.per_sample_only,
        kept=_kept(state, scale),
        histogram=state.sketch.bins(),
        worst_samples=[
            (int(k[0]), float(v))
            for k, v in zip(state.kept.top_samples.keys, state.kept.top_samples.values, strict=True)
        ],
        worst_elements=[
            (int(k[0]), int(k[1]), float(v))
            for k, v in zip(state.worst_elements.keys, state.worst_elements.values, strict=True)
        ],
        ids=ids,
        inputs=list(inputs),
        alternatives=alternatives,
        non_finite=why_not_finite(task, state, figures.value),
        grad=grad,
        bins=state.order_statistic.table() if isinstance(state.order_statistic, Bins) else None,
    )


def _kept(state: LossState, scale) -> Kept | None:
    records = state.kept.records
    if not records:
        return None
    index = sorted(records)
    rows = [records[i] for i in index]
    gradient = None
    if scale is not None and rows[0].gradient is not None:
        with np.errstate(all="ignore"):
            # every kept row has a gradient when the first has: they come from the same blocks
            gradient = np.stack(cast(list[np.ndarray], [r.gradient for r in rows])) * scale
    labels = None if rows[0].label is None else np.array([r.label for r in rows])
    return Kept(
        np.array(index, dtype=np.int64),
        np.array([r.per_sample for r in rows]),
        np.stack([r.terms for r in rows]),
        gradient,
        None if rows[0].id is None else cast(list[str], [r.id for r in rows]),  # ids: every row or none
        np.stack([r.pred for r in rows]),
        np.stack([r.target for r in rows]),
        labels,
    )
