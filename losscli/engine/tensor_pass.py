"""The N-D pass: blocks of whole samples (or runs of positions of a sample larger than a block) into exact
AxisSums, each sample's value, and what the tables, --grad and --ci keep beside them (docs/axes.md).

A unit of work is a block of whole samples, or one sample larger than a block read a run of positions at a
time; ``jobs`` threads run the units and their sums merge exactly, so neither the blocks nor ``--jobs``
change a bit of the value, n or a sample's value. ``inputs`` is the run's opened arrays
(``tensor_run._Inputs``): ``preds``, ``targets``, ``weights``, ``mask``, ``lengths`` and ``tensors``.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ..core import losses as L
from ..core import tensors as T
from ..core.registry import Loss
from ..core.terms import LossTask, check_values, pos_weight
from ..errors import InputError, UsageError
from .request import RunRequest

BLOCK_VALUES = 1 << 22  # values of the predictions per block: 32 MiB of float64 at a time


def shape_text(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _block_rows(shape: tuple[int, ...], block_values: int) -> int:
    per_sample = max(1, math.prod(shape[1:]))
    return max(1, block_values // per_sample)


class Keep(NamedTuple):
    """What a pass keeps beside the sums: every cell's value (--level element), the ``top`` largest cells."""

    cells: bool = False
    top: int = 0
    grad: bool = False  # d(sum of the weighted valid terms)/d(predictions), (N, P, C)
    ratio: tuple[str, ...] | None = None  # --ci: each sample's numerator and share of n under these axes


class Found(NamedTuple):
    sums: T.AxisSums
    per_sample: np.ndarray
    cells: np.ndarray | None  # (N, P) each cell's value, where kept
    worst: list[tuple[float, int, int]]  # (value, sample, flat position), largest first
    gradient: np.ndarray | None  # (N, P, C) the raw gradient, where asked for
    numerators: np.ndarray | None  # (N,) each sample's weighted valid terms summed (--ci)
    shares: np.ndarray | None  # (N,) each sample's share of n, where the samples are averaged (--ci)


