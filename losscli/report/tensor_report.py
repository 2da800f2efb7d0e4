"""Results over N-D inputs (``engine/tensor_run.py``) as each output format writes them: the batch
value with its n in the axes' words, the roles of the axes, what removed positions, each sample's
value. Nothing here computes."""

from __future__ import annotations

import math

import numpy as np

from .outputs import _csv_line, to_json, to_value


def render(results: list, output) -> str | list[bytes]:
    fmt = output.output_format
    if fmt == "json":
        return to_json(results)
    if fmt == "value":
        return to_value(results)
    if fmt == "csv":
        return to_csv(results, output.level)
    return to_table(results, output.max_rows)


def to_csv(results: list, level: str) -> str:
    """--level batch: a row per loss; --level sample (the default): a row per sample, empty where a
    sample has no valid position."""
    if level == "batch":
        lines = [_csv_line(["loss", "reduce", "n", "value"])]
        lines += [_csv_line([r.loss, r.reduce, repr(r.n), repr(r.value)]) for r in results]
        return "".join(lines)
    if any(r.per_sample is None for r in results):
        from ..errors import UsageError

        missing = ", ".join(r.loss for r in results if r.per_sample is None)
        raise UsageError(f"--level sample: {missing} has no per-sample value under this --axis; use --level batch")
    lines = [_csv_line(["sample", *(["loss"] if len(results) == 1 else [r.loss for r in results])])]
    columns = [r.per_sample for r in results]
    for i in range(len(columns[0])):
        lines.append(_csv_line([i, *(_cell(float(c[i])) for c in columns)]))
    return "".join(lines)


def _cell(x: float) -> str:
    return repr(x) if not math.isnan(x) else ""


def to_table(results: list, max_rows: int) -> str:
    """Plain lines for people: per loss, its value and n, then the samples (first and last rows)."""
    out: list[str] = []
    first = results[0]
    for info in first.inputs:
        out.append(f"{info['path']}: {info['role']}, shape {_shape(info['shape'])}, {info['dtype']}")
    out.append(f"axes: {first.roles}; {first.axis_how}")
    for r in results:
        out.append("")
        out.append(f"{r.loss} ({r.title}): {r.formula}")
        if r.like is not None:
            out.append(f"as {r.like.framework}'s own call: {r.like.call}")
        value = "nan" if math.isnan(r.value) else f"{r.value:.10g}"
        word = "exp(sum / n)" if r.exponent else "sum / n"
        out.append(f"value = {value}  ({word}; --reduce {r.reduce}; n = {r.n_text})")
        if r.empty_note:
            out.append(f"  nothing to average: {r.empty_note}")
        if r.samples_without_cells:
            lost = r.samples_without_cells
            out.append(f"  {lost:,} sample{'s' if lost != 1 else ''} with every position removed: no per-sample value")
        out.extend(f"  note: {note}" for note in r.notes)
    out.extend(_samples(results, max_rows))
    return "\n".join(out) + "\n"


def _samples(results: list, max_rows: int) -> list[str]:
    shown = [r for r in results if r.per_sample is not None]
    if not shown or max_rows <= 0:
        return []
    n = len(shown[0].per_sample)
    head = max_rows - max_rows // 2
    rows = list(range(n)) if n <= max_rows else [*range(head), *range(n - max_rows // 2, n)]
    lines = ["", "per sample: " + "  ".join(f"{r.loss}" for r in shown)]
    for k, i in enumerate(rows):
        if k and rows[k - 1] != i - 1:
            lines.append(f"  ... {i - rows[k - 1] - 1:,} more")
        cells = ["-" if np.isnan(r.per_sample[i]) else f"{r.per_sample[i]:.10g}" for r in shown]
        lines.append(f"  [{i}] " + "  ".join(cells))
    return lines


def _shape(shape) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"
