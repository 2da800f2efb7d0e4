"""Open an input as a :class:`~losscli.io.table.Table`, whatever its format."""

from __future__ import annotations

import io
import itertools
import os
from collections.abc import Iterator
from typing import BinaryIO, NamedTuple

import numpy as np

from ..errors import InputError
from .source import Limits, ResolvedInput, open_binary, position_of
from .table import Layout, Rows, check_width, runs_of


class Opened(NamedTuple):
    table: object  # a Table
    key: str | None  # a column to pick (FILE:KEY), when the key names a column rather than an array
    close: object  # closes what was opened
    position: tuple | None = None  # (how far into the file it has read, its size), for progress


def open_table(source: ResolvedInput, stdin: BinaryIO | None, header: bool | None, limits: Limits, chunk_bytes=None):
    """The table behind ``source``; ``FILE:KEY`` of an .npz archive opens that array."""
    stream, fmt = open_binary(source, stdin, limits)
    try:
        table, key = _table(stream, fmt, source, header, limits, chunk_bytes)
        check_width(source.name, len(table.layout.names))  # every reader's (the wide ones refuse earlier)
    except BaseException:
        stream.close()
        raise
    if source.gzip:
        table.details["compression"] = "gzip"
    return Opened(table, key, stream.close, position_of(stream))


def _size(stream) -> int | None:
    """The size of a regular file; None for a pipe or a FIFO (whose st_size is 0, not its length)."""
    import stat

    try:
        info = os.fstat(stream.fileno())
    except (OSError, AttributeError, io.UnsupportedOperation, ValueError):
        return None
    return info.st_size if stat.S_ISREG(info.st_mode) else None


def _seekable(stream: BinaryIO, name: str) -> BinaryIO:
    """Zip archives and Parquet need to seek: a pipe is read into memory first."""
    try:
        if stream.seekable():
            return stream
    except (AttributeError, ValueError):
        pass
    try:
        return io.BytesIO(stream.read())
    except OSError as exc:
        raise InputError(f"{name}: cannot be read ({exc.strerror or exc})") from None


def _table(stream, fmt: str, source: ResolvedInput, header, limits: Limits, chunk_bytes):
    """The reader of one format; only that format's module is imported."""
    name = source.name
    extra = {} if chunk_bytes is None else {"chunk_bytes": chunk_bytes}
    if fmt in ("csv", "tsv", "txt"):
        from . import text

        return text.TextTable(stream, name, fmt, header, **extra), source.key
    if fmt in ("npy", "npz"):
        from . import npy
    if fmt == "npy":
        if source.key is not None:
            raise InputError(f"{source.spec}: an .npy file holds one array; give it without :KEY")
        available = None if source.gzip else _size(stream)
        return npy.NpyTable(stream, name, available=available, **extra), None
    if fmt == "npz":
        archive = npy.NpzArchive(_seekable(stream, name), source.file_name, limits)  # members named FILE:KEY
        if source.key is None and len(archive.keys) != 1:
            return NpzColumns(archive), None
        key = source.key if source.key is not None else archive.keys[0]
        if key not in archive.keys:
            listed = ", ".join(archive.keys[:10])
            raise InputError(f"{name}: no array {key!r}; the arrays are {listed}")
        return archive.table(key), None
    if fmt in ("json", "jsonl"):
        from . import jsondata

        if fmt == "json":
            return jsondata.JsonTable(stream, name), source.key
        return jsondata.JsonlTable(stream, name, **extra), source.key
    if fmt == "parquet":
        from . import parquet

        return parquet.ParquetTable(_seekable(stream, name), name), source.key
    raise InputError(f"{name}: unknown input format {fmt!r}")


CHUNK_BYTES = 1 << 20  # values of every array named, per run of rows


class NpzColumns:
    """An .npz archive as a table: each array a column (a 2-D array ``a`` gives ``a[0]``, ``a[1]``, ...)."""

    format = "npz"

    def __init__(self, archive):
        self.archive, self.name = archive, archive.name
        names: list[str] = []
        self._columns: list[tuple[str, int | None]] = []
        headers = {key: archive.table(key).header for key in archive.keys}
        check_width(archive.name, sum(header.width for header in headers.values()))
        for key in archive.keys:
            header = headers[key]
            if len(header.shape) == 2 and header.width != 1:
                names += [f"{key}[{j}]" for j in range(header.width)]
                self._columns += [(key, j) for j in range(header.width)]
            else:
                names.append(key)
                self._columns.append((key, None))
        self.layout = Layout(tuple(names))
        self.details = {"arrays": list(archive.keys)}

    def rows(self, numeric: list[int], text: list[int]) -> Iterator[Rows]:
        """The arrays named read side by side, a run of rows of each at a time (each array was read
        whole: 8 GB held for two 1 GiB arrays)."""
        if text:
            raise InputError(f"{self.name}: an .npz archive holds numbers only; ids must be a text column")
        if not numeric:
            yield Rows(np.empty((0, 0)), None, np.arange(0), None)
            return
        wanted: dict[str, dict[int, int]] = {}  # array -> {its column: place among the columns read of it}
        for position in numeric:
            key, j = self._columns[position]
            wanted.setdefault(key, {}).setdefault(0 if j is None else j, len(wanted.get(key, {})))
        tables = {key: self.archive.table(key) for key in wanted}
        lengths = {key: table.header.rows for key, table in tables.items()}
        if len(set(lengths.values())) > 1:
            raise InputError(f"{self.name}: the arrays have different lengths ({lengths}); give arrays of N rows")
        starts = dict(zip(wanted, itertools.accumulate([0, *(len(w) for w in wanted.values())]), strict=False))
        order = np.array(
            [starts[key] + wanted[key][0 if j is None else j] for key, j in map(self._columns.__getitem__, numeric)]
        )
        step = max(1, CHUNK_BYTES // (8 * sum(len(w) for w in wanted.values())))
        runs = [runs_of(tables[key].rows(list(w), []), step) for key, w in wanted.items()]
        done = 0
        for parts in zip(*runs, strict=True):  # the same lengths (checked above), so the same runs
            values = parts[0].values if len(parts) == 1 else np.concatenate([part.values for part in parts], axis=1)
            if not np.array_equal(order, np.arange(values.shape[1])):
                values = values[:, order]
            count = len(values)
            yield Rows(values, None, np.arange(done, done + count, dtype=np.int64), None)
            done += count

    def where(self, row: int, line: int | None, column: int) -> str:
        key, j = self._columns[column]
        return f"array {key!r}, index [{row}]" if j is None else f"array {key!r}, index [{row}, {j}]"
