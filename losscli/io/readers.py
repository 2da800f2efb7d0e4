"""Read prediction and target arrays from CSV, TSV, NPY or JSON into float64.

Every reader takes a binary file object and gives an :class:`ArrayInput`: the
values as a C-contiguous (N samples, C outputs) float64 array, plus a way to say
where element ``[i, j]`` came from in the user's file ("line 5, column 2"), so
that any later complaint about a value can point at it. Every problem raises
:class:`~losscli.errors.InputError` with one line that names the file and the
place, says what was found, and what to do.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, NamedTuple

import numpy as np

from ..errors import InputError, UsageError

FORMATS = ("csv", "tsv", "npy", "json", "jsonl", "npz", "parquet")
_EXTENSIONS = {f".{fmt}": fmt for fmt in FORMATS}
KEYED = ("json", "npz", "parquet")  # FILE:KEY names one array inside
_EXTENSION_LIST = ".csv, .tsv, .npy, .json, .jsonl, .npz or .parquet (any of them .gz but .npz and .parquet)"
_DELIMITERS = {"csv": ",", "tsv": "\t"}
_NPY_MAGIC = b"\x93NUMPY"
STDIN = "-"

# What counts as a number in a text cell: the same forms np.loadtxt accepts.
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]?(nan|inf|infinity)", re.IGNORECASE)


class ArrayInput(NamedTuple):
    """An array read from one input, and where each of its elements came from."""

    name: str
    values: np.ndarray
    locate: Callable[[int, int], str]


def format_from_name(name: str) -> str | None:
    """The format a file name's extension implies (through a ``.gz``), or None."""
    path = Path(name)
    if path.suffix.lower() == ".gz":
        path = path.with_suffix("")
    return _EXTENSIONS.get(path.suffix.lower())


def split_key(path: str) -> tuple[str, str | None]:
    """``data.npz:preds`` -> (``data.npz``, ``preds``); other names have no key."""
    head, colon, key = path.rpartition(":")
    if colon and key and format_from_name(head) in KEYED:
        return head, key
    return path, None


def read_input(
    path: str,
    *,
    input_format: str | None = None,
    header: bool | None = None,
    stdin: BinaryIO | None = None,
) -> ArrayInput:
    """Read the file at ``path`` ("-" is ``stdin``) into an :class:`ArrayInput`.

    The format comes from the extension (``.gz`` is decompressed first); ``input_format``
    serves for stdin and for names without a known extension; stdin with no format is
    sniffed. ``FILE:KEY`` names one array of a JSON object, an .npz archive or a
    Parquet column.
    """
    stream, fmt, name, key, reopen, fast_path = open_source(path, input_format, stdin)
    with stream:
        return read_array(stream, fmt, name, header=header, reopen=reopen, path=fast_path, key=key)


def open_source(path: str, input_format: str | None, stdin: BinaryIO | None):
    """(binary stream, format, name for messages, key, reopen, path NumPy may read)."""
    if path == STDIN:
        if stdin is None:
            raise UsageError("'-' means standard input, but none is available")
        data = stdin.read()
        if data[:2] == _GZIP_MAGIC:
            data = _gunzip(data, "<stdin>")
        fmt = input_format or _sniff(data)
        return io.BytesIO(data), fmt, "<stdin>", None, lambda: io.BytesIO(data), None
    file, key = split_key(path)
    fmt = format_from_name(file) or input_format
    if fmt is None:
        raise InputError(
            f"{file}: unknown file type {Path(file).suffix or '(no extension)'!r}; use {_EXTENSION_LIST}, "
            f"or pass --input-format"
        )
    if key is not None and fmt not in KEYED:
        raise UsageError(f"{path}: only .json, .npz and .parquet files hold named arrays (FILE:KEY)")
    if file.lower().endswith(".gz"):
        with _open(file) as raw:
            data = _gunzip(raw.read(), file)
        return io.BytesIO(data), fmt, path, key, lambda: io.BytesIO(data), None
    return _open(file), fmt, path, key, lambda: _open(file), file


_GZIP_MAGIC = b"\x1f\x8b"


def _gunzip(data: bytes, name: str) -> bytes:
    import gzip
    import zlib

    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(f"{name}: is not a valid gzip file ({exc}); compress it with gzip") from None


