"""Groups: the parts of a batch, each with its own sums (docs/groups.md).

Every figure is a sum divided by a count, so a group is one more index on the sums a state
already keeps: per group, the weighted terms' sum, the samples, the samples not ignored, the
sums of weights and of a ratio's denominators (and the per-output sums, where a loss's value
needs them). A group's value is finished from those sums exactly as the whole batch's is
(:func:`group_figures` mirrors :func:`~losscli.core.finish.batch`, and the tests hold every
group to an ungrouped run over its rows); the pooled value is the ungrouped state's own, so it
is the ungrouped run's bit for bit.

Within a block a group's sums are ``np.bincount``'s (in row order); across blocks they are
compensated (Neumaier), so a group's value is true to about 1e-15 relative for terms of one sign.
Groups are numbered in order of first appearance by the main thread, so every ``--jobs`` gives
the same groups and the same bits; states merge group by group, by name.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from .plain import PlainList
from .terms import BlockTerms, LossTask, ratio_of

GROUP_BY = ("shard", "sample", "class")  # --group-by; --group-col and --groups name the other two ways

# What computes which, for the line under a grouped result (docs/groups.md, "Which practice").
PRACTICE = {
    "shard": (
        "the pooled value is one batch over every shard (CrossEntropyLoss over all the tokens of the step); "
        "the mean of the shards' values is what averaging per-micro-batch means in gradient accumulation "
        "(transformers PR #34373) or per-rank means in DDP (verl PR #5366) computes"
    ),
    "sample": (
        "the pooled value is the mean over every element (the token mean); the mean of the samples' values "
        "is a mean per sequence, then over sequences (transformers #34510)"
    ),
    "class": (
        "the pooled value weighs every sample alike; the mean of the classes' values weighs every class alike "
        "(a macro, class-balanced average). A class's value is the mean loss of its own samples, not the "
        "per-output contribution O[j], which sums column j over every sample"
    ),
    "labels": (
        "the pooled value weighs every sample alike; the mean of the groups' values weighs every group alike "
        "(fairlearn's MetricFrame.by_group, then their mean)"
    ),
}


Pair = tuple[np.ndarray, np.ndarray]  # a compensated sum: (high, low)
DENSE_SPAN = 1 << 24  # whole-number labels spanning fewer values are numbered through a table (128 MiB at most)


class BlockGroups(NamedTuple):
    """The groups of a block's rows: each row's group among the block's own (``codes``), and each of
    those groups' number in the run (``at``, distinct): a block's sums are as long as its groups."""

    codes: np.ndarray  # (B,) intp, 0 <= code < len(at)
    at: np.ndarray  # (m,) intp: the run's number of each of the block's groups

    @property
    def size(self) -> int:
        return len(self.at)

    def run_codes(self) -> np.ndarray:
        """Each row's group number in the run."""
        return self.at[self.codes]


