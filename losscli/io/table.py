"""What every reader gives: a table of named columns, read in runs of rows.

A reader first says what its file holds (:class:`Layout`: column names, which leading
columns are row labels, the header it took and why), then yields :class:`Rows`: the
selected numeric columns as float64 (NaN where a value is missing), the selected text
columns (row labels, ids, class names) as strings, and for each row where it came from,
so that a complaint about any value can name the file, line and column.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple, Protocol

import numpy as np


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


def position_names(width: int) -> tuple[str, ...]:
    return tuple(str(k) for k in range(width))


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
