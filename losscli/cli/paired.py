"""``--ci``, ``--against``, ``--baseline FILE --paired``, ``--time-series`` and ``--fail-if-worse``:
their options checked, the other models' passes run, the report printed and the gate applied."""

from __future__ import annotations

import math
import sys
from typing import NamedTuple

from ..errors import ExitCode, UsageError


class Statistics(NamedTuple):
    level: float | None  # --ci
    horizon: int | None  # --time-series
    comparing: bool  # --against, --against-col or --paired


def _level(text: str) -> float:
    raw = text.strip().removesuffix("%")
    try:
        level = float(raw)
    except ValueError:
        raise UsageError(f"--ci {text!r}: give a confidence level such as 0.95 or 95%") from None
    if text.strip().endswith("%") or 1 < level < 100:
        level /= 100
    if not (math.isfinite(level) and 0.5 <= level < 1):
        raise UsageError(f"--ci {text!r}: give a confidence level from 0.5 to below 1 (0.9, 0.95, 0.99) or as 95%")
    return level


def _horizon(text: str) -> int:
    try:
        horizon = int(text)
    except ValueError:
        raise UsageError(f"--time-series {text!r}: give the forecast horizon H, a whole number >= 1") from None
    if horizon < 1:
        raise UsageError(f"--time-series {text!r}: the forecast horizon H is a whole number >= 1")
    return horizon


def check(specs, args) -> Statistics:
    """Every combination of these options that cannot mean anything is refused here, before any
    file is read."""
    level = None if args.ci is None else _level(args.ci)
    horizon = None if args.time_series is None else _horizon(args.time_series)
    against = args.against or []
    against_cols = args.against_col or []
    comparing = bool(against or against_cols or args.paired)
    one_file = args.pred_col is not None and args.targets is None
    problems = [
        (against and against_cols, "give --against FILE (two files) or --against-col COLS (one file), not both"),
        (against_cols and not one_file, "--against-col names other prediction columns of the one data file"),
        (against and one_file, "with --pred-col and one data file, name the other models' columns: --against-col"),
        (args.paired and not args.baseline, "--paired compares with a saved baseline: --baseline FILE --paired"),
        (args.paired and (against or against_cols), "give --against or --baseline --paired, not both"),
        (comparing and len(specs) > 1, "--against and --paired take one loss at a time"),
        (horizon is not None and not comparing, "--time-series tests models against each other: add --against"),
        (
            horizon is not None and level is not None,
            "--ci resamples samples as if independent; with --time-series "
            "(samples in time order) the Diebold-Mariano test compares the models instead",
        ),
        (args.fail_if_worse and not comparing, "--fail-if-worse needs models to compare: --against or --paired"),
    ]
    for problem, message in problems:
        if problem:
            raise UsageError(message)
    if comparing:
        fmt = args.output_format.value
        for flag, given in (("--explain", args.explain), ("--compare", args.compare), ("--grad", args.grad)):
            if given:
                raise UsageError(f"{flag} explains one model; run it without --against / --paired")
        if fmt not in ("table", "json", "markdown"):
            raise UsageError("--against and --paired print a table of models: use --format table, json or markdown")
        if args.plot is not None or args.save_state is not None:
            raise UsageError("--plot and --save-state describe one model; run them without --against / --paired")
    return Statistics(level, horizon, comparing)


def settings_of(args, stats: Statistics):
    from ..engine.paired import Settings

    return Settings(stats.level or 0.95, args.resamples, args.seed, args.ci_method.value, stats.horizon)


def other_models(args, task, engine_settings, open_source, signed) -> list:
    """Every --against model's pass (on the same targets and weights), as a Model."""
    from dataclasses import replace

    from ..engine.paired import model_of
    from ..engine.run import Pass

    models = []  # (name, the predictions' file, their columns, the opened inputs)
    for spec in args.against or []:
        models.append((spec, spec, None, open_source(spec, args.targets, args.weights, None)))
    for columns in args.against_col or []:
        models.append((f"--against-col {columns}", args.preds, columns, open_source(args.preds, None, None, columns)))
    out = []
    for name, file, columns, source in models:
        try:
            run = Pass(source, [task], engine_settings)
            result = run.run()[0]
        finally:
            source.close()
        if args.ci is not None:
            from ..engine.statistics import with_intervals

            result = with_intervals(run, [result], _level(args.ci), args.resamples, args.seed, args.ci_method.value)[0]
        out.append(model_of(name, task, run, replace(result, signature=signed(result, file, columns))))
    return out


def compare_models(args, stats: Statistics, task, run, result, others: list, tolerance) -> int:
    """The report of every model against the baseline, printed; the gate applied."""
    from ..engine.paired import model_of, per_sample_model, report, saved_model

    settings = settings_of(args, stats)
    name = args.preds if args.pred_col is None or args.targets is not None else f"--pred-col {args.pred_col}"
    if args.paired:
        from ..report.checks import load_baseline

        saved = load_baseline(args.baseline)
        if task.spec.name not in saved:
            raise UsageError(f"--baseline {args.baseline}: holds no {task.spec.name} (it holds {', '.join(saved)})")
        models = [saved_model(args.baseline, saved[task.spec.name], task), per_sample_model(name, task, result)]
    else:
        models = [others[0], model_of(name, task, run, result), *others[1:]]
    done = report(models, settings)
    _print(args, done, task.spec.name)
    if not args.fail_if_worse:
        return ExitCode.OK
    return _gate(done, tolerance, args.quiet)


def _print(args, done, loss: str) -> None:
    from ..io.write import emit
    from ..report import paired

    fmt = args.output_format.value
    if fmt == "json":
        from ..report.outputs import dumps

        text = dumps(paired.to_dict(done, loss), indent=True) + "\n"
    elif fmt == "markdown":
        text = paired.markdown(done, loss)
    else:
        import io

        from ..report.render import QuietPipeConsole

        if args.quiet and not args.output:
            return
        buffer = io.StringIO() if args.output else None  # None: straight to the terminal
        paired.table(done, loss, QuietPipeConsole(file=buffer, highlight=False, markup=False))
        text = None if buffer is None else buffer.getvalue()
    emit(text, args.output, args.quiet)


def _gate(done, tolerance, quiet: bool) -> int:
    """Exit 1 when a model is significantly worse than the baseline by more than the tolerance."""
    from ..engine.paired import worse_than_baseline
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
