"""The Python API: ``compute(loss, preds, targets, ...) -> Result``, over the same engine as
the command line.

Inputs may be lists, NumPy arrays, pandas Series and DataFrames (name their columns with
``pred_col`` / ``target_col``), or torch tensors (read detached, on the CPU).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from .core.result import Result
from .core.state import Keep
from .core.terms import LossTask, prepare, takes_labels
from .engine.run import Pass, Settings
from .errors import UsageError
from .io.arrays import ArrayInputs, as_array


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
    grad: bool = False,
    drop_missing: bool = False,
    pred_col: str | list[str] | None = None,
    target_col: str | list[str] | None = None,
    classes: list[str] | None = None,
    like: str | None = None,
    compare: bool = False,
    ci: float | None = None,
    resamples: int = 2000,
    seed: int = 0,
    ci_method: str = "bca",
    **options: Any,
) -> Result | list[Result]:
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
    ``result.ci`` (``resamples`` resamples of the samples, ``seed``, ``ci_method`` "bca" or
    "percentile"). Several losses (``"mse,mae"``) give a list, as on the command line.

    >>> r = compute("mse", [[0.9, 0.1], [0.2, 0.9]], [[1, 0], [0, 1]], reduce="samples")
    >>> round(r.value, 12), r.n, r.n_text
    (0.035, 2, '2 samples')
    >>> compute("mae", [1.0, 2.0, 4.0], [1.5, 2.0, 3.0], weights=[1, 1, 2]).value
    0.625
    >>> [round(r.value, 12) for r in compute("mse,mae", [1.0, 3.0], [0.0, 0.0])]
    [5.0, 2.0]
    """
    names = [name for name in loss.split(",") if name.strip()] if isinstance(loss, str) else [loss]
    if pred_col is not None or target_col is not None:
        if targets is not None:
            raise UsageError("with pred_col and target_col, give one DataFrame as preds and no targets")
        preds, targets = _columns(preds, pred_col, "pred"), _columns(preds, target_col, "target")
    if targets is None:
        raise UsageError("give targets, or one DataFrame with pred_col and target_col")
    tasks = _tasks(names, preds, targets, reduce, weight_divisor, weights is not None, options)
    labels = any(task.labels for task in tasks)
    source = ArrayInputs(preds, targets, weights, labels=labels)
    class_names = tuple(str(c) for c in preds.columns) if hasattr(preds, "columns") else None
    settings = Settings(
        drop_missing=drop_missing,
        keep=Keep(),
        keep_all=True,
        grad=grad,
        classes=classes,
        class_names=class_names,
        keep_stats=ci is not None,
    )
    n_outputs = 1 if as_array(preds, "predictions").ndim == 1 else as_array(preds, "predictions").shape[1]
    likes = [None] * len(tasks)
    if like is not None:
        from .core.frameworks import like as like_task

        pairs = [like_task(task, like, n_outputs) for task in tasks]
        tasks, likes = [t for t, _ in pairs], [info for _, info in pairs]
    extras = ()
    if compare:
        from .core.frameworks import convention_task, conventions_of

        if len(tasks) > 1:
            raise UsageError("compare=True takes one loss at a time")
        extras = [(c, convention_task(tasks[0], c)) for c in conventions_of(tasks[0], n_outputs)]
    done = Pass(source, tasks, settings, extras=extras, likes=likes)
    results = done.run()
    if ci is not None:
        from .engine.statistics import with_intervals

        results = with_intervals(done, results, ci, resamples, seed, ci_method)
    if compare:
        from .engine.finishing import compare_rows

        results = [replace(results[0], comparison=compare_rows(done, 0))]
    return results if len(names) > 1 else results[0]


def _tasks(names, preds, targets, reduce, weight_divisor, weighted, options) -> list[LossTask]:
    from .core.registry import get_loss

    specs = [get_loss(name) if isinstance(name, str) else name for name in names]
    if not specs:
        raise UsageError("give a loss, e.g. compute('mse', preds, targets)")
    p, t = as_array(preds, "predictions"), as_array(targets, "targets")
    n_pred = 1 if p.ndim == 1 else p.shape[1]
    n_target = 1 if t.ndim == 1 else t.shape[1]
    tasks = []
    for spec in specs:
        given = (
            {k: v for k, v in options.items() if any(o.name == k for o in spec.options)} if len(specs) > 1 else options
        )
        tasks.append(
            prepare(
                spec,
                reduce=reduce,
                weight_divisor=weight_divisor,
                weighted=weighted,
                labels=takes_labels(spec, n_pred, n_target),
                options=given,
            )
        )
    return tasks
