"""Delimited text: CSV, TSV, whitespace (``np.savetxt``), semicolons.

The first lines are read once to learn the layout: the delimiter, whether the first
row is a header (a cell that is not a number; or pandas' default names ``0,1,...``
above non-integer numbers), and which leading columns are pandas' row labels (an empty
or ``Unnamed: 0`` header cell). Then the data is read in chunks of whole lines, each
parsed by the fastest parser at hand: pyarrow's CSV reader when it is installed, else
NumPy's ``loadtxt``. Either gives up on anything unusual (a missing value, a boolean, a
bad cell) to a careful Python parser, which reads missing values and booleans and names
the line and column of a bad cell; so every parser reads the same numbers.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from collections.abc import Iterator
from typing import BinaryIO, NamedTuple

import numpy as np

from ..errors import InputError
from . import cells as C
from .source import read_chunk
from .table import MAX_COLUMNS, Header, Layout, Rows, check_width, position_names

CHUNK_BYTES = 4 << 20  # 4 MiB of lines per parse: large enough for the parsers, small enough to bound memory
PYARROW_FROM = 1 << 20  # a chunk this large pays for importing pyarrow; a smaller one goes to NumPy
PYARROW_COLUMNS = 4096  # wider, and pyarrow's builders per column take far more memory than the data
HEAD_BYTES = 1 << 16  # the first lines, read to learn the layout
SAMPLE_ROWS = 200  # data rows looked at to decide a header
_UNNAMED = re.compile(r"Unnamed: \d+(_level_\d+)?")
csv.field_size_limit(1 << 24)  # 16 MiB: a longer cell is refused with a message, not a csv.Error traceback


def _decode(data: bytes, name: str, offset: int) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        at = offset + exc.start
        raise InputError(
            f"{name}: is not UTF-8 text (byte {data[exc.start]:#04x} at offset {at}); save it as UTF-8, or if it "
            f"is an .npy or .parquet file give it that extension or pass --input-format"
        ) from None


def _split(line: str, delimiter: str | None) -> list[str]:
    if delimiter is None:
        return line.split()
    if '"' not in line:
        return line.split(delimiter)
    try:
        return next(csv.reader([line], delimiter=delimiter))
    except (csv.Error, StopIteration):
        return line.split(delimiter)


def _is_blank(line: str) -> bool:
    return not line.strip()


def _sniff_delimiter(line: str, fmt: str) -> str | None:
    """The delimiter of a first line: tab for .tsv; else the first of , tab ; found; else whitespace."""
    if fmt == "tsv":
        return "\t"
    for candidate in (",", "\t", ";"):
        if candidate in line:
            return candidate
    stripped = line.strip()
    if fmt == "txt" or any(c.isspace() for c in stripped):
        return None  # np.savetxt's spaces, or aligned columns
    return ","


class _LineError(Exception):
    """A bad cell found in a chunk, by its line within the chunk: the reader, which knows where
    the chunk starts, names the line of the file (chunks may be parsed side by side)."""

    def __init__(self, line: int, template: str):
        super().__init__(template)
        self.line, self.template = line, template

    def at(self, offset: int) -> InputError:
        return InputError(self.template.format(line=self.line + offset))


class _Done:
    """A result already there, with a future's face: the pool-less path of :meth:`TextTable.rows`."""

    def __init__(self, value):
        self.value = value

    def result(self):
        return self.value


