"""sha256 digests of the input files: for signatures and state files.

A digest is a second read of the file (from the page cache, as a rule), so it runs in a
thread of its own while the pass reads the inputs; hashlib releases the GIL.
"""

from __future__ import annotations

import threading

# bytes: up to here CPython's own sha256, beyond it OpenSSL's. Measured here: OpenSSL 0.85 ms a MiB,
# CPython's 2.8 ms, importing hashlib (OpenSSL) 2-5 ms: even at about 1.5 MiB.
SMALL = 1 << 20


def sha256(size: int = 0):
    """A sha256 hasher for ``size`` bytes. hashlib loads OpenSSL at import (2-5 ms of a small run's
    start, measured here); CPython's own sha256 module loads in 0.1 ms, and OpenSSL's (SHA-NI) is
    faster only on large inputs. The digests are the same bytes (tests/test_digests.py)."""
    if size <= SMALL:
        try:
            from _sha256 import sha256 as own  # Python 3.11
        except ImportError:
            try:
                from _sha2 import sha256 as own  # 3.12 on
            except ImportError:  # a build without CPython's own hashes
                own = None
        if own is not None:
            return own()
    import hashlib

    return hashlib.sha256()


def file_digest(path: str) -> str | None:
    """sha256 of a file's bytes; None when it cannot be read again (a FIFO, gone)."""
    import os
    import stat

    try:
        status = os.stat(path)
        if not stat.S_ISREG(status.st_mode):
            return None  # a FIFO or a device: a second read would take what the pass needs
        digest = sha256(status.st_size)
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
