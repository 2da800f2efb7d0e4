"""One file holding both predictions and targets: pick columns by name or index.

``losscli mse results.csv --pred-col y_pred --target-col y_true`` reads a CSV/TSV with
a header (or, by 0-based index, without), JSON Lines (keys), a JSON object of arrays,
an .npz archive or a Parquet file (through pyarrow). Several columns each give several
outputs: ``--pred-col p0,p1,p2``. ``--id-col`` carries sample ids into the outputs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import BinaryIO, NamedTuple

import numpy as np

from ..errors import InputError, UsageError
from .readers import (
    _DELIMITERS,
    ArrayInput,
    _cells,
    _find_header,
    _is_blank,
    _is_number,
    _load_json,
    _npz_array,
    _text,
    open_source,
    read_parquet_table,
)


class Columns(NamedTuple):
    """The selected columns of one file: predictions, targets and sample ids."""

    preds: ArrayInput
    targets: ArrayInput
    ids: list[str] | None


def split_names(spec: str) -> list[str]:
    return [part.strip() for part in spec.split(",") if part.strip()]


def read_columns(
    path: str,
    pred_cols: list[str],
    target_cols: list[str],
    id_col: str | None = None,
    *,
    input_format: str | None = None,
    header: bool | None = None,
    stdin: BinaryIO | None = None,
) -> Columns:
    stream, fmt, name, key, reopen, fast_path = open_source(path, input_format, stdin)
    if key is not None:
        raise UsageError(f"{path}: with --pred-col, give the file without :KEY")
    with stream:
        if fmt in _DELIMITERS:
            names, column = _text_table(stream, name, _DELIMITERS[fmt], header, reopen, fast_path)
        elif fmt == "jsonl":
            names, column = _jsonl_table(stream, name)
        elif fmt == "json":
            names, column = _json_table(stream, name)
        elif fmt == "npz":
            names, column = _npz_table(stream, name)
        elif fmt == "parquet":
            table = read_parquet_table(stream, name)
            names = list(table.column_names)

            def column(col: str) -> np.ndarray:
                return table.column(col).to_numpy(zero_copy_only=False)
        else:
            raise UsageError(f"{name}: --pred-col needs a file of named columns (CSV, TSV, JSONL, JSON, NPZ, Parquet)")
        preds = _numbers(name, names, column, pred_cols, "--pred-col")
        targets = _numbers(name, names, column, target_cols, "--target-col")
        ids = None
        if id_col is not None:
            ids = [str(x) for x in column(_resolve(name, names, id_col, "--id-col"))]
    return Columns(preds, targets, ids)


def _resolve(name: str, names: list[str], wanted: str, flag: str) -> str:
    if wanted in names:
        return wanted
    if wanted.isdigit() and int(wanted) < len(names):
        return names[int(wanted)]
    shown = ", ".join(names[:12]) + (" ..." if len(names) > 12 else "")
    raise InputError(f"{name}: no column {wanted!r} for {flag}; the columns are {shown} (or 0-based indices)")


def _numbers(name, names, column: Callable[[str], np.ndarray], wanted: list[str], flag: str) -> ArrayInput:
    chosen = [_resolve(name, names, col, flag) for col in wanted]
    arrays = []
    for col in chosen:
        raw = np.asarray(column(col))
        try:
            arrays.append(raw.astype(np.float64))
        except (TypeError, ValueError):
            bad = next(i for i, x in enumerate(raw) if not _is_number(str(x)))
            raise InputError(
                f"{name}: row {bad + 1} of column {col!r}: {str(raw[bad])!r} is not a number; {flag} takes numeric "
                f"columns"
            ) from None
    values = np.ascontiguousarray(np.column_stack(arrays))
    if values.size == 0:
        raise InputError(f"{name}: holds no rows; give at least one sample")

    def locate(i: int, j: int) -> str:
        return f"row {i + 1}, column {chosen[j]!r}"

    return ArrayInput(f"{name} ({', '.join(chosen)})", values, locate)


def _text_table(stream, name, delimiter, header, reopen, path):
    text = _text(stream)
    try:
        skip, header_cells = _find_header(text, delimiter, header)
        text.seek(0)
        first = next((_cells(line, delimiter) for k, line in enumerate(text, 1) if k > skip and line.strip()), [])
    except UnicodeDecodeError:
        raise InputError(f"{name}: is not UTF-8 text") from None
    finally:
        text.detach()
    width = len(header_cells) if header_cells else len(first)
    names = [cell.strip() for cell in header_cells] if header_cells else [str(k) for k in range(width)]
    slow_table = []  # parsed in Python only if NumPy's parser refuses the file

    def column(col: str) -> np.ndarray:
        k = names.index(col)
        for dtype in (np.float64, str):  # numbers through NumPy's C parser; ids as text
            source = path if path is not None else _text(reopen())
            try:
                return np.loadtxt(
                    source,
                    dtype=dtype,
                    delimiter=delimiter,
                    skiprows=skip,
                    usecols=[k],
                    comments=None,
                    quotechar='"',
                    ndmin=1,
                    encoding="utf-8-sig",
                )
            except ValueError:
                continue
        if not slow_table:
            slow_table.append(_python_table(reopen, name, delimiter, skip, width))
        return slow_table[0][:, k]

    return names, column


def _python_table(reopen, name, delimiter, skip, width) -> np.ndarray:
    """Every cell as text, with a clear error for a ragged row."""
    rows = []
    with reopen() as stream:
        for line_no, line in enumerate(_text(stream), start=1):
            cells = _cells(line, delimiter)
            if line_no <= skip or _is_blank(cells):
                continue
            if len(cells) != width:
                raise InputError(f"{name}: line {line_no} has {len(cells)} cells but the header has {width}")
            rows.append([cell.strip() for cell in cells])
    return np.array(rows, dtype=object).reshape(len(rows), width)


def _jsonl_table(stream, name):
    import json

    records = []
    for line_no, line in enumerate(_text(stream), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{name}: line {line_no}: invalid JSON ({exc.msg})") from None
        if not isinstance(record, dict):
            raise InputError(f"{name}: line {line_no} is not an object; --pred-col picks keys of objects")
        records.append(record)
    names = list(dict.fromkeys(key for record in records for key in record))

    def column(col: str) -> np.ndarray:
        missing = next((k for k, record in enumerate(records) if col not in record), None)
        if missing is not None:
            raise InputError(f"{name}: record {missing + 1} has no key {col!r}")
        values = [record[col] for record in records]
        bad = next((k for k, v in enumerate(values) if isinstance(v, bool | list | dict) or v is None), None)
        if bad is not None:
            raise InputError(f"{name}: record {bad + 1}: {col!r} is {json.dumps(values[bad])}, not a number")
        return np.array(values, dtype=object)

    return names, column


def _json_table(stream, name):
    data = _load_json(stream, name)
    if not isinstance(data, dict):
        raise InputError(f"{name}: --pred-col needs a JSON object of arrays (keys are the columns)")
    names = list(data)

    def column(col: str) -> np.ndarray:
        values = data[col]
        if not isinstance(values, list):
            raise InputError(f"{name}: key {col!r} is not an array")
        return np.array(values, dtype=object)

    return names, column


def _npz_table(stream, name):
    archive_bytes = stream.read()
    import io

    names = list(np.load(io.BytesIO(archive_bytes), allow_pickle=False).files)

    def column(col: str) -> np.ndarray:
        return _npz_array(io.BytesIO(archive_bytes), name, col)

    return names, column
