"""``losscli merge STATE...``: the result of several runs' states, added up."""

from __future__ import annotations

from ..errors import ExitCode, UsageError

FORMATS = ("table", "json", "markdown", "csv", "value")


def merge_command(
    states, output_format, level, output, max_rows, allow_duplicates, group_by=None, statistics=None
) -> int:
    """``statistics``: a StatisticsSection whose ``ci`` asks for each merged value's interval."""
    from dataclasses import replace

    from ..core.finish import finish
    from ..engine.states import merge
    from ..report.output import render

    if output_format not in FORMATS:
        raise UsageError(f"--format {output_format!r}: use one of {', '.join(FORMATS)}")
    if output_format == "csv" and level not in ("batch", "output", "position"):
        raise UsageError("--level: a state holds no samples; use --level batch or output (or position, N-D)")
    if output:
        from ..io.write import refuse_inputs

        refuse_inputs(output, list(states), "--output")
    from ..engine.states import load
    from ..engine.tensor_states import is_tensor_state

    if group_by not in (None, "shard"):
        raise UsageError(f"--group-by {group_by}: merged states group by shard only (each state a group)")
    first = load(states[0])
    if is_tensor_state(first):
        if group_by is not None:
            raise UsageError("--group-by shard: states of N-D inputs do not keep groups yet")
        if statistics is not None and statistics.ci is not None:
            raise UsageError(
                "--ci: states of N-D inputs do not keep what an interval needs yet; run --ci over the batch"
            )
        return _merge_tensors(list(states), first, output_format, level, output, max_rows, allow_duplicates)
    merged, _ = merge(list(states), allow_duplicates, by_shard=group_by == "shard")
    results = []
    for task, state, like, groups, buckets in merged:
        result = finish(task, state)
        if statistics is not None and statistics.ci is not None:
            result = replace(result, ci=_interval(task, result, buckets, statistics))
        if groups is not None:
            if output_format == "value":
                raise UsageError("a grouped result is a row per group; use --format json or csv (or the table)")
            from ..core.groups import grouped

            how, kind, names, sums = groups
            result = replace(result, groups=grouped(how, kind, names, task, sums, result))
        results.append(result if like is None else replace(result, like=like))
    from ..engine.request import OutputSection
    from ..io.write import emit

    emit(render(results, OutputSection(output_format, level, output, max_rows=max_rows)), output)
    return ExitCode.OK


def _merge_tensors(paths, first, output_format, level, output, max_rows, allow_duplicates) -> int:
    """States of N-D runs (engine/tensor_states.py): their sums merged, then reduced as each run's settings say."""
    from ..engine import tensor_states
    from ..engine.request import OutputSection
    from ..engine.states import load
    from ..io.write import emit
    from ..report.tensor_report import render

    if output_format == "markdown":
        raise UsageError("--format markdown: states of N-D inputs print as table, json, csv or value")
    documents = [first, *(load(path) for path in paths[1:])]
    results = tensor_states.results(tensor_states.merge(paths, documents, allow_duplicates))
    emit(render(results, OutputSection(output_format, level, output, max_rows=max_rows)), output)
    return ExitCode.OK


def _interval(task, result, buckets, statistics):
    """The merged value's interval from the states' bucket sums: the one run over every shard gives."""
    from ..engine.statistics import statistic_of
    from ..stats import bootstrap_interval

    if buckets is None:
        raise UsageError("--ci: a state was saved without the sums an interval needs (an older losscli); save it again")
    ratio = statistic_of(task, result, *buckets.units())
    return bootstrap_interval(
        ratio, level=statistics.ci, resamples=statistics.resamples, seed=statistics.seed, method=statistics.ci_method
    )