def _open(path: str) -> BinaryIO:
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file; check the path") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory; give the path of a file") from None
    except PermissionError:
        raise InputError(f"{path}: permission denied; make the file readable") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror}); check the path") from None


def _sniff(data: bytes) -> str:
    if data.startswith(_NPY_MAGIC):
        return "npy"
    head = data.lstrip()[:1]
    if head in (b"[", b"{"):
        return "json"
    first_line = data.split(b"\n", 1)[0]
    return "tsv" if b"\t" in first_line else "csv"


def read_array(
    stream: BinaryIO,
    fmt: str,
    name: str,
    *,
    header: bool | None = None,
    reopen: Callable[[], BinaryIO] | None = None,
    path: str | None = None,
    key: str | None = None,
) -> ArrayInput:
    """Read one array in format ``fmt`` from a binary ``stream``; ``name`` is for messages.

    ``reopen`` gives the stream afresh; text formats use it to find the line of a
    value only when a message needs it. ``path``, when the stream is that file, lets
    NumPy read CSV in large chunks, which it does only for a path (a stream it reads
    line by line, about 10% slower).
    """
    if fmt in _DELIMITERS:
        values, locate = _read_text(stream, name, _DELIMITERS[fmt], header, reopen, path)
    elif fmt == "npy":
        values, locate = _read_npy(stream, name)
    elif fmt == "npz":
        values, locate = _numeric_array(_npz_array(stream, name, key), name)
    elif fmt == "json":
        values, locate = _read_json(stream, name, key)
    elif fmt == "jsonl":
        values, locate = _read_jsonl(stream, name)
    elif fmt == "parquet":
        values, locate = _numeric_array(_parquet_column(stream, name, key), name)
    else:
        raise UsageError(f"unknown input format {fmt!r}; use one of {', '.join(FORMATS)}")
    if values.size == 0:
        raise InputError(f"{name}: holds no numbers; give at least one sample")
    return ArrayInput(name, values, locate)


# --- CSV and TSV -------------------------------------------------------------------


def _text(stream: BinaryIO) -> io.TextIOWrapper:
    # utf-8-sig drops a byte-order mark; newline=None reads LF, CRLF and CR alike.
    return io.TextIOWrapper(stream, encoding="utf-8-sig", newline=None)


def _cells(line: str, delimiter: str) -> list[str]:
    return next(csv.reader([line], delimiter=delimiter))


def _count(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _is_blank(cells: list[str]) -> bool:
    return all(not cell.strip() for cell in cells)


def _is_number(cell: str) -> bool:
    return _NUMBER.fullmatch(cell.strip()) is not None


def _read_text(stream, name, delimiter, header, reopen, path):
    text = _text(stream)
    try:
        skip, header_cells = _find_header(text, delimiter, header)
        text.seek(0)
        try:
            # The fast path: NumPy's C parser, as a user would call it by hand.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "input contained no data": we say so ourselves
                values = np.loadtxt(
                    text if path is None else path,
                    encoding="utf-8-sig",
                    dtype=np.float64,
                    delimiter=delimiter,
                    skiprows=skip,
                    comments=None,
                    quotechar='"',
                    ndmin=2,
                )
        except ValueError:
            # The careful path: find the first bad cell and name it, or parse what the
            # fast path rejects but we accept (lines of spaces only).
            text.seek(0)
            values = _parse_text_slowly(text, name, delimiter, skip, header_cells)
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{name}: is not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset {exc.start}); "
            f"if it is a .npy or .json file, give it that extension or pass --input-format"
        ) from None
    finally:
        text.detach()

    def locate(i: int, j: int) -> str:
        line = _line_of_row(reopen, delimiter, skip, i) if reopen else None
        where = f"line {line}" if line else f"data row {i + 1}"
        return f"{where}, column {j + 1}"

    return np.ascontiguousarray(values), locate


def _find_header(text, delimiter: str, header: bool | None) -> tuple[int, list[str] | None]:
    """How many lines precede the data, and the header cells if there is a header."""
    line_no = 0
    for line in text:
        line_no += 1
        cells = _cells(line, delimiter)
        if _is_blank(cells):
            continue
        if header is None:
            # A header is a first row none of whose cells is a number.
            header = not any(_is_number(cell) for cell in cells)
        return (line_no, cells) if header else (line_no - 1, None)
    return line_no, None


