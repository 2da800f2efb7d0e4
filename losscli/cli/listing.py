"""``losscli list``: every loss, from the registry."""

from __future__ import annotations

import sys

from ..errors import UsageError


def write_list(output_format: str) -> None:
    if output_format == "table":
        from ..report.render import QuietPipeConsole, render_list

        render_list(QuietPipeConsole(highlight=False, markup=False))
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
