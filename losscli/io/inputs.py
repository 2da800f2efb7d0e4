"""The inputs of one run: which file gives the predictions, the targets and the weights,
which of their columns, how their rows are matched, and one pass over them in blocks.

Two files (``losscli mse preds.csv targets.csv``): every column of each that is not a
row label is an output, unless ``--pred-col`` / ``--target-col`` pick some. One file
(``losscli mse data.csv --pred-col p --target-col y``): both come from it. Rows are
matched by position, or by label when both files carry row labels (pandas' index) or
an ``--id-col``; labels then come out as the ids of the samples.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO, NamedTuple

import numpy as np

from ..core.result import InputInfo
from ..errors import InputError, UsageError
from .open import open_table
from .select import select
from .source import Limits, ResolvedInput, resolve
from .table import PositionNames, Rows, concat_rows, runs_of, slice_rows, take_rows

BLOCK_ELEMENTS = 1 << 18  # values per block and role (2 MiB): small enough for the caches and a bounded memory


def block_rows(width: int) -> int:
    """Rows per block for rows of ``width`` values: a power of two near BLOCK_ELEMENTS / width.
    Fixed by the width alone, so the sums come out the same whatever reads or runs them."""
    return 1 << max(0, (BLOCK_ELEMENTS // max(1, width)).bit_length() - 1)


class Columns(NamedTuple):
    """What the user asked of the inputs' columns."""

    pred_col: str | None = None
    target_col: str | None = None
    id_col: str | None = None
    weight_col: str | None = None
    group_col: str | None = None  # --group-col: each row's group, read as text


class Role(NamedTuple):
    """One part of the data (predictions, targets, weights) and where in a table it is."""

    name: str  # "predictions", "targets", "weights"
    reading: int  # which reading (table) gives it
    numeric: slice  # its columns among the reading's numeric columns
    text: slice | None  # its class-label column among the reading's text columns (labels read as text)
    columns: tuple[int, ...]  # the file columns, for messages


class Reading:
    """One table and the columns read from it in the pass."""

    def __init__(self, opened, source: ResolvedInput):
        self.table, self.key, self._close = opened.table, opened.key, opened.close
        self.position = opened.position
        self.closed = False
        self.source = source
        self.numeric: list[int] = []
        self.text: list[int] = []
        self.label: int | None = None  # the column of row labels (pandas' index or --id-col)
        self.label_how = ""
        self.roles: list[str] = []
        self.rows_read = 0

    @property
    def name(self) -> str:
        return self.table.name

    def add(self, role: str, numeric: list[int], text: list[int] = ()) -> Role:
        a, b = len(self.numeric), len(self.numeric) + len(numeric)
        self.numeric += numeric
        text_slice = None
        if text:
            c = len(self.text)
            self.text += list(text)
            text_slice = slice(c, c + len(text))
        self.roles.append(role)
        return Role(role, -1, slice(a, b), text_slice, tuple(numeric or text))

    def close(self) -> None:
        self.closed = True
        self._close()

    def bytes_read(self) -> int:
        position, size = self.position
        return size if self.closed else min(size, position())

    def set_label(self, column: int, how: str) -> None:
        self.label, self.label_how = column, how
        self.text.append(column)

    def label_slot(self) -> int | None:
        return None if self.label is None else len(self.text) - 1 - self.text[::-1].index(self.label)

    def rows(self, block_rows: int = 0) -> Iterator[Rows]:
        if hasattr(self.table, "block_rows"):  # readers that can: chunks of whole blocks, no copying to re-cut
            self.table.block_rows = block_rows
        for part in self.table.rows(self.numeric, self.text):
            self.rows_read += len(part)
            yield part


class Block(NamedTuple):
    """The same rows of every role, aligned."""

    parts: dict[str, Rows]  # role -> its rows (values: the role's numeric columns)
    labels: dict[str, np.ndarray]  # role -> class labels read as text (targets of label losses)
    ids: np.ndarray | None  # (B,) the samples' ids (row labels), or None


