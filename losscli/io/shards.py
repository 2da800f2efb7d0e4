"""Shards: ``'preds/part-*.npy' 'targets/part-*.npy'``, or a directory of files, as one dataset.

A glob (``*``, ``?``, ``[``) that names no file as it is, or a directory, stands for its
files in sorted order; predictions and targets (and weights) are paired by that order:
shard i of each, the same count of shards and the same rows in every pair, or an error
naming the first mismatch. Shards are opened one at a time, as the pass reaches them.
"""

from __future__ import annotations

import glob
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
    """The files a glob or a directory stands for, sorted; an error when there are none."""
    if os.path.isdir(spec):
        files = sorted(
            os.path.join(spec, name)
            for name in os.listdir(spec)
            if not name.startswith((".", "_")) and format_from_name(name) is not None
        )
        if not files:
            known = " ".join(sorted(set(EXTENSIONS)))
            raise InputError(f"{spec}: a directory with no data files ({known})")
        return files
    files = sorted(path for path in glob.glob(spec) if os.path.isfile(path))
    if not files:
        raise InputError(f"{spec}: no file matches; check the pattern (quote it, so the shell leaves it to losscli)")
    return files


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

    def open(self, k: int):
        names = dict(zip(self.roles, self.pairs[k], strict=True))
        inputs = self.open_pair(names.get("predictions"), names.get("targets"), names.get("weights"))
        for reading in inputs.readings:
            for role, spec in self.specs.items():
                if role in reading.roles and spec is not None:
                    reading.table.details["pattern"] = spec
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
