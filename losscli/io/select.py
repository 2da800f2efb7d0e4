"""Column selection: ``--pred-col 'proba_*'``, ``p0:p9``, ``y_true``, ``0,2``.

A selection is comma-separated parts, each one of:

- a column name (``y_pred``), or the name of a group of columns (an array of rows in a
  JSON object gives ``key[0]``, ``key[1]``, ...: ``key`` picks them all);
- a glob (``proba_*``, ``p?``): every matching column, in file order;
- a range ``first:last`` of names or 0-based positions, both ends included;
- a 0-based position (``2``) when no column has that name.
"""

from __future__ import annotations

import fnmatch

from ..errors import InputError
from .table import Layout


def split_spec(spec: str) -> list[str]:
    return [part.strip() for part in spec.split(",") if part.strip()]


def _shown(names) -> str:
    shown = ", ".join(repr(n) if n else "(empty)" for n in names[:12])
    return shown + (" ..." if len(names) > 12 else "")


def _one(name: str, layout: Layout, wanted: str, flag: str) -> int:
    names = layout.names
    if wanted in names:
        return names.index(wanted)
    if wanted.lstrip("-").isdigit():
        k = int(wanted)
        if 0 <= k < len(names):
            return k
    raise InputError(
        f"{name}: no column {wanted!r} for {flag}; the columns are {_shown(names)} (or 0-based positions, "
        f"globs like 'p*', ranges like p0:p9)"
    )


def select(name: str, layout: Layout, spec: str, flag: str) -> list[int]:
    """The positions a selection names, in the order it names them."""
    names = layout.names
    out: list[int] = []
    for part in split_spec(spec):
        if part in names:
            out.append(names.index(part))
        elif any(n.startswith(part + "[") for n in names):
            out += [k for k, n in enumerate(names) if n.startswith(part + "[") and n.endswith("]")]
        elif any(c in part for c in "*?[") and not part.isdigit():
            matched = [k for k, n in enumerate(names) if fnmatch.fnmatchcase(n, part)]
            if not matched:
                raise InputError(f"{name}: {flag} {part!r} matches no column; the columns are {_shown(names)}")
            out += matched
        elif ":" in part:
            first, _, last = part.partition(":")
            lo, hi = _one(name, layout, first.strip(), flag), _one(name, layout, last.strip(), flag)
            if hi < lo:
                raise InputError(f"{name}: {flag} {part!r} runs backwards ({first} comes after {last})")
            out += list(range(lo, hi + 1))
        else:
            out.append(_one(name, layout, part, flag))
    if not out:
        raise InputError(f"{name}: {flag} names no column")
    repeated = sorted({names[k] for k in out if out.count(k) > 1})
    if repeated:
        raise InputError(f"{name}: {flag} names column {repeated[0]!r} twice")
    return out