class Inputs:
    """The opened inputs of one run; :meth:`blocks` is the one pass over them."""

    def __init__(self, readings: list[Reading], roles: dict[str, Role], match: str, ids_from: int | None):
        self.readings, self.roles, self.match, self.ids_from = readings, roles, match, ids_from
        self.notes: list[str] = []  # what was decided for the user, said on stderr
        self.dropped = 0
        self.column_order: dict[str, list[int]] = {}  # role -> its file's columns in the first shard's order
        self.drop_note = ""

    def role_table(self, role: str):
        return self.readings[self.roles[role].reading].table

    def name_of(self, role: str) -> str:
        return self.role_table(role).name

    def width(self, role: str) -> int:
        """How many columns a role has (class labels: one)."""
        spec = self.roles[role]
        return len(spec.columns)

    def class_names(self) -> tuple[str, ...] | None:
        """The predictions' column names when a header gave them (pandas writes clf.classes_ there)."""
        table = self.role_table("predictions")
        if table.layout.header is None:
            return None
        return tuple(table.layout.names[c] for c in self.roles["predictions"].columns)

    def column_names(self) -> dict[str, tuple[str, ...] | None]:
        """Each role's column names (None without a header), for the roles of several columns:
        what a later shard's columns are matched to."""
        out = {}
        for role, spec in self.roles.items():
            if len(spec.columns) > 1:
                layout = self.role_table(role).layout
                out[role] = None if layout.header is None else tuple(layout.names[c] for c in spec.columns)
        return out

    def align(self, reference: dict[str, tuple[str, ...] | None]) -> None:
        """Put each role's columns in the order of the first shard's names (``reference``), before
        the pass: a shard whose header lists the classes (or outputs) in another order is read as
        its own header says, not by position. Columns that are not the same names are an error."""
        for role, names in self.column_names().items():
            wanted = reference.get(role, names)
            if names == wanted or len(wanted or names or ()) != len(self.roles[role].columns):
                continue  # the same, or another width (which the pass refuses with the rows' count)
            name = self.name_of(role)
            if names is None or wanted is None:
                has, lacks = ("no header", "names them") if names is None else ("a header", "has none")
                raise InputError(
                    f"{name}: has {has} where the first shard's {role} {lacks}; shards' columns are matched by "
                    f"name, so give every shard the same header (or none)"
                )
            if len(set(names)) != len(names) or sorted(names) != sorted(wanted):
                raise InputError(
                    f"{name}: its {role} columns are {', '.join(names[:8])} where the first shard's are "
                    f"{', '.join(wanted[:8])}; shards' columns are matched by name, so every shard needs the same"
                )
            order = [names.index(n) for n in wanted]
            spec = self.roles[role]
            reading = self.readings[spec.reading]
            picked = reading.numeric[spec.numeric]
            reading.numeric[spec.numeric] = [picked[k] for k in order]
            self.roles[role] = spec._replace(columns=tuple(spec.columns[k] for k in order))
            self.column_order[role] = order

    def where(self, role: str, rows: Rows, i: int, j: int) -> str:
        """'preds.csv: line 5, column 2' for value ``[i, j]`` of a role's block."""
        spec = self.roles[role]
        table = self.role_table(role)
        column = spec.columns[j] if j < len(spec.columns) else spec.columns[-1]
        line = None if rows.lines is None else int(rows.lines[i])
        return f"{table.name}: {table.where(int(rows.rows[i]), line, column)}"

    def close(self) -> None:
        for reading in self.readings:
            reading.close()

    def bytes_total(self) -> int | None:
        """The inputs' size in bytes, when every one is a file (for a progress bar)."""
        if any(reading.position is None for reading in self.readings):
            return None
        return sum(reading.position[1] for reading in self.readings)

    def bytes_read(self) -> int:
        return sum(reading.bytes_read() for reading in self.readings if reading.position is not None)

    def use_pool(self, pool, jobs: int) -> None:
        """Let the readers that can parse their chunks side by side use the engine's threads."""
        for reading in self.readings:
            if hasattr(reading.table, "use_pool"):
                reading.table.use_pool(pool, jobs)

    # --- the pass -------------------------------------------------------------------------

    def blocks(self, rows: int | None = None) -> Iterator[Block]:
        rows = rows or block_rows(max(len(role.columns) for role in self.roles.values()))
        source = _zip(self.readings, rows) if self.match == "position" else self._matched(rows)
        for parts in source:
            yield self._split(parts)

    def _split(self, parts: list[Rows]) -> Block:
        out, labels = {}, {}
        for name, role in self.roles.items():
            rows = parts[role.reading]
            out[name] = Rows(rows.values[:, role.numeric], None, rows.rows, rows.lines)
            if role.text is not None:
                labels[name] = rows.texts[:, role.text][:, 0]
        ids = None
        if self.ids_from is not None:
            reading = self.readings[self.ids_from]
            ids = as_text(parts[self.ids_from].texts[:, reading.label_slot()])
        return Block(out, labels, ids)

    def _matched(self, block_rows: int) -> Iterator[list[Rows]]:
        """Rows matched by label, in the order of the first labelled file (``ids_from``); a file
        without labels is kept in its own order (matched by position). While every labelled file has
        the first's labels in the first's order (a submission and its solution, both sorted), blocks
        go by position as they are read, and only the first's labels are kept (as bytes), for the
        check that none repeats. From the first block where they differ, the rest of every file is
        held (its numbers, its labels as bytes: no text object a row) and put in the first's order."""
        readings = self.readings
        runs = [runs_of(reading.rows(block_rows), block_rows) for reading in readings]
        seen: list[np.ndarray] = []  # the labels streamed so far (the same in every labelled file)
        while True:
            parts = [next(run, None) for run in runs]
            if all(part is None for part in parts):
                break
            labels = self._labels_if_aligned(parts)
            if labels is None:
                yield from self._held(parts, runs, seen, block_rows)
                return
            seen.append(labels)
            yield parts
        _check_unique(seen, readings[self.ids_from])  # the same labels in every labelled file

    def _labels_if_aligned(self, parts: list[Rows | None]) -> np.ndarray | None:
        """The first labelled file's labels of this run of rows (as bytes) when every file has a run
        of the same length and every labelled one the same labels in the same order; else None."""
        base = self.ids_from
        if any(part is None or len(part) != len(parts[base]) for part in parts):
            return None
        first = as_text(parts[base].texts[:, self.readings[base].label_slot()])
        for k, (reading, part) in enumerate(zip(self.readings, parts, strict=True)):
            if k == base or reading.label is None:
                continue
            if not np.array_equal(first, as_text(part.texts[:, reading.label_slot()])):
                return None
        return label_bytes(first, self.readings[base])

    def _held(self, parts: list[Rows | None], runs: list, seen: list[np.ndarray], block_rows: int):
        """The rest of every file, held, the labelled ones put in the first's order, in blocks."""
        base = self.ids_from
        held = [
            _Held(reading, [part, *run], ids=k == base)
            for k, (reading, part, run) in enumerate(zip(self.readings, parts, runs, strict=True))
        ]
        first = held[base]
        orders: list[np.ndarray | None] = []
        for reading, rest in zip(self.readings, held, strict=True):
            if reading.label is not None:
                _check_unique([*seen, rest.labels], reading)
        for k, (reading, rest) in enumerate(zip(self.readings, held, strict=True)):
            if k == base:
                orders.append(None)
            elif reading.label is None:
                if len(rest) != len(first):
                    streamed = sum(len(labels) for labels in seen)
                    raise _count_mismatch(self.readings[base], streamed + len(first), reading, streamed + len(rest))
                orders.append(None)
            else:
                orders.append(_order(first.labels, rest.labels, self.readings[base], reading))
        for start in range(0, len(first), block_rows):
            stop = min(start + block_rows, len(first))
            yield [rest.block(start, stop, order) for rest, order in zip(held, orders, strict=True)]

    # --- what was read ------------------------------------------------------------------------

    def infos(self) -> list[InputInfo]:
        out = []
        for k, reading in enumerate(self.readings):
            layout = reading.table.layout
            used = {name: _used_names(layout, role) for name, role in self.roles.items() if role.reading == k}
            header = None
            if layout.header is not None:
                header = {"names": list(layout.header.names), "how": layout.header.how}
                if layout.header.line is not None:
                    header["line"] = layout.header.line
            labels = None
            if reading.label is not None:
                labels = {"column": layout.names[reading.label] or "(index)", "how": reading.label_how}
            out.append(
                InputInfo(
                    path=reading.source.spec if reading.source.path else "<stdin>",
                    format=reading.table.format,
                    roles=list(reading.roles),
                    rows=reading.rows_read,
                    columns=len(layout.names),
                    used=used,
                    header=header,
                    labels=labels,
                    matched=self._matched_text(k),
                    dropped=self.dropped,
                    details=dict(reading.table.details),
                )
            )
        return out

    def _matched_text(self, k: int) -> str:
        if len(self.readings) == 1:
            return "one file"
        if self.match == "position":
            return "by position"
        reading = self.readings[k]
        if reading.label is None:
            return "by position"
        return f"by label ({reading.label_how})"


