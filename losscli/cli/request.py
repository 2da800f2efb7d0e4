"""The command line's arguments as one frozen :class:`~losscli.engine.request.RunRequest`: each
shared option into its section (``flags.COMMON`` says which), the optional values parsed,
the settings files combined with the command line, every combination that cannot mean
anything refused before any file is read. The option bag stays here: what leaves ``cli/`` is
the request."""

from __future__ import annotations

import enum
import math
import sys

from ..core.registry import Loss
from ..engine.request import SECTIONS, CheckSection, RunRequest
from ..errors import UsageError
from ..io.source import STDIN
from .flags import COMMON_BY_NAME as COMMON


def build_request(specs: list[Loss], arguments: dict) -> RunRequest:
    """The request of one loss command's parsed ``arguments`` (every option, by name)."""
    values = {name: _plain(arguments[name]) for name in COMMON}
    values["output"] = None if values["output"] == STDIN else values["output"]  # -o -: stdout, as for inputs
    if values["level"] is None:  # JSON is a summary unless asked; a CSV lists the samples
        values["level"] = "batch" if values["output_format"] == "json" else "sample"
    values["classes"] = _classes(values["classes"])
    for name in ("against", "against_col"):  # a repeatable option given no time is None
        values[name] = values[name] or ()
    ci, time_series = values.pop("ci"), values.pop("time_series")  # parsed once the inputs are checked
    sections = {}
    for section, (attribute, kind) in SECTIONS.items():
        names = [name for name, flag in COMMON.items() if flag.section == section and name in values]
        sections[attribute] = kind(**{name: values[name] for name in names})
    request = RunRequest(tuple(spec.name for spec in specs), **sections)
    request = request._replace(reduction=request.reduction._replace(reduce=_reduce(request.reduction.reduce)))
    _check_inputs(specs, request)
    _check_outputs(specs, request)
    _check_groups(request)
    statistics = request.statistics._replace(
        ci=None if ci is None else ci_level(ci),
        time_series=None if time_series is None else _horizon(time_series),
    )
    request = request._replace(statistics=statistics)
    from .against import check

    check(specs, request)
    request = request._replace(
        checks=_per_loss_thresholds(specs, _combined_checks(request.checks, request.output.quiet))
    )
    given = {name: value for name, value in arguments.items() if name not in COMMON and value is not None}
    _refuse_outputs(request, given)
    return request._replace(options=_options_per_loss(specs, given))


def _plain(value):
    """A choice as its text, a repeated option as a tuple: the request holds plain values."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, list):
        return tuple(value)
    return value


def _reduce(text: str | None) -> str | None:
    """--reduce as the planner takes it: a 2-D reduction's name, or a comma list of named axes (checked)."""
    if text is None:
        return None
    from ..core.reduce import REDUCTIONS

    words = ",".join(w.strip() for w in text.lower().split(",") if w.strip())
    if words not in REDUCTIONS:
        from ..core.tensors import parse_reduce

        parse_reduce(text)  # a usage error for anything but all, none or samples, positions, outputs
    return words


def _classes(text: str | None) -> tuple[str, ...] | None:
    return None if text is None else tuple(c.strip() for c in text.split(",") if c.strip())


def ci_level(text: str) -> float:
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


def _options_per_loss(specs: list[Loss], given: dict) -> dict[str, dict]:
    """The given loss options, each to the losses that take it; every option to at least one."""
    per_loss: dict[str, dict] = {spec.name: {} for spec in specs}
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


CONFIGURED = ("fail_above", "fail_below", "baseline", "tolerance")  # the settings files may set these


def _combined_checks(checks: CheckSection, quiet: bool) -> CheckSection:
    """The CI settings: the command line wins over [tool.losscli] / losscli.toml, key by key (none of
    them with --no-config); each setting from a file keeps the file's name, for the messages it causes."""
    from .config import load_config

    config, sources, notes = ({}, {}, []) if checks.no_config else load_config()
    given = {name for name in CONFIGURED if getattr(checks, name) is not None}
    combined = {
        name: config[_key(name)]
        for name in CONFIGURED
        if name not in given and _key(name) in config  # a setting the command line left out
    }
    checks = checks._replace(**combined, sources=tuple((name, sources[_key(name)]) for name in combined))
    for name in ("fail_above", "fail_below"):
        if getattr(checks, name) is not None:
            from ..report.checks import parse_threshold

            source = None if name in given else sources.get(_key(name))
            checks = checks._replace(**{name: parse_threshold(_key(name), getattr(checks, name), source)})
    if checks.tolerance is not None:  # a bad one is an error even with no baseline to apply it to
        from ..report.checks import parse_tolerance

        parse_tolerance(checks.tolerance, None if "tolerance" in given else sources.get("tolerance"))
    if not quiet:  # one file's setting hidden by the other's: said, before any output
        from ..errors import one_line

        for note in notes:
            sys.stderr.write(f"losscli: note: {one_line(note)}\n")
    return checks


