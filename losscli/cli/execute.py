"""One run of a loss command: the arguments parsed, the inputs opened, the engine run,
the results rendered and checked. No maths here."""

from __future__ import annotations

import sys
from dataclasses import replace
from types import SimpleNamespace

from ..core.terms import LossTask, prepare, takes_labels
from ..engine.run import Pass
from ..errors import ExitCode, UsageError
from ..io.source import STDIN
from .options import COMMON


def execute(specs, arguments: dict) -> int:
    try:
        return _execute(specs, arguments)
    except MemoryError:  # an input too large for this machine, not a bug: which, and what to do
        raise _too_large(arguments) from None


def _too_large(arguments: dict):
    import contextlib
    import os

    from ..errors import InputError

    names = [arguments.get(k) for k in ("preds", "targets", "weights")] + list(arguments.get("against") or [])
    names = [name for name in dict.fromkeys(names) if name and name != STDIN] or ["<stdin>"]
    sizes = []
    for name in names:
        with contextlib.suppress(OSError, ValueError):  # a pattern, FILE:KEY, gone: no size to say
            sizes.append(os.stat(name).st_size)
    held = f" ({sum(sizes) / (1 << 20):,.0f} MiB)" if sizes else ""
    return InputError(
        f"{', '.join(names)}{held}: too large for the memory of this machine (it ran out while reading or "
        f"computing); give a smaller input, split it into shards (a glob or a directory, read one at a time; "
        f"JSON Lines, CSV or .npy rather than one JSON document), or use a machine with more memory"
    )


def _execute(specs, arguments: dict) -> int:
    args = SimpleNamespace(**{name: arguments[name] for name in COMMON})
    if args.output == STDIN:  # -o -: standard output, as for the inputs
        args.output = None
    given = {name: value for name, value in arguments.items() if name not in COMMON and value is not None}
    _check_arguments(specs, args)
    stats = _statistics(specs, args)
    settings = _check_settings(args)
    checking = any(settings[key] is not None for key in ("fail-above", "fail-below", "baseline"))
    _refuse_outputs(args, given, settings)
    per_loss = _options_per_loss(specs, given)
    open_source = _opener(specs, args)
    source = open_source(args.preds, args.targets, args.weights)
    inputs = source.opened[0] if hasattr(source, "opened") else source
    digests = _digests(args, stats)
    sink = progress = None
    try:
        tasks = _tasks(specs, args, per_loss, inputs, stdin=_stdin())
        tasks, likes = _like(tasks, args, inputs.width("predictions"))
        extras = _compare_extras(tasks[0], inputs.width("predictions")) if args.compare else ()
        sink = _row_sink(args, specs, inputs)
        engine_settings = _engine_settings(args, inputs, stats)
        run = Pass(source, tasks, engine_settings, sink=sink, extras=extras, likes=likes)
        if args.dask is not None:
            results = _run_on_dask(args, run, source, open_source.opener, sink)
        else:
            progress = _progress(args, source)
            run.on_block = progress
            results = run.run()
    except BaseException:
        if sink is not None:
            sink.close()
        raise
    finally:
        if progress is not None:
            progress.close()
        source.close()

    def signed(result, file=None, pred_col=None):
        """The signature of a result: of this run's inputs, or of another model's ``file``."""
        if digests is None:
            return ""
        from .. import __version__
        from ..core.result import signature_of
        from ..io.digests import file_digest, input_files

        if file is None:
            values = digests.result()
        else:
            values = {path: file_digest(path) for path in input_files(file, args.targets, args.weights)}
        picked = pred_col or args.pred_col
        columns = f"{picked or '*'}>{args.target_col or '*'}" if picked or args.target_col else ""
        return signature_of(result, values, __version__, columns)

    if stats.level is not None:
        from ..engine.statistics import with_intervals

        results = with_intervals(run, results, stats.level, args.resamples, args.seed, args.ci_method.value)
    results = [replace(result, signature=signed(result)) for result in results]
    if stats.comparing:
        code = _compare(args, stats, settings, checking, tasks[0], engine_settings, open_source, signed, run, results)
    else:
        code = _report(specs, args, settings, checking, run, results)
    if not args.quiet:  # after the report: a run that fails says one line, its error
        from ..errors import one_line

        for note in inputs.notes:
            sys.stderr.write(f"losscli: note: {one_line(note)}\n")
    return code


