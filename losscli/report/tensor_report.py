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
        return to_json(results, level=output.level)
    if fmt == "value":
        return to_value(results)
    grouped = results[0].groups is not None
    if fmt == "csv":
        if grouped:
            from .groups import groups_csv

            return groups_csv(results)
        return to_csv(results, output.level)
    text = to_table(results, output.max_rows)
    if grouped:
        from .groups import groups_text

        text += groups_text(results, output.max_rows)
    return text


def to_csv(results: list, level: str) -> str:
    """--level batch: a row per loss; sample (the default): a row per sample, empty where a sample has no
    valid position; output: a row per output, O[j]; position: a row per position, its index, n and Q[p];
    element: a row per cell (sample and position), empty where the cell was removed."""
    if level == "batch":
        lines = [_csv_line(["loss", "reduce", "n", "value"])]
        lines += [_csv_line([r.loss, r.reduce, repr(r.n), repr(r.value)]) for r in results]
        return "".join(lines)
    if level in ("output", "position", "element"):
        if len(results) > 1:
            from ..errors import UsageError

            raise UsageError(f"--level {level} takes one loss at a time (the losses' tables differ in shape)")
        return {"output": _outputs_csv, "position": _positions_csv, "element": _cells_csv}[level](results[0])
    if any(r.per_sample is None for r in results):
        from ..errors import UsageError

        missing = ", ".join(r.loss for r in results if r.per_sample is None)
        raise UsageError(f"--level sample: {missing} has no per-sample value under this --axis; use --level batch")
    lines = [_csv_line(["sample", *(["loss"] if len(results) == 1 else [r.loss for r in results])])]
    columns = [r.per_sample for r in results]
    for i in range(len(columns[0])):
        lines.append(_csv_line([i, *(_cell(float(c[i])) for c in columns)]))
    return "".join(lines)


def _refused(result, level: str, why: str):
    from ..errors import UsageError

    return UsageError(f"--level {level}: {result.loss} {why}; use --level sample or batch")


def _outputs_csv(r) -> str:
    if r.per_output is None:
        raise _refused(r, "output", "has no per-output terms here (a class loss per token, or an exponent)")
    return "".join(
        [_csv_line(["output", "loss"]), *(_csv_line([j, _cell(float(v))]) for j, v in enumerate(r.per_output))]
    )


def _position_columns(shape) -> list[str]:
    return [f"axis_{a}" for a in range(1, len(shape) + 1)]


def _positions_csv(r) -> str:
    if r.per_position is None:
        raise _refused(r, "position", "has no positions: its input has a samples and an outputs axis only")
    lines = [_csv_line([*_position_columns(r.position_shape), "n", "loss"])]
    for p, (value, n) in enumerate(zip(r.per_position, r.position_n, strict=True)):
        index = np.unravel_index(p, r.position_shape)
        lines.append(_csv_line([*(int(k) for k in index), repr(float(n)), _cell(float(value))]))
    return "".join(lines)


def _cells_csv(r) -> str:
    assert r.cells is not None, "the pass keeps every cell for --level element"
    lines = [_csv_line(["sample", *_position_columns(r.position_shape), "loss"])]
    for i, row in enumerate(r.cells):
        for p, value in enumerate(row):
            index = np.unravel_index(p, r.position_shape) if r.position_shape else ()
            lines.append(_csv_line([i, *(int(k) for k in index), _cell(float(value))]))
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
        if r.ci is not None:
            ci = r.ci
            out.append(
                f"  {ci.level:.0%} interval [{_number(ci.low)}, {_number(ci.high)}]  ({ci.method}, {ci.resamples:,} "
                f"resamples of the {r.shape[0]:,} samples, each resampled whole; seed {ci.seed})"
            )
        if r.empty_note:
            out.append(f"  nothing to average: {r.empty_note}")
        if r.samples_without_cells:
            lost = r.samples_without_cells
            out.append(f"  {lost:,} sample{'s' if lost != 1 else ''} with every position removed: no per-sample value")
        out.extend(f"  note: {note}" for note in r.notes)
    out.extend(_samples(results, max_rows))
    for r in results:
        out.extend(_outputs(r, max_rows))
        out.extend(_positions(r, max_rows))
        out.extend(_worst(r))
        out.extend(_gradient(r))
        out.extend(_reductions(r))
        out.extend(_comparison(r))
    return "\n".join(out) + "\n"


