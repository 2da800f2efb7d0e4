"""``--ci``, ``--against``, ``--baseline FILE --paired``, ``--time-series`` and ``--fail-if-worse``:
their options checked, the other models' passes run, the report printed and the gate applied."""

from __future__ import annotations

import sys

from ..engine.request import RunRequest
from ..errors import ExitCode, UsageError


def check(specs, request: RunRequest) -> None:
    """Every combination of these options that cannot mean anything is refused here, before any
    file is read."""
    statistics, inputs, checks = request.statistics, request.inputs, request.checks
    against, against_cols, paired = statistics.against, statistics.against_col, statistics.paired
    comparing, horizon = statistics.comparing, statistics.time_series
    one_file = inputs.pred_col is not None and inputs.targets is None
    problems = [
        (against and against_cols, "give --against FILE (two files) or --against-col COLS (one file), not both"),
        (against_cols and not one_file, "--against-col names other prediction columns of the one data file"),
        (against and one_file, "with --pred-col and one data file, name the other models' columns: --against-col"),
        (paired and not checks.baseline, "--paired compares with a saved baseline: --baseline FILE --paired"),
        (paired and (against or against_cols), "give --against or --baseline --paired, not both"),
        (comparing and len(specs) > 1, "--against and --paired take one loss at a time"),
        (horizon is not None and not comparing, "--time-series tests models against each other: add --against"),
        (checks.fail_if_worse and not comparing, "--fail-if-worse needs models to compare: --against or --paired"),
    ]
    for problem, message in problems:
        if problem:
            raise UsageError(message)
    if comparing:
        _check_one_model(request)


def _check_one_model(request: RunRequest) -> None:
    analysis = request.analysis
    for flag, given in (("--explain", analysis.explain), ("--compare", analysis.compare), ("--grad", analysis.grad)):
        if given:
            raise UsageError(f"{flag} explains one model; run it without --against / --paired")
    if request.output.output_format not in ("table", "json", "markdown"):
        raise UsageError("--against and --paired print a table of models: use --format table, json or markdown")
    if request.output.plot is not None or request.engine.save_state is not None:
        raise UsageError("--plot and --save-state describe one model; run them without --against / --paired")


def settings_of(request: RunRequest):
    from ..engine.models import TestSettings

    statistics = request.statistics
    level = statistics.ci or 0.95
    return TestSettings(level, statistics.resamples, statistics.seed, statistics.ci_method, statistics.time_series)


def model_name(request: RunRequest) -> str:
    """PREDS as the messages name it: the file, or the one file's --pred-col."""
    inputs = request.inputs
    return inputs.preds if inputs.pred_col is None or inputs.targets is not None else f"--pred-col {inputs.pred_col}"


def other_models(request: RunRequest, task, pass_settings, open_source, signed) -> list:
    """Every --against model's pass (on the same targets and weights), as a Model."""
    from dataclasses import replace

    from ..engine.finishing import complete
    from ..engine.models import model_of
    from ..engine.run import Pass

    models = []  # (name, the predictions' file, their columns, the opened inputs)
    inputs = request.inputs
    for spec in request.statistics.against:
        models.append((spec, spec, None, open_source(spec, inputs.targets, inputs.weights, None)))
    for columns in request.statistics.against_col:
        opened = open_source(inputs.preds, None, None, columns)
        models.append((f"--against-col {columns}", inputs.preds, columns, opened))
    out = []
    for name, file, columns, source in models:
        try:
            run = Pass(source, [task], pass_settings)
            (result,) = complete(run, run.run(), request)
        finally:
            source.close()
        out.append(model_of(name, task, run, replace(result, signature=signed(result, file, columns))))
    return out


def compare_models(request: RunRequest, task, run, result, others: list, tolerance) -> int:
    """The report of every model against the baseline, printed; the gate applied."""
    from ..engine.models import model_of, per_sample_model, report, saved_model

    name = model_name(request)
    if request.statistics.paired:
        from ..report.checks import load_baseline

        baseline = request.checks.baseline
        saved = load_baseline(baseline)
        if task.spec.name not in saved:
            raise UsageError(f"--baseline {baseline}: holds no {task.spec.name} (it holds {', '.join(saved)})")
        models = [saved_model(baseline, saved[task.spec.name], task), per_sample_model(name, task, result)]
    else:
        models = [others[0], model_of(name, task, run, result), *others[1:]]
    done = report(models, settings_of(request))
    _print(request.output, done, task.spec.name)
    if not request.checks.fail_if_worse:
        return ExitCode.OK
    return _gate(done, tolerance, request.output.quiet)


def _print(output, done, loss: str) -> None:
    from ..io.write import emit
    from ..report import model_table

    fmt = output.output_format
    if fmt == "json":
        from ..report.outputs import dumps

        text = dumps(model_table.to_dict(done, loss), indent=True) + "\n"
    elif fmt == "markdown":
        text = model_table.markdown(done, loss)
    else:
        import io

        from ..report.render import QuietPipeConsole

        if not output.shown:
            return
        buffer = io.StringIO() if output.output else None  # None: straight to the terminal
        model_table.table(done, loss, QuietPipeConsole(file=buffer, highlight=False, markup=False, emoji=False))
        text = None if buffer is None else buffer.getvalue()
    emit(text, output.output, output.quiet)


def _gate(done, tolerance, quiet: bool) -> int:
    """Exit 1 when a model is significantly worse than the baseline by more than the tolerance."""
    from ..engine.models import worse_than_baseline
    from ..report.checks import annotate

    failed = worse_than_baseline(done, tolerance)
    base = done.baseline.model.name
    for row, allowed in failed:
        comparison = row.against_baseline
        interval = ""
        if comparison.interval is not None:
            interval = f" [{comparison.interval.low:+.4g}, {comparison.interval.high:+.4g}] {done.level * 100:g}% CI"
        message = (
            f"{row.model.name} is worse than {base}: {comparison.difference:+.6g}{interval}, p = "
            f"{comparison.p_value:.3g} ({comparison.test}), more than the tolerance {allowed:.6g}"
        )
        sys.stderr.write(f"losscli: check failed: {message}\n")
        annotate(message)
    return ExitCode.CHECK_FAILED if failed else ExitCode.OK
