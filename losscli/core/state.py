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

from .sums import ExactSum, Sketch, TopK, VectorSum, rank_key
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
    """How many rows to keep for people."""

    head: int = 10  # the first rows
    tail: int = 10  # the last rows
    top: int = 10  # the rows of the largest terms, and the worst samples


DEFAULT_KEEP = Keep()


class Kept:
    """A few rows by sample index: the head, the tail, and the rows of the largest terms."""

    def __init__(self, keep: Keep):
        self.keep = keep
        self.records: dict[int, Record] = {}
        self.head: list[int] = []
        self.tail: list[int] = []
        self.top_rows = TopK(keep.top)  # by the largest term of the row
        self.top_samples = TopK(keep.top)  # by the per-sample value

    def add(self, start: int, per_sample: np.ndarray, block: BlockTerms, gradient, ids, pred, labels) -> None:
        count = len(per_sample)
        index = np.arange(start, start + count)
        wanted = set(index[: max(0, self.keep.head - len(self.head))].tolist())
        wanted |= set(index[-self.keep.tail :].tolist()) if self.keep.tail else set()
        with np.errstate(invalid="ignore"):
            row_max = np.where(np.isnan(block.terms).any(axis=1), np.nan, block.terms.max(axis=1))
        self.top_rows.add(row_max, index[:, None] * np.array([[1, 0]]))
        self.top_samples.add(per_sample, index[:, None] * np.array([[1, 0]]))
        wanted |= {int(i) for i in self.top_rows.keys[:, 0]} | {int(i) for i in self.top_samples.keys[:, 0]}
        for i in sorted(wanted):
            if start <= i < start + count and i not in self.records:
                r = i - start
                self.records[i] = Record(
                    float(per_sample[r]),
                    block.terms[r].copy(),
                    None if gradient is None else gradient[r].copy(),
                    None if ids is None else str(ids[r]),
                    pred[r].copy(),
                    block.targets[r].copy(),
                    None if labels is None else float(labels[r]),
                )
        self.head += index[: max(0, self.keep.head - len(self.head))].tolist()
        self.tail = (self.tail + index.tolist())[-self.keep.tail :] if self.keep.tail else []
        self._forget()

    def merge(self, other: Kept) -> None:
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

    def __init__(self, n_outputs: int, keep: Keep = DEFAULT_KEEP, term_columns: int | None = None):
        self.n_outputs = n_outputs
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
        self.kept = Kept(keep)

    def add(self, start: int, block: BlockTerms, per_sample: np.ndarray, gradient, ids, pred, labels) -> None:
        terms = block.terms
        with np.errstate(all="ignore"):
            self.total.add(float(terms.sum()))  # pairwise, as np.mean sums
            self.per_output.add(np.ones(len(terms)) @ terms if len(terms) > 1 else terms.sum(axis=0))
        count = len(terms)
        self.rows += count
        self.counted += count if block.counted is None else int(block.counted.sum())
        if block.divisor is not None:
            self.divisor.add(float(block.divisor.sum()))
        if block.scale is not None:
            self.scale_total.add(float(block.scale.sum()))
            self.scale_per_output.add(block.scale.sum(axis=0))
        finite = np.isfinite(terms)
        if not finite.all():
            self.non_finite += int((~finite).sum())
        self.sketch.add(per_sample)
        self._worst(start, terms)
        self.kept.add(start, per_sample, block, gradient, ids, pred, labels)

    def _worst(self, start: int, terms: np.ndarray) -> None:
        k = self.worst_elements.k
        if not k:
            return
        flat = terms.ravel()
        pick = np.arange(flat.size) if flat.size <= k else np.argpartition(-rank_key(flat), k - 1)[:k]
        i, j = np.divmod(pick, terms.shape[1])
        self.worst_elements.add(flat[pick], np.stack([i + start, j], axis=1))

    def merge(self, other: LossState) -> None:
        self.total.merge(other.total)
        self.per_output.merge(other.per_output)
        self.rows += other.rows
        self.counted += other.counted
        self.divisor.merge(other.divisor)
        self.scale_total.merge(other.scale_total)
        self.scale_per_output.merge(other.scale_per_output)
        self.non_finite += other.non_finite
        self.sketch.merge(other.sketch)
        self.worst_elements.merge(other.worst_elements)
        self.kept.merge(other.kept)
