"""One pass over the inputs: blocks of rows in, the merged state of every loss out.

The main thread reads the blocks in order and prepares each (missing values dropped or
counted, class labels encoded); the terms of every loss are computed per block, on
``--jobs`` threads when there are several (NumPy and pyarrow release the GIL), into a
state of the block alone; the main thread merges the block states in block order. Blocks
are fixed (``block_rows(width)`` rows) and merged in order with exact and compensated sums, so
the result is the same to the last bit whatever ``--jobs`` is.

Per-sample values go to a sink as they come (the outputs that list them); every sample's
values are kept in memory only when an output needs them all (JSON, figures, intervals).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, NamedTuple, Protocol

import numpy as np

from ..core.finish import Arrays, NoSamples, finish
from ..core.order import order_statistic_of
from ..core.registry import NON_NEGATIVE_TERMS
from ..core.result import Result
from ..core.state import NOTHING, Keep, LossState
from ..core.terms import (
    LossTask,
    as_variance,
    block_terms,
    check_shapes,
    check_variance,
    per_sample_values,
    raw_gradient,
)
from ..errors import InputError
from ..io.labels import ClassLabels, UnknownLabel
from ..io.table import take_rows
from .signs import LabelSigns, label_map_of

if TYPE_CHECKING:  # groups load when a run has them (start-up: a plain run does not import them)
    from ..core.groups import BlockGroups, GroupSums


class BlockSource(Protocol):
    """What the engine reads: :class:`~losscli.io.inputs.Inputs`, or arrays in memory."""

    notes: list[str]

    def blocks(self) -> Iterable: ...

    def where(self, role: str, rows, i: int, j: int) -> str: ...

    def infos(self) -> list: ...

    def name_of(self, role: str) -> str: ...


class PassSettings(NamedTuple):
    """How a pass runs."""

    drop_missing: bool = False
    keep: Keep = Keep()
    keep_all: bool = False  # every sample's values, for outputs that list them all
    grad: bool = False
    classes: list[str] | None = None  # --classes: the prediction columns' class names
    class_names: tuple[str, ...] | None = None  # the predictions' column names (header), for labels
    jobs: int = 1  # threads computing blocks
    keep_stats: bool = False  # every sample's numerator and divisor, for intervals and paired tests
    buckets: bool = False  # each bucket's numerator and divisor sums, for intervals and states (stats/buckets.py)
    group_by: str | None = None  # shard, sample, class, column, file: each group's sums kept (docs/groups.md)
    group_how: str = ""  # what names the groups, for the result: "--group-by shard", "--groups g.csv"


class Missing:
    """Samples with a missing value: their count, and where the first one is."""

    def __init__(self):
        self.samples = 0
        self.values = 0
        self.first: str | None = None

    def note(self, where: str, samples: int, values: int) -> None:
        self.samples += samples
        self.values += values
        self.first = self.first or where


class Sink(Protocol):
    def write(self, start: int, ids, per_sample: list[np.ndarray], terms: list[np.ndarray]) -> None: ...


class Prepared(NamedTuple):
    """A block ready to compute: its values, and where each row came from."""

    start: int  # the sample index of its first row
    pred: np.ndarray
    target: np.ndarray
    weights: np.ndarray | None
    parts: dict  # role -> Rows, for messages and --var rows
    ids: np.ndarray | None
    row_offset: int = 0  # file rows of the shards before this one: a per-sample --var row is rows + this
    positive: float | None = None  # scikit-learn's +1 hinge label, from every target read so far
    finite: bool = False  # every value is finite (screened once here, not again per loss)
    groups: BlockGroups | None = None  # each row's group, with --group-by and its friends


class Extra:
    """A framework's convention of a loss, computed in the same pass for --compare: its sums only.
    A framework that refuses the data (scikit-learn's log_loss of soft targets) says why. One
    whose options are the loss's own differs from it only in n: it shares the loss's sums."""

    def __init__(self, convention, task: LossTask, main: LossTask | None = None):
        self.convention, self.task = convention, task
        self.state: LossState | None = None
        self.shard_state: LossState | None = None
        self.refused: str | None = None
        self.same_terms = main is not None and task.dtype == main.dtype and _same_options(task.options, main.options)


def _same_options(a: dict, b: dict) -> bool:
    if a.keys() != b.keys():
        return False
    for key, value in a.items():
        other = b[key]
        if isinstance(value, np.ndarray) or isinstance(other, np.ndarray):
            if not np.array_equal(np.asarray(value), np.asarray(other)):
                return False
        elif value != other:
            return False
    return True


class Plan(NamedTuple):
    """What every block computes: read-only, shared by the threads."""

    tasks: list[LossTask]
    likes: list
    extras: list[Extra]
    settings: PassSettings
    n_outputs: int
    source: BlockSource
    per_sample: bool = True  # whether anything wants each sample's value (tables, sinks, kept arrays)
    whole_gradients: bool = True  # every row's gradient (JSON, another process); else the kept rows' only
    keep_terms: bool = True  # a block's terms outlive it (outputs that list them, another process)


class ShardSummary(NamedTuple):
    """One shard's pass, computed in another process, to merge into the whole."""

    states: list[LossState] | None  # None: no sample in the shard (all dropped, or none)
    extras: list  # a state, or why its framework refuses the data
    missing: Missing
    infos: list
    samples: int
    blocks: list  # the blocks' per-sample values, when an output lists them
    n_outputs: int | None
    labels_by_name: bool | None  # how class labels were read, when there are any
    signs: LabelSigns | None  # the hinge labels seen, when a loss maps them to -1/1
    groups: tuple | None = None  # (names or None when numbered, each loss's GroupSums, ids naming samples)
    buckets: list | None = None  # each loss's Buckets of the shard (intervals)


class Done(NamedTuple):
    """What one block contributes."""

    start: int
    states: list[LossState]
    extras: list[LossState | str | None]  # a state, or why its framework refuses the data
    per_sample: list[np.ndarray]
    terms: list[np.ndarray]
    gradients: list[np.ndarray | None]
    stats: list[tuple[np.ndarray, np.ndarray] | None]  # (numerator, divisor) per sample
    ids: np.ndarray | None
    groups: list[GroupSums | None]  # each loss's sums per group
    group_codes: BlockGroups | None = None  # each row's group, kept with the statistics (--ci per group)


def _all_finite(*arrays: np.ndarray | None) -> bool:
    """One sum each screens for NaN and infinity (a finite sum that overflows only costs the
    masks that follow)."""
    with np.errstate(all="ignore"):
        return all(a is None or np.isfinite(a.sum()) for a in arrays)


def _where(source: BlockSource, parts) -> Callable[[str, int, int], str]:
    def where(role: str, i: int, j: int) -> str:
        return source.where(role, parts[role], i, j)

    return where


def compute_block(plan: Plan, block: Prepared) -> Done:
    """Every loss's terms of one block, into states of that block alone."""
    where = _where(plan.source, block.parts)
    var_rows = block.parts["predictions"].rows + block.row_offset
    keep, grad = plan.settings.keep, plan.settings.grad
    states, per_samples, term_sets, gradients, stats, groups = [], [], [], [], [], []
    for task, like in zip(plan.tasks, plan.likes, strict=True):
        if like is not None:
            _check_like(like, task, block.pred, block.target)
        terms = _terms(task, block, where, var_rows)
        per_sample = per_sample_values(task, terms) if plan.per_sample else None
        gradient = None
        if grad:  # every row's, or a function of the rows that a table keeps
            gradient = partial(raw_gradient, task, block.pred, terms)
            gradient = gradient() if plan.whole_gradients else gradient
        labels = block.target[:, 0] if task.labels else None
        state = _new_state(task, plan.n_outputs, keep)
        state.add(block.start, terms, per_sample, gradient, block.ids, block.pred, labels)
        states.append(state)
        per_samples.append(per_sample)
        term_sets.append(terms.terms if plan.keep_terms else None)
        gradients.append(gradient)
        wanted = plan.settings.keep_stats or plan.settings.buckets
        stats.append(_statistic_rows(task, terms) if wanted else None)
        # a shard's group is its state's own sums, taken at its end (as merge --group-by shard takes them)
        by_rows = block.groups is not None and plan.settings.group_by != "shard"
        groups.append(_block_sums(block.groups, terms, task) if by_rows else None)
        # Freed before the next loss's terms are made: one block's worth of memory is reused, where
        # several freed at once (above glibc's 4 MiB trim threshold) go back to the system and come
        # back as fresh pages, a page fault each (three losses: 17x the faults, twice the time).
        del terms
    extras = [
        _compute_extra(extra, block, where, var_rows, plan.n_outputs, states[0] if extra.same_terms else None)
        for extra in plan.extras
    ]
    return Done(block.start, states, extras, per_samples, term_sets, gradients, stats, block.ids, groups, block.groups)


def _block_sums(groups: BlockGroups, terms, task: LossTask) -> GroupSums:
    from ..core.groups import GroupSums, needs_per_output

    return GroupSums.of_block(groups, terms, needs_per_output(task))


def _terms(task: LossTask, block: Prepared, where, var_rows):
    return block_terms(
        task, block.pred, block.target, block.weights, where, var_rows, positive=block.positive, finite=block.finite
    )


def _new_state(task: LossTask, n_outputs: int, keep: Keep) -> LossState:
    signed = task.spec.name not in NON_NEGATIVE_TERMS  # its blocks are summed exactly
    columns = 1 if task.spec.per_sample_only else None
    width = 1 if task.spec.per_sample_only else n_outputs
    order = order_statistic_of(task.spec.order, width, task.options)
    return LossState(n_outputs, keep, term_columns=columns, signed=signed, order_statistic=order)


def _statistic_rows(task: LossTask, terms) -> tuple[np.ndarray, np.ndarray]:
    """Each sample's numerator (its terms' sum, or its terms when roots are per output) and
    what it adds to the divisor: what intervals and paired tests resample."""
    numerator = terms.terms if task.options.get("per_output_root") else terms.row_sums
    if task.spec.ratio is not None:
        divisor = terms.scale @ np.ones(terms.scale.shape[1])
    elif terms.divisor is not None and task.weight_divisor != "count":
        divisor = terms.divisor
    elif terms.counted is not None:
        divisor = terms.counted.astype(np.float64)
    else:
        divisor = np.ones(len(terms.row_sums))
    return numerator, divisor


def _check_like(like, task: LossTask, pred, target) -> None:
    from ..core.conventions import Convention
    from ..core.frameworks import refusal

    convention = Convention(like.framework, task.options, like.constants, None, ())
    why = refusal(convention, task, pred, target)
    if why:
        raise InputError(f"--like {like.framework}: {why}")


def _compute_extra(extra: Extra, block: Prepared, where, var_rows, n_outputs: int, shared) -> LossState | str:
    """A convention's block state: the loss's own (``shared``) when the terms are the same."""
    from ..core.frameworks import refusal

    why = refusal(extra.convention, extra.task, block.pred, block.target)
    if why:
        return why
    if shared is not None:
        return shared  # read, never changed, by the merges
    try:
        terms = _terms(extra.task, block, where, var_rows)
    except InputError as exc:  # outside this framework's domain: its row says so
        return str(exc)
    state = _new_state(extra.task, n_outputs, NOTHING)
    labels = block.target[:, 0] if extra.task.labels else None
    state.add(block.start, terms, None, None, None, block.pred, labels)  # its sums only
    return state


class Pass:
    """The state of every loss of one pass, block by block, shard by shard.

    ``source`` is one source, or a list of them (shards: files paired by name); each shard's
    blocks merge into a state of the shard, and the shards' states merge in order, so a
    shard computed elsewhere (a Dask worker, a separate run's --save-state) merges the same.
    """

    def __init__(
        self, source, tasks: list[LossTask], settings: PassSettings, sink: Sink | None = None, extras=(), likes=()
    ):
        self.sources = [source] if hasattr(source, "blocks") else source  # one source, or shards
        self.source = source if hasattr(source, "blocks") else None  # the shard being read
        self.tasks, self.settings, self.sink = tasks, settings, sink
        self.extras = [Extra(convention, task, tasks[0]) for convention, task in extras]
        self.likes = list(likes) or [None] * len(tasks)
        self.states: list[LossState] | None = None  # of every shard merged
        self.shard_states: list[LossState] | None = None  # of the shard being read
        self.arrays: list[dict[str, list]] = [{"per_sample": [], "terms": [], "gradient": [], "ids": []} for _ in tasks]
        self.statistics: list[list] = [[] for _ in tasks]
        self.buckets: list | None = None  # every shard's interval sums (stats/buckets.py), when wanted
        if settings.buckets:
            from ..stats.buckets import Buckets

            self.buckets = [Buckets() for _ in tasks]
        self.shard_buckets: list | None = None  # of the shard being read, by positions within it
        self.shard_first = 0  # the sample index where the shard being read starts
        self.statistic_id_parts: list[np.ndarray] = []  # the samples' ids, kept with the statistics
        self.missing = Missing()
        self.labels: ClassLabels | None = None
        self.samples = 0
        self.n_outputs: int | None = None
        self.plan: Plan | None = None
        self.infos: list = []
        self.on_block: Callable[[int], None] | None = None  # told the rows read after every block (progress)
        self.blocks_kept: list | None = None  # a shard for another process: its blocks' rows, kept whole
        self.labels_by_name: bool | None = None  # how the shards' class labels were read (Dask)
        self.rows_before = 0  # file rows of the shards before this one, read or dropped (per-sample --var)
        group_by = settings.group_by
        self.group_index = None
        if group_by is not None:
            from ..core.groups import GroupIndex

            self.group_index = GroupIndex(numbered=group_by == "sample")
        self.group_sums: list[GroupSums] | None = None  # each loss's, of every shard merged
        self.group_ids: list[str] = []  # the samples' ids, naming the groups of --group-by sample
        self.group_code_parts: list[BlockGroups] = []  # every block's groups, kept with the statistics
        maps = [label_map_of(t.options) for t in tasks] + [label_map_of(e.task.options) for e in self.extras]
        self.signs = LabelSigns() if any(maps) else None  # hinge targets as -1/1: the whole input's map

    def run(self) -> list[Result]:
        self.read()
        return self.finish()

    def read(self) -> None:
        """Every shard's blocks, merged in order."""
        jobs = max(1, self.settings.jobs)
        if jobs == 1:
            for source in self.sources:
                self._shard(source, None, 1)
            return
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(jobs, thread_name_prefix="losscli") as pool:
            for source in self.sources:
                self._shard(source, pool, jobs)

    def _shard(self, source: BlockSource, pool, jobs: int) -> None:
        """One shard's blocks, computed (in the pool, if any) and merged in order."""
        self.source = source
        if self.plan is not None:
            self.plan = self.plan._replace(source=source)
            self._fresh_shard()
        if pool is not None and hasattr(source, "use_pool"):
            source.use_pool(pool, jobs)
        pending: deque = deque()
        for block in source.blocks():
            prepared = self.prepare(block)
            if prepared is None:
                continue
            if pool is None:
                self.merge(compute_block(self.plan, prepared))
                continue
            pending.append(pool.submit(compute_block, self.plan, prepared))
            while len(pending) > 2 * jobs:  # bounded: a few blocks in flight
                self.merge(pending.popleft().result())
        while pending:
            self.merge(pending.popleft().result())
        infos = source.infos()
        self.infos.append(infos)
        self.rows_before += next((info.rows for info in infos if "predictions" in info.roles), 0)
        self._end_shard()

    def _fresh_shard(self) -> None:
        keep = self.settings.keep
        self.shard_first = self.samples
        if self.buckets is not None:
            from ..stats.buckets import Buckets

            self.shard_buckets = [Buckets() for _ in self.tasks]
        self.shard_states = [_new_state(task, self.n_outputs, keep) for task in self.tasks]
        for extra in self.extras:
            extra.shard_state = _new_state(extra.task, self.n_outputs, NOTHING)

    def _end_shard(self) -> None:
        if self.shard_states is None:
            return
        if self.buckets is not None:
            for total, shard in zip(self.buckets, self.shard_buckets, strict=True):
                total.merge(shard)
        if self.settings.group_by == "shard":  # the shard's group: its state's sums, as merge --group-by shard
            from ..core.groups import GroupSums, needs_per_output

            where = self.group_index.codes_of([self.source.name_of("predictions")])
            for task, sums, shard in zip(self.tasks, self.group_sums, self.shard_states, strict=True):
                sums.merge(GroupSums.of_state(shard, needs_per_output(task)), where)
        for state, shard in zip(self.states, self.shard_states, strict=True):
            state.merge(shard)
        for extra in self.extras:
            if not extra.refused:
                extra.state.merge(extra.shard_state, sums_only=True)

    # --- the main thread: blocks in order --------------------------------------------------

    def prepare(self, block) -> Prepared | None:
        """Labels encoded, missing values dropped or counted; None when nothing is left to compute."""
        parts = block.parts
        pred = parts["predictions"].values
        target = self._targets(block, parts["targets"], pred.shape[1])
        weight_rows = parts.get("weights")
        weights = None if weight_rows is None else weight_rows.values[:, 0]
        finite = _all_finite(pred, target, weights)
        keep = None if finite else self._complete(pred, target, weights, block)
        ids = block.ids
        group_labels = self._group_labels(block, target, pred.shape[1])
        if group_labels is not None and self.settings.group_by in ("column", "file"):
            keep = self._labelled(group_labels, keep, block)
        if keep is not None:
            pred, target = pred[keep], target[keep]
            weights = None if weights is None else weights[keep]
            parts = {role: take_rows(rows, keep) for role, rows in parts.items()}
            ids = None if ids is None else ids[keep]
            group_labels = None if group_labels is None else group_labels[keep]
        if (self.missing.values and not self.settings.drop_missing) or not len(pred):
            return None  # reading on only to count the missing values, or nothing left
        if self.plan is None:
            self._start(pred, target)
        elif pred.shape[1] != self.n_outputs:
            raise InputError(
                f"{self.source.name_of('predictions')}: has {pred.shape[1]} columns where the first had "
                f"{self.n_outputs}; every shard needs the same columns"
            )
        positive = None
        if self.signs is not None:
            positive = self.signs.see(target, lambda i, j: self.source.where("targets", parts["targets"], i, j))
            self._check_signs()
        groups = None if self.group_index is None else self._block_groups(group_labels, len(pred), ids)
        prepared = Prepared(self.samples, pred, target, weights, parts, ids, self.rows_before, positive, finite, groups)
        self.samples += len(pred)
        return prepared

    def _group_labels(self, block, target: np.ndarray, n_outputs: int) -> np.ndarray | None:
        """Each row's group label (text), for the groups that labels name: a column, a file, a class."""
        by = self.settings.group_by
        if by in ("column", "file"):
            return block.labels["groups"]  # numbers (from .npy) or text: named once each, by the index
        if by == "class":
            from .grouping import class_labels

            names = self.settings.classes or self.settings.class_names
            task = self.tasks[0]
            return class_labels(target, task.labels, names, task.options.get("ignore_index"), self._target_where(block))
        return None

    def _labelled(self, labels: np.ndarray, keep: np.ndarray | None, block) -> np.ndarray | None:
        """The rows with a group label: a missing one (an empty cell, NaN) is an error, or with --drop-missing
        its sample is dropped, as a missing value is."""
        # numbers from .npy: NaN; text read from a table: an empty cell
        missing = np.isnan(labels) if labels.dtype.kind == "f" else np.asarray(labels == "", dtype=bool)
        if not missing.any():
            return keep
        i = int(np.argmax(missing))
        where = self.source.where("groups", block.parts["groups"], i, 0)
        if not self.settings.drop_missing:
            count = int(missing.sum())
            raise InputError(
                f"{where}: the group label is missing ({count:,} sample{'s' if count != 1 else ''} without one); "
                "pass --drop-missing to drop those samples, or give them a label"
            )
        present = ~missing if keep is None else keep & ~missing
        self.missing.samples += int((missing & (True if keep is None else keep)).sum())
        self.missing.first = self.missing.first or where
        return present

    def _target_where(self, block):
        return lambda i, j: self.source.where("targets", block.parts["targets"], i, j)

    def _block_groups(self, labels: np.ndarray | None, count: int, ids) -> BlockGroups:
        from ..core.groups import BlockGroups

        index = self.group_index
        if self.settings.group_by == "shard":
            code = index.code(self.source.name_of("predictions"))
            return BlockGroups(np.zeros(count, dtype=np.intp), np.array([code], dtype=np.intp))
        if index.numbered:
            if ids is not None:
                self.group_ids += [str(x) for x in ids]
            return index.samples(self.samples, count)
        return index.block(labels)

    def _start(self, pred: np.ndarray, target: np.ndarray) -> None:
        self.n_outputs = pred.shape[1]
        names = (self.source.name_of("predictions"), self.source.name_of("targets"))
        for task in self.tasks:
            check_shapes(task, pred, target, names)
        keep = self.settings.keep
        self.states = [_new_state(task, self.n_outputs, keep) for task in self.tasks]
        for extra in self.extras:
            extra.state = _new_state(extra.task, self.n_outputs, NOTHING)
        self._fresh_shard()
        if self.group_index is not None:
            self._start_groups()
        wanted = (
            self.settings.keep.anything
            or self.settings.keep_all
            or self.sink is not None
            or self.blocks_kept is not None
        )
        whole_gradients = self.settings.keep_all or self.blocks_kept is not None
        keep_terms = whole_gradients or self.sink is not None
        self.plan = Plan(
            self.tasks,
            self.likes,
            self.extras,
            self.settings,
            self.n_outputs,
            self.source,
            wanted,
            whole_gradients,
            keep_terms,
        )

    def _start_groups(self) -> None:
        if self.settings.group_by == "sample" and self.n_outputs == 1:
            raise InputError(
                f"--group-by sample: each sample of {self.source.name_of('predictions')} has one element, so each "
                "group's value is that sample's own loss; group samples of several outputs, or sequences of an N-D "
                "input (.npy of shape (N, T, ...))"
            )
        from ..core.groups import GroupSums, needs_per_output

        self.group_sums = [GroupSums(self.n_outputs if needs_per_output(t) else None) for t in self.tasks]

    def _check_signs(self) -> None:
        """Stop when the hinge labels read so far show that a block's -1/1 map was not the whole
        input's; a --compare row whose map it is says why instead."""
        for task in self.tasks:
            why = self.signs.problem(label_map_of(task.options))
            if why:
                raise InputError(why)
        for extra in self.extras:
            why = self.signs.problem(label_map_of(extra.task.options))
            if why and not extra.refused:
                extra.refused = why

    def _targets(self, block, rows, n_outputs: int) -> np.ndarray:
        if "targets" not in block.labels and not any(t.labels for t in self.tasks):
            return rows.values
        labels = block.labels.get("targets")
        raw = labels if labels is not None else rows.values[:, 0]
        if self.labels is None:
            task = next(t for t in self.tasks if t.labels)
            self.labels = ClassLabels(
                self.settings.class_names, self.settings.classes, n_outputs, task.options.get("ignore_index")
            )
        try:
            codes = self.labels.encode(raw)
        except UnknownLabel as exc:
            where = self.source.where("targets", rows, exc.index, 0)
            raise InputError(f"{where}: label {exc.label!r} {exc.why}") from None
        order = getattr(self.source, "column_order", {}).get("predictions")
        if order is not None and self.labels.by_name is False:
            codes = _positions_in_order(codes, order, self.labels.ignore_index)
        return codes[:, None]

    def _complete(self, pred, target, weights, block) -> np.ndarray | None:
        """The mask of the rows without a missing value, or None when all are complete."""
        if not (np.isnan(pred.sum()) or np.isnan(target.sum()) or (weights is not None and np.isnan(weights.sum()))):
            return None  # one sum each screens for NaN; the row masks only when one may be there
        missing_values = np.isnan(pred).sum(axis=1) + np.isnan(target).sum(axis=1)
        if weights is not None:
            missing_values = missing_values + np.isnan(weights)
        bad = missing_values > 0
        if not bad.any():
            return None
        i = int(np.argmax(bad))
        for role, values in (("predictions", pred), ("targets", target), ("weights", weights)):
            if values is not None:
                row = values[i] if values.ndim > 1 else values[i : i + 1]
                if np.isnan(row).any():
                    j = int(np.argmax(np.isnan(row)))
                    where = self.source.where(role, block.parts[role], i, j)
                    self.missing.note(where, int(bad.sum()), int(missing_values.sum()))
                    break
        return ~bad

    def merge(self, done: Done) -> None:
        """A block's contribution, merged in block order."""
        for state, block_state in zip(self.shard_states, done.states, strict=True):
            state.merge(block_state)
        if self.group_sums is not None:
            for sums, block_sums in zip(self.group_sums, done.groups, strict=True):
                if block_sums is not None:
                    sums.merge(block_sums)
        self._merge_extras(done.extras)
        self.take_rows(done)

    def _merge_extras(self, contributions: list, offset: int | None = None) -> None:
        """Each framework's contribution (a state, or why it refuses the data), merged in order:
        a block's into the shard's states, or (with ``offset``) a shard's into the whole."""
        for extra, contribution in zip(self.extras, contributions, strict=True):
            if extra.refused:
                continue
            if isinstance(contribution, str):
                extra.refused = contribution
            elif offset is None:
                extra.shard_state.merge(contribution, sums_only=True)
            else:
                contribution.shift(offset)
                extra.state.merge(contribution, sums_only=True)

    def take_rows(self, done: Done) -> None:
        """A block's per-sample values, to the outputs that list them (in block order)."""
        if self.blocks_kept is not None:  # a shard computed for another process: its rows go back whole
            self.blocks_kept.append(done._replace(states=[], extras=[]))
            return
        if self.settings.keep_all:
            for arrays, per_sample, terms, gradient in zip(
                self.arrays, done.per_sample, done.terms, done.gradients, strict=True
            ):
                arrays["per_sample"].append(per_sample)
                arrays["terms"].append(terms)
                arrays["gradient"].append(gradient)
                if done.ids is not None:
                    arrays["ids"].append(done.ids)
        if self.shard_buckets is not None:
            for buckets, rows in zip(self.shard_buckets, done.stats, strict=True):
                buckets.add(done.start - self.shard_first, *rows)
        if self.settings.keep_stats:
            for collected, rows in zip(self.statistics, done.stats, strict=True):
                collected.append(rows)
            if done.ids is not None:
                self.statistic_id_parts.append(done.ids)
            if done.group_codes is not None:
                self.group_code_parts.append(done.group_codes)
        if self.sink is not None:
            self.sink.write(done.start, done.ids, done.per_sample, done.terms)
        if self.on_block is not None:
            self.on_block(self.samples)

    # --- shards computed elsewhere (a Dask worker) ---------------------------------------------

    def summary(self) -> ShardSummary:
        """What this pass over one shard gives another process to absorb."""
        extras = [e.refused if e.refused else e.shard_state for e in self.extras]
        return ShardSummary(
            self.shard_states,
            extras,
            self.missing,
            self.infos,
            self.samples,
            self.blocks_kept or [],
            self.n_outputs,
            None if self.labels is None else self.labels.by_name,
            self.signs,
            None
            if self.group_sums is None
            else (
                None if self.group_index.numbered else self.group_index.names,
                [sums.trimmed(self.group_index.count) for sums in self.group_sums],
                self.group_ids,
            ),
            self.shard_buckets,
        )

    def absorb(self, shard: ShardSummary) -> None:
        """A shard's summary merged in, as if its blocks had been read here (its samples
        numbered on from this pass's)."""
        offset = self.samples
        if shard.states is not None:
            if self.states is None:
                self.n_outputs = shard.n_outputs
                self.states = [_new_state(task, self.n_outputs, self.settings.keep) for task in self.tasks]
                for extra in self.extras:
                    extra.state = _new_state(extra.task, self.n_outputs, NOTHING)
            elif shard.n_outputs != self.n_outputs:
                raise InputError(
                    f"{shard.infos[0][0].path}: has {shard.n_outputs} columns where the first shard had "
                    f"{self.n_outputs}; every shard needs the same columns"
                )
            self._absorb_labels(shard)
            if shard.signs is not None:
                self.signs.merge(shard.signs)
                self._check_signs()
            for state, other in zip(self.states, shard.states, strict=True):
                other.shift(offset)
                state.merge(other)
            self._merge_extras(shard.extras, offset)
            self._absorb_groups(shard, offset)
            if self.buckets is not None and shard.buckets is not None:
                for total, other in zip(self.buckets, shard.buckets, strict=True):
                    total.merge(other)
        self.samples += shard.samples
        self.missing.samples += shard.missing.samples
        self.missing.values += shard.missing.values
        self.missing.first = self.missing.first or shard.missing.first
        self.infos += shard.infos
        for done in shard.blocks:
            self.take_rows(done._replace(start=done.start + offset))

    def _absorb_groups(self, shard: ShardSummary, offset: int) -> None:
        """A shard's groups merged in by name (a sample's by its index, numbered on from ``offset``)."""
        if shard.groups is None or self.group_index is None:
            return
        names, sums, ids = shard.groups
        if self.group_sums is None:
            self._start_groups()
        count = sums[0].count
        if names is None:
            where = np.arange(offset, offset + count, dtype=np.intp)
            self.group_index.count = max(self.group_index.count, offset + count)
            self.group_ids += ids
        else:
            where = self.group_index.codes_of(names)
        for mine, other in zip(self.group_sums, sums, strict=True):
            mine.merge(other, where)

    def _absorb_labels(self, shard: ShardSummary) -> None:
        if shard.labels_by_name is None:
            return
        if self.labels_by_name is None:
            self.labels_by_name = shard.labels_by_name
        elif shard.labels_by_name != self.labels_by_name:
            raise InputError(
                f"{shard.infos[0][0].path}: its class labels read as column "
                f"{'names' if shard.labels_by_name else 'positions'}, those of the first shard as "
                f"{'names' if self.labels_by_name else 'positions'}; pass --classes to say which"
            )

    # --- the end ------------------------------------------------------------------------------

    def finish(self) -> list[Result]:
        if self.missing.values and not self.settings.drop_missing:
            m = self.missing
            raise InputError(
                f"{m.first}: is missing ({m.values:,} missing value{'s' if m.values != 1 else ''} in "
                f"{m.samples:,} sample{'s' if m.samples != 1 else ''}; NA, NaN, null, None and empty cells are "
                f"missing); pass --drop-missing to drop those samples, or fill them"
            )
        if self.states is None:
            if self.missing.samples:
                raise InputError(f"every sample has a missing value ({self.missing.samples:,}); nothing is left")
            raise InputError(f"{self.source.name_of('predictions')}: holds no numbers; give at least one sample")
        self._check_var()
        infos = combine_infos(self.infos)
        for info in infos:
            info.dropped = self.missing.samples
        results = []
        for task, state, arrays, like in zip(self.tasks, self.states, self.arrays, self.likes, strict=True):
            kept = _arrays(arrays) if self.settings.keep_all else None
            try:
                result = finish(task, state, arrays=kept, inputs=infos, grad=self.settings.grad)
            except NoSamples as exc:
                weights = next((info.path for info in infos if "weights" in info.roles), None)
                raise NoSamples(f"{weights}: {exc}" if weights and task.weighted else str(exc)) from None
            results.append(result if like is None else replace(result, like=like))
        names = self.output_names()
        if names is not None:
            results = [replace(result, output_names=names) for result in results]
        if self.group_sums is not None:
            from ..core.groups import grouped

            names = self.group_names()
            how = self.settings.group_how
            kind = self.settings.group_by if self.settings.group_by in ("shard", "sample", "class") else "labels"
            results = [
                replace(result, groups=grouped(how, kind, names, task, sums.trimmed(len(names)), result))
                for task, sums, result in zip(self.tasks, self.group_sums, results, strict=True)
            ]
        return results

    def output_names(self) -> list[str] | None:
        """The outputs' names: --classes, or the predictions' header (pandas' column names, a predict_proba
        frame's classes); None where the input names none (or names them 0, 1, ...)."""
        names = self.settings.classes or self.settings.class_names
        if names is None or len(names) != self.n_outputs or list(names) == [str(j) for j in range(len(names))]:
            return None
        return [str(name) for name in names]

    def group_names(self) -> list[str]:
        """Each group's name, in order of first appearance (a sample's: its id, or its index)."""
        index = self.group_index
        if not index.numbered:
            return list(index.names)
        if len(self.group_ids) == index.count:
            return list(self.group_ids)
        return [str(i) for i in range(index.count)]

    def _check_var(self) -> None:
        for task in self.tasks:
            var = task.options.get("var")
            if var is not None:
                check_variance(as_variance(var, self.n_outputs), self.samples + self.missing.samples, self.n_outputs)

    def statistic_rows(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Every sample's (numerator, divisor) of the k-th loss, when kept."""
        parts = self.statistics[k]
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])

    def bucketed(self, k: int):
        """The k-th loss's statistic columns to resample: (numerators, divisors, samples in each), of every
        sample while there are at most K, else of the K buckets (stats/buckets.py)."""
        return self.buckets[k].units()

    def statistic_ids(self) -> np.ndarray | None:
        """Every sample's id (as text), when the statistics were kept and the inputs had ids."""
        if not self.statistic_id_parts:
            return None
        return np.array([str(x) for part in self.statistic_id_parts for x in part], dtype=object)

    def extras_done(self):
        """(convention, task, state, why it was refused or None) of every extra."""
        return [(e.convention, e.task, e.state, e.refused) for e in self.extras]