NO_STATISTICS = SimpleNamespace(level=None, horizon=None, comparing=False)


def _statistics(specs, args):
    """--ci, --against, --paired, --time-series, --fail-if-worse checked (their module loads only
    when one of them is given)."""
    names = ("ci", "time_series", "against", "against_col", "paired", "fail_if_worse")
    if not any(getattr(args, name) for name in names):
        return NO_STATISTICS
    from . import paired

    return paired.check(specs, args)


def _stdin():
    return sys.stdin.buffer if hasattr(sys.stdin, "buffer") else None


def _opener(specs, args):
    """open_source(preds, targets, weights, pred_col=None): one pair of inputs, or shards."""
    from ..io.inputs import Columns, Opener
    from ..io.shards import Shards, is_pattern
    from ..io.source import limits_from

    kinds = {spec.targets for spec in specs}
    if "labels" in kinds and "same" in kinds:
        raise UsageError(
            "losses that take class labels and losses that take targets like the predictions cannot share one run"
        )
    opener = Opener(
        Columns(args.pred_col, args.target_col, args.id_col, args.weight_col),
        takes_labels=next((k for k in ("labels", "labels_or_same") if k in kinds), "same"),
        input_format=args.input_format.value if args.input_format else None,
        header=args.header,
        match=not args.by_position,
        limits=limits_from(args.max_inflate),
        stdin=_stdin(),
    )

    def open_source(preds, targets, weights, pred_col=None):
        open_pair = opener if pred_col is None else opener._replace(columns=opener.columns._replace(pred_col=pred_col))
        if any(is_pattern(spec) for spec in (preds, targets, weights)):
            shards = Shards(preds, targets, weights, open_pair)
            shards.open(0)
            return shards
        return open_pair(preds, targets, weights)

    open_source.opener = opener  # what a Dask worker opens its shards with
    return open_source


def _digests(args, stats):
    """The inputs' sha256 for the signatures, in the background, when an output shows them."""
    fmt = args.output_format.value
    shown = fmt in ("table", "json", "markdown") and (args.output or not args.quiet)
    if not (shown or args.save_baseline):
        return None
    from ..io.digests import Digests, input_files
    from ..io.source import STDIN

    return Digests(input_files(args.preds, args.targets, args.weights), STDIN in (args.preds, args.targets))


def _example(spec) -> str:
    from .helptext import examples

    return examples(spec)[0]


def _check_arguments(specs, args) -> None:
    one_file = args.pred_col is not None or args.target_col is not None
    if args.preds is None:
        raise UsageError(f"give the predictions and the targets, e.g. '{_example(specs[0])}'")
    if args.targets is None and not one_file:
        raise UsageError(f"give TARGETS too, e.g. '{_example(specs[0])}', or one file with --pred-col and --target-col")
    if args.targets is None and (args.pred_col is None or args.target_col is None):
        raise UsageError("give both --pred-col and --target-col to read predictions and targets from one file")
    if args.preds == STDIN and args.targets == STDIN:
        raise UsageError("PREDS and TARGETS are both '-'; at most one of them can be read from stdin")
    single = len(specs) == 1
    for flag, wanted in (("--explain", args.explain), ("--compare", args.compare), ("--plot", args.plot)):
        if wanted and not single:
            raise UsageError(f"{flag} takes one loss at a time")
    fmt = args.output_format.value
    if args.explain and fmt != "table":
        raise UsageError("--explain writes sentences for people; use it with --format table")
    if args.compare and fmt not in ("table", "json"):
        raise UsageError("--compare gives a table of conventions; use it with --format table or json")
    if fmt == "csv" and args.level.value in ("element", "output"):
        from ..report.outputs import check_elements

        check_elements(specs, args.level.value)


