"""Rich tables for people: per-element, per-sample, per-output and the batch summary.

Long tables show their first and last rows, and always the rows and columns that hold
the largest terms, with "…" where rows are left out. On a terminal the per-element table
is a heatmap on a log scale, with a legend; Rich drops the colour itself when stdout is
no terminal or NO_COLOR is set.
"""

from __future__ import annotations

import math

import numpy as np
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..core.result import Result, short
from ..errors import printable
from .docs import options_text

_COLUMN_PADDING = 3  # Rich pads each cell and separates columns


class QuietPipeConsole(Console):
    """The console of every table for people. Its reader may go away (``| head``): that is no
    failure, so no exit 1. Every text cell shows control characters as their escapes (an id
    cell holding ESC [ 2 J cleared the terminal): Rich passes them through."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError

    def render_str(self, text: str, **kwargs) -> Text:
        return super().render_str(printable(text), **kwargs)


def shown(text: str) -> Text:
    """A line of text for a person, made of names and values from the inputs."""
    return Text(printable(text))


LARGEST_SHOWN = 3  # rows (and columns) of the largest terms, never elided


def _number(x: float) -> str:
    return f"{x:.6g}"


def _with_gaps(indices: list[int]) -> list[int | None]:
    """Sorted indices with None wherever some were left out between two."""
    out: list[int | None] = []
    for i in sorted(set(indices)):
        if out and out[-1] is not None and i != out[-1] + 1:
            out.append(None)
        out.append(i)
    return out


def shown_rows(count: int, limit: int, must: list[int]) -> list[int | None]:
    """Row indices to show out of ``count``: all, or head and tail and ``must``, with gaps."""
    if count <= limit:
        return list(range(count))
    head = limit - limit // 2
    picked = [*range(head), *range(count - limit // 2, count), *must]
    out = _with_gaps(picked)
    if out[0] != 0:
        out.insert(0, None)
    return out


def _elided(what: str, count: int, shown: list[int | None], flag: str) -> str:
    visible = sum(i is not None for i in shown)
    return f"{visible:,} of {count:,} {what} shown ({flag} to change)" if visible < count else ""


def _table() -> Table:
    return Table(box=box.SIMPLE_HEAD, pad_edge=False)


def _print_section(console: Console, heading: str, table: Table, notes: list[str]) -> None:
    console.print(Text(printable(heading), style="bold"))
    console.print(table)
    for note in notes:
        if note:
            console.print(Text(printable(note), style="dim"))


def _largest_rows(result: Result) -> list[int]:
    rows = []
    for i, _, _ in result.worst_elements:
        if i not in rows:
            rows.append(i)
    if not rows:
        rows = [i for i, _ in result.worst_samples]
    return rows[:LARGEST_SHOWN]


def _largest_columns(result: Result) -> list[int]:
    columns = []
    for _, j, _ in result.worst_elements:
        if j not in columns:
            columns.append(j)
    return columns[:LARGEST_SHOWN]


def _row_lookup(result: Result) -> dict[int, int]:
    kept = result.kept
    return {} if kept is None else {int(i): k for k, i in enumerate(kept.index)}


def kept_rows(result: Result, rows: list[int | None]) -> list[int | None]:
    """The rows of ``rows`` that the result kept, gaps where others were left out: merged
    states keep only the rows that every state kept (their --max-rows may differ)."""
    lookup = _row_lookup(result)
    out: list[int | None] = []
    for i in rows:
        if i is not None and i in lookup:
            out.append(i)
        elif out[-1:] != [None]:
            out.append(None)
    return out


def _output_section(console, heading: str, result: Result, outputs) -> None:
    """Each output's value, with its name where the input names it."""
    names = None if result.output_names is None else result.output_name
    count = result.shape[1]
    _vector_section(console, heading, "output", outputs, lambda j: result.per_output[j], names, count, "name")


def _vector_section(console, heading, index_name, rows, values_of, ids_of=None, count=0, label="id") -> None:
    table = _table()
    table.add_column(index_name, justify="right")
    if ids_of is not None:
        table.add_column(label)
    table.add_column("loss", justify="right")
    for i in rows:
        label = [] if ids_of is None else ["…" if i is None else ids_of(i)]
        if i is None:
            table.add_row("…", *label, "…")
        else:
            table.add_row(str(i), *label, _number(values_of(i)))
    _print_section(console, heading, table, [_elided("rows", count, rows, "--max-rows")])


# --- the heatmap ------------------------------------------------------------------------

_HEAT = ("on #3b2a14", "on #6b3a12", "on #a8460f", "on #e0500c")


