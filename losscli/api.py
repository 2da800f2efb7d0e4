"""The Python API: ``compute(loss, preds, targets, ...) -> Result``, over the same engine as
the command line.

Inputs may be lists, NumPy arrays, pandas Series and DataFrames (name their columns with
``pred_col`` / ``target_col``), or torch tensors (read detached, on the CPU).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from .core.registry import Loss
from .core.result import Result
from .engine.request import (
    AnalysisSection,
    AxesSection,
    InputSection,
    OutputSection,
    ReductionSection,
    RunRequest,
    StatisticsSection,
)
from .errors import UsageError
from .io.arrays import ArrayInputs, as_array


class Bootstrap(NamedTuple):
    """``compute(..., ci=Bootstrap(0.9, resamples=500))``: the interval's level and how it is drawn
    (``ci=0.95`` is ``Bootstrap(0.95)``)."""

    level: float = 0.95
    resamples: int = 2000
    seed: int = 0
    method: str = "studentized"  # or "bca", "percentile"


class Read(NamedTuple):
    """``compute(frame, read=Read(pred_col="p0:p9", target_col="t0:t9"))``: how the inputs are read,
    as ``--pred-col``, ``--target-col``, ``--classes`` and ``--drop-missing`` read them."""

    pred_col: str | list[str] | None = None
    target_col: str | list[str] | None = None
    classes: list[str] | None = None
    drop_missing: bool = False


class Axes(NamedTuple):
    """``compute(..., axes=Axes(mask=m))``: the N-D pass's axes, as ``--axis``, ``--mask``,
    ``--lengths`` and ``--empty`` give them (docs/axes.md); and the groups the batch is cut into, as
    ``--group-by``, ``--groups`` and ``--group-col`` give them (docs/groups.md): ``group_by`` "sample"
    or "class", ``groups`` one label per sample (numbers or text: an array, a list, a Series),
    ``group_col`` a column of the one DataFrame that ``Read(pred_col=, target_col=)`` reads.
    The groups are ``result.groups`` (:class:`~losscli.core.groups.Grouped`)."""

    axis: int | tuple[int, ...] | str | None = None
    mask: Any = None
    lengths: Any = None
    empty: str | None = None
    group_by: str | None = None
    groups: Any = None
    group_col: str | None = None


def _columns(data, spec, role: str):
    if spec is None:
        return data
    if not hasattr(data, "columns"):
        raise UsageError(f"{role}_col picks columns of a pandas DataFrame; {role} is not one")
    from .io.select import select
    from .io.table import Layout

    names = tuple(str(c) for c in data.columns)
    picked = select(
        "the DataFrame", Layout(names), ",".join(spec) if isinstance(spec, list | tuple) else spec, f"{role}_col"
    )
    return data.iloc[:, picked]


def compute(
    loss: str,
    preds: Any,
    targets: Any = None,
    *,
    reduce: str | None = None,
    weights: Any = None,
    weight_divisor: str | None = None,
    like: str | None = None,
    grad: bool = False,
    compare: bool = False,
    ci: float | Bootstrap | None = None,
    read: Read | None = None,
    axes: Axes | None = None,
    **options: Any,
) -> Result | list[Result] | Any:
    """Compute ``loss`` of ``preds`` against ``targets`` under a reduction.

    ``preds`` and ``targets`` are array-likes of shape (N,) or (N samples, C outputs)
    (targets of shape (N,) for losses that take class labels, as numbers or as class
    names matched by ``classes``), or one pandas DataFrame ``preds`` with ``pred_col`` and
    ``target_col`` naming its columns. ``reduce`` is ``all``, ``samples``, ``outputs`` or
    ``none`` (default: the loss's own). ``weights`` are N sample weights; averaging over
    samples then divides by their sum (``weight_divisor="sum"``, scikit-learn) or by N
    (``"count"``, Keras); default "sum", or with ``like`` the framework's own. ``options`` are the
    loss's options, e.g. ``delta=2.0``. With
    ``grad``, the result also holds the gradient of the batch value with respect to every
    prediction. ``like="keras"`` (or torch, sklearn, optax, torchmetrics, numpy) computes it
    as that framework's own call does; ``compare=True`` adds every framework's number as
    ``result.comparison``. ``ci=0.95`` adds the bootstrap confidence interval of the value as
    ``result.ci``; ``ci=Bootstrap(0.9, resamples=500, seed=1, method="percentile")`` says how it is
    drawn. ``read=Read(drop_missing=True, classes=[...])`` (the prediction columns' class names)
    reads the inputs as ``--drop-missing`` and ``--classes`` do. Several losses (``"mse,mae"``) give a
    list, as on the command line. The run is the command line's: one request, one planner.

    Arrays of rank 3 or more (and ``axes=Axes(...)``, a ``reduce`` over ``positions``, or
    ``perplexity``) run the N-D pass of ``--axis`` and ``--mask`` (docs/axes.md) and give a
    :class:`~losscli.engine.tensor_run.TensorResult`: ``Axes.axis`` the class axis (or a ratio loss's
    summed axes, "none" for all), ``mask`` 0/1 of the predictions' shape without the outputs axis,
    ``lengths`` one per sample, ``empty`` "error", "nan" or "zero".

    >>> r = compute("mse", [[[1.0], [3.0]], [[0.0], [0.0]]], [[[0.0], [0.0]], [[0.0], [2.0]]],
    ...             reduce="samples,positions", axes=Axes(mask=[[1, 1], [1, 0]]))
    >>> r.value, r.n_text
    (3.3333333333333335, '3 valid positions of 2 x 2 positions (1 masked)')

    >>> r = compute("mse", [[0.9, 0.1], [0.2, 0.9]], [[1, 0], [0, 1]], reduce="samples")
    >>> round(r.value, 12), r.n, r.n_text
    (0.035, 2, '2 samples')
    >>> compute("mae", [1.0, 2.0, 4.0], [1.5, 2.0, 3.0], weights=[1, 1, 2]).value
    0.625
    >>> [round(r.value, 12) for r in compute("mse,mae", [1.0, 3.0], [0.0, 0.0])]
    [5.0, 2.0]
    """
    specs = _losses(loss)
    _refuse_moved(options, specs)
    read, axes = read or Read(), axes or Axes()
    groups = _group_labels(preds, read, axes)
    preds, targets = _inputs(preds, targets, read.pred_col, read.target_col)
    if compare and len(specs) > 1:
        raise UsageError("compare=True takes one loss at a time")
    request = RunRequest(
        tuple(spec.name for spec in specs),
        _options_per_loss(specs, options),
        inputs=InputSection(
            preds,
            targets,
            weights,
            classes=None if read.classes is None else tuple(read.classes),
            drop_missing=read.drop_missing,
        ),
        reduction=ReductionSection(reduce, like, weight_divisor),
        axes=_axes_section(axes, groups),
        output=OutputSection(output_format=None),  # in memory: every row kept on the result
        analysis=AnalysisSection(compare=compare, grad=grad),
        statistics=_statistics(ci),
    )
    return _run(request, specs)


_MOVED = {name: "Read" for name in Read._fields} | {name: "Axes" for name in Axes._fields}


def _refuse_moved(options: dict, specs: list[Loss]) -> None:
    """The keywords that 0.3 took directly and now come in ``read=`` or ``axes=``: said, where no
    loss has an option of that name (dice's ``axis`` is its own)."""
    own = {option.name for spec in specs for option in spec.options}
    for name in options:
        if name in _MOVED and name not in own:
            group = _MOVED[name]
            raise UsageError(f"{name}= is given as {group.lower()}={group}({name}=...) (losscli.{group})")


GROUP_BY = ("sample", "class")  # the API's group_by: shards are files, and the API reads arrays


def _group_labels(preds: Any, read: Read, axes: Axes) -> Any:
    """Each sample's group label, given (``groups``) or a column of the one DataFrame (``group_col``),
    as the run takes them; None for no labels. Groups are named one way."""
    given = [name for name in ("group_by", "groups", "group_col") if getattr(axes, name) is not None]
    if len(given) > 1:
        raise UsageError(f"{' and '.join(f'{name}=' for name in given)}: name the groups one way")
    if axes.group_by is not None and axes.group_by not in GROUP_BY:
        raise UsageError(f"group_by={axes.group_by!r}: the API groups by {' or '.join(GROUP_BY)} (or groups=LABELS)")
    if axes.group_col is None:
        return axes.groups
    if not hasattr(preds, "columns") or read.pred_col is None or read.target_col is None:
        raise UsageError("group_col picks a column of one DataFrame read with Read(pred_col=, target_col=)")
    return _columns(preds, axes.group_col, "group").iloc[:, 0]


def _inputs(preds: Any, targets: Any, pred_col: Any, target_col: Any) -> tuple[Any, Any]:
    """The predictions and targets: as given, or two column sets of one DataFrame."""
    if pred_col is not None or target_col is not None:
        if targets is not None:
            raise UsageError("with pred_col and target_col, give one DataFrame as preds and no targets")
        preds, targets = _columns(preds, pred_col, "pred"), _columns(preds, target_col, "target")
    if targets is None:
        raise UsageError("give targets, or one DataFrame with pred_col and target_col")
    return preds, targets


def _axes_section(axes: Axes, groups: Any) -> AxesSection:
    axis = None if axes.axis is None else _axis_text(axes.axis)
    return AxesSection(axis, axes.mask, axes.lengths, axes.empty, group_by=axes.group_by, groups=groups)


def _axis_text(axis: int | tuple[int, ...] | str) -> str:
    """An axis argument as the command line writes it: 1, -1, 1,2,3, none."""
    if isinstance(axis, str):
        return axis
    if isinstance(axis, int):
        return str(axis)
    return ",".join(str(int(a)) for a in axis)


def _run(request: RunRequest, specs: list[Loss]) -> Any:
    from .core.terms import takes_labels
    from .engine.finishing import complete
    from .engine.plan import plan
    from .engine.tensor_route import wanted

    if wanted(request, specs):
        from .engine import tensor_run

        found = tensor_run.run(request, specs)
        return found if len(specs) > 1 else found[0]
    inputs = request.inputs
    n_pred, n_target = _width(inputs.preds, "predictions"), _width(inputs.targets, "targets")
    labels = any(takes_labels(spec, n_pred, n_target) for spec in specs)
    class_names = tuple(str(c) for c in inputs.preds.columns) if hasattr(inputs.preds, "columns") else None
    source = ArrayInputs(
        inputs.preds, inputs.targets, inputs.weights, labels=labels, class_names=class_names, groups=request.axes.groups
    )
    run = plan(request, specs, source)
    results = complete(run, run.run(), request)
    return results if len(specs) > 1 else results[0]


def _losses(loss) -> list[Loss]:
    from .core.registry import get_loss

    names = [name for name in loss.split(",") if name.strip()] if isinstance(loss, str) else [loss]
    if not names:
        raise UsageError("give a loss, e.g. compute('mse', preds, targets)")
    return [get_loss(name) if isinstance(name, str) else name for name in names]


def _statistics(ci: float | Bootstrap | None) -> StatisticsSection:
    if ci is None:
        return StatisticsSection()
    drawn = ci if isinstance(ci, Bootstrap) else Bootstrap(ci)
    return StatisticsSection(drawn.level, drawn.resamples, drawn.seed, drawn.method)


def _width(data, role: str) -> int:
    values = as_array(data, role)
    return 1 if values.ndim == 1 else values.shape[1]


def _options_per_loss(specs: list[Loss], options: dict) -> dict[str, dict]:
    """Each loss's options; with several losses, each takes those it has (one loss takes them all,
    so an option it does not have is an error)."""
    if len(specs) == 1:
        return {specs[0].name: dict(options)}
    return {spec.name: {k: v for k, v in options.items() if any(o.name == k for o in spec.options)} for spec in specs}
