"""sha256 digests of the input files: for signatures and state files.

A digest is a second read of the file (from the page cache, as a rule), so it runs in a
thread of its own while the pass reads the inputs; hashlib releases the GIL.
"""

from __future__ import annotations

import threading


def file_digest(path: str) -> str | None:
    """sha256 of a file's bytes; None when it cannot be read again (a FIFO, gone)."""
    import hashlib  # here: 4 ms of start-up that a --format value run never needs
    import os
    import stat

    digest = hashlib.sha256()
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None  # a FIFO or a device: a second read would take what the pass needs
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 22):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()


class Digests:
    """The digests of ``paths``, computed in the background from the moment it is made."""

    def __init__(self, paths: list[str], stdin: bool = False):
        self.paths, self.stdin = list(dict.fromkeys(paths)), stdin
        self.values: dict[str, str | None] = {}
        self.thread = threading.Thread(target=self._run, name="losscli-digests", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        for path in self.paths:
            self.values[path] = file_digest(path)

    def result(self) -> dict[str, str | None]:
        """path -> sha256 (None where unreadable); '<stdin>' -> None when stdin was an input."""
        self.thread.join()
        out = dict(self.values)
        if self.stdin:
            out["<stdin>"] = None
        return out
