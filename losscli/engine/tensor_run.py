"""A run over inputs of any rank (design: docs/axes.md): the arrays opened lazily, read a block of
samples at a time, each loss's terms in the flattened layout (N, P, C) of ``core/tensors.py``, their
exact sums over the named axes, one :class:`TensorResult` per loss with n in the axes' own words.

This plans the N-D run beside the 2-D one (``engine/run.py``): it opens the inputs, finds the roles of
their axes, applies --like, has ``tensor_pass`` compute the sums, and turns them into the result (the
value, each sample's value, the tables, every reduction, --grad, --ci, --compare). What it does not
compute yet (shards, Dask, --paired, plots, baselines) is refused with the reason, never approximated.
"""

from __future__ import annotations

import itertools
import math
import sys
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core import losses as L
from ..core import tensors as T
from ..core.registry import Loss
from ..core.result import SCHEMA_VERSION
from ..core.terms import LossTask, prepare
from ..errors import InputError, UsageError
from .request import RunRequest
from .tensor_pass import Found, Keep, check_valid, jobs_for, run_pass, shape_text
from .tensor_route import RATIO_LOSSES, why_tensors

TORCH_IGNORE_INDEX = -100  # the default ignore_index of PyTorch's CrossEntropyLoss and NLLLoss
EMPTY_OF = {"torch": "nan", "keras": "zero"}  # what each framework gives for a mean over nothing
UNSUPPORTED = (  # (what the request holds, the flag): the 2-D pass's additions, not on N-D inputs yet
    (lambda r: r.statistics.paired, "--paired"),
    (lambda r: r.engine.dask is not None, "--dask"),
    (lambda r: r.output.plot is not None, "--plot"),
    (lambda r: r.checks.baseline is not None, "--baseline"),
    (lambda r: r.checks.save_baseline is not None, "--save-baseline"),
    (lambda r: r.inputs.pred_col is not None or r.inputs.target_col is not None, "--pred-col/--target-col"),
    (lambda r: r.inputs.id_col is not None, "--id-col"),
    (lambda r: r.inputs.weight_col is not None, "--weight-col"),
    (lambda r: r.inputs.classes is not None, "--classes"),
    (lambda r: r.inputs.drop_missing, "--drop-missing"),
    (lambda r: r.output.output_format in ("jsonl", "markdown"), "--format jsonl/markdown"),
    (lambda r: r.axes.group_by == "class", "--group-by class"),
    (lambda r: r.axes.group_col is not None, "--group-col"),
    (lambda r: r.axes.grouping is not None and r.engine.save_state is not None, "--save-state with groups"),
)