def _used_names(layout, role: Role):
    """The names of a role's columns; every column of a file that names none: its names as they are
    (made when a JSON output lists them, not for each of millions of columns of every run)."""
    names = layout.names
    every = len(role.columns) == len(names) and all(c == k for k, c in enumerate(role.columns))
    if isinstance(names, PositionNames) and every:
        return names
    return [names[c] or "(index)" for c in role.columns]


def as_text(column: np.ndarray) -> np.ndarray:
    """Row labels as text. From a numeric format (.npy) they are numbers: whole ones as
    integers (100, not 100.0: an id saved as float64 is still 100), NaN as an empty cell."""
    if column.dtype.kind != "f":
        return column
    return np.array(
        ["" if x != x else str(int(x)) if x.is_integer() else repr(x) for x in column.tolist()], dtype=object
    )


def label_bytes(labels: np.ndarray, reading: Reading) -> np.ndarray:
    """Row labels (text) as a NumPy array of their UTF-8 bytes: a byte a character, where a str is
    60 bytes and more. (NumPy drops a bytes value's trailing NULs, so a label holding NUL is refused.)"""
    if "\x00" in "".join(labels.tolist()):
        raise InputError(
            f"{reading.name}: a row label holds the NUL character; rows are matched by label, so a label must be "
            f"text without it (--by-position matches them by position)"
        )
    try:
        return labels.astype("S")
    except UnicodeEncodeError:  # not ASCII: every label of this run as UTF-8 (the same bytes for ASCII)
        return np.char.encode(labels.astype("U"), "utf-8")


