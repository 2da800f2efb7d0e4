"""One exception family for everything a user can get wrong, and the exit codes.

The command-line entry point catches :class:`LossCliError` once and turns it into
one line on stderr and an exit status; the Python API lets it propagate.
"""

from __future__ import annotations

import re
from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    CHECK_FAILED = 1  # a check failed: --fail-above / --fail-below, --baseline, --fail-if-worse
    USAGE = 2  # bad command line, bad input, or an output that cannot be written
    INTERNAL = 70  # a bug: an error no check foresaw (EX_SOFTWARE)
    INTERRUPTED = 130  # Ctrl-C or SIGINT (128 + 2, as shells report it)


# What a terminal acts on rather than shows: C0 controls (escape sequences start with ESC), DEL,
# C1 controls (CSI is U+009B), line and paragraph breaks, and the bidirectional overrides that
# reorder what is shown. Written as their escapes wherever text from an input reaches a person.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u0085\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def _escaped(match: re.Match) -> str:
    return match.group().encode("unicode_escape").decode("ascii")


def printable(text: str) -> str:
    """``text`` as a person's terminal should show it: every control character written as its
    escape (``\\x1b``, ``\\n``, ``\\u202e``), so that a cell or a file name can neither move the
    cursor, recolour, retitle the window nor reorder what follows. Data outputs (CSV, JSON) keep
    the text exact; tables, markdown and the lines on stderr show it this way."""
    return _CONTROL.sub(_escaped, text) if _CONTROL.search(text) else text


def one_line(text: str) -> str:
    """A message as one line: a line break inside it (a file name with a newline, a library's
    multi-line message) or any other control character is written as its escape, so that stderr
    has one line per message and no escape sequence from an input reaches the terminal."""
    return printable(text.strip())


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
