"""Open an input as a :class:`~losscli.io.table.Table`, whatever its format."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from typing import BinaryIO, NamedTuple

import numpy as np

from ..errors import InputError
from .source import Limits, Source, open_binary, position_of
from .table import Layout, Rows


class Opened(NamedTuple):
    table: object  # a Table
    key: str | None  # a column to pick (FILE:KEY), when the key names a column rather than an array
    close: object  # closes what was opened
    position: tuple | None = None  # (how far into the file it has read, its size), for progress


def open_table(source: Source, stdin: BinaryIO | None, header: bool | None, limits: Limits, chunk_bytes=None):
    """The table behind ``source``; ``FILE:KEY`` of an .npz archive opens that array."""
    stream, fmt = open_binary(source, stdin, limits)
    try:
        table, key = _table(stream, fmt, source, header, limits, chunk_bytes)
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


def _table(stream, fmt: str, source: Source, header, limits: Limits, chunk_bytes):
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


class NpzColumns:
    """An .npz archive as a table: each array a column (a 2-D array ``a`` gives ``a[0]``, ``a[1]``, ...)."""

    format = "npz"

    def __init__(self, archive):
        self.archive, self.name = archive, archive.name
        names: list[str] = []
        self._columns: list[tuple[str, int | None]] = []
        for key in archive.keys:
            header = archive.table(key).header
            if len(header.shape) == 2 and header.width != 1:
                names += [f"{key}[{j}]" for j in range(header.width)]
                self._columns += [(key, j) for j in range(header.width)]
            else:
                names.append(key)
                self._columns.append((key, None))
        self.layout = Layout(tuple(names))
        self.details = {"arrays": list(archive.keys)}

    def rows(self, numeric: list[int], text: list[int]) -> Iterator[Rows]:
        if text:
            raise InputError(f"{self.name}: an .npz archive holds numbers only; ids must be a text column")
        arrays = {}
        for position in numeric:
            key, _ = self._columns[position]
            if key not in arrays:
                parts = list(self.archive.table(key).rows([*range(self.archive.table(key).header.width)], []))
                arrays[key] = np.concatenate([p.values for p in parts]) if parts else np.empty((0, 1))
        lengths = {key: len(a) for key, a in arrays.items()}
        if len(set(lengths.values())) > 1:
            raise InputError(f"{self.name}: the arrays have different lengths ({lengths}); give arrays of N rows")
        columns = []
        for position in numeric:
            key, j = self._columns[position]
            columns.append(arrays[key][:, 0 if j is None else j])
        count = len(columns[0]) if columns else 0
        yield Rows(np.column_stack(columns) if columns else np.empty((0, 0)), None, np.arange(count), None)

    def where(self, row: int, line: int | None, column: int) -> str:
        key, j = self._columns[column]
        return f"array {key!r}, index [{row}]" if j is None else f"array {key!r}, index [{row}, {j}]"