def _shown_labels(labels: np.ndarray) -> str:
    return ", ".join(repr(bytes(x).decode("utf-8", "replace")) for x in labels[:5])


class _Held:
    """The rest of one file, held compactly: its numbers, labels as bytes, rows and lines; its other
    text columns (class labels of the targets) as they are, without the row labels' text (given
    back a block at a time, for the file whose labels are the samples' ids)."""

    def __init__(self, reading: Reading, parts: list, ids: bool):
        parts = [part for part in parts if part is not None and len(part)]
        self.reading, self.ids = reading, ids  # ids: its labels are the samples' ids, given back as text
        slot = reading.label_slot()
        self.only_labels = slot is not None and len(reading.text) == 1  # no other text column to keep
        labels = []
        for k, part in enumerate(parts):
            if slot is not None:
                labels.append(label_bytes(as_text(part.texts[:, slot]), reading))
                part.texts[:, slot] = None  # its text objects freed; labels given back per block as they go
                if self.only_labels:
                    parts[k] = Rows(part.values, None, part.rows, part.lines)
        self.rows = concat_rows(parts) if parts else None
        self.labels = np.concatenate(labels) if labels else np.array([], dtype="S1")

    def __len__(self) -> int:
        return 0 if self.rows is None else len(self.rows)

    def block(self, start: int, stop: int, order: np.ndarray | None) -> Rows:
        picked = slice(start, stop) if order is None else order[start:stop]
        rows = take_rows(self.rows, picked) if order is not None else slice_rows(self.rows, start, stop)
        slot = self.reading.label_slot()
        if slot is not None and self.ids:
            texts = np.empty((len(rows), 1), dtype=object) if self.only_labels else rows.texts.copy()
            texts[:, slot] = np.char.decode(self.labels[picked], "utf-8").astype(object)
            rows = Rows(rows.values, texts, rows.rows, rows.lines)  # (no _replace: Rows has its own len)
        return rows


def _check_unique(labels: list[np.ndarray], reading: Reading) -> None:
    """No label twice in ``reading`` (its labels as bytes, in runs)."""
    every = np.concatenate(labels) if labels else np.array([], dtype="S1")
    if len(every) < 2:
        return
    ordered = np.sort(every, kind="stable")
    twice = ordered[1:] == ordered[:-1]
    if twice.any():
        repeated = np.unique(ordered[1:][twice])
        raise InputError(
            f"{reading.name}: the row label{'s' if len(repeated) > 1 else ''} {_shown_labels(repeated)} "
            f"{'occur' if len(repeated) > 1 else 'occurs'} more than once ({len(repeated):,} repeated in all); "
            f"rows are matched by label, so each label must be unique"
        )


