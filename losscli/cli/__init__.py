"""The command line: parses, calls the engine, hands the result to the report. No maths.

``main`` is the entry point. It imports the rest only inside its own handlers, so that
even Ctrl-C while Python loads NumPy ends as one line and exit status 130. A plain loss command
runs without Typer (``plain.py``); the rest is Typer's (``app.py``).
"""

import sys

INTERRUPTED = 130  # errors.ExitCode.INTERRUPTED, without importing anything before the handler


def main() -> None:
    try:
        from .plain import plain_run

        code = plain_run(sys.argv[1:])
        if code is not None:
            sys.exit(code)
        from .app import run_command

        run_command()
    except KeyboardInterrupt:  # while loading, or building the command (outside run_safely)
        _ignore_interrupts()
        sys.stderr.write("losscli: error: interrupted\n")
        _exit_interrupted()
    except SystemExit as exit:
        _ignore_interrupts()
        if exit.code == INTERRUPTED:
            _exit_interrupted()
        raise


def _exit_interrupted() -> None:
    """Exit 130 now, every time. A KeyboardInterrupt that passed out of an eval() on its way to our
    handler (Typer evaluates annotations with inspect's eval) sets CPython's flag of an unhandled
    interrupt, and at exit the interpreter then kills itself with SIGINT (status -2, not 130), though
    the interrupt was handled. A Dask cluster has stopped while the exception unwound; what is left is the
    temporary outputs (removed at exit otherwise) and the streams' buffers."""
    import contextlib
    import os

    from ..io.write import remove_temporaries

    remove_temporaries()  # os._exit runs no atexit function
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError, AttributeError):
            stream.flush()
    os._exit(INTERRUPTED)


def _ignore_interrupts() -> None:
    """The run is over and its status known: a Ctrl-C now would only turn it into a traceback or
    a death by signal at exit. (In the process's own entry point only: SIG_IGN is inherited by
    child processes, so never in a caller's process.)"""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