def _check_settings(args) -> dict:
    """CI settings: the command line wins over [tool.losscli] / losscli.toml."""
    from .config import load_config

    config, sources, notes = load_config()
    settings = {
        "fail-above": args.fail_above,
        "fail-below": args.fail_below,
        "baseline": args.baseline,
        "tolerance": args.tolerance,
    }
    given = {key for key, value in settings.items() if value is not None}
    for key, value in settings.items():
        if value is None and key in config:
            settings[key] = config[key]
    for key in ("fail-above", "fail-below"):
        if settings[key] is not None:
            from ..report.checks import check_threshold

            check_threshold(key, settings[key], None if key in given else sources.get(key))
    if settings["tolerance"] is not None:  # a bad one is an error even with no baseline to apply it to
        from ..report.checks import parse_tolerance

        parse_tolerance(settings["tolerance"], None if "tolerance" in given else sources.get("tolerance"))
    if not args.quiet:  # one file's setting hidden by the other's: said, before any output
        from ..errors import one_line

        for note in notes:
            sys.stderr.write(f"losscli: note: {one_line(note)}\n")
    return settings


def _inputs_named(args, given: dict, settings: dict) -> list[str]:
    """Every input the run reads, as typed (globs and directories are expanded where they are
    compared): the data, the other models' predictions, weights, arrays of options, baseline."""
    names = [args.preds, args.targets, args.weights, *(args.against or []), settings["baseline"]]
    for name in ("class_weights", "var", "pos_weight"):
        value = given.get(name)
        if isinstance(value, str):
            names.append(value)
    return [n for n in names if n]


def _refuse_outputs(args, given: dict, settings: dict) -> None:
    from ..io.write import refuse_inputs

    inputs = _inputs_named(args, given, settings)
    for path, flag in (
        (args.output, "--output"),
        (args.save_baseline, "--save-baseline"),
        (args.save_state, "--save-state"),
    ):
        if path:
            refuse_inputs(path, inputs, flag)
    if args.plot is not None:
        from ..report.plot import check_plot_path

        check_plot_path(args.plot, inputs)


def _options_per_loss(specs, given: dict) -> dict[str, dict]:
    """The given loss options, each to the losses that take it; every option to at least one."""
    per_loss = {spec.name: {} for spec in specs}
    for name, value in given.items():
        takers = [spec for spec in specs if any(o.name == name for o in spec.options)]
        if not takers:
            specs[0].resolve_options({name: value})  # raises the usual "does not apply" error
        for spec in takers:
            per_loss[spec.name][name] = value
    for spec in specs:  # check values before any file is read (array options are files: checked later)
        arrays = {o.name for o in spec.options if o.kind == "array"}
        spec.resolve_options({k: (0.0 if k in arrays else v) for k, v in per_loss[spec.name].items()})
    return per_loss


def _tasks(specs, args, per_loss, inputs, stdin) -> list[LossTask]:
    from ..io.inputs import read_array
    from ..io.source import limits_from

    fmt = args.input_format.value if args.input_format else None
    limits = limits_from(args.max_inflate)
    n_pred = inputs.width("predictions")
    n_target = inputs.width("targets")
    tasks = []
    for spec in specs:
        options = dict(per_loss[spec.name])
        for option in spec.options:
            if option.kind == "array" and isinstance(options.get(option.name), str):
                value = options[option.name]
                try:
                    options[option.name] = float(value)
                except ValueError:
                    options[option.name] = read_array(
                        value, input_format=fmt, header=args.header, stdin=stdin, limits=limits
                    )
        tasks.append(
            prepare(
                spec,
                reduce=args.reduce.value if args.reduce else None,
                weight_divisor=args.weight_divisor.value if args.weight_divisor else None,
                weighted=args.weights is not None or args.weight_col is not None,
                labels=takes_labels(spec, n_pred, n_target),
                options=options,
            )
        )
    return tasks


