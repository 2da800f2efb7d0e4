"""The one planner: a :class:`~losscli.engine.request.RunRequest` and its opened inputs become
a pass (the tasks as each framework's call computes them, the conventions to compute beside
them, what to keep). The command line and the Python API both plan here; neither assembles a
run of its own. What a finished pass gives beside its values is ``engine/finishing.py``'s."""

from __future__ import annotations

from ..core.registry import Loss
from ..core.state import NOTHING, Keep
from ..core.terms import LossTask, prepare, takes_labels
from .request import RunRequest
from .run import Pass, PassSettings

PARALLEL_FROM = 64 << 20  # bytes of text input: below, starting threads costs more than it saves
PARSED = ("csv", "tsv", "txt", "jsonl")  # formats whose parsing is the work that threads share
STREAMED = ("value", "json", "csv", "jsonl")  # outputs with no table: no rows kept for people


def plan(request: RunRequest, specs: list[Loss], source, *, sink=None) -> Pass:
    """The pass of ``request`` over ``source`` (opened inputs, or shards: ``source.opened[0]``
    is the first), writing every sample's rows to ``sink`` when one is given."""
    inputs = source.opened[0] if hasattr(source, "opened") else source
    _check_groups(request, hasattr(source, "opened"), inputs)
    n_outputs = inputs.width("predictions")
    _check_order_statistics(request, specs, n_outputs)
    tasks = tasks_of(request, specs, n_outputs, inputs.width("targets"))
    from ..core.terms import check_widths

    names = (inputs.name_of("predictions"), inputs.name_of("targets"))
    for task in tasks:  # before a value is read: a column of text labels under cce is a width, not a number
        check_widths(task, n_outputs, inputs.width("targets"), names, hinted=True)
    likes: list = [None] * len(tasks)
    if request.reduction.like is not None:
        from ..core.frameworks import like

        pairs = [like(task, request.reduction.like, n_outputs) for task in tasks]
        tasks, likes = [task for task, _ in pairs], [info for _, info in pairs]
    extras = _conventions(tasks[0], n_outputs) if request.analysis.compare else ()
    settings = pass_settings(request, inputs.class_names(), getattr(inputs, "ids_from", None) is not None)
    return Pass(source, tasks, settings, sink=sink, extras=extras, likes=likes)


def tasks_of(request: RunRequest, specs: list[Loss], n_pred: int, n_target: int) -> list[LossTask]:
    """Each loss as the request asks for it; an array option given as a file name is read here."""
    reduction = request.reduction
    weighted = request.inputs.weights is not None or request.inputs.weight_col is not None
    tasks = []
    for spec in specs:
        options = read_arrays(request, spec, dict(request.options.get(spec.name, {})))
        if request.axes.axis is not None and any(option.name == "axis" for option in spec.options):
            options["axis"] = request.axes.axis  # dice and tversky: their 2-D --axis
        labels = takes_labels(spec, n_pred, n_target)
        tasks.append(
            prepare(
                spec,
                reduce=two_d_reduce(reduction.reduce),
                weight_divisor=reduction.weight_divisor,
                weighted=weighted,
                labels=labels,
                options=options,
            )
        )
    return tasks


def two_d_reduce(text: str | None) -> str | None:
    """--reduce over a 2-D input (samples, outputs): a comma list as the 2-D reduction that averages
    the same axes; positions are refused, a 2-D input has none."""
    from ..core.reduce import REDUCTIONS

    if text is None or text in REDUCTIONS:
        return text
    from ..core.tensors import parse_reduce  # the N-D words: not loaded for a 2-D reduction's name

    averaged = parse_reduce(text)
    if "positions" in averaged:
        from ..errors import UsageError

        raise UsageError(
            f"--reduce {text}: a 2-D input (samples x outputs) has no positions; positions are the axes between "
            "the samples and the outputs of an N-D array (.npy, .npz, JSON, .safetensors)"
        )
    return {(): "none", ("samples",): "samples", ("outputs",): "outputs"}.get(averaged, "all")


def read_arrays(request: RunRequest, spec: Loss, options: dict) -> dict:
    """An array option (class weights, variances) given as text: a number, or a file of numbers."""
    for option in spec.options:
        value = options.get(option.name)
        if option.kind != "array" or not isinstance(value, str):
            continue
        try:
            options[option.name] = float(value)
        except ValueError:
            from ..io.inputs import read_array
            from ..io.source import limits_from

            inputs = request.inputs
            options[option.name] = read_array(
                value,
                input_format=inputs.input_format,
                header=inputs.header,
                stdin=_stdin(),
                limits=limits_from(inputs.max_inflate),
            )
    return options


def _stdin():
    import sys

    return sys.stdin.buffer if hasattr(sys.stdin, "buffer") else None


def _conventions(task: LossTask, n_outputs: int) -> list:
    """Every framework's convention of the loss, to compute in the same pass (--compare)."""
    from ..core.frameworks import convention_task, conventions_of

    return [(convention, convention_task(task, convention)) for convention in conventions_of(task, n_outputs)]


