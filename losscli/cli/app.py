"""The command line: parse, read, call ``compute``, hand the Result to a renderer.

No maths here. Every :class:`~losscli.errors.LossCliError`, and every usage error
Typer finds, becomes one line on stderr and an exit status, in one place
(:class:`_OneLineErrors`).
"""

import enum
import inspect
import sys
from typing import Annotated, Optional

import typer
from typer.core import TyperCommand

from .. import __version__
from ..core.compute import WEIGHT_DIVISORS, compute
from ..core.reduce import REDUCTIONS
from ..core.registry import LOSSES, get_loss, options_by_name
from ..errors import ExitCode, LossCliError, UsageError
from ..io.readers import FORMATS, STDIN, read_input

# Typer vendors its own click; its usage errors all derive from this class.
_TyperUsageError = typer.BadParameter.__base__


def _choices(name: str, values) -> type[enum.StrEnum]:
    """A Typer choice type over values named once, where they are defined."""
    return enum.StrEnum(name, {value: value for value in values})


Reduce = _choices("Reduce", REDUCTIONS)
OutputFormat = _choices("OutputFormat", ("table", "json", "csv", "jsonl", "markdown", "value"))
Level = _choices("Level", ("element", "sample", "output", "batch"))
WeightDivisor = _choices("WeightDivisor", WEIGHT_DIVISORS)
InputFormat = _choices("InputFormat", FORMATS)


def _error(message: str) -> None:
    sys.stderr.write(f"losscli: error: {message}\n")


