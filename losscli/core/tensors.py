"""Inputs of any rank: the roles of their axes, what is valid, and n over named axes (design/axes.md).

An array of shape (N, d1, ..., dk) has three kinds of axes: axis 0 the **samples**, one **outputs**
axis (the classes or output neurons: the last by default; a tuple, as optax takes, is one flattened
class axis) and every other axis a **position** (timesteps, tokens, pixels). Everything here works on
the flattened layout: predictions (N, P, C), labels, masks and per-position weights (N, P), where P is
the product of the position axes in their order (C order), so (N, C, H, W) with ``axis=1`` becomes
(N, H x W, C) and its labels (N, H, W) become (N, H x W).

Masks, ignored labels and lengths each remove (sample, position) cells; they are kept apart in a
record of how many cells each removed, and weights scale the terms, so a result can say what changed
its n. A reduction averages the axes it names and sums the others; its sums are exact
(:mod:`losscli.core.sums`), so the value has the same bits however the samples were split in blocks.
Pure NumPy, no input reading: the engine wires these in.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from ..errors import InputError, UsageError
from .constants import EMPTY_POLICIES, KERAS_EPSILON
from .finish import plural
from .result import short
from .sums import ExactSum, VectorSum, add_exactly, vector_from_dict, vector_to_dict
from .terms import element_terms

AXES = ("samples", "positions", "outputs")  # the named axes of --reduce, in this order
WEIGHT_DIVISORS = ("sum", "count")

AxisArgument = int | Sequence[int]


# --- axis roles -----------------------------------------------------------------------------


class Roles(NamedTuple):
    """The role of every axis of an input's shape."""

    shape: tuple[int, ...]
    outputs: tuple[int, ...]  # the class (output) axes, increasing; () for a 1-D input: one output
    positions: tuple[int, ...]  # every other axis but 0, increasing

    @property
    def n_samples(self) -> int:
        return self.shape[0]

    @property
    def position_shape(self) -> tuple[int, ...]:
        return tuple(self.shape[a] for a in self.positions)

    @property
    def n_positions(self) -> int:
        """P: the product of the position axes (1 when there are none)."""
        return math.prod(self.position_shape)

    @property
    def n_outputs(self) -> int:
        """C: the product of the outputs axes (1 for a 1-D input)."""
        return math.prod(self.shape[a] for a in self.outputs)

    @property
    def has_positions(self) -> bool:
        return bool(self.positions)

    @property
    def cell_shape(self) -> tuple[int, ...]:
        """The shape of labels, a mask or per-position weights: the input's without its outputs axes."""
        return (self.n_samples, *self.position_shape)

    def describe(self) -> str:
        """'samples 2 (axis 0), outputs 5 (axis 1), positions 3 x 4 (axes 2, 3)'."""
        parts = [f"samples {self.n_samples:,} (axis 0)"]
        if self.outputs:
            sizes = " x ".join(f"{self.shape[a]:,}" for a in self.outputs)
            parts.append(f"outputs {sizes} ({_axes_words(self.outputs)})")
        if self.positions:
            sizes = " x ".join(f"{d:,}" for d in self.position_shape)
            parts.append(f"positions {sizes} ({_axes_words(self.positions)})")
        return ", ".join(parts)


def _axes_words(axes: tuple[int, ...]) -> str:
    return f"axis {axes[0]}" if len(axes) == 1 else "axes " + ", ".join(str(a) for a in axes)


def _shape_text(shape: Sequence[int]) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _axis_list(axis: AxisArgument) -> list[int]:
    if isinstance(axis, bool) or not isinstance(axis, int | np.integer | Sequence):
        raise UsageError(f"--axis {axis!r}: give an axis number, or a comma list of them")
    items = [axis] if isinstance(axis, int | np.integer) else list(axis)
    if not items or any(isinstance(a, bool) or not isinstance(a, int | np.integer) for a in items):
        raise UsageError(f"--axis {axis!r}: give an axis number, or a comma list of them")
    return [int(a) for a in items]


def _axis_text(axis: AxisArgument) -> str:
    """An axis argument as the command line writes it: 1, -1, 1,2,3."""
    return ",".join(str(a) for a in _axis_list(axis))


def normalised_axes(shape: Sequence[int], axis: AxisArgument, samples_allowed: bool = False) -> tuple[int, ...]:
    """``axis`` (an int, negative from the end, or a sequence of them) as increasing axis numbers of ``shape``;
    axis 0, the samples, only where ``samples_allowed``."""
    ndim = len(shape)
    low = 0 if samples_allowed else 1
    out = []
    for a in _axis_list(axis):
        if not -ndim <= a < ndim:
            raise UsageError(
                f"--axis {a} is out of range for shape {_shape_text(shape)} of {ndim} axes: "
                f"use {low}..{ndim - 1} or -1..-{ndim - low}"
            )
        if a % ndim == 0 and not samples_allowed:
            raise UsageError(
                f"--axis {a} is axis 0, the samples of shape {_shape_text(shape)}; "
                f"the outputs axis is one of 1..{ndim - 1} (or -1, the last)"
            )
        out.append(a % ndim)
    if len(set(out)) != len(out):
        raise UsageError(f"--axis {_axis_text(axis)} names an axis twice (shape {_shape_text(shape)})")
    return tuple(sorted(out))


def axis_roles(shape: Sequence[int], axis: AxisArgument = -1) -> Roles:
    """The roles of ``shape``'s axes with ``axis`` the outputs axis (a tuple: one flattened class axis, as
    optax takes); the frameworks' ``axis`` argument of a class or element loss. A 1-D input (N,) has one
    output and no outputs axis."""
    dims = tuple(int(d) for d in shape)
    if not dims:
        raise InputError("a single number has no samples axis; give an array of shape (N, ...)")
    if len(dims) == 1:
        if _axis_list(axis) not in ([-1], [0]):
            written = _shape_text(dims)
            raise UsageError(f"--axis {_axis_text(axis)}: an input of shape {written} has only the samples axis")
        return Roles(dims, (), ())
    outputs = normalised_axes(dims, axis)
    positions = tuple(a for a in range(1, len(dims)) if a not in outputs)
    return Roles(dims, outputs, positions)


