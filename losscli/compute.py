"""The Python API: ``compute(loss, preds, targets, ...) -> Result``."""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import InputError
from .losses import Domain, Loss, get_loss
from .readers import ArrayInput
from .reduce import get_reduction, reduce_elements
from .result import Result


def compute(
    loss: str | Loss,
    preds: Any,
    targets: Any,
    *,
    reduce: str | None = None,
    **options: Any,
) -> Result:
    """Compute ``loss`` of ``preds`` against ``targets`` under a reduction.

    ``preds`` and ``targets`` are array-likes of shape (N,) or (N samples, C outputs),
    or :class:`~losscli.readers.ArrayInput` from ``read_input`` (then errors name the
    file and line). ``reduce`` is ``all``, ``samples``, ``outputs`` or ``none``
    (default: the loss's own); ``options`` are the loss's options, e.g. ``delta=2.0``.

    >>> r = compute("mse", [[0.9, 0.1], [0.2, 0.9]], [[1, 0], [0, 1]], reduce="samples")
    >>> round(r.value, 12), r.n, r.n_text()
    (0.035, 2, '2 samples')
    """
    spec = loss if isinstance(loss, Loss) else get_loss(loss)
    reduction = get_reduction(reduce or spec.default_reduce)
    resolved = spec.resolve_options(options)
    pred = _as_input(preds, "predictions")
    target = _as_input(targets, "targets")
    if pred.values.shape != target.values.shape:
        raise InputError(
            f"{pred.name} has shape {pred.values.shape} but {target.name} has shape "
            f"{target.values.shape}; predictions and targets must have the same shape "
            f"(losscli never broadcasts)"
        )
    pred_domain, target_domain = spec.domains(resolved)
    _check_values(pred, "predictions", pred_domain, spec.name)
    _check_values(target, "targets", target_domain, spec.name)

    elements = spec.elements(pred.values, target.values, **resolved)
    reduced = reduce_elements(elements, reduction)
    return Result(
        loss=spec.name,
        title=spec.title,
        formula=spec.formula,
        matches=spec.matches,
        options=resolved,
        reduction=reduction,
        per_element=elements,
        per_sample=reduced.per_sample,
        per_output=reduced.per_output,
        total=reduced.total,
        n=reduced.n,
        value=reduced.value,
    )


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


def _reject_first(source: ArrayInput, bad: np.ndarray, problem: str, advice: str) -> None:
    where = np.argwhere(bad)
    if len(where):
        i, j = (int(k) for k in where[0])
        value = float(source.values[i, j])
        raise InputError(f"{source.name}: {source.locate(i, j)}: {value!r} {problem}; {advice}")
