"""One pass over the inputs: blocks of rows in, the merged state of every loss out.

Each block is checked (missing values dropped or counted, labels encoded), each loss's
terms computed once, and their state merged in block order. Per-sample values go to a
sink as they come (the outputs that list them), and every sample's values are kept in
memory only when an output needs them all (JSON, figures, intervals).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import NamedTuple, Protocol

import numpy as np

from ..core.finish import Arrays, finish
from ..core.result import Result
from ..core.state import Keep, LossState
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


class Source(Protocol):
    """What the engine reads: :class:`~losscli.io.inputs.Inputs`, or arrays in memory."""

    notes: list[str]

    def blocks(self) -> Iterable: ...

    def where(self, role: str, rows, i: int, j: int) -> str: ...

    def infos(self) -> list: ...


class Settings(NamedTuple):
    """How a pass runs."""

    drop_missing: bool = False
    keep: Keep = Keep()
    keep_all: bool = False  # every sample's values, for outputs that list them all
    grad: bool = False
    classes: list[str] | None = None  # --classes: the prediction columns' class names
    class_names: tuple[str, ...] | None = None  # the predictions' column names (header), for labels


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


class Extra:
    """A framework's convention of a loss, computed in the same pass for --compare: its sums only.
    A framework that refuses the data (scikit-learn's log_loss of soft targets) says why."""

    def __init__(self, convention, task: LossTask):
        self.convention, self.task = convention, task
        self.state: LossState | None = None
        self.refused: str | None = None


class Pass:
    """The state of every loss of one pass, block by block."""

    def __init__(
        self, source: Source, tasks: list[LossTask], settings: Settings, sink: Sink | None = None, extras=(), likes=()
    ):
        self.source, self.tasks, self.settings, self.sink = source, tasks, settings, sink
        self.extras = [Extra(convention, task) for convention, task in extras]
        self.likes = list(likes) or [None] * len(tasks)
        self.states: list[LossState] | None = None
        self.arrays: list[dict[str, list]] = [{"per_sample": [], "terms": [], "gradient": [], "ids": []} for _ in tasks]
        self.missing = Missing()
        self.labels: ClassLabels | None = None
        self.samples = 0
        self.n_outputs: int | None = None

    def run(self) -> list[Result]:
        for block in self.source.blocks():
            self.add(block)
        return self.finish()

    def add(self, block) -> None:
        parts = block.parts
        pred_rows, target_rows = parts["predictions"], parts["targets"]
        weight_rows = parts.get("weights")
        pred = pred_rows.values
        target = self._targets(block, target_rows, pred.shape[1])
        weights = None if weight_rows is None else weight_rows.values[:, 0]
        keep = self._complete(pred, target, weights, block)
        if keep is not None:
            pred, target = pred[keep], target[keep]
            weights = None if weights is None else weights[keep]
            parts = {role: _take(rows, keep) for role, rows in parts.items()}
            block = block._replace(parts=parts, ids=None if block.ids is None else block.ids[keep])
        if self.missing.values and not self.settings.drop_missing:
            return  # reading on only to count the missing values
        if not len(pred):
            return
        if self.states is None:
            self._start(pred, target, block)
        elif pred.shape[1] != self.n_outputs:
            raise InputError(f"predictions change width from {self.n_outputs} to {pred.shape[1]} columns")
        self._compute(pred, target, weights, block)

    def _start(self, pred: np.ndarray, target: np.ndarray, block) -> None:
        self.n_outputs = pred.shape[1]
        names = (self.source.name_of("predictions"), self.source.name_of("targets"))
        for task in self.tasks:
            check_shapes(task, pred, target, names)
        keep = self.settings.keep
        self.states = [
            LossState(self.n_outputs, keep, term_columns=1 if task.spec.per_sample_only else None)
            for task in self.tasks
        ]
        for extra in self.extras:
            columns = 1 if extra.task.spec.per_sample_only else None
            extra.state = LossState(self.n_outputs, Keep(0, 0, 0), term_columns=columns)

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
            return self.labels.encode(raw)[:, None]
        except UnknownLabel as exc:
            where = self.source.where("targets", rows, exc.index, 0)
            raise InputError(f"{where}: label {exc.label!r} {exc.why}") from None

    def _complete(self, pred, target, weights, block) -> np.ndarray | None:
        """The mask of the rows without a missing value, or None when all are complete."""
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
                    self.missing.note(
                        self.source.where(role, block.parts[role], i, j), int(bad.sum()), int(missing_values.sum())
                    )
                    break
        return ~bad

    def _compute(self, pred, target, weights, block) -> None:
        where = _where(self.source, block.parts)
        start = self.samples
        per_samples, term_sets = [], []
        var_rows = block.parts["predictions"].rows
        for task, state, arrays, like in zip(self.tasks, self.states, self.arrays, self.likes, strict=True):
            if like is not None:
                self._check_like(like, task, pred, target)
            terms = block_terms(task, pred, target, weights, where, var_rows=var_rows)
            per_sample = per_sample_values(task, terms)
            gradient = raw_gradient(task, pred, terms) if self.settings.grad else None
            labels = target[:, 0] if task.labels else None
            state.add(start, terms, per_sample, gradient, block.ids, pred, labels)
            if self.settings.keep_all:
                arrays["per_sample"].append(per_sample)
                arrays["terms"].append(terms.terms)
                arrays["gradient"].append(gradient)
                if block.ids is not None:
                    arrays["ids"].append(block.ids)
            per_samples.append(per_sample)
            term_sets.append(terms.terms)
        for extra in self.extras:
            self._compute_extra(extra, pred, target, weights, where, var_rows, start)
        if self.sink is not None:
            self.sink.write(start, block.ids, per_samples, term_sets)
        self.samples += len(pred)

    def _check_like(self, like, task: LossTask, pred, target) -> None:
        from ..core.conventions import Convention
        from ..core.frameworks import refusal

        convention = Convention(like.framework, task.options, like.constants, None, ())
        why = refusal(convention, task, pred, target)
        if why:
            raise InputError(f"--like {like.framework}: {why}")

    def _compute_extra(self, extra: Extra, pred, target, weights, where, var_rows, start: int) -> None:
        from ..core.frameworks import refusal

        if extra.refused:
            return
        extra.refused = refusal(extra.convention, extra.task, pred, target)
        if extra.refused:
            return
        try:
            terms = block_terms(extra.task, pred, target, weights, where, var_rows=var_rows)
        except InputError as exc:  # outside this framework's domain: its row says so
            extra.refused = str(exc)
            return
        labels = target[:, 0] if extra.task.labels else None
        extra.state.add(start, terms, per_sample_values(extra.task, terms), None, None, pred, labels)

    def extras_done(self):
        """(convention, task, state, why it was refused or None) of every extra."""
        return [(e.convention, e.task, e.state, e.refused) for e in self.extras]

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
        infos = self.source.infos()
        for info in infos:
            info.dropped = self.missing.samples
        results = []
        for task, state, arrays, like in zip(self.tasks, self.states, self.arrays, self.likes, strict=True):
            kept = _arrays(arrays) if self.settings.keep_all else None
            result = finish(task, state, arrays=kept, inputs=infos, grad=self.settings.grad)
            results.append(result if like is None else replace(result, like=like))
        return results

    def _check_var(self) -> None:
        for task in self.tasks:
            var = task.options.get("var")
            if var is not None:
                check_variance(as_variance(var, self.n_outputs), self.samples + self.missing.samples, self.n_outputs)


def _arrays(arrays: dict[str, list]) -> Arrays:
    gradient = None if arrays["gradient"][0] is None else np.concatenate(arrays["gradient"])
    ids = None if not arrays["ids"] else [str(x) for part in arrays["ids"] for x in part]
    return Arrays(np.concatenate(arrays["per_sample"]), np.concatenate(arrays["terms"]), gradient, ids)


def _take(rows, keep: np.ndarray):
    from ..io.table import take_rows

    return take_rows(rows, keep)


def _where(source: Source, parts) -> Callable[[str, int, int], str]:
    def where(role: str, i: int, j: int) -> str:
        return source.where(role, parts[role], i, j)

    return where


def run(source: Source, tasks: list[LossTask], settings: Settings, sink: Sink | None = None):
    """Every task's Result from one pass over ``source``."""
    return Pass(source, tasks, settings, sink).run()
