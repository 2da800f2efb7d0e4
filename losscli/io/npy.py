""".npy arrays and .npz archives, read in runs of rows without holding the file.

The header is read and checked first: a numeric dtype (object arrays are refused before
anything is unpickled), one or two dimensions, and a claimed size that the file (or the
archive member) really holds, so a header that claims 10^11 elements is refused before
anything is allocated. Rows are then read a chunk at a time, float64 rows straight into
the arrays the engine gets, which are used again once nothing refers to them. (Not a memory
map: a file truncated while it is mapped kills the process with SIGBUS, where a read says
where the file ended.)
"""

from __future__ import annotations

import sys
import warnings
import zlib
from collections.abc import Iterator
from typing import BinaryIO

import numpy as np

from ..errors import InputError
from .source import ZIP_MAGIC, Limits
from .table import Layout, Rows, check_width, position_names

CHUNK_BYTES = 1 << 20  # 1 MiB of rows per read (a whole number of blocks when the engine asks)


def read_npy_header(stream: BinaryIO, name: str) -> tuple[tuple[int, ...], bool, np.dtype]:
    """(shape, Fortran order, dtype) from an NPY header of any rank, its dtype checked to be real
    numbers; the stream is left at the data."""
    fmt = np.lib.format
    try:
        magic = stream.read(6)
        if magic != b"\x93NUMPY":
            what = "an .npz archive" if magic.startswith(b"PK") else "not a .npy file"
            raise InputError(f"{name}: is {what} (no NPY header); save one array with np.save")
        version = tuple(stream.read(2))
        reader = {(1, 0): fmt.read_array_header_1_0, (2, 0): fmt.read_array_header_2_0}.get(version)
        if reader is None:
            raise InputError(f"{name}: has an NPY header of unknown version {version}; write it with np.save")
        with warnings.catch_warnings():  # a Python 2 header ('2L'): numpy reads it, and warns
            warnings.simplefilter("ignore")
            shape, fortran, dtype = reader(stream, max_header_size=1 << 16)
    except InputError:
        raise
    except Exception as exc:  # numpy's parser of untrusted text: ValueError, SyntaxError, TokenError, ...
        raise InputError(f"{name}: has a damaged NPY header ({exc}); write it again with np.save") from None
    if dtype.hasobject:
        raise InputError(
            f"{name}: holds pickled Python objects, which losscli never loads; save a numeric array "
            f"instead (np.save with a float or int dtype)"
        )
    if dtype.kind not in "biuf" or dtype.subdtype is not None or dtype.names:
        raise InputError(f"{name}: holds values of dtype {dtype}, not real numbers; save a float or int array")
    return tuple(int(d) for d in shape), bool(fortran), dtype


class NpyHeader:
    """shape, dtype and order from the NPY header of a 1-D or 2-D array; the stream is left at the data."""

    def __init__(self, stream: BinaryIO, name: str):
        self.shape, self.fortran, self.dtype = read_npy_header(stream, name)
        if len(self.shape) not in (1, 2):
            raise InputError(
                f"{name}: has {len(self.shape)} dimensions (shape {self.shape}); here losscli reads a 1-D (N,) or "
                f"2-D (N, C) array: give an array of rank 3 or more as a file of its own (FILE.npy, FILE.npz:KEY), "
                f"not on standard input, or reshape it"
            )
        self.rows = int(self.shape[0])
        self.width = int(self.shape[1]) if len(self.shape) == 2 else 1
        self.nbytes = self.rows * self.width * self.dtype.itemsize

    def check_size(self, available: int | None, name: str) -> None:
        """Refuse a header that claims more data than there is, before allocating any."""
        if available is not None and self.nbytes > available:
            held = available // max(1, self.width * self.dtype.itemsize)
            raise InputError(
                f"{name}: is truncated: its header claims shape {tuple(self.shape)} ({self.nbytes:,} bytes) but "
                f"the file holds {available:,} bytes (about {held:,} rows); write it again with np.save"
            )


