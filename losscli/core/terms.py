"""One loss as a run computes it (:class:`LossTask`), and the terms of one block of rows.

A block's terms carry every weight (sample weights, class weights, ignored samples), so
the batch value of any reduction is their sum over all blocks divided by n; what a block
adds to n (its samples, the sum of their weights) travels with its terms.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, NamedTuple

import numpy as np

from ..errors import InputError, UsageError
from .reduce import Reduction, get_reduction
from .registry import Domain, Loss, get_loss

WEIGHT_DIVISORS = ("sum", "count")


def ratio_floor(task) -> float:
    """What a ratio's denominator is floored at (WMAPE's sum |t|: its eps, torchmetrics' 1.17e-6)."""
    return task.spec.ratio.floor(task.options)


def ratio_of(task, numerator, denominator):
    """A ratio loss's value from its sums (numbers or arrays): (num + add) / max(den + add, floor)."""
    ratio = task.spec.ratio
    with np.errstate(all="ignore"):
        return (numerator + ratio.add) / np.maximum(denominator + ratio.add, ratio.floor(task.options))


# where(role, i, j) -> "preds.csv: line 5, column 2": the place of value [i, j] of this block
Where = Callable[[str, int, int], str]


class LossTask(NamedTuple):
    """A loss with its options resolved, its reduction and its weighting."""

    spec: Loss
    options: dict[str, Any]  # resolved (defaults filled in, arrays as arrays)
    reduction: Reduction
    weight_divisor: str
    weighted: bool  # sample weights are given
    labels: bool  # targets are class labels, one-hot encoded here
    # what the user named (options, "reduce", "weight_divisor"): --like never replaces them
    given: frozenset[str] = frozenset()
    dtype: str = "float64"  # the precision the element terms are computed in ("float32": Keras's floatx)

    @property
    def counted(self) -> bool:
        """Some samples may be ignored (--ignore-index)."""
        return self.options.get("ignore_index") is not None

    @property
    def class_weights(self) -> np.ndarray | None:
        return self.options.get("class_weights")

    @property
    def divides_by_class_weights(self) -> bool:
        """A mean over samples divides by the sum of the targets' class weights (PyTorch's weighted
        CrossEntropyLoss and NLLLoss of class labels), not by N."""
        return self.class_weights is not None and self.labels and self.spec.class_weighting == "columns"


def prepare(
    loss: str | Loss,
    *,
    reduce: str | None = None,
    weight_divisor: str | None = None,
    weighted: bool = False,
    labels: bool = False,
    options: dict[str, Any] | None = None,
    tensors: bool = False,
) -> LossTask:
    """Check the loss, its reduction and its options before any data is read (``tensors``: for the
    N-D pass, which alone computes a loss with an exponent). ``reduce`` and
    ``weight_divisor`` None: the loss's default reduction, and the sum of the weights."""
    spec = loss if isinstance(loss, Loss) else get_loss(loss)
    if spec.exponent and not tensors:
        raise UsageError(
            f"{spec.name} is computed over arrays of any rank (engine/tensor_run.py); give .npy, .npz, JSON or "
            ".safetensors inputs on the command line, or arrays to losscli.compute"
        )
    resolved = spec.resolve_options(options or {})
    spec = spec.for_options(resolved)
    reduction = get_reduction(reduce or spec.default_reduce)
    if reduction.name not in spec.reductions:
        raise UsageError(why_not(spec, reduction.name))
    if spec.order and weighted:
        takes = {
            "max": "scikit-learn's max_error takes none",
            "median": "scikit-learn's weighs a median by its weights: not built here yet",
            "bins": "torchmetrics' binary_calibration_error takes none",
        }[spec.order]
        raise UsageError(f"{spec.name} takes no sample weights ({takes})")
    if weight_divisor is not None and weight_divisor not in WEIGHT_DIVISORS:
        raise UsageError(f"unknown weight divisor {weight_divisor!r}; use sum or count")
    given = {name for name, value in (options or {}).items() if value is not None}
    given |= {name for name, value in (("reduce", reduce), ("weight_divisor", weight_divisor)) if value is not None}
    return LossTask(spec, resolved, reduction, weight_divisor or "sum", weighted, labels, frozenset(given))


