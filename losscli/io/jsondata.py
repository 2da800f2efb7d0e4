"""JSON and JSON Lines, in every shape pandas writes them.

A JSON document is read whole (with limits on nesting and on the size of integers, so
a hostile file costs a clear error, not a crash), then taken as a table:

- a list of numbers (one column), or of equal-length lists (a matrix: pandas ``values``);
- a list of objects (pandas ``records``);
- an object of arrays (named arrays: pick one as ``FILE:KEY``);
- pandas ``split`` (``columns``/``index``/``data``), ``table`` (``schema``/``data``),
  ``index`` and ``columns`` orients, and a Series' ``index`` orient ``{"label": number}``.

JSON Lines are read a chunk of lines at a time: one number, list or object a line.
``true``/``false`` are 1 and 0; ``null`` is a missing value.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import BinaryIO

import numpy as np

from ..errors import InputError
from .source import read_chunk
from .table import Header, Layout, Rows, check_width, position_names

MAX_INT_DIGITS = 400  # a float64 holds at most 309 integer digits: anything longer is an error, not a hang
CHUNK_BYTES = 1 << 22


def _int(text: str):
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise InputError(f"an integer of {len(text):,} digits is beyond any float64")
    return int(text)


def loads(data: bytes | str, name: str, where: str = ""):
    """``json.loads`` with losscli's limits and one-line errors."""
    try:
        return json.loads(data, parse_int=_int)
    except InputError as exc:
        raise InputError(f"{name}: {where}{exc}; losscli reads float64 numbers") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{name}: is not UTF-8 text (byte offset {exc.start}); save it as UTF-8") from None
    except json.JSONDecodeError as exc:
        at = where or f"line {exc.lineno}, column {exc.colno}: "
        raise InputError(f"{name}: {at}invalid JSON ({exc.msg})") from None
    except RecursionError:
        raise InputError(f"{name}: {where}JSON nested too deeply; give a list of numbers or of rows") from None
    except ValueError as exc:  # Python's own limit on integer digits, and the like
        raise InputError(f"{name}: {where}invalid JSON number ({exc})") from None


HELD_PER_BYTE = 16  # memory a JSON document takes while parsed, per byte of it ("0.5," is a 24-byte float)


def _check_memory(text: bytes, name: str) -> None:
    """A document is parsed whole into Python objects: refused, before parsing, when that cannot fit."""
    from .memory import available

    need = HELD_PER_BYTE * len(text)
    free = available() if need > 1 << 28 else None  # below 256 MiB: not worth a look
    if free is not None and need > free:
        raise InputError(
            f"{name}: a JSON document is read whole, about {HELD_PER_BYTE} times its size ({need / (1 << 30):.1f} GiB "
            f"here), more than the {free / (1 << 30):.1f} GiB of memory available; write it as JSON Lines (one row "
            f"or record a line, pandas' to_json(orient='records', lines=True)), CSV or .npy, which are read in blocks"
        )


def _kind(value) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"the string {value[:40]!r}"
    if value is None:
        return "null"
    return json.dumps(value)


def json_number(value, name: str, where: str) -> float:
    """A JSON scalar as a number: true/false 1/0, null missing (NaN), a number string read."""
    if value is None:
        return np.nan
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        try:
            return float(value)
        except OverflowError:
            digits = len(str(value))
            raise InputError(f"{name}: {where}: an integer of {digits:,} digits is beyond any float64") from None
    raise InputError(f"{name}: {where}: expected a number, found {_kind(value)}")