def label_roles(
    pred_shape: Sequence[int], label_shape: Sequence[int], axis: AxisArgument | None = None
) -> tuple[Roles, str]:
    """The roles of class predictions whose labels have the class axis removed, and how the class axis was
    chosen. ``axis`` None: the last if the labels fit it (the default), else the one axis they fit."""
    pred, labels = tuple(int(d) for d in pred_shape), tuple(int(d) for d in label_shape)
    if len(labels) == len(pred) > 1 and labels[-1] == 1 and labels != pred:
        # Keras's sparse labels often keep a trailing axis of size 1, (N, T, 1); it squeezes it, so do we
        roles, how = label_roles(pred, labels[:-1], axis)
        return roles, f"{how}; labels {_shape_text(labels)} read as {_shape_text(labels[:-1])}, as Keras squeezes them"
    if axis is not None:
        roles = axis_roles(pred, axis)
        if labels != roles.cell_shape:
            raise InputError(
                f"labels of shape {_shape_text(labels)} do not fit predictions of shape {_shape_text(pred)} with "
                f"--axis {_axis_text(axis)}: labels take the predictions' shape without the class axis, "
                f"{_shape_text(roles.cell_shape)}{_would_fit(pred, labels)}"
            )
        return roles, f"the class axis is {_axes_words(roles.outputs)} (--axis)"
    fits = [a for a in range(1, len(pred)) if pred[:a] + pred[a + 1 :] == labels]
    if not fits and pred[1:] == labels:
        raise InputError(
            f"labels of shape {_shape_text(labels)} fit predictions of shape {_shape_text(pred)} only without axis 0, "
            "which losscli reads as the samples (Keras's axis=0 on an input without a batch axis): give both a "
            "samples axis, p[None] and y[None], and --axis 1"
        )
    if not fits:
        raise InputError(
            f"labels of shape {_shape_text(labels)} fit no axis of predictions of shape {_shape_text(pred)}: "
            f"labels take the predictions' shape without the class axis{_would_fit(pred, labels)}"
        )
    last = len(pred) - 1
    if last in fits:
        others = [a for a in fits if a != last]
        also = f"; axis {others[0]} would fit the labels too (--axis {others[0]} for channels-first)" if others else ""
        return axis_roles(pred, last), f"the class axis is the last, axis {last} (the default){also}"
    if len(fits) > 1:
        raise UsageError(
            f"labels of shape {_shape_text(labels)} fit axes {', '.join(map(str, fits))} of predictions of shape "
            f"{_shape_text(pred)}; say which holds the classes with --axis"
        )
    return axis_roles(pred, fits[0]), f"the class axis is axis {fits[0]}, the one the labels lack"


def _would_fit(pred: tuple[int, ...], labels: tuple[int, ...]) -> str:
    """'; (2, 3, 4) would fit with --axis 1, (2, 5, 4) with --axis 2, ...': the labels' shapes that fit."""
    if len(pred) < 2:
        return ""
    options = [f"{_shape_text(pred[:a] + pred[a + 1 :])} with --axis {a}" for a in range(1, len(pred))]
    return "; " + ", ".join(options) + " would fit"


def ratio_axes(shape: Sequence[int], axis: AxisArgument | None | str = "sample") -> tuple[int, ...]:
    """The axes summed inside each ratio of a ratio loss (dice, tversky). ``"sample"``: every axis but the
    samples, one ratio per sample (losscli's default, today's 2-D behaviour); None: every axis, one ratio for
    the whole batch (Keras's default ``axis=None``); else the frameworks' ``axis``, axis 0 allowed."""
    dims = tuple(int(d) for d in shape)
    if axis == "sample":
        return tuple(range(1, len(dims))) if len(dims) > 1 else (0,)
    if axis is None:
        return tuple(range(len(dims)))
    if isinstance(axis, str):
        raise UsageError(f"--axis {axis!r}: give axis numbers, or none for every axis")
    return normalised_axes(dims, axis, samples_allowed=True)


# --- the flattened layout -------------------------------------------------------------------


def flatten_outputs(array: np.ndarray, roles: Roles) -> np.ndarray:
    """(N, ..., C at its axis, ...) -> (N, P, C): the outputs axes moved last (flattened in their order),
    the positions flattened in theirs. A view where NumPy can make one."""
    a = np.asarray(array)
    if a.shape != roles.shape:
        raise InputError(f"an array of shape {_shape_text(a.shape)} where {_shape_text(roles.shape)} was expected")
    moved = np.moveaxis(a, roles.outputs, range(a.ndim - len(roles.outputs), a.ndim)) if roles.outputs else a
    return moved.reshape(roles.n_samples, roles.n_positions, roles.n_outputs)


def unflatten_outputs(flat: np.ndarray, roles: Roles) -> np.ndarray:
    """(N, P, C) -> the input's own shape: :func:`flatten_outputs` undone (a gradient, shaped as the input)."""
    sizes = tuple(roles.shape[a] for a in roles.outputs)
    a = np.asarray(flat).reshape((roles.n_samples, *roles.position_shape, *sizes))
    k = len(roles.outputs)
    return np.moveaxis(a, range(a.ndim - k, a.ndim), roles.outputs) if k else a.reshape(roles.shape)


def flatten_cells(array: Any, roles: Roles, what: str) -> np.ndarray:
    """Labels, a mask or per-position weights of the predictions' shape without the outputs axes, as (N, P)."""
    a = np.asarray(array)
    if a.shape != roles.cell_shape and a.shape != (*roles.cell_shape, 1):  # Keras's trailing axis of size 1
        raise InputError(
            f"{what} has shape {_shape_text(a.shape)}; it must have the predictions' shape without the outputs "
            f"axis: {_shape_text(roles.cell_shape)} for predictions of shape {_shape_text(roles.shape)}"
        )
    return a.reshape(roles.n_samples, roles.n_positions)


def cell_index(roles: Roles, i: int, p: int) -> tuple[int, ...]:
    """The index in the cell shape (N, d1, ...) of flattened cell (i, p)."""
    if not roles.positions:
        return (int(i),)
    return (int(i), *(int(k) for k in np.unravel_index(int(p), roles.position_shape)))


def _shown(x: Any) -> str:
    """A value of an input as a person wrote it: 6, -0.5, nan (not np.float64(6.0))."""
    f = float(x)
    return str(int(f)) if f.is_integer() and abs(f) < 2.0**53 else repr(f)