def _comparison(r) -> list[str]:
    """--compare: each framework's own call on these inputs, its value and n."""
    if not r.comparison:
        return []
    lines = ["", f"{r.loss}: each framework's own call on these inputs (--like each):"]
    for row in r.comparison:
        if row["value"] is None and row["call"] is None:
            lines.append(f"  {row['framework']:<13} {row['note']}")
            continue
        value = "nan" if row["value"] is None else f"{row['value']:.10g}"
        lines.append(f"  {row['framework']:<13} {value:>16}  {row['call']}")
        lines.append(f"  {'':<13} {'':>16}  n = {row['note']}")
    return lines


def _reductions(r) -> list[str]:
    """--explain: n and the value under every --reduce, this result's marked (``all`` is the first row:
    every axis the input has)."""
    if not r.explained:
        return []
    width = max(len(row["reduce"]) for row in r.reductions)
    this = r.reductions[0]["reduce"] if r.reduce == "all" else r.reduce
    lines = ["", f"{r.loss} under every --reduce (the same sums; n in the axes' words):"]
    for row in r.reductions:
        value = "-" if row["value"] is None else f"{row['value']:.10g}"
        mark = "   <- this result" if row["reduce"] == this else ""
        lines.append(f"  --reduce {row['reduce']:<{width}}  {value:>16}  n = {row['n_text']}{mark}")
    return lines


def _gradient(r) -> list[str]:
    """--grad in the table: the gradient's shape, its norm and its largest entries by index (JSON has it all)."""
    g = r.gradient
    if g is None:
        return []
    flat = np.abs(np.nan_to_num(g, nan=0.0)).reshape(-1)
    order = np.argsort(-flat, kind="stable")[: min(3, flat.size)]
    lines = [
        "",
        f"gradient: d value / d predictions, shape {_shape(g.shape)}, norm {_number(float(np.linalg.norm(g)))}",
    ]
    for k in order:
        index = ", ".join(str(int(i)) for i in np.unravel_index(int(k), g.shape))
        lines.append(f"  [{index}] {_number(float(g.reshape(-1)[k]))}")
    return lines


def _kept_rows(n: int, max_rows: int) -> list[int]:
    """The first and last rows of ``n``, ``max_rows`` in all."""
    head = max_rows - max_rows // 2
    return list(range(n)) if n <= max_rows else [*range(head), *range(n - max_rows // 2, n)]


def _elided(rows: list[int], line) -> list[str]:
    lines = []
    for k, i in enumerate(rows):
        if k and rows[k - 1] != i - 1:
            lines.append(f"  ... {i - rows[k - 1] - 1:,} more")
        lines.append(line(i))
    return lines


def _outputs(r, max_rows: int) -> list[str]:
    if r.per_output is None or len(r.per_output) < 2 or max_rows <= 0:
        return []
    mean = r.reduce in ("all",) or "outputs" in r.reduce
    how = f"their {'mean' if mean else 'sum'} is the value"
    if r.root:  # each output's own root: the value is the root of their squares' mean (or sum), not their mean
        how = f"each output's own root; the value is the root of the {'mean' if mean else 'sum'} of their squares"
    head = ["", f"per output: {r.loss} O[j] ({how})"]
    return head + _elided(_kept_rows(len(r.per_output), max_rows), lambda j: f"  [{j}] {_number(r.per_output[j])}")


def _positions(r, max_rows: int) -> list[str]:
    if r.per_position is None or max_rows <= 0:
        return []
    head = ["", f"per position: {r.loss} Q[p] over the samples valid there (n)"]

    def line(p: int) -> str:
        index = ", ".join(str(int(k)) for k in np.unravel_index(p, r.position_shape))
        return f"  [{index}] {_number(r.per_position[p])}  (n = {float(r.position_n[p]):g})"

    return head + _elided(_kept_rows(len(r.per_position), max_rows), line)


def _worst(r) -> list[str]:
    if not r.worst:
        return []
    lines = [
        "",
        f"largest cells: {r.loss} (sample, position...), each a cell's value (its outputs as --reduce says)",
    ]
    lines += [f"  [{', '.join(map(str, index))}] {_number(value)}" for index, value in r.worst]
    return lines


def _number(x: float) -> str:
    return "-" if math.isnan(x) else f"{x:.10g}"


def _samples(results: list, max_rows: int) -> list[str]:
    shown = [r for r in results if r.per_sample is not None]
    if not shown or max_rows <= 0:
        return []
    rows = _kept_rows(len(shown[0].per_sample), max_rows)
    lines = ["", "per sample: " + "  ".join(f"{r.loss}" for r in shown)]
    return lines + _elided(rows, lambda i: f"  [{i}] " + "  ".join(_number(r.per_sample[i]) for r in shown))


def _shape(shape) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"