class GroupIndex:
    """Group names -> numbers, in order of first appearance. ``numbered``: each group is a sample,
    named by its index (or id) and numbered by it, with no table of names.

    Labels are looked up a block at a time, vectorised: the block's distinct labels (numbers or text)
    are found among the sorted labels seen so far, and the new ones numbered in the order the rows
    show them; a label is named as text once, when it first appears."""

    def __init__(self, numbered: bool = False):
        self.numbered = numbered
        self._names: list[str] = []
        self._codes: dict[str, int] = {}
        self._unnamed: list[np.ndarray] = []  # whole-number labels numbered on, not yet named (see names)
        self._seen: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # kind of label -> (sorted labels, codes)
        self._table: np.ndarray | None = None  # whole-number label - _base -> its number (-1: not seen yet)
        self._base = 0
        self._looked_up = False  # a name numbered one by one (code): not every unseen label is a new name
        self.count = 0

    @property
    def names(self) -> list[str]:
        """Every group's name, in order of its number. Labels numbered through the table are named
        here, once, all together: a run of 100,000 groups names them when it writes them, not a block
        at a time (and the names' dict is built only if a name is looked up)."""
        if self._unnamed:
            fresh = _texts(np.concatenate(self._unnamed))
            self._unnamed = []
            start = len(self._names)
            self._names += fresh
            if self._codes or self._looked_up:
                self._codes.update(zip(fresh, range(start, start + len(fresh)), strict=True))
        return self._names

    def _lookup(self) -> dict[str, int]:
        """The names' dict, complete."""
        names = self.names
        if len(self._codes) < len(names):
            self._codes = {name: k for k, name in enumerate(names)}
        return self._codes

    def block(self, labels: np.ndarray) -> BlockGroups:
        """The groups of one block's rows, from their labels (numbers or text), new ones numbered on."""
        if not len(labels):
            return BlockGroups(np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp))
        if labels.dtype.kind in "fiu":
            codes = self._whole_numbers(labels)
            if codes is not None:
                return self._local(codes)
        values = labels if labels.dtype.kind in "fiu" else np.asarray(labels, dtype=str)
        unique, first, inverse = np.unique(values, return_index=True, return_inverse=True)
        kind = "number" if values.dtype.kind in "fiu" else "text"
        known, known_codes = self._seen.get(kind, (unique[:0], np.zeros(0, dtype=np.intp)))
        place = np.searchsorted(known, unique)
        found = place < len(known)
        found[found] = known[place[found]] == unique[found]
        codes = np.empty(len(unique), dtype=np.intp)
        codes[found] = known_codes[place[found]]
        new = np.flatnonzero(~found)
        new = new[np.argsort(first[new], kind="stable")]  # new names in the order the rows show them
        for k, name in zip(new.tolist(), _texts(unique[new]), strict=True):
            codes[k] = self.code(name)
        if len(new):
            fresh = np.flatnonzero(~found)  # in sorted order: inserted where they sort among the known
            self._seen[kind] = (
                np.insert(known, place[fresh], unique[fresh]),
                np.insert(known_codes, place[fresh], codes[fresh]),
            )
        return BlockGroups(inverse.reshape(-1).astype(np.intp), codes)

    def _whole_numbers(self, labels: np.ndarray) -> np.ndarray | None:
        """Each row's group number, by a table indexed by the label, for whole-number labels within
        DENSE_SPAN of each other (ids, ranks, classes): no sort. None for other labels (then sorted).
        The names' dict stays the truth: a label numbered by either way is found by the other."""
        with np.errstate(invalid="ignore"):
            if labels.dtype.kind == "f" and not (np.isfinite(labels.sum()) and (labels == np.floor(labels)).all()):
                return None
            low, high = int(labels.min()), int(labels.max())
        table, base = self._table, self._base
        if table is None or low < base or high >= base + len(table):
            new_base = low if table is None else min(base, low)
            new_end = high + 1 if table is None else max(base + len(table), high + 1)
            if new_end - new_base > DENSE_SPAN:
                return None
            grown = np.full(new_end - new_base, -1, dtype=np.intp)
            if table is not None:
                grown[base - new_base : base - new_base + len(table)] = table
            self._table, self._base, table, base = grown, new_base, grown, new_base
        index = labels.astype(np.intp) - base
        codes = table[index]
        unknown = codes < 0
        if unknown.any():
            fresh, first = np.unique(index[unknown], return_index=True)
            fresh = fresh[np.argsort(first, kind="stable")]  # in the order the rows show them
            table[fresh] = self._codes_of_new(fresh + base)
            codes = table[index]
        return codes

    def _codes_of_new(self, labels: np.ndarray) -> np.ndarray:
        """Numbers for whole-number labels the table has not seen: new names numbered on at once (named
        later, by :attr:`names`), unless another way of lookup may have numbered some of them (then one
        by one, through the names' dict)."""
        if self._looked_up:
            return np.array([self.code(name) for name in _texts(labels)], dtype=np.intp)
        start = self.count
        self._unnamed.append(labels)
        self.count = start + len(labels)
        return np.arange(start, self.count, dtype=np.intp)

    def _local(self, codes: np.ndarray) -> BlockGroups:
        """Run-wide group numbers as a block's own: its groups (sorted) and each row's among them."""
        seen = np.zeros(self.count, dtype=bool)  # a mark, not a count: an eighth of bincount's memory to scan
        seen[codes] = True
        present = np.flatnonzero(seen)
        place = np.empty(self.count, dtype=np.intp)
        place[present] = np.arange(len(present), dtype=np.intp)
        return BlockGroups(place[codes], present)

    def code(self, name: str) -> int:
        self._looked_up = True  # numbered one by one: the table's batch numbering must look names up
        codes = self._lookup()
        found = codes.get(name)
        if found is None:
            found = codes[name] = len(self._names)
            self._names.append(name)
            self.count = len(self._names)
        return found

    def samples(self, start: int, count: int) -> BlockGroups:
        """A block of ``count`` samples from sample ``start``, each its own group."""
        self.count = max(self.count, start + count)
        return BlockGroups(np.arange(count, dtype=np.intp), np.arange(start, start + count, dtype=np.intp))

    def codes_of(self, names: list[str]) -> np.ndarray:
        """Each of ``names`` (another state's groups) as a number here, new ones numbered on."""
        return np.array([self.code(name) for name in names], dtype=np.intp)


