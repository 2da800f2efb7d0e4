"""The Python API: ``compute(loss, preds, targets, ...) -> Result``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import InputError, UsageError
from ..io.readers import ArrayInput
from .grads import gradient_of
from .reduce import SampleAxis, get_reduction, reduce_terms
from .registry import Domain, Loss, get_loss
from .result import Result, short

WEIGHT_DIVISORS = ("sum", "count")


def compute(
    loss: str | Loss,
    preds: Any,
    targets: Any,
    *,
    reduce: str | None = None,
    weights: Any = None,
    weight_divisor: str = "sum",
    grad: bool = False,
    **options: Any,
) -> Result:
    """Compute ``loss`` of ``preds`` against ``targets`` under a reduction.

    ``preds`` and ``targets`` are array-likes of shape (N,) or (N samples, C outputs)
    (targets of shape (N,) for losses that take class labels), or
    :class:`~losscli.readers.ArrayInput` from ``read_input`` (then errors name the file
    and line). ``reduce`` is ``all``, ``samples``, ``outputs`` or ``none`` (default: the
    loss's own). ``weights`` are N sample weights; averaging over samples then divides by
    their sum (``weight_divisor="sum"``, scikit-learn) or by N (``"count"``, Keras).
    ``options`` are the loss's options, e.g. ``delta=2.0``. With ``grad``, the result
    also holds the gradient of the batch value with respect to every prediction.

    >>> r = compute("mse", [[0.9, 0.1], [0.2, 0.9]], [[1, 0], [0, 1]], reduce="samples")
    >>> round(r.value, 12), r.n, r.n_text
    (0.035, 2, '2 samples')
    >>> compute("mae", [1.0, 2.0, 4.0], [1.5, 2.0, 3.0], weights=[1, 1, 2]).value
    0.625
    """
    spec = loss if isinstance(loss, Loss) else get_loss(loss)
    reduction = get_reduction(reduce or spec.default_reduce)
    if reduction.name not in spec.reductions:
        raise UsageError(_why_not(spec, reduction.name))
    if weight_divisor not in WEIGHT_DIVISORS:
        raise UsageError(f"unknown weight divisor {weight_divisor!r}; use sum or count")
    resolved = spec.resolve_options(options)
    pred = _as_input(preds, "predictions")
    target = _as_input(targets, "targets")
    n_samples, n_outputs = pred.values.shape

    pred_domain, target_domain = spec.domains(resolved)
    _check_values(pred, "predictions", pred_domain, spec.name)
    if spec.targets == "labels" or (spec.targets == "labels_or_same" and target.values.shape[1] == 1 < n_outputs):
        _check_same_samples(pred, target, spec.name)
        t, labels, counted = _one_hot(target, n_outputs, resolved.get("ignore_index"), spec.name)
    else:
        _check_same_shape(pred, target)
        _check_values(target, "targets", target_domain, spec.name)
        t, labels, counted = target.values, None, None

    element_options = {o.name: resolved[o.name] for o in spec.options if o.to_elements and resolved[o.name] is not None}
    for name, shaped in (("pos_weight", _pos_weight), ("var", _variance)):
        if name in element_options:
            element_options[name] = resolved[name] = shaped(element_options[name], n_samples, n_outputs)
    terms = spec.elements(pred.values, t, **element_options)
    if spec.per_sample_only:
        terms = terms.reshape(n_samples, 1)

    sample_weights = None if weights is None else _sample_weights(_as_input(weights, "weights"), n_samples)
    class_weights = resolved.get("class_weights")
    row_weights = _product(sample_weights, None if counted is None else counted.astype(np.float64))
    if class_weights is not None:
        class_weights = resolved["class_weights"] = _class_weights(class_weights, n_outputs)
        terms = terms * class_weights
    if row_weights is not None:
        terms = terms * row_weights[:, None]
    samples, weight_info = _sample_axis(
        n_samples, sample_weights, counted, None if class_weights is None else class_weights[labels], weight_divisor
    )
    if reduction.mean_over_samples and samples.size == 0:
        raise InputError(f"no sample counts ({samples.text}); the mean over samples is undefined")

    reduced = reduce_terms(terms, reduction, samples)
    per_sample, per_output, value, n = reduced.per_sample, reduced.per_output, reduced.value, reduced.n
    n_text = _n_text(reduction, samples, n_outputs, n)
    batch_formula = f"{spec.name} = sum(l) / n = {short(reduced.total)} / {short(n)} = {short(value)}"
    per_sample_formula = "L[i] = sum_j l[i, j] / C" if reduction.mean_over_outputs else "L[i] = sum_j l[i, j]"
    per_output_formula = f"O[j] = sum_i l[i, j] / {'N' if weight_info is None else 'sum(w)'}"
    if not reduction.mean_over_samples:
        per_output_formula = "O[j] = sum_i l[i, j]"

    if spec.ratio:
        scale = np.abs(target.values) if row_weights is None else np.abs(target.values) * row_weights[:, None]
        n = max(float(scale.sum()), _RATIO_FLOOR)
        value = reduced.total / n
        per_sample = (terms @ np.ones(n_outputs)) / np.maximum(scale @ np.ones(n_outputs), _RATIO_FLOOR)
        per_output = (np.ones(n_samples) @ terms) / np.maximum(np.ones(n_samples) @ scale, _RATIO_FLOOR)
        n_text = f"sum |t| = {short(n)}"
        batch_formula = f"{spec.name} = sum(l) / sum|t| = {short(reduced.total)} / {short(n)} = {short(value)}"
        per_sample_formula, per_output_formula = (
            "L[i] = sum_j l[i, j] / sum_j |t[i, j]|",
            ("O[j] = sum_i l[i, j] / sum_i |t[i, j]|"),
        )
    if spec.root:
        per_sample, per_output = np.sqrt(per_sample), np.sqrt(per_output)
        per_sample_formula = per_sample_formula.replace("= ", "= sqrt(", 1) + ")"
        per_output_formula = per_output_formula.replace("= ", "= sqrt(", 1) + ")"
        if resolved["per_output_root"]:
            value = float(per_output.sum()) / (n_outputs if reduction.mean_over_outputs else 1)
            over = " / C" if reduction.mean_over_outputs else ""
            batch_formula = f"{spec.name} = sum_j sqrt(O[j]){over} = {short(value)}   (roots taken per output)"
        else:
            value = math.sqrt(value)
            batch_formula = (
                f"{spec.name} = sqrt(sum(l) / n) = sqrt({short(reduced.total)} / {short(n)}) = {short(value)}"
                "   (root taken after the reduction)"
            )

    gradient = None
    if grad:
        # d(value)/d(term): each term's weight over n (the terms above already carry it),
        # then the root's chain rule.
        upstream = np.ones(terms.shape)
        if row_weights is not None:
            upstream *= row_weights[:, None]
        if class_weights is not None:
            upstream *= class_weights
        upstream /= n
        if spec.root and resolved["per_output_root"]:
            sample_divisor = samples.size if reduction.mean_over_samples else 1
            output_divisor = n_outputs if reduction.mean_over_outputs else 1
            upstream *= n / (sample_divisor * output_divisor * 2.0 * per_output)
        elif spec.root:
            upstream /= 2.0 * value
        gradient = gradient_of(spec.elements)(pred.values, t, upstream, **element_options)

    return Result(
        loss=spec.name,
        title=spec.title,
        formula=spec.formula,
        matches=spec.matches,
        options=resolved,
        reduction=reduction,
        shape=(n_samples, n_outputs),
        per_element=None if spec.per_sample_only else terms,
        per_sample=per_sample,
        per_output=None if spec.per_sample_only else per_output,
        total=reduced.total,
        n=n,
        value=value,
        n_text=n_text,
        summed_text=_summed_text(reduction),
        per_sample_formula=f"L[i] = {spec.formula}" if spec.per_sample_only else per_sample_formula,
        per_output_formula=per_output_formula,
        batch_formula=batch_formula,
        weights=weight_info,
        notes=spec.notes,
        gradient=gradient,
        mean_of_terms=not (spec.root or spec.ratio),
    )


_RATIO_FLOOR = 1.17e-6  # torchmetrics WMAPE's floor on sum |t|


def _why_not(spec: Loss, reduce: str) -> str:
    if spec.ratio:
        return f"{spec.name} is a ratio of sums over every element; only --reduce all applies"
    return (
        f"--reduce {reduce} needs per-element terms, and {spec.name} exists only per sample "
        f"(a max or a norm over the outputs); use --reduce samples or none"
    )


def _summed_text(reduction) -> str:
    if reduction.mean_over_samples and reduction.mean_over_outputs:
        return "mean over every element"
    if reduction.mean_over_samples:
        return "outputs summed, mean over samples"
    if reduction.mean_over_outputs:
        return "samples summed, mean over outputs"
    return "everything summed"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _n_text(reduction, samples: SampleAxis, n_outputs: int, n: float) -> str:
    outputs = _plural(n_outputs, "output")
    if reduction.mean_over_samples and reduction.mean_over_outputs:
        return f"{samples.text} x {outputs} = {short(n)}"
    if reduction.mean_over_samples:
        return samples.text
    if reduction.mean_over_outputs:
        return outputs
    return "1"


def _product(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
    if a is None or b is None:
        return a if b is None else b
    return a * b


def _sample_axis(n_samples, sample_weights, counted, target_class_weights, weight_divisor):
    """The size of the sample axis when it is averaged, and the JSON ``weights`` block."""
    if sample_weights is None and counted is None and target_class_weights is None:
        return SampleAxis(n_samples, _plural(n_samples, "sample")), None
    n_counted = n_samples if counted is None else int(counted.sum())
    ignored = "" if counted is None else f" ({n_samples - n_counted} ignored)"
    if weight_divisor == "count" or (sample_weights is None and target_class_weights is None):
        size = float(n_counted)
        return SampleAxis(size, _plural(n_counted, "sample") + ignored), {"divisor": "count", "value": size}
    size = float(_product(_product(sample_weights, target_class_weights), counted).sum())
    if target_class_weights is not None:
        text = f"sum of the targets' class weights = {short(size)}{ignored}"
        return SampleAxis(size, text), {"divisor": "class_weights", "value": size}
    return SampleAxis(size, f"sum of weights = {short(size)}{ignored}"), {"divisor": "sum", "value": size}


def _as_input(data: Any, role: str) -> ArrayInput:
    if isinstance(data, ArrayInput):
        return data
    try:
        values = np.asarray(data, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{role}: not an array of numbers ({exc})") from None
    if values.ndim not in (1, 2):
        raise InputError(f"{role}: has {values.ndim} dimensions; give shape (N,) or (N samples, C outputs)")
    if values.size == 0:
        raise InputError(f"{role}: is empty; give at least one sample")
    one_d = values.ndim == 1
    values = np.ascontiguousarray(values.reshape(len(values), -1))

    def locate(i: int, j: int) -> str:
        return f"[{i}]" if one_d else f"[{i}, {j}]"

    return ArrayInput(role, values, locate)


def _check_same_shape(pred: ArrayInput, target: ArrayInput) -> None:
    if pred.values.shape != target.values.shape:
        raise InputError(
            f"{pred.name} has shape {pred.values.shape} but {target.name} has shape "
            f"{target.values.shape}; predictions and targets must have the same shape "
            f"(losscli never broadcasts)"
        )


def _check_same_samples(pred: ArrayInput, target: ArrayInput, loss: str) -> None:
    if target.values.shape != (len(pred.values), 1):
        raise InputError(
            f"{target.name} has shape {target.values.shape}; {loss} takes class labels, one integer per sample: "
            f"targets of shape ({len(pred.values)},) for predictions {pred.name} of shape {pred.values.shape}"
        )


def _check_values(source: ArrayInput, role: str, domain: Domain | None, loss: str) -> None:
    values = source.values
    # One sum screens for NaN and infinity far cheaper than a mask; finite values
    # that overflow the sum only cost the mask below.
    if not np.isfinite(values.sum()):
        _reject_first(
            source, ~np.isfinite(values), "is not a finite number", "drop or fill missing and infinite values first"
        )
    if domain is not None:
        _reject_first(
            source, ~domain.allowed(values), domain.problem, f"{loss} needs {domain.need.replace('{role}', role)}"
        )


def _reject_first(source: ArrayInput, bad: np.ndarray, problem, advice: str) -> None:
    """Raise for the first True in ``bad``; ``problem`` is a text or a function of the value."""
    where = np.argwhere(bad)
    if len(where):
        i, j = (int(k) for k in where[0])
        value = float(source.values[i, j])
        what = problem if isinstance(problem, str) else problem(value)
        raise InputError(f"{source.name}: {source.locate(i, j)}: {value!r} {what}; {advice}")


def _one_hot(target: ArrayInput, n_classes: int, ignore_index: int | None, loss: str):
    """One-hot targets from class labels, the labels, and the mask of counted samples."""
    _check_values(target, "targets", None, loss)
    y = target.values[:, 0]
    counted = np.ones(len(y), dtype=bool) if ignore_index is None else y != ignore_index
    bad = counted & ((y != np.floor(y)) | (y < 0) | (y >= n_classes))
    _reject_first(
        target,
        bad[:, None],
        f"is not a class label in [0, {n_classes})",
        f"{loss} needs integer labels, one per sample, below the number of prediction columns",
    )
    labels = np.where(counted, y, 0).astype(np.intp)
    one_hot = np.zeros((len(y), n_classes))
    rows = np.flatnonzero(counted)
    one_hot[rows, labels[rows]] = 1.0
    return one_hot, labels, None if ignore_index is None else counted


def _flat(values: np.ndarray, flag: str) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 2 and 1 in values.shape:
        values = values.ravel()
    if values.ndim > 1:
        raise InputError(f"{flag}: has shape {values.shape}; give one row or one column of numbers")
    return values.reshape(-1)


def _sample_weights(weights: ArrayInput, n_samples: int) -> np.ndarray:
    w = _flat(weights.values, weights.name)
    if len(w) != n_samples:
        raise InputError(f"{weights.name}: holds {len(w)} weights for {n_samples} samples; give one weight per sample")
    source = ArrayInput(weights.name, w.reshape(-1, 1), weights.locate)
    _check_values(source, "weights", Domain(lambda a: a >= 0, "is negative", "{role} >= 0"), "--weights")
    return w


def _class_weights(values: np.ndarray, n_classes: int) -> np.ndarray:
    w = _flat(values, "--class-weights")
    if len(w) != n_classes:
        raise InputError(f"--class-weights: holds {len(w)} weights for {n_classes} classes; give one per class")
    if (w < 0).any():
        raise InputError(f"--class-weights: weight {int(np.argmax(w < 0))} is negative; class weights must be >= 0")
    return w


def _pos_weight(values: np.ndarray, n_samples: int, n_outputs: int) -> np.ndarray | float:
    w = _flat(values, "--pos-weight")
    if w.size == 1:
        return float(w[0])
    if w.size != n_outputs:
        raise InputError(
            f"--pos-weight: holds {w.size} weights for {n_outputs} outputs; give one number or one per output"
        )
    return w.reshape(1, n_outputs)


def _variance(values: np.ndarray, n_samples: int, n_outputs: int) -> np.ndarray:
    var = np.asarray(values, dtype=np.float64)
    if var.ndim == 1 and var.size != 1:
        var = var.reshape(-1, 1)  # one variance per sample, as PyTorch unsqueezes a short var
    allowed = {(n_samples, n_outputs), (n_samples, 1), (1, n_outputs), (), (1,), (1, 1)}
    if var.shape not in allowed:
        raise InputError(
            f"--var: has shape {var.shape}; give ({n_samples}, {n_outputs}), ({n_samples}, 1), "
            f"(1, {n_outputs}) or one number"
        )
    if (var < 0).any():
        raise InputError("--var: holds a negative variance; variances must be >= 0")
    return var.reshape(var.shape if var.ndim == 2 else (1, 1))
