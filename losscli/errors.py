"""One exception family for everything a user can get wrong, and the exit codes.

The command-line entry point catches :class:`LossCliError` once and turns it into
one line on stderr and an exit status; the Python API lets it propagate.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    CHECK_FAILED = 1  # a check failed: --fail-above / --fail-below, --baseline, --fail-if-worse
    USAGE = 2  # bad command line, bad input, or an output that cannot be written
    INTERNAL = 70  # a bug: an error no check foresaw (EX_SOFTWARE)
    INTERRUPTED = 130  # Ctrl-C or SIGINT (128 + 2, as shells report it)


def one_line(text: str) -> str:
    """A message as one line: a line break inside it (a file name with a newline, a library's
    multi-line message) is written as its escape, so that stderr has one line per message."""
    text = text.strip()
    if not any(c in text for c in "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"):
        return text
    return "".join(
        c.encode("unicode_escape").decode() if c in "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029" else c for c in text
    )


class LossCliError(Exception):
    """Base of every error losscli reports to a user: a message, no traceback."""

    exit_code = ExitCode.USAGE


class UsageError(LossCliError):
    """The command line (or API call) asks for something that does not exist or fit."""


class InputError(LossCliError):
    """An input file or array cannot be used: unreadable, malformed, wrong shape."""


class DomainError(InputError):
    """A value lies outside the domain of the chosen loss.

    Raised by the core, which knows array indices but not file names; ``role`` and
    ``index`` let the caller say where the value came from (see ``cli.py``).
    """

    def __init__(self, role: str, index: tuple[int, ...], value: float, need: str):
        self.role = role  # "predictions" or "targets"
        self.index = index
        self.value = value
        self.need = need
        where = ", ".join(str(i) for i in index)
        super().__init__(f"{role}[{where}] = {value!r}: {need}")

    def __reduce__(self):  # picklable, so that a Dask worker's error reaches the user
        return (type(self), (self.role, self.index, self.value, self.need))