def _texts(values: np.ndarray) -> list[str]:
    """Labels as names: whole numbers as integers (3, not 3.0, as ids read from .npy), NaN empty."""
    if values.dtype.kind not in "fiu":
        return [str(v) for v in values.tolist()]
    if values.dtype.kind in "iu":
        return list(map(str, values.tolist()))
    return ["" if x != x else str(int(x)) if float(x).is_integer() else repr(float(x)) for x in values.tolist()]


def _padded(values: np.ndarray, extra: int) -> np.ndarray:
    """``values`` with ``extra`` rows of zeros after them."""
    return np.concatenate([values, np.zeros((extra, *values.shape[1:]))])


def _compensated_add(high: np.ndarray, low: np.ndarray, where, x: np.ndarray) -> None:
    """``x`` added to ``high[where]`` with Neumaier's compensation kept in ``low`` (``where`` a slice or
    distinct indices)."""
    h = high[where]
    with np.errstate(invalid="ignore", over="ignore"):
        total = h + x
        low[where] += np.where(np.abs(h) >= np.abs(x), (h - total) + x, (x - total) + h)
    high[where] = total


class GroupSums:
    """One loss's sums per group, mergeable. Arrays grow as groups appear."""

    FIELDS = ("total", "divisor", "scale")  # compensated sums: (high, low) each

    def __init__(self, per_output_width: int | None = None):
        self.width = per_output_width  # the per-output sums' width, when the loss's value needs them
        self.rows = np.zeros(0, dtype=np.int64)
        self.counted = np.zeros(0, dtype=np.int64)
        self.sums: dict[str, Pair] = {name: (np.zeros(0), np.zeros(0)) for name in self.FIELDS}
        shape = (0, per_output_width or 0)
        self.per_output: Pair | None = None if per_output_width is None else (np.zeros(shape), np.zeros(shape))

    @property
    def count(self) -> int:
        """Groups held, some of them unseen yet (room grows by doubling): see :meth:`trimmed`."""
        return len(self.rows)

    def grow(self, count: int) -> None:
        """Room for ``count`` groups at least: doubled when it runs out, so that groups appearing block
        after block cost O(G) in all, not O(G) a block."""
        if count <= self.count:
            return
        extra = max(count, 2 * self.count) - self.count
        self.rows = np.concatenate([self.rows, np.zeros(extra, dtype=np.int64)])
        self.counted = np.concatenate([self.counted, np.zeros(extra, dtype=np.int64)])
        self.sums = {name: (_padded(high, extra), _padded(low, extra)) for name, (high, low) in self.sums.items()}
        if self.per_output is not None:
            self.per_output = (_padded(self.per_output[0], extra), _padded(self.per_output[1], extra))

    @classmethod
    def of_block(cls, groups: BlockGroups, terms: BlockTerms, per_output: bool) -> GroupSums:
        """A block's sums per group (``per_output``: keep each output's too)."""
        codes, k = groups.codes, groups.size
        out = cls(terms.terms.shape[1] if per_output else None)
        out.grow(k)
        out.rows = np.bincount(codes, minlength=k).astype(np.int64)
        counted = terms.counted
        out.counted = out.rows.copy() if counted is None else np.bincount(codes, counted, k).astype(np.int64)
        with np.errstate(all="ignore"):
            out.sums["total"] = (np.bincount(codes, terms.row_sums, k).astype(np.float64), np.zeros(k))
            if terms.divisor is not None:
                out.sums["divisor"] = (np.bincount(codes, terms.divisor, k).astype(np.float64), np.zeros(k))
            if terms.scale is not None:
                scale = terms.scale @ np.ones(terms.scale.shape[1])
                out.sums["scale"] = (np.bincount(codes, scale, k).astype(np.float64), np.zeros(k))
            if out.per_output is not None:
                columns = [np.bincount(codes, terms.terms[:, j], k) for j in range(terms.terms.shape[1])]
                out.per_output = (np.stack(columns, axis=1), np.zeros((k, len(columns))))
        out.at = groups.at
        out.fields = ("total", *["divisor"] * (terms.divisor is not None), *["scale"] * (terms.scale is not None))
        return out

    at: np.ndarray | None = None  # a block's: the run's number of each of its groups (its low parts are 0)
    fields: tuple[str, ...] = FIELDS  # the sums that may not be 0 (a block's, of its loss's kind)

    def merge(self, other: GroupSums, where=None) -> None:
        """``other``'s groups added in: at its ``at`` (a block of this run), or at ``where`` (a distinct
        number per group of ``other``: another state's groups by name)."""
        if where is None:
            where = other.at
        assert where is not None, "a block's sums know their groups' numbers"
        self.grow(int(where.max()) + 1 if len(where) else 0)
        self.rows[where] += other.rows
        self.counted[where] += other.counted
        exact = other.at is not None  # a block's sums are one bincount: nothing in their low parts
        for name in other.fields:
            (high, low), (other_high, other_low) = self.sums[name], other.sums[name]
            _compensated_add(high, low, where, other_high)
            if not exact:
                low[where] += other_low
        if self.per_output is not None and other.per_output is not None:
            _compensated_add(self.per_output[0], self.per_output[1], where, other.per_output[0])
            if not exact:
                self.per_output[1][where] += other.per_output[1]

    def trimmed(self, count: int) -> GroupSums:
        """The first ``count`` groups (the run's), without the room left for more."""
        self.grow(count)
        out = GroupSums(self.width)
        out.rows, out.counted = self.rows[:count].copy(), self.counted[:count].copy()
        out.sums = {name: (high[:count].copy(), low[:count].copy()) for name, (high, low) in self.sums.items()}
        if self.per_output is not None:
            out.per_output = (self.per_output[0][:count].copy(), self.per_output[1][:count].copy())
        return out

    def value_of(self, name: str) -> np.ndarray:
        high, low = self.sums[name]
        with np.errstate(invalid="ignore", over="ignore"):
            return np.where(np.isfinite(high), high + low, high)

    def per_output_values(self) -> np.ndarray | None:
        if self.per_output is None:
            return None
        high, low = self.per_output
        with np.errstate(invalid="ignore", over="ignore"):
            return np.where(np.isfinite(high), high + low, high)

    # --- to and from a state file (every float to the last bit) ---------------------------------

    def to_dict(self) -> dict:
        def hexes(values: np.ndarray) -> list[str]:
            return [float(x).hex() for x in values.ravel().tolist()]

        out: dict[str, Any] = {"rows": self.rows.tolist(), "counted": self.counted.tolist(), "width": self.width}
        for name, (high, low) in self.sums.items():
            out[name] = [hexes(high), hexes(low)]
        if self.per_output is not None:
            out["per_output"] = [hexes(self.per_output[0]), hexes(self.per_output[1])]
        return out

    @classmethod
    def from_dict(cls, data: dict) -> GroupSums:
        from ..errors import InputError

        def floats(values: list) -> np.ndarray:
            return np.array([float.fromhex(x) for x in values], dtype=np.float64)

        out = cls(data.get("width"))
        out.rows = np.array(data["rows"], dtype=np.int64)
        out.counted = np.array(data["counted"], dtype=np.int64)
        count = len(out.rows)
        for name in cls.FIELDS:
            high, low = (floats(x) for x in data[name])
            if len(high) != count or len(low) != count:
                raise InputError(f"its groups' {name} sums hold {len(high)} values for {count} groups")
            out.sums[name] = (high, low)
        if out.width is not None:
            width = int(out.width)
            high, low = (floats(x).reshape(count, width) for x in data["per_output"])
            out.per_output = (high, low)
        if len(out.counted) != count or (out.counted > out.rows).any() or (out.rows < 0).any():
            raise InputError("its groups' counts do not agree (counted samples over the samples, or below 0)")
        return out

    @classmethod
    def of_state(cls, state, per_output: bool) -> GroupSums:
        """One group holding a whole state's sums: a state given to ``losscli merge --group-by shard``."""
        out = cls(len(state.per_output.high) if per_output else None)
        out.grow(1)
        out.rows[0], out.counted[0] = state.rows, state.counted
        out.sums["total"] = (np.array([state.total.value]), np.zeros(1))
        out.sums["divisor"] = (np.array([state.divisor.value]), np.zeros(1))
        out.sums["scale"] = (np.array([state.scale_total.value]), np.zeros(1))
        if out.per_output is not None:
            out.per_output = (state.per_output.value[None, :].copy(), np.zeros((1, len(state.per_output.high))))
        return out