class TextTable:
    """A delimited text file, read in chunks of lines."""

    def __init__(self, stream: BinaryIO, name: str, fmt: str, header: bool | None, chunk_bytes: int | None = None):
        self.stream, self.name, self.chunk_bytes = stream, name, chunk_bytes or CHUNK_BYTES
        self.format = fmt
        self._read_head()
        self.delimiter = _sniff_delimiter(self._first_line(), fmt) if self._lines else ","
        self._check_width()
        self.layout = self._layout(header)
        self.details = {"delimiter": {",": ",", "\t": "tab", ";": ";", None: "whitespace"}[self.delimiter]}

    # --- the head: layout ----------------------------------------------------------------

    def _read_head(self) -> None:
        data = read_chunk(self.stream, HEAD_BYTES, self.name)
        self._eof = len(data) < HEAD_BYTES
        pieces = [data]
        while not self._eof and b"\n" not in pieces[-1]:  # at least one whole line (joined once: a long
            more = read_chunk(self.stream, HEAD_BYTES, self.name)  # line added to piece by piece was quadratic)
            self._eof = not more
            pieces.append(more)
        data = b"".join(pieces) if len(pieces) > 1 else data
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]  # a byte-order mark
        cut = len(data) if self._eof else data.rfind(b"\n") + 1
        self._head, self._rest = data[:cut], data[cut:]
        self._lines = _decode(self._head, self.name, 0).splitlines()

    def _check_width(self) -> None:
        """Before the first line is split into cells (a cell is 50 bytes as a str): a line of more
        cells than losscli takes, counted by its delimiters (a quoted cell may hold one: then split)."""
        line = self._first_line()
        if len(line) <= MAX_COLUMNS:
            return
        if self.delimiter is None:
            cells = len(line.split()) if line.count(" ") + line.count("\t") >= MAX_COLUMNS else 0
        else:
            cells = line.count(self.delimiter) + 1
            if '"' in line and cells > MAX_COLUMNS:
                cells = len(_split(line, self.delimiter))
        check_width(self.name, cells)

    def _first_line(self) -> str:
        return next((line for line in self._lines if not _is_blank(line) and not self._comment(line, True)), "")

    def _comment(self, line: str, leading: bool = False) -> bool:
        # np.savetxt writes its header and footer as "# ..." lines; np.loadtxt skips them, so
        # do we: anywhere in .txt, above the data in any text file ("#N/A" is a missing value)
        stripped = line.lstrip()
        return (self.format == "txt" or leading) and (stripped == "#" or stripped.startswith("# "))

    def _numbered(self) -> list[tuple[int, list[str]]]:
        """(line number, cells) of the head's non-blank, non-comment lines."""
        out = []
        for number, line in enumerate(self._lines, start=1):
            if not _is_blank(line) and not self._comment(line, leading=not out):
                out.append((number, _split(line, self.delimiter)))
        return out

    def _layout(self, header: bool | None) -> Layout:
        rows = self._numbered()
        if not rows:
            self._data_line, self._skip = 1, len(self._lines)
            return Layout(())
        line, first = rows[0]
        data = [cells for _, cells in rows[1 : 1 + SAMPLE_ROWS]]
        taken = _decide_header(first, data, header)
        if taken is None:
            self._skip = line - 1
            names = self._comment_names(line, len(first)) or position_names(len(first))
            return Layout(names)
        how, ambiguous, lean = taken
        self._skip = line
        names = tuple(cell.strip() for cell in first)
        index = _index_columns(names)
        return Layout(
            names,
            index=index,
            header=Header(names, how, line, ambiguous, lean),
            index_how="pandas' unnamed index (an empty header cell)" if index else "",
        )

    def _comment_names(self, line: int, width: int) -> tuple[str, ...] | None:
        """np.savetxt(header="a b c") names: the last comment line above the data."""
        above = [ln for ln in self._lines[: line - 1] if self._comment(ln, True)]
        if above:
            names = above[-1].lstrip()[1:].split()
            if len(names) == width:
                return tuple(names)
        return None

    def first_row_recurs(self) -> bool:
        """Whether the first row read as a header comes again below it (a label that recurs: data)."""
        rows = self._numbered()
        if self.layout.header is None or len(rows) < 2:
            return False
        first = [cell.strip() for cell in rows[0][1]]
        return any([cell.strip() for cell in cells] == first for _, cells in rows[1 : 1 + SAMPLE_ROWS])

    def read_first_row_as_data(self) -> None:
        """The first row, taken for a header, read as data instead."""
        header = self.layout.header
        if header is not None:
            self._skip = header.line - 1
            self.layout = Layout(position_names(len(header.names)))

    def take_header(self, take: bool) -> None:
        """Settle an ambiguous first row: a header (``take``) or data."""
        header = self.layout.header
        if header is None or not header.ambiguous:
            return
        if take:
            self.layout = self.layout._replace(header=header._replace(ambiguous=False))
        else:
            self._skip = header.line - 1
            self.layout = Layout(position_names(len(header.names)))

    # --- the data: chunks of lines ---------------------------------------------------------

    def _chunks(self) -> Iterator[bytes]:
        """Bytes of whole data lines, in order; the first starts at line ``self._first_line``."""
        head = self._head
        self._first_line = 1
        if self._skip:
            at = 0
            for _ in range(self._skip):
                at = head.index(b"\n", at) + 1 if b"\n" in head[at:] else len(head)
            head, self._first_line = head[at:], self._skip + 1
        pending = head + self._rest
        if self._eof and not self._rest:
            if pending:
                yield pending
            return
        read = self._read_after if isinstance(self.stream, io.BufferedReader | io.FileIO) else self._read_joined
        while True:
            buffer = read(pending)
            if len(buffer) == len(pending):  # the end of the file
                if pending:
                    yield pending
                return
            cut = buffer.rfind(b"\n") + 1
            if cut == 0:
                pending = bytes(buffer)
                continue
            pending = bytes(buffer[cut:])
            del buffer[cut:]  # whole lines, in place: no copy of the chunk
            yield buffer

    def _read_after(self, pending: bytes) -> bytearray:
        """``pending`` and the next chunk of a file, read straight into one buffer (a file's bytes are copied
        once, by the kernel: joining them to the bytes before cost a tenth of a large CSV's time)."""
        buffer = bytearray(len(pending) + self.chunk_bytes)
        buffer[: len(pending)] = pending
        try:
            got = self.stream.readinto(memoryview(buffer)[len(pending) :])  # type: ignore[union-attr]
        except (OSError, ValueError) as exc:
            raise InputError(f"{self.name}: cannot be read ({getattr(exc, 'strerror', None) or exc})") from None
        del buffer[len(pending) + (got or 0) :]
        return buffer

    def _read_joined(self, pending: bytes) -> bytearray:
        """``pending`` and the next chunk of a stream that reads only into new bytes (standard input, a
        decompressed or a counted stream)."""
        return bytearray(pending + read_chunk(self.stream, self.chunk_bytes, self.name))

    pool = None  # a thread pool parses chunks side by side (pyarrow releases the GIL)
    lookahead = 2

    def use_pool(self, pool, jobs: int) -> None:
        self.pool, self.lookahead = pool, 2 * jobs

    def rows(self, numeric: list[int], text: list[int]) -> Iterator[Rows]:
        """Chunks parsed in order (side by side in the pool, if there is one), then numbered:
        each chunk's rows and lines count from 0 and are shifted by what came before."""
        from collections import deque

        pending: deque = deque()
        row, line = 0, None
        for k, chunk in enumerate(self._chunks()):
            if line is None:
                line = self._first_line - 1
            job = (chunk, numeric, text, k == 0)
            pending.append(self.pool.submit(self._parse, *job) if self.pool is not None else _Done(self._parse(*job)))
            while len(pending) > (self.lookahead if self.pool is not None else 0):
                parsed, newlines = _result(pending.popleft(), line)
                if len(parsed):
                    yield Rows(parsed.values, parsed.texts, parsed.rows + row, parsed.lines + line)
                row, line = row + len(parsed), line + newlines
        while pending:
            parsed, newlines = _result(pending.popleft(), line)
            if len(parsed):
                yield Rows(parsed.values, parsed.texts, parsed.rows + row, parsed.lines + line)
            row, line = row + len(parsed), line + newlines

    def _parse(self, chunk: bytes, numeric: list[int], text: list[int], first: bool) -> tuple[Rows, int]:
        try:
            return self._parse_lines(chunk, numeric, text, first)
        except _LineError as exc:
            return exc, 0

    def _parse_lines(self, chunk: bytes, numeric: list[int], text: list[int], first: bool) -> tuple[Rows, int]:
        """The chunk's rows (rows from 0, lines from 1) and its count of newlines."""
        fast, newlines = _parse_fast(chunk, numeric, text, self)
        if fast is None:
            newlines = chunk.count(b"\n") if newlines is None else newlines
            fast = self._parse_carefully(chunk, 1, numeric, text, 0, first)
        return fast, newlines

    def _parse_carefully(self, chunk, line: int, numeric: list[int], text: list[int], row: int, first: bool) -> Rows:
        """Cell by cell: missing values and booleans read, a bad cell named by line and column."""
        width = len(self.layout.names)
        values, texts, lines = [], [], []
        try:
            decoded = chunk.decode("utf-8")
        except UnicodeDecodeError as exc:
            where = chunk.count(b"\n", 0, exc.start) + 1
            raise _LineError(
                where,
                f"{_braces(self.name)}: line {{line}}: is not UTF-8 text (byte {chunk[exc.start]:#04x}); save it as "
                f"UTF-8, or if it is an .npy or .parquet file give it that extension or pass --input-format",
            ) from None
        for number, raw in enumerate(decoded.splitlines(), start=line):
            if _is_blank(raw) or self._comment(raw):
                continue
            cells = _split(raw, self.delimiter)
            if len(cells) != width:
                self._ragged(number, len(cells), width)
            values.append([self._number(cells[k], number, k, not values and first) for k in numeric])
            texts.append([cells[k].strip() for k in text])
            lines.append(number)
        count = len(lines)
        return Rows(
            np.array(values, dtype=np.float64).reshape(count, len(numeric)),
            np.array(texts, dtype=object).reshape(count, len(text)) if text else None,
            np.arange(row, row + count, dtype=np.int64),
            np.array(lines, dtype=np.int64),
        )

    def _number(self, cell: str, line: int, column: int, first_row: bool) -> float:
        try:
            return C.cell_number(cell)
        except ValueError:
            pass
        hint = C.decimal_comma_hint(cell, self.delimiter)
        if not hint and first_row and self.layout.header is None:
            hint = "; if that line is a header, pass --header"
        found = C.describe(cell).replace("{", "{{").replace("}", "}}")
        raise _LineError(
            line,
            f"{_braces(self.name)}: line {{line}}, column {column + 1}: {found} is not a number; every cell "
            f"after the header must be a number{hint}",
        )

    def _ragged(self, line: int, found: int, width: int) -> None:
        first = self.layout.header.line if self.layout.header else self._skip + 1
        what = "the header" if self.layout.header else f"line {first}"
        raise _LineError(
            line,
            f"{_braces(self.name)}: line {{line}} has {_count(found, 'cell')} but {what} has {width}; every row needs "
            f"the same number of columns",
        )

    def where(self, row: int, line: int | None, column: int) -> str:
        where = f"line {line}" if line is not None else f"data row {row + 1}"
        return f"{where}, column {column + 1}"


