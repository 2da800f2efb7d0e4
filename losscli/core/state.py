"""What a block of rows contributes to one loss, as a state that merges.

The sums of the weighted terms (in total and per output), the sample count and the sums
of weights every divisor needs, the figures ``--explain`` quotes, the worst samples and
elements, a histogram of the per-sample losses, and a few rows kept for people (the
first, the last, and those holding the largest terms). Everything a result reports is
derived from it, so blocks can run anywhere and merge in block order.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .order import OrderStatistic, order_statistic_from_dict
from .sums import (
    ExactSum,
    Sketch,
    TopK,
    VectorSum,
    add_exactly,
    top_rows,
    topk_from_dict,
    topk_to_dict,
    vector_from_dict,
    vector_to_dict,
)
from .terms import BlockTerms

STATE_VERSION = 1


class Record(NamedTuple):
    """One kept sample: its values, for tables and explanations."""

    per_sample: float
    terms: np.ndarray  # (C,) its element terms (weighted), or (1,) per-sample-only
    gradient: np.ndarray | None  # (C,) d(weighted terms)/dp before dividing by n
    id: str | None
    pred: np.ndarray  # (C,)
    target: np.ndarray  # (C,) as the loss saw it (one-hot for labels)
    label: float | None  # the class label, when targets are labels


class Keep(NamedTuple):
    """How many rows to keep for people, and whether to count the histogram."""

    head: int = 10  # the first rows
    tail: int = 10  # the last rows
    top: int = 10  # the rows of the largest terms, and the worst samples
    histogram: bool = True  # the per-sample losses' histogram (tables show it)

    @property
    def anything(self) -> bool:
        """Whether a block's per-sample values are needed at all."""
        return bool(self.head or self.tail or self.top or self.histogram)


def _gradient_rows(gradient, rows: np.ndarray) -> list:
    """The gradient of each of ``rows``: from every row's (an array), or computed for those rows
    alone (a function of the rows), or None each."""
    if gradient is None:
        return [None] * len(rows)
    if not len(rows):
        return []
    return list(gradient(rows) if callable(gradient) else gradient[rows])


def _row_max(terms: np.ndarray) -> np.ndarray:
    """Each row's largest term, NaN where one is NaN (``np.maximum`` propagates it). A column at a
    time: on a block's short rows, 3x faster than ``terms.max(axis=1)``."""
    if terms.shape[1] == 1:
        return terms[:, 0]
    if terms.shape[1] > 64:
        with np.errstate(invalid="ignore"):
            return terms.max(axis=1)
    out = terms[:, 0].copy()
    for j in range(1, terms.shape[1]):
        np.maximum(out, terms[:, j], out=out)
    return out


NOTHING = Keep(0, 0, 0, False)  # for --format value, json, csv, jsonl: only the sums


DEFAULT_KEEP = Keep()


class RowKeeper:
    """A few rows by sample index: the head, the tail, and the rows of the largest terms."""

    def __init__(self, keep: Keep):
        self.keep = keep
        self.records: dict[int, Record] = {}
        self.head: list[int] = []
        self.tail: list[int] = []
        self.top_rows = TopK(keep.top)  # by the largest term of the row
        self.top_samples = TopK(keep.top)  # by the per-sample value

    def add(self, start: int, per_sample, block: BlockTerms, gradient, ids, pred, labels, row_max, rows) -> None:
        """``row_max`` is each row's largest term (NaN where a term is NaN); ``rows`` the rows of
        the k largest (``top_rows``)."""
        count = len(per_sample)
        head = list(range(start, start + min(count, max(0, self.keep.head - len(self.head)))))
        tail = list(range(max(start, start + count - self.keep.tail), start + count)) if self.keep.tail else []
        self.top_rows.add_rows(row_max, start, rows)
        self.top_samples.add_rows(per_sample, start)
        wanted = set(head) | set(tail)
        wanted |= {int(i) for i in self.top_rows.keys[:, 0]} | {int(i) for i in self.top_samples.keys[:, 0]}
        new = [i for i in sorted(wanted) if start <= i < start + count and i not in self.records]
        rows = np.array(new, dtype=np.intp) - start
        gradients = _gradient_rows(gradient, rows)
        for i, r, g in zip(new, rows.tolist(), gradients, strict=True):
            self.records[i] = Record(
                float(per_sample[r]),
                block.terms[r].copy(),
                g,
                None if ids is None else str(ids[r]),
                pred[r].copy(),
                block.targets[r].copy(),
                None if labels is None else float(labels[r]),
            )
        self.head += head
        self.tail = (self.tail + tail)[-self.keep.tail :] if self.keep.tail else []
        self._forget()

    def merge(self, other: RowKeeper) -> None:
        self.records.update(other.records)
        self.head = (self.head + other.head)[: self.keep.head]
        self.tail = (self.tail + other.tail)[-self.keep.tail :] if self.keep.tail else []
        self.top_rows.merge(other.top_rows)
        self.top_samples.merge(other.top_samples)
        self._forget()

    def _forget(self) -> None:
        wanted = set(self.head) | set(self.tail)
        wanted |= {int(i) for i in self.top_rows.keys[:, 0]} | {int(i) for i in self.top_samples.keys[:, 0]}
        for i in [i for i in self.records if i not in wanted]:
            del self.records[i]


