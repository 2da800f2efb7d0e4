"""Render the results of a run in the format asked for: text for stdout or a file, or a
table printed straight to the terminal (with colour)."""

from __future__ import annotations

import io


def render(results, args, comparison=None, gradients=None) -> str | bytes | None:
    """The output text; None when a table went to the terminal itself. ``comparison``: the
    --compare rows; ``gradients``: d value / d p[0, 0] under each reduction and each sample's own gradient
    (--explain --grad),
    both computed by the engine."""
    fmt = args.output_format.value
    rows = comparison
    if rows is not None and fmt == "json":
        from .outputs import dumps

        return dumps([row.to_dict() for row in rows], indent=True) + "\n"
    if args.quiet and not args.output:
        return None
    if fmt == "table":
        return _table(results, args, rows, gradients)
    from . import outputs

    if fmt == "json":
        return outputs.to_json(results)
    if fmt == "csv":
        return outputs.to_csv(results, args.level.value)
    if fmt == "jsonl":
        return outputs.to_jsonl(results)
    if fmt == "markdown":
        return outputs.to_markdown(results, args.max_rows)
    return outputs.to_value(results)


def _tolerant_stdout() -> None:
    """A table for people on a terminal that cannot show every character: '?' for those."""
    import sys

    from ..io.write import write_stdout  # noqa: F401  (its closed-stdout message)

    if sys.stdout is None:
        from ..errors import InputError

        raise InputError("standard output is closed; redirect it, or write the output with --output FILE")
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    try:
        "…─█".encode(encoding)
    except (UnicodeEncodeError, LookupError):
        reconfigure = getattr(sys.stdout, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="replace")


def _table(results, args, comparison, gradients) -> str | None:
    from .render import QuietPipeConsole as Console
    from .render import render_many, render_result  # Rich only when a table is asked for

    to_terminal = args.output is None and not args.quiet
    if to_terminal:
        _tolerant_stdout()
    buffer = None if to_terminal else io.StringIO()
    console = Console(file=buffer, highlight=False, markup=False)
    if len(results) > 1:
        render_many(results, max_rows=args.max_rows, console=console)
        return None if buffer is None else buffer.getvalue()
    result = results[0]
    explanation = None
    if args.explain:
        from .explain import explain, gradient_lines

        explanation = explain(result)
        if gradients is not None:
            explanation += gradient_lines(result, *gradients)
    render_result(
        result, max_rows=args.max_rows, explanation=explanation, comparison=comparison, top=args.top, console=console
    )
    return None if buffer is None else buffer.getvalue()
