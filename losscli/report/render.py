"""Rich tables for people: per-element, per-sample, per-output and the batch summary.

Rich drops colour by itself when stdout is not a terminal or NO_COLOR is set.
"""

from __future__ import annotations

import numpy as np
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..core.registry import LOSSES
from ..core.result import Result, short
from .docs import options_text

_COLUMN_PADDING = 3  # Rich pads each cell and separates columns


def _number(x: float) -> str:
    return f"{x:.6g}"


def _shown(count: int, limit: int) -> list[int | None]:
    """Indices to show out of ``count``: all, or head and tail around a None gap."""
    if count <= limit:
        return list(range(count))
    head = limit - limit // 2
    return [*range(head), None, *range(count - (limit - head), count)]


def _elided(what: str, count: int, shown: list[int | None], flag: str) -> str:
    visible = sum(i is not None for i in shown)
    return f"{visible:,} of {count:,} {what} shown ({flag} to change)" if visible < count else ""


def _table() -> Table:
    return Table(box=box.SIMPLE_HEAD, pad_edge=False)


def _print_section(console: Console, heading: str, table: Table, notes: list[str]) -> None:
    console.print(Text(heading, style="bold"))
    console.print(table)
    for note in notes:
        if note:
            console.print(Text(note, style="dim"))


def _vector_section(
    console: Console, heading: str, index_name: str, values: np.ndarray, max_rows: int, ids: list[str] | None = None
) -> None:
    rows = _shown(len(values), max_rows)
    table = _table()
    table.add_column(index_name, justify="right")
    if ids is not None:
        table.add_column("id")
    table.add_column("loss", justify="right")
    for i in rows:
        label = [] if ids is None else ["…" if i is None else ids[i]]
        table.add_row("…", *label, "…") if i is None else table.add_row(str(i), *label, _number(values[i]))
    _print_section(console, heading, table, [_elided("rows", len(values), rows, "--max-rows")])


def _element_section(console: Console, result: Result, max_rows: int) -> None:
    n_samples, n_outputs = result.shape
    heading = f"Per-element loss  l[i, j] = {result.formula}   ({n_samples} x {n_outputs})"
    _matrix_section(console, heading, result.per_element, max_rows)


# Heat levels by |value| / max |value|: the worst elements stand out. Rich drops the
# colour itself when stdout is no terminal or NO_COLOR is set.
_HEAT = ("", "on #3b2a14", "on #6b3a12", "on #a8460f", "on #e0500c")


def _heat(value: float, scale: float) -> str:
    if scale <= 0:
        return ""
    return _HEAT[min(len(_HEAT) - 1, int(abs(value) / scale * len(_HEAT)))]


