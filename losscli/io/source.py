"""Where an input comes from: a path, ``FILE:KEY``, ``-`` for stdin, gzip; its format.

A :class:`ResolvedInput` is resolved from what the user typed, before anything is opened;
:func:`open_binary` opens it as a binary stream, decompressing gzip on the fly under a
limit on the inflated size (a 5 MB ``.gz`` can inflate to gigabytes).

No pathlib here: it costs start-up time, and a suffix is a string operation.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from typing import BinaryIO, NamedTuple

from ..errors import InputError, UsageError

STDIN = "-"
FORMATS = ("csv", "tsv", "txt", "npy", "npz", "json", "jsonl", "parquet")
TEXT_FORMATS = ("csv", "tsv", "txt")  # delimited text: comma, tab, or whitespace/semicolon
EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".txt": "txt",
    ".dat": "txt",
    ".npy": "npy",
    ".npz": "npz",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}
EXTENSION_LIST = ".csv .tsv .txt .dat .npy .npz .json .jsonl .parquet (text and .npy also .gz)"
UNZIPPABLE = ("npz", "parquet")  # compressed inside already: never .gz

GZIP_MAGIC = b"\x1f\x8b"
NPY_MAGIC = b"\x93NUMPY"
ZIP_MAGIC = b"PK\x03\x04"
PARQUET_MAGIC = b"PAR1"


class ResolvedInput(NamedTuple):
    """One input as the user named it."""

    spec: str  # as typed: "preds.csv", "data.npz:preds", "-"
    path: str | None  # the file; None for stdin
    key: str | None  # the array, column or key inside the file (FILE:KEY)
    format: str | None  # None: stdin, to be sniffed
    gzip: bool

    @property
    def name(self) -> str:
        """The input as messages name it."""
        return "<stdin>" if self.path is None else self.spec

    @property
    def file_name(self) -> str:
        return "<stdin>" if self.path is None else self.path


def _suffix(name: str) -> str:
    base = os.path.basename(name)
    dot = base.rfind(".")
    return base[dot:].lower() if dot > 0 else ""


def format_from_name(name: str) -> str | None:
    """The format a file name's extension implies (through a ``.gz``), or None."""
    suffix = _suffix(name)
    if suffix == ".gz":
        suffix = _suffix(name[: -len(".gz")])
    return EXTENSIONS.get(suffix)


def split_key(spec: str) -> tuple[str, str | None]:
    """``data.npz:preds`` -> (``data.npz``, ``preds``); a name with no known extension
    before the colon has no key."""
    head, colon, key = spec.rpartition(":")
    if colon and key and format_from_name(head) is not None and not os.path.exists(spec):
        return head, key
    return spec, None


def resolve(spec: str, input_format: str | None = None) -> ResolvedInput:
    """The :class:`ResolvedInput` for what the user typed; nothing is opened yet."""
    if spec == STDIN:
        return ResolvedInput(spec, None, None, input_format, False)
    path, key = split_key(spec)
    fmt = format_from_name(path) or input_format
    if input_format and format_from_name(path) is None:
        fmt = input_format
    if fmt is None:
        raise InputError(
            f"{path}: unknown file type {_suffix(path) or '(no extension)'!r}; use {EXTENSION_LIST}, "
            f"or pass --input-format"
        )
    gz = path.lower().endswith(".gz")
    if gz and fmt in UNZIPPABLE:
        raise InputError(f"{path}: a .{fmt} file is compressed inside already; give it without .gz")
    return ResolvedInput(spec, path, key, fmt, gz)


def open_file(path: str) -> BinaryIO:
    """``open(path, "rb")`` with every failure as one line that says what to do."""
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file; check the path") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory; give the path of a file") from None
    except PermissionError:
        raise InputError(f"{path}: permission denied; make the file readable") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc}); check the path") from None


# --- limits -------------------------------------------------------------------------------

GIB = 1 << 30
INFLATE_FLOOR = 2 * GIB  # any archive may inflate this far
INFLATE_RATIO = 200  # ... or this many times its own size, whichever is more


def parse_size(text: str) -> int | None:
    """``--max-inflate`` values: ``8G``, ``500M``, ``1000000``; ``0`` or ``none`` for no limit."""
    raw = text.strip().lower().removesuffix("b").removesuffix("i")
    if raw in ("0", "none", "off"):
        return None
    scale = {"k": 1 << 10, "m": 1 << 20, "g": GIB, "t": 1 << 40}.get(raw[-1:], 1)
    try:
        number = float(raw[:-1] if scale > 1 else raw)
    except ValueError:
        raise UsageError(f"--max-inflate {text!r}: give a size such as 8G, 500M or 0 for no limit") from None
    if not number > 0 or number != number:
        raise UsageError(f"--max-inflate {text!r} must be a positive size, or 0 for no limit")
    if not number * scale < 1 << 62:  # inf, 1e400, 1e300T: no file inflates that far
        raise UsageError(f"--max-inflate {text!r} is larger than any file; give 0 (or none) for no limit")
    return int(number * scale)


