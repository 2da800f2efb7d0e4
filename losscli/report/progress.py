"""A progress bar on stderr for a pass that takes more than a second.

Only on a terminal: never when stderr is piped or redirected, with ``--quiet`` or on a dumb
terminal (``NO_COLOR`` turns the colour off, not the bar: Rich honours it). It shows the bytes
read of the inputs' size when every input is a file (under gzip, of the compressed file), else
the rows read. :func:`phase` does the same for the work after the read: the resampling of
intervals and tests (with the resamples done of all, and the time left) and the writing.
"""

from __future__ import annotations

import os
import sys
import time

DELAY = 1.0  # seconds of work before a bar appears
EVERY = 0.1  # seconds between redraws


def wanted(quiet: bool) -> bool:
    if quiet or os.environ.get("TERM") == "dumb":
        return False
    stream = sys.stderr
    try:
        return stream is not None and stream.isatty()
    except (AttributeError, ValueError):
        return False


class ProgressBar:
    """Called after every block with the rows read so far; draws once the pass is slow."""

    def __init__(self, source):
        self.source = source
        self.total = source.bytes_total()
        self.started = self.drawn = time.monotonic()
        self.bar = self.task = None

    def __call__(self, rows: int) -> None:
        now = time.monotonic()
        if now - self.drawn < EVERY or now - self.started < DELAY:
            return
        self.drawn = now
        if self.bar is None:
            self._start()
        if self.total is None:
            self.bar.update(self.task, completed=rows)
        else:
            self.bar.update(self.task, completed=min(self.total, self.source.bytes_read()))

    def _start(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        console = Console(file=sys.stderr)
        if self.total is None:
            columns = (TextColumn("reading"), TextColumn("{task.completed:,} rows"), TimeElapsedColumn())
        else:
            columns = (
                TextColumn("reading"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                TimeRemainingColumn(),
            )
        self.bar = Progress(*columns, console=console, transient=True)
        self.task = self.bar.add_task("reading", total=self.total)
        self.bar.start()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


class Phase:
    """A bar for one phase of work after the read (``what``: "resampling", "writing"), drawn by a timer
    once the phase has run for a second; ``advance(k)`` counts k of ``total`` units done, and the stats
    wing calls it after every batch of resamples (its PROGRESS context variable, set while in the phase)."""

    def __init__(self, what: str, total: int | None):
        import threading

        self.what, self.total, self.done = what, total, 0
        self.bar = self.task = None
        self.lock = threading.Lock()
        self.timer = threading.Timer(DELAY, self._start)
        self.timer.daemon = True

    def __enter__(self) -> Phase:
        from ..stats.resampling import PROGRESS

        self.token = PROGRESS.set(self.advance)
        self.timer.start()
        return self

    def advance(self, count: int) -> None:
        with self.lock:
            self.done += count
            if self.bar is not None:
                self.bar.update(self.task, completed=self.done)

    def _start(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        with self.lock:
            columns = [TextColumn(self.what)]
            if self.total is not None:
                columns += [BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()]
            columns.append(TimeElapsedColumn())
            self.bar = Progress(*columns, console=Console(file=sys.stderr), transient=True)
            self.task = self.bar.add_task(self.what, total=self.total, completed=self.done)
            self.bar.start()

    def __exit__(self, *exc) -> None:
        from ..stats.resampling import PROGRESS

        PROGRESS.reset(self.token)
        self.timer.cancel()
        with self.lock:
            if self.bar is not None:
                self.bar.stop()
                self.bar = None


def phase(what: str, total: int | None, quiet: bool):
    """A context in which the work's progress shows (resamples counted through stats' PROGRESS), or a
    context that does nothing when no bar is wanted."""
    import contextlib

    if not wanted(quiet):
        return contextlib.nullcontext()
    return Phase(what, total)