def _order(first: np.ndarray, other: np.ndarray, a: Reading, b: Reading) -> np.ndarray:
    """The rows of ``other`` in the order of ``first`` (labels as bytes, each unique); every label in
    exactly both. A sort and a binary search, no dictionary of a million entries."""
    sorter = np.argsort(other, kind="stable")
    at = np.searchsorted(other, first, sorter=sorter)
    order = sorter[np.minimum(at, len(other) - 1)] if len(other) else np.zeros(len(first), dtype=np.int64)
    found = (at < len(other)) & (other[order] == first) if len(other) else np.zeros(len(first), dtype=bool)
    missing = first[~found]
    if len(missing):
        raise InputError(
            f"{b.name}: has no row for the label{'s' if len(missing) > 1 else ''} {_shown_labels(missing)} of "
            f"{a.name} ({len(missing):,} in all); rows are matched by label (--by-position matches them by position)"
        )
    if len(other) > len(first):
        extra = np.setdiff1d(other, first)
        raise InputError(
            f"{a.name}: has no row for the label{'s' if len(extra) > 1 else ''} {_shown_labels(extra)} of {b.name} "
            f"({len(extra):,} in all); rows are matched by label (--by-position matches them by position)"
        )
    return order


def _count_mismatch(a: Reading, na: int, b: Reading, nb: int) -> InputError:
    for reading, count in ((a, na), (b, nb)):
        if count == 0:
            return InputError(f"{reading.name}: holds no numbers; give at least one sample")
    hint = ""
    for reading in (a, b):
        header = reading.table.layout.header
        if header is not None and header.how.startswith("pandas' default column name"):  # names, or name 0
            cells = ",".join(header.names)
            hint = (
                f" ({reading.name}'s first row {cells!r} was read as pandas' default column names: "
                "pass --no-header if it is data)"
            )
    return InputError(f"{a.name} has {na:,} rows but {b.name} has {nb:,}; every input needs one row per sample{hint}")


def _zip(readings: list[Reading], block_rows: int) -> Iterator[list[Rows]]:
    """Rows of several tables by position, in blocks of ``block_rows`` (the last one shorter)."""
    iterators = [reading.rows(block_rows) for reading in readings]
    buffers: list[list[Rows]] = [[] for _ in readings]
    counts = [0] * len(readings)
    done = [False] * len(readings)
    while True:
        for k, iterator in enumerate(iterators):
            while counts[k] < block_rows and not done[k]:
                part = next(iterator, None)
                if part is None:
                    done[k] = True
                elif len(part):
                    buffers[k].append(part)
                    counts[k] += len(part)
        take = min(*counts, block_rows)  # fixed blocks: the sums do not depend on the readers' chunks
        if take < block_rows and len(set(counts)) > 1:
            for iterator in iterators:  # read on, to say how many rows each has
                for _ in iterator:
                    pass
            totals = [reading.rows_read for reading in readings]
            k = next(k for k, total in enumerate(totals) if total != totals[0])
            raise _count_mismatch(readings[0], totals[0], readings[k], totals[k])
        if take == 0:
            return
        out = []
        for k in range(len(readings)):
            first = buffers[k][0]
            if len(first) >= take:  # the usual case: a view of one part, no copy
                out.append(slice_rows(first, 0, take))
                rest = slice_rows(first, take, len(first))
                buffers[k] = ([rest] if len(rest) else []) + buffers[k][1:]
            else:
                merged = concat_rows(buffers[k])
                out.append(slice_rows(merged, 0, take))
                rest = slice_rows(merged, take, len(merged))
                buffers[k] = [rest] if len(rest) else []
            counts[k] -= take
        yield out


# --- planning ---------------------------------------------------------------------------------

NO_COLUMNS = Columns()
DEFAULT_LIMITS = Limits()


def _other_columns(layout, exclude: set[int]) -> list[int]:
    return [k for k in range(len(layout.names)) if k not in exclude and k not in layout.index]