def why_not(spec: Loss, reduce: str) -> str:
    if spec.order == "bins":
        return f"{spec.name} is one value over bins of the predicted probability; only --reduce all applies"
    if spec.order:
        statistic = "maximum" if spec.order == "max" else "median"
        return (
            f"{spec.name} is each output's {statistic} over the samples, averaged over outputs; only --reduce all "
            "applies"
        )
    if spec.ratio is not None:
        return f"{spec.name} is a ratio of sums over every element; only --reduce all applies"
    return (
        f"--reduce {reduce} needs per-element terms, and {spec.name} exists only per sample "
        f"(a max or a norm over the outputs); use --reduce samples or none"
    )


def takes_labels(spec: Loss, n_pred_columns: int, n_target_columns: int) -> bool:
    return spec.targets == "labels" or (spec.targets == "labels_or_same" and n_target_columns == 1 < n_pred_columns)


# --- one block ----------------------------------------------------------------------------


@dataclass
class BlockTerms:
    """The weighted terms of a block and what the block adds to every divisor."""

    terms: np.ndarray  # (B, C), or (B, 1) for losses that exist only per sample; weights applied
    targets: np.ndarray  # (B, C) the targets as the loss saw them (labels one-hot)
    term_weights: np.ndarray | None  # (B, C) or (B, 1): the weight each term carries, for the gradient
    divisor: np.ndarray | None  # (B,) what each sample adds to a weighted mean's divisor
    counted: np.ndarray | None  # (B,) bool: the samples not ignored
    scale: np.ndarray | None  # (B, C) |t| times the weights: WMAPE's denominators
    element_options: dict[str, Any]
    output_scale: np.ndarray | None = None  # (C,) the outputs' weights over their mean (--output-weights)

    @cached_property
    def row_sums(self) -> np.ndarray:
        """(B,) each sample's terms summed over the outputs (only per-sample figures need them), each
        output's term times its weight over the mean weight (--output-weights)."""
        with np.errstate(all="ignore"):
            terms = self.terms
            if self.output_scale is not None:
                return terms @ self.output_scale
            return terms @ np.ones(terms.shape[1]) if terms.shape[1] > 1 else terms[:, 0].copy()


def check_shapes(task: LossTask, pred: np.ndarray, target: np.ndarray, names: tuple[str, str]) -> None:
    if task.labels:
        if target.shape[1] != 1:
            raise InputError(
                f"{names[1]} has {target.shape[1]} columns; {task.spec.name} takes class labels, one integer per "
                f"sample: targets of shape (N,) for predictions {names[0]} with {pred.shape[1]} columns"
            )
    elif pred.shape[1] != target.shape[1]:
        check_widths(task, pred.shape[1], target.shape[1], names)


# A loss with one-hot targets -> its twin that takes class labels (the natural first guess's fix)
LABELS_TWIN = {"cce": "sparse_cce", "categorical_hinge": "multi_margin"}
BINARY = ("bce", "hinge", "squared_hinge", "soft_margin")  # one probability (or score) a sample


def check_widths(task: LossTask, n_pred: int, n_target: int, names: tuple[str, str], hinted: bool = False) -> None:
    """Predictions and targets of other widths: refused, with the call a user of that shape meant where one
    is plain (class labels for a one-hot loss; predict_proba for bce). ``hinted``: only those (before any
    value is read: a column of text labels is then a width, not a number that fails to parse)."""
    if task.labels or n_pred == n_target:
        return
    if hinted and not (n_target == 1 and (task.spec.name in LABELS_TWIN or (n_pred == 2 and task.spec.name in BINARY))):
        return
    columns = "column" if n_pred == 1 else "columns"
    why = (
        f"{names[0]} has {n_pred} {columns} but {names[1]} has {n_target}; predictions and targets must have "
        "the same shape (losscli never broadcasts)"
    )
    name = task.spec.name
    if n_target == 1 and name in LABELS_TWIN:
        why += (
            f". If {names[1]} holds class labels (one per sample, numbers or names), use "
            f"{LABELS_TWIN[name]}: {name} takes one-hot or probability targets of {n_pred} columns"
        )
    elif n_target == 1 and n_pred == 2 and name in BINARY:
        why += (
            f". Two columns are predict_proba's (one per class): {name} takes the positive class's probability, "
            f"--pred-col 1 in the one-file form, or the second column alone; or use sparse_cce with the labels"
        )
    raise InputError(why)