def _matrix_section(console: Console, heading: str, matrix: np.ndarray, max_rows: int) -> None:
    n_samples, n_outputs = matrix.shape
    rows = _shown(n_samples, max_rows)
    shown_rows = [i for i in rows if i is not None]
    # How many output columns fit: measured on the widest number in the shown rows.
    cell = max(len(_number(x)) for x in matrix[shown_rows].ravel()) + _COLUMN_PADDING
    index = len(str(n_samples)) + len("sample") + _COLUMN_PADDING
    fit = max(2, (console.width - index) // cell)
    cols = _shown(n_outputs, fit)
    table = _table()
    table.add_column("sample", justify="right")
    for j in cols:
        table.add_column("…" if j is None else str(j), justify="right")
    scale = float(np.abs(matrix).max())
    for i in rows:
        if i is None:
            table.add_row("…", *["…"] * len(cols))
            continue
        row = matrix[i]
        cells = [Text("…") if j is None else Text(_number(row[j]), style=_heat(row[j], scale)) for j in cols]
        table.add_row(str(i), *cells)
    notes = [_elided("rows", n_samples, rows, "--max-rows"), _elided("outputs", n_outputs, cols, "wider terminal")]
    _print_section(console, heading, table, notes)


HISTOGRAM_FROM = 10  # samples; fewer are all in the per-sample table already


def histogram_lines(values: np.ndarray, bins: int = 10, width: int = 40) -> list[str]:
    """A text histogram: one line per bin, ``[low, high)  count  bar``."""
    low, high = float(values.min()), float(values.max())
    if low == high:
        return [f"all {len(values):,} values are {short(low)}"]
    counts, edges = np.histogram(values, bins=bins, range=(low, high))
    top = counts.max()
    lines = []
    for k, count in enumerate(counts):
        bar = "█" * int(round(width * count / top)) if count else ""
        close = "]" if k == len(counts) - 1 else ")"
        lines.append(f"[{edges[k]:>10.4g}, {edges[k + 1]:>10.4g}{close} {count:>8,}  {bar}")
    return lines


def _histogram_section(console: Console, result: Result) -> None:
    console.print(Text("Distribution of the per-sample losses", style="bold"))
    for line in histogram_lines(result.per_sample):
        console.print(Text(line))
    console.print()


def _top_section(console: Console, result: Result, k: int) -> None:
    """The k worst samples, outputs and elements, with their indices."""

    def ranked(what: str, index_names: tuple[str, ...], value_name: str, values: np.ndarray) -> None:
        worst = np.argsort(-values, axis=None, kind="stable")[:k]
        table = _table()
        for name in (*index_names, value_name):
            table.add_column(name, justify="right")
        for flat in worst:
            index = np.unravel_index(flat, values.shape)
            table.add_row(*(str(i) for i in index), _number(values[index]))
        _print_section(console, f"The {len(worst)} worst {what}", table, [])

    ranked("samples", ("sample",), "L[i]", result.per_sample)
    if result.per_output is not None and result.shape[1] > 1:
        ranked("outputs", ("output",), "O[j]", result.per_output)
        ranked("elements", ("sample", "output"), "l[i, j]", result.per_element)


def _option_text(value) -> str:
    if isinstance(value, np.ndarray):
        return np.array2string(value.ravel(), threshold=8, precision=6) if value.size > 1 else f"{value.item():g}"
    return str(value)


_DIVISORS = {
    "sum": "the sum of the sample weights",
    "count": "the number of samples counted",
    "class_weights": "the sum of the targets' class weights",
}


def _summary(result: Result) -> Table:
    summary = Table.grid(padding=(0, 2))
    summary.add_column(style="bold")
    summary.add_column()
    summary.add_row("loss", f"{result.loss} ({result.title}; matches {result.matches})")
    if result.options:
        summary.add_row("options", ", ".join(f"{k}={_option_text(v)}" for k, v in result.options.items()))
    summary.add_row("reduce", f"{result.reduce}: {result.summed_text}")
    summary.add_row("same as", result.reduction.known_as)
    if result.weights:
        divisor = _DIVISORS[result.weights["divisor"]]
        summary.add_row("weights", f"the terms carry the weights; a mean over samples divides by {divisor}")
    summary.add_row("n", f"n = {result.n_text}")
    summary.add_row("formula", result.batch_formula)
    if result.notes:
        summary.add_row("note", result.notes)
    summary.add_row("value", repr(result.value))
    return summary


def render_result(
    result: Result,
    *,
    max_rows: int = 20,
    console: Console | None = None,
    explanation: list[tuple[str, str]] | None = None,
    comparison: list | None = None,
    top: int = 0,
    ids: list[str] | None = None,
) -> None:
    """Print the tables and the batch summary of ``result``, and its explanation if given."""
    console = console or Console(highlight=False, markup=False)
    per_sample = f"Per-sample loss  {result.per_sample_formula}"
    if result.per_element is None or result.shape[1] == 1:
        # No element terms, or one output: then element, per-sample and per-output
        # views are the same numbers.
        if result.per_element is not None:
            per_sample += f"   (l = {result.formula})"
        _vector_section(console, per_sample, "sample", result.per_sample, max_rows, ids)
    else:
        _element_section(console, result, max_rows)
        _vector_section(console, per_sample, "sample", result.per_sample, max_rows, ids)
        _vector_section(console, f"Per-output loss  {result.per_output_formula}", "output", result.per_output, max_rows)
    if result.shape[0] >= HISTOGRAM_FROM:
        _histogram_section(console, result)
    if top:
        _top_section(console, result, top)
    console.print(_summary(result))
    if result.gradient is not None:
        heading = (
            f"\nGradient  d {result.loss} / d p[i, j]   (the predictions' shape; n = {short(result.n)} divides it)"
        )
        _matrix_section(console, heading, result.gradient, max_rows)
    if comparison:
        console.print(Text("\nThe same data under each framework's convention", style="bold"))
        table = _table()
        table.add_column("framework and call", ratio=1)
        table.add_column("--reduce", no_wrap=True)
        for name in ("n", "value"):
            table.add_column(name, justify="right", no_wrap=True)
        for row in comparison:
            call = Text(f"{row.framework}: {row.call}")
            if row.note:
                call.append(f"  ({row.note})", style="dim")
            n = "" if row.n is None else short(row.n)
            table.add_row(call, row.reduce or "-", n, "-" if row.value is None else short(row.value))
        console.print(table)
    if explanation:
        console.print(Text("\nExplanation", style="bold"))
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column()
        for heading, text in explanation:
            grid.add_row(heading, text)
        console.print(grid)


def render_many(
    results: list[Result], *, ids: list[str] | None = None, max_rows: int = 20, console: Console | None = None
) -> None:
    """Several losses of one pass, side by side: per-sample values, then the batch values."""
    console = console or Console(highlight=False, markup=False)
    n_samples = results[0].shape[0]
    rows = _shown(n_samples, max_rows)
    table = _table()
    table.add_column("sample", justify="right")
    if ids is not None:
        table.add_column("id")
    for result in results:
        table.add_column(result.loss, justify="right")
    for i in rows:
        if i is None:
            table.add_row(*["…"] * (1 + (ids is not None) + len(results)))
            continue
        label = [] if ids is None else [ids[i]]
        table.add_row(str(i), *label, *(_number(r.per_sample[i]) for r in results))
    _print_section(console, "Per-sample losses", table, [_elided("rows", n_samples, rows, "--max-rows")])
    batch = _table()
    for name in ("loss", "--reduce", "n", "value", "formula"):
        batch.add_column(name, justify="right" if name in ("n", "value") else "left")
    for r in results:
        batch.add_row(r.loss, r.reduce, r.n_text, short(r.value), r.batch_formula)
    _print_section(console, "Batch values", batch, [])


def render_list(console: Console | None = None) -> None:
    """``losscli list``: every loss with its aliases, default reduction and formula."""
    console = console or Console(highlight=False, markup=False)
    table = _table()
    table.add_column("loss", no_wrap=True)
    table.add_column("--reduce", no_wrap=True)
    table.add_column("element term l[i, j]")
    for loss in LOSSES:
        about = Text(loss.formula)
        details = [f"matches {loss.matches}"]
        if loss.options:
            details.append(f"options {options_text(loss)}")
        if loss.aliases:
            details.append(f"aliases {', '.join(loss.aliases)}")
        about.append("\n" + "; ".join(details), style="dim")
        table.add_row(loss.name, loss.default_reduce, about)
    console.print(table)