@dataclass
class TensorResult:
    """One loss over an N-D input: the batch value, its n in the axes' words, and what made n."""

    loss: str
    title: str
    formula: str
    matches: str
    options: dict[str, Any]
    reduce: str  # the averaged axes as --reduce writes them: "samples,positions", "all", "none"
    shape: tuple[int, ...]  # the predictions' shape
    roles: str  # "samples 2 (axis 0), outputs 5 (axis 1), positions 3 x 4 (axes 2, 3)"
    axis_how: str  # how the class or ratio axes were chosen
    value: float
    n: float
    n_text: str
    total: float
    removed: T.Removed
    samples_without_cells: int
    per_sample: np.ndarray | None  # (N,) each sample's value; NaN: nothing valid in it
    inputs: list[dict] = field(default_factory=list)
    weights: str | None = None  # "samples" (N,), "positions" (N, d1, ...) or None
    like: Any = None  # core.frameworks.Like
    empty_note: str | None = None  # why the value is NaN or 0: nothing to average, and --empty
    notes: list[str] = field(default_factory=list)
    exponent: bool = False  # the value is exp(total / n): a perplexity
    root: bool = False  # the value is sqrt(total / n): RMSE, whose per-output roots do not average to it
    signature: str = ""
    per_output: np.ndarray | None = None  # (C,) O[j]: the value is their mean (outputs averaged) or sum
    per_position: np.ndarray | None = None  # (P,) Q[p]: the loss at each position, over the samples valid there
    position_n: np.ndarray | None = None  # (P,) the samples valid at each position (their weights)
    position_shape: tuple[int, ...] = ()
    worst: list[tuple[tuple[int, ...], float]] = field(default_factory=list)  # the largest cells, with index
    cells: np.ndarray | None = None  # (N, P) each cell's value (--level element); NaN: removed
    gradient: np.ndarray | None = None  # d value / d predictions, the predictions' shape (--grad)
    reductions: list[dict] = field(default_factory=list)  # every --reduce over the same sums, with its n
    comparison: list[dict] | None = None  # --compare: each framework's own call on these inputs
    # what a state needs to reduce the sums again (engine/tensor_states.py)
    averaged: str = "all"  # the averaged axes, as --reduce writes them
    weight_divisor: str = "sum"
    empty: str = "error"
    word: str = "position"  # "token" for labels over positions
    sums: Any = field(default=None, repr=False)  # the AxisSums of the run
    explained: bool = False  # --explain: the table lists them

    ci: Any = None  # --ci: a stats.Interval of the value, resampling whole samples
    groups: Any = None  # core.groups.Grouped: --group-by sample, --groups FILE
    statistic: Any = field(default=None, repr=False)  # --ci, --against: the stats.RatioStatistic of the value

    @property
    def non_finite(self) -> str | None:
        if math.isfinite(self.value):
            return None
        return self.empty_note or "an element term is infinite or not a number"

    def to_dict(self, level: str = "element") -> dict[str, Any]:
        """``--format json``: the 2-D object's keys where they mean the same (schema_version 2), and the
        axes, the removed cells and n's words beside them; each sample's value with ``level`` sample or
        element (the summary of "batch" does not grow with N)."""
        data: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "loss": self.loss,
            "formula": self.formula,
            "options": {name: plain(value) for name, value in self.options.items()},
            "reduce": self.reduce,
            "shape": list(self.shape),
            "n": self.n,
            "n_text": self.n_text,
            "total": self.total,
            "value": self.value,
            "weights": None if self.weights is None else {"per": self.weights},
            "axes": {"roles": self.roles, "how": self.axis_how},
            "removed": self.removed._asdict(),
            "samples_without_cells": self.samples_without_cells,
            "per_sample": None if self.per_sample is None else [_number(v) for v in self.per_sample],
            "per_output": None if self.per_output is None else [_number(v) for v in self.per_output],
            "per_position": None
            if self.per_position is None or self.position_n is None
            else {
                "shape": list(self.position_shape),
                "value": [_number(v) for v in self.per_position],
                "n": [float(k) for k in self.position_n],
            },
            "worst": [{"index": list(index), "value": _number(value)} for index, value in self.worst],
            "per_element": None,
            "reductions": self.reductions,
            "comparison": self.comparison,
            "gradient": None
            if self.gradient is None
            else np.where(np.isfinite(self.gradient), self.gradient, None).tolist(),
            "inputs": self.inputs,
            "non_finite": self.non_finite,
            "like": None if self.like is None else self.like.to_dict(),
            "ci": None if self.ci is None else self.ci.to_dict(),
            "notes": self.notes,
            "signature": self.signature,
        }
        for key in ("n", "total", "value"):
            data[key] = _number(data[key])
        if level not in ("sample", "element"):  # the summary: nothing a sample long
            del data["per_sample"]
        del data["per_element"]  # the cells are --level element's CSV
        if self.gradient is None:
            del data["gradient"]
        if self.groups is not None:  # additive keys, present only with groups (docs/groups.md)
            data.update(self.groups.to_dict())
        return data