class JsonTable:
    """A JSON document as a table of named columns (and row labels, when pandas wrote some)."""

    format = "json"

    def __init__(self, stream: BinaryIO, name: str, key: str | None = None):
        self.name, self.details = name, {}
        text = read_chunk(stream, -1, name)
        _check_memory(text, name)
        data = loads(text, name)
        del text
        self._columns, self._labels, shape = _frame(data, name)
        names = tuple(self._columns)
        self._one_d = shape == "list"
        self.details["shape"] = shape
        if shape == "arrays":
            self.details["arrays"] = list(dict.fromkeys(n.split("[")[0] for n in names))
        index = ()
        if self._labels is not None:
            names = ("(index)", *names)
            index = (0,)
        header = None if shape in ("list", "matrix") else Header(tuple(self._columns), f"pandas orient {shape!r}")
        self.layout = Layout(names, index=index, header=header, index_how="the JSON's index" if index else "")
        self._data_names = list(self._columns)
        self.key = key

    def _column(self, position: int) -> list:
        if self._labels is not None:
            if position == 0:
                return self._labels
            position -= 1
        return self._columns[self._data_names[position]]

    def rows(self, numeric: list[int], text: list[int]) -> Iterator[Rows]:
        count = len(next(iter(self._columns.values()))) if self._columns else 0
        values = np.empty((count, len(numeric)), dtype=np.float64)
        for k, position in enumerate(numeric):
            values[:, k] = self._numbers(position)
        texts = None
        if text:
            texts = np.empty((count, len(text)), dtype=object)
            for k, position in enumerate(text):
                texts[:, k] = [_text(v) for v in self._column(position)]
        yield Rows(values, texts, np.arange(count, dtype=np.int64), None)

    def _numbers(self, position: int) -> np.ndarray:
        column = self._column(position)
        try:  # plain numbers (and true/false) through NumPy; anything else (null too) named below
            array = np.array(column)
            if array.dtype.kind in "biuf" and array.shape == (len(column),):
                return array.astype(np.float64)
        except (TypeError, ValueError, OverflowError):
            pass
        return np.array([json_number(v, self.name, self.where(i, None, position)) for i, v in enumerate(column)])

    def where(self, row: int, line: int | None, column: int) -> str:
        if self._one_d:
            return f"[{row}]"
        name = self.layout.names[column]
        if self.details["shape"] == "matrix":
            return f"[{row}][{column}]"
        return f"row {row}, key {name!r}"