def pass_settings(request: RunRequest, class_names: tuple[str, ...] | None, ids: bool = False) -> PassSettings:
    """What the pass keeps: the rows a table shows, every row for outputs that list them all,
    each sample's sums for intervals and paired tests."""
    output, statistics = request.output, request.statistics
    fmt = output.output_format
    keep = _kept_rows(request)
    models_table = statistics.comparing and not statistics.paired and fmt == "json"  # no sample's rows in it
    listed = output.level in ("sample", "element") or request.analysis.grad  # a JSON of every sample's values
    keep_all = (
        fmt is None
        or (fmt == "json" and listed and not models_table)
        or output.plot is not None
        or request.checks.save_baseline is not None
        or statistics.paired
    )
    classes = request.inputs.classes
    return PassSettings(
        jobs=jobs_for(request),
        drop_missing=request.inputs.drop_missing,
        keep=keep,
        keep_all=keep_all,
        grad=request.analysis.grad,
        classes=None if classes is None else list(classes),
        class_names=class_names,
        # every sample's sums: for models matched by id or in time order, and for groups' intervals
        keep_stats=(statistics.comparing and not statistics.paired and (statistics.time_series is not None or ids))
        or (statistics.ci is not None and request.axes.grouping is not None),
        buckets=statistics.ci is not None or request.engine.save_state is not None or statistics.comparing,
        group_by=request.axes.grouping,
        group_how=group_how(request),
    )


def group_how(request: RunRequest) -> str:
    """What names the groups, as the command line says it: --group-by shard, --groups g.csv."""
    axes = request.axes
    if axes.group_col is not None:
        return f"--group-col {axes.group_col}"
    if axes.groups is not None:
        return f"--groups {axes.groups}" if isinstance(axes.groups, str) else "groups"
    return "" if axes.group_by is None else f"--group-by {axes.group_by}"


def _check_order_statistics(request: RunRequest, specs: list[Loss], n_outputs: int) -> None:
    """A maximum or a median of the terms (max_error, median_absolute_error) is no ratio of sums: what is
    built on those sums is refused for them, before a file is read. A maximum merges exactly (states,
    shards, --jobs, --dask); a median needs its values, held in memory, so no state of it is written."""
    from ..errors import UsageError

    for spec in specs:
        if not spec.order:
            continue
        if spec.order == "max" and n_outputs > 1:
            raise UsageError(
                f"max_error takes one output, as scikit-learn's max_error does; these inputs have {n_outputs} "
                "columns: choose one (--pred-col and --target-col in the one-file form, or a column each)"
            )
        if spec.order == "bins" and n_outputs > 1:
            raise UsageError(
                f"calibration_error takes one probability a sample (the positive class's), as torchmetrics' "
                f"binary_calibration_error; these inputs have {n_outputs} columns: give the positive class's column"
            )
        what = {
            "max": f"{spec.name} is the maximum of the terms, not a mean",
            "median": f"{spec.name} is the median of the terms, not a mean",
            "bins": f"{spec.name} is a function of its bins' means, not a mean of its terms",
        }[spec.order]
        statistics = request.statistics
        asked = [
            (statistics.ci is not None, "--ci", "its intervals resample sums"),
            (statistics.comparing or statistics.paired, "--against and --paired", "their tests are of sums"),
            (request.axes.grouping is not None, "grouping", "each group's value is built from its sums"),
            (request.analysis.grad, "--grad", "its gradient is one sample's; none is computed"),
        ]
        if spec.order == "median":
            held = "a median needs every value in memory, 8 bytes an element; it has no sums that add up"
            asked += [
                (request.engine.save_state is not None, "--save-state", held),
                (request.engine.dask is not None, "--dask", held),
            ]
        for given, flag, why in asked:
            if given:
                raise UsageError(f"{what}: {flag} does not apply to it ({why})")


def _check_groups(request: RunRequest, sharded: bool, inputs) -> None:
    from ..errors import UsageError

    grouping = request.axes.grouping
    if grouping == "shard" and not sharded:
        raise UsageError(
            f"--group-by shard: {inputs.name_of('predictions')} is one file; give a glob or a directory of shards "
            "(each shard a group), or their saved states to 'losscli merge --group-by shard'"
        )
    if grouping == "file" and sharded:
        raise UsageError("--groups FILE labels the samples of one file; with shards, group by --group-col or shard")


def _kept_rows(request: RunRequest) -> Keep:
    output = request.output
    if output.output_format is None:  # the Python API: the result holds its kept rows
        return Keep()
    if output.output_format in STREAMED and output.plot is None:
        return NOTHING  # no table: no rows for people, no histogram
    tail = max(1, output.max_rows // 2)  # a table shows the first ceil(max_rows / 2) rows and the last floor
    explaining = request.analysis.explain and request.analysis.grad
    head = max(output.max_rows - output.max_rows // 2, 200 if explaining else 0)
    return Keep(head=head, tail=tail, top=max(output.top, head))


def jobs_for(request: RunRequest) -> int:
    """--jobs, or every core when there is enough text to parse (binary formats read faster
    than threads start, and pyarrow's Parquet reader has threads of its own)."""
    if request.engine.jobs is not None:
        return request.engine.jobs
    inputs = request.inputs
    named = [inputs.preds, inputs.targets, inputs.weights]
    if not all(name is None or isinstance(name, str) for name in named):
        return 1  # arrays in memory: nothing to parse
    import os

    from ..io.shards import input_files
    from ..io.source import resolve

    text = [path for path in input_files(*named) if resolve(path, inputs.input_format).format in PARSED]
    size = sum(os.stat(path).st_size for path in text if os.path.isfile(path))
    return (os.cpu_count() or 1) if size >= PARALLEL_FROM else 1