class Heat:
    """Colours by log10 |value| between the smallest nonzero shown and the largest of all."""

    def __init__(self, shown: np.ndarray, largest: float):
        magnitudes = np.abs(shown[np.isfinite(shown) & (shown != 0)])
        self.high = math.log10(largest) if largest > 0 and math.isfinite(largest) else None
        self.low = math.log10(float(magnitudes.min())) if magnitudes.size else self.high

    def style(self, value: float) -> str:
        if self.high is None or not value or not math.isfinite(value):
            return _HEAT[-1] if not math.isfinite(value) else ""
        span = self.high - self.low
        if span <= 0:
            return _HEAT[-1]
        level = (math.log10(abs(value)) - self.low) / span
        return _HEAT[min(len(_HEAT) - 1, max(0, int(level * len(_HEAT))))]

    def legend(self) -> str:
        if self.high is None:
            return ""
        low, high = 10.0**self.low, 10.0**self.high
        return f"colour: log scale of |l|, from {low:.3g} (darkest) to {high:.3g} (brightest); 0 uncoloured"


def matrix_section(console: Console, heading: str, result: Result, matrix_rows, max_rows: int) -> None:
    """A per-element table (terms or gradient) of the kept rows; ``matrix_rows`` maps a row index to its values."""
    n_samples, n_outputs = result.shape
    rows = kept_rows(result, shown_rows(n_samples, max_rows, _largest_rows(result)))
    shown = [i for i in rows if i is not None]
    values = np.array([matrix_rows(i) for i in shown]) if shown else np.zeros((0, n_outputs))
    cell = max((len(_number(x)) for x in values.ravel()), default=4) + _COLUMN_PADDING
    index = len(str(n_samples)) + len("sample") + _COLUMN_PADDING
    fit = max(2, (console.width - index) // cell)
    cols = shown_rows(n_outputs, fit, _largest_columns(result))
    largest = max((abs(v) for _, _, v in result.worst_elements), default=0.0)
    heat = Heat(values, largest if values.size else 0.0)
    table = _table()
    table.add_column("sample", justify="right")
    for j in cols:
        table.add_column("…" if j is None else str(j), justify="right")
    for _k, i in enumerate(rows):
        if i is None:
            table.add_row("…", *["…"] * len(cols))
            continue
        row = values[shown.index(i)]
        cells = [Text("…") if j is None else Text(_number(row[j]), style=heat.style(row[j])) for j in cols]
        table.add_row(str(i), *cells)
    notes = [
        _elided("rows", n_samples, rows, "--max-rows"),
        _elided("outputs", n_outputs, cols, "wider terminal"),
        heat.legend() if console.is_terminal and not console.no_color else "",
    ]
    _print_section(console, heading, table, notes)


# --- the histogram -----------------------------------------------------------------------

HISTOGRAM_FROM = 10  # samples; fewer are all in the per-sample table already


def histogram_lines(bins: list[tuple[float, float, int]], width: int = 40) -> list[str]:
    """A text histogram: one line per bin, ``[low, high)  count  bar``."""
    if not bins:
        return []
    if len(bins) == 1 and bins[0][0] == bins[0][1]:
        return [f"all {bins[0][2]:,} values are {short(bins[0][0])}"]
    top = max(count for _, _, count in bins)
    lines = []
    for k, (low, high, count) in enumerate(bins):
        bar = "█" * int(round(width * count / top)) if count else ""
        close = "]" if k == len(bins) - 1 else ")"
        lines.append(f"[{low:>10.4g}, {high:>10.4g}{close} {count:>8,}  {bar}")
    return lines


def _histogram_section(console: Console, result: Result) -> None:
    console.print(Text("Distribution of the per-sample losses", style="bold"))
    for line in histogram_lines(result.histogram):
        console.print(Text(line))
    console.print()


def _top_section(console: Console, result: Result, k: int) -> None:
    """The k worst samples, outputs and elements, with their indices."""

    def ranked(what: str, index_names: tuple[str, ...], value_name: str, rows) -> None:
        table = _table()
        for name in (*index_names, value_name):
            table.add_column(name, justify="right")
        for *index, value in rows:
            table.add_row(*(str(i) for i in index), _number(value))
        _print_section(console, f"The {len(rows)} worst {what}", table, [])

    ranked("samples", ("sample",), "L[i]", result.worst_samples[:k])
    if result.per_output is not None and result.shape[1] > 1:
        order = np.argsort(-result.per_output, kind="stable")[:k]
        name = result.output_name
        ranked("outputs", ("output",), "O[j]", [(name(int(j)), float(result.per_output[j])) for j in order])
        elements = [(i, name(j), value) for i, j, value in result.worst_elements[:k]]
        ranked("elements", ("sample", "output"), "l[i, j]", elements)


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
    summary.add_column(overflow="fold")  # a signature or a path has no spaces: folded, never cut
    summary.add_row("loss", f"{result.loss} ({result.title}; matches {result.matches})")
    if result.like is not None:
        summary.add_row("like", result.like.text())
    given = _shown_options(result)
    if given:
        summary.add_row("options", ", ".join(f"{k}={_option_text(v)}" for k, v in given.items()))
    summary.add_row("reduce", f"{result.reduce}: {result.summed_text}")
    if result.mean_of_terms:  # a root, a ratio, a maximum or bins are not the reduction's call alone
        summary.add_row("same as", result.reduction.known_as)
    if result.weights:
        divisor = _DIVISORS[result.weights["divisor"]]
        summary.add_row("weights", f"the terms carry the weights; a mean over samples divides by {divisor}")
    summary.add_row("n", f"n = {result.n_text}")
    summary.add_row("formula", result.batch_formula)
    if result.notes:
        summary.add_row("note", result.notes)
    summary.add_row("value", repr(result.value))
    if result.ci is not None:
        ci = result.ci
        how = f"bootstrap, {ci.method}, {ci.resamples:,} resamples of the samples, seed {ci.seed}"
        summary.add_row(f"{ci.level * 100:g}% CI", f"{result.ci_text()}   ({how})")
    if result.non_finite:
        summary.add_row("warning", f"the value is not a finite number: {result.non_finite}")
    for info in result.inputs:
        summary.add_row("input", info.text())
    if result.signature:
        summary.add_row("signature", result.signature)
    return summary


def render_result(
    result: Result,
    *,
    max_rows: int = 20,
    console: Console | None = None,
    explanation: list[tuple[str, str]] | None = None,
    comparison: list | None = None,
    top: int = 0,
) -> None:
    """Print the tables and the batch summary of ``result``, and its explanation if given."""
    console = console or QuietPipeConsole(highlight=False, markup=False, emoji=False)
    lookup = _row_lookup(result)
    kept = result.kept
    ids_of = None if kept is None or kept.ids is None else (lambda i: kept.ids[lookup[i]])
    rows = kept_rows(result, shown_rows(result.shape[0], max_rows, _largest_rows(result)))
    per_sample = f"Per-sample loss  {result.per_sample_formula}"
    n_samples, n_outputs = result.shape
    if kept is None:  # merged states saved without rows (--format value, json, csv): the sums only
        console.print(Text("No rows to show: the states were saved without them (save them with --format table)"))
        if result.elements and n_outputs > 1:
            outputs = shown_rows(n_outputs, max_rows, _largest_columns(result))
            heading = f"Per-output loss  {result.per_output_formula}"
            _output_section(console, heading, result, outputs)
    elif not result.elements or n_outputs == 1:
        # No element terms, or one output: then element, per-sample and per-output
        # views are the same numbers.
        if result.elements:
            per_sample += f"   (l = {result.formula})"
        _vector_section(console, per_sample, "sample", rows, lambda i: kept.per_sample[lookup[i]], ids_of, n_samples)
    else:
        heading = f"Per-element loss  l[i, j] = {result.formula}   ({n_samples} x {n_outputs})"
        matrix_section(console, heading, result, lambda i: kept.terms[lookup[i]], max_rows)
        _vector_section(console, per_sample, "sample", rows, lambda i: kept.per_sample[lookup[i]], ids_of, n_samples)
        outputs = shown_rows(n_outputs, max_rows, _largest_columns(result))
        heading = f"Per-output loss  {result.per_output_formula}"
        _output_section(console, heading, result, outputs)
    if n_samples >= HISTOGRAM_FROM and result.histogram:
        _histogram_section(console, result)
    if top:
        _top_section(console, result, top)
    console.print(_summary(result))
    if result.grad and kept is not None and kept.gradient is not None:
        heading = (
            f"\nGradient  d {result.loss} / d p[i, j]   (the predictions' shape; n = {short(result.n)} divides it)"
        )
        matrix_section(console, heading, result, lambda i: kept.gradient[lookup[i]], max_rows)
    if comparison:
        _comparison_section(console, comparison)
    if explanation:
        console.print(Text("\nExplanation", style="bold"))
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column()
        for heading, text in explanation:
            grid.add_row(heading, text)
        console.print(grid)


def _shown_options(result: Result) -> dict:
    """The options with a value: None is unset (no weights given), except where it is a value of its own
    (no log floor: Option.nullable)."""
    from ..core.registry import get_loss

    nullable = {o.name for o in get_loss(result.loss).options if o.nullable}
    return {k: v for k, v in result.options.items() if v is not None or k in nullable}


def _value_text(row) -> str:
    """A row's value to the precision its call computes in: seven digits for float32 (Keras)."""
    return f"{row.value:.7g}" if row.dtype == "float32" else short(row.value)


def _comparison_section(console: Console, comparison: list) -> None:
    console.print(Text("\nThe same data under each framework's convention", style="bold"))
    table = _table()
    table.add_column("framework and call", ratio=1, overflow="fold")
    table.add_column("--reduce", no_wrap=True)
    for name in ("n", "value"):
        table.add_column(name, justify="right", no_wrap=True)
    for row in comparison:
        call = Text(f"{row.framework}: {row.call}")
        if row.note:
            call.append(f"  ({row.note})", style="dim")
        n = "" if row.n is None else short(row.n)
        table.add_row(call, row.reduce or "-", n, "-" if row.value is None else _value_text(row))
    console.print(table)


def _per_sample_side_by_side(console: Console, results: list[Result], max_rows: int) -> None:
    """The per-sample values of several losses, one column each, on the rows every one of them kept."""
    n_samples = results[0].shape[0]
    rows = shown_rows(n_samples, max_rows, [])
    for result in results:
        rows = kept_rows(result, rows)
    lookups = [_row_lookup(r) for r in results]
    ids = results[0].kept.ids if results[0].kept is not None else None
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
        label = [] if ids is None else [ids[lookups[0][i]]]
        values = [_number(r.kept.per_sample[lookup[i]]) for r, lookup in zip(results, lookups, strict=True)]
        table.add_row(str(i), *label, *values)
    _print_section(console, "Per-sample losses", table, [_elided("rows", n_samples, rows, "--max-rows")])


def render_many(results: list[Result], *, max_rows: int = 20, console: Console | None = None) -> None:
    """Several losses of one pass, side by side: per-sample values, then the batch values."""
    console = console or QuietPipeConsole(highlight=False, markup=False, emoji=False)
    if any(r.kept is None for r in results):  # merged states saved without rows: the sums only
        console.print(Text("No rows to show: the states were saved without them (save them with --format table)"))
    else:
        _per_sample_side_by_side(console, results, max_rows)
    batch = _table()
    for name in ("loss", "--reduce", "n", "value", "formula"):
        batch.add_column(name, justify="right" if name in ("n", "value") else "left")
    for r in results:
        batch.add_row(r.loss, r.reduce, r.n_text, r.ci_text() if r.ci is not None else short(r.value), r.batch_formula)
    ci = results[0].ci
    notes = [] if ci is None else [f"bootstrap, {ci.method}, {ci.resamples:,} resamples of the samples, seed {ci.seed}"]
    _print_section(console, "Batch values", batch, notes)
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column(overflow="fold")
    for info in results[0].inputs:
        grid.add_row("input", info.text())
    for r in results:
        if r.signature:
            grid.add_row("signature", r.signature)
    console.print(grid)


def render_list(console: Console | None = None, task: str | None = None, details: bool = False) -> None:
    """``losscli list``: the losses by task (one task with ``task``), each with its default reduction and
    formula; ``details`` adds the framework calls it matches, its options and aliases."""
    from ..core.registry import TASKS, get_loss

    console = console or QuietPipeConsole(highlight=False, markup=False, emoji=False)
    for name, members in TASKS.items():
        if task is not None and name != task:
            continue
        table = _table()
        table.add_column("loss", no_wrap=True)
        table.add_column("--reduce", no_wrap=True)
        table.add_column("element term l[i, j]")
        for loss in (get_loss(member) for member in members):
            about = Text(loss.formula)
            if details:
                more = [f"matches {loss.matches}"]
                if options_text(loss):  # hidden options (e.g. log_cosh's --form) are not listed
                    more.append(f"options {options_text(loss)}")
                if loss.aliases:
                    more.append(f"aliases {', '.join(loss.aliases)}")
                about.append("\n" + "; ".join(more), style="dim")
            table.add_row(loss.name, loss.default_reduce, about)
        console.print(Text(f"{name} ({len(members)})", style="bold"))
        console.print(table)
    if task is None:
        console.print(
            Text(
                "losscli list TASK lists one (regression, classes, distributions, margins, segmentation); "
                "--details adds the calls each matches; losscli help LOSS tells one loss",
                style="dim",
            )
        )