def open_inputs(
    preds: str,
    targets: str | None,
    *,
    columns: Columns = NO_COLUMNS,
    weights: str | None = None,
    takes_labels: str = "same",
    input_format: str | None = None,
    header: bool | None = None,
    match: bool = True,
    stdin: BinaryIO | None = None,
    limits: Limits = DEFAULT_LIMITS,
    chunk_bytes: int | None = None,
    groups: str | None = None,
) -> Inputs:
    """Open the inputs and plan the pass: which columns of which file are what.

    ``takes_labels`` is the loss's kind of targets ("same", "labels", "labels_or_same"); ``groups``
    a file of one group label per sample (``--groups``).
    """
    readings: list[Reading] = []

    def open_reading(spec: str, flag_header=header) -> Reading:
        source = resolve(spec, input_format)
        reading = Reading(open_table(source, stdin, flag_header, limits, chunk_bytes), source)
        readings.append(reading)
        return reading

    try:
        inputs = _plan(open_reading, readings, preds, targets, columns, weights, takes_labels, header, match)
        if groups is not None:
            _groups_role(inputs, open_reading(groups), header is not None)
        return inputs
    except BaseException:
        for reading in readings:
            reading.close()
        raise


def _plan(open_reading, readings, preds, targets, columns: Columns, weights, takes_labels, header, match) -> Inputs:
    roles: dict[str, Role] = {}
    notes: list[str] = []
    if targets is None:
        data = open_reading(preds)
        notes += _settle_header(data, None)
        _one_file_roles(data, columns, takes_labels, roles)
    else:
        if columns.weight_col is not None:
            raise UsageError("--weight-col picks a column of the one data file; with two files use --weights FILE:KEY")
        if columns.group_col is not None:
            raise UsageError("--group-col picks a column of the one data file; with two files use --groups FILE:KEY")
        p, t = open_reading(preds), open_reading(targets)
        notes += _settle_header(p, t) + _settle_header(t, p)
        _two_file_roles(p, t, columns, takes_labels, roles)
    if weights is not None:
        w = open_reading(weights)
        notes += _settle_header(w, None)
        picked = [w.key] if w.key is not None else None
        numeric = select(w.name, w.table.layout, ",".join(picked), "FILE:KEY") if picked else None
        if numeric is None:
            numeric = _other_columns(w.table.layout, set())
        if len(numeric) != 1:
            raise InputError(f"{w.name}: holds {len(numeric)} columns; --weights takes one (name it as FILE:KEY)")
        _take_index_labels(w)
        roles["weights"] = w.add("weights", numeric)._replace(reading=len(readings) - 1)
    for k, reading in enumerate(readings):
        for name in reading.roles:
            roles[name] = roles[name]._replace(reading=k)
    labelled = [k for k, r in enumerate(readings) if r.label is not None]
    # Files that both carry labels are matched by label, as pandas aligns two Series; a file
    # without labels (an array of predictions) is matched by position to the order of the first
    # file that has them, as pandas puts an array beside a Series. Said in a note either way.
    by_label = match and len(labelled) > 1
    ids_from = next(iter(labelled), None)
    inputs = Inputs(readings, roles, "label" if by_label else "position", ids_from)
    inputs.notes += notes
    plain = [r for r in readings if r.label is None]
    if labelled and plain and len(readings) > 1:
        first = readings[labelled[0]]
        names = " and ".join(r.name for r in plain)
        if by_label:
            others = " and ".join(readings[k].name for k in labelled[1:])
            inputs.notes.append(
                f"{names} {'has' if len(plain) == 1 else 'have'} no row labels: matched by position to the rows of "
                f"{first.name}, and {others} by label to them (--by-position matches every file by position)"
            )
        else:
            inputs.notes.append(
                f"{first.name}: has row labels and {names} {'has' if len(plain) == 1 else 'have'} none; rows are "
                f"matched by position, and the labels are the samples' ids"
            )
    _match_columns_by_name(inputs)
    return inputs


def _match_columns_by_name(inputs: Inputs) -> None:
    """Targets in another file whose header names the predictions' columns in another order
    (``b,a`` against ``a,b``) are read by name, as pandas aligns two frames; by position, every
    column would be scored against another. Said in a note."""
    names = inputs.column_names()
    preds, targets = names.get("predictions"), names.get("targets")
    if preds is None or targets is None or preds == targets or sorted(preds) != sorted(targets):
        return
    if len(set(preds)) != len(preds) or inputs.roles["predictions"].reading == inputs.roles["targets"].reading:
        return
    inputs.align({"targets": preds})
    inputs.notes.append(
        f"{inputs.name_of('targets')}: its columns are the predictions' in another order; each is matched to "
        f"the prediction column of its name (select them with --target-col to choose otherwise)"
    )


