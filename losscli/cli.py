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

from . import __version__
from .compute import compute
from .errors import ExitCode, LossCliError, UsageError
from .readers import FORMATS, STDIN, read_input
from .reduce import REDUCTIONS
from .registry import LOSSES, get_loss, options_by_name

# Typer vendors its own click; its usage errors all derive from this class.
_TyperUsageError = typer.BadParameter.__base__


class Reduce(enum.StrEnum):
    all = "all"
    samples = "samples"
    outputs = "outputs"
    none = "none"


class OutputFormat(enum.StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    value = "value"


class WeightDivisor(enum.StrEnum):
    sum = "sum"
    count = "count"


InputFormat = enum.StrEnum("InputFormat", {name: name for name in FORMATS})


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


app = typer.Typer(add_completion=False, context_settings={"help_option_names": ["-h", "--help"]})


def _show_version(value: bool) -> None:
    if value:
        sys.stdout.write(f"losscli {__version__}\n")
        raise typer.Exit()


def run(
    loss: Annotated[str, typer.Argument(help="Loss name (see 'losscli list'), or 'list'.", show_default=False)],
    preds: Annotated[
        Optional[str], typer.Argument(help="Predictions: .csv, .tsv, .npy or .json file, or - for stdin.")
    ] = None,
    targets: Annotated[Optional[str], typer.Argument(help="Targets, as PREDS.")] = None,
    reduce: Annotated[
        Optional[Reduce],
        typer.Option(
            "--reduce", "-r", help="Axes averaged; the others are summed. Default: the loss's own.", show_default=False
        ),
    ] = None,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="table for people; json, csv or value for pipelines.")
    ] = OutputFormat.table,
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
        Optional[float], typer.Option(help="Exit 1 if the batch value is above this.", show_default=False)
    ] = None,
    fail_below: Annotated[
        Optional[float], typer.Option(help="Exit 1 if the batch value is below this.", show_default=False)
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
    spec = get_loss(loss)
    if preds is None or targets is None:
        raise UsageError(f"give PREDS and TARGETS, e.g. 'losscli {spec.name} preds.csv targets.csv'")
    if preds == STDIN and targets == STDIN:
        raise UsageError("PREDS and TARGETS are both '-'; at most one of them can be read from stdin")
    given = {name: value for name, value in loss_options.items() if value is not None}
    fmt = input_format.value if input_format else None
    stdin = sys.stdin.buffer
    array_options = {option.name for option in spec.options if option.kind == "array"}
    spec.resolve_options({k: (0.0 if k in array_options else v) for k, v in given.items()})  # fail before reading
    for name in array_options & given.keys():
        given[name] = _number_or_file(given[name], fmt, header, stdin)
    pred = read_input(preds, input_format=fmt, header=header, stdin=stdin)
    target = read_input(targets, input_format=fmt, header=header, stdin=stdin)
    sample_weights = None if weights is None else read_input(weights, input_format=fmt, header=header, stdin=stdin)
    if explain and output_format is not OutputFormat.table:
        raise UsageError("--explain writes sentences for people; use it with --format table")

    if compare and output_format not in (OutputFormat.table, OutputFormat.json):
        raise UsageError("--compare gives a table of conventions; use it with --format table or json")

    def compute_with(reduce_name: str | None, divisor: str | None = None, **extra):
        return compute(
            spec,
            pred,
            target,
            reduce=reduce_name,
            weights=sample_weights,
            weight_divisor=divisor or weight_divisor.value,
            grad=grad,
            **{**given, **extra},
        )

    if plot is not None:
        from .plot import check_plot_path

        check_plot_path(plot, [p for p in (preds, targets, weights) if p])
    result = compute_with(reduce.value if reduce else None)
    if plot is not None:
        from .plot import write_plot

        write_plot(result, plot)
    rows = None
    if compare:
        from .compare import compare as compare_rows

        rows = compare_rows(spec, result.options, result.shape[1], sample_weights is not None, compute_with)
        if output_format is OutputFormat.json:
            import json

            sys.stdout.write(json.dumps([row.to_dict() for row in rows], indent=2) + "\n")
            return _check_thresholds(result, fail_above, fail_below)

    if output_format is OutputFormat.table:
        from .render import render_result  # Rich only when a table is asked for

        explanation = None
        if explain:
            from .explain import explain as explain_lines

            by_reduce = {name: compute_with(name) for name in spec.reductions}
            explanation = explain_lines(result, pred.values, target.values, by_reduce, source=pred.name)
            if grad:
                from .explain import gradient_lines

                explanation += gradient_lines(result, pred.values, target.values, by_reduce)
        render_result(result, max_rows=max_rows, explanation=explanation, comparison=rows, top=top)
    else:
        sys.stdout.write(
            {"json": result.to_json, "csv": result.to_csv, "value": result.value_text}[output_format.value]()
        )
    sys.stdout.flush()
    return _check_thresholds(result, fail_above, fail_below)


def _number_or_file(value: str, fmt, header, stdin):
    """An array option's value: one number, or the numbers in a file."""
    try:
        return float(value)
    except ValueError:
        return read_input(value, input_format=fmt, header=header, stdin=stdin).values


def _check_thresholds(result, fail_above: float | None, fail_below: float | None) -> int:
    crossed = []
    if fail_above is not None and result.value > fail_above:
        crossed.append(f"is above --fail-above {fail_above!r}")
    if fail_below is not None and result.value < fail_below:
        crossed.append(f"is below --fail-below {fail_below!r}")
    for what in crossed:
        sys.stderr.write(f"losscli: check failed: {result.loss} = {result.value!r} (--reduce {result.reduce}) {what}\n")
    return ExitCode.CHECK_FAILED if crossed else ExitCode.OK


def _write_list(output_format: str) -> None:
    if output_format == "table":
        from .render import render_list

        render_list()
    elif output_format == "json":
        import json

        from .docs import loss_catalogue

        sys.stdout.write(json.dumps(loss_catalogue(), indent=2) + "\n")
    elif output_format == "value":
        sys.stdout.write("".join(loss.name + "\n" for loss in LOSSES))
    else:
        from .docs import loss_list_csv

        sys.stdout.write(loss_list_csv())


def _loss_option_parameters() -> list[inspect.Parameter]:
    """One command-line option per loss option name in the registry."""
    params = []
    for name, users in options_by_name().items():
        option = users[0][1]
        kinds = {opt.kind for _, opt in users}
        assert len(kinds) == 1, f"option {name} has kinds {kinds} across losses"
        takes = "; ".join(
            loss.name if opt.default is None else f"{loss.name}: default {_default_text(opt)}" for loss, opt in users
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


def _default_text(option) -> str:
    if option.kind == "flag":
        return "on" if option.default else "off"
    return f"{option.default:g}"


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
        "Exit status: 0 ok, 1 a --fail-above/--fail-below check failed, 2 usage or input error."
    )


run.__doc__ = _help()


def _epilog() -> str:
    lines = [f"{loss.name}: {loss.formula}" for loss in LOSSES]
    text = "Losses (element term l[i, j], or per-sample term L[i]):\n\n" + "\n\n".join(lines)
    return text.replace("[", "\\[")  # Rich reads [..] as markup in help text


app.command(cls=_OneLineErrors, epilog=_epilog())(_with_loss_options(run))


def main() -> None:
    app()