class _OneLineErrors(TyperCommand):
    """Run the command with every error as one line on stderr and a named exit code."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        try:
            code = super().main(
                args=args,
                prog_name=prog_name or "losscli",
                complete_var=complete_var,
                standalone_mode=False,
                **extra,
            )
        except LossCliError as exc:
            _error(str(exc))
            code = exc.exit_code
        except _TyperUsageError as exc:
            _error(f"{exc.format_message()} (see 'losscli --help')")
            code = ExitCode.USAGE
        except BrokenPipeError:
            # The reader of stdout went away (`| head`); nothing left to say.
            sys.stderr.close()
            code = ExitCode.OK
        sys.exit(int(code or ExitCode.OK))


app = typer.Typer(context_settings={"help_option_names": ["-h", "--help"]})


def _show_version(value: bool) -> None:
    if value:
        sys.stdout.write(f"losscli {__version__}\n")
        raise typer.Exit()


def run(
    loss: Annotated[
        str,
        typer.Argument(help="Loss name (see 'losscli list'), several as mse,mae,huber, or 'list'.", show_default=False),
    ],
    preds: Annotated[
        Optional[str],
        typer.Argument(
            help="Predictions: .csv .tsv .npy .json .jsonl .npz .parquet (or .gz), FILE:KEY, or - for "
            "stdin. With --pred-col, the one file holding both columns."
        ),
    ] = None,
    targets: Annotated[Optional[str], typer.Argument(help="Targets, as PREDS.")] = None,
    reduce: Annotated[
        Optional[Reduce],
        typer.Option(
            "--reduce", "-r", help="Axes averaged; the others are summed. Default: the loss's own.", show_default=False
        ),
    ] = None,
    output_format: Annotated[
        OutputFormat,
        typer.Option("--format", "-f", help="table or markdown for people; json, jsonl, csv or value for pipelines."),
    ] = OutputFormat.table,
    level: Annotated[
        Level, typer.Option(help="With --format csv: one row per element, sample, output, or loss (batch).")
    ] = Level.sample,
    output: Annotated[
        Optional[str],
        typer.Option(
            "--output",
            "-o",
            help="Write the output to FILE (atomically) instead of stdout.",
            metavar="FILE",
            show_default=False,
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No output: only the exit status and errors.")] = False,
    input_format: Annotated[
        Optional[InputFormat],
        typer.Option(
            help="Format of stdin and of files with no known extension. Default: sniffed for stdin.", show_default=False
        ),
    ] = None,
    header: Annotated[
        Optional[bool],
        typer.Option(
            "--header/--no-header", help="CSV/TSV first row is a header. Default: detected.", show_default=False
        ),
    ] = None,
    pred_col: Annotated[
        Optional[str],
        typer.Option(
            help="Prediction column(s) of the one file PREDS: names or 0-based indices, comma-separated.",
            metavar="COLS",
            show_default=False,
        ),
    ] = None,
    target_col: Annotated[
        Optional[str], typer.Option(help="Target column(s), as --pred-col.", metavar="COLS", show_default=False)
    ] = None,
    id_col: Annotated[
        Optional[str],
        typer.Option(
            help="Column of sample ids, carried into every per-sample output.", metavar="COL", show_default=False
        ),
    ] = None,
    weights: Annotated[
        Optional[str],
        typer.Option(help="File of N sample weights (every loss).", show_default=False, metavar="FILE"),
    ] = None,
    weight_divisor: Annotated[
        WeightDivisor,
        typer.Option(
            help="With --weights, a mean over samples divides by the weights' sum (scikit-learn, "
            "Keras mean_with_sample_weight) or by N (Keras sum_over_batch_size)."
        ),
    ] = WeightDivisor.sum,
    grad: Annotated[
        bool,
        typer.Option(
            "--grad",
            help="The gradient of the batch value w.r.t. every prediction (PyTorch's "
            "subgradients at kinks: sign(0) = 0, a clamp passes its bound).",
        ),
    ] = False,
    top: Annotated[
        int, typer.Option(min=0, help="List the K worst samples, outputs and elements with their indices.", metavar="K")
    ] = 0,
    plot: Annotated[
        Optional[str],
        typer.Option(
            help="Write a figure (.png or .svg): per-sample loss distribution and per-element heatmap. "
            "Needs matplotlib: pip install 'losscli[plot]'.",
            metavar="FILE",
            show_default=False,
        ),
    ] = None,
    compare: Annotated[
        bool,
        typer.Option(
            "--compare",
            help="One row per framework convention: the call, its n and its value. "
            "With --format json, the rows as a list of objects.",
        ),
    ] = False,
    explain: Annotated[
        bool,
        typer.Option(
            "--explain",
            help="Under the tables, each formula with your numbers, and n and the value under every other --reduce.",
        ),
    ] = False,
    max_rows: Annotated[int, typer.Option(min=2, help="Rows shown per table before eliding the middle.")] = 20,
    fail_above: Annotated[
        Optional[float],
        typer.Option(help="Exit 1 if a batch value is above this. [config: fail-above]", show_default=False),
    ] = None,
    fail_below: Annotated[
        Optional[float],
        typer.Option(help="Exit 1 if a batch value is below this. [config: fail-below]", show_default=False),
    ] = None,
    baseline: Annotated[
        Optional[str],
        typer.Option(
            help="An earlier --format json result: exit 1 if a loss got worse by more "
            "than --tolerance. [config: baseline]",
            metavar="FILE",
            show_default=False,
        ),
    ] = None,
    tolerance: Annotated[
        Optional[str],
        typer.Option(
            help="With --baseline: an absolute amount (0.01) or a percentage (5%). Default 0. [config: tolerance]",
            show_default=False,
        ),
    ] = None,
    save_baseline: Annotated[
        Optional[str],
        typer.Option(
            help="Write this run's JSON result to FILE, for a later --baseline.", metavar="FILE", show_default=False
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_show_version, is_eager=True, help="Show the version and exit.")
    ] = False,
    **loss_options,
) -> int:
    if loss.strip().lower() == "list":
        if preds is not None:
            raise UsageError("'losscli list' takes no files")
        _write_list(output_format.value)
        return ExitCode.OK
    specs = [get_loss(name) for name in loss.split(",") if name.strip()]
    if not specs:
        raise UsageError("give a loss, e.g. 'losscli mse preds.csv targets.csv'")
    one_file = pred_col is not None or target_col is not None
    if one_file:
        if pred_col is None or target_col is None:
            raise UsageError("give both --pred-col and --target-col to read one file")
        if preds is None or targets is not None:
            raise UsageError("with --pred-col and --target-col, give one file: losscli LOSS DATA --pred-col ...")
    elif preds is None or targets is None:
        raise UsageError(f"give PREDS and TARGETS, e.g. 'losscli {specs[0].name} preds.csv targets.csv'")
    elif id_col is not None:
        raise UsageError("--id-col needs the one-file form: losscli LOSS DATA --pred-col ... --target-col ...")
    if preds == STDIN and targets == STDIN:
        raise UsageError("PREDS and TARGETS are both '-'; at most one of them can be read from stdin")
    single = len(specs) == 1
    for flag, wanted in (("--explain", explain), ("--compare", compare), ("--plot", plot is not None)):
        if wanted and not single:
            raise UsageError(f"{flag} takes one loss at a time")
    if explain and output_format is not OutputFormat.table:
        raise UsageError("--explain writes sentences for people; use it with --format table")
    if compare and output_format not in (OutputFormat.table, OutputFormat.json):
        raise UsageError("--compare gives a table of conventions; use it with --format table or json")

    settings = _settings(fail_above, fail_below, baseline, tolerance)
    checking = any(settings[key] is not None for key in ("fail-above", "fail-below", "baseline"))
    # Imported only when used: start-up time is most of a small job.
    if checking:
        from ..report.checks import check_thresholds, compare_baseline, load_baseline, parse_tolerance, report_baseline
    if output or save_baseline:
        from ..report.outputs import refuse_inputs, to_json, write_atomically
    fmt = input_format.value if input_format else None
    stdin = sys.stdin.buffer
    inputs = [p for p in (preds, targets, weights, settings["baseline"]) if p]
    for path, flag in ((output, "--output"), (save_baseline, "--save-baseline")):
        if path:
            refuse_inputs(path, inputs, flag)
    if plot is not None:
        from ..report.plot import check_plot_path

        check_plot_path(plot, inputs)

    given = {name: value for name, value in loss_options.items() if value is not None}
    per_loss = _options_per_loss(specs, given)
    for name in {o.name for spec in specs for o in spec.options if o.kind == "array"} & given.keys():
        value = _number_or_file(given[name], fmt, header, stdin)
        for options in per_loss.values():
            if name in options:
                options[name] = value
    ids = None
    if one_file:
        from ..io.columns import read_columns, split_names

        columns = read_columns(
            preds, split_names(pred_col), split_names(target_col), id_col, input_format=fmt, header=header, stdin=stdin
        )
        pred, target, ids = columns.preds, columns.targets, columns.ids
    else:
        pred = read_input(preds, input_format=fmt, header=header, stdin=stdin)
        target = read_input(targets, input_format=fmt, header=header, stdin=stdin)
    sample_weights = None if weights is None else read_input(weights, input_format=fmt, header=header, stdin=stdin)

    def compute_with(spec, reduce_name: str | None, divisor: str | None = None, **extra):
        return compute(
            spec,
            pred,
            target,
            reduce=reduce_name,
            weights=sample_weights,
            weight_divisor=divisor or weight_divisor.value,
            grad=grad,
            **{**per_loss[spec.name], **extra},
        )

    results = [compute_with(spec, reduce.value if reduce else None) for spec in specs]
    baseline_rows = tol = None
    if settings["baseline"]:  # before any output: a baseline that does not fit is an error, not a result
        tol = parse_tolerance(settings["tolerance"])
        baseline_rows = compare_baseline(results, load_baseline(settings["baseline"]), tol)
    if plot is not None:
        from ..report.plot import write_plot

        write_plot(results[0], plot)
    if save_baseline:
        write_atomically(save_baseline, to_json(results, ids))

    text = None
    if compare:
        from ..report.compare import compare as compare_rows

        spec = specs[0]
        rows = compare_rows(
            spec,
            results[0].options,
            results[0].shape[1],
            sample_weights is not None,
            lambda *a, **k: compute_with(spec, *a, **k),
        )
        if output_format is OutputFormat.json:
            import json

            text = json.dumps([row.to_dict() for row in rows], indent=2) + "\n"
    else:
        rows = None
    if text is None and not (quiet and not output):  # --quiet alone: nothing to render
        if output_format is OutputFormat.table:
            text = _table_text(
                specs,
                results,
                ids,
                pred,
                target,
                compute_with,
                rows,
                explain,
                grad,
                max_rows,
                top,
                to_terminal=output is None and not quiet,
            )
        else:
            text = _machine_text(results, output_format.value, level.value, ids, max_rows)
    if output:
        write_atomically(output, text)
    elif not quiet and text:
        sys.stdout.write(text)
        sys.stdout.flush()

    if not checking:
        return ExitCode.OK
    failed = check_thresholds(results, settings["fail-above"], settings["fail-below"])
    if baseline_rows is not None:
        failed = report_baseline(baseline_rows, tol, quiet) or failed
    return ExitCode.CHECK_FAILED if failed else ExitCode.OK


def _settings(fail_above, fail_below, baseline, tolerance) -> dict:
    """CI settings: the command line wins over [tool.losscli] / losscli.toml."""
    from pathlib import Path

    from .config import load_config

    config, source = load_config(Path.cwd())
    settings = {"fail-above": fail_above, "fail-below": fail_below, "baseline": baseline, "tolerance": tolerance}
    for key, value in settings.items():
        if value is None and key in config:
            value = config[key]
            if key in ("fail-above", "fail-below") and not isinstance(value, int | float):
                raise UsageError(f"{source}: {key} = {value!r} is not a number")
            settings[key] = value
    return settings


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


def _machine_text(results, fmt: str, level: str, ids, max_rows: int) -> str:
    from ..report.outputs import to_csv, to_json, to_jsonl, to_markdown, to_value

    if fmt == "json":
        return to_json(results, ids)
    if fmt == "csv":
        return to_csv(results, level, ids)
    if fmt == "jsonl":
        return to_jsonl(results, ids)
    if fmt == "markdown":
        return to_markdown(results, ids, max_rows)
    return to_value(results)


def _table_text(
    specs, results, ids, pred, target, compute_with, rows, explain, grad, max_rows, top, to_terminal: bool
) -> str | None:
    """Rich tables: printed straight to a terminal (colour), else rendered to plain text."""
    import io

    from rich.console import Console

    from ..report.render import render_many, render_result  # Rich only when a table is asked for

    buffer = None if to_terminal else io.StringIO()
    console = Console(file=buffer, highlight=False, markup=False)
    if len(results) > 1:
        render_many(results, ids=ids, max_rows=max_rows, console=console)
        return None if buffer is None else buffer.getvalue()
    spec, result = specs[0], results[0]
    explanation = None
    if explain:
        from ..report.explain import explain as explain_lines

        by_reduce = {name: compute_with(spec, name) for name in spec.reductions}
        explanation = explain_lines(result, pred.values, target.values, by_reduce, source=pred.name)
        if grad:
            from ..report.explain import gradient_lines

            explanation += gradient_lines(result, pred.values, target.values, by_reduce)
    render_result(
        result, max_rows=max_rows, explanation=explanation, comparison=rows, top=top, console=console, ids=ids
    )
    return None if buffer is None else buffer.getvalue()


def _number_or_file(value: str, fmt, header, stdin):
    """An array option's value: one number, or the numbers in a file."""
    try:
        return float(value)
    except ValueError:
        return read_input(value, input_format=fmt, header=header, stdin=stdin).values


