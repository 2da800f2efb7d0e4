"""Writing outputs safely: never over an input, atomically, nothing left behind.

An output path is refused when it is the same file as any input, compared by device
and inode (so a link, a bind mount or ``./x`` and ``x`` cannot fool it), and when it is
anything but a regular file or a new name: a device, a FIFO or a directory is never
replaced by a rename. A regular file is written to a temporary file beside it and
renamed over it, so readers see the old file or the whole new one; the temporary file
is removed on any error, on Ctrl-C and on SIGTERM.
"""

from __future__ import annotations

import os
import stat
import sys
from contextlib import contextmanager, suppress

from ..errors import InputError, UsageError
from .source import STDIN, split_key

_TEMPORARY: set[str] = set()  # temporary files to remove if the process is told to stop


def _identity(path: str) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_dev, info.st_ino


def refuse_inputs(path: str, inputs: list[str | None], flag: str) -> None:
    """An output never replaces an input, nor anything but a regular file."""
    target = _identity(path)
    if target is not None:
        for name in inputs:
            if name and name != STDIN and _identity(split_key(name)[0]) == target:
                raise UsageError(f"{flag} {path} is one of the inputs ({name}); losscli never overwrites an input")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise InputError(f"{flag} {path}: the folder {folder} does not exist")
    if os.path.isdir(path):
        raise InputError(f"{flag} {path}: is a directory; give a file name")


def _special(path: str) -> bool:
    """A device, a FIFO or a socket: written to in place, never replaced."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def _cleanup_on_signals() -> None:
    import signal

    def stop(signum, frame):
        for temporary in list(_TEMPORARY):
            with suppress(OSError):
                os.unlink(temporary)
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)

    if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
        signal.signal(signal.SIGTERM, stop)


def _new_temporary(folder: str, base: str, flag: str, shown: str) -> str:
    """A new private file beside the output (``.NAME.XXXXXXXX.tmp``, mode 0600 as mkstemp
    makes), its name known to the signal handler before the file exists."""
    while True:
        temporary = os.path.join(folder, f".{base}.{os.urandom(4).hex()}.tmp")
        _TEMPORARY.add(temporary)
        try:
            os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            return temporary
        except FileExistsError:
            _TEMPORARY.discard(temporary)  # another writer's: left alone, another name tried
        except OSError as exc:
            _TEMPORARY.discard(temporary)
            raise InputError(f"{flag} {shown}: cannot write there ({exc.strerror or exc})") from None


@contextmanager
def replaced_atomically(path: str, flag: str = "--output"):
    """A temporary path beside ``path``: write it, and on success it is renamed over ``path``.
    A symbolic link stays a link: the file it names is the one replaced."""
    shown, path = path, os.path.realpath(path) if os.path.islink(path) else path
    folder = os.path.dirname(os.path.abspath(path))
    base = os.path.basename(path)
    # The SIGTERM handler is in place, and the name registered, before the file exists: a
    # SIGTERM at any moment after finds the file to remove (with mkstemp first, one that
    # came before the handler killed the process and left the file).
    _cleanup_on_signals()
    temporary = _new_temporary(folder, base, flag, shown)
    try:
        yield temporary
        # the file is private until now; give it the mode a new file would have
        mask = os.umask(0)
        os.umask(mask)
        mode = (os.stat(path).st_mode & 0o777) if os.path.exists(path) else 0o666 & ~mask
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except OSError as exc:
        raise InputError(f"{flag} {shown}: cannot write it ({exc.strerror or exc})") from None
    finally:
        _TEMPORARY.discard(temporary)
        if os.path.exists(temporary):
            os.unlink(temporary)


def _copy(data, out) -> None:
    """Text, bytes, a list of bytes (pieces of a large JSON), or a binary file (a spooled
    output) into ``out``."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if isinstance(data, bytes):
        out.write(data)
    elif isinstance(data, list):
        for piece in data:
            out.write(piece)
    else:
        import shutil

        shutil.copyfileobj(data, out, 1 << 20)


def emit(text, output: str | None, quiet: bool = False) -> None:
    """A command's output: to ``--output`` (atomically) when given, else to stdout unless quiet.
    ``text`` is anything _copy takes, or None when a table went to the terminal itself."""
    if output:
        write_atomically(output, text or "")
    elif text and not quiet:
        write_stdout(text)


def as_text(data) -> str:
    """Any output (see _copy) as one str: for a stream that takes text only."""
    if isinstance(data, str):
        return data
    if isinstance(data, list):
        data = b"".join(data)
    return (data if isinstance(data, bytes) else data.read()).decode("utf-8")


def write_atomically(path: str, text, flag: str = "--output") -> None:
    """Write ``text`` (str, bytes or a binary file) to ``path``: in place for a device or FIFO,
    else by an atomic rename."""
    if _special(path):
        try:
            with open(path, "wb") as out:
                _copy(text, out)
        except OSError as exc:
            raise InputError(f"{flag} {path}: cannot write it ({exc.strerror or exc})") from None
        return
    with replaced_atomically(path, flag) as temporary, open(temporary, "wb") as out:
        _copy(text, out)
        out.flush()
        os.fsync(out.fileno())


def write_stdout(text) -> None:
    """Data (str, bytes, pieces of bytes, or a binary file) to stdout, as bytes in UTF-8 whatever the locale says."""
    if sys.stdout is None:
        raise InputError("standard output is closed; redirect it, or write the output with --output FILE")
    stream = getattr(sys.stdout, "buffer", None)
    if stream is None:  # a text-only stdout (a test runner)
        sys.stdout.write(as_text(text))
        sys.stdout.flush()
        return
    sys.stdout.flush()
    _copy(text, stream)
    stream.flush()
