"""``losscli list``: every loss, from the registry."""

from __future__ import annotations

import sys

from ..errors import UsageError


def write_list(output_format: str, task: str | None = None, details: bool = False) -> None:
    """``losscli list [TASK]``: the registry's losses, by task."""
    from ..core.registry import TASK_WORDS

    chosen = None
    if task is not None:
        chosen = TASK_WORDS.get(task.strip().lower())
        if chosen is None:
            raise UsageError(f"losscli list {task!r}: no such task; use one of {', '.join(sorted(TASK_WORDS))}")
    if output_format == "table":
        from ..report.render import QuietPipeConsole, render_list

        render_list(QuietPipeConsole(highlight=False, markup=False, emoji=False), chosen, details)
        return
    if chosen is not None:
        raise UsageError("losscli list TASK: one task is listed as a table; leave out --format, or filter the JSON")
    elif output_format == "json":
        import json

        from ..report.docs import loss_catalogue

        sys.stdout.write(json.dumps(loss_catalogue(), indent=2) + "\n")
    elif output_format == "value":
        from ..core.registry import LOSSES

        sys.stdout.write("".join(loss.name + "\n" for loss in LOSSES))
    elif output_format == "csv":
        from ..report.docs import loss_list_csv

        sys.stdout.write(loss_list_csv())
    else:
        raise UsageError(f"losscli list --format {output_format!r}: use table, json, csv or value")
