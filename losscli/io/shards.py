"""Shards: ``'preds/part-*.npy' 'targets/part-*.npy'``, or a directory of files, as one dataset.

A glob (``*``, ``?``, ``[``) that names no file as it is, or a directory, stands for its
files in sorted order. Predictions, targets (and weights) are paired by NAME: a shard's name
is its path below the pattern's folder without the data extension (``part-07`` of
``preds/part-07.npy`` and of ``targets/part-07.csv``), or, where those differ from pattern to
pattern (``data/preds_*.csv`` against ``data/targets_*.csv``), what the wildcards matched
(``07``). Every name in every pattern, or an error naming the first shard without a partner:
``part-1`` never pairs with ``part-01`` by their sorted places. One file counted twice is
refused too: two names of one shard (``part-0.csv`` and ``part-0.csv.gz``), one file reached
twice (a link), a shard pair whose files hold the same bytes as another's. Shards are opened
one at a time, as the pass reaches them; every shard's columns are matched by name to the
first shard's (see :meth:`Inputs.align <losscli.io.inputs.Inputs.align>`).
"""

from __future__ import annotations

import glob
import itertools
import os
import re
from collections.abc import Callable, Iterator

from ..errors import InputError
from .source import EXTENSIONS, STDIN, format_from_name, split_key

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


def _stem(name: str) -> str:
    """A shard's name without its data extension (through a ``.gz``): ``part-0`` of ``part-0.csv.gz``."""
    base = name.removesuffix(".gz")
    if format_from_name(base) is not None and "." in base:
        return base[: base.rfind(".")]
    return name


def _relative_name(spec: str, path: str) -> str:
    """The path below the pattern's folder (a directory's, or a glob's folder before its first
    wildcard), without the data extension."""
    if os.path.isdir(spec):
        base = spec
    else:
        first = min((spec.find(c) for c in GLOB if c in spec), default=len(spec))
        base = os.path.dirname(spec[:first])
    return _stem(os.path.relpath(path, base or os.curdir))


def _glob_regex(pattern: str) -> re.Pattern:
    """A glob as a regular expression with a group for each wildcard (as glob matches within one
    path component)."""
    out, i, n = [], 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            while i + 1 < n and pattern[i + 1] == "*":
                i += 1
            out.append("([^/]*)")
        elif c == "?":
            out.append("([^/])")
        elif c == "[":
            j = i + 1
            if j < n and pattern[j] == "!":
                j += 1
            if j < n and pattern[j] == "]":
                j += 1
            while j < n and pattern[j] != "]":
                j += 1
            if j >= n:
                out.append(re.escape(c))
            else:
                body = pattern[i + 1 : j].replace("\\", "\\\\")
                out.append(f"([{'^' + body[1:] if body.startswith('!') else body}])")
                i = j
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out))


def _wildcard_name(spec: str, path: str) -> str | None:
    """What the wildcards of a glob matched in ``path`` (a directory's: the name below it)."""
    if os.path.isdir(spec):
        return _relative_name(spec, path)
    match = _glob_regex(spec).fullmatch(path)
    return None if match is None else _stem("*".join(match.groups()))


def _named(files: dict[str, list[str]], specs: dict, name_of) -> dict[str, dict[str, str]] | None:
    """role -> {shard name: file}; an error when two files of one pattern have one name."""
    out = {}
    for role, paths in files.items():
        names: dict[str, str] = {}
        for path in paths:
            name = name_of(specs[role], path)
            if name is None:
                return None
            if name in names:
                raise InputError(
                    f"{names[name]} and {path} are one shard under two names ({name!r}); a shard counted "
                    f"twice counts its samples twice: remove one of them"
                )
            names[name] = path
        out[role] = names
    return out


def _unpaired(named: dict[str, dict[str, str]], specs: dict) -> str | None:
    """'preds/a.csv has no partner in targets/' for the first name not in every pattern."""
    every = sorted(set().union(*(set(n) for n in named.values())))
    for name in every:
        for role, names in named.items():
            if name not in names:
                holder = next(r for r, n in named.items() if name in n)
                return f"{named[holder][name]} has no partner named {name!r} in {specs[role]}"
    return None