def _parse_text_slowly(text, name, delimiter, skip, header_cells) -> np.ndarray:
    rows: list[list[float]] = []
    width = first_line = None
    for line_no, line in enumerate(text, start=1):
        if line_no <= skip:
            continue
        cells = _cells(line, delimiter)
        if _is_blank(cells):
            continue
        if width is None:
            width, first_line = len(cells), line_no
        elif len(cells) != width:
            raise InputError(
                f"{name}: line {line_no} has {_count(len(cells), 'cell')} but line {first_line} has {width}; "
                f"every row needs the same number of columns"
            )
        for col, cell in enumerate(cells, start=1):
            if not _is_number(cell):
                found = repr(cell.strip()) if cell.strip() else "an empty cell"
                hint = "; if that line is a header, pass --header" if not rows and header_cells is None else ""
                raise InputError(
                    f"{name}: line {line_no}, column {col}: {found} is not a number; "
                    f"every cell after the header must be a number{hint}"
                )
        rows.append([float(cell) for cell in cells])
    return np.array(rows, dtype=np.float64) if rows else np.empty((0, 0))


def _line_of_row(reopen, delimiter: str, skip: int, row: int) -> int | None:
    """The 1-based line number of data row ``row`` (blank lines are not rows)."""
    with reopen() as stream:
        text = _text(stream)
        seen = -1
        for line_no, line in enumerate(text, start=1):
            if line_no <= skip or _is_blank(_cells(line, delimiter)):
                continue
            seen += 1
            if seen == row:
                return line_no
    return None


# --- NPY ----------------------------------------------------------------------------


def _read_npy(stream: BinaryIO, name: str):
    magic = stream.read(len(_NPY_MAGIC))
    if magic != _NPY_MAGIC:
        what = "an .npz archive" if magic.startswith(b"PK") else "not a .npy file"
        raise InputError(f"{name}: is {what} (no NPY header); save one array with np.save")
    stream.seek(0)
    try:
        # allow_pickle=False: an object array is refused before anything is unpickled.
        array = np.lib.format.read_array(stream, allow_pickle=False)
    except ValueError as exc:
        if "allow_pickle" in str(exc):
            raise InputError(
                f"{name}: holds pickled Python objects, which losscli never loads; "
                f"save a numeric array instead (np.save with a float or int dtype)"
            ) from None
        raise InputError(f"{name}: is not a valid .npy file ({exc}); write it with np.save") from None
    except (EOFError, OSError) as exc:
        raise InputError(f"{name}: is truncated or damaged ({exc}); write it again with np.save") from None
    return _numeric_array(array, name)


def _numeric_array(array: np.ndarray, name: str):
    """A NumPy array as (N, C) float64 values, with its index locator."""
    if array.dtype.kind not in "biuf":
        raise InputError(f"{name}: holds values of dtype {array.dtype}, not real numbers; save a float or int array")
    if array.ndim not in (1, 2):
        raise InputError(
            f"{name}: has {array.ndim} dimensions (shape {array.shape}); losscli takes a 1-D (N,) "
            f"or 2-D (N samples, C outputs) array, so reshape it first"
        )
    one_d = array.ndim == 1
    if array.size == 0:
        array = array.reshape(0, 0)
    elif one_d:
        array = array.reshape(len(array), 1)
    values = np.ascontiguousarray(array, dtype=np.float64)

    def locate(i: int, j: int) -> str:
        return f"index [{i}]" if one_d else f"index [{i}, {j}]"

    return values, locate


# --- JSON ---------------------------------------------------------------------------


def _load_json(stream: BinaryIO, name: str):
    import json  # here, not at the top: start-up time matters for the other formats

    try:
        return json.load(stream)
    except UnicodeDecodeError:
        raise InputError(f"{name}: is not UTF-8 text; give a .npy file its extension") from None
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{name}: line {exc.lineno}, column {exc.colno}: invalid JSON ({exc.msg}); "
            f"give a list of numbers or a list of equal-length lists of numbers"
        ) from None


def _pick_key(data: dict, key: str, name: str):
    if key not in data:
        keys = ", ".join(map(str, list(data)[:10]))
        raise InputError(f"{name}: no key {key!r}; the keys are {keys}")
    return data[key]


