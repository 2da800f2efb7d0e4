"""N-D arrays as inputs: axis 0 the samples, opened lazily and read a block of samples at a time.

Sources (see ``shared/design/axes.md``): an ``.npy`` file (also ``.npy.gz`` and standard input),
one array of an ``.npz`` archive (``FILE:KEY``, or an archive of one array), a nested JSON list (a
document, read whole), and one tensor of a ``.safetensors`` file (``FILE:KEY``, or a file of one
tensor) through the ``safetensors`` library, an optional extra (``pip install 'losscli[safetensors]'``).

A block is float64, or int64 for the roles whose values are integers (labels, masks, lengths) when
they are stored as integers. Values are as stored: NaN and infinities are left for the engine.

Files are read with ``pread`` at the block's offset, not through a memory map: a map's pages count
in the peak resident memory as they are touched (a whole 200 MB file read in blocks is 200 MB
resident), and a file truncated while it is mapped kills the process with SIGBUS, where a read
says where the file ended. The safetensors library checks the file's header; its own slices are
not used for the bytes: with its ``mmap`` backend they are mapped pages, its ``pread`` backend (0.8)
reads the whole tensor for each slice, and neither gives bfloat16 to NumPy.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
from collections.abc import Callable, Iterator, Sequence
from typing import Any, BinaryIO, Literal

import numpy as np
import numpy.typing as npt

from ..errors import InputError
from .source import (
    Limits,
    Peeked,
    ResolvedInput,
    format_from_name,
    open_binary,
    open_file,
    read_chunk,
    resolve,
    split_key,
)

Array = npt.NDArray[Any]
Role = Literal["predictions", "targets", "labels", "weights", "mask", "lengths"]
INTEGER_ROLES = frozenset({"labels", "mask", "lengths"})  # int64 blocks when stored as integers
EXACT_INTEGERS = 1 << 53  # float64 holds every integer up to 2^53 in magnitude, and not all beyond
SKIP_BYTES = 1 << 20  # how much a stream is read at a time when skipping forward
INSTALL = "pip install 'losscli[safetensors]'"


class Tensor:
    """An N-D array input, opened and checked but not read: ``block(start, stop)`` reads samples
    ``start:stop`` with every other axis whole."""

    def __init__(self, name: str, shape: tuple[int, ...], stored: np.dtype[Any], role: Role):
        self.name = name  # as messages name it: "logits.npy", "data.npz:logits", "model.safetensors:x"
        self.shape = shape
        self.stored = stored  # the dtype of the bytes (bfloat16: their uint16 bits)
        self.dtype = stored.name  # the stored values' type, in words: "float32", "bfloat16", "int64"
        self.role = role
        self.bfloat16 = False
        self.concurrent = True  # blocks may be read by several threads at once (a stream may not)
        self.closers: list[Callable[[], None]] = []  # last first

    @property
    def samples(self) -> int:
        return self.shape[0]

    def block(self, start: int, stop: int) -> Array:
        """Samples ``start:stop``: shape ``(stop - start, *shape[1:])``, float64 (or int64, see above)."""
        if not 0 <= start <= stop <= self.samples:
            raise ValueError(f"block {start}:{stop} of {self.samples} samples")
        raw = self._raw(start, stop)
        return self._converted(raw.reshape((stop - start, *self.shape[1:])), start)

    def part(self, sample: int, lo: int, hi: int) -> Array:
        """Values ``lo:hi`` of one sample in C order (of ``shape[1:]``), converted as :meth:`block` converts
        them: a run of positions of a sample too large for one block. Here from the sample read whole; a
        file read at an offset reads the run alone."""
        return self.block(sample, sample + 1).reshape(-1)[lo:hi]

    def _raw(self, start: int, stop: int) -> Array:
        raise NotImplementedError

    def _converted(self, raw: Array, start: int) -> Array:
        if self.bfloat16:  # the upper half of a float32: exact in float32, so in float64
            return (raw.astype(np.uint32) << 16).view(np.float32).astype(np.float64)
        if raw.dtype.kind == "f":
            return raw.astype(np.float64, order="C")
        if self.role in INTEGER_ROLES:
            _check_fits(raw, np.iinfo(np.int64).max, self.name, start, "int64")
            return raw.astype(np.int64, order="C")
        _check_fits(raw, EXACT_INTEGERS, self.name, start, "float64")
        return raw.astype(np.float64, order="C")

    def close(self) -> None:
        while self.closers:
            self.closers.pop()()

    def __enter__(self) -> Tensor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Tensor {self.name} {self.dtype} {self.shape}>"


def _check_fits(values: Array, limit: int, name: str, start: int, into: str) -> None:
    """Integers beyond what ``into`` holds exactly are refused, not rounded (an id of 2^53 + 1 read
    as 2^53 matches the wrong row; a uint64 label beyond 2^63 would wrap)."""
    if values.dtype.kind not in "iu" or values.dtype.itemsize < 8 or values.size == 0:
        return
    beyond = values > limit
    if values.dtype.kind == "i" and into == "float64":
        beyond |= values < -limit
    if not beyond.any():
        return
    index = tuple(int(k) for k in np.argwhere(beyond)[0])
    where = ", ".join(str(k) for k in (start + index[0], *index[1:]))
    raise InputError(
        f"{name}: index [{where}]: {int(values[index])} is an integer beyond what {into} holds exactly; "
        f"save the array as float64 if rounding is meant (a.astype(np.float64))"
    )


class _Pread(Tensor):
    """Bytes of C order in a regular file, read at the block's offset."""

    def __init__(self, name: str, shape: tuple[int, ...], stored: np.dtype[Any], role: Role, at: tuple[int, int]):
        super().__init__(name, shape, stored, role)
        self.fd, self.offset = at
        self.row_bytes = math.prod(shape[1:]) * stored.itemsize

    def part(self, sample: int, lo: int, hi: int) -> Array:
        if self.stored.kind != "f" or self.bfloat16 or not 0 <= lo <= hi <= math.prod(self.shape[1:]):
            return super().part(sample, lo, hi)  # integers are checked over the whole sample, with their index
        size, at = (hi - lo) * self.stored.itemsize, self.offset + sample * self.row_bytes + lo * self.stored.itemsize
        data = _pread_exactly(self.fd, size, at, self.name)
        if len(data) < size:
            raise _ended(self.name, self.shape, sample)
        return np.frombuffer(data, dtype=self.stored).astype(np.float64)

    def _raw(self, start: int, stop: int) -> Array:
        size = (stop - start) * self.row_bytes
        data = _pread_exactly(self.fd, size, self.offset + start * self.row_bytes, self.name)
        if len(data) < size:
            got = start + len(data) // max(1, self.row_bytes)
            raise _ended(self.name, self.shape, got)
        return np.frombuffer(data, dtype=self.stored)


