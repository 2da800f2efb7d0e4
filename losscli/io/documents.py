"""Small files losscli reads whole: settings (losscli.toml, pyproject.toml), baselines, states.

Each is checked for its kind and its size before a byte is read: a committed link
``losscli.toml -> /dev/zero`` or ``baseline = "/dev/zero"`` would otherwise be read until
memory runs out, and a FIFO with no writer would block the run for ever. The file is opened
without blocking (a FIFO's open waits for a writer), must be a regular file, and may not hold
more than the limit of its kind; it is read through the same descriptor, so what was checked is
what is read.
"""

from __future__ import annotations

import os
import stat

from ..errors import InputError

SETTINGS_LIMIT = 1 << 20  # a settings file of 1 MiB is already 100 times any real one
STATE_LIMIT = 1 << 28  # a state holds sums and a few rows: 256 MiB is thousands of columns' worth
BASELINE_LIMIT = 1 << 30  # a saved --format json result lists every sample (and element): up to 1 GiB

_KINDS = (
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
)


def kind_of(mode: int) -> str:
    return next((what for test, what in _KINDS if test(mode)), "not a regular file")


def read_document(path: str, label: str, what: str, limit: int) -> bytes:
    """The bytes of ``path``, a regular file of at most ``limit`` bytes. ``label`` starts every
    message ("--baseline b.json"); ``what`` names the kind of file ("a state file").

    FileNotFoundError, IsADirectoryError and NotADirectoryError go to the caller, which knows
    whether a missing file is an error."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(path)
        if not stat.S_ISREG(info.st_mode):
            raise InputError(f"{label}: is {kind_of(info.st_mode)}, not a file; {what} must be a regular file")
        if info.st_size > limit:
            raise _too_large(label, what, info.st_size, limit)
        chunks, got = [], 0
        while got <= limit:  # the size said may be wrong (a file still growing, /proc): read to the limit
            chunk = os.read(fd, min(1 << 20, limit + 1 - got))
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
        if got > limit:
            raise _too_large(label, what, got, limit, more=True)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _too_large(label: str, what: str, size: int, limit: int, more: bool = False) -> InputError:
    held = f"more than {limit:,}" if more else f"{size:,}"
    return InputError(
        f"{label}: holds {held} bytes; {what} of more than {limit:,} bytes is refused (is it the right file?)"
    )