def _take_index_labels(reading: Reading) -> None:
    layout = reading.table.layout
    if layout.index and reading.label is None:
        reading.set_label(layout.index[-1] if len(layout.index) == 1 else layout.index[0], layout.index_how)


def _one_file_roles(data: Reading, columns: Columns, takes_labels: str, roles: dict) -> None:
    layout, name = data.table.layout, data.name
    if columns.pred_col is None or columns.target_col is None:
        raise UsageError("give both --pred-col and --target-col to read predictions and targets from one file")
    if data.key is not None:
        raise UsageError(f"{data.source.spec}: with --pred-col, give the file without :KEY")
    pred = select(name, layout, columns.pred_col, "--pred-col")
    target = select(name, layout, columns.target_col, "--target-col")
    if columns.id_col is not None:
        data.set_label(select(name, layout, columns.id_col, "--id-col")[0], f"--id-col {columns.id_col}")
    else:
        _take_index_labels(data)
    roles["predictions"] = data.add("predictions", pred)
    roles["targets"] = _target_role(data, target, len(pred), takes_labels)
    if columns.weight_col is not None:
        weight = select(name, layout, columns.weight_col, "--weight-col")
        if len(weight) != 1:
            raise UsageError(f"--weight-col names {len(weight)} columns; give one")
        roles["weights"] = data.add("weights", weight)
    if columns.group_col is not None:
        group = select(name, layout, columns.group_col, "--group-col")
        if len(group) != 1:
            raise UsageError(f"--group-col names {len(group)} columns; give one")
        roles["groups"] = data.add("groups", [], group)


def _groups_role(inputs: Inputs, reading: Reading, header_given: bool) -> None:
    """--groups FILE: its one column (or FILE:KEY) read as text, matched to the samples as --weights is.
    A file of text labels has no numbers to tell a header by: a first row that recurs below is a label."""
    inputs.notes += _settle_header(reading, None)
    table = reading.table
    if not header_given and hasattr(table, "first_row_recurs") and table.first_row_recurs():
        first = ",".join(table.layout.header.names)
        table.read_first_row_as_data()
        inputs.notes.append(
            f"{reading.name}: first row {first!r} read as a group label (it recurs below); pass --header to read "
            "it as a header"
        )
    layout = table.layout
    _take_index_labels(reading)
    if reading.key is not None:
        column = select(reading.name, layout, reading.key, "FILE:KEY")
    else:
        column = _other_columns(layout, {reading.label} if reading.label is not None else set())
    if len(column) != 1:
        raise InputError(f"{reading.name}: holds {len(column)} columns; --groups takes one (name it as FILE:KEY)")
    inputs.roles["groups"] = reading.add("groups", [], column)._replace(reading=inputs.readings.index(reading))


def _target_role(reading: Reading, target: list[int], n_pred: int, takes_labels: str) -> Role:
    labels = takes_labels == "labels" or (takes_labels == "labels_or_same" and len(target) == 1 < n_pred)
    if labels:
        if len(target) != 1:
            raise InputError(
                f"{reading.name}: has {len(target)} columns; the loss takes class labels, one per sample in one "
                f"column (N labels for predictions with {n_pred} columns)"
            )
        return reading.add("targets", [], target)
    return reading.add("targets", target)


def _two_file_roles(p: Reading, t: Reading, columns: Columns, takes_labels: str, roles: dict) -> None:
    for reading in (p, t):
        if columns.id_col is not None:
            names = reading.table.layout.names
            if columns.id_col not in names:
                raise InputError(
                    f"{reading.name}: no id column {columns.id_col!r} (the columns are "
                    f"{', '.join(repr(n) for n in names[:12])}); --id-col names a column of both files"
                )
            reading.set_label(names.index(columns.id_col), f"--id-col {columns.id_col}")
        else:
            _take_index_labels(reading)
    pred = _value_columns(p, columns.pred_col, "--pred-col")
    target = _value_columns(t, columns.target_col, "--target-col")
    roles["predictions"] = p.add("predictions", pred)
    roles["targets"] = _target_role(t, target, len(pred), takes_labels)