def _like(tasks: list[LossTask], args, n_outputs: int):
    """--like: each task as the framework's own call computes it."""
    if args.like is None:
        return tasks, [None] * len(tasks)
    from ..core.frameworks import like

    pairs = [like(task, args.like.value, n_outputs) for task in tasks]
    return [task for task, _ in pairs], [info for _, info in pairs]


def _compare_extras(task: LossTask, n_outputs: int):
    """Every framework's convention of the loss, to compute in the same pass."""
    from ..core.frameworks import convention_task, conventions_of

    return [(convention, convention_task(task, convention)) for convention in conventions_of(task, n_outputs)]


PARALLEL_FROM = 64 << 20  # bytes of text input: below, starting threads costs more than it saves
PARSED = ("csv", "tsv", "txt", "jsonl")  # formats whose parsing is the work that threads share


def _jobs(args) -> int:
    """--jobs, or every core when there is enough text to parse (binary formats read faster
    than threads start, and pyarrow's Parquet reader has threads of its own)."""
    if args.jobs is not None:
        return args.jobs
    import os

    from ..io.digests import input_files
    from ..io.source import resolve

    fmt = args.input_format.value if args.input_format else None
    text = [path for path in input_files(args.preds, args.targets, args.weights) if resolve(path, fmt).format in PARSED]
    size = sum(os.stat(path).st_size for path in text if os.path.isfile(path))
    return (os.cpu_count() or 1) if size >= PARALLEL_FROM else 1