def _where(what: str, roles: Roles, i: int, p: int) -> str:
    return f"{what}[{', '.join(str(k) for k in cell_index(roles, i, p))}]"


# --- validity -------------------------------------------------------------------------------


class Removed(NamedTuple):
    """How many (sample, position) cells each source removed; a cell two sources remove counts in both."""

    masked: int = 0
    ignored: int = 0
    past_length: int = 0

    def text(self, removed: int) -> str:
        """'256 ignored', or '3 masked, 2 ignored; 4 removed' where several sources removed cells."""
        parts = [
            f"{count:,} {word}"
            for count, word in ((self.masked, "masked"), (self.ignored, "ignored"), (self.past_length, "past length"))
            if count
        ]
        if len(parts) > 1:
            return f"{', '.join(parts)}; {removed:,} removed"
        return parts[0] if parts else ""


class Validity(NamedTuple):
    """Which (sample, position) cells count, as (N, P) booleans, and what removed the others: per sample, the
    cells the mask, the ignored labels and the lengths each removed (N, 3), so that a block of samples
    carries its own record."""

    valid: np.ndarray
    removed_rows: np.ndarray

    @property
    def removed(self) -> Removed:
        return Removed(*(int(k) for k in self.removed_rows.sum(axis=0)))

    def rows(self, rows: slice) -> Validity:
        """The validity of some samples."""
        return Validity(self.valid[rows], self.removed_rows[rows])


def validity(
    roles: Roles,
    *,
    mask: Any = None,
    labels: Any = None,
    ignore_index: float | None = None,
    lengths: Any = None,
) -> Validity:
    """The cells that count: not masked (``mask`` 0/False), not labelled ``ignore_index``, not at or past
    their sample's length along the first position axis."""
    if ignore_index is not None and labels is None:
        raise UsageError("--ignore-index reads the labels; this loss takes no labels (use --mask)")
    valid = np.ones((roles.n_samples, roles.n_positions), dtype=bool)
    removed_rows = np.zeros((roles.n_samples, 3), dtype=np.int64)
    for k, removes in enumerate(
        (
            None if mask is None else ~checked_mask(mask, roles),
            None if ignore_index is None else ignored_cells(labels, roles, ignore_index),
            None if lengths is None else ~length_mask(lengths, roles),
        )
    ):
        if removes is not None:
            removed_rows[:, k] = removes.sum(axis=1)
            valid &= ~removes
    return Validity(valid, removed_rows)


def checked_mask(mask: Any, roles: Roles) -> np.ndarray:
    """A mask of 0/1 or booleans (1: counts), as (N, P) booleans."""
    m = flatten_cells(mask, roles, "the mask")
    if m.dtype == bool:
        return m
    if not np.issubdtype(m.dtype, np.number):
        raise InputError(f"the mask holds {m.dtype} values; give 0/1 or true/false")
    bad = np.argwhere(~((m == 0) | (m == 1)))
    if len(bad):
        i, p = (int(k) for k in bad[0])
        raise InputError(f"{_where('mask', roles, i, p)} = {_shown(m[i, p])}: a mask holds 0 (removed) or 1 (counts)")
    return m == 1


def ignored_cells(labels: Any, roles: Roles, ignore_index: float) -> np.ndarray:
    """(N, P) True where the label is ``ignore_index`` (PyTorch's ignore_index, -100 by convention)."""
    return flatten_cells(labels, roles, "the labels") == ignore_index


def length_mask(lengths: Any, roles: Roles) -> np.ndarray:
    """(N, P) True before each sample's length along the first position axis (padding on the right)."""
    if not roles.has_positions:
        raise UsageError(
            f"--lengths cut positions, and shape {_shape_text(roles.shape)} has none (samples and outputs only)"
        )
    n = np.asarray(lengths)
    if n.shape != (roles.n_samples,):
        raise InputError(f"the lengths have shape {_shape_text(n.shape)}; give one per sample: ({roles.n_samples},)")
    steps = roles.position_shape[0]
    bad = np.flatnonzero(~np.isfinite(n.astype(np.float64)) | (n != np.floor(n)) | (n < 0) | (n > steps))
    if len(bad):
        i = int(bad[0])
        raise InputError(
            f"lengths[{i}] = {_shown(n[i])}: a length is a whole number from 0 to {steps:,}, the size of "
            f"axis {roles.positions[0]} (the first position axis)"
        )
    inner = roles.n_positions // steps  # the positions of the other position axes, per step
    step_of = np.arange(roles.n_positions) // inner
    return step_of[None, :] < n.astype(np.int64)[:, None]


def cell_weights(weights: Any, roles: Roles) -> np.ndarray:
    """Sample weights (N,) or per-position weights (N, d1, ...) -> (N,) or (N, P); finite and >= 0."""
    w = np.asarray(weights, dtype=np.float64)
    if w.shape == (roles.n_samples,):
        flat = w.reshape(-1, 1)
    else:
        if w.shape != roles.cell_shape and w.shape != (*roles.cell_shape, 1):  # Keras's (N, T, 1) weights
            raise InputError(
                f"the weights have shape {_shape_text(w.shape)}; give one per sample, ({roles.n_samples},), or one "
                f"per position, {_shape_text(roles.cell_shape)}, for predictions of shape {_shape_text(roles.shape)}"
            )
        flat = w = w.reshape(roles.n_samples, roles.n_positions)
    bad = np.argwhere(~(np.isfinite(flat) & (flat >= 0)))
    if len(bad):
        i, p = (int(k) for k in bad[0])
        where = f"weights[{i}]" if w.ndim == 1 else _where("weights", roles, i, p)  # one weight per sample
        raise InputError(f"{where} = {_shown(flat[i, p])}: weights are finite numbers >= 0")
    return w


def class_weight_cells(labels_np: np.ndarray, class_weights: Any, valid: np.ndarray) -> np.ndarray:
    """(N, P) the class weight of each cell's label (PyTorch's ``weight=`` of CrossEntropyLoss and NLLLoss):
    as per-position weights, the token mean then divides by the sum of the targets' class weights."""
    w = np.asarray(class_weights, dtype=np.float64).reshape(-1)
    if not (np.isfinite(w).all() and (w >= 0).all()):
        raise InputError("--class-weights: weights are finite numbers >= 0")
    labels = np.where(valid, labels_np, 0).astype(np.intp)
    if labels.size and (labels.min() < 0 or labels.max() >= len(w)):
        raise InputError(f"--class-weights holds {len(w)} weights; a label is outside [0, {len(w)})")
    return np.where(valid, w[labels], 0.0)