def _pread_exactly(fd: int, size: int, offset: int, name: str) -> bytes:
    chunks, got = [], 0
    while got < size:
        try:
            chunk = os.pread(fd, size - got, offset + got)
        except OSError as exc:
            raise InputError(f"{name}: cannot be read ({exc.strerror or exc}); check the file") from None
        if not chunk:
            break
        chunks.append(chunk)
        got += len(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _ended(name: str, shape: tuple[int, ...], samples: int) -> InputError:
    return InputError(
        f"{name}: is truncated: its header claims shape {shape} but it ends after about {samples:,} samples; "
        f"write it again"
    )


class _Sequential(Tensor):
    """An NPY stream (gzip, an .npz member, standard input): read forward; going back opens it again,
    where that can be done."""

    def __init__(
        self,
        name: str,
        header: tuple[tuple[int, ...], np.dtype[Any]],
        role: Role,
        stream: BinaryIO,
        reopen: Callable[[], BinaryIO] | None,
    ):
        super().__init__(name, header[0], header[1], role)
        self.concurrent = False
        self.stream, self.next = stream, 0
        self.row_bytes = math.prod(self.shape[1:]) * self.stored.itemsize
        self.reopen = reopen  # the stream at the data again; None: standard input, read once
        self.closers.append(lambda: self.stream.close())

    def _raw(self, start: int, stop: int) -> Array:
        if start < self.next:
            self._rewind(start)
        self._skip(start - self.next)
        size = (stop - start) * self.row_bytes
        data = _read_exactly(self.stream, size, self.name)
        if len(data) < size:
            raise _ended(self.name, self.shape, start + len(data) // max(1, self.row_bytes))
        self.next = stop
        return np.frombuffer(data, dtype=self.stored)

    def _rewind(self, start: int) -> None:
        if self.reopen is None:
            raise InputError(
                f"{self.name}: samples from {start:,} are asked for again, and standard input is read once; "
                f"give the array as a file"
            )
        self.stream.close()
        self.stream, self.next = self.reopen(), 0

    def _skip(self, rows: int) -> None:
        skipped, size = 0, rows * self.row_bytes
        while skipped < size:
            data = _read_exactly(self.stream, min(size - skipped, SKIP_BYTES), self.name)
            if not data:
                raise _ended(self.name, self.shape, self.next + skipped // self.row_bytes)
            skipped += len(data)
        self.next += rows


def _read_exactly(stream: BinaryIO, size: int, name: str) -> bytes:
    """Up to ``size`` bytes, fewer only where the stream ends."""
    chunks, got = [], 0
    while got < size:
        chunk = read_chunk(stream, min(size - got, 1 << 24), name)
        if not chunk:
            break
        chunks.append(chunk)
        got += len(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


class _Held(Tensor):
    """An array held whole: a JSON document, a Fortran-ordered .npy (whose samples are not contiguous)."""

    def __init__(self, name: str, array: Array, role: Role):
        super().__init__(name, tuple(int(d) for d in array.shape), array.dtype, role)
        self.array = array

    def _raw(self, start: int, stop: int) -> Array:
        return self.array[start:stop]


# --- opening ------------------------------------------------------------------------------------


def open_tensor(spec: str, *, role: Role, limits: Limits | None = None, stdin: BinaryIO | None = None) -> Tensor:
    """The N-D array that ``spec`` names (a path, ``FILE:KEY``, ``-`` for ``stdin``), checked and
    opened, nothing read but headers (a JSON document is read whole). ``limits``: how far gzip and
    .npz members may inflate. Every failure is an :class:`InputError` that names the file."""
    limits = limits or Limits()
    safetensors = _safetensors_spec(spec)
    if safetensors is not None:
        return _open_safetensors(spec, *safetensors, role)
    source = _resolved(spec)
    stream, fmt = open_binary(source, stdin, limits)
    try:
        if source.path is None:
            stream = _sniffed(stream)
        if fmt == "npy":
            return _open_npy(stream, source, role, _reopener(source, limits))
        if fmt == "npz":
            return _open_npz(stream, source, role, limits)
        if fmt == "json":
            return _open_json(stream, source, role)
        raise _two_d(source.name, fmt)
    except BaseException:
        stream.close()
        raise


def _resolved(spec: str) -> ResolvedInput:
    """What ``spec`` names, as ``source.resolve`` finds it; an unknown extension refused in the words of
    N-D arrays (source.py's list is of the 2-D formats)."""
    path = split_key(spec)[0]
    if spec != "-" and format_from_name(path) is None:
        raise InputError(
            f"{path}: unknown file type for an N-D array; give it as .npy (or .npy.gz), .npz, .json or .safetensors"
        )
    return resolve(spec)


def _two_d(name: str, fmt: str) -> InputError:
    return InputError(
        f"{name}: a {fmt} input is a table of rows and columns (2-D); give an N-D array as .npy, .npz, "
        f"nested JSON lists or .safetensors"
    )


def _sniffed(stream: BinaryIO) -> BinaryIO:
    """Standard input as it was, once a look at its start has refused safetensors (read in place, by offsets)."""
    head = read_chunk(stream, 16, "<stdin>")
    if _looks_like_safetensors(head):
        raise InputError("<stdin>: a .safetensors file is read in place; give its path, not standard input")
    return Peeked(head, stream)  # type: ignore[return-value]


def _looks_like_safetensors(head: bytes) -> bool:
    return len(head) > 8 and head[8:9] == b"{" and int.from_bytes(head[:8], "little") < HEADER_LIMIT


def _reopener(source: ResolvedInput, limits: Limits) -> Callable[[], BinaryIO] | None:
    """A file's NPY stream opened again at its data; None for standard input."""
    if source.path is None:
        return None
    from .npy import read_npy_header

    def reopen() -> BinaryIO:
        stream, _ = open_binary(source, None, limits)
        read_npy_header(stream, source.name)
        return stream

    return reopen


def _check_rank(shape: Sequence[int], name: str) -> None:
    if not shape:
        raise InputError(
            f"{name}: holds one number (a 0-d array, shape ()); axis 0 is the samples, so give an array of "
            f"shape (N, ...): np.save(path, np.atleast_1d(a))"
        )


def _open_npy(stream: BinaryIO, source: ResolvedInput, role: Role, reopen: Callable[[], BinaryIO] | None) -> Tensor:
    from .npy import read_npy_header

    name = source.name
    if source.key is not None:
        raise InputError(f"{name}: an .npy file holds one array; give it without :{source.key}")
    shape, fortran, dtype = read_npy_header(stream, name)
    _check_rank(shape, name)
    if fortran and len(shape) > 1:
        return _held_fortran(stream, name, (shape, dtype), role)
    size = _regular_size(stream)
    if size is None:
        return _Sequential(name, (shape, dtype), role, stream, reopen)
    offset = stream.tell()
    _check_claim(name, shape, dtype.itemsize, size - offset)
    tensor = _Pread(name, shape, dtype, role, (stream.fileno(), offset))
    tensor.closers.append(stream.close)
    return tensor


def _held_fortran(stream: BinaryIO, name: str, header: tuple[tuple[int, ...], np.dtype[Any]], role: Role) -> Tensor:
    """Column-major: a sample's values are spread over the whole file, so it is read whole."""
    shape, dtype = header
    size = math.prod(shape) * dtype.itemsize
    data = _read_exactly(stream, size, name)  # in chunks: a header claiming more is found out at the end
    stream.close()
    if len(data) < size:
        raise InputError(
            f"{name}: is truncated: its header claims shape {shape} ({size:,} bytes) but it holds {len(data):,}; "
            f"write it again"
        )
    return _Held(name, np.frombuffer(data, dtype=dtype).reshape(shape, order="F"), role)


def _regular_size(stream: BinaryIO) -> int | None:
    """The size of a regular file read directly (not through gzip); None for any other stream."""
    try:
        info = os.fstat(stream.fileno())
    except (OSError, AttributeError, ValueError):
        return None
    return info.st_size if stat.S_ISREG(info.st_mode) else None


def _check_claim(name: str, shape: tuple[int, ...], itemsize: int, available: int) -> None:
    """A header that claims more bytes than the file holds is refused before anything is read."""
    claimed = math.prod(shape) * itemsize
    if claimed > available:
        row = math.prod(shape[1:]) * itemsize
        raise InputError(
            f"{name}: is truncated: its header claims shape {shape} ({claimed:,} bytes) but the file holds "
            f"{max(0, available):,} bytes (about {max(0, available) // max(1, row):,} samples); write it again"
        )


def _open_npz(stream: BinaryIO, source: ResolvedInput, role: Role, limits: Limits) -> Tensor:
    from .npy import NpzArchive, read_npy_header
    from .open import _seekable

    archive = NpzArchive(_seekable(stream, source.name), source.file_name, limits)  # members named FILE:KEY
    key = _pick(archive.keys, source.key, archive.name, "array")

    def member() -> tuple[BinaryIO, str, int, tuple[tuple[int, ...], bool, np.dtype[Any]]]:
        member, member_name, size = archive.member(key)
        return member, member_name, size, read_npy_header(member, member_name)

    opened, member_name, size, (shape, fortran, dtype) = member()
    _check_rank(shape, member_name)
    _check_claim(member_name, shape, dtype.itemsize, size - opened.tell())
    if fortran and len(shape) > 1:
        tensor = _held_fortran(opened, member_name, (shape, dtype), role)
    else:
        tensor = _Sequential(member_name, (shape, dtype), role, opened, lambda: member()[0])
    tensor.closers.insert(0, stream.close)
    tensor.closers.insert(1, archive.zip.close)
    return tensor


def _pick(keys: Sequence[str], key: str | None, name: str, what: str) -> str:
    """The array or tensor ``key`` names, or the only one when no key is given."""
    if key is None:
        if len(keys) == 1:
            return keys[0]
        held = f"{len(keys)} {what}s ({_listed(keys)})" if keys else f"no {what}s"
        raise InputError(f"{name}: holds {held}; pick one as {name}:KEY")
    if key not in keys:
        known = f"the {what}s are {_listed(keys)}" if keys else f"it holds no {what}s"
        raise InputError(f"{name}: no {what} {key!r}; {known}")
    return key


def _listed(keys: Sequence[str], most: int = 10) -> str:
    shown = ", ".join(repr(k) for k in keys[:most])
    return shown if len(keys) <= most else f"{shown} and {len(keys) - most:,} more"


# --- JSON -----------------------------------------------------------------------------------------


def _open_json(stream: BinaryIO, source: ResolvedInput, role: Role) -> Tensor:
    from .jsondata import _check_memory, loads

    name, key = source.name, source.key
    text = read_chunk(stream, -1, name)
    stream.close()
    _check_memory(text, name)
    data = loads(text, name)
    del text
    if isinstance(data, dict):
        data = data[_pick(list(data), key, source.file_name, "array")]
    elif key is not None:
        raise InputError(f"{name}: the document is a list, not an object of named arrays; give it without :{key}")
    return _Held(name, _json_array(data, name), role)


def _json_array(data: object, name: str) -> Array:
    """Nested lists as an array: rectangular, of numbers (true/false 1/0, null missing: NaN)."""
    if isinstance(data, int | float) or data is None:
        _check_rank((), name)
    if not isinstance(data, list):
        raise InputError(f"{name}: the document is {_described(data)}, not a list of samples; give nested lists")
    try:
        array = np.array(data)
    except (ValueError, OverflowError):  # ragged (NumPy refuses an inhomogeneous shape)
        array = None
    if array is None:
        raise _ragged(data, name)
    if array.dtype.kind in "biuf":
        return array
    from .jsondata import json_number

    # text, objects, null or integers beyond int64: each named where it is, or read as a number
    values = [json_number(v, name, "item " + _at(index)) for index, v in _leaves(data, ())]
    return np.array(values, dtype=np.float64).reshape(array.shape)


def _first_shape(data: object) -> tuple[int, ...]:
    """The shape that the first item at each depth implies."""
    shape = []
    while isinstance(data, list):
        shape.append(len(data))
        if not data:
            break
        data = data[0]
    return tuple(shape)


def _misfit(data: object, shape: tuple[int, ...], index: tuple[int, ...]) -> tuple[int, ...] | None:
    """The first position (in reading order) whose item does not fit ``shape``."""
    depth = len(index)
    if depth == len(shape):
        return index if isinstance(data, list) else None
    if not isinstance(data, list) or len(data) != shape[depth]:
        return index
    for k, item in enumerate(data):
        found = _misfit(item, shape, (*index, k))
        if found is not None:
            return found
    return None


def _ragged(data: object, name: str) -> InputError:
    shape = _first_shape(data)
    index = _misfit(data, shape, ()) or ()
    item: object = data
    for k in index:
        item = item[k]  # type: ignore[index]
    first = (0,) * len(index)
    expected = f"a list of {shape[len(index)]} items" if len(index) < len(shape) else "a number"
    return InputError(
        f"{name}: item {_at(index)} is {_described(item)} where item {_at(first)} is {expected}; nested lists "
        f"must be rectangular (every list at one depth of the same length): pad them to one length"
    )


def _described(item: object) -> str:
    if isinstance(item, list):
        return f"a list of {len(item)} items"
    if isinstance(item, dict):
        return "an object"
    return "a number" if isinstance(item, int | float) or item is None else f"the string {str(item)[:40]!r}"


def _leaves(data: object, index: tuple[int, ...]) -> Iterator[tuple[tuple[int, ...], object]]:
    if isinstance(data, list):
        for k, item in enumerate(data):
            yield from _leaves(item, (*index, k))
    else:
        yield index, data


def _at(index: tuple[int, ...]) -> str:
    return "".join(f"[{k}]" for k in index) or "(the document)"


# --- safetensors ----------------------------------------------------------------------------------

HEADER_LIMIT = 100_000_000  # the safetensors library's own limit on a header's size
SAFETENSORS_DTYPES = {  # the format's codes NumPy reads, little-endian; BF16 as its bits
    "BOOL": "|b1",
    "U8": "|u1",
    "I8": "|i1",
    "U16": "<u2",
    "I16": "<i2",
    "U32": "<u4",
    "I32": "<i4",
    "U64": "<u8",
    "I64": "<i8",
    "F16": "<f2",
    "BF16": "<u2",
    "F32": "<f4",
    "F64": "<f8",
}


def _safetensors_spec(spec: str) -> tuple[str, str | None] | None:
    """(path, key) when ``spec`` names a .safetensors file; None for every other input."""
    if spec.lower().endswith(".safetensors.gz"):
        raise InputError(f"{spec}: a .safetensors file is read in place; decompress it first (gunzip)")
    if spec.lower().endswith(".safetensors"):
        return spec, None
    head, colon, key = spec.rpartition(":")
    if colon and key and head.lower().endswith(".safetensors") and not os.path.exists(spec):
        return head, key
    return None


def _open_safetensors(spec: str, path: str, key: str | None, role: Role) -> Tensor:
    _require_library(path)
    if _not_regular(path):  # before open(), which waits for a writer on a FIFO
        raise _not_in_place(path)
    stream = open_file(path)
    try:
        size = _regular_size(stream)
        if size is None:
            raise _not_in_place(path)
        header, data_start = _safetensors_header(stream, path, size)
        key = _pick([k for k in header if k != "__metadata__"], key, path, "tensor")
        name = spec
        shape, stored, (begin, end) = _entry(header, key, name)
        if data_start + end > size:
            raise InputError(
                f"{name}: is truncated: its header places the tensor at data bytes {begin:,} to {end:,} but the "
                f"file holds {max(0, size - data_start):,} bytes of data; write it again"
            )
        _validate_with_library(path)
        tensor = _Pread(name, shape, stored, role, (stream.fileno(), data_start + begin))
        tensor.bfloat16 = header[key]["dtype"] == "BF16"
        tensor.dtype = "bfloat16" if tensor.bfloat16 else stored.name
    except BaseException:
        stream.close()
        raise
    tensor.closers.append(stream.close)
    return tensor


def _not_regular(path: str) -> bool:
    try:
        return not stat.S_ISREG(os.stat(path).st_mode)
    except OSError:  # absent, unreadable: open_file says which
        return False


def _not_in_place(path: str) -> InputError:
    return InputError(f"{path}: is not a regular file; a .safetensors file is read in place, by offsets")


def _require_library(path: str) -> None:
    try:
        import safetensors  # noqa: F401
    except ImportError:
        raise InputError(f"{path}: reading .safetensors needs the safetensors library: {INSTALL}") from None


def _header_length(stream: BinaryIO, path: str) -> int:
    head = read_chunk(stream, 8, path)
    if len(head) < 8:
        raise InputError(
            f"{path}: holds {len(head)} bytes, too few for a safetensors file (it starts with its header's "
            f"8-byte length); write it again with safetensors' save_file"
        )
    return int.from_bytes(head, "little")


def _safetensors_header(stream: BinaryIO, path: str, size: int) -> tuple[dict[str, Any], int]:
    """The header's JSON and where the data starts, the header's claimed length checked against the
    file before it is read."""
    length = _header_length(stream, path)
    if length > size - 8 or length > HEADER_LIMIT:
        raise InputError(
            f"{path}: its header claims {length:,} bytes but the file holds {size - 8:,} after the header's length "
            f"(and safetensors allows {HEADER_LIMIT:,}); it is truncated or not a safetensors file"
        )
    text = read_chunk(stream, length, path)
    try:
        header = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise InputError(f"{path}: has a damaged safetensors header ({exc}); write it again") from None
    if not isinstance(header, dict) or not all(isinstance(v, dict) for v in header.values()):
        raise InputError(f"{path}: has a damaged safetensors header (not an object of tensors); write it again")
    return header, 8 + length


def _entry(header: dict[str, Any], key: str, name: str) -> tuple[tuple[int, ...], np.dtype[Any], tuple[int, int]]:
    """(shape, stored dtype, data offsets) of one tensor, their sizes checked against each other."""
    entry = header[key]
    code, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
    if not isinstance(code, str) or code not in SAFETENSORS_DTYPES:
        readable = "bool, integers, float16, bfloat16, float32 and float64"
        raise InputError(
            f"{name}: is a tensor of dtype {code}, not real numbers losscli reads ({readable}); convert it "
            f"(to float32, say) before saving"
        )
    if not _ints(shape, 0) or not _ints(offsets, 2) or not 0 <= offsets[0] <= offsets[1]:
        raise InputError(f"{name}: has a damaged header entry ({json.dumps(entry)[:200]}); write the file again")
    _check_rank(shape, name)
    stored = np.dtype(SAFETENSORS_DTYPES[code])
    if offsets[1] - offsets[0] != math.prod(shape) * stored.itemsize:
        raise InputError(
            f"{name}: its header gives shape {tuple(shape)} of {code} ({math.prod(shape) * stored.itemsize:,} "
            f"bytes) but {offsets[1] - offsets[0]:,} bytes of data; write the file again"
        )
    return tuple(shape), stored, (offsets[0], offsets[1])


def _ints(value: object, length: int) -> bool:
    """A list of non-negative ints (of ``length`` items, unless 0)."""
    return (
        isinstance(value, list)
        and (length == 0 or len(value) == length)
        and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value)
    )


def _validate_with_library(path: str) -> None:
    """The library's checks of the whole header: offsets that tile the data, no overlaps, its dtypes."""
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(path, framework="numpy") as opened:
            opened.keys()
    except (SafetensorError, OSError) as exc:  # OSError: a file system that cannot map files
        raise InputError(f"{path}: is not a valid safetensors file ({exc}); write it again") from None


# --- what the command line needs before it picks a pass ------------------------------------------


def held_tensor(name: str, array: Any, role: Role) -> Tensor:
    """An array in memory (the Python API) as a tensor input; checked as a file's values are."""
    values = np.asarray(array)
    if values.dtype.kind not in "biuf":
        raise InputError(f"{name}: holds values of dtype {values.dtype}, not real numbers")
    _check_rank(values.shape, name)
    return _Held(name, values, role)


def rank_hint(spec: str) -> int | None:
    """The rank of the array ``spec`` names, from its header alone (.npy, .npz, .safetensors) or the
    start of a JSON document (``[[[`` is rank 3 or more); None where that cannot be known without
    reading it (text, standard input, a name that is not a file). Never raises: the pass that reads
    the input says what is wrong with it."""
    if spec == "-":
        return None
    try:
        path, _ = split_key(spec)
        if not stat.S_ISREG(os.stat(path).st_mode):  # a FIFO or a device is read once, by the reader
            return None
        fmt = "safetensors" if _safetensors_spec(spec) else format_from_name(path)
        if fmt in ("npy", "npz", "safetensors"):
            with open_tensor(spec, role="predictions") as tensor:
                return len(tensor.shape)
        if fmt == "json" and not path.lower().endswith(".gz"):
            with open(path, "rb") as stream:
                head = re.sub(rb"\s+", b"", stream.read(4096))
            return 3 if head.startswith(b"[[[") else None
    except (InputError, OSError, ValueError):
        return None
    return None


def is_safetensors(spec: str) -> bool:
    """Whether ``spec`` names a .safetensors file (or one tensor of one): read by the N-D pass only."""
    try:
        return _safetensors_spec(spec) is not None
    except InputError:  # a .safetensors.gz: the N-D pass says why
        return True
