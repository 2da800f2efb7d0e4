"""A progress bar on stderr for a pass that takes more than a second.

Only on a terminal: never when stderr is piped or redirected, with ``--quiet``, with
``NO_COLOR`` set or on a dumb terminal. It shows the bytes read of the inputs' size when
every input is a file (under gzip, of the compressed file), else the rows read.
"""

from __future__ import annotations

import os
import sys
import time

DELAY = 1.0  # seconds of work before a bar appears
EVERY = 0.1  # seconds between redraws


def wanted(quiet: bool) -> bool:
    if quiet or "NO_COLOR" in os.environ or os.environ.get("TERM") == "dumb":
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
