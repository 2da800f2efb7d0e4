"""One run of a loss command: the arguments parsed into a request, the inputs opened, the
engine's plan run, the results rendered and checked. No maths here."""

from __future__ import annotations

import sys
from dataclasses import replace

from ..engine.request import RunRequest
from ..errors import ExitCode, UsageError
from ..io.source import STDIN


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
    from ..engine.finishing import complete
    from .request import build_request

    request = build_request(specs, arguments)  # every usage error, before any file is read
    from ..engine.tensor_route import wanted

    if wanted(request, specs):
        return _tensor_report(request, specs)
    if request.output.level == "position":
        from ..errors import UsageError

        raise UsageError("--level position: the positions of inputs of rank 3 or more; this run's inputs have none")
    open_source = _opener(specs, request)
    inputs = request.inputs
    source = open_source(inputs.preds, inputs.targets, inputs.weights)
    opened = source.opened[0] if hasattr(source, "opened") else source
    signed = _signer(request)
    run, results = _run(request, specs, source, open_source)
    from ..report.progress import phase

    statistics = request.statistics
    resamples = statistics.resamples * len(results) if statistics.ci is not None else None
    with phase("resampling", resamples, request.output.quiet or resamples is None):
        completed = complete(run, results, request)
    results = [replace(result, signature=signed(result)) for result in completed]
    if request.statistics.comparing:
        code = _compare(request, run, results, open_source, signed)
    else:
        code = _report(request, run, results)
    if not request.output.quiet:  # after the report: a run that fails says one line, its error
        from ..errors import one_line

        for note in opened.notes:
            sys.stderr.write(f"losscli: note: {one_line(note)}\n")
    return code


def _run(request: RunRequest, specs, source, open_source):
    """The engine's pass over the inputs (or the shards as Dask tasks); the inputs closed after."""
    from ..engine.plan import plan

    sink = progress = None
    try:
        sink = _row_sink(request, specs, source.opened[0] if hasattr(source, "opened") else source)
        run = plan(request, specs, source, sink=sink)
        if request.engine.dask is not None:
            results = _run_on_dask(request, run, source, open_source.opener, sink)
        else:
            progress = _progress(request, source)
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
    return run, results


def _signer(request: RunRequest):
    """signed(result, file=None, pred_col=None): the signature of a result, of this run's inputs or
    of another model's ``file``; the inputs' sha256 are computed in the background meanwhile."""
    digests = _digests(request)
    inputs = request.inputs

    def signed(result, file=None, pred_col=None):
        if digests is None:
            return ""
        from .. import __version__
        from ..core.result import signature_of
        from ..io.digests import file_digest
        from ..io.shards import input_files

        if file is None:
            values = digests.result()
        else:
            values = {path: file_digest(path) for path in input_files(file, inputs.targets, inputs.weights)}
        picked = pred_col or inputs.pred_col
        target_col = inputs.target_col
        columns = f"{picked or '*'}>{target_col or '*'}" if picked or target_col else ""
        return signature_of(result, values, __version__, columns)

    return signed