def _positions_in_order(codes: np.ndarray, order: list[int], ignore) -> np.ndarray:
    """Class labels that are column positions of a shard whose columns were put in the first
    shard's order (``order[k]``: the file's column now at k): each label to its column's new place
    (--ignore-index is a value, not a place: it stays)."""
    place = np.argsort(np.asarray(order))
    whole = np.isfinite(codes) & (codes == np.floor(codes)) & (codes >= 0) & (codes < len(order))
    if ignore is not None:
        whole &= codes != ignore
    out = codes.copy()
    out[whole] = place[codes[whole].astype(np.intp)]
    return out


def combine_infos(per_shard: list[list]) -> list:
    """One InputInfo per input: a single file's own, or the shards' added up."""
    if len(per_shard) == 1:
        return per_shard[0]
    combined = []
    for infos in zip(*per_shard, strict=True):
        first = infos[0]
        combined.append(
            replace(
                first,
                path=first.details.get("pattern", first.path),
                rows=sum(info.rows for info in infos),
                details={
                    **first.details,
                    "shards": len(infos),
                    "first_shard": first.path,
                    "last_shard": infos[-1].path,
                },
            )
        )
    return combined


def _arrays(arrays: dict[str, list]) -> Arrays:
    gradient = None if arrays["gradient"][0] is None else np.concatenate(arrays["gradient"])
    ids = None if not arrays["ids"] else [str(x) for part in arrays["ids"] for x in part]
    return Arrays(np.concatenate(arrays["per_sample"]), np.concatenate(arrays["terms"]), gradient, ids)


def run(source: BlockSource, tasks: list[LossTask], settings: PassSettings, sink: Sink | None = None):
    """Every task's Result from one pass over ``source``."""
    return Pass(source, tasks, settings, sink).run()