def _engine_settings(args, inputs, stats):
    from ..core.state import NOTHING, Keep
    from ..engine.run import Settings

    fmt = args.output_format.value
    keep_all = fmt == "json" or args.plot is not None or args.save_baseline is not None or args.paired
    tail = max(1, args.max_rows // 2)  # the table shows the first ceil(max_rows / 2) rows and the last floor
    head = max(args.max_rows - args.max_rows // 2, 200 if (args.explain and args.grad) else 0)
    keep = Keep(head=head, tail=tail, top=max(args.top, head))
    if fmt in ("value", "json", "csv", "jsonl") and args.plot is None:
        keep = NOTHING  # no table: no rows for people, no histogram
    classes = None if args.classes is None else [c.strip() for c in args.classes.split(",") if c.strip()]
    return Settings(
        jobs=_jobs(args),
        drop_missing=args.drop_missing,
        keep=keep,
        keep_all=keep_all,
        grad=args.grad,
        classes=classes,
        class_names=inputs.class_names(),
        keep_stats=stats.level is not None or (stats.comparing and not args.paired),
    )


def _run_on_dask(args, run, source, open_pair, sink):
    import os

    from ..engine.distributed import run_on_dask
    from ..io.shards import Shards

    if STDIN in (args.preds, args.targets, args.weights):
        raise UsageError("--dask: the workers read files themselves; give paths, not '-' (stdin)")
    pairs = (
        [source.names(k) for k in range(len(source))]
        if isinstance(source, Shards)
        else [(args.preds, args.targets, args.weights)]
    )
    run.source = source.opened[0] if isinstance(source, Shards) else source  # named in messages
    rows_wanted = run.settings.keep_all or run.settings.keep_stats or sink is not None
    workers = args.jobs or os.cpu_count() or 1
    patterns = source.specs if isinstance(source, Shards) else None
    opener = source.open_pair if isinstance(source, Shards) else open_pair  # with the first shard's columns
    return run_on_dask(args.dask, run, pairs, patterns, opener._replace(stdin=None), workers, rows_wanted)


def _progress(args, source):
    """A progress bar on stderr, when stderr is a terminal (it shows once a pass is slow)."""
    from ..report.progress import ProgressBar, wanted

    return ProgressBar(source) if wanted(args.quiet) else None


def _row_sink(args, specs, inputs):
    """The streaming writer of the outputs that list every sample, when one is asked for."""
    fmt, level = args.output_format.value, args.level.value
    lists_rows = fmt == "jsonl" or (fmt == "csv" and level in ("sample", "element"))
    if not lists_rows or (args.quiet and not args.output):
        return None
    from ..report.rows import RowSink

    return RowSink(fmt, level, [spec.name for spec in specs], inputs.ids_from is not None)


def _compare(args, stats, settings: dict, checking: bool, task, engine_settings, open_source, signed, run, results):
    """--against / --paired: the models compared and printed; then the checks of a plain run
    (--fail-above, --fail-below, --baseline without --paired, --save-baseline) on the main model,
    PREDS (or --pred-col): the other models are compared with it, never checked themselves."""
    from ..report.checks import parse_tolerance
    from . import paired

    # --baseline with --paired is the saved model compared sample by sample (its gate is --fail-if-worse)
    plain = settings if not args.paired else {**settings, "baseline": None}
    baseline_rows = _baseline_rows(plain, results)  # before any output, as in a plain run
    others = paired.other_models(args, task, engine_settings, open_source, signed) if not args.paired else []
    tolerance = parse_tolerance(settings["tolerance"])
    code = paired.compare_models(args, stats, task, run, results[0], others, tolerance)
    _save_baseline(args, results)
    if not checking:
        return code
    main = args.preds if args.pred_col is None or args.targets is not None else f"--pred-col {args.pred_col}"
    failed = _check(plain, results, baseline_rows, args.quiet, main)
    return ExitCode.CHECK_FAILED if failed else code


def _baseline_rows(settings: dict, results):
    """The results against --baseline (or the settings' baseline): read and matched before any
    output, so a baseline that does not fit is an error, not a result."""
    if not settings["baseline"]:
        return None
    from ..report.checks import compare_baseline, load_baseline, parse_tolerance

    tolerance = parse_tolerance(settings["tolerance"])  # checked in _check_settings
    return compare_baseline(results, load_baseline(settings["baseline"]), tolerance)


def _save_baseline(args, results) -> None:
    if args.save_baseline:
        from ..io.write import write_atomically
        from ..report.outputs import to_json

        write_atomically(args.save_baseline, to_json(results), "--save-baseline")


def _check(settings: dict, results, baseline_rows, quiet: bool, model: str | None = None) -> bool:
    """The thresholds and the baseline applied (each failure said on stderr); True if one failed.
    ``model``: the model checked, named in the messages when other models were compared."""
    from ..report.checks import check_thresholds, parse_tolerance, report_baseline

    failed = check_thresholds(results, settings["fail-above"], settings["fail-below"], model)
    if baseline_rows is not None:
        failed = report_baseline(baseline_rows, parse_tolerance(settings["tolerance"]), quiet, model) or failed
    return failed


def _report(specs, args, settings: dict, checking: bool, run, results) -> int:
    baseline_rows = _baseline_rows(settings, results)
    if args.plot is not None:
        from ..report.plot import write_plot

        write_plot(results[0], args.plot)
    _save_baseline(args, results)
    if args.save_state:
        import json

        from ..engine.states import document
        from ..io.write import write_atomically

        write_atomically(args.save_state, json.dumps(document(run, args)) + "\n", "--save-state")
    from ..io.write import emit

    emit(run.sink.stream() if run.sink is not None else _rendered(results, run, args), args.output, args.quiet)
    if run.sink is not None:
        run.sink.close()
    if not checking:
        return ExitCode.OK
    return ExitCode.CHECK_FAILED if _check(settings, results, baseline_rows, args.quiet) else ExitCode.OK


def _rendered(results, run, args):
    """The output, with what the report shows beside the result computed here, by the engine."""
    from ..engine.finishing import compare_rows, gradients_under, per_sample_gradients
    from ..report.output import render

    comparison = compare_rows(run, 0) if args.compare else None
    gradients = None
    if args.explain and args.grad:
        gradients = (gradients_under(run, 0), *per_sample_gradients(results[0]))
    return render(results, args, comparison, gradients)