def _read_json(stream: BinaryIO, name: str, key: str | None = None):
    data = _load_json(stream, name)
    if isinstance(data, dict):
        if key is None:
            keys = ", ".join(map(str, list(data)[:10]))
            raise InputError(f"{name}: top level is an object; name one of its arrays as FILE:KEY (keys: {keys})")
        data = _pick_key(data, key, name)
    elif key is not None:
        raise InputError(f"{name}: top level is {_json_kind(data)}, not an object with keys")
    return _json_rows(data, name)


def _json_rows(data, name: str):
    if not isinstance(data, list):
        raise InputError(
            f"{name}: top level is {_json_kind(data)}, not a list; give a list of numbers "
            f"or a list of equal-length lists of numbers"
        )
    if data and all(isinstance(row, list) for row in data):
        width = len(data[0])
        for i, row in enumerate(data):
            if len(row) != width:
                raise InputError(
                    f"{name}: [{i}] has {_count(len(row), 'number')} but [0] has {width}; "
                    f"every row needs the same length"
                )
            _check_json_numbers(row, name, f"[{i}]")
        one_d = False
    else:
        _check_json_numbers(data, name, "")
        one_d = True
    values = np.array(data, dtype=np.float64)
    if values.size == 0:
        values = values.reshape(0, 0)
    elif one_d:
        values = values.reshape(len(values), 1)

    def locate(i: int, j: int) -> str:
        return f"[{i}]" if one_d else f"[{i}][{j}]"

    return values, locate


def _read_jsonl(stream: BinaryIO, name: str):
    """One sample per line: a number, or a list of numbers."""
    import json

    rows, lines = [], []
    for line_no, line in enumerate(_text(stream), start=1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise InputError(f"{name}: line {line_no}: invalid JSON ({exc.msg}); give one JSON value a line") from None
        if isinstance(rows[-1], dict):
            raise InputError(f"{name}: line {line_no} is an object; pick its keys with --pred-col and --target-col")
        lines.append(line_no)
    values, _ = _json_rows(rows, name)

    def locate(i: int, j: int) -> str:
        return f"line {lines[i]}" + (f", item {j}" if values.shape[1] > 1 else "")

    return values, locate


def _npz_array(stream: BinaryIO, name: str, key: str | None) -> np.ndarray:
    import zipfile

    try:
        archive = np.load(stream, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise InputError(f"{name}: is not a valid .npz archive ({exc}); write it with np.savez") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise InputError(f"{name}: is a .npy file, not an .npz archive; give it the .npy extension")
    with archive:
        key = _one_or_named(name, list(archive.files), key, "array")
        try:
            return archive[key]
        except ValueError:  # an object array: refused, never unpickled
            raise InputError(
                f"{name}: array {key!r} holds pickled Python objects, which losscli never loads; "
                f"save numeric arrays with np.savez"
            ) from None


def _parquet_column(stream: BinaryIO, name: str, key: str | None) -> np.ndarray:
    table = read_parquet_table(stream, name)
    return table.column(_one_or_named(name, list(table.column_names), key, "column")).to_numpy()


def _one_or_named(name: str, names: list[str], key: str | None, what: str) -> str:
    """The named array of a file, or its only one."""
    listed = ", ".join(names[:10]) + (" ..." if len(names) > 10 else "")
    if key is None:
        if len(names) != 1:
            raise InputError(f"{name}: holds {len(names)} {what}s; name one as FILE:KEY ({listed})")
        return names[0]
    if key not in names:
        raise InputError(f"{name}: no {what} {key!r}; the {what}s are {listed}")
    return key


def read_parquet_table(stream: BinaryIO, name: str):
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise UsageError(f"{name}: reading Parquet needs pyarrow: pip install 'losscli[parquet]'") from None
    try:
        return pq.read_table(stream)
    except Exception as exc:  # pyarrow raises its own ArrowInvalid family
        raise InputError(f"{name}: is not a valid Parquet file ({exc})") from None


def _check_json_numbers(items: list, name: str, prefix: str) -> None:
    for i, item in enumerate(items):
        # bool is an int subclass in Python; true/false are not numbers here.
        if type(item) not in (int, float):
            what = "a list inside a row" if isinstance(item, list) else _json_kind(item)
            raise InputError(
                f"{name}: {prefix}[{i}]: expected a number, found {what}; give a list of numbers "
                f"or a list of equal-length lists of numbers"
            )


def _json_kind(value) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"the string {value!r}"
    if value is None:
        return "null"
    import json

    return json.dumps(value)
