"""Writing outputs safely: never over an input, atomically, nothing left behind.

An output path is refused when it is the same file as any file the run reads (shards
expanded, FILE:KEY to FILE), compared by device and inode (so a link, a bind mount or
``./x`` and ``x`` cannot fool it), at the start and again just before the final rename (a
link made at the output's name in between would otherwise be followed onto an input); and
when it is anything but a regular file or a new name: a device, a FIFO or a directory is
never replaced by a rename. A symbolic link is followed (the file it names is replaced)
except where the kernel's ``protected_symlinks`` would not follow it: another user's link
in a sticky world-writable folder such as /tmp. A regular file is written to a new private
file beside it, through the descriptor that created it, and renamed over it, so readers
see the old file or the whole new one. The temporary file is removed on any error, on
Ctrl-C, at exit, and on every catchable signal that ends the process.
"""

from __future__ import annotations

import os
import stat
import sys
from contextlib import contextmanager, suppress

from ..errors import InputError, UsageError
from .source import STDIN, split_key

_TEMPORARY: set[str] = set()  # temporary files to remove if the process is told to stop
_INPUTS: dict[tuple[int, int], str] = {}  # (device, inode) -> the input as typed, of this run
# Signals whose default action ends the process, that another process (or a terminal, a
# timer, a job scheduler) may send while an output is written; SIGINT is Ctrl-C, handled as
# KeyboardInterrupt, and SIGPIPE is ignored by Python (a write then fails).
ENDING = ("SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGALRM", "SIGVTALRM", "SIGPROF", "SIGXCPU", "SIGPWR")
ENDING += ("SIGIO", "SIGSTKFLT")
TEMPORARY_SUFFIX = 22  # bytes a temporary name adds to the output's: "." ... ".<16 hex digits>.tmp"


def _identity(path: str) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return None
    return info.st_dev, info.st_ino


def protect_inputs(inputs: list[str | None]) -> None:
    """Remember the files this run reads (every shard of a glob or a directory, FILE of
    FILE:KEY), by device and inode, for every later check of an output (replacing what an
    earlier run in this process remembered)."""
    from .shards import input_files

    _INPUTS.clear()
    for name in inputs:
        if not name or name == STDIN:
            continue
        try:
            files = input_files(name)
        except InputError:  # a pattern that matches nothing: its reading says so
            files = [split_key(name)[0]]
        for path in files:
            identity = _identity(path)
            if identity is not None:
                _INPUTS.setdefault(identity, path if path == split_key(name)[0] else f"{path}, of {name}")


def _refuse_an_input(path: str, flag: str, shown: str | None = None) -> None:
    identity = _identity(path)
    if identity is not None and identity in _INPUTS:
        raise UsageError(
            f"{flag} {shown or path} is one of the inputs ({_INPUTS[identity]}); losscli never overwrites an input"
        )


def refuse_inputs(path: str, inputs: list[str | None], flag: str) -> None:
    """An output never replaces an input, nor anything but a regular file."""
    protect_inputs(inputs)
    _refuse_an_input(path, flag)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise InputError(f"{flag} {path}: the folder {folder} does not exist")
    if os.path.isdir(path):
        raise InputError(f"{flag} {path}: is a directory; give a file name")
    _refuse_a_foreign_link(path, flag)


def _refuse_a_foreign_link(path: str, flag: str) -> None:
    """Another user's link in a sticky world-writable folder is not followed: the kernel's
    ``protected_symlinks`` rule (a rename does not follow links, so it would not stop us)."""
    try:
        link = os.lstat(path)
        if not stat.S_ISLNK(link.st_mode):
            return
        folder = os.stat(os.path.dirname(os.path.abspath(path)))
    except OSError:
        return
    if not may_follow(link, folder, os.geteuid()):
        raise UsageError(
            f"{flag} {path}: is a link of another user (uid {link.st_uid}) in a shared folder (sticky and "
            f"writable by all), which losscli does not follow; give a name of your own"
        )


def may_follow(link: os.stat_result, folder: os.stat_result, uid: int) -> bool:
    """Whether ``protected_symlinks`` lets ``uid`` follow ``link`` in ``folder``: outside a sticky
    world-writable folder, or a link owned by the follower or by the folder's owner."""
    shared = folder.st_mode & stat.S_ISVTX and folder.st_mode & stat.S_IWOTH
    return not shared or link.st_uid in (uid, folder.st_uid)


