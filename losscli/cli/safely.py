"""How every command ends: an exit status and at most one line on stderr, decided here, once.
Typer-free, so that a plain run (``plain.py``) and Typer's commands (``app.py``) share it."""

from __future__ import annotations

import contextlib
import sys

from ..errors import ExitCode, LossCliError, one_line

ISSUES = "https://github.com/losscli/losscli/issues"


def error_line(message: str) -> None:
    if sys.stderr is None:  # stderr closed: the exit status still says it
        return
    try:
        sys.stderr.write(f"losscli: error: {one_line(message)}\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


def write_stderr(text: str) -> None:
    with contextlib.suppress(OSError, ValueError, AttributeError):
        sys.stderr.write(text)


def quietly(call):
    """``call()`` with NumPy's warnings off: stderr carries messages, never a NumPy warning (a value
    that is not finite says so itself); stdout flushed, so that a closed pipe shows here, not at exit."""
    import warnings

    import numpy as np

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        code = call()
        if sys.stdout is not None:
            sys.stdout.flush()
        return code


def run_safely(call) -> int:
    """Run ``call``; every way it can end as an exit status, and at most one line on stderr."""
    try:
        code = call()
        code = ExitCode.OK if code is None else code
        if code == ExitCode.INTERRUPTED:  # Typer turns Ctrl-C into a silent return of 130
            error_line("interrupted")
    except LossCliError as exc:
        error_line(str(exc))
        code = exc.exit_code
    except KeyboardInterrupt:
        error_line("interrupted")
        code = ExitCode.INTERRUPTED
    except BrokenPipeError:
        code = broken_pipe()
    except MemoryError:  # an input too large for this machine (a loss command names it; see execute)
        error_line("out of memory: an input is too large for this machine; give a smaller one, or use more memory")
        code = ExitCode.USAGE
    except OSError as exc:
        if exc.errno == 32:
            code = broken_pipe()
        else:
            error_line(f"cannot write the output ({exc.strerror or exc}); check the disk and the path")
            code = ExitCode.USAGE
    except Exception as exc:  # a bug: say so, once; the traceback only when asked for (LOSSCLI_DEBUG=1)
        import os

        if os.environ.get("LOSSCLI_DEBUG"):
            import traceback

            traceback.print_exc()
        error_line(
            f"internal error ({type(exc).__name__}: {exc}); this is a bug, please report it at {ISSUES} "
            f"(LOSSCLI_DEBUG=1 shows where)"
        )
        code = ExitCode.INTERNAL
    return int(code)


def broken_pipe() -> int:
    """The reader of stdout went away (``| head``): not a failure of ours, nothing left to say."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
    return int(ExitCode.OK)