def needs_per_output(task: LossTask) -> bool:
    """Whether a group's value needs each output's sum: roots taken per output (scikit-learn's RMSE)."""
    return bool(task.spec.root and task.options.get("per_output_root"))


def group_figures(task: LossTask, sums: GroupSums, n_outputs: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each group's n, value and whether it has one, as :func:`~losscli.core.finish.batch` gives a
    batch's from its state (a mean over samples with nothing to divide by has no value: NaN)."""
    from .terms import output_scale_of, ratio_floor, take_root

    spec, reduction = task.spec, task.reduction
    total = sums.value_of("total")
    class_weighted = task.divides_by_class_weights
    if not task.weighted and not task.counted and not class_weighted:
        samples = sums.rows.astype(np.float64)
    elif task.weight_divisor == "count" or (not task.weighted and not class_weighted):
        samples = sums.counted.astype(np.float64)
    else:
        samples = sums.value_of("divisor")
    sd = samples if reduction.mean_over_samples else np.ones(sums.count)
    od = n_outputs if reduction.mean_over_outputs else 1
    n = sd * od
    with np.errstate(all="ignore"):
        value = total / n
        if spec.ratio is not None:
            scale = sums.value_of("scale")
            n = np.maximum(scale + spec.ratio.add, ratio_floor(task))
            value = ratio_of(task, total, scale)
        if spec.root:
            per_output = sums.per_output_values()
            if per_output is not None:
                weights = output_scale_of(task, n_outputs)
                weights = np.ones(n_outputs) if weights is None else weights
                value = np.sqrt(per_output / sd[:, None]) @ weights / od
            else:
                value = np.where(value >= 0, take_root(task, np.abs(value)), np.nan)
    has_value = (sd != 0) if reduction.mean_over_samples else np.ones(sums.count, dtype=bool)
    return n, np.where(has_value, value, np.nan), has_value


@dataclass(frozen=True)
class Grouped:
    """A grouped result: each group's n, value and share, the pooled value, the mean of the groups'
    values, and the gap between them (docs/groups.md)."""

    by: str  # what names the groups: "shard", "sample", "class", "--group-col COL", "--groups FILE"
    names: list[str]
    n: np.ndarray
    value: np.ndarray  # NaN where a group has no value (empty: has_value False)
    has_value: np.ndarray
    share: np.ndarray  # of the pooled sum of weighted terms
    pooled_value: float
    pooled_n: float
    mean_value: float
    mean_n: int  # groups with a value
    practice: str
    ci: list | None = None  # each group's Interval (or None), when --ci asked
    gap_ci: Any = None
    ci_level: float = 0.95

    @property
    def gap(self) -> float:
        return self.pooled_value - self.mean_value

    @property
    def empty(self) -> int:
        return int((~self.has_value).sum())

    def to_dict(self) -> dict:
        columns = [self.names, _json_column(self.n, whole=True), _json_column(self.value), _json_column(self.share)]
        for k in np.flatnonzero(~self.has_value).tolist():
            columns[2][k] = None
        rows = PlainList({"group": g, "n": n, "value": v, "share": s} for g, n, v, s in zip(*columns, strict=True))
        if self.ci is not None:
            for row, interval in zip(rows, self.ci, strict=True):
                row["ci"] = None if interval is None else interval.to_dict()
        out = {
            "group_by": self.by,
            "groups": rows,
            "pooled": {"value": _finite(self.pooled_value), "n": _number(self.pooled_n)},
            "mean_of_groups": {"value": _finite(self.mean_value), "n": self.mean_n},
            "gap": _finite(self.gap),
            "groups_without_value": self.empty,
        }
        if self.gap_ci is not None:
            out["gap_ci"] = self.gap_ci.to_dict()
        return out


def _json_column(values: np.ndarray, whole: bool = False) -> list:
    """An array's values as JSON takes them: None where not finite, whole numbers as int (``whole``)."""
    finite = np.isfinite(values)
    if whole and finite.all() and (values == np.round(values)).all() and (np.abs(values) < 2**53).all():
        return values.astype(np.int64).tolist()
    out = [_number(x) for x in values.tolist()] if whole else values.tolist()
    for k in np.flatnonzero(~finite).tolist():
        out[k] = None
    return out


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def _number(x) -> float | int | None:
    x = float(x)
    if not math.isfinite(x):
        return None
    return int(x) if x.is_integer() and abs(x) < 2**53 else x


def grouped(by: str, kind: str, names: list[str], task: LossTask, sums: GroupSums, result) -> Grouped:
    """The grouped figures of ``result`` (the pooled value is the result's own)."""
    n, value, has_value = group_figures(task, sums, result.shape[1])
    total = sums.value_of("total")
    with np.errstate(all="ignore"):
        share = total / total.sum() if total.sum() != 0 else np.zeros(len(total))
    with_value = value[has_value]
    mean = float(with_value.mean()) if len(with_value) else math.nan
    return Grouped(by, names, n, value, has_value, share, result.value, result.n, mean, len(with_value), PRACTICE[kind])


def grouped_ratios(
    by: str, kind: str, names: list[str], codes: np.ndarray, numerators, shares, finish, pooled: tuple[float, float]
) -> Grouped:
    """Groups of whole samples from each sample's numerator a_i and share of n b_i (the sums the
    intervals resample): a group's value is finish(sum a / sum b) over its samples, its n sum b
    (the N-D pass, where a sample is a sequence or an image)."""
    count = len(names)
    with np.errstate(all="ignore"):
        a = np.bincount(codes, numerators, count)
        b = np.bincount(codes, shares, count)
        has_value = b != 0
        value = np.where(has_value, finish(a / np.where(has_value, b, 1.0)), np.nan)
        share = a / a.sum() if a.sum() != 0 else np.zeros(count)
    with_value = value[has_value]
    mean = float(with_value.mean()) if len(with_value) else math.nan
    return Grouped(by, names, b, value, has_value, share, pooled[0], pooled[1], mean, len(with_value), PRACTICE[kind])