def _text(value) -> str:
    """An id or label as text: 7 stays "7", not "7.0"."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value if isinstance(value, str) else json.dumps(value)


def _frame(data, name: str):
    """(columns {name: list}, row labels or None, the shape it was read as)."""
    if isinstance(data, list):
        return _list_frame(data, name)
    if not isinstance(data, dict):
        raise InputError(f"{name}: top level is {_kind(data)}, not a list or an object")
    if {"columns", "data"} <= data.keys() and isinstance(data["data"], list):
        return _split_frame(data, name)
    if {"name", "data", "index"} <= data.keys() and isinstance(data["data"], list):
        labels = _index(data, len(data["data"]), name)
        return {str(data["name"]): data["data"]}, labels, "split"
    if {"schema", "data"} <= data.keys() and isinstance(data["data"], list):
        return _table_frame(data, name)
    values = list(data.values())
    if values and all(isinstance(v, list) for v in values):
        return _arrays_frame(data, name)
    if values and all(isinstance(v, dict) for v in values):
        return _nested_frame(data, name)
    if values and all(not isinstance(v, list | dict) for v in values):
        # a Series written by pandas: {"label": value}
        return {"0": values}, list(data), "index"
    raise InputError(f"{name}: an object whose values mix arrays, objects and numbers; give a table")


def _list_frame(data: list, name: str):
    if data and all(isinstance(row, dict) for row in data):
        keys = list(dict.fromkeys(k for row in data for k in row))
        return {k: [row.get(k) for row in data] for k in keys}, None, "records"
    if data and all(isinstance(row, list) for row in data):
        width = len(data[0])
        check_width(name, width)
        for i, row in enumerate(data):
            if len(row) != width:
                raise InputError(
                    f"{name}: [{i}] has {len(row)} number{'s' if len(row) != 1 else ''} but [0] has {width}; "
                    f"every row needs the same length"
                )
        return {str(j): [row[j] for row in data] for j in range(width)}, None, "matrix"
    bad = next((i for i, v in enumerate(data) if isinstance(v, list | dict)), None)
    if bad is not None:
        raise InputError(
            f"{name}: [{bad}]: expected a number, found {_kind(data[bad])}; give a list of numbers or a list of "
            f"equal-length lists of numbers"
        )
    return {"0": data}, None, "list"


def _listed(data: dict, key: str, name: str) -> list:
    """``data[key]``, which pandas writes as a list."""
    value = data[key]
    if not isinstance(value, list):
        raise InputError(f"{name}: {key!r} is {_kind(value)}, where pandas writes a list; write the file again")
    return value


def _index(data: dict, rows: int, name: str) -> list[str] | None:
    """The row labels of a 'split' JSON: one per row of data."""
    if "index" not in data:
        return None
    index = _listed(data, "index", name)
    if len(index) != rows:
        raise InputError(f"{name}: 'index' holds {len(index):,} labels for {rows:,} rows of 'data'; give one per row")
    return [_text(v) for v in index]


def _split_frame(data: dict, name: str):
    columns = [str(c) for c in _listed(data, "columns", name)]
    rows = data["data"]
    for i, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != len(columns):
            raise InputError(f"{name}: data[{i}] is not a row of {len(columns)} values")
    labels = _index(data, len(rows), name)
    return {c: [row[j] for row in rows] for j, c in enumerate(columns)}, labels, "split"


def _table_frame(data: dict, name: str):
    records = data["data"]
    schema = data["schema"]
    if not isinstance(schema, dict):
        raise InputError(f"{name}: 'schema' is {_kind(schema)}, where pandas' 'table' JSON has an object")
    fields = (
        [f.get("name") for f in _listed(schema, "fields", name) if isinstance(f, dict)] if "fields" in schema else []
    )
    keys = _listed(schema, "primaryKey", name) if "primaryKey" in schema else []
    for field in [*fields, *keys]:
        if isinstance(field, list | dict):
            raise InputError(f"{name}: a field of 'schema' is named by {_kind(field)}; a name is text or a number")
    keys = [_text(k) for k in keys]  # JSON keys are text: a field named 0 is the key "0"
    if not all(isinstance(r, dict) for r in records):
        raise InputError(f"{name}: a pandas 'table' JSON whose data is not a list of objects")
    columns = {_text(f): [r.get(_text(f)) for r in records] for f in fields if _text(f) not in keys}
    labels = [_text(r.get(keys[0])) for r in records] if len(keys) == 1 else None
    return columns, labels, "table"


def _arrays_frame(data: dict, name: str):
    """{"key": [...]}: named arrays. A key holding rows becomes columns key[0], key[1], ..."""
    columns: dict[str, list] = {}
    length = None
    for key, array in data.items():
        if array and all(isinstance(row, list) for row in array):
            width = len(array[0])
            for j in range(width):
                columns[f"{key}[{j}]"] = [row[j] if len(row) == width else None for row in array]
        else:
            columns[str(key)] = array
        length = len(array) if length is None else length
        if len(array) != length:
            raise InputError(f"{name}: array {key!r} has {len(array)} rows but the first has {length}")
    return columns, None, "arrays"


def _nested_frame(data: dict, name: str):
    """pandas' 'columns' orient {column: {label: value}} (DataFrame.to_json's default), or its
    'index' orient {label: {column: value}}: whichever has fewer columns than rows."""
    outer = list(data)
    inner = list(dict.fromkeys(k for v in data.values() for k in v))
    if len(outer) > len(inner):  # more outer keys than inner: the outer keys are the rows
        return {str(c): [data[r].get(c) for r in outer] for c in inner}, [str(r) for r in outer], "index"
    return {str(c): [data[c].get(r) for r in inner] for c in outer}, [str(r) for r in inner], "columns"


# --- JSON Lines ---------------------------------------------------------------------------


class JsonlTable:
    """JSON Lines: one number, list of numbers, or object a line, read a chunk at a time."""

    format = "jsonl"

    def __init__(self, stream: BinaryIO, name: str, chunk_bytes: int | None = None):
        self.stream, self.name, self.chunk_bytes = stream, name, chunk_bytes or CHUNK_BYTES
        self.details = {}
        self._pending = b""
        first = self._first_record()
        if isinstance(first, dict):
            self._keys = list(first)
            self.layout = Layout(tuple(str(k) for k in self._keys), header=Header(tuple(self._keys), "keys of line 1"))
        elif isinstance(first, list):
            self._keys = None
            check_width(name, len(first))
            self.layout = Layout(position_names(len(first)))
        else:
            self._keys = None
            self.layout = Layout(position_names(1) if first is not None else ())

    def _first_record(self):
        """The first non-blank line's value (None for an empty input); what was read is kept."""
        buffer = b""
        while True:
            more = read_chunk(self.stream, 1 << 16, self.name)
            buffer += more
            lines = buffer.split(b"\n")
            for number, raw in enumerate(lines if not more else lines[:-1], start=1):
                if raw.strip():
                    self._pending = buffer
                    return loads(raw, self.name, f"line {number}: ")
            if not more:
                self._pending = buffer
                return None

    def _chunks(self) -> Iterator[tuple[bytes, int]]:
        line, pending = 1, self._pending
        while True:
            more = read_chunk(self.stream, self.chunk_bytes, self.name)
            buffer = pending + more
            cut = len(buffer) if not more else buffer.rfind(b"\n") + 1
            if cut:
                yield buffer[:cut], line
                line += buffer.count(b"\n", 0, cut)
            pending = buffer[cut:]
            if not more:
                return

    def rows(self, numeric: list[int], text: list[int]) -> Iterator[Rows]:
        row = 0
        for chunk, line in self._chunks():
            records, lines = self._parse(chunk, line)
            if not records:
                continue
            values, texts = self._columns(records, lines, numeric, text)
            count = len(records)
            yield Rows(values, texts, np.arange(row, row + count, dtype=np.int64), np.asarray(lines, dtype=np.int64))
            row += count

    def _parse(self, chunk: bytes, line: int):
        raws = chunk.split(b"\n")
        numbers = [line + k for k, raw in enumerate(raws) if raw.strip()]
        kept = [raw for raw in raws if raw.strip()]
        if not kept:
            return [], []
        try:  # one parse for the whole chunk, each line in brackets of its own; line by line to name a bad one
            wrapped = json.loads(b"[[" + b"],[".join(kept) + b"]]", parse_int=_int)
            # A line that is not one JSON value ("2,3") shows as a count or a length that is off.
            if len(wrapped) == len(kept) and all(len(one) == 1 for one in wrapped):
                return [one[0] for one in wrapped], numbers
        except (ValueError, RecursionError, InputError):
            pass
        return [loads(raw, self.name, f"line {n}: ") for raw, n in zip(kept, numbers, strict=True)], numbers

    def _columns(self, records: list, lines: list[int], numeric: list[int], text: list[int]):
        count = len(records)
        values = np.empty((count, len(numeric)), dtype=np.float64)
        texts = np.empty((count, len(text)), dtype=object) if text else None
        fast = self._fast_values(records, numeric)
        if fast is not None:
            values[:] = fast
        for i, record in enumerate(records):
            if fast is not None and not text:
                break
            cells = self._cells(record, lines[i])
            if fast is None:
                for k, position in enumerate(numeric):
                    values[i, k] = json_number(cells(position), self.name, self.where(i, lines[i], position))
            for k, position in enumerate(text):
                texts[i, k] = _text(cells(position))
        return values, texts

    def _fast_values(self, records: list, numeric: list[int]) -> np.ndarray | None:
        """The numbers through NumPy in one go, or None when any record needs a closer look."""
        try:
            if self._keys is not None:
                keys = [self._keys[position] for position in numeric]
                array = np.array([[record[key] for record in records] for key in keys]).T
            else:
                array = np.array(records)
                array = array.reshape(len(records), -1)[:, numeric] if array.ndim <= 2 else array
        except (TypeError, ValueError, KeyError, OverflowError, IndexError):
            return None
        if array.dtype.kind not in "biuf" or array.shape != (len(records), len(numeric)):
            return None
        return array.astype(np.float64)

    def _cells(self, record, line: int):
        if self._keys is not None:
            if not isinstance(record, dict):
                raise InputError(f"{self.name}: line {line} is {_kind(record)}, not an object like line 1")
            return lambda position: record.get(self._keys[position])
        if isinstance(record, list):
            if len(record) != len(self.layout.names):
                raise InputError(
                    f"{self.name}: line {line} has {len(record)} numbers but the first line has "
                    f"{len(self.layout.names)}; every line needs the same length"
                )
            return lambda position: record[position]
        if isinstance(record, dict):
            raise InputError(f"{self.name}: line {line} is an object; pick its keys with --pred-col and --target-col")
        return lambda position: record

    def where(self, row: int, line: int | None, column: int) -> str:
        at = f"line {line}" if line is not None else f"record {row + 1}"
        if self._keys is not None:
            return f"{at}, key {self.layout.names[column]!r}"
        return at if len(self.layout.names) == 1 else f"{at}, item {column}"
