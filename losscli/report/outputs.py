"""Machine-readable outputs of one or several results.

``json``: one object per loss (a list for several), strict JSON (a number that is not
finite is ``null``, and ``non_finite`` says why). ``csv`` at a ``level``: element,
sample (default), output or batch. ``jsonl``: one record per sample. ``markdown``:
tables for a CI job summary. ``value``: the batch value alone (``name value`` lines for
several losses). None of them carries colour or markup.

JSON goes through orjson when it is installed (``losscli[fast]``): it writes the same
shortest round-trip numbers as Python, many times faster.
"""

from __future__ import annotations

import math

import numpy as np

from ..core.plain import PlainList
from ..core.result import Result, short
from ..errors import printable

# --- JSON ------------------------------------------------------------------------------


def _orjson():
    try:
        import orjson
    except ImportError:
        return None
    return orjson


def _finite_list(array: np.ndarray):
    """An array as nested lists, with null for every number that is not finite."""
    values = array.tolist()
    if np.isfinite(array).all():
        return values
    mask = ~np.isfinite(array)
    flat = np.asarray(values, dtype=object)
    flat[mask] = None
    return flat.tolist()


def _plain(value):
    if isinstance(value, PlainList):
        return value
    if isinstance(value, np.ndarray):
        return _finite_list(value) if value.dtype.kind == "f" else value.tolist()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def dumps(value, indent: bool = False) -> str:
    """Strict JSON of plain values and NumPy arrays."""
    return dumps_bytes(value, indent).decode("utf-8")


def dumps_bytes(value, indent: bool = False) -> bytes:
    """Strict JSON as UTF-8 bytes: what is written, with no text copy in between."""
    orjson = _orjson()
    if orjson is not None:
        options = orjson.OPT_INDENT_2 if indent else 0
        try:
            return orjson.dumps(_orjson_ready(value), option=options)
        except TypeError:
            pass
    import json

    separators = None if indent else (",", ":")  # as compact as orjson's
    text = json.dumps(_plain(value), indent=2 if indent else None, separators=separators, allow_nan=False)
    return text.encode("utf-8")


def _orjson_ready(value):
    """Plain values for orjson, which writes a float NaN as null itself. Arrays go as lists: orjson 3.12
    and 3.13 corrupt the heap writing some float64 arrays through OPT_SERIALIZE_NUMPY (see rows.py)."""
    if isinstance(value, PlainList):
        return value
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, dict):
        return {k: _orjson_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_orjson_ready(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def to_json(results: list, extra: list[dict] | None = None, level: str = "batch") -> list[bytes]:
    """``--format json``: a list of one object per loss, whatever the number of losses (schema_version 2),
    each the summary of ``level`` (core/result.py ``LEVEL_ARRAYS``); as pieces of UTF-8 bytes to write one
    after another (millions of numbers: no piece is copied into a whole on the way out)."""
    import json

    objects = [result.to_dict(level) for result in results]
    if extra:
        for data, more in zip(objects, extra, strict=True):
            data.update(more)
    pieces = [b"["]
    for n, data in enumerate(objects):
        pieces.append(b",\n{\n" if n else b"\n{\n")
        for k, (key, value) in enumerate(data.items()):
            # One key a line: readable, yet the arrays stay compact.
            pieces += [b"%s  %s: " % (b",\n" if k else b"", json.dumps(key).encode()), dumps_bytes(value)]
        pieces.append(b"\n}")
    pieces.append(b"\n]\n")
    return pieces


# --- CSV and JSON Lines ------------------------------------------------------------------


def _csv_line(cells) -> str:
    from .rows import csv_cell

    return ",".join(csv_cell(str(cell)) for cell in cells) + "\n"


def to_csv(results: list[Result], level: str) -> str:
    value_header = ["loss"] if len(results) == 1 else [r.loss for r in results]
    if level == "batch":
        lines = [_csv_line(["loss", "reduce", "n", "value"])]
        lines += [_csv_line([r.loss, r.reduce, repr(r.n), repr(r.value)]) for r in results]
        return "".join(lines)
    if level != "sample":
        check_elements(results, level)
    if level == "output":
        names = results[0].output_names  # a name column where the input names its columns
        lines = [_csv_line(["output", *(["name"] if names else []), *value_header])]
        for j in range(results[0].shape[1]):
            cells = [repr(float(r.per_output[j])) for r in results]
            lines.append(_csv_line([j, *([names[j]] if names else []), *cells]))
        return "".join(lines)
    return _listed(results, "csv", level)


def check_elements(results_or_specs, level: str) -> None:
    """--level element and output need element values: a loss that exists only per sample has none."""
    missing = [getattr(r, "loss", None) or r.name for r in results_or_specs if _per_sample_only(r)]
    if missing:
        from ..errors import UsageError

        raise UsageError(f"--level {level}: {', '.join(missing)} exists only per sample; use --level sample or batch")


def _per_sample_only(item) -> bool:
    return not item.elements if isinstance(item, Result) else item.per_sample_only


def to_jsonl(results: list[Result]) -> str:
    return _listed(results, "jsonl", "sample")


def _listed(results: list[Result], fmt: str, level: str) -> str:
    """Every sample's (or element's) line, as the streaming writer writes them."""
    from .rows import RowSink

    ids = results[0].ids
    sink = RowSink(fmt, level, [r.loss for r in results], bool(ids))
    try:
        sink.write(0, ids, [r.per_sample for r in results], [r.per_element for r in results])
        return sink.stream().read().decode("utf-8")
    finally:
        sink.close()


# --- Markdown and value --------------------------------------------------------------


def _md_row(cells) -> str:
    return "| " + " | ".join(printable(str(cell)).replace("|", "\\|") for cell in cells) + " |\n"


def to_markdown(results: list[Result], max_rows: int) -> str:
    out = ["## losscli\n\n", _md_row(["loss", "--reduce", "n", "value", "formula"]), _md_row(["---"] * 5)]
    for r in results:
        value = r.ci_text() if r.ci is not None else short(r.value)
        out.append(_md_row([f"`{r.loss}`", r.reduce, r.n_text, value, f"`{r.batch_formula}`"]))
    kept = results[0].kept
    n_samples = results[0].shape[0]
    ids = kept.ids if kept is not None else None
    head = [] if kept is None else [k for k, i in enumerate(kept.index) if i < max_rows][:max_rows]
    out += ["\n", _md_row(["sample", *(["id"] if ids else []), *(r.loss for r in results)])]
    out.append(_md_row(["---"] * (1 + bool(ids) + len(results))))
    for k in head:
        i = int(results[0].kept.index[k])
        cells = [short(float(r.kept.per_sample[k])) for r in results]
        out.append(_md_row([i, *([ids[k]] if ids else []), *cells]))
    if len(head) < n_samples:
        out.append(f"\n{len(head)} of {n_samples:,} samples shown (--max-rows to change)\n")
    signatures = [r.signature for r in results if r.signature]
    if signatures:
        out.append("\n" + "".join(f"`{printable(s)}`  \n" for s in signatures))
    return "".join(out)


def to_value(results: list[Result]) -> str:
    """The batch value alone (``name value`` lines for several losses); with --ci, the
    interval's low and high follow it on the line."""

    def numbers(r: Result) -> str:
        return repr(r.value) if r.ci is None else f"{r.value!r} {r.ci.low!r} {r.ci.high!r}"

    if len(results) == 1:
        return numbers(results[0]) + "\n"
    return "".join(f"{r.loss} {numbers(r)}\n" for r in results)
