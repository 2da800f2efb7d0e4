"""A grouped result for people and for pipelines: a row per group (its n, value and share), then the
pooled value, the mean of the groups' values and the gap (docs/groups.md). It renders what the
engine computed (``Result.groups``); nothing here computes a loss."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..core.result import Result, short

if TYPE_CHECKING:  # Rich only for the table: the CSV of a grouped run does not import it
    from rich.console import Console
    from rich.table import Table

    from ..core.groups import Grouped


def _value(groups: Grouped, k: int) -> str:
    return f"{groups.value[k]:.6g}" if groups.has_value[k] else "-"


def _largest_shares(groups: Grouped, count: int) -> list[int]:
    order = np.argsort(-np.nan_to_num(groups.share, nan=-np.inf), kind="stable")
    return [int(k) for k in order[:count]]


def groups_section(console: Console, result: Result, max_rows: int) -> None:
    """The groups' table (past --max-rows, the first and last and the largest shares), then the
    pooled value, the mean of groups, the gap and what computes which."""
    from .render import _elided, _print_section, _table, printable, shown_rows

    groups = result.groups
    assert groups is not None
    count = len(groups.names)
    rows = shown_rows(count, max_rows, _largest_shares(groups, max(3, max_rows // 4)) if count > max_rows else [])
    table = _table()
    for name in ("group", "n", "value", "share"):
        table.add_column(name, justify="left" if name == "group" else "right")
    if groups.ci is not None:
        table.add_column(f"{groups.ci_level * 100:g}% CI", justify="right")
    for k in rows:
        if k is None:
            table.add_row(*["…"] * len(table.columns))
            continue
        cells = [printable(groups.names[k]), short(groups.n[k]), _value(groups, k), f"{groups.share[k]:.4f}"]
        if groups.ci is not None:
            interval = groups.ci[k]
            cells.append("-" if interval is None else f"[{interval.low:.4g}, {interval.high:.4g}]")
        table.add_row(*cells)
    heading = f"Groups ({groups.by})  each group: the sum of its terms / its own n, as a run over it alone"
    _print_section(console, heading, table, [_elided("groups", count, rows, "--max-rows")])
    console.print(_summary(groups))


def _summary(groups: Grouped) -> Table:
    from rich.table import Table

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column(overflow="fold")
    grid.add_row("pooled", f"{groups.pooled_value!r}   (n = {short(groups.pooled_n)}: every group's sum over every n)")
    without = f"; {groups.empty:,} with nothing valid left out" if groups.empty else ""
    grid.add_row(
        "mean of groups",
        f"{groups.mean_value!r}   (the plain mean of {groups.mean_n:,} groups' values{without})",
    )
    gap = f"{groups.gap!r}   (pooled - mean of groups)"
    if groups.gap_ci is not None:
        gap += f"   {groups.ci_level * 100:g}% CI [{groups.gap_ci.low:.4g}, {groups.gap_ci.high:.4g}]"
    grid.add_row("gap", gap)
    grid.add_row("which is which", groups.practice)
    return grid


def groups_csv(results: list[Result]) -> str:
    """A row per group: ``group,n,value,share`` (with a leading ``loss`` column for several losses)."""
    from .rows import csv_cell, shortest_text

    several = len(results) > 1
    lines = [",".join(["loss"] * several + ["group", "n", "value", "share"])]
    for result in results:
        groups = result.groups
        assert groups is not None
        joined = "".join(groups.names)
        quoted = any(c in joined for c in ',"\n\r')  # one scan: most names need no quotes
        names = [csv_cell(name) for name in groups.names] if quoted else groups.names
        whole = np.isfinite(groups.n).all() and (groups.n == np.round(groups.n)).all() and (groups.n < 2**53).all()
        counts = (
            list(map(str, groups.n.astype(np.int64).tolist()))
            if whole
            else [_plain_number(x) for x in groups.n.tolist()]
        )
        values = shortest_text(groups.value)
        for k in np.flatnonzero(~groups.has_value).tolist():
            values[k] = ""
        shares = shortest_text(groups.share)
        lines += map(
            ",".join, zip(*[[csv_cell(result.loss)] * len(names)] * several, names, counts, values, shares, strict=True)
        )
    return "\n".join(lines) + "\n"


def _plain_number(x) -> str:
    x = float(x)
    return str(int(x)) if x.is_integer() and abs(x) < 2**53 else repr(x)


def groups_markdown(result: Result, max_rows: int) -> str:
    """The groups of the largest shares, then the pooled value, the mean of groups and the gap."""
    from .outputs import _md_row

    groups = result.groups
    assert groups is not None
    shown = sorted(_largest_shares(groups, max_rows))
    out = ["\n", _md_row(["group", "n", "value", "share"]), _md_row(["---"] * 4)]
    out += [_md_row([groups.names[k], short(groups.n[k]), _value(groups, k), f"{groups.share[k]:.4f}"]) for k in shown]
    if len(shown) < len(groups.names):
        out.append(f"\n{len(shown)} of {len(groups.names):,} groups shown, the largest shares (--max-rows to change)\n")
    out.append(
        f"\npooled {short(groups.pooled_value)}, mean of groups {short(groups.mean_value)}, gap {short(groups.gap)}\n"
    )
    return "".join(out)


def groups_text(results: list, max_rows: int) -> str:
    """The groups' sections as plain text (the N-D report is plain lines)."""
    import io

    from .render import QuietPipeConsole

    buffer = io.StringIO()
    console = QuietPipeConsole(file=buffer, highlight=False, markup=False, emoji=False, width=100, no_color=True)
    for result in results:
        console.print()
        if len(results) > 1:
            console.print(f"{result.loss}:")
        groups_section(console, result, max_rows)
    return buffer.getvalue()