# --- element terms --------------------------------------------------------------------------


def check_labels(labels_np: np.ndarray, n_classes: int, valid: np.ndarray, roles: Roles) -> None:
    """Every valid cell's label an integer in [0, C); a removed cell's may be anything (-100)."""
    y = np.asarray(labels_np, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        bad = np.argwhere(valid & ~((y == np.floor(y)) & (y >= 0) & (y < n_classes)))
    if len(bad):
        i, p = (int(k) for k in bad[0])
        raise InputError(
            f"{_where('labels', roles, i, p)} = {_shown(y[i, p])} is not a class label in [0, {n_classes}); "
            f"labels are integers below the size of the class axis ({n_classes})"
        )


def labels_one_hot(labels_np: np.ndarray, n_classes: int, valid: np.ndarray, roles: Roles) -> np.ndarray:
    """(N, P, C) one-hot targets of the valid cells' labels, checked; a removed cell's row is 0."""
    check_labels(labels_np, n_classes, valid, roles)
    y = np.asarray(labels_np, dtype=np.float64)
    encoded = np.zeros((*y.shape, n_classes))
    i, p = np.nonzero(valid)
    encoded[i, p, y[i, p].astype(np.intp)] = 1.0
    return encoded


def element_terms_of(
    elements: Callable[..., np.ndarray],
    pred_npc: np.ndarray,
    target_npc: np.ndarray,
    options: dict | None = None,
    dtype: str = "float64",
) -> np.ndarray:
    """A loss's element function of core/losses.py over (N, P, C) inputs: (N, P, C) terms, or (N, P) for a
    loss that exists only per position (a max or a norm over the outputs)."""
    n, p, c = pred_npc.shape
    flat_pred = np.ascontiguousarray(pred_npc, dtype=np.float64).reshape(n * p, c)
    flat_target = np.ascontiguousarray(target_npc, dtype=np.float64).reshape(n * p, c)
    with np.errstate(all="ignore"):  # overflow, 0 x inf: the terms say so themselves (inf, nan)
        terms = element_terms(elements, flat_pred, flat_target, options or {}, dtype)
    return terms.reshape(n, p, c) if terms.ndim == 2 else terms.reshape(n, p)


def token_log_loss(
    pred_npc: np.ndarray, labels_np: np.ndarray, valid: np.ndarray, from_logits: bool = True
) -> np.ndarray:
    """(N, P) ``-log q[y]`` of each valid cell, 0 at the others: q the softmax of logits (a stable
    log-sum-exp), or the probabilities as given."""
    y = np.where(valid, labels_np, 0).astype(np.intp)[..., None]
    with np.errstate(all="ignore"):  # a removed cell's logits may be anything
        picked = np.take_along_axis(pred_npc, y, axis=2)[..., 0]
        if from_logits:
            top = pred_npc.max(axis=2, keepdims=True)
            log_sum = np.log(np.exp(pred_npc - top).sum(axis=2)) + top[..., 0]
            terms = log_sum - picked
        else:
            terms = -np.log(picked)
    return np.where(valid, terms, 0.0)


# --- the reduction ---------------------------------------------------------------------------


def parse_reduce(text: str) -> tuple[str, ...]:
    """``all``, ``none`` or a comma list of samples, positions, outputs: the averaged axes, in AXES order.
    ``all`` is every axis the input has (:func:`reduced` leaves out the positions of an input with none)."""
    words = [w.strip().lower() for w in str(text).split(",") if w.strip()]
    if words == ["all"]:
        return AXES
    if words == ["none"]:
        return ()
    unknown = [w for w in words if w not in AXES]
    if not words or unknown or len(set(words)) != len(words):
        raise UsageError(
            f"--reduce {text!r}: give all, none, or a comma list of samples, positions, outputs (each once)"
        )
    return tuple(a for a in AXES if a in words)


def default_reduce(loss_default: str, roles: Roles) -> str:
    """The design's defaults on N-D inputs: a loss whose default averages the samples (a class loss: cce,
    sparse_cce, nll, kld, ...) averages the positions too, the token mean; element losses keep ``all``."""
    if loss_default == "samples" and roles.has_positions:
        return "samples,positions"
    return loss_default


def _add_sum(total: ExactSum, values: np.ndarray) -> int:
    """Add the exact sum of ``values`` to ``total``; the inf and NaN terms apart, by IEEE rules (their sum does
    not depend on the order). Returns how many were inf or NaN."""
    flat = values.reshape(-1)
    with np.errstate(all="ignore"):
        screen = flat.sum()
    if np.isfinite(screen):
        add_exactly(total, flat)
        return 0
    bad = ~np.isfinite(flat)
    add_exactly(total, flat[~bad])
    with np.errstate(all="ignore"):
        total.add(float(flat[bad].sum()))
    return int(bad.sum())


class AxisSums:
    """The sums and counts every reduction over named axes needs, for the blocks of samples seen so far.
    Every sum is exact, so blocks merge to the same bits however the samples were split."""

    def __init__(self, roles: Roles, with_outputs: bool = True):
        self.roles = roles
        self.with_outputs = with_outputs  # the terms have the outputs axis (N, P, C); else (N, P)
        self.samples = 0  # samples seen
        self.total = ExactSum()  # the weighted terms of the valid cells
        self.cells = 0  # valid (sample, position) cells
        self.counted = 0  # samples with a valid cell
        self.cell_weight = ExactSum()  # the weights of the valid cells
        self.sample_weight = ExactSum()  # the weights of the counted samples (weights of shape (N,))
        self.positions_seen = np.zeros(roles.n_positions, dtype=bool)  # valid in some sample
        self.removed_counts = np.zeros(3, dtype=np.int64)  # as Removed: masked, ignored, past length
        self.weights: str | None = None  # None, "samples" (N,) or "positions" (N, P)
        self.non_finite = 0  # valid terms that are inf or NaN
        # the breakdown tables: each output's and each position's weighted terms (compensated sums), and
        # each position's valid samples (their weights)
        self.output_sums = VectorSum(roles.n_outputs) if with_outputs else None
        self.position_sums = VectorSum(roles.n_positions)
        self.position_count = np.zeros(roles.n_positions, dtype=np.int64)
        self.position_weight = VectorSum(roles.n_positions)

    @property
    def removed(self) -> Removed:
        return Removed(*(int(k) for k in self.removed_counts))

    def add(self, terms: np.ndarray, cells: Validity | None = None, weights: np.ndarray | None = None) -> None:
        """A block of samples: terms (B, P, C) or (B, P), its ``cells`` (B, P), ``weights`` (B,) or (B, P)."""
        terms = np.asarray(terms, dtype=np.float64)
        self._check_block(terms, cells, weights)
        if cells is None:
            cells = Validity(np.ones(terms.shape[:2], dtype=bool), np.zeros((terms.shape[0], 3), dtype=np.int64))
        self.add_samples(cells, weights)
        self.add_terms(terms, cells.valid, weights)

    def add_terms(self, terms: np.ndarray, valid: np.ndarray, weights: np.ndarray | None, first: int = 0) -> None:
        """The terms of some positions of samples whose cells :meth:`add_samples` counted: terms (B, Q, C) or
        (B, Q) of the Q positions from ``first``, their ``valid`` (B, Q), ``weights`` (B,) or (B, Q). A sample
        larger than a block is added a run of positions at a time."""
        w = None if weights is None else (weights[:, None] if weights.ndim == 1 else weights)
        with np.errstate(all="ignore"):  # 0 x inf is nan, as the frameworks give
            weighted = terms if w is None else terms * (w[..., None] if terms.ndim == 3 else w)
            kept = np.where(valid[..., None] if terms.ndim == 3 else valid, weighted, 0.0)
            self.non_finite += _add_sum(self.total, kept)
            cells = kept.sum(axis=2) if terms.ndim == 3 else kept
            self.position_sums.add(cells.sum(axis=0), slice(first, first + terms.shape[1]))
            if self.output_sums is not None:
                self.output_sums.add(kept.sum(axis=(0, 1)))

    def add_samples(self, cells: Validity, weights: np.ndarray | None) -> None:
        """The counts of a block of whole samples: their cells (B, P) and weights (B,) or (B, P)."""
        valid = cells.valid
        rows = valid.shape[0]
        w = None if weights is None else (weights[:, None] if weights.ndim == 1 else weights)
        counted = valid.any(axis=1)
        self.samples += rows
        self.position_count += valid.sum(axis=0)
        if w is not None:
            self.position_weight.add(np.where(valid, w, 0.0).sum(axis=0))
        self.cells += int(valid.sum())
        self.counted += int(counted.sum())
        self.positions_seen |= valid.any(axis=0)
        self.removed_counts += cells.removed_rows.sum(axis=0)
        if w is not None and weights is not None:
            self.weights = "samples" if weights.ndim == 1 else "positions"
            add_exactly(self.cell_weight, np.where(valid, w, 0.0))
            if weights.ndim == 1:
                add_exactly(self.sample_weight, weights[counted])

    def _check_block(self, terms: np.ndarray, cells: Validity | None, weights: np.ndarray | None) -> None:
        """A programming error, not a user's: the engine hands blocks of the roles' layout."""
        want = (self.roles.n_positions, self.roles.n_outputs) if self.with_outputs else (self.roles.n_positions,)
        if terms.shape[1:] != want:
            raise ValueError(f"terms of shape {terms.shape}; a block of (B, {', '.join(map(str, want))}) was expected")
        if cells is not None and cells.valid.shape != terms.shape[:2]:
            raise ValueError(f"validity of shape {cells.valid.shape} for terms of shape {terms.shape}")
        if weights is not None:
            if weights.shape not in (terms.shape[:1], terms.shape[:2]):
                raise ValueError(f"weights of shape {weights.shape} for terms of shape {terms.shape}")
            kind = "samples" if weights.ndim == 1 else "positions"
            if self.weights not in (None, kind):
                raise ValueError("every block's weights must be of one kind: per sample or per position")

    def to_dict(self) -> dict:
        """Every sum to the last bit (hex floats), for a state file (engine/tensor_states.py)."""
        return {
            "shape": list(self.roles.shape[1:]),
            "outputs": list(self.roles.outputs),
            "positions": list(self.roles.positions),
            "with_outputs": self.with_outputs,
            "samples": self.samples,
            "total": self.total.to_dict(),
            "cells": self.cells,
            "counted": self.counted,
            "cell_weight": self.cell_weight.to_dict(),
            "sample_weight": self.sample_weight.to_dict(),
            "positions_seen": [int(k) for k in np.flatnonzero(self.positions_seen)],
            "removed": [int(k) for k in self.removed_counts],
            "weights": self.weights,
            "non_finite": self.non_finite,
            "output_sums": None if self.output_sums is None else vector_to_dict(self.output_sums),
            "position_sums": vector_to_dict(self.position_sums),
            "position_count": [int(k) for k in self.position_count],
            "position_weight": vector_to_dict(self.position_weight),
        }

    @classmethod
    def from_dict(cls, data: dict) -> AxisSums:
        """:meth:`to_dict` read back, its counts checked against each other (a state is data from outside);
        a ValueError, KeyError or TypeError where the data does not fit."""
        rest = tuple(_count(d, "shape") for d in data["shape"])
        roles = Roles(
            (_count(data["samples"], "samples"), *rest),
            tuple(_count(a, "outputs") for a in data["outputs"]),
            tuple(_count(a, "positions") for a in data["positions"]),
        )
        if roles.n_samples < 1 or not isinstance(data["with_outputs"], bool):
            raise ValueError("a state of no samples, or with_outputs not true or false")
        if any(d < 0 for d in roles.shape) or sorted((*roles.outputs, *roles.positions)) != list(
            range(1, len(roles.shape))
        ):
            raise ValueError(f"shape {rest} with outputs {roles.outputs} and positions {roles.positions}")
        outputs = data["output_sums"]["high"] if data["with_outputs"] else []
        if len(data["position_count"]) != roles.n_positions or (
            data["with_outputs"] and len(outputs) != roles.n_outputs
        ):
            raise ValueError("the tables do not fit the shape")  # checked before an array of that size is made
        sums = cls(roles, with_outputs=bool(data["with_outputs"]))
        p = roles.n_positions
        sums.samples, sums.cells, sums.counted = (
            roles.n_samples,
            _count(data["cells"], "cells"),
            _count(data["counted"], "counted"),
        )
        sums.total = ExactSum.from_dict(data["total"])
        sums.cell_weight, sums.sample_weight = (ExactSum.from_dict(data[k]) for k in ("cell_weight", "sample_weight"))
        seen = np.asarray(data["positions_seen"], dtype=np.int64)
        if seen.ndim != 1 or (seen.size and (seen.min() < 0 or seen.max() >= p)):
            raise ValueError("positions_seen out of range")
        sums.positions_seen[seen] = True
        sums.removed_counts = np.array([_count(k, "removed") for k in data["removed"]], dtype=np.int64).reshape(3)
        if data["weights"] not in (None, "samples", "positions"):
            raise ValueError(f"weights {data['weights']!r}")
        sums.weights, sums.non_finite = data["weights"], _count(data["non_finite"], "non_finite")
        if sums.with_outputs:
            sums.output_sums = vector_from_dict(data["output_sums"])
        sums.position_sums, sums.position_weight = (
            vector_from_dict(data[k]) for k in ("position_sums", "position_weight")
        )
        sums.position_count = np.array([_count(k, "position_count") for k in data["position_count"]], dtype=np.int64)
        sizes = (sums.position_sums.high.size, sums.position_weight.high.size)
        if sizes != (p, p) or (sums.output_sums is not None and sums.output_sums.high.size != roles.n_outputs):
            raise ValueError("the tables do not fit the shape")
        _check_counts(sums)
        return sums

    def merge(self, other: AxisSums) -> None:
        """``other``'s samples (after these) added in."""
        if self.roles.shape[1:] != other.roles.shape[1:] or self.roles.outputs != other.roles.outputs:
            raise UsageError(
                f"sums of shape {_shape_text(other.roles.shape)} cannot join sums of shape "
                f"{_shape_text(self.roles.shape)}: every axis but the samples must be the same"
            )
        self.samples += other.samples
        self.roles = self.roles._replace(shape=(self.samples, *self.roles.shape[1:]))
        self.total.merge(other.total)
        self.cells += other.cells
        self.counted += other.counted
        self.cell_weight.merge(other.cell_weight)
        self.sample_weight.merge(other.sample_weight)
        self.positions_seen |= other.positions_seen
        self.removed_counts += other.removed_counts
        self.weights = self.weights or other.weights
        self.non_finite += other.non_finite
        if self.output_sums is not None and other.output_sums is not None:
            self.output_sums.merge(other.output_sums)
        self.position_sums.merge(other.position_sums)
        self.position_count += other.position_count
        self.position_weight.merge(other.position_weight)


def _count(x: Any, what: str) -> int:
    """A count of a state file: an integer from 0 to 2^53 (JSON's exact integers)."""
    if isinstance(x, bool) or not isinstance(x, int) or not 0 <= x <= 2**53:
        raise ValueError(f"{what} holds {x!r}, not a count")
    return x


def _check_counts(sums: AxisSums) -> None:
    """The counts of read sums agree with each other as a pass makes them: every valid cell counted at its
    position, at most every cell of the samples valid, no infinite sum without an infinite term."""
    cells = int(sums.position_count.sum())
    if cells != sums.cells or cells > sums.samples * sums.roles.n_positions or sums.counted > sums.samples:
        raise ValueError(f"{sums.cells} valid cells, {cells} by position, {sums.counted} of {sums.samples} samples")
    if sums.non_finite == 0 and not all(
        math.isfinite(s.special) for s in (sums.total, sums.cell_weight, sums.sample_weight)
    ):
        raise ValueError("an infinite or NaN sum without an infinite or NaN term")


class Reduced(NamedTuple):
    """One batch value under a reduction, with its n in the axes' words."""

    value: float
    n: float
    n_text: str
    total: float  # the sum of the weighted terms of the valid cells
    averaged: tuple[str, ...]  # the averaged axes, in AXES order; the others are summed
    removed: Removed
    samples_without_cells: int  # samples whose every position was removed: no per-sample value
    note: str | None = None  # why the value is NaN or 0 when nothing was there to average (--empty)


def reduced(
    sums: AxisSums,
    reduce: str | Sequence[str] = "all",
    *,
    weight_divisor: str = "sum",
    empty: str = "error",
    position_word: str = "position",
) -> Reduced:
    """The batch value of ``sums``: the weighted terms summed, over n, the size of the averaged axes (valid
    cells; a weighted mean over samples divides by their weights under ``weight_divisor`` "sum", by their
    count under "count"). ``empty``: what a mean with n = 0 gives (error, nan, zero)."""
    averaged = parse_reduce(reduce) if isinstance(reduce, str) else parse_reduce(",".join(reduce) or "none")
    if weight_divisor not in WEIGHT_DIVISORS:
        raise UsageError(f"unknown weight divisor {weight_divisor!r}; use sum or count")
    if empty not in EMPTY_POLICIES:
        raise UsageError(f"--empty {empty!r}: use error, nan or zero")
    if averaged == AXES and not sums.roles.has_positions:  # all: every axis the input has
        averaged = ("samples", "outputs")
    _check_axes(sums, averaged, weight_divisor)
    n, text = _divisor(sums, averaged, weight_divisor, position_word)
    total = np.float64(sums.total.value)
    lost = sums.samples - sums.counted
    if n == 0:
        return _empty(sums, averaged, float(total), text, empty, lost)
    with np.errstate(all="ignore"):  # NumPy division: an inf or NaN total stays one
        value = float(total / np.float64(n))
    return Reduced(value, n, text, float(total), averaged, sums.removed, lost)


class Breakdown(NamedTuple):
    """The batch value's tables: each output's value (None where the terms have no outputs axis), each
    position's value and its n (the samples valid there, or their weights)."""

    per_output: np.ndarray | None
    per_position: np.ndarray
    position_n: np.ndarray


def breakdown(sums: AxisSums, result: Reduced, weight_divisor: str = "sum") -> Breakdown:
    """O[j] = the weighted terms of output j over the value's n without its outputs factor, so that the
    value is the mean of O (outputs averaged) or its sum; Q[p] = the weighted terms at position p over the
    samples valid there (their weights under "sum"), and over C where --reduce averages the outputs: the
    loss at that position (timestep, token, pixel)."""
    outputs_averaged = "outputs" in result.averaged and sums.with_outputs
    with np.errstate(all="ignore"):
        per_output = None
        if sums.output_sums is not None:
            divisor = result.n / sums.roles.n_outputs if outputs_averaged else result.n
            per_output = sums.output_sums.value / divisor if divisor else np.full(sums.roles.n_outputs, np.nan)
        weighted = sums.weights is not None and weight_divisor == "sum"
        position_n = sums.position_weight.value if weighted else sums.position_count.astype(np.float64)
        divisor_p = position_n * (sums.roles.n_outputs if outputs_averaged else 1)
        per_position = np.where(position_n > 0, sums.position_sums.value / divisor_p, np.nan)
    return Breakdown(per_output, per_position, position_n)


def _check_axes(sums: AxisSums, averaged: tuple[str, ...], weight_divisor: str) -> None:
    shape = _shape_text(sums.roles.shape)
    if "positions" in averaged and not sums.roles.has_positions:
        raise UsageError(f"--reduce positions: an input of shape {shape} has no positions (samples and outputs only)")
    if "outputs" in averaged and not sums.with_outputs:
        rest = ",".join(a for a in averaged if a != "outputs") or "none"
        raise UsageError(
            f"--reduce {'all' if averaged == AXES else ','.join(averaged)} averages the outputs, and this loss has "
            f"one term per position (a sum, max or norm over the outputs); use --reduce {rest}"
        )
    per_position = sums.roles.has_positions and sums.weights == "positions"
    if "samples" in averaged and "positions" not in averaged and per_position and weight_divisor == "sum":
        raise UsageError(
            "--reduce samples divides by the samples' weights, and the weights are per position: give weights of "
            "shape (N,), --weight-divisor count, or --reduce samples,positions"
        )


def _divisor(sums: AxisSums, averaged: tuple[str, ...], weight_divisor: str, word: str) -> tuple[float, str]:
    """n of the averaged axes, and its words. Weights enter n as the measure of the samples averaged
    (today's 2-D rule); where only positions or outputs are averaged they scale the terms alone."""
    roles = sums.roles
    weighted = sums.weights is not None and weight_divisor == "sum"
    if "samples" in averaged and "positions" in averaged:
        size = sums.cell_weight.value if weighted else float(sums.cells)
        text = _cells_text(sums, word)
        if weighted:
            text = f"sum of weights = {short(size)} over {text}"
    elif "samples" in averaged:
        size = sums.sample_weight.value if weighted else float(sums.counted)
        text = _samples_text(sums, weighted)
    elif "positions" in averaged:
        size = float(sums.positions_seen.sum())
        text = _positions_text(sums, word)
    else:
        size, text = 1.0, ""
    if "outputs" not in averaged:
        return size, text or "1"
    outputs = plural(roles.n_outputs, "output")
    n = size * roles.n_outputs
    return n, f"{text} x {outputs} = {short(n)}" if text else outputs


def _removed_text(sums: AxisSums) -> str:
    removed = sums.samples * sums.roles.n_positions - sums.cells
    words = sums.removed.text(removed)
    return f" ({words})" if words else ""


def _cells_text(sums: AxisSums, word: str) -> str:
    """'1,024 valid tokens of 2 x 640 positions (256 ignored)', or '2 x 640 = 1,280 tokens'."""
    every = sums.samples * sums.roles.n_positions
    if sums.cells == every:
        return f"{sums.samples:,} x {sums.roles.n_positions:,} = {plural(every, word)}"
    valid = f"{sums.cells:,} valid {word if sums.cells == 1 else word + 's'}"
    return f"{valid} of {sums.samples:,} x {sums.roles.n_positions:,} positions{_removed_text(sums)}"


def _samples_text(sums: AxisSums, weighted: bool) -> str:
    """'2 samples', '3 samples (1 ignored)' (no positions), '1 sample with a valid position of 2'."""
    if weighted:
        return f"sum of weights = {short(sums.sample_weight.value)}{_removed_text(sums)}"
    if not sums.roles.has_positions:
        return plural(sums.counted, "sample") + _removed_text(sums)
    if sums.counted == sums.samples:
        return plural(sums.samples, "sample")
    lost = sums.samples - sums.counted
    return f"{sums.counted:,} of {sums.samples:,} samples ({lost:,} with every position removed)"


def _positions_text(sums: AxisSums, word: str) -> str:
    seen, every = int(sums.positions_seen.sum()), sums.roles.n_positions
    if seen == every:
        return plural(every, word)
    return f"{seen:,} of {every:,} {word}s (valid in some sample; {every - seen:,} in none)"


def _empty(sums: AxisSums, averaged: tuple[str, ...], total: float, text: str, empty: str, lost: int) -> Reduced:
    every = sums.samples * sums.roles.n_positions
    if sums.cells == 0:
        why = f"every one of the {sums.samples:,} x {sums.roles.n_positions:,} positions is removed"
        why += _removed_text(sums) if sums.removed != Removed() else ""
    else:
        why = f"the weights of the {sums.cells:,} valid of {every:,} positions sum to 0"
    over = "every axis" if averaged == AXES else ", ".join(averaged)
    if empty == "error":
        raise InputError(
            f"nothing to average: {why}; the mean over {over} is undefined. --empty nan gives NaN (as PyTorch "
            "does), --empty zero gives 0 (as Keras does)"
        )
    value = math.nan if empty == "nan" else 0.0
    return Reduced(value, 0.0, text, total, averaged, sums.removed, lost, f"{why}: --empty {empty}")


def reduce_terms(
    terms: np.ndarray,
    roles: Roles,
    reduce: str | Sequence[str] = "all",
    *,
    validity: Validity | None = None,
    weights: np.ndarray | None = None,
    weight_divisor: str = "sum",
    empty: str = "error",
    block: int | None = None,
    position_word: str = "position",
) -> Reduced:
    """:func:`reduced` of terms (N, P, C) or (N, P) over blocks of ``block`` samples (all at once: None);
    ``weights`` as :func:`cell_weights` gives them."""
    n = terms.shape[0]
    sums = AxisSums(roles, with_outputs=terms.ndim == 3)
    step = max(1, block or n)
    for start in range(0, max(n, 1), step):
        rows = slice(start, start + step)
        cells = None if validity is None else validity.rows(rows)
        sums.add(terms[rows], cells, None if weights is None else weights[rows])
    return reduced(sums, reduce, weight_divisor=weight_divisor, empty=empty, position_word=position_word)


def per_sample_values(
    terms: np.ndarray,
    roles: Roles,
    reduce: str | Sequence[str] = "all",
    *,
    validity: Validity | None = None,
    weights: np.ndarray | None = None,
    weight_divisor: str = "sum",
) -> np.ndarray:
    """L[i] of every sample (N,) under ``reduce``: its weighted valid terms summed, over its valid positions
    (their weights under "sum") where positions are averaged and over C where outputs are. NaN for a sample
    whose every position was removed: it has no value (JSON null), and no place in n under --reduce samples."""
    n, positions = terms.shape[:2]
    valid = np.ones((n, positions), dtype=bool) if validity is None else validity.valid
    sums = per_sample_sums(terms, valid, weights, np.zeros(n))
    return per_sample_divided(sums, roles, reduce, valid, weights, weight_divisor, terms.ndim == 3)


POSITION_CHUNK = 64  # positions a sample's sum adds at a time: its bits do not depend on the blocks


def per_sample_sums(terms: np.ndarray, valid: np.ndarray, weights: np.ndarray | None, sums: np.ndarray) -> np.ndarray:
    """``sums`` (B,) plus each sample's weighted valid terms of the positions ``terms`` (B, Q, C) or (B, Q) hold.
    A run of POSITION_CHUNK positions is summed by NumPy, and the runs are added in order: so a sample read in
    runs of positions that start at multiples of POSITION_CHUNK gets the bits of the sample read whole."""
    w = None if weights is None else (weights[:, None] if weights.ndim == 1 else weights)
    with np.errstate(all="ignore"):
        cell_terms = terms.sum(axis=2) if terms.ndim == 3 else terms  # a row's sum, as today's per-sample L[i]
        weighted = np.where(valid, cell_terms if w is None else cell_terms * w, 0.0)
        rows, width = weighted.shape
        whole = width - width % POSITION_CHUNK
        runs = weighted[:, :whole].reshape(rows, whole // POSITION_CHUNK, POSITION_CHUNK).sum(axis=2)
        out = sums.copy()
        for k in range(runs.shape[1]):
            out += runs[:, k]
        if whole < width:
            out += weighted[:, whole:].sum(axis=1)
    return out


def per_sample_divided(
    sums: np.ndarray,
    roles: Roles,
    reduce: str | Sequence[str],
    valid: np.ndarray,
    weights: np.ndarray | None,
    weight_divisor: str,
    with_outputs: bool,
) -> np.ndarray:
    """Each sample's sum over its n under ``reduce``, from its whole cells ``valid`` (B, P) and weights."""
    averaged = parse_reduce(reduce) if isinstance(reduce, str) else parse_reduce(",".join(reduce) or "none")
    w = None if weights is None else (weights[:, None] if weights.ndim == 1 else weights)
    with np.errstate(all="ignore"):
        size = valid.sum(axis=1).astype(np.float64)
        if "positions" in averaged and w is not None and weight_divisor == "sum":
            size = np.where(valid, w, 0.0).sum(axis=1)
        divisor = size if "positions" in averaged else np.ones(len(sums))
        if "outputs" in averaged and with_outputs:
            divisor = divisor * roles.n_outputs
        values = sums / divisor
    return np.where(valid.any(axis=1), values, np.nan)


# --- perplexity ------------------------------------------------------------------------------


def perplexity(
    pred: Any,
    labels: Any,
    *,
    axis: AxisArgument | None = None,
    from_logits: bool = True,
    ignore_index: float | None = None,
    mask: Any = None,
    lengths: Any = None,
    empty: str = "error",
) -> Reduced:
    """exp of the token-mean cross-entropy over the valid tokens (torchmetrics' text ``Perplexity``, which
    takes logits; ``from_logits`` False takes probabilities as given). ``value`` is the perplexity, ``total``
    the summed cross-entropy, ``n`` the valid tokens."""
    if empty == "zero":
        raise UsageError("--empty zero: a perplexity of no tokens has no 0 to give; use --empty nan or error")
    p = np.asarray(pred, dtype=np.float64)
    roles, _ = label_roles(p.shape, np.shape(labels), axis)
    valid_cells = validity(roles, mask=mask, labels=labels, ignore_index=ignore_index, lengths=lengths)
    labels_np = flatten_cells(labels, roles, "the labels").astype(np.float64)
    check_labels(labels_np, roles.n_outputs, valid_cells.valid, roles)
    terms = token_log_loss(flatten_outputs(p, roles), labels_np, valid_cells.valid, from_logits)
    mean = reduce_terms(
        terms, roles, ("samples", "positions"), validity=valid_cells, empty=empty, position_word="token"
    )
    with np.errstate(over="ignore"):
        return mean._replace(value=float(np.exp(mean.value)))


# --- ratio losses ----------------------------------------------------------------------------


def ratio_terms(
    numerator_terms: np.ndarray, denominator_terms: np.ndarray, axes: tuple[int, ...], add: float = KERAS_EPSILON
) -> np.ndarray:
    """Each ratio of a ratio loss (dice, tversky) over ``axes`` (:func:`ratio_axes`): (sum num + add) / (sum
    den + add), of the shape of the other axes. Terms of the input's shape, as dice_numerator and
    dice_denominator give them."""
    numerators = np.sum(numerator_terms, axis=axes) + add
    denominators = np.sum(denominator_terms, axis=axes) + add
    with np.errstate(all="ignore"):
        return np.asarray(numerators / denominators, dtype=np.float64)


def ratio_value(
    numerator_terms: np.ndarray, denominator_terms: np.ndarray, axes: tuple[int, ...], add: float = KERAS_EPSILON
) -> tuple[float, int]:
    """A ratio loss over ``axes``: the mean of its :func:`ratio_terms` over the other axes (Keras's
    sum_over_batch_size), with n, the number of ratios."""
    ratios = ratio_terms(numerator_terms, denominator_terms, axes, add)
    total = ExactSum()
    _add_sum(total, ratios)
    return float(np.float64(total.value) / ratios.size), int(ratios.size)


def exact_total(values: np.ndarray) -> float:
    """The exact sum of ``values`` (inf and NaN by IEEE rules), rounded once."""
    total = ExactSum()
    _add_sum(total, np.asarray(values, dtype=np.float64))
    return float(total.value)