class Limits(NamedTuple):
    """How far a compressed input may inflate. ``max_inflate`` None: the default rule
    (2 GiB, or 200 times the compressed size if that is more); 0: no limit."""

    max_inflate: int | None = None
    unlimited: bool = False

    def allowed(self, compressed: int) -> int | None:
        if self.unlimited:
            return None
        if self.max_inflate is not None:
            return self.max_inflate
        return max(INFLATE_FLOOR, INFLATE_RATIO * compressed)

    def refuse(self, name: str, inflated: int, compressed: int) -> InputError:
        limit = self.allowed(compressed)
        return InputError(
            f"{name}: inflates past {_size_text(limit)} ({_size_text(inflated)} from {_size_text(compressed)} "
            f"compressed), which looks like a decompression bomb; if the data is really this large, pass "
            f"--max-inflate with a larger size (or 0 for no limit)"
        )


def limits_from(max_inflate: str | None) -> Limits:
    if max_inflate is None:
        return Limits()
    size = parse_size(max_inflate)
    return Limits(size, unlimited=size is None)


def _size_text(n: int | None) -> str:
    if n is None:
        return "no limit"
    for unit, size in (("GiB", GIB), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n} bytes"


class _Counting:
    """A read-only stream that counts the bytes read through it."""

    def __init__(self, raw: BinaryIO):
        self.raw = raw
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.count += len(data)
        return data

    def readable(self) -> bool:
        return True


class Inflating:
    """A gzip stream that refuses to inflate past the limit (checked as it reads)."""

    def __init__(self, raw: BinaryIO, name: str, limits: Limits):
        import gzip

        self.counted = _Counting(raw)
        self.gz = gzip.GzipFile(fileobj=self.counted, mode="rb")
        self.name, self.limits, self.inflated = name, limits, 0
        self.raw = raw

    def read(self, size: int = -1) -> bytes:
        import zlib

        try:
            data = self.gz.read(size)
        except (OSError, EOFError, zlib.error) as exc:
            what = "is not a valid gzip file, or is cut short"
            raise InputError(f"{self.name}: {what} ({exc}); compress it again") from None
        self.inflated += len(data)
        limit = self.limits.allowed(self.counted.count)
        if limit is not None and self.inflated > limit:
            raise self.limits.refuse(self.name, self.inflated, self.counted.count)
        return data

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self.gz.close()
        self.raw.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Peeked:
    """A stream whose first bytes were read to sniff it, given back on the first reads."""

    def __init__(self, head: bytes, rest: BinaryIO):
        self.head, self.rest = head, rest

    def read(self, size: int = -1) -> bytes:
        if self.head:
            if size is None or size < 0:
                data, self.head = self.head + self.rest.read(), b""
                return data
            data, self.head = self.head[:size], self.head[size:]
            if len(data) < size:
                data += self.rest.read(size - len(data))
            return data
        return self.rest.read(size)

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self.rest.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def sniff_format(head: bytes) -> str:
    """The format of stdin from its first bytes."""
    if head.startswith(NPY_MAGIC):
        return "npy"
    if head.startswith(ZIP_MAGIC):
        return "npz"
    if head.startswith(PARQUET_MAGIC):
        return "parquet"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text[:1] in (b"[", b"{"):
        first, _, rest = text.partition(b"\n")
        # one JSON value a line: JSON Lines; a document over several lines: JSON
        if rest.strip() and first.rstrip()[-1:] in (b"}", b"]") and text[:1] == b"{":
            return "jsonl"
        return "json"
    first_line = text.split(b"\n", 1)[0]
    return "tsv" if b"\t" in first_line else "csv"


SNIFF_BYTES = 1 << 16


def position_of(stream) -> tuple[Callable[[], int], int] | None:
    """(how far into its file the stream has read, the file's size) for a progress bar; None
    when that is not known (stdin, a pipe). Under gzip it is the compressed file's offset."""
    raw = getattr(stream, "raw", stream)
    try:
        fd = raw.fileno()
        size = os.fstat(fd).st_size
        os.lseek(fd, 0, os.SEEK_CUR)
    except (OSError, AttributeError, ValueError, io.UnsupportedOperation):
        return None
    if not size:
        return None

    def position() -> int:
        try:
            return os.lseek(fd, 0, os.SEEK_CUR)
        except OSError:  # closed: read to its end
            return size

    return position, size


def open_binary(source: ResolvedInput, stdin: BinaryIO | None, limits: Limits) -> tuple[BinaryIO, str]:
    """The input as a binary stream (gzip inflated), and its format."""
    if source.path is None:
        if stdin is None:
            raise UsageError("'-' means standard input, but none is available")
        raw: BinaryIO = stdin
        head = _read_head(raw, "<stdin>")
        stream: BinaryIO = Peeked(head, raw)
        if head.startswith(GZIP_MAGIC):
            stream = Inflating(stream, "<stdin>", limits)
            head = stream.read(SNIFF_BYTES)
            stream = Peeked(head, stream)
        return stream, source.format or sniff_format(head)
    raw = open_file(source.path)
    if source.gzip:
        return Inflating(raw, source.path, limits), source.format
    return raw, source.format


def read_chunk(stream: BinaryIO, size: int, name: str) -> bytes:
    """``stream.read(size)``, a read error (EIO, a dropped network share) as one line."""
    try:
        return stream.read(size)
    except InputError:
        raise
    except (OSError, ValueError) as exc:
        raise InputError(f"{name}: cannot be read ({getattr(exc, 'strerror', None) or exc})") from None


def _read_head(raw: BinaryIO, name: str) -> bytes:
    try:
        return raw.read(SNIFF_BYTES)
    except (OSError, ValueError) as exc:
        raise InputError(f"{name}: cannot be read ({exc}); check what feeds standard input") from None