def _count(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _braces(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


def _result(job, offset: int) -> tuple[Rows, int]:
    """A parsed chunk, or its bad cell's error with the line of the file."""
    parsed, newlines = job.result()
    if isinstance(parsed, _LineError):
        raise parsed.at(offset)
    return parsed, newlines


# --- the header --------------------------------------------------------------------------


def _index_columns(names: tuple[str, ...]) -> tuple[int, ...]:
    """pandas' row labels: the leading header cells that are empty or ``Unnamed: k``."""
    k = 0
    while k < len(names) - 1 and (names[k] == "" or _UNNAMED.fullmatch(names[k])):
        k += 1
    return tuple(range(k))


def _decide_header(first: list[str], data: list[list[str]], forced: bool | None):
    """None: the first row is data; else (why it is a header, whether it could be data, the
    reading to take when unsure)."""
    if forced is not None:
        return ("--header", False, True) if forced else None
    cells = [cell.strip() for cell in first]
    if len(cells) > 1 and (cells[0] == "" or _UNNAMED.fullmatch(cells[0])) and all(cells[1:]):
        return ("pandas' index column (an empty first header cell)", False, True)
    if not any(C.is_plain_number(cell) for cell in cells) and any(not C.is_number(cell) for cell in cells):
        return ("no cell of the first row is a number", False, True)
    if cells == list(position_names(len(cells))):
        non_integer = any(C.is_plain_number(cell) and not C.is_integer_text(cell) for row in data for cell in row)
        if non_integer and len(cells) > 1:
            return ("pandas' default column names 0, 1, ... above non-integer numbers", False, True)
        if non_integer:  # one column: "0" above numbers could be a value as well as pandas' name
            return ("pandas' default column name 0 above non-integer numbers", True, True)
        return ("pandas' default column names 0, 1, ...", True, len(cells) >= 3)
    return None


# --- fast parsers --------------------------------------------------------------------------


def _parse_fast(chunk: bytes, numeric, text, table: TextTable) -> tuple[Rows | None, int | None]:
    """The chunk through pyarrow (or NumPy), and its count of newlines; (None, count or None) when it needs
    the careful parser: a blank line, a comment, a missing value, a boolean or a bad cell all make the count
    of rows differ from the count of lines, or the parser refuse."""
    width = len(table.layout.names)
    arrow = len(chunk) >= PYARROW_FROM and width <= PYARROW_COLUMNS and table.delimiter is not None
    parsed = _with_pyarrow(chunk, numeric, text, table) if arrow else None
    if parsed is not None and parsed.lines_are_rows:
        # every line a row, none empty: the chunk need not be scanned for its newlines (a tenth of a large CSV)
        count = len(parsed.values)
        lines = np.arange(1, count + 1, dtype=np.int64)
        return Rows(parsed.values, parsed.texts, np.arange(count, dtype=np.int64), lines), count - (
            not chunk.endswith(b"\n")
        )
    if parsed is None and not text:
        parsed = _with_numpy(chunk, numeric, table)
    newlines = chunk.count(b"\n")
    if parsed is None:
        return None, newlines
    count = len(parsed.values)
    if count != newlines + (not chunk.endswith(b"\n")) or chunk.startswith((b"\n", b"\r\n")):
        return None, newlines  # blank lines, lines of only spaces: anything a fast parser counted differently
    lines = np.arange(1, count + 1, dtype=np.int64)
    return Rows(parsed.values, parsed.texts, np.arange(count, dtype=np.int64), lines), newlines


class _Parsed(NamedTuple):
    values: np.ndarray
    texts: np.ndarray | None
    lines_are_rows: bool = False  # each line of the chunk is one of its rows: no blank line was skipped


_PYARROW = []  # the pyarrow modules once imported; [None] when not installed


def pyarrow_csv():
    if not _PYARROW:
        try:
            import pyarrow
            import pyarrow.csv

            _PYARROW.append((pyarrow, pyarrow.csv))
        except ImportError:
            _PYARROW.append(None)
    return _PYARROW[0]


def _with_pyarrow(chunk: bytes, numeric, text, table: TextTable):
    modules = pyarrow_csv()
    if modules is None:
        return None
    pa, pacsv = modules
    if set(numeric) & set(text):  # a column read as numbers and as text (--id-col a --pred-col a)
        return None
    width = len(table.layout.names)
    # Of numbers alone, several to a line: pyarrow keeps an empty line, as a row of nulls (of one number or
    # with text, empty lines are skipped, and the lines are counted to know): a row of nulls in every column
    # is then an empty line or a row of missing cells, which the careful parser tells apart.
    lines_are_rows = width > 1 and not text
    names = [f"c{k}" for k in range(width)]
    types = {names[k]: pa.float64() for k in numeric} | {names[k]: pa.string() for k in text}
    try:
        result = pacsv.read_csv(
            pa.py_buffer(chunk),
            read_options=pacsv.ReadOptions(column_names=names, use_threads=False, block_size=len(chunk) + 1),
            parse_options=pacsv.ParseOptions(
                delimiter=table.delimiter, newlines_in_values=False, ignore_empty_lines=not lines_are_rows
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=types,
                include_columns=list(dict.fromkeys(names[k] for k in (*numeric, *text))),
                null_values=sorted(C.MISSING),
                strings_can_be_null=False,
                quoted_strings_can_be_null=True,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError, UnicodeDecodeError):
        return None
    count = result.num_rows
    values = np.empty((count, len(numeric)), dtype=np.float64)
    for k, column in enumerate(numeric):
        values[:, k] = float_column(result.column(names[column]))
    texts = None
    if text:
        texts = np.empty((count, len(text)), dtype=object)
        for k, column in enumerate(text):
            texts[:, k] = [cell.strip() for cell in result.column(names[column]).to_pylist()]
    if lines_are_rows and _a_row_of_nulls(result):
        return None  # an empty line, or a row of missing cells: the careful parser tells which
    return _Parsed(values, texts, lines_are_rows)


def _a_row_of_nulls(table) -> bool:
    """Whether some row is null in every column of a pyarrow table (each column's count of nulls first)."""
    if any(column.null_count == 0 for column in table.columns):
        return False
    every = np.ones(table.num_rows, dtype=bool)
    for column in table.columns:
        every &= _nulls(column)
    return bool(every.any())


def _nulls(column) -> np.ndarray:
    """A pyarrow column's nulls, as a boolean array."""
    parts = []
    for chunk in column.chunks:
        validity = chunk.buffers()[0]
        if validity is None:
            parts.append(np.zeros(len(chunk), dtype=bool))
            continue
        bits = np.unpackbits(np.frombuffer(validity, dtype=np.uint8), bitorder="little")
        parts.append(bits[chunk.offset : chunk.offset + len(chunk)] == 0)
    return np.concatenate(parts) if parts else np.zeros(0, dtype=bool)


def float_column(column) -> np.ndarray:
    """A pyarrow float64 column as NumPy, nulls as NaN, straight from its buffers (its own
    to_numpy imports pandas: a quarter of a second)."""
    parts = []
    for chunk in column.chunks:
        validity, data = chunk.buffers()[:2]
        values = np.frombuffer(data, dtype=np.float64, count=len(chunk), offset=chunk.offset * 8).copy()
        if chunk.null_count:
            bits = np.unpackbits(np.frombuffer(validity, dtype=np.uint8), bitorder="little")
            values[bits[chunk.offset : chunk.offset + len(chunk)] == 0] = np.nan
        parts.append(values)
    return np.concatenate(parts) if len(parts) != 1 else parts[0]


def _with_numpy(chunk: bytes, numeric, table: TextTable):
    try:
        lines = chunk.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            values = np.loadtxt(
                lines,
                dtype=np.float64,
                delimiter=table.delimiter,
                usecols=numeric if numeric else None,
                comments=None,
                quotechar='"' if table.delimiter is not None else None,
                ndmin=2,
            )
    except (ValueError, IndexError):
        return None
    if not numeric:
        return None
    if np.isnan(values).any():
        return None  # a missing value: the careful parser reads every spelling of one alike
    return _Parsed(values.reshape(-1, len(numeric)), None)  # blank lines skipped: the caller compares the counts