def _opener(specs, request: RunRequest):
    """open_source(preds, targets, weights, pred_col=None): one pair of inputs, or shards."""
    from ..io.inputs import Columns, Opener
    from ..io.shards import Shards, is_pattern
    from ..io.source import limits_from

    kinds = {spec.targets for spec in specs}
    if "labels" in kinds and "same" in kinds:
        raise UsageError(
            "losses that take class labels and losses that take targets like the predictions cannot share one run"
        )
    inputs = request.inputs
    opener = Opener(
        Columns(inputs.pred_col, inputs.target_col, inputs.id_col, inputs.weight_col, request.axes.group_col),
        takes_labels=next((k for k in ("labels", "labels_or_same") if k in kinds), "same"),
        input_format=inputs.input_format,
        header=inputs.header,
        match=not inputs.by_position,
        limits=limits_from(inputs.max_inflate),
        stdin=sys.stdin.buffer if hasattr(sys.stdin, "buffer") else None,
        groups=request.axes.groups,
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


def _digests(request: RunRequest):
    """The inputs' sha256 for the signatures, in the background, when an output shows them."""
    output, inputs = request.output, request.inputs
    shown = output.output_format in ("table", "json", "markdown") and output.shown
    if not (shown or request.checks.save_baseline or request.checks.baseline):  # a baseline checks its inputs
        return None
    from ..io.digests import Digests
    from ..io.shards import input_files

    named = (inputs.preds, inputs.targets, inputs.weights)
    return Digests(input_files(*named), STDIN in (inputs.preds, inputs.targets))


def _run_on_dask(request: RunRequest, run, source, open_pair, sink):
    import os

    from ..engine.distributed import run_on_dask
    from ..io.shards import Shards

    inputs = request.inputs
    named = (inputs.preds, inputs.targets, inputs.weights)
    if STDIN in named:
        raise UsageError("--dask: the workers read files themselves; give paths, not '-' (stdin)")
    sharded = isinstance(source, Shards)
    pairs = [source.names(k) for k in range(len(source))] if sharded else [named]
    run.source = source.opened[0] if sharded else source  # named in messages
    rows_wanted = run.settings.keep_all or run.settings.keep_stats or sink is not None
    workers = request.engine.jobs or os.cpu_count() or 1
    patterns = source.specs if sharded else None
    opener = source.open_pair if sharded else open_pair  # with the first shard's columns
    return run_on_dask(request.engine.dask, run, pairs, patterns, opener._replace(stdin=None), workers, rows_wanted)


def _progress(request: RunRequest, source):
    """A progress bar on stderr, when stderr is a terminal (it shows once a pass is slow)."""
    from ..report.progress import ProgressBar, wanted

    return ProgressBar(source) if wanted(request.output.quiet) else None


def _row_sink(request: RunRequest, specs, inputs):
    """The streaming writer of the outputs that list every sample, when one is asked for."""
    output = request.output
    fmt, level = output.output_format, output.level
    lists_rows = fmt == "jsonl" or (fmt == "csv" and level in ("sample", "element"))
    if not lists_rows or not output.shown or request.axes.grouping is not None:  # groups: a row per group
        return None
    from ..report.rows import RowSink

    return RowSink(fmt, level, [spec.name for spec in specs], inputs.ids_from is not None)


def _compare(request: RunRequest, run, results, open_source, signed) -> int:
    """--against / --paired: the models compared and printed; then the checks of a plain run
    (--fail-above, --fail-below, --baseline without --paired, --save-baseline) on the main model,
    PREDS (or --pred-col): the other models are compared with it, never checked themselves."""
    from ..report.checks import parse_tolerance
    from . import against

    paired = request.statistics.paired
    # --baseline with --paired is the saved model compared sample by sample (its gate is --fail-if-worse)
    plain = request.checks if not paired else request.checks._replace(baseline=None)
    baseline_rows = _baseline_rows(plain, results)  # before any output, as in a plain run
    task = run.tasks[0]
    from ..report.progress import phase

    quiet = request.output.quiet
    with phase("reading the other models", None, quiet or paired):
        others = [] if paired else against.other_models(request, task, run.settings, open_source, signed)
    tolerance = parse_tolerance(request.checks.tolerance)
    tests = 2 * request.statistics.resamples * max(1, len(others))  # a bootstrap and a permutation test each
    with phase("paired tests", tests, quiet):
        code = against.compare_models(request, task, run, results[0], others, tolerance)
    _save_baseline(request, results)
    if not request.checks.checking:
        return code
    failed = _check(plain, results, baseline_rows, request.output.quiet, against.model_name(request))
    return ExitCode.CHECK_FAILED if failed else code


def _baseline_rows(checks, results):
    """The results against --baseline (or the settings' baseline): read and matched before any
    output, so a baseline that does not fit is an error, not a result."""
    if not checks.baseline:
        return None
    from ..report.checks import compare_baseline, load_baseline, parse_tolerance

    tolerance = parse_tolerance(checks.tolerance)  # checked when the request was built
    saved = load_baseline(checks.baseline, dict(checks.sources).get("baseline"))
    return compare_baseline(results, saved, tolerance, checks.allow_other_inputs)


def _save_baseline(request: RunRequest, results) -> None:
    if request.checks.save_baseline:
        from ..io.write import write_atomically
        from ..report.outputs import to_json

        write_atomically(request.checks.save_baseline, to_json(results, level="sample"), "--save-baseline")


def _check(checks, results, baseline_rows, quiet: bool, model: str | None = None) -> bool:
    """The thresholds and the baseline applied (each failure said on stderr); True if one failed.
    ``model``: the model checked, named in the messages when other models were compared."""
    from ..report.checks import check_thresholds, parse_tolerance, report_baseline

    failed = check_thresholds(results, checks.fail_above, checks.fail_below, model, dict(checks.sources))
    if baseline_rows is not None:
        tolerance = parse_tolerance(checks.tolerance)
        failed = report_baseline(baseline_rows, tolerance, quiet, model, dict(checks.sources)) or failed
    return failed


def _tensor_report(request: RunRequest, specs) -> int:
    """A run over N-D inputs: the value, each sample's value and n over the named axes."""
    from ..engine import tensor_run
    from ..io.write import emit
    from ..report.tensor_report import render

    tensor_run.check(request, specs)
    results = tensor_run.run(request, specs)
    if request.statistics.comparing:
        return _compare_tensors(request, specs, results)
    output, checks = request.output, request.checks
    if request.engine.save_state:
        _save_tensor_state(request, results)
    emit(render(results, output), output.output, output.quiet)
    if not checks.checking:
        return ExitCode.OK
    return ExitCode.CHECK_FAILED if _check(checks, results, None, output.quiet) else ExitCode.OK


def _compare_tensors(request: RunRequest, specs, results) -> int:
    """--against on N-D inputs: every model's pass on the same targets, the paired tests over whole samples
    (the 2-D report and gate); then the main model's own checks."""
    from ..engine import tensor_run
    from ..engine.models import Model, report
    from ..report.checks import parse_tolerance
    from . import against

    others = []
    for preds in request.statistics.against:
        (other,) = tensor_run.run(request._replace(inputs=request.inputs._replace(preds=preds)), specs)
        others.append(Model(preds, other, other.statistic, None))
    main = Model(against.model_name(request), results[0], results[0].statistic, None)
    done = report([others[0], main, *others[1:]], against.settings_of(request))
    against._print(request.output, done, specs[0].name)
    code = ExitCode.OK
    if request.checks.fail_if_worse:
        code = against._gate(done, parse_tolerance(request.checks.tolerance), request.output.quiet)
    if request.checks.checking and _check(request.checks, results, None, request.output.quiet, main.name):
        return ExitCode.CHECK_FAILED
    return code


def _save_tensor_state(request: RunRequest, results) -> None:
    import json

    from ..engine.states import input_digests
    from ..engine.tensor_states import document
    from ..io.write import write_atomically

    inputs = request.inputs
    digests = input_digests(inputs.preds, inputs.targets, inputs.weights, request.axes.mask, request.axes.lengths)
    state = document(results, digests)
    write_atomically(request.engine.save_state, json.dumps(state) + "\n", "--save-state")


def _report(request: RunRequest, run, results) -> int:
    from ..io.write import emit, write_atomically
    from ..report.output import render

    checks, output = request.checks, request.output
    baseline_rows = _baseline_rows(checks, results)
    if output.plot is not None:
        from ..report.plot import write_plot

        write_plot(results[0], output.plot)
    _save_baseline(request, results)
    if request.engine.save_state:
        import json

        from ..engine.states import document

        write_atomically(request.engine.save_state, json.dumps(document(run, request)) + "\n", "--save-state")
    from ..report.progress import phase

    with phase("writing", None, output.quiet or run.sink is not None):  # a sink has written as it read
        rendered = run.sink.stream() if run.sink is not None else render(results, output, request.analysis.explain)
        if output.output_format == "markdown" and baseline_rows is not None:  # the job summary says why
            from ..report.checks import baseline_markdown, parse_tolerance

            rendered += baseline_markdown(baseline_rows, parse_tolerance(checks.tolerance))
        emit(rendered, output.output, output.quiet)
    if run.sink is not None:
        run.sink.close()
    if not checks.checking:
        return ExitCode.OK
    return ExitCode.CHECK_FAILED if _check(checks, results, baseline_rows, output.quiet) else ExitCode.OK
