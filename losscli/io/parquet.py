"""Parquet through pyarrow (the optional extra ``losscli[parquet]``), read by record batches.

pandas' index, stored as ``__index_level_0__`` or under the name the pandas metadata gives,
is row labels, not an output.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

import numpy as np

from ..errors import InputError, UsageError
from .table import Header, Layout, Rows

BATCH_ROWS = 1 << 16


def _modules():
    try:
        import pyarrow
        import pyarrow.compute
        import pyarrow.parquet
    except ImportError:
        raise UsageError("reading Parquet needs pyarrow: pip install 'losscli[parquet]'") from None
    return pyarrow, pyarrow.compute, pyarrow.parquet


def _pandas_index(schema) -> list[str]:
    try:
        metadata = schema.pandas_metadata or {}
    except Exception:  # metadata that is not JSON: no index known
        return []
    if not isinstance(metadata, dict) or not isinstance(metadata.get("index_columns"), list):
        return []  # JSON, but not pandas' object: no index known either
    return [name for name in metadata["index_columns"] if isinstance(name, str)]


class ParquetTable:
    format = "parquet"

    def __init__(self, stream: BinaryIO, name: str, batch_rows: int = BATCH_ROWS):
        pa, self._pc, pq = _modules()
        self._pa, self.name, self.batch_rows = pa, name, batch_rows
        try:
            self.file = pq.ParquetFile(stream)
            schema = self.file.schema_arrow
            names = tuple(schema.names)
        except Exception as exc:  # pyarrow raises its own ArrowInvalid family, and UnicodeDecodeError
            raise InputError(f"{name}: is not a valid Parquet file ({str(exc)[:200]})") from None
        index_names = set(_pandas_index(schema)) | {n for n in names if n.startswith("__index_level_")}
        index = tuple(k for k, n in enumerate(names) if n in index_names)
        self.layout = Layout(
            names,
            index=index,
            header=Header(names, "the Parquet schema"),
            index_how="pandas' index (the pandas metadata)" if index else "",
        )
        self.details = {"row_groups": self.file.num_row_groups}

    def rows(self, numeric: list[int], text: list[int]) -> Iterator[Rows]:
        names = self.layout.names
        wanted = list(dict.fromkeys(names[k] for k in (*numeric, *text)))
        row = 0
        try:
            batches = self.file.iter_batches(batch_size=self.batch_rows, columns=wanted)
            for batch in batches:
                count = batch.num_rows
                values = np.empty((count, len(numeric)), dtype=np.float64)
                for k, position in enumerate(numeric):
                    values[:, k] = self._numbers(batch.column(wanted.index(names[position])), position, row)
                texts = None
                if text:
                    texts = np.empty((count, len(text)), dtype=object)
                    for k, position in enumerate(text):
                        column = batch.column(wanted.index(names[position]))
                        texts[:, k] = ["" if v is None else _text(v) for v in column.to_pylist()]
                yield Rows(values, texts, np.arange(row, row + count, dtype=np.int64), None)
                row += count
        except InputError:
            raise
        except Exception as exc:
            raise InputError(f"{self.name}: cannot be read ({str(exc)[:200]})") from None

    def _numbers(self, column, position: int, row: int) -> np.ndarray:
        pa = self._pa
        kind = column.type
        if pa.types.is_dictionary(kind):
            column, kind = column.dictionary_decode(), kind.value_type
        if not (pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind)):
            raise InputError(f"{self.name}: column {self.layout.names[position]!r} holds {kind} values, not numbers")
        return self._pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False)

    def where(self, row: int, line: int | None, column: int) -> str:
        return f"row {row + 1}, column {self.layout.names[column]!r}"


def _text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