def block_terms(
    task: LossTask,
    pred: np.ndarray,
    target: np.ndarray,
    weights: np.ndarray | None,
    where: Where,
    var_rows=None,
    positive: float | None = None,
    finite: bool = False,
) -> BlockTerms:
    """The terms of one block: values checked against the loss's domain, labels one-hot,
    every weight applied. ``positive`` is scikit-learn's +1 hinge label, known from more
    targets than the block's (see ``engine/signs.py``); ``finite``: the caller has found
    every value finite."""
    spec, options = task.spec, task.options
    n_rows, n_outputs = pred.shape
    pred_domain, target_domain = spec.domains(options)
    check_values(pred, "predictions", pred_domain, spec.name, where, finite)
    if task.labels:
        t, labels, counted = one_hot(target[:, 0], n_outputs, options.get("ignore_index"), spec.name, where, finite)
    else:
        check_values(target, "targets", target_domain, spec.name, where, finite)
        t, labels, counted = target, None, None

    element_options = {o.name: options[o.name] for o in spec.options if o.to_elements}
    if element_options.get("pos_weight") is not None:
        element_options["pos_weight"] = pos_weight(element_options["pos_weight"], n_outputs)
    if element_options.get("label_map") in ("sklearn", "sklearn_pos") and positive is not None:
        element_options["positive"] = positive
    if element_options.get("var") is not None:
        element_options["var"] = variance(as_variance(element_options["var"], n_outputs), var_rows, n_rows)
    with np.errstate(all="ignore"):  # overflow, 0 * inf: the terms say so themselves (inf, nan)
        terms = element_terms(spec.elements, pred, t, element_options, task.dtype)
    if spec.per_sample_only:
        terms = terms.reshape(n_rows, 1)

    sample_weights = None if weights is None else check_weights(weights, where, finite)
    row_weights = _product(sample_weights, None if counted is None else counted.astype(np.float64))
    class_weights = task.class_weights
    term_weights = target_class_weights = None
    if class_weights is not None:
        class_weights = checked_class_weights(class_weights, n_outputs)
        if spec.class_weighting == "target_row":  # each sample by its label's weight; n stays N
            term_weights = class_weights[labels][:, None] * np.ones((1, terms.shape[1]))
        else:
            term_weights = np.broadcast_to(class_weights, terms.shape)
            if labels is not None:  # the mean divides by the sum of the targets' class weights
                target_class_weights = class_weights[labels]
    if row_weights is not None:
        term_weights = row_weights[:, None] * (1.0 if term_weights is None else term_weights)
    if term_weights is not None:
        with np.errstate(all="ignore"):
            terms = terms * term_weights
    divisor = _product(_product(sample_weights, target_class_weights), counted)
    if divisor is not None:
        divisor = np.asarray(divisor, dtype=np.float64)
    scale = None
    if spec.ratio is not None:
        with np.errstate(all="ignore"):
            scale = spec.ratio.scale(pred, t, **element_options)
            scale = scale if row_weights is None else scale * row_weights[:, None]
    output_scale = output_scale_of(task, n_outputs)
    return BlockTerms(terms, t, term_weights, divisor, counted, scale, element_options, output_scale)


def output_scale_of(task: LossTask, n_outputs: int) -> np.ndarray | None:
    """--output-weights w as w_j C / sum(w): the factor of each output's terms in a sum over outputs, so
    that a mean over outputs is scikit-learn's np.average(O, weights=w) (multioutput=[w1, ..., wC])."""
    weights = task.options.get("output_weights")
    if weights is None:
        return None
    w = flat(weights, "--output-weights")
    if len(w) != n_outputs:
        raise InputError(f"--output-weights: holds {len(w)} weights for {n_outputs} outputs; give one per output")
    if (w < 0).any() or not w.sum() > 0:
        raise InputError("--output-weights: weights must be >= 0 with a positive sum")
    return w * (n_outputs / w.sum())


TILE_VALUES = 1 << 13  # values per tile: 64 KiB for each float64 temporary of a loss's formula