def _per_loss_thresholds(specs: list[Loss], checks: CheckSection) -> CheckSection:
    """Each loss's own threshold, by the name the registry gives it (an alias is its loss), checked before any
    file is read: a loss named twice, or one this run does not compute, is an error on the command line; a
    settings file may hold thresholds of other losses too (one file for the project), which this run skips."""
    from ..core.registry import get_loss

    sources = dict(checks.sources)
    run_losses = [spec.name for spec in specs]
    for name in ("fail_above", "fail_below"):
        limits = getattr(checks, name)
        if not isinstance(limits, dict):
            continue
        where = f"{_key(name)} of {sources[name]}" if name in sources else f"--{_key(name)}"
        own: dict[str, float] = {}
        for given, limit in limits.items():
            try:
                loss = get_loss(given).name
            except UsageError:
                raise UsageError(f"{where}: {given!r} is not a loss (losscli list names them)") from None
            if loss in own:
                raise UsageError(f"{where}: {loss} is given twice; give each loss one threshold")
            if loss not in run_losses and name not in sources:
                raise UsageError(f"{where} names {given}, which this run does not compute ({', '.join(run_losses)})")
            own[loss] = limit
        kept = {loss: limit for loss, limit in own.items() if loss in run_losses}
        checks = checks._replace(**{name: kept or None})
    return checks


def _key(name: str) -> str:
    """A check's key in the settings files: fail_above is fail-above."""
    return name.replace("_", "-")


def _example(spec: Loss) -> str:
    from .helptext import examples

    return examples(spec)[0]


def _check_inputs(specs: list[Loss], request: RunRequest) -> None:
    inputs = request.inputs
    one_file = inputs.pred_col is not None or inputs.target_col is not None
    if inputs.preds is None:
        raise UsageError(f"give the predictions and the targets, e.g. '{_example(specs[0])}'")
    if inputs.targets is None and not one_file:
        raise UsageError(f"give TARGETS too, e.g. '{_example(specs[0])}', or one file with --pred-col and --target-col")
    if inputs.targets is None and (inputs.pred_col is None or inputs.target_col is None):
        raise UsageError("give both --pred-col and --target-col to read predictions and targets from one file")
    if inputs.preds == STDIN and inputs.targets == STDIN:
        raise UsageError("PREDS and TARGETS are both '-'; at most one of them can be read from stdin")


def _check_outputs(specs: list[Loss], request: RunRequest) -> None:
    analysis, fmt = request.analysis, request.output.output_format
    for flag, wanted in (
        ("--explain", analysis.explain),
        ("--compare", analysis.compare),
        ("--plot", request.output.plot),
    ):
        if wanted and len(specs) > 1:
            raise UsageError(f"{flag} takes one loss at a time")
    if analysis.explain and fmt != "table":
        raise UsageError("--explain writes sentences for people; use it with --format table")
    if analysis.compare and fmt not in ("table", "json"):
        raise UsageError("--compare gives a table of conventions; use it with --format table or json")
    if fmt == "csv" and request.output.level in ("element", "output"):
        from ..report.outputs import check_elements

        check_elements(specs, request.output.level)


def _check_groups(request: RunRequest) -> None:
    """Groups: named one way, printed where a row per group fits (docs/groups.md)."""
    axes = request.axes
    given = [
        flag
        for flag, value in (("--group-by", axes.group_by), ("--group-col", axes.group_col), ("--groups", axes.groups))
        if value is not None
    ]
    if not given:
        return
    if len(given) > 1:
        raise UsageError(f"{' and '.join(given)}: name the groups one way")
    flag, fmt = given[0], request.output.output_format
    if fmt in ("value", "jsonl"):
        raise UsageError(f"{flag}: a grouped result is a row per group; use --format json or csv (or the table)")
    if fmt == "csv" and request.output.level != "sample":
        raise UsageError(f"{flag}: CSV with groups is a row per group (group,n,value,share); leave out --level")
    if request.statistics.comparing:
        raise UsageError(f"{flag}: groups of a paired comparison of models are not built yet; compare without groups")
    if axes.groups == STDIN:
        raise UsageError("--groups -: give the groups as a file (stdin is for the predictions or targets)")


def inputs_named(request: RunRequest, given: dict) -> list[str]:
    """Every input the run reads, as typed (globs and directories are expanded where they are
    compared): the data, the other models' predictions, weights, arrays of options, baseline."""
    inputs = request.inputs
    names = [inputs.preds, inputs.targets, inputs.weights, *request.statistics.against, request.checks.baseline]
    if isinstance(request.axes.groups, str):
        names.append(request.axes.groups)
    for name in ("class_weights", "var", "pos_weight"):
        value = given.get(name)
        if isinstance(value, str):
            names.append(value)
    return [n for n in names if n]


def _refuse_outputs(request: RunRequest, given: dict) -> None:
    """No output may overwrite an input."""
    from ..io.write import refuse_inputs

    inputs = inputs_named(request, given)
    for path, flag in (
        (request.output.output, "--output"),
        (request.checks.save_baseline, "--save-baseline"),
        (request.engine.save_state, "--save-state"),
    ):
        if path:
            refuse_inputs(path, inputs, flag)
    if request.output.plot is not None:
        from ..report.plot import check_plot_path

        check_plot_path(request.output.plot, inputs)
