"""What every reader gives: a table of named columns, read in runs of rows.

A reader first says what its file holds (:class:`Layout`: column names, which leading
columns are row labels, the header it took and why), then yields :class:`Rows`: the
selected numeric columns as float64 (NaN where a value is missing), the selected text
columns (row labels, ids, class names) as strings, and for each row where it came from,
so that a complaint about any value can name the file, line and column.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import NamedTuple, Protocol

import numpy as np

from ..errors import InputError


class Header(NamedTuple):
    """The header row a reader took (or would take)."""

    names: tuple[str, ...]
    how: str  # why: "a cell is not a number", "pandas' default column names", "--header", ...
    line: int | None = None  # 1-based line of a text file
    ambiguous: bool = False  # the row could be data too; see Table.take_header
    lean: bool = True  # when ambiguous, the reading taken unless another input says otherwise


class Layout(NamedTuple):
    """The columns of a table, as its first lines or its metadata say."""

    names: tuple[str, ...]  # one per column of the file, in file order
    index: tuple[int, ...] = ()  # positions of the columns that are row labels (pandas' index)
    header: Header | None = None  # the header taken; None: the names are positions
    index_how: str = ""  # why those columns are row labels


class Rows(NamedTuple):
    """A run of rows of one table."""

    values: np.ndarray  # (B, k) float64, the selected numeric columns; NaN where missing
    texts: np.ndarray | None  # (B, m) the selected text columns: object (str), or float64 from .npy
    rows: np.ndarray  # (B,) int64: 0-based data row of each row in the file
    lines: np.ndarray | None  # (B,) int64: 1-based line of each row (text formats), else None

    def __len__(self) -> int:
        return len(self.rows)


class Table(Protocol):
    """A reader: its layout, then one pass over its rows."""

    name: str  # the input as messages name it
    format: str  # "csv", "npy", ... as the inputs summary shows it
    layout: Layout
    details: dict  # what the summary says of how it was read (delimiter, key, compression, ...)

    def rows(self, numeric: list[int], text: list[int]) -> Iterator[Rows]:
        """One pass over the data rows: the columns at ``numeric`` as numbers, at ``text`` as text."""
        ...

    def where(self, row: int, line: int | None, column: int) -> str:
        """Where a value is, for a message: "line 5, column 2", "index [3, 1]", ..."""
        ...


# The widest input taken. Each column costs a few hundred bytes however few the rows (its
# sums, its name, its place in the plan), so this bounds memory at a few hundred MB; wider
# inputs are, as a rule, one sample written as a row (a vector saved with np.savetxt(f, [a])).
MAX_COLUMNS = 1 << 20


def check_width(name: str, width: int) -> None:
    """Refuse an input of more than MAX_COLUMNS columns before anything is held per column."""
    if width > MAX_COLUMNS:
        raise InputError(
            f"{name}: has {width:,} columns; losscli keeps sums for every output column and takes at most "
            f"{MAX_COLUMNS:,} (a few hundred MB); if each column is a sample, write one sample a row "
            f"(np.save(f, a.T), or one value a line), or split the outputs into several files"
        )


class PositionNames(Sequence):
    """The names ``"0"``, ``"1"``, ... of the columns of a file that names none, made when asked
    for: a tuple of them cost 60 bytes a column (300 MB for a row of 5,000,000 values)."""

    def __init__(self, width: int):
        self.width = width

    def __len__(self) -> int:
        return self.width

    def __getitem__(self, k):
        if isinstance(k, slice):
            return tuple(str(j) for j in range(self.width)[k])
        return str(range(self.width)[k])

    def __iter__(self):
        return map(str, range(self.width))

    def __contains__(self, name) -> bool:
        return (
            isinstance(name, str)
            and name.isdigit()
            and name.isascii()
            and str(int(name)) == name
            and (int(name) < self.width)
        )

    def index(self, name, *args) -> int:
        if name not in self:
            raise ValueError(f"{name!r} is not a column position")
        return int(name)

    def __eq__(self, other) -> bool:
        if isinstance(other, PositionNames):
            return self.width == other.width
        return isinstance(other, tuple | list) and len(other) == self.width and tuple(self) == tuple(other)

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"PositionNames({self.width})"


def position_names(width: int) -> PositionNames:
    return PositionNames(width)


def concat_rows(parts: list[Rows]) -> Rows:
    """One run of rows from several (of the same columns)."""
    if len(parts) == 1:
        return parts[0]
    texts = None if parts[0].texts is None else np.concatenate([p.texts for p in parts])
    lines = None if parts[0].lines is None else np.concatenate([p.lines for p in parts])
    return Rows(np.concatenate([p.values for p in parts]), texts, np.concatenate([p.rows for p in parts]), lines)


def slice_rows(rows: Rows, start: int, stop: int) -> Rows:
    return Rows(
        rows.values[start:stop],
        None if rows.texts is None else rows.texts[start:stop],
        rows.rows[start:stop],
        None if rows.lines is None else rows.lines[start:stop],
    )


def take_rows(rows: Rows, keep: np.ndarray) -> Rows:
    return Rows(
        rows.values[keep],
        None if rows.texts is None else rows.texts[keep],
        rows.rows[keep],
        None if rows.lines is None else rows.lines[keep],
    )


def runs_of(parts: Iterator[Rows], step: int) -> Iterator[Rows]:
    """The rows of ``parts`` again, in runs of exactly ``step`` (the last one shorter)."""
    pending: list[Rows] = []
    held = 0
    for part in parts:
        if not len(part):
            continue
        pending.append(part)
        held += len(part)
        while held >= step:
            rows = concat_rows(pending)
            yield slice_rows(rows, 0, step)
            rest = slice_rows(rows, step, len(rows))
            pending, held = ([rest] if len(rest) else []), len(rest)
    if held:
        yield concat_rows(pending)
