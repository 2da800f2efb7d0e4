"""``losscli merge STATE...``: the result of several runs' states, added up."""

from __future__ import annotations

from ..errors import ExitCode, UsageError

FORMATS = ("table", "json", "markdown", "csv", "value")


def merge_command(states, output_format, level, output, max_rows, allow_duplicates) -> int:
    from dataclasses import replace

    from ..core.finish import finish
    from ..engine.states import merge
    from ..report.output import render

    if output_format not in FORMATS:
        raise UsageError(f"--format {output_format!r}: use one of {', '.join(FORMATS)}")
    if output_format == "csv" and level not in ("batch", "output"):
        raise UsageError("--level: a state holds no samples; use --level batch or output")
    if output:
        from ..io.write import refuse_inputs

        refuse_inputs(output, list(states), "--output")
    merged, _ = merge(list(states), allow_duplicates)
    results = []
    for task, state, like in merged:
        result = finish(task, state)
        results.append(result if like is None else replace(result, like=like))
    from ..engine.request import OutputSection
    from ..io.write import emit

    emit(render(results, OutputSection(output_format, level, output, max_rows=max_rows)), output)
    return ExitCode.OK
