"""The command line: parses, calls the engine, hands the result to the report. No maths.

``main`` is the entry point. It imports the rest only inside its own handlers, so that
even Ctrl-C while Python loads NumPy ends as one line and exit status 130.
"""

import sys


def main() -> None:
    try:
        from .app import run_command

        run_command()
    except KeyboardInterrupt:  # while loading, or building the command (outside run_safely)
        _ignore_interrupts()
        sys.stderr.write("losscli: error: interrupted\n")
        sys.exit(130)
    except SystemExit:
        _ignore_interrupts()
        raise


def _ignore_interrupts() -> None:
    """The run is over and its status known: a Ctrl-C now would only turn it into a traceback or
    a death by signal at exit. (In the process's own entry point only: SIG_IGN is inherited by
    child processes, so never in a caller's process.)"""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