def _special(path: str) -> bool:
    """A device, a FIFO or a socket: written to in place, never replaced."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def remove_temporaries(*_) -> None:
    """Remove every temporary output not yet renamed (at exit, on an ending signal, on Ctrl-C)."""
    for temporary in list(_TEMPORARY):
        with suppress(OSError):
            os.unlink(temporary)
        _TEMPORARY.discard(temporary)


def _cleanup_on_signals() -> None:
    """One mechanism for every way out: each ending signal (not already handled by whoever
    embeds losscli) removes the temporary files, then ends the process as the signal would;
    exit (after Ctrl-C, or any error, wherever it came) removes them too."""
    import atexit
    import signal

    def stop(signum, frame):
        remove_temporaries()
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)

    for name in ENDING:
        signum = getattr(signal, name, None)
        if signum is not None and signal.getsignal(signum) in (signal.SIG_DFL, None):
            with suppress(OSError, ValueError):  # ValueError: not the main thread
                signal.signal(signum, stop)
    atexit.unregister(remove_temporaries)
    atexit.register(remove_temporaries)


def _name_max(folder: str) -> int:
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):
        return 255


def _temporary_name(folder: str, base: str) -> str:
    """``.NAME.<16 hex>.tmp`` beside the output, NAME shortened so that the whole fits in the
    folder's longest name (a 254-byte output name is valid; its temporary must be too)."""
    room = max(1, _name_max(folder) - TEMPORARY_SUFFIX)
    head = os.fsdecode(os.fsencode(base)[:room])  # a cut inside a UTF-8 character stays bytes (surrogateescape)
    return os.path.join(folder, f".{head}.{os.urandom(8).hex()}.tmp")


def _new_temporary(folder: str, base: str, flag: str, shown: str) -> tuple[str, int]:
    """A new private file beside the output (mode 0600, as mkstemp makes) and its descriptor;
    the name is known to the signal handler before the file exists, and stays known until the
    caller is done with it (a Ctrl-C at any moment after leaves it to the exit's clean-up)."""
    while True:
        temporary = _temporary_name(folder, base)
        _TEMPORARY.add(temporary)
        try:
            return temporary, os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            _TEMPORARY.discard(temporary)  # another writer's: left alone, another name tried
        except OSError as exc:
            _TEMPORARY.discard(temporary)
            raise InputError(f"{flag} {shown}: cannot write there ({exc.strerror or exc})") from None


def _destination(path: str, flag: str) -> str:
    """The file a rename onto ``path`` replaces: ``path``, or the file its link names; checked
    now, just before the rename, against the inputs and the links of other users. (A link
    made at ``path`` after this is replaced itself by the rename, not followed.)"""
    shown = path
    if os.path.islink(path):
        _refuse_a_foreign_link(path, flag)
        path = os.path.realpath(path)
    _refuse_an_input(path, flag, shown)
    return path


@contextmanager
def replaced_atomically(path: str, flag: str = "--output"):
    """A new binary file beside ``path``: write it, and on success it is renamed over ``path``.
    A symbolic link stays a link: the file it names is the one replaced."""
    shown = path
    folder = os.path.dirname(os.path.abspath(os.path.realpath(path) if os.path.islink(path) else path))
    base = os.path.basename(os.path.realpath(path) if os.path.islink(path) else path)
    # The handlers are in place, and the name registered, before the file exists: a signal at
    # any moment after finds the file to remove.
    _cleanup_on_signals()
    temporary = None
    try:
        temporary, fd = _new_temporary(folder, base, flag, shown)
        with os.fdopen(fd, "wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
            target = _destination(path, flag)
            # the file is private until now; give it the mode a new file would have
            mask = os.umask(0)
            os.umask(mask)
            mode = (os.stat(target).st_mode & 0o777) if os.path.exists(target) else 0o666 & ~mask
            os.fchmod(out.fileno(), mode)
        os.replace(temporary, target)
    except OSError as exc:
        raise InputError(f"{flag} {shown}: cannot write it ({exc.strerror or exc})") from None
    finally:
        if temporary is not None:
            with suppress(OSError):
                if os.path.exists(temporary):
                    os.unlink(temporary)
            _TEMPORARY.discard(temporary)


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
    _refuse_a_foreign_link(path, flag)
    special = _open_special(path, flag)
    if special is not None:
        try:
            with os.fdopen(special, "wb") as out:
                _copy(text, out)
        except OSError as exc:
            raise InputError(f"{flag} {path}: cannot write it ({exc.strerror or exc})") from None
        return
    with replaced_atomically(path, flag) as out:
        _copy(text, out)


def _open_special(path: str, flag: str) -> int | None:
    """A descriptor of ``path`` opened for writing when it is a device, a FIFO or a socket (written
    in place, never replaced), else None. Opened without truncating and checked once open: a
    regular file put there since (an input, through a link) is neither truncated nor written."""
    if not _special(path):
        return None
    try:
        fd = os.open(path, os.O_WRONLY | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise InputError(f"{flag} {path}: cannot write it ({exc.strerror or exc})") from None
    mode = os.fstat(fd).st_mode
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        os.close(fd)
        return None
    return fd


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