def _write_list(output_format: str) -> None:
    if output_format == "table":
        from ..report.render import render_list

        render_list()
    elif output_format == "json":
        import json

        from ..report.docs import loss_catalogue

        sys.stdout.write(json.dumps(loss_catalogue(), indent=2) + "\n")
    elif output_format == "value":
        sys.stdout.write("".join(loss.name + "\n" for loss in LOSSES))
    else:
        from ..report.docs import loss_list_csv

        sys.stdout.write(loss_list_csv())


def _loss_option_parameters() -> list[inspect.Parameter]:
    """One command-line option per loss option name in the registry."""
    params = []
    for name, users in options_by_name().items():
        option = users[0][1]
        kinds = {opt.kind for _, opt in users}
        assert len(kinds) == 1, f"option {name} has kinds {kinds} across losses"
        takes = "; ".join(
            loss.name if opt.default is None else f"{loss.name}: default {opt.default_text}" for loss, opt in users
        )
        help_text = f"{option.help} [{takes}]"
        if option.kind == "flag":
            flag = option.flag
            decl = typer.Option(f"{flag}/--no-{flag[2:]}", help=help_text, show_default=False)
            annotation = Annotated[Optional[bool], decl]
        elif option.kind == "array":
            annotation = Annotated[
                Optional[str], typer.Option(option.flag, help=help_text, metavar="FILE|X", show_default=False)
            ]
        else:
            kind = int if option.kind == "int" else float
            annotation = Annotated[Optional[kind], typer.Option(option.flag, help=help_text, show_default=False)]
        params.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation))
    return params