class LossState:
    """The running sums of one loss over the blocks seen so far."""

    def __init__(
        self,
        n_outputs: int,
        keep: Keep = DEFAULT_KEEP,
        term_columns: int | None = None,
        signed: bool = False,
        order_statistic: OrderStatistic | None = None,
    ):
        self.n_outputs = n_outputs
        self.signed = signed  # terms may be negative: each block summed exactly (see sums.py)
        width = n_outputs if term_columns is None else term_columns
        self.total = ExactSum()
        self.per_output = VectorSum(width)
        self.rows = 0  # samples seen
        self.counted = 0  # samples not ignored
        self.divisor = ExactSum()  # sum of what each sample adds to a weighted mean's divisor
        self.scale_total = ExactSum()  # WMAPE: sum |t| (weighted)
        self.scale_per_output = VectorSum(width)
        self.non_finite = 0  # terms that are inf or NaN
        self.sketch = Sketch()
        self.worst_elements = TopK(keep.top)
        self.kept = RowKeeper(keep)
        # an order statistic's own state (max_error, median_absolute_error): its value is no sum of terms
        self.order_statistic = order_statistic

    def add(self, start: int, block: BlockTerms, per_sample: np.ndarray, gradient, ids, pred, labels) -> None:
        terms = block.terms
        with np.errstate(all="ignore"):
            total = float(terms.sum())  # pairwise, as np.mean sums; and the screen for inf and NaN
            self.per_output.add(np.ones(len(terms)) @ terms if len(terms) > 1 else terms.sum(axis=0))
        if self.signed and np.isfinite(total):
            add_exactly(self.total, terms)  # terms that cancel: the pairwise sum can be any number
        else:
            self.total.add(total)  # terms >= 0: within 36 units of 2^-53 of the exact sum (sums.py)
        count = len(terms)
        self.rows += count
        self.counted += count if block.counted is None else int(block.counted.sum())
        if block.divisor is not None:
            self.divisor.add(float(block.divisor.sum()))
        if block.scale is not None:
            self.scale_total.add(float(block.scale.sum()))
            self.scale_per_output.add(block.scale.sum(axis=0))
        if not np.isfinite(total):  # the sum screens for inf and NaN; the mask only then
            self.non_finite += int((~np.isfinite(terms)).sum())
        if self.order_statistic is not None:
            self.order_statistic.add(terms, pred, block.targets)
        keep = self.kept.keep
        if per_sample is None or not keep.anything:  # only the sums are wanted
            return
        if keep.histogram:
            self.sketch.add(per_sample)
        row_max = _row_max(terms)
        rows = top_rows(row_max, self.worst_elements.k)
        self._worst(start, terms, rows)
        self.kept.add(start, per_sample, block, gradient, ids, pred, labels, row_max, rows)

    def _worst(self, start: int, terms: np.ndarray, rows: np.ndarray) -> None:
        """The k largest terms: they lie in the k rows of the largest row maxima (``rows``)."""
        if not self.worst_elements.k:
            return
        candidates = terms[rows]
        i, j = np.divmod(np.arange(candidates.size), terms.shape[1])
        keys = np.stack([rows[i] + start, j], axis=1)
        self.worst_elements.add(candidates.ravel(), keys)

    def shift(self, offset: int) -> None:
        """Number this state's samples from ``offset``: a state saved by a run of its own counts from 0."""
        self.worst_elements.keys[:, 0] += offset
        kept = self.kept
        kept.top_rows.keys[:, 0] += offset
        kept.top_samples.keys[:, 0] += offset
        kept.head = [i + offset for i in kept.head]
        kept.tail = [i + offset for i in kept.tail]
        kept.records = {i + offset: record for i, record in kept.records.items()}

    def permute(self, order: list[int]) -> None:
        """Put the outputs in another order (``order[k]``: the output now at k), as when a state's
        columns are matched by name to another state's: per-output sums, the worst elements, and
        the kept rows' values and class labels."""
        order_array = np.asarray(order, dtype=np.intp)
        place = np.argsort(order_array)
        if len(self.per_output.high) == len(order):  # per-sample-only losses have one column
            if self.order_statistic is not None:
                self.order_statistic.permute(order_array)
            for name in ("per_output", "scale_per_output"):
                vector = getattr(self, name)
                setattr(self, name, VectorSum(len(order), vector.high[order_array], vector.low[order_array]))
            if len(self.worst_elements.keys):
                self.worst_elements.keys[:, 1] = place[self.worst_elements.keys[:, 1]]
        for i, record in self.kept.records.items():

            def moved(values):
                return values if values is None or len(values) != len(order) else values[order_array]

            label = record.label
            if label is not None and label == int(label) and 0 <= label < len(order):
                label = float(place[int(label)])
            self.kept.records[i] = record._replace(
                terms=moved(record.terms),
                gradient=moved(record.gradient),
                pred=moved(record.pred),
                target=moved(record.target),
                label=label,
            )

    def merge(self, other: LossState, sums_only: bool = False) -> None:
        """``other`` (of the rows after this state's) added in; ``sums_only`` leaves the rows
        kept for people and the histogram out (a framework's row of --compare needs its sums)."""
        self.total.merge(other.total)
        self.per_output.merge(other.per_output)
        self.rows += other.rows
        self.counted += other.counted
        self.divisor.merge(other.divisor)
        self.scale_total.merge(other.scale_total)
        self.scale_per_output.merge(other.scale_per_output)
        self.non_finite += other.non_finite
        if self.order_statistic is not None:
            self.order_statistic.merge(other.order_statistic)  # type: ignore[arg-type]  # the same loss's kind
        if sums_only:
            return
        self.sketch.merge(other.sketch)
        self.worst_elements.merge(other.worst_elements)
        self.kept.merge(other.kept)


