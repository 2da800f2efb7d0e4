"""Arrays in memory (NumPy, pandas, torch tensors) as the engine's source of blocks: what
:func:`losscli.compute` reads, and what the engine's per-sample checks run on."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from ..errors import InputError
from .inputs import Block, block_rows
from .table import Rows


def as_array(data: Any, role: str) -> np.ndarray:
    """An array-like as a 1-D or 2-D array: numbers as float64, labels given as text kept as text."""
    if hasattr(data, "detach") and hasattr(data, "cpu"):  # a torch tensor, maybe requiring grad
        data = data.detach().cpu().numpy()
    elif hasattr(data, "to_numpy"):  # pandas
        data = data.to_numpy()
    try:
        values = np.asarray(data)
        if values.dtype.kind not in "OUS":
            values = values.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{role}: not an array of numbers ({exc})") from None
    if values.ndim not in (1, 2):
        raise InputError(f"{role}: has {values.ndim} dimensions; give shape (N,) or (N samples, C outputs)")
    if values.size == 0:
        raise InputError(f"{role}: is empty; give at least one sample")
    return values


def _numbers(values: np.ndarray, role: str) -> np.ndarray:
    if values.dtype.kind in "OUS":
        from .cells import cell_number

        try:
            return np.array([[cell_number(str(v)) for v in row] for row in values.reshape(len(values), -1)])
        except ValueError:
            raise InputError(f"{role}: not an array of numbers (it holds text)") from None
    return values.reshape(len(values), -1)


def _group_labels(data: Any) -> np.ndarray:
    """One group label per sample: numbers (as float64; NaN is a missing label) or text."""
    values = as_array(data, "groups")
    if values.ndim != 1:
        raise InputError(f"groups: has shape {values.shape}; give one label per sample, shape (N,)")
    return values if values.dtype.kind == "f" else values.astype(str)


class ArrayInputs:
    """Arrays in memory as the engine's source: messages name the role and the index."""

    def __init__(
        self,
        preds,
        targets,
        weights=None,
        *,
        labels: bool = False,
        rows_per_block: int | None = None,
        class_names: tuple[str, ...] | None = None,
        groups=None,
    ):
        self.notes: list[str] = []
        self.names = class_names  # the predictions' column names (a DataFrame's), for labels
        self.rows_per_block = rows_per_block
        self.one_d = {}
        self.arrays = {}
        for role, data in (("predictions", preds), ("targets", targets), ("weights", weights)):
            if data is None:
                continue
            values = as_array(data, role)
            self.one_d[role] = values.ndim == 1
            if role == "targets" and labels and values.dtype.kind in "OUS":
                self.arrays[role] = values.reshape(-1)
            else:
                self.arrays[role] = _numbers(values, role)
        if groups is not None:
            self.arrays["groups"] = _group_labels(groups)
        n = len(self.arrays["predictions"])
        for role, values in self.arrays.items():
            if len(values) != n:
                self._length_error(role, len(values), n)

    def _length_error(self, role: str, count: int, n: int) -> None:
        if role == "groups":
            raise InputError(f"groups: holds {count:,} group labels for {n:,} samples; give one per sample")
        if role == "weights":
            raise InputError(f"weights: holds {count} weights for {n} samples; give one weight per sample")
        p, t = self.arrays["predictions"], self.arrays["targets"]
        raise InputError(
            f"predictions has shape {_shape(p, self.one_d['predictions'])} but targets has shape "
            f"{_shape(t, self.one_d['targets'])}; predictions and targets must have the same shape "
            f"(losscli never broadcasts)"
        )

    def name_of(self, role: str) -> str:
        return role

    def width(self, role: str) -> int:
        """How many columns a role has (class labels: one)."""
        values = self.arrays[role]
        return 1 if values.ndim == 1 else values.shape[1]

    def class_names(self) -> tuple[str, ...] | None:
        return self.names

    def blocks(self) -> Iterator[Block]:
        n = len(self.arrays["predictions"])
        step = self.rows_per_block or block_rows(max(1 if v.ndim == 1 else v.shape[1] for v in self.arrays.values()))
        for start in range(0, n, step):
            stop = min(n, start + step)
            rows = np.arange(start, stop)
            parts, labels = {}, {}
            for role, values in self.arrays.items():
                if values.ndim == 1:  # class labels as text
                    labels[role] = values[start:stop]
                    parts[role] = Rows(np.full((stop - start, 1), np.nan), None, rows, None)
                else:
                    parts[role] = Rows(values[start:stop], None, rows, None)
            yield Block(parts, labels, None)

    def where(self, role: str, rows: Rows, i: int, j: int) -> str:
        row = int(rows.rows[i])
        return f"{role}: [{row}]" if self.one_d.get(role, True) else f"{role}: [{row}, {j}]"

    def infos(self) -> list:
        return []


def _shape(values: np.ndarray, one_d: bool) -> tuple:
    return (len(values),) if one_d else tuple(values.shape)