def pair_by_name(specs: dict[str, str | None], files: dict[str, list[str]]) -> list[tuple[str, ...]]:
    """The shard pairs (a file of each role), paired by name, in the sorted order of the first
    pattern; a pattern that is one plain file pairs with every shard's place (one shard)."""
    patterns = {role: paths for role, paths in files.items() if is_pattern(specs[role])}
    counts = {role: len(names) for role, names in files.items()}
    by_name = _named(patterns, specs, _relative_name)
    why = _unpaired(by_name, specs)
    if why is not None:
        wildcards = _named(patterns, specs, _wildcard_name)
        if wildcards is not None and _unpaired(wildcards, specs) is None:
            by_name, why = wildcards, None
    if len(set(counts.values())) > 1:
        shown = ", ".join(f"{specs[role]} {count}" for role, count in counts.items())
        detail = f" ({why})" if why else ""
        raise InputError(
            f"the shards do not pair: {shown} files{detail}; every pattern needs one file per shard, of the same name"
        )
    if why is not None:
        raise InputError(
            f"the shards do not pair by name: {why}; shards are paired by file name (the path below the "
            f"pattern's folder, without the extension), never by their sorted places"
        )
    first = next(iter(by_name), None)
    if first is None:  # no pattern at all (cannot happen: then there are no shards)
        return list(zip(*files.values(), strict=True))
    order = sorted(by_name[first], key=lambda name: by_name[first][name])
    return [tuple(by_name[role][name] if role in by_name else files[role][0] for role in files) for name in order]


def refuse_twice_counted(roles: list[str], pairs: list[tuple[str, ...]]) -> None:
    """A file reached twice (a link to another shard, a hard link) in one role, or a shard pair
    whose every file holds the same bytes as another pair's: samples counted twice."""
    for k, role in enumerate(roles):
        seen: dict[tuple[int, int], str] = {}
        for pair in pairs:
            try:
                info = os.stat(pair[k])
            except OSError:
                continue  # opening it says why
            key = (info.st_dev, info.st_ino)
            if key in seen and seen[key] != pair[k]:
                raise InputError(
                    f"{pair[k]} is the same file as {seen[key]} (a link); its {role} would be counted twice: "
                    f"remove the link, or copy the file if a second shard of the same values is meant"
                )
            seen.setdefault(key, pair[k])
    groups: dict[tuple, list[tuple[str, ...]]] = {}
    for pair in pairs:
        groups.setdefault(_quick_key(pair), []).append(pair)
    for group in groups.values():
        if len(group) < 2:
            continue
        full: dict[tuple, tuple[str, ...]] = {}
        for pair in group:
            key = tuple(_digest(path) for path in pair)
            if None not in key and key in full:
                raise InputError(
                    f"the shard {', '.join(pair)} holds the same bytes as {', '.join(full[key])}; its samples "
                    f"would be counted twice: remove the copy"
                )
            full.setdefault(key, pair)


def _quick_key(pair: tuple[str, ...]) -> tuple:
    """Each file's size and the sha256 of its first 64 KiB: shards that differ, as a rule, differ here."""
    import stat

    key = []
    for path in pair:
        try:
            if not stat.S_ISREG(os.stat(path).st_mode):
                key.append(path)  # a FIFO or a device: a read would take what the pass needs
                continue
            with open(path, "rb") as handle:
                key.append((os.fstat(handle.fileno()).st_size, _head_digest(handle.read(1 << 16))))
        except OSError:
            key.append(path)  # unreadable: unique, and opening it says why
    return tuple(key)


def _head_digest(head: bytes) -> bytes:
    from .digests import sha256

    digest = sha256(len(head))
    digest.update(head)
    return digest.digest()


def _digest(path: str) -> str | None:
    from .digests import file_digest

    return file_digest(path)


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
        self.pairs = pair_by_name(self.specs, files)
        self.roles = list(files)
        refuse_twice_counted(self.roles, self.pairs)
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
        if k == 0 and hasattr(self.open_pair, "_replace") and hasattr(inputs, "column_names"):
            # every later shard (here or on a Dask worker) opened with its columns put in this one's order
            self.open_pair = self.open_pair._replace(align=inputs.column_names())
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


def input_files(*specs: str | None) -> list[str]:
    """The files behind the inputs as typed: shards expanded, FILE:KEY to FILE, stdin left out."""
    files = []
    for spec in specs:
        if not spec or spec == STDIN:
            continue
        files += expand(spec) if is_pattern(spec) else [split_key(spec)[0]]
    return files