def _value_columns(reading: Reading, spec: str | None, flag: str) -> list[int]:
    layout = reading.table.layout
    if not layout.names:
        raise InputError(f"{reading.name}: holds no numbers; give at least one sample")
    if reading.key is not None:
        return select(reading.name, layout, reading.key, "FILE:KEY")
    if spec is not None:
        return select(reading.name, layout, spec, flag)
    arrays = reading.table.details.get("arrays")
    if arrays and len(arrays) > 1:
        listed = ", ".join(arrays[:10])
        raise InputError(f"{reading.name}: holds {len(arrays)} arrays; name one as FILE:KEY ({listed})")
    exclude = {reading.label} if reading.label is not None else set()
    out = _other_columns(layout, exclude)
    if not out:
        raise InputError(f"{reading.name}: holds no columns of values (only row labels)")
    return out


def _settle_header(reading: Reading, partner: Reading | None) -> list[str]:
    """A first row that could be pandas' default column names or data: decide, and say so."""
    table = reading.table
    header = table.layout.header
    if header is None or not header.ambiguous:
        return []
    partner_header = None if partner is None else partner.table.layout.header
    if partner_header is not None and not partner_header.ambiguous and "pandas' default" in partner_header.how:
        take, why = True, f"as {partner.name} has pandas' default column names"
    else:
        take = header.lean
        why = "pandas writes these names by default" if take else "its numbers may well be data"
    table.take_header(take)
    if take:
        table.layout = table.layout._replace(header=table.layout.header._replace(how=f"{header.how}; {why}"))
    flip, what = ("--no-header", "a header") if take else ("--header", "data")
    cells = ",".join(header.names)
    return [f"{reading.name}: first row {cells!r} read as {what} ({why}); pass {flip} to read it as the other"]


class Opener(NamedTuple):
    """How to open one pair of inputs (a shard): a plain value, so that another process (a
    Dask worker) can open its shards as this one would."""

    columns: Columns = NO_COLUMNS
    takes_labels: str = "same"
    input_format: str | None = None
    header: bool | None = None
    match: bool = True
    limits: Limits = DEFAULT_LIMITS
    stdin: BinaryIO | None = None
    align: dict | None = None  # the first shard's column names: later shards' columns put in that order
    groups: str | None = None  # --groups FILE

    def __call__(self, preds: str, targets: str | None, weights: str | None) -> Inputs:
        inputs = open_inputs(
            preds,
            targets,
            columns=self.columns,
            weights=weights,
            takes_labels=self.takes_labels,
            input_format=self.input_format,
            header=self.header,
            match=self.match,
            stdin=self.stdin,
            limits=self.limits,
            groups=self.groups,
        )
        if self.align:
            try:
                inputs.align(self.align)
            except BaseException:
                inputs.close()
                raise
        return inputs


def read_array(
    spec: str,
    *,
    input_format: str | None = None,
    header: bool | None = None,
    stdin: BinaryIO | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> np.ndarray:
    """A whole (small) input as one (N, C) float64 array: class weights, variances, pos weights."""
    source = resolve(spec, input_format)
    opened = open_table(source, stdin, header, limits)
    try:
        table = opened.table
        layout = table.layout
        columns = select(table.name, layout, opened.key, "FILE:KEY") if opened.key else _other_columns(layout, set())
        parts = list(table.rows(columns, []))
    finally:
        opened.close()
    if not parts:
        raise InputError(f"{source.name}: holds no numbers")
    rows = concat_rows(parts)
    if np.isnan(rows.values).any():
        i, j = (int(k) for k in np.argwhere(np.isnan(rows.values))[0])
        line = None if rows.lines is None else int(rows.lines[i])
        raise InputError(f"{table.name}: {table.where(int(rows.rows[i]), line, columns[j])}: a missing value")
    return rows.values


def read_labels(
    spec: str, *, input_format: str | None = None, header: bool | None = None, limits: Limits = DEFAULT_LIMITS
) -> np.ndarray:
    """A whole file of one label per sample (its one column, or FILE:KEY) as text: --groups over N-D inputs."""
    source = resolve(spec, input_format)
    opened = open_table(source, None, header, limits)
    try:
        reading = Reading(opened, source)
        inputs = Inputs([reading], {}, "position", None)
        _groups_role(inputs, reading, header is not None)
        column = list(reading.text)
        parts = [part.texts[:, 0] for part in opened.table.rows([], column)]
    finally:
        opened.close()
    return as_text(np.concatenate(parts)) if parts else np.zeros(0, dtype=object)
