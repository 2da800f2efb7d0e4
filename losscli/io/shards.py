"""Shards: ``'preds/part-*.npy' 'targets/part-*.npy'``, or a directory of files, as one dataset.

A glob (``*``, ``?``, ``[``) that names no file as it is, or a directory, stands for its
files in sorted order; predictions and targets (and weights) are paired by that order:
shard i of each, the same count of shards and the same rows in every pair, or an error
naming the first mismatch. Shards are opened one at a time, as the pass reaches them.
"""

from __future__ import annotations

import glob
import itertools
import os
from collections.abc import Callable, Iterator

from ..errors import InputError
from .source import EXTENSIONS, STDIN, format_from_name

GLOB = "*?["


def is_pattern(spec: str | None) -> bool:
    """A glob or a directory: several files."""
    if spec is None or spec == STDIN or os.path.isfile(spec):
        return False
    return os.path.isdir(spec) or any(c in spec for c in GLOB)


def expand(spec: str) -> list[str]:
    """The files a glob or a directory stands for, sorted; an error when there are none, or
    when they are of several formats (a stray file would be read as data)."""
    if os.path.isdir(spec):
        files = sorted(
            os.path.join(spec, name)
            for name in os.listdir(spec)
            if not name.startswith((".", "_")) and format_from_name(name) is not None
        )
        if not files:
            known = " ".join(sorted(set(EXTENSIONS)))
            raise InputError(f"{spec}: a directory with no data files ({known})")
    else:
        files = sorted(path for path in glob.glob(spec) if os.path.isfile(path))
        if not files:
            raise InputError(
                f"{spec}: no file matches; check the pattern (quote it, so the shell leaves it to losscli)"
            )
    _one_format(spec, files)
    return files


def _one_format(spec: str, files: list[str]) -> None:
    formats: dict[str | None, list[str]] = {}
    for path in files:
        formats.setdefault(format_from_name(os.path.basename(path)), []).append(path)
    if len(formats) > 1:
        formats = dict(sorted(formats.items(), key=lambda item: -len(item[1])))
        counts = ", ".join(f"{len(paths)} {fmt or 'other'}" for fmt, paths in formats.items())
        example = os.path.join(spec if os.path.isdir(spec) else os.path.dirname(spec), "*." + next(iter(formats)))
        raise InputError(f"{spec}: holds files of several formats ({counts}); give one kind, e.g. '{example}'")


def tag_patterns(inputs, specs: dict[str, str | None]):
    """Say in what was read which pattern each shard's file came from."""
    for reading in inputs.readings:
        for role, spec in specs.items():
            if role in reading.roles and spec is not None:
                reading.table.details["pattern"] = spec
    return inputs


class Shards:
    """Shard pairs, opened as the pass reaches them; each is one Inputs."""

    def __init__(self, preds: str, targets: str | None, weights: str | None, open_pair: Callable[..., object]):
        self.specs = {"predictions": preds, "targets": targets, "weights": weights}
        files = {role: expand(spec) for role, spec in self.specs.items() if spec is not None}
        counts = {role: len(names) for role, names in files.items()}
        if len(set(counts.values())) > 1:
            shown = ", ".join(f"{self.specs[role]} {count}" for role, count in counts.items())
            raise InputError(f"the shards do not pair: {shown} files; every pattern needs one file per shard")
        self.pairs = list(zip(*files.values(), strict=True))
        self.roles = list(files)
        self.open_pair = open_pair
        self.opened: list = []

    def __len__(self) -> int:
        return len(self.pairs)

    def names(self, k: int) -> tuple[str | None, str | None, str | None]:
        """The files of shard k: (predictions, targets, weights)."""
        names = dict(zip(self.roles, self.pairs[k], strict=True))
        return names.get("predictions"), names.get("targets"), names.get("weights")

    def open(self, k: int):
        inputs = tag_patterns(self.open_pair(*self.names(k)), self.specs)
        self.opened.append(inputs)
        return inputs

    def __iter__(self) -> Iterator:
        for k in range(len(self.pairs)):
            inputs = self.opened[0] if k == 0 and self.opened else self.open(k)
            yield inputs
            inputs.close()

    def close(self) -> None:
        for inputs in self.opened:
            inputs.close()

    def bytes_total(self) -> int | None:
        """Every shard's size in bytes (for a progress bar)."""
        try:
            sizes = [sum(os.stat(path).st_size for path in pair) for pair in self.pairs]
        except OSError:
            return None
        self.done_before = [0, *itertools.accumulate(sizes)]  # bytes in the shards before shard k
        return self.done_before[-1]

    def bytes_read(self) -> int:
        if not self.opened:
            return 0
        return self.done_before[len(self.opened) - 1] + self.opened[-1].bytes_read()