def element_terms(
    elements: Callable, pred: np.ndarray, target: np.ndarray, options: dict, dtype: str = "float64"
) -> np.ndarray:
    """``elements(pred, target, **options)``, a tile of rows at a time. A loss's formula makes
    temporaries as large as its inputs: a tile's stay in the CPU's cache and in memory that
    malloc reuses, where a block's are fresh pages every time (Huber's terms 4x faster). A
    row's terms depend on that row alone and the tiles are fixed, so the bits are the same
    whoever reads the block. Options with a row per sample (a per-sample --var) are tiled too.

    ``dtype`` "float32" computes the terms as Keras's default call does: the inputs converted to
    float32 and every operation in float32, so its constants are float32 too (a Python float meets a
    float32 array as a float32: ``1 - 1e-7`` clips at 0.99999988). The terms come back as float64,
    and are summed exactly as any others."""
    n_rows, width = pred.shape
    rows = max(1, TILE_VALUES // max(1, width))
    if n_rows <= rows:
        return _in_precision(elements, pred, target, options, dtype)
    out = np.empty((n_rows, 0))
    for start in range(0, n_rows, rows):
        stop = min(start + rows, n_rows)
        tile_options = options_of_rows(options, n_rows, slice(start, stop))
        tile = _in_precision(elements, pred[start:stop], target[start:stop], tile_options, dtype)
        if start == 0:
            out = np.empty((n_rows, *tile.shape[1:]), dtype=tile.dtype)
        out[start:stop] = tile
    return out


def _in_precision(elements: Callable, pred: np.ndarray, target: np.ndarray, options: dict, dtype: str) -> np.ndarray:
    if dtype == "float64":
        return elements(pred, target, **options)
    terms = elements(pred.astype(dtype), target.astype(dtype), **options)
    return terms.astype(np.float64)


def take_root(task: LossTask, values):
    """The root a root loss takes after its reduction: the square root (RMSE), or the p-th root of a
    Minkowski distance (``Loss.root_power``). NaN below 0."""
    power = task.spec.root_power
    if power is None:
        return np.sqrt(values)
    return np.power(values, power(task.options))


def root_words(task: LossTask, inner: str) -> str:
    """``inner`` under the root, as the formulas write it: sqrt(x), (x)^(1/p)."""
    power = task.spec.root_power
    return f"sqrt({inner})" if power is None else f"({inner})^(1/{task.options['p']:g})"


def per_sample_values(task: LossTask, block: BlockTerms) -> np.ndarray:
    """L[i] of each sample of the block under the task's reduction."""
    with np.errstate(all="ignore"):
        if task.spec.ratio is not None:
            scale = block.scale
            assert scale is not None, "a ratio's block always carries its denominators"
            return ratio_of(task, block.row_sums, scale @ np.ones(scale.shape[1]))
        values = block.row_sums / (block.terms.shape[1] if task.reduction.mean_over_outputs else 1)
        return take_root(task, values) if task.spec.root else values


def raw_gradient(task: LossTask, pred: np.ndarray, block: BlockTerms, rows: np.ndarray | None = None) -> np.ndarray:
    """d(sum of the weighted terms)/dp: the gradient of the batch value before dividing by n;
    of the given ``rows`` only, when a table shows a few of them."""
    from .grads import gradient_of  # only when --grad asks

    targets, options, weights = block.targets, block.element_options, block.term_weights
    shape = block.terms.shape
    if rows is not None:
        options = options_of_rows(options, len(pred), rows)
        pred, targets = pred[rows], targets[rows]
        weights = None if weights is None else np.broadcast_to(weights, shape)[rows]
        shape = (len(rows), shape[1])
    upstream = np.ones(shape) if weights is None else np.array(weights)
    if block.output_scale is not None:
        upstream = upstream * block.output_scale
    with np.errstate(all="ignore"):
        return gradient_of(task.spec.elements)(pred, targets, upstream, **options)


def options_of_rows(options: dict, n_rows: int, rows) -> dict:
    """A loss's element options for some of a block's rows (a slice or indices): those with a
    row per sample (a per-sample --var, shape (n_rows, C)) are cut to those rows."""
    return {
        k: v[rows] if isinstance(v, np.ndarray) and v.ndim == 2 and v.shape[0] == n_rows else v
        for k, v in options.items()
    }


# --- checks -------------------------------------------------------------------------------


def check_values(
    values: np.ndarray, role: str, domain: Domain | None, loss: str, where: Where, finite: bool = False
) -> None:
    # One sum screens for infinity far cheaper than a mask (none when the caller's screen
    # found every value finite); finite values that overflow the sum only cost the mask
    # below. Missing values (NaN) were dealt with before.
    if not finite:
        with np.errstate(all="ignore"):
            finite = bool(np.isfinite(values.sum()))
    if not finite:
        bad = ~np.isfinite(values)
        if domain is not None and domain.minus_inf:  # a masked logit is a value, not a missing number
            bad &= values != -np.inf
        reject_first(values, bad, "is not a finite number", "drop or fill it first", role, where)
    if domain is not None:
        advice = f"{loss} needs {domain.need.replace('{role}', role)}"
        reject_first(values, ~domain.allowed(values), domain.problem, advice, role, where)


def reject_first(values: np.ndarray, bad: np.ndarray, problem, advice: str, role: str, where: Where) -> None:
    """Raise for the first True in ``bad``; ``problem`` is a text or a function of the value."""
    found = np.argwhere(bad)
    if len(found):
        i, j = (int(k) for k in found[0])
        value = float(values[i, j])
        what = problem if isinstance(problem, str) else problem(value)
        raise InputError(f"{where(role, i, j)}: {value!r} {what}; {advice}")


def one_hot(y: np.ndarray, n_classes: int, ignore_index: int | None, loss: str, where: Where, finite: bool = False):
    """One-hot targets from class labels, the labels, and the mask of counted samples."""
    check_values(y[:, None], "targets", None, loss, where, finite)
    counted = np.ones(len(y), dtype=bool) if ignore_index is None else y != ignore_index
    bad = counted & ((y != np.floor(y)) | (y < 0) | (y >= n_classes))
    reject_first(
        y[:, None],
        bad[:, None],
        f"is not a class label in [0, {n_classes})",
        f"{loss} needs integer labels, one per sample, below the number of prediction columns",
        "targets",
        where,
    )
    labels = np.where(counted, y, 0).astype(np.intp)
    encoded = np.zeros((len(y), n_classes))
    rows = np.flatnonzero(counted)
    encoded[rows, labels[rows]] = 1.0
    return encoded, labels, None if ignore_index is None else counted


def check_weights(weights: np.ndarray, where: Where, finite: bool = False) -> np.ndarray:
    w = weights.reshape(-1)
    domain = Domain(lambda a: a >= 0, "is negative", "{role} >= 0")
    check_values(w[:, None], "weights", domain, "--weights", where, finite)
    return w


def _product(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
    if a is None or b is None:
        return a if b is None else b
    return a * b


def flat(values, flag: str) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 2 and 1 in values.shape:
        values = values.ravel()
    if values.ndim > 1:
        raise InputError(f"{flag}: has shape {values.shape}; give one row or one column of numbers")
    return values.reshape(-1)


def checked_class_weights(values, n_classes: int) -> np.ndarray:
    w = flat(values, "--class-weights")
    if len(w) != n_classes:
        raise InputError(f"--class-weights: holds {len(w)} weights for {n_classes} classes; give one per class")
    if (w < 0).any():
        raise InputError(f"--class-weights: weight {int(np.argmax(w < 0))} is negative; class weights must be >= 0")
    return w


def pos_weight(values, n_outputs: int) -> np.ndarray | float:
    w = flat(values, "--pos-weight")
    if w.size == 1:
        return float(w[0])
    if w.size != n_outputs:
        raise InputError(
            f"--pos-weight: holds {w.size} weights for {n_outputs} outputs; give one number or one per output"
        )
    return w.reshape(1, n_outputs)


def as_variance(values, n_outputs: int) -> np.ndarray:
    """--var as a 2-D array of k rows (k = 1: every sample; else one row per sample) and C or 1 columns."""
    var = np.asarray(values, dtype=np.float64)
    if var.ndim == 0 or var.size == 1:
        var = var.reshape(1, 1)
    elif var.ndim == 1:
        var = var.reshape(-1, 1)  # one variance per sample, as PyTorch unsqueezes a short var
    if var.ndim != 2 or var.shape[1] not in (1, n_outputs):
        raise InputError(f"--var: has shape {var.shape}; give (N, {n_outputs}), (N, 1), (1, {n_outputs}) or one number")
    if (var < 0).any():
        raise InputError("--var: holds a negative variance; variances must be >= 0")
    return var


def check_variance(var: np.ndarray, n_samples: int, n_outputs: int) -> None:
    if var.shape[0] not in (1, n_samples):
        raise InputError(
            f"--var: has shape {var.shape}; give ({n_samples}, {n_outputs}), ({n_samples}, 1), "
            f"(1, {n_outputs}) or one number"
        )


def variance(var: np.ndarray, rows: np.ndarray | None, n_rows: int) -> np.ndarray:
    """The variances of this block's rows: per-sample rows picked by the rows' indices."""
    if var.shape[0] == 1:
        return var
    if rows is None or (len(rows) and int(rows.max()) >= var.shape[0]):
        raise InputError(f"--var: holds {var.shape[0]} rows, fewer than the samples; give one per sample")
    return var[rows]