def _with_loss_options(func):
    signature = inspect.signature(func)
    fixed = [p for p in signature.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
    extra = _loss_option_parameters()
    func.__signature__ = signature.replace(parameters=fixed + extra)
    func.__annotations__ = {**func.__annotations__, **{p.name: p.annotation for p in extra}}
    return func


def _help() -> str:
    reductions = "\n\n".join(f"  {name}: {r.known_as}" for name, r in REDUCTIONS.items())
    return (
        "Compute a loss of PREDS against TARGETS and say what its divisor n is.\n\n"
        "'losscli list' shows every loss with its formula and default reduction.\n\n"
        f"Reductions (--reduce):\n\n{reductions}\n\n"
        "CI settings (fail-above, fail-below, baseline, tolerance) may come from \\[tool.losscli] in "
        "pyproject.toml or from losscli.toml; the command line wins.\n\n"
        "Exit status: 0 ok, 1 a --fail-above/--fail-below/--baseline check failed, 2 usage or input error."
    )


run.__doc__ = _help()


def _epilog() -> str:
    lines = [f"{loss.name}: {loss.formula}" for loss in LOSSES]
    text = "Losses (element term l[i, j], or per-sample term L[i]):\n\n" + "\n\n".join(lines)
    return text.replace("[", "\\[")  # Rich reads [..] as markup in help text


app.command(cls=_OneLineErrors, epilog=_epilog())(_with_loss_options(run))


def main() -> None:
    app()