# --- to and from a state file ---------------------------------------------------------------


def _array(values) -> list | None:
    return None if values is None else [float(x).hex() for x in np.asarray(values, dtype=np.float64).ravel()]


def _from_array(hexes, shape) -> np.ndarray:
    return np.array([float.fromhex(x) for x in hexes]).reshape(shape)


def _from_optional_array(hexes, shape) -> np.ndarray | None:
    return None if hexes is None else _from_array(hexes, shape)


def state_to_dict(state: LossState) -> dict:
    """Everything a state holds, every float to the last bit (hex), for ``--save-state``."""
    kept = state.kept
    records = {
        str(i): {
            "per_sample": float(r.per_sample).hex(),
            "terms": _array(r.terms),
            "gradient": _array(r.gradient),
            "id": r.id,
            "pred": _array(r.pred),
            "target": _array(r.target),
            "label": None if r.label is None else float(r.label).hex(),
        }
        for i, r in kept.records.items()
    }
    return {
        "n_outputs": state.n_outputs,
        "term_columns": len(state.per_output.high),
        "total": state.total.to_dict(),
        "per_output": vector_to_dict(state.per_output),
        "rows": state.rows,
        "counted": state.counted,
        "divisor": state.divisor.to_dict(),
        "scale_total": state.scale_total.to_dict(),
        "scale_per_output": vector_to_dict(state.scale_per_output),
        "non_finite": state.non_finite,
        "order_statistic": None if state.order_statistic is None else state.order_statistic.to_dict(),
        "sketch": state.sketch.to_dict(),
        "worst_elements": topk_to_dict(state.worst_elements),
        "kept": {
            "keep": list(kept.keep),
            "head": kept.head,
            "tail": kept.tail,
            "top_rows": topk_to_dict(kept.top_rows),
            "top_samples": topk_to_dict(kept.top_samples),
            "records": records,
        },
    }


def state_from_dict(data: dict) -> LossState:
    state = LossState(int(data["n_outputs"]), Keep(*data["kept"]["keep"]), term_columns=int(data["term_columns"]))
    state.total = ExactSum.from_dict(data["total"])
    state.per_output = vector_from_dict(data["per_output"])
    state.rows, state.counted = int(data["rows"]), int(data["counted"])
    state.divisor = ExactSum.from_dict(data["divisor"])
    state.scale_total = ExactSum.from_dict(data["scale_total"])
    state.scale_per_output = vector_from_dict(data["scale_per_output"])
    state.non_finite = int(data["non_finite"])
    state.order_statistic = order_statistic_from_dict(data.get("order_statistic"))
    state.sketch = Sketch.from_dict(data["sketch"])
    state.worst_elements = topk_from_dict(data["worst_elements"])
    kept = data["kept"]
    state.kept.head, state.kept.tail = [int(i) for i in kept["head"]], [int(i) for i in kept["tail"]]
    state.kept.top_rows, state.kept.top_samples = topk_from_dict(kept["top_rows"]), topk_from_dict(kept["top_samples"])
    width = int(data["term_columns"])
    for i, r in kept["records"].items():
        state.kept.records[int(i)] = Record(
            float.fromhex(r["per_sample"]),
            _from_array(r["terms"], (width,)),
            _from_optional_array(r["gradient"], (-1,)),
            r["id"],
            _from_array(r["pred"], (-1,)),
            _from_array(r["target"], (-1,)),
            None if r["label"] is None else float.fromhex(r["label"]),
        )
    return state