def run_pass(task: LossTask, spec: Loss, inputs, roles: T.Roles, labels: bool, averaged, jobs=1, keep=None):
    """The exact sums of every block of samples, and each sample's value: a block of whole samples, or one
    sample larger than a block, a unit of work; ``jobs`` threads run them (NumPy releases the GIL), and their
    sums merge exactly, so the bits do not depend on ``jobs``."""
    keep = keep or Keep()
    n = roles.n_samples
    _check_cells(inputs, roles)
    per_token = spec.per_sample_only
    lengths = None if inputs.lengths is None else inputs.lengths.block(0, n)
    block_values = max(1, BLOCK_VALUES // max(1, jobs))  # the threads share one block's memory
    run = position_run(roles, block_values) if n else None
    axes = _per_sample_axes(averaged, per_token)
    step = 1 if run is not None else _block_rows(roles.shape, block_values)

    def unit(start: int):
        sums = T.AxisSums(roles, with_outputs=not per_token)
        if run is not None:
            return _split_sample(task, spec, inputs, roles, labels, start, lengths, axes, sums, run, keep)
        stop = min(start + step, n)
        block = roles._replace(shape=(stop - start, *roles.shape[1:]))
        found = _block(task, spec, inputs, block, labels, start, stop, lengths)
        terms, cells, weights = found.terms, found.cells, found.weights
        grad = None
        if keep.grad:
            grad = _raw_gradient(task, spec, found.pred, found.target, found.labels, cells.valid, weights)
        del found  # the block's inputs (B, P, C): freed before the sums make their temporaries
        sums.add(terms, cells, weights)
        values = T.per_sample_values(
            terms, block, axes, validity=cells, weights=weights, weight_divisor=task.weight_divisor
        )
        cell_values = _cell_values(terms, cells.valid, axes) if keep.cells or keep.top else None
        rows = None
        if keep.ratio is not None:
            numerators = T.per_sample_sums(terms, cells.valid, weights, np.zeros(len(values)))
            rows = (numerators, _shares(cells.valid, weights, keep.ratio, roles, terms.ndim == 3, task.weight_divisor))
        return sums, values, cell_values, grad, rows

    starts = range(0, max(n, 1), step)
    total, per_sample = T.AxisSums(roles, with_outputs=not per_token), np.empty(n)
    kept = np.empty((n, roles.n_positions)) if keep.cells else None
    worst: list[tuple[float, int, int]] = []
    gradient = np.zeros((n, roles.n_positions, roles.n_outputs)) if keep.grad else None
    numerators = np.zeros(n) if keep.ratio is not None else None
    shares = np.zeros(n) if keep.ratio is not None and "samples" in keep.ratio else None
    for start, (sums, values, cell_values, grad, rows) in zip(starts, _units(unit, starts, jobs), strict=True):
        total.merge(sums)
        per_sample[start : start + len(values)] = values
        if rows is not None and numerators is not None:
            numerators[start : start + len(values)] = rows[0]
            if shares is not None:
                shares[start : start + len(values)] = rows[1]
        if kept is not None:
            kept[start : start + len(values)] = cell_values
        if gradient is not None:
            gradient[start : start + len(grad)] = grad
        if keep.top:
            worst = _largest([*worst, *_largest_cells(cell_values, keep.top, start)], keep.top)
    return Found(total, per_sample, kept, worst, gradient, numerators, shares)


def _cell_values(terms: np.ndarray, valid: np.ndarray, axes: tuple[str, ...]) -> np.ndarray:
    """(B, Q) each cell's figure before exp or sqrt, its n one cell: the outputs summed, or averaged where
    the per-sample axes average them; NaN where the cell was removed. Unweighted."""
    with np.errstate(all="ignore"):
        cells = terms if terms.ndim == 2 else terms.sum(axis=2) / (terms.shape[2] if "outputs" in axes else 1)
    return np.where(valid, cells, np.nan)


def _largest_cells(cells: np.ndarray, top: int, start: int, first: int = 0) -> list[tuple[float, int, int]]:
    """The ``top`` largest of (B, Q) cells from sample ``start`` and position ``first`` (NaN left out)."""
    if top <= 0 or cells.size == 0:
        return []
    flat = np.where(np.isnan(cells), -np.inf, cells).reshape(-1)
    k = min(top, flat.size)
    picked = np.argpartition(-flat, k - 1)[:k] if k < flat.size else np.arange(flat.size)
    width = cells.shape[1]
    return [
        (float(flat[j]), start + int(j) // width, first + int(j) % width)
        for j in picked
        if not np.isnan(cells.reshape(-1)[j])
    ]


def _largest(found: list[tuple[float, int, int]], top: int) -> list[tuple[float, int, int]]:
    """The ``top`` largest, ties by sample then position: the same list however the work was split."""
    return sorted(found, key=lambda c: (-c[0], c[1], c[2]))[:top]


def _units(unit, starts: range, jobs: int):
    """``unit`` of every start, in order: in this thread, or in ``jobs`` threads, a few units ahead."""
    if jobs <= 1 or len(starts) <= 1:
        yield from map(unit, starts)
        return
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(jobs, thread_name_prefix="losscli")
    ahead: deque = deque()
    try:
        for start in starts:
            ahead.append(pool.submit(unit, start))
            if len(ahead) > 2 * jobs:  # memory: a few blocks in flight, not every block
                yield ahead.popleft().result()
        while ahead:
            yield ahead.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def jobs_for(request: RunRequest, inputs) -> int:
    """--jobs, or every core for inputs of several blocks; one where an input is a stream (read forward)."""
    if not all(t.concurrent for t in inputs.tensors):
        return 1
    if request.engine.jobs is not None:
        return max(1, request.engine.jobs)
    import os

    return (os.cpu_count() or 1) if math.prod(inputs.preds.shape) >= 4 * BLOCK_VALUES else 1


def position_run(roles: T.Roles, block_values: int) -> int | None:
    """How many positions a block holds when one sample is larger than a block (None: whole samples fit, or
    the outputs axis is not last, so that a run of positions is not contiguous: whole samples are read).
    A multiple of T.POSITION_CHUNK, so that a sample's value has the bits of the sample read whole."""
    if math.prod(roles.shape[1:]) <= block_values or not roles.positions:
        return None
    ndim = len(roles.shape)
    if roles.outputs != tuple(range(ndim - len(roles.outputs), ndim)):
        return None
    chunk = T.POSITION_CHUNK
    return max(chunk, block_values // max(1, roles.n_outputs) // chunk * chunk)


def _split_sample(task, spec, inputs, roles, labels, i, lengths, axes, sums, run, keep):
    """Sample ``i`` a run of positions at a time, added to ``sums``; its value (1,) and cell values (1, P).
    Its cells, labels and weights (P values each) are read whole, its predictions and targets (P x C) a run
    at a time."""
    one = roles._replace(shape=(1, *roles.shape[1:]))
    try:
        y, cells, weights = _sample_cells(task, inputs, one, labels, i, lengths)
    except InputError as error:
        raise _in_file(error, inputs, i) from None
    sums.add_samples(cells, weights)
    total, with_outputs = np.zeros(1), True
    cell_values = np.empty((1, roles.n_positions))
    gradient = np.zeros((1, roles.n_positions, roles.n_outputs)) if keep.grad else None
    for p0 in range(0, roles.n_positions, run):
        p1 = min(p0 + run, roles.n_positions)
        valid = cells.valid[:, p0:p1]
        w = weights if weights is None or weights.ndim == 1 else weights[:, p0:p1]
        y_run = None if y is None else y[:, p0:p1]
        terms, pred, target = _terms_of_run(task, spec, inputs, roles, i, (p0, p1), valid, y_run)
        if gradient is not None:
            gradient[:, p0:p1] = _raw_gradient(task, spec, pred, target, y_run, valid, w)
        del pred, target  # the run's inputs (1, Q, C): freed before the sums make their temporaries
        sums.add_terms(terms, valid, w, p0)
        total, with_outputs = T.per_sample_sums(terms, valid, w, total), terms.ndim == 3
        cell_values[:, p0:p1] = _cell_values(terms, valid, axes)
    value = T.per_sample_divided(total, one, axes, cells.valid, weights, task.weight_divisor, with_outputs)
    rows = None
    if keep.ratio is not None:
        rows = (total, _shares(cells.valid, weights, keep.ratio, roles, with_outputs, task.weight_divisor))
    return sums, value, cell_values, gradient, rows


def _shares(valid, weights, averaged: tuple[str, ...], roles: T.Roles, with_outputs: bool, weight_divisor: str):
    """(B,) what each sample adds to n under the batch's averaged axes (which average the samples): its valid
    cells (their weights under "sum") where positions are averaged, else 1 (its weight) if it has a valid
    cell; times C where the outputs are. None where the samples are not averaged (n is then a constant)."""
    if "samples" not in averaged:
        return None
    weighted = weights is not None and weight_divisor == "sum"
    if "positions" in averaged and roles.has_positions:
        w = None if weights is None else (weights[:, None] if weights.ndim == 1 else weights)
        base = np.where(valid, w, 0.0).sum(axis=1) if weighted else valid.sum(axis=1).astype(np.float64)
    else:
        base = valid.any(axis=1) * (weights if weighted else 1.0)
    return base * (roles.n_outputs if "outputs" in averaged and with_outputs else 1)


def _sample_cells(task: LossTask, inputs, one: T.Roles, labels: bool, i: int, lengths):
    """Sample ``i``'s labels (1, P) (None without labels), its validity and its weights, checked."""
    target = inputs.targets.block(i, i + 1) if labels else None
    cells = T.validity(
        one,
        mask=None if inputs.mask is None else inputs.mask.block(i, i + 1),
        labels=target,
        ignore_index=task.options.get("ignore_index") if labels else None,
        lengths=None if lengths is None else lengths[i : i + 1],
    )
    weights = None if inputs.weights is None else T.cell_weights(inputs.weights.block(i, i + 1), one)
    if not labels:
        return None, cells, weights
    y = T.flatten_cells(target, one, "the labels").astype(np.float64)
    T.check_labels(y, one.n_outputs, cells.valid, one)
    return y, cells, _with_class_weights(task, y, cells.valid, weights)


def _terms_of_run(task, spec, inputs, roles, i, run, valid, y):
    """The terms (1, Q, C) or (1, Q) of positions ``run`` of sample ``i``, its predictions and targets (None
    for an exponent loss's labels); ``y`` its labels there, checked."""
    p0, p1 = run
    c = roles.n_outputs
    shape = (1, p1 - p0, c)
    pred = inputs.preds.part(i, p0 * c, p1 * c).reshape(shape)
    names = {"predictions": inputs.preds.name, "targets": inputs.targets.name}
    pred_domain, target_domain = spec.domains(task.options)
    check_valid(pred, valid, "predictions", pred_domain, spec, roles, names, i, p0)
    if y is not None:
        if spec.exponent:
            return T.token_log_loss(pred, y, valid, bool(task.options.get("from_logits", True))), pred, None
        target = T.labels_one_hot(y, c, valid, T.Roles(shape, (2,), (1,)))
    else:
        target = inputs.targets.part(i, p0 * c, p1 * c).reshape(shape)
        check_valid(target, valid, "targets", target_domain, spec, roles, names, i, p0)
    return T.element_terms_of(spec.elements, pred, target, _element_options(task, c), task.dtype), pred, target


def _per_sample_axes(averaged: tuple[str, ...], per_token: bool) -> tuple[str, ...]:
    return tuple(a for a in averaged if a != "samples" and not (per_token and a == "outputs"))


def _check_cells(inputs, roles: T.Roles) -> None:
    """The shapes of the mask, the weights and the lengths, before any value is read."""
    cells = (roles.cell_shape, (*roles.cell_shape, 1))  # Keras's (N, T, 1) masks and weights: squeezed
    if inputs.mask is not None and inputs.mask.shape not in cells:
        raise InputError(
            f"{inputs.mask.name}: the mask has shape {shape_text(inputs.mask.shape)}; it must have the predictions' "
            f"shape without the outputs axis: {shape_text(roles.cell_shape)} for predictions of shape "
            f"{shape_text(roles.shape)}"
        )
    if inputs.weights is not None and inputs.weights.shape not in ((roles.n_samples,), *cells):
        raise InputError(
            f"{inputs.weights.name}: the weights have shape {shape_text(inputs.weights.shape)}; give one per sample, "
            f"({roles.n_samples},), or one per position, {shape_text(roles.cell_shape)}"
        )
    if inputs.lengths is not None and inputs.lengths.shape != (roles.n_samples,):
        raise InputError(
            f"{inputs.lengths.name}: the lengths have shape {shape_text(inputs.lengths.shape)}; give one per sample: "
            f"({roles.n_samples},)"
        )


def _block(task: LossTask, spec: Loss, inputs, roles: T.Roles, labels: bool, start: int, stop: int, lengths):
    """One block's terms (B, P, C) or (B, P), its validity (B, P) and its weights (B,) or (B, P)."""
    try:
        return _terms_of_block(task, spec, inputs, roles, labels, start, stop, lengths)
    except InputError as error:  # core/tensors names the role and the index; the file goes first
        raise _in_file(error, inputs, start) from None


def _in_file(error: InputError, inputs, start: int) -> InputError:
    """'labels[1, 3] = -100 ...' of a block starting at ``start`` as 'y.npy[1 + start, 3] = -100 ...'."""
    import re

    text = str(error)
    named = {"labels": inputs.targets, "mask": inputs.mask, "weights": inputs.weights, "lengths": inputs.lengths}
    found = re.match(r"(labels|mask|weights|lengths)\[(\d+)(.*?)\]", text)
    if found and named.get(found.group(1)) is not None:
        tensor = named[found.group(1)]
        row = int(found.group(2)) + (0 if found.group(1) == "lengths" else start)
        text = f"{tensor.name}[{row}{found.group(3)}]" + text[found.end() :]
        if " = -100 is not a class label" in text:
            text += "; -100 is PyTorch's ignored label: --ignore-index -100 leaves those positions out"
    return InputError(text)


def _terms_of_block(task, spec, inputs, roles, labels, start, stop, lengths):
    pred = T.flatten_outputs(inputs.preds.block(start, stop), roles)
    target_block = inputs.targets.block(start, stop)
    label_cells = T.flatten_cells(target_block, roles, "the labels") if labels else None
    cells = T.validity(
        roles,
        mask=None if inputs.mask is None else inputs.mask.block(start, stop),
        labels=target_block if labels else None,
        ignore_index=task.options.get("ignore_index") if labels else None,
        lengths=None if lengths is None else lengths[start:stop],
    )
    names = {"predictions": inputs.preds.name, "targets": inputs.targets.name}
    pred_domain, target_domain = spec.domains(task.options)
    check_valid(pred, cells.valid, "predictions", pred_domain, spec, roles, names, start)
    weights = None if inputs.weights is None else T.cell_weights(inputs.weights.block(start, stop), roles)
    if labels:
        assert label_cells is not None
        y = label_cells.astype(np.float64)
        if spec.exponent:  # -log q[y] picked, no one-hot of a vocabulary
            T.check_labels(y, roles.n_outputs, cells.valid, roles)
            terms = T.token_log_loss(pred, y, cells.valid, bool(task.options.get("from_logits", True)))
            return _Block(terms, cells, weights, pred, None, y)
        target = T.labels_one_hot(y, roles.n_outputs, cells.valid, roles)
        weights = _with_class_weights(task, y, cells.valid, weights)
    else:
        target = T.flatten_outputs(target_block, roles)
        check_valid(target, cells.valid, "targets", target_domain, spec, roles, names, start)
    terms = T.element_terms_of(spec.elements, pred, target, _element_options(task, roles.n_outputs), task.dtype)
    return _Block(terms, cells, weights, pred, target, None)


class _Block(NamedTuple):
    """One block's terms (B, P, C) or (B, P), validity (B, P), weights (B,) or (B, P), and the inputs they
    came from (B, P, C): targets, or (for an exponent loss) the labels (B, P)."""

    terms: np.ndarray
    cells: T.Validity
    weights: np.ndarray | None
    pred: np.ndarray
    target: np.ndarray | None
    labels: np.ndarray | None


def _raw_gradient(task: LossTask, spec: Loss, pred, target, labels, valid, weights) -> np.ndarray:
    """d(the weighted valid terms' sum)/d(predictions), (B, Q, C): the loss's own gradient of core/grads.py
    (the one --grad uses on 2-D inputs), 0 at a removed cell."""
    from ..core.grads import gradient_of

    b, q, c = pred.shape
    if target is None:  # an exponent loss's labels: -log q[y] is the cross-entropy of their one-hot rows
        target = T.labels_one_hot(labels, c, valid, T.Roles(pred.shape, (2,), (1,)))
    w = (
        np.ones((b, q))
        if weights is None
        else np.broadcast_to(weights[:, None] if weights.ndim == 1 else weights, (b, q))
    )
    cell = np.where(valid, w, 0.0).reshape(-1, 1)
    upstream = cell if spec.per_sample_only else np.repeat(cell, c, axis=1)
    elements = L.categorical_cross_entropy if spec.exponent else spec.elements
    if spec.exponent:  # the probabilities as given: no clip, no renormalising
        options = {"from_logits": bool(task.options.get("from_logits", True)), "eps": 0.0, "normalize": False}
    else:
        options = _element_options(task, c)
    with np.errstate(all="ignore"):
        g = gradient_of(elements)(pred.reshape(-1, c), target.reshape(-1, c), upstream, **options)
    return np.where(valid[..., None], g.reshape(b, q, c), 0.0)


def check_valid(
    values, valid, role, domain, spec: Loss, roles: T.Roles, names: dict, start: int, first: int = 0
) -> None:
    """The domain of the loss on the valid cells (a removed cell's values may be anything: padding): a block
    of samples from ``start``, or of positions from ``first`` of one sample."""
    rows = np.flatnonzero(valid.reshape(-1))
    flat = values.reshape(-1, values.shape[2])[rows]

    def where(_role: str, k: int, j: int) -> str:
        i, p = divmod(int(rows[k]), valid.shape[1])
        return f"{names[role]}[{', '.join(map(str, _element_index(roles, start + i, first + p, j)))}]"

    check_values(flat, role, domain, spec.name, where)


def _element_index(roles: T.Roles, i: int, p: int, j: int) -> tuple[int, ...]:
    """The index in the input's own shape of flattened element (i, p, j)."""
    index = [0] * len(roles.shape)
    index[0] = i
    if roles.positions:
        for axis, k in zip(roles.positions, np.unravel_index(p, roles.position_shape), strict=True):
            index[axis] = int(k)
    if roles.outputs:
        sizes = tuple(roles.shape[a] for a in roles.outputs)
        for axis, k in zip(roles.outputs, np.unravel_index(j, sizes), strict=True):
            index[axis] = int(k)
    return tuple(index)


def _element_options(task: LossTask, n_outputs: int) -> dict:
    spec, options = task.spec, task.options
    element_options = {o.name: options[o.name] for o in spec.options if o.to_elements}
    if element_options.get("pos_weight") is not None:
        element_options["pos_weight"] = pos_weight(element_options["pos_weight"], n_outputs)
    for name, why in (("var", "a per-sample variance"), ("output_weights", "weights of the outputs")):
        if options.get(name) is not None:
            raise UsageError(f"--{name.replace('_', '-')} ({why}) is not available for N-D inputs yet")
    if element_options.get("label_map") in ("sklearn", "sklearn_pos"):
        raise UsageError("scikit-learn's hinge labels are read from every target; not available for N-D inputs yet")
    return element_options


def _with_class_weights(task: LossTask, labels: np.ndarray, valid: np.ndarray, weights):
    """PyTorch's weight= of CrossEntropyLoss and NLLLoss: each cell by its label's class weight, and the
    token mean divided by the sum of those weights (per-position weights)."""
    if task.class_weights is None:
        return weights
    if not task.divides_by_class_weights:
        raise UsageError(f"--class-weights of {task.spec.name} are not available for N-D inputs yet")
    cells = T.class_weight_cells(labels, task.class_weights, valid)
    if weights is None:
        return cells
    return cells * (weights[:, None] if weights.ndim == 1 else weights)


# --- the ratio losses -------------------------------------------------------------------------
