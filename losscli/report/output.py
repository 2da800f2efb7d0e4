"""Render the results of a run in the format asked for: text for stdout or a file, or a
table printed straight to the terminal (with colour)."""

from __future__ import annotations

import io


def render(results, output, explain: bool = False) -> str | bytes | None:
    """The output text of ``results`` as ``output`` (an :class:`~losscli.engine.request.OutputSection`)
    asks; None when a table went to the terminal itself. What is shown beside a value (every
    framework's number, the gradient checks) was computed by the engine and is carried on the result."""
    fmt = output.output_format
    comparison = results[0].comparison
    if comparison is not None and fmt == "json":
        from .outputs import dumps

        return dumps([row.to_dict() for row in comparison], indent=True) + "\n"
    if not output.shown:
        return None
    if fmt == "table":
        return _table(results, output, explain)
    from . import outputs

    if fmt == "json":
        return outputs.to_json(results, level=output.level)
    if fmt == "csv":
        if results[0].groups is not None:
            from .groups import groups_csv

            return groups_csv(results)
        return outputs.to_csv(results, output.level)
    if fmt == "jsonl":
        return outputs.to_jsonl(results)
    if fmt == "markdown":
        text = outputs.to_markdown(results, output.max_rows)
        if results[0].groups is not None:
            from .groups import groups_markdown

            text += "".join(groups_markdown(result, output.max_rows) for result in results)
        return text
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


def _table(results, output, explain: bool) -> str | None:
    from .render import QuietPipeConsole as Console
    from .render import render_many, render_result  # Rich only when a table is asked for

    to_terminal = output.output is None and not output.quiet
    if to_terminal:
        _tolerant_stdout()
    buffer = None if to_terminal else io.StringIO()
    console = Console(file=buffer, highlight=False, markup=False, emoji=False)
    if len(results) > 1:
        render_many(results, max_rows=output.max_rows, console=console)
        _groups(results, output, console)
        return None if buffer is None else buffer.getvalue()
    result = results[0]
    explanation = None
    if explain:
        from .explain import explain as explain_result
        from .explain import gradient_lines

        explanation = explain_result(result)
        if result.gradient_checks is not None:
            explanation += gradient_lines(result, result.gradient_checks)
    render_result(
        result,
        max_rows=output.max_rows,
        explanation=explanation,
        comparison=result.comparison,
        top=output.top,
        console=console,
    )
    _groups(results, output, console)
    return None if buffer is None else buffer.getvalue()


def _groups(results, output, console) -> None:
    if results[0].groups is None:
        return
    from .groups import groups_section

    for result in results:
        if len(results) > 1:
            console.print()
            console.print(f"{result.loss}:", style="bold")
        groups_section(console, result, output.max_rows)