def _number(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def plain(value: Any) -> Any:
    """An option's value as JSON writes it: arrays and tuples as lists."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    return list(value) if isinstance(value, tuple) else value


# --- when a run is an N-D run -------------------------------------------------------------


def check(request: RunRequest, specs: list[Loss]) -> None:
    """Refuse what the N-D pass does not compute, before any file is read."""
    for given, flag in UNSUPPORTED:
        if given(request):
            raise UsageError(
                f"{flag} is not available on N-D inputs ({why_tensors(request, specs)}); the value, each "
                "sample's value and n are. For the 2-D analyses, reshape to (N, C) yourself, knowing that "
                "the reshape decides n"
            )
    from ..io.shards import is_pattern

    inputs = request.inputs
    for name in (inputs.preds, inputs.targets, inputs.weights, request.axes.mask, request.axes.lengths):
        if not isinstance(name, str):
            continue
        if name == "-":
            raise UsageError(
                "standard input: the N-D pass reads its arrays from files (a header first, then blocks, once for "
                "the shapes and once for the values); save the array to a file"
            )
        if is_pattern(name):
            raise UsageError(f"{name}: shards of N-D inputs are not read yet; give one file per input")


# --- the run ------------------------------------------------------------------------------


class _Inputs:
    """The opened arrays of one run, closed together."""

    def __init__(self, request: RunRequest, label_loss: bool):
        from ..io.source import limits_from
        from ..io.tensors import open_tensor

        self.tensors: list[Any] = []
        limits = limits_from(request.inputs.max_inflate)
        stdin = sys.stdin.buffer if hasattr(sys.stdin, "buffer") else None

        def opened(spec: Any, role: Any) -> Any:
            if spec is None:
                return None
            if not isinstance(spec, str):
                from ..io.tensors import held_tensor

                tensor = held_tensor(role, np.asarray(spec), role)
            elif _is_table(spec, request.inputs.input_format):  # a 2-D text or Parquet file, read whole
                from ..io.inputs import read_array
                from ..io.tensors import held_tensor

                values = read_array(
                    spec,
                    input_format=request.inputs.input_format,
                    header=request.inputs.header,
                    stdin=stdin,
                    limits=limits,
                )
                tensor = held_tensor(spec, values[:, 0] if values.shape[1] == 1 else values, role)
            else:
                tensor = open_tensor(spec, role=role, limits=limits, stdin=stdin)
            self.tensors.append(tensor)
            return tensor

        try:
            self.preds = opened(request.inputs.preds, "predictions")
            self.targets = opened(request.inputs.targets, "labels" if label_loss else "targets")
            self.weights = opened(request.inputs.weights, "weights")
            self.mask = opened(request.axes.mask, "mask")
            self.lengths = opened(request.axes.lengths, "lengths")
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        for tensor in self.tensors:
            tensor.close()

    def described(self) -> list[dict]:
        roles = (
            "predictions",
            self.targets.role if self.targets is not None else "targets",
            "weights",
            "mask",
            "lengths",
        )
        found = (self.preds, self.targets, self.weights, self.mask, self.lengths)
        return [
            {"path": t.name, "role": role, "shape": list(t.shape), "dtype": t.dtype}
            for role, t in zip(roles, found, strict=True)
            if t is not None
        ]


def _is_table(spec: str, input_format: str | None) -> bool:
    """A 2-D input of rows and columns (CSV, TSV, text, JSON Lines, Parquet): the N-D pass reads it whole."""
    from ..io.source import format_from_name, split_key

    return format_from_name(split_key(spec)[0]) in ("csv", "tsv", "txt", "jsonl", "parquet")


def run(request: RunRequest, specs: list[Loss]) -> list[TensorResult]:
    """Every loss of ``request`` over its N-D inputs."""
    check(request, specs)
    if request.inputs.targets is None:
        raise UsageError("give the predictions and the targets (or labels) as two arrays")
    kinds = {_kind(spec) for spec in specs}
    if len(kinds & {"labels", "same"}) > 1:
        raise UsageError(
            "losses that take class labels and losses that take targets like the predictions cannot share one run"
        )
    probe = _Inputs(request, label_loss=False)  # shapes only: headers are read, no values
    try:
        label_loss = any(_takes_labels(spec, probe.preds.shape, probe.targets.shape) for spec in specs)
    finally:
        probe.close()
    if request.analysis.compare and (len(specs) > 1 or request.reduction.like is not None):
        raise UsageError("--compare takes one loss, and no --like: it lists every framework's own call")
    inputs = _Inputs(request, label_loss)
    try:
        results = [_one_loss(request, spec, inputs, label_loss) for spec in specs]
        if request.analysis.compare:
            results[0].comparison = _comparison(request, specs[0], inputs, label_loss)
        return results
    finally:
        inputs.close()


def _comparison(request: RunRequest, spec: Loss, inputs: _Inputs, labels: bool) -> list[dict]:
    """--compare: every framework that has the loss, its own default call on these inputs, as --like gives it
    (one pass each), with its n; a framework that refuses them (scikit-learn on rank 3) says why."""

    from ..core.conventions import frameworks_with

    rows = []
    for framework in frameworks_with(spec.name):
        asked = request._replace(
            reduction=request.reduction._replace(like=framework, reduce=None),
            analysis=request.analysis._replace(compare=False, grad=False, explain=False),
            statistics=request.statistics._replace(ci=None),  # the interval is the main run's
            output=request.output._replace(level="sample", top=0),
        )
        try:
            found = _one_loss(asked, spec, inputs, labels)
        except (UsageError, InputError) as refused:
            rows.append({"framework": framework, "call": None, "value": None, "n": None, "note": f"refused: {refused}"})
            continue
        call = found.like.call if found.like is not None else ""
        note = "; ".join([found.n_text, *found.notes])
        rows.append({"framework": framework, "call": call, "value": _number(found.value), "n": found.n, "note": note})
    return rows


def _kind(spec: Loss) -> str:
    return {"labels": "labels", "same": "same"}.get(spec.targets, "either")


def _takes_labels(spec: Loss, pred_shape: tuple[int, ...], target_shape: tuple[int, ...]) -> bool:
    if spec.targets == "labels":
        return True
    return spec.targets == "labels_or_same" and len(target_shape) == len(pred_shape) - 1


def _task(request: RunRequest, spec: Loss, labels: bool, n_outputs: int):
    """The loss's task (options resolved, --like applied) and the --like record."""
    from .plan import read_arrays

    options = read_arrays(request, spec, dict(request.options.get(spec.name, {})))
    options.pop("axis", None)  # the ratio losses' 2-D --axis: here request.axes.axis says it
    weighted = request.inputs.weights is not None
    task = prepare(
        spec,
        weighted=weighted,
        labels=labels,
        options=options,
        weight_divisor=request.reduction.weight_divisor,
        tensors=True,
    )
    like = None
    if request.reduction.like is not None:
        from ..core.frameworks import like as like_of

        task, like = like_of(task, request.reduction.like, n_outputs)
        if like.framework == "torch" and labels and _ignores_by_default(task):
            # CrossEntropyLoss and NLLLoss leave out label -100 unless told otherwise; on N-D labels
            # that is the padding of a batch of sequences
            task = task._replace(options={**task.options, "ignore_index": TORCH_IGNORE_INDEX})
    return task, like


def _ignores_by_default(task: LossTask) -> bool:
    takes = any(option.name == "ignore_index" for option in task.spec.options)
    return takes and "ignore_index" not in task.given and task.options.get("ignore_index") is None


def _one_loss(request: RunRequest, spec: Loss, inputs: _Inputs, labels: bool) -> TensorResult:
    axis = parse_axis(request.axes.axis)
    for tensor in (inputs.preds, inputs.targets):
        if math.prod(tensor.shape) == 0:  # as the 2-D readers say it: an empty batch is not a batch
            raise InputError(
                f"{tensor.name}: holds no numbers (shape {shape_text(tensor.shape)}); give at least one sample"
            )
    if spec.name in RATIO_LOSSES:
        return _ratio_loss(request, spec, inputs, axis)
    roles, how = _roles(spec, inputs, labels, axis)
    task, like = _task(request, spec, labels, roles.n_outputs)
    framework = None if like is None else like.framework
    _refuse_unbuilt(task, framework, roles)
    reduce_text = request.reduction.reduce or _default_reduce(task, roles)
    averaged = T.parse_reduce(reduce_text)
    empty = request.axes.empty or EMPTY_OF.get(framework or "", "error")
    element = request.output.output_format in ("csv", None) and request.output.level == "element"
    resampled = request.statistics.ci is not None or request.statistics.comparing or request.axes.grouping is not None
    keep = Keep(element, _top(request), request.analysis.grad, averaged if resampled else None)
    found = run_pass(task, spec, inputs, roles, labels, averaged, jobs_for(request, inputs), keep)
    word = "token" if labels and roles.has_positions else "position"
    settings = {
        "reduce": ",".join(averaged) or "none",
        "weight_divisor": task.weight_divisor,
        "empty": empty,
        "word": word,
    }
    result = result_of_sums(spec, settings, found.sums, like, roles=roles, how=how)
    shown = _shown_as(spec)
    result.per_sample = shown(found.per_sample)
    result.worst = [(T.cell_index(roles, i, p), float(shown(np.float64(v)))) for v, i, p in found.worst]
    result.cells = None if found.cells is None else shown(found.cells)
    if found.gradient is not None:
        result.gradient = T.unflatten_outputs(_scaled(found.gradient, spec, _reduced_of(found.sums, settings)), roles)
    result.options = {k: v for k, v in task.options.items() if v is not None}
    result.inputs = inputs.described()
    result.notes = _notes(request, task, reduce_text, roles) + _torch_notes(like, task, roles, labels)
    result.explained = request.analysis.explain
    if resampled:
        result.statistic = _statistic(spec, found, result)
    if request.axes.grouping is not None:
        from .grouping import sample_groups

        summed = found.shares is None  # samples summed, not averaged: each group's n is the run's own
        pooled = (result.value, result.n)
        result.groups, codes = sample_groups(request, result.statistic, shown, pooled, roles.shape[0], summed)
        if request.statistics.ci is not None:
            from .grouping import with_group_intervals

            if summed:
                raise UsageError("--ci with groups: each group's interval needs a mean over samples (--reduce all)")

            statistic = result.statistic
            result.groups = with_group_intervals(
                result.groups, codes, statistic.numerator, statistic.denominator, shown, request.statistics
            )
    if request.statistics.ci is not None:
        from ..stats import bootstrap_interval
        from ..stats.buckets import bucketed

        stats = request.statistics
        units = bucketed(result.statistic)  # whole samples; past 4,096 of them, their buckets
        result.ci = bootstrap_interval(
            units, level=stats.ci, resamples=stats.resamples, seed=stats.seed, method=stats.ci_method
        )
    return result


TORCHMETRICS_FLATTENS = ("mse", "rmse", "mae", "msle", "mape", "perplexity")  # their calls take any shape


def _refuse_unbuilt(task: LossTask, framework: str | None, roles: T.Roles) -> None:
    """What the N-D pass would compute as something else, refused before any value is read: a ratio of
    batch sums other than dice's and tversky's (WMAPE), roots per output, and the frameworks whose own
    call raises on rank 3."""
    shape, name = shape_text(roles.shape), task.spec.name
    why = None
    if task.spec.tensors_refused:
        raise UsageError(task.spec.tensors_refused)
    if task.spec.ratio is not None:
        why = f"{name} is one ratio of sums over the batch; over N-D inputs it is not built yet"
    elif task.options.get("per_output_root"):
        why = "--per-output-root (a root per output) is not built for N-D inputs yet"
    elif framework == "sklearn" and roles.has_positions:
        why = f"--like sklearn: scikit-learn's metrics take arrays of rank 1 or 2 and raise on shape {shape}"
    elif framework == "torchmetrics" and roles.has_positions and name not in TORCHMETRICS_FLATTENS:
        why = f"--like torchmetrics: torchmetrics' {name} takes 2-D inputs and raises on shape {shape}"
    if why is not None:
        raise UsageError(f"{why}; reshape to (N, C) yourself, knowing that the reshape decides n")


def _statistic(spec: Loss, found: Found, result: TensorResult):
    """What --ci and --against resample: finish(sum_i a_i / sum_i b_i) over whole samples (sequences, images:
    their positions are not independent draws), as the 2-D pass resamples rows; checked to reproduce the value
    before any resample is drawn."""
    from ..stats import RatioStatistic

    numerators, shares = found.numerators, found.shares
    assert numerators is not None, "the pass keeps each sample's numerator under --ci and --against"
    if shares is None:  # the samples are summed: n is a constant, a resample of N samples keeps it
        if "positions" in T.parse_reduce(result.averaged) and found.sums.roles.has_positions:
            raise UsageError(
                f"--reduce {result.averaged} divides by the positions valid in some sample, which a resample or a "
                "group of samples changes; average the samples too (--reduce samples,positions) for intervals, "
                "tests and groups"
            )
        shares = np.full(len(numerators), result.n / len(numerators))
    shown = _shown_as(spec)
    statistic = RatioStatistic(numerators, shares, shown)
    got = statistic.value()
    if not (math.isfinite(got) and math.isclose(got, result.value, rel_tol=1e-9, abs_tol=1e-300)):
        raise UsageError(f"--ci: {spec.name}'s value ({result.value!r}) is no ratio of per-sample sums ({got!r})")
    return statistic


def _reduced_of(sums: T.AxisSums, settings: dict) -> T.Reduced:
    return T.reduced(
        sums,
        settings["reduce"],
        weight_divisor=settings["weight_divisor"],
        empty=settings["empty"],
        position_word=settings["word"],
    )


def result_of_sums(spec: Loss, settings: dict, sums: T.AxisSums, like: Any, roles=None, how: str = "") -> TensorResult:
    """The result that ``sums`` give under ``settings`` (the averaged axes, the weight divisor, --empty, the word
    for a position): of one run, or of states merged (no per-sample values then)."""
    reduced = _reduced_of(sums, settings)
    tables = T.breakdown(sums, reduced, settings["weight_divisor"])
    shown = _shown_as(spec)
    roles = roles or sums.roles
    return TensorResult(
        loss=spec.name,
        title=spec.title,
        formula=spec.formula,
        matches=spec.matches,
        options=dict(settings.get("options") or {}),
        reduce=_reduce_words(reduced.averaged),
        shape=roles.shape,
        roles=roles.describe(),
        axis_how=how or "as the states' runs found them",
        value=float(shown(np.float64(reduced.value))),
        n=reduced.n,
        n_text=reduced.n_text,
        total=reduced.total,
        removed=reduced.removed,
        samples_without_cells=reduced.samples_without_cells,
        per_sample=None,
        weights=sums.weights,
        like=like,
        empty_note=reduced.note,
        exponent=spec.exponent,
        root=spec.root,
        per_output=None if spec.exponent or tables.per_output is None else shown(tables.per_output),
        per_position=shown(tables.per_position) if roles.has_positions else None,
        position_n=tables.position_n if roles.has_positions else None,
        position_shape=roles.position_shape,
        reductions=_every_reduction(sums, roles, settings["weight_divisor"], shown, settings["word"]),
        averaged=settings["reduce"],
        weight_divisor=settings["weight_divisor"],
        empty=settings["empty"],
        word=settings["word"],
        sums=sums,
    )


def _every_reduction(sums: T.AxisSums, roles: T.Roles, weight_divisor: str, shown, word: str) -> list[dict]:
    """--explain: the value under every --reduce the axes allow, from the same sums (nothing is read again):
    the answer to "what is n" in numbers. A reduction with nothing to divide by is listed without a value."""
    axes = [a for a in T.AXES if a != "positions" or roles.has_positions]
    if not sums.with_outputs:
        axes.remove("outputs")  # a class loss per token: its outputs are summed in the term
    out = []
    for size in range(len(axes), -1, -1):
        for averaged in itertools.combinations(axes, size):
            text = ",".join(averaged) or "none"
            try:
                found = T.reduced(sums, text, weight_divisor=weight_divisor, empty="nan", position_word=word)
            except UsageError as refused:  # per-position weights have no per-sample divisor
                out.append({"reduce": text, "n": None, "n_text": f"not defined: {refused}", "value": None})
                continue
            value = float(shown(np.float64(found.value)))
            out.append({"reduce": text, "n": found.n, "n_text": found.n_text, "value": _number(value)})
    return out


def _scaled(raw: np.ndarray, spec: Loss, reduced: T.Reduced) -> np.ndarray:
    """The gradient of the value from the raw one (of the weighted terms' sum): over n, then the chain rule of
    the root (RMSE) or the exponential (perplexity). With nothing to average the value is a constant: 0 for
    --empty zero, NaN for nan."""
    if reduced.n == 0:
        return np.zeros_like(raw) if reduced.value == 0 else np.full_like(raw, np.nan)
    mean = reduced.value
    with np.errstate(all="ignore"):
        chain = 1.0 / (2.0 * np.sqrt(mean)) if spec.root else np.exp(mean) if spec.exponent else 1.0
        return raw * (chain / reduced.n)


def _roles(spec: Loss, inputs: _Inputs, labels: bool, axis: Any) -> tuple[T.Roles, str]:
    """The roles of the predictions' axes, and how the outputs (class) axis was chosen."""
    pred_shape = inputs.preds.shape
    if labels:
        return T.label_roles(pred_shape, inputs.targets.shape, None if axis == "default" else axis)
    if inputs.targets.shape != pred_shape:
        raise InputError(
            f"{inputs.preds.name} has shape {shape_text(pred_shape)} but {inputs.targets.name} has shape "
            f"{shape_text(inputs.targets.shape)}; {spec.name} takes targets of the predictions' shape (losscli never "
            f"broadcasts){_label_hint(spec)}"
        )
    if axis == "none":
        raise UsageError(f"--axis none is the ratio losses' (dice, tversky); {spec.name} takes axis numbers")
    roles = T.axis_roles(pred_shape, -1 if axis == "default" else axis)
    if len(pred_shape) == 1:
        return roles, "one output per sample"
    return (
        roles,
        "the outputs axis is the last (the default)" if axis == "default" else "the outputs axis is set by --axis",
    )


def _shown_as(spec: Loss):
    """What every figure of ``spec`` goes through after its sum over n: exp (perplexity), sqrt (RMSE)."""

    def shown(x):
        with np.errstate(over="ignore", invalid="ignore"):
            return np.exp(x) if spec.exponent else np.sqrt(x) if spec.root else x

    return shown


def _top(request: RunRequest) -> int:
    """How many of the largest cells a result names: --top, or 5 for a table."""
    return request.output.top or (5 if request.output.output_format == "table" else 0)


def _label_hint(spec: Loss) -> str:
    if spec.targets == "labels_or_same":
        return "; class labels take the predictions' shape without the class axis"
    return ""


def _default_reduce(task: LossTask, roles: T.Roles) -> str:
    """The loss's (or --like's) 2-D reduction on N-D inputs: a mean over samples is a mean over every
    axis but the outputs (the token mean: Keras's and PyTorch's class losses, optax's mean of its
    per-example array); every other reduction names the same axes as in 2-D."""
    name = task.reduction.name
    if name == "samples":
        return T.default_reduce("samples", roles)
    return {"all": "all", "outputs": "outputs", "none": "none"}[name]


def _reduce_words(averaged: tuple[str, ...]) -> str:
    if averaged == T.AXES or averaged == ("samples", "outputs"):
        return "all"
    return ",".join(averaged) or "none"


def _notes(request: RunRequest, task: LossTask, reduce_text: str, roles: T.Roles) -> list[str]:
    notes = []
    if request.reduction.like is not None and request.reduction.reduce is not None:
        own = _default_reduce(task, roles)
        if T.parse_reduce(own) != T.parse_reduce(reduce_text):
            notes.append(f"--reduce {reduce_text} given; {request.reduction.like}'s own call averages {own}")
    return notes


def _torch_notes(like: Any, task: LossTask, roles: T.Roles, labels: bool) -> list[str]:
    """What a PyTorch user must know to reproduce the number: its class axis is 1, its -100 default."""
    if like is None or like.framework != "torch" or not labels:
        return []
    notes = []
    if roles.has_positions and roles.outputs != (1,):
        axis = roles.outputs[0] if len(roles.outputs) == 1 else roles.outputs
        notes.append(f"PyTorch takes the classes on axis 1: this is its call on p.movedim({axis}, 1)")
    if task.options.get("ignore_index") == TORCH_IGNORE_INDEX and "ignore_index" not in task.given:
        notes.append("labels -100 are left out: PyTorch's default ignore_index=-100")
    return notes


def parse_axis(text: str | None) -> Any:
    """--axis as given: "default" when absent, "none" (every axis), or an int or a tuple of ints."""
    if text is None:
        return "default"
    words = [w.strip() for w in str(text).split(",") if w.strip()]
    if words == ["none"]:
        return "none"
    try:
        axes = [int(w) for w in words]
    except ValueError:
        raise UsageError(f"--axis {text!r}: give an axis number, a comma list of them (1,2,3), or none") from None
    if not axes:
        raise UsageError(f"--axis {text!r}: give an axis number, a comma list of them (1,2,3), or none")
    return axes[0] if len(axes) == 1 else tuple(axes)


# --- the blocks -----------------------------------------------------------------------------


def _ratio_loss(request: RunRequest, spec: Loss, inputs: _Inputs, axis: Any) -> TensorResult:
    """Dice and Tversky: each ratio summed over the --axis axes (default: every axis but the samples,
    one ratio per sample; --like keras: every axis, Keras's axis=None), their mean over the others."""

    if inputs.mask is not None or inputs.lengths is not None or inputs.weights is not None:
        raise UsageError(f"{spec.name} is a ratio of sums; --mask, --lengths and --weights do not apply to it yet")
    if request.axes.grouping is not None:
        raise UsageError(f"{spec.name} is a ratio of sums; its groups over N-D inputs are not built yet")
    asked = (
        ("--grad", request.analysis.grad),
        ("--explain", request.analysis.explain),
        ("--ci", request.statistics.ci is not None),
        ("--against", request.statistics.comparing),
        ("--save-state", request.engine.save_state is not None),
    )
    for flag, given in asked:
        if given:
            raise UsageError(f"{flag}: {spec.name} over N-D inputs (one ratio of sums) has no {flag} yet")
    if inputs.targets.shape != inputs.preds.shape:
        raise _not_masks(spec, inputs)
    task, like = _task(request, spec, False, inputs.preds.shape[-1])
    shape = inputs.preds.shape
    chosen = ("sample" if like is None or like.framework != "keras" else None) if axis == "default" else axis
    chosen = None if chosen == "none" else chosen
    axes = T.ratio_axes(shape, chosen)
    pred, target = inputs.preds.block(0, shape[0]), inputs.targets.block(0, shape[0])
    names = {"predictions": inputs.preds.name, "targets": inputs.targets.name}
    pred_domain, target_domain = spec.domains(task.options)
    flat_roles = T.axis_roles(shape, -1)
    everything = np.ones(flat_roles.cell_shape, dtype=bool).reshape(shape[0], -1)
    check_valid(T.flatten_outputs(pred, flat_roles), everything, "predictions", pred_domain, spec, flat_roles, names, 0)
    check_valid(T.flatten_outputs(target, flat_roles), everything, "targets", target_domain, spec, flat_roles, names, 0)
    if spec.name == "dice":
        numerator, denominator = L.dice_numerator(pred, target), L.dice_denominator(pred, target)
    else:
        ab = {k: task.options[k] for k in ("alpha", "beta")}
        numerator, denominator = L.tversky_numerator(pred, target, **ab), L.tversky_denominator(pred, target, **ab)
    terms = T.ratio_terms(numerator, denominator, axes)
    ratios = terms.size
    total = T.exact_total(terms)
    value = float(np.float64(total) / ratios)
    kept = [a for a in range(len(shape)) if a not in axes]
    per_sample = terms.reshape(-1) if kept == [0] else None
    summed = (
        "every axis" if len(axes) == len(shape) else ("axes " if len(axes) > 1 else "axis ") + ", ".join(map(str, axes))
    )
    n_text = f"{ratios:,} ratio{'s' if ratios != 1 else ''}, each summed over {summed}"
    how = "one ratio per sample (the default)" if chosen == "sample" else f"summed over {summed}"
    if axis == "default" and chosen is None:
        how += " (--like keras: Keras's default axis=None)"
    return TensorResult(
        loss=spec.name,
        title=spec.title,
        formula=spec.formula,
        matches=spec.matches,
        options={k: v for k, v in task.options.items() if v is not None and k != "axis"},
        reduce="all",
        shape=shape,
        roles=T.axis_roles(shape, -1).describe() if len(shape) > 1 else f"samples {shape[0]:,} (axis 0)",
        axis_how=how,
        value=value,
        n=float(ratios),
        n_text=n_text,
        total=total,
        removed=T.Removed(),
        samples_without_cells=0,
        per_sample=per_sample,
        inputs=inputs.described(),
        like=like,
    )


def _not_masks(spec: Loss, inputs: _Inputs) -> InputError:
    """Masks of another shape than the predictions: and, for integer labels of one axis fewer, how to
    one-hot them."""
    preds, targets = inputs.preds.shape, inputs.targets.shape
    hint = ""
    if len(targets) == len(preds) - 1 and inputs.targets.stored.kind in "iu":
        channel = 1 if targets == preds[:1] + preds[2:] else -1
        hint = (
            f"; {inputs.targets.name} looks like class labels (integers, one axis fewer): one-hot them on "
            f"axis {channel} (np.moveaxis(np.eye({preds[channel]})[labels], -1, {channel})), or use sparse_cce "
            "for labels"
        )
    return InputError(
        f"{inputs.preds.name} has shape {shape_text(preds)} but {inputs.targets.name} has shape "
        f"{shape_text(targets)}; {spec.name} takes masks of the predictions' shape{hint}"
    )