class NpyTable:
    """One array, from an .npy file or stream, or one member of an .npz archive."""

    format = "npy"

    def __init__(self, stream: BinaryIO, name: str, available: int | None = None, chunk_bytes: int | None = None):
        self.stream, self.name, self.chunk_bytes = stream, name, chunk_bytes or CHUNK_BYTES
        self.header = NpyHeader(stream, name)
        if available is not None:
            available -= stream.tell() if hasattr(stream, "tell") and _tells(stream) else 0
        self.header.check_size(available, name)
        check_width(name, self.header.width)
        self.layout = Layout(position_names(self.header.width))
        self.details = {"shape": list(self.header.shape), "dtype": str(self.header.dtype)}
        self.block_rows = 0  # when set: chunks of a whole number of the engine's blocks

    def rows(self, numeric: list[int], text: list[int]) -> Iterator[Rows]:
        """Rows of the ``numeric`` columns; ``text`` columns (class labels, which other formats
        may hold as names) come as their numbers, in ``Rows.texts``."""
        if not text:
            yield from self._numeric_rows(numeric)
            return
        for part in self._numeric_rows([*numeric, *text]):
            k = len(numeric)
            yield Rows(part.values[:, :k], part.values[:, k:], part.rows, None)

    def _numeric_rows(self, numeric: list[int]) -> Iterator[Rows]:
        h = self.header
        if h.fortran and h.width > 1:
            yield from self._fortran_rows(numeric)
            return
        row_bytes = h.width * h.dtype.itemsize
        per_chunk = max(1, self.chunk_bytes // max(1, row_bytes))
        if self.block_rows:
            per_chunk = self.block_rows * max(1, per_chunk // self.block_rows)
        # float64 rows, every column: read straight into the array the engine gets (one copy, not two)
        direct = h.dtype == np.float64 and numeric == list(range(h.width)) and hasattr(self.stream, "readinto")
        arrays = Recycled()
        done = 0
        while done < h.rows:
            count = min(per_chunk, h.rows - done)
            if direct:
                values = arrays.empty((count, h.width))
                _read_into(self.stream, memoryview(values).cast("B"), self.name, h, done)
            else:
                data = _read_exactly(self.stream, count * row_bytes, self.name, h, done)
                values = _as_float(np.frombuffer(data, dtype=h.dtype).reshape(count, h.width), numeric, self, done)
            yield Rows(values, None, np.arange(done, done + count, dtype=np.int64), None)
            done += count

    def _fortran_rows(self, numeric: list[int]) -> Iterator[Rows]:
        """Column-major: a row needs the whole array. Read in chunks, so that a header claiming
        more than a stream of unknown size holds is found out at its end, not by allocating it."""
        h = self.header
        chunks, got = [], 0
        while got < h.nbytes:
            chunk = _read(self.stream, min(h.nbytes - got, max(self.chunk_bytes, 1 << 24)), self.name)
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
        data = b"".join(chunks)
        if got < h.nbytes:
            _read_exactly(_Ended(data), h.nbytes, self.name, h, 0)  # says how far it got
        array = np.frombuffer(data, dtype=h.dtype).reshape(h.shape, order="F")
        yield Rows(_as_float(array, numeric, self, 0), None, np.arange(h.rows, dtype=np.int64), None)

    def where(self, row: int, line: int | None, column: int) -> str:
        return f"index [{row}]" if len(self.header.shape) == 1 else f"index [{row}, {column}]"


class Recycled:
    """float64 arrays for chunks, each used again once nothing but this pool refers to it.

    A chunk's array is handed to the engine, which lets go of it once the chunk's blocks are
    merged. A fresh 2 MiB array for every chunk is fresh pages from the system, a page fault
    each (20,000 for a 1M x 10 pair, a third of the reading time); a free one is reused
    instead. "Free" is CPython's reference count, which every view of the array (a block, a
    row) also holds, so an array that anything still refers to is never written over. Where
    the count cannot be trusted (another Python, a build without the GIL), nothing is reused."""

    KEEP = 8  # arrays the pool holds: more than the blocks in flight at once

    def __init__(self):
        self.arrays: list[np.ndarray] = []
        self.counts = hasattr(sys, "getrefcount") and getattr(sys, "_is_gil_enabled", lambda: True)()

    def empty(self, shape: tuple[int, int]) -> np.ndarray:
        if self.counts:
            for k in range(len(self.arrays)):
                if self.arrays[k].shape == shape and sys.getrefcount(self.arrays[k]) == 2:  # the list's, the call's
                    return self.arrays[k]
        array = np.empty(shape, dtype=np.float64)
        self.arrays = [*self.arrays[-(self.KEEP - 1) :], array]
        return array


class _Ended:
    """What a stream held, as a stream."""

    def __init__(self, data: bytes):
        self.data = data

    def read(self, size: int = -1) -> bytes:
        return self.data


def _tells(stream) -> bool:
    try:
        stream.tell()
        return True
    except (OSError, AttributeError, ValueError):
        return False


EXACT_INTEGERS = 1 << 53  # float64 holds every integer up to 2^53 in magnitude, and not all beyond


def _as_float(block: np.ndarray, numeric: list[int], table: NpyTable, first_row: int) -> np.ndarray:
    picked = block if numeric == list(range(block.shape[1])) else block[:, numeric]
    if picked.dtype.kind in "iu" and picked.dtype.itemsize == 8:
        _check_exact(picked, numeric, table, first_row)
    return np.array(picked, dtype=np.float64, order="C")


def _check_exact(values: np.ndarray, numeric: list[int], table: NpyTable, first_row: int) -> None:
    """int64 and uint64 values beyond 2^53 would be rounded to another number: refused, as
    pyarrow refuses them in Parquet (an id of 2^53 + 1 read as 2^53 matches the wrong row)."""
    beyond = values > EXACT_INTEGERS
    if values.dtype.kind == "i":
        beyond |= values < -EXACT_INTEGERS
    if not beyond.any():
        return
    i, j = (int(k) for k in np.argwhere(beyond)[0])
    raise InputError(
        f"{table.name}: {table.where(first_row + i, None, numeric[j])}: {int(values[i, j])} is an integer beyond 2^53, "
        f"which float64 cannot hold exactly; save the array as float64 if rounding is meant "
        f"(np.save(name, a.astype(np.float64)))"
    )


def _read(stream: BinaryIO, size: int, name: str) -> bytes:
    try:
        return stream.read(size)
    except InputError:
        raise
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(f"{name}: is damaged ({exc}); write it again") from None
    except Exception as exc:  # zipfile.BadZipFile (a bad CRC) and the like
        raise InputError(f"{name}: is damaged ({exc}); write it again") from None


def _read_into(stream: BinaryIO, view: memoryview, name: str, header: NpyHeader, done: int) -> None:
    """Fill ``view`` from the stream, or say where the file ends."""
    got = 0
    while got < len(view):
        try:
            n = stream.readinto(view[got:])
        except InputError:
            raise
        except Exception as exc:  # OSError, zipfile.BadZipFile and the like
            raise InputError(f"{name}: is damaged ({exc}); write it again") from None
        if not n:
            _read_exactly(_Ended(b"\0" * got), len(view), name, header, done)  # says how far it got
        got += n


def _read_exactly(stream: BinaryIO, size: int, name: str, header: NpyHeader, done: int) -> bytes:
    data = _read(stream, size, name)
    if len(data) < size:
        rows = done + len(data) // max(1, header.width * header.dtype.itemsize)
        raise InputError(
            f"{name}: is truncated: its header claims shape {tuple(header.shape)} but it ends after about "
            f"{rows:,} rows; write it again"
        )
    return data


# --- .npz ---------------------------------------------------------------------------------


class NpzArchive:
    """An .npz archive: its members as arrays, each checked before it is read."""

    def __init__(self, stream: BinaryIO, name: str, limits: Limits):
        import zipfile

        self.name, self.limits = name, limits
        try:
            head = stream.read(4)
            stream.seek(0)
        except (OSError, ValueError, AttributeError):
            head = b""
        if head != ZIP_MAGIC:
            what = "a .npy file, not an .npz archive" if head.startswith(b"\x93NU") else "not an .npz archive"
            raise InputError(f"{name}: is {what}; write archives with np.savez")
        try:
            self.zip = zipfile.ZipFile(stream)
        except Exception as exc:  # BadZipFile, NotImplementedError (a newer zip version), OSError, ...
            raise InputError(f"{name}: is not a valid .npz archive ({exc}); write it with np.savez") from None
        self.members = {info.filename.removesuffix(".npy"): info for info in self.zip.infolist()}
        self.size = _stream_size(stream)

    @property
    def keys(self) -> list[str]:
        return list(self.members)

    def table(self, key: str) -> NpyTable:
        stream, member, size = self.member(key)
        return NpyTable(stream, member, available=size)

    def member(self, key: str) -> tuple[BinaryIO, str, int]:
        """The member ``key`` as a stream whose read errors are input errors, its name (FILE:KEY) and its
        inflated size, once the directory's claims about it are checked."""
        info = self.members[key]
        member = f"{self.name}:{key}"
        self._check_claims(info, member)
        limit = self.limits.allowed(info.compress_size)
        if limit is not None and info.file_size > limit:
            raise self.limits.refuse(member, info.file_size, info.compress_size)
        try:
            stream = self.zip.open(info)
        except Exception as exc:  # BadZipFile, NotImplementedError (an unknown compression), ...
            raise InputError(f"{member}: cannot be read ({exc}); write the archive again with np.savez") from None
        return _Guarded(stream, member), member, info.file_size

    def _check_claims(self, info, member: str) -> None:
        """The directory's claims, before anything is inflated: a member's compressed bytes lie inside
        the archive. (A claim of terabytes compressed let any inflated size pass the limit, which is a
        multiple of the compressed size, and the whole member was inflated before the stream ended.)"""
        if self.size is None:
            return
        held = self.size - info.header_offset
        if info.header_offset < 0 or info.compress_size > held:
            raise InputError(
                f"{member}: the archive's directory claims {info.compress_size:,} compressed bytes at offset "
                f"{info.header_offset:,}, but the archive holds {self.size:,} bytes; it is damaged: write it again "
                f"with np.savez"
            )


def _stream_size(stream) -> int | None:
    try:
        at = stream.tell()
        size = stream.seek(0, 2)
        stream.seek(at)
        return size
    except (OSError, ValueError, AttributeError):
        return None


class _Guarded:
    """A zip member's stream whose read errors (bad CRC, bad deflate) are input errors."""

    def __init__(self, stream, name: str):
        self.stream, self.name, self.position = stream, name, 0

    def read(self, size: int = -1) -> bytes:
        try:
            data = self.stream.read(size)
        except Exception as exc:
            raise InputError(f"{self.name}: is damaged ({exc}); write the archive again with np.savez") from None
        self.position += len(data)
        return data

    def tell(self) -> int:
        return self.position

    def close(self) -> None:
        self.stream.close()
