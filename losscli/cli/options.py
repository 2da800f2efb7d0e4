"""The options every loss command shares, declared once, and each loss's own options
from the registry. A loss command's parameters are these (see ``loss_command.py``).
"""

from __future__ import annotations

import enum
import inspect
from typing import Annotated, Optional

import typer

from ..core.constants import EMPTY_POLICIES
from ..core.registry import Loss, Option
from ..core.terms import WEIGHT_DIVISORS
from ..io.source import FORMATS

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 80}  # every command's


def _choices(name: str, values) -> type[enum.StrEnum]:
    """A Typer choice type over values named once, where they are defined."""
    return enum.StrEnum(name, {value: value for value in values})


OUTPUT_FORMATS = ("table", "json", "csv", "jsonl", "markdown", "value")
OutputFormat = _choices("OutputFormat", OUTPUT_FORMATS)
Level = _choices("Level", ("element", "sample", "output", "position", "batch"))
WeightDivisor = _choices("WeightDivisor", WEIGHT_DIVISORS)
InputFormat = _choices("InputFormat", FORMATS)
Empty = _choices("Empty", EMPTY_POLICIES)
GroupBy = _choices("GroupBy", ("shard", "sample", "class"))  # core.groups.GROUP_BY (numpy-free here: start-up)
Like = _choices("Like", ("torch", "keras", "sklearn", "optax", "torchmetrics", "numpy"))

INPUTS, REDUCTION, AXES, OUTPUT, ANALYSIS, STATISTICS, CHECKS, ENGINE, LOSS = (
    "Inputs",
    "Reduction and weights",
    "Axes, masks and groups",
    "Output",
    "Analysis",
    "Intervals and paired tests",
    "CI checks",
    "Engine",
    "Options of this loss",
)
SECTIONS = (INPUTS, REDUCTION, AXES, OUTPUT, ANALYSIS, STATISTICS, CHECKS, ENGINE, LOSS)  # the order help shows them in
CiMethod = _choices("CiMethod", ("studentized", "bca", "percentile"))


def _param(name: str, annotation, default=None) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)


def _text(*decls: str, help: str, metavar: str | None = None):
    return Annotated[Optional[str], typer.Option(*decls, help=help, metavar=metavar, show_default=False)]


def _flag(*decls: str, help: str):
    return Annotated[bool, typer.Option(*decls, help=help)]


# name -> (section, annotation, default). Declared once; every loss command takes them all.
COMMON: dict[str, tuple[str, object, object]] = {
    "preds": (
        INPUTS,
        Annotated[
            Optional[str],
            typer.Argument(
                help="Predictions: a file (.csv .tsv .txt .npy .npz .json .jsonl .parquet, any text or .npy "
                "also .gz), FILE:KEY, or - for stdin. With --pred-col and --target-col, the one file holding both.",
                show_default=False,
            ),
        ],
        None,
    ),
    "targets": (
        INPUTS,
        Annotated[Optional[str], typer.Argument(help="Targets, as PREDS.", show_default=False)],
        None,
    ),
    "pred_col": (
        INPUTS,
        _text(
            "--pred-col",
            help="Prediction columns: names, 0-based positions, globs ('proba_*') or ranges (p0:p9), comma-separated.",
            metavar="COLS",
        ),
        None,
    ),
    "target_col": (INPUTS, _text("--target-col", help="Target columns, as --pred-col.", metavar="COLS"), None),
    "id_col": (
        INPUTS,
        _text(
            "--id-col",
            help="Column of sample ids: carried into every per-sample output; with two files, their rows are "
            "matched by it (a Kaggle row_id).",
            metavar="COL",
        ),
        None,
    ),
    "weights": (
        INPUTS,
        _text("--weights", help="Sample weights: a file of N numbers, or FILE:KEY (a column).", metavar="FILE"),
        None,
    ),
    "weight_col": (
        INPUTS,
        _text("--weight-col", help="Column of sample weights in the one data file.", metavar="COL"),
        None,
    ),
    "classes": (
        INPUTS,
        _text(
            "--classes",
            help="Class names of the prediction columns, in order (clf.classes_): class labels are matched to "
            "them. Default: the predictions' header names.",
            metavar="A,B,...",
        ),
        None,
    ),
    "input_format": (
        INPUTS,
        Annotated[
            Optional[InputFormat],
            typer.Option(
                help="Format of stdin and of files with no known extension. Default: sniffed for stdin.",
                show_default=False,
            ),
        ],
        None,
    ),
    "header": (
        INPUTS,
        Annotated[
            Optional[bool],
            typer.Option(
                "--header/--no-header",
                help="The first row of text files is a header. Default: detected, and said when unsure.",
                show_default=False,
            ),
        ],
        None,
    ),
    "drop_missing": (
        INPUTS,
        _flag(
            "--drop-missing",
            help="Drop the samples with a missing value (NA, NaN, null, an empty cell) in predictions, targets "
            "or weights; n counts the rest. Default: a missing value is an error.",
        ),
        False,
    ),
    "by_position": (
        INPUTS,
        _flag("--by-position", help="Match the rows of two files by position even when both have row labels."),
        False,
    ),
    "max_inflate": (
        INPUTS,
        _text(
            "--max-inflate",
            help="Largest size a .gz or .npz input may inflate to (8G, 500M; 0 for no limit). Default: 2 GiB or "
            "200 times its compressed size.",
            metavar="SIZE",
        ),
        None,
    ),
    "reduce": (
        REDUCTION,
        _text(
            "--reduce",
            "-r",
            help="Axes averaged; the others are summed: all, none, samples, outputs, or a comma list of samples, "
            "positions, outputs (N-D inputs: samples,positions is the token mean). Default: the loss's own.",
            metavar="AXES",
        ),
        None,
    ),
    "like": (
        REDUCTION,
        Annotated[
            Optional[Like],
            typer.Option(
                help="Compute it exactly as this framework's own call does, with its defaults: its reduction, its "
                "clips and epsilons, its weight divisor.",
                show_default=False,
            ),
        ],
        None,
    ),
    "weight_divisor": (
        REDUCTION,
        Annotated[
            Optional[WeightDivisor],
            typer.Option(
                help="With weights, a mean over samples divides by their sum (scikit-learn, Keras "
                "mean_with_sample_weight) or by N (Keras sum_over_batch_size). Default: sum; with --like, "
                "the framework's own.",
                show_default=False,
            ),
        ],
        None,
    ),
    "axis": (
        AXES,
        _text(
            "--axis",
            help="The frameworks' axis: of a class loss, the class axis (1: PyTorch's channels-first; a comma list "
            "is one flattened class axis, as optax); of dice and tversky, the axes summed in each ratio (none: every "
            "axis, Keras's default). Default: the last, or the one the labels' shape leaves; said.",
            metavar="AXES",
        ),
        None,
    ),
    "mask": (
        AXES,
        _text(
            "--mask",
            help="0/1 or true/false of the predictions' shape without the outputs axis: 0 removes a position from "
            "the sums and from n (Keras masking).",
            metavar="FILE",
        ),
        None,
    ),
    "lengths": (
        AXES,
        _text(
            "--lengths",
            help="One length per sample: positions of the first position axis at or past it are padding, removed "
            "from the sums and from n.",
            metavar="FILE",
        ),
        None,
    ),
    "empty": (
        AXES,
        Annotated[
            Optional[Empty],
            typer.Option(
                help="A mean with nothing valid to average: error (the default, with the reason), nan (PyTorch) or "
                "zero (Keras); --like gives the framework's own.",
                show_default=False,
            ),
        ],
        None,
    ),
    "group_by": (
        AXES,
        Annotated[
            Optional[GroupBy],
            typer.Option(
                help="Groups, each with its n, value and share, then the pooled value and the mean of the groups' "
                "values: shard (each file of a glob or folder), sample (each row, sequence or image), class (each "
                "true class).",
                show_default=False,
            ),
        ],
        None,
    ),
    "group_col": (
        AXES,
        _text("--group-col", help="Groups by a column of the one data file (a slice, a dataset).", metavar="COL"),
        None,
    ),
    "groups": (
        AXES,
        _text("--groups", help="Groups by a file of one label per sample (numbers or text).", metavar="FILE"),
        None,
    ),
    "output_format": (
        OUTPUT,
        Annotated[
            OutputFormat,
            typer.Option("--format", "-f", help="table or markdown for people; json, jsonl, csv or value for pipes."),
        ],
        OutputFormat.table,
    ),
    "level": (
        OUTPUT,
        Annotated[
            Optional[Level],
            typer.Option(
                help="With --format csv: a row per element, sample (the default), output or loss (batch). With "
                "--format json: the summary (batch, the default), and every sample's value (sample) or term too "
                "(element).",
                show_default=False,
            ),
        ],
        None,
    ),
    "output": (
        OUTPUT,
        _text("--output", "-o", help="Write the output to FILE (atomically), not stdout.", metavar="FILE"),
        None,
    ),
    "quiet": (OUTPUT, _flag("--quiet", "-q", help="No output: only the exit status and errors."), False),
    "max_rows": (
        OUTPUT,
        Annotated[int, typer.Option(min=2, help="Rows shown per table before eliding the middle.")],
        20,
    ),
    "top": (
        OUTPUT,
        Annotated[int, typer.Option(min=0, help="List the K worst samples, outputs and elements.", metavar="K")],
        0,
    ),
    "plot": (
        OUTPUT,
        _text(
            "--plot",
            help="Write a figure (.png or .svg) of the per-sample losses and the per-element heatmap; needs "
            "matplotlib: pip install 'losscli[plot]'.",
            metavar="FILE",
        ),
        None,
    ),
    "explain": (
        ANALYSIS,
        _flag("--explain", help="Each formula with your numbers, and n and the value under every --reduce."),
        False,
    ),
    "compare": (
        ANALYSIS,
        _flag("--compare", help="One row per framework's call: its n and its value on your data."),
        False,
    ),
    "grad": (
        ANALYSIS,
        _flag(
            "--grad",
            help="The gradient of the batch value w.r.t. every prediction (PyTorch's subgradients at kinks).",
        ),
        False,
    ),
    "fail_above": (
        CHECKS,
        _text(
            "--fail-above",
            help="Exit 1 if a batch value is above X, or each loss's own: mse=5000,mae=60 (with --against: "
            "PREDS' value). [config: fail-above]",
            metavar="X",
        ),
        None,
    ),
    "fail_below": (
        CHECKS,
        _text(
            "--fail-below",
            help="Exit 1 if a batch value is below X, or each loss's own: mse=5000,mae=60 (with --against: "
            "PREDS' value). [config: fail-below]",
            metavar="X",
        ),
        None,
    ),
    "baseline": (
        CHECKS,
        _text(
            "--baseline",
            help="An earlier --format json result: exit 1 if a loss got worse by more than --tolerance. "
            "[config: baseline]",
            metavar="FILE",
        ),
        None,
    ),
    "tolerance": (
        CHECKS,
        _text(
            "--tolerance",
            help="With --baseline: an amount (0.01) or a percentage (5%). Default 0. [config: tolerance]",
            metavar="T",
        ),
        None,
    ),
    "no_config": (
        CHECKS,
        _flag("--no-config", help="Ignore losscli.toml and [tool.losscli] of pyproject.toml."),
        False,
    ),
    "allow_other_inputs": (
        CHECKS,
        _flag(
            "--allow-other-inputs",
            help="With --baseline: compare even when the baseline was computed on other input files (by sha256).",
        ),
        False,
    ),
    "save_baseline": (
        CHECKS,
        _text("--save-baseline", help="Write this run's JSON result to FILE, for a later --baseline.", metavar="FILE"),
        None,
    ),
    "jobs": (
        ENGINE,
        Annotated[
            Optional[int],
            typer.Option(
                "--jobs",
                "-j",
                min=1,
                help="Threads reading and computing blocks. Default: every core for inputs over 64 MiB, else 1. The "
                "result is the same to the last bit whatever it is.",
                metavar="N",
                show_default=False,
            ),
        ],
        None,
    ),
    "dask": (
        ENGINE,
        _text(
            "--dask",
            help="Run the shards as tasks on a dask.distributed cluster at ADDRESS (tcp://HOST:PORT), or on a local "
            "one of --jobs threads in this process (it listens on no port) when no address is given. Needs "
            "losscli[dask]; the workers read the files themselves.",
            metavar="[ADDRESS]",
        ),
        None,
    ),
    "ci": (
        STATISTICS,
        _text(
            "--ci",
            help="A bootstrap confidence interval of every batch value, at LEVEL (default 0.95): the samples "
            "resampled, each reduction's own n, weights carried.",
            metavar="[LEVEL]",
        ),
        None,
    ),
    "resamples": (
        STATISTICS,
        Annotated[int, typer.Option(min=10, help="Bootstrap resamples and permutations.", metavar="R")],
        2000,
    ),
    "seed": (
        STATISTICS,
        Annotated[int, typer.Option(min=0, help="Seed of the resampling: the same seed, the same interval.")],
        0,
    ),
    "ci_method": (
        STATISTICS,
        Annotated[
            CiMethod,
            typer.Option(
                help="studentized (bootstrap-t: the coverage of small samples of skewed losses), bca (bias-corrected "
                "and accelerated, scipy's default) or percentile."
            ),
        ],
        CiMethod.studentized,
    ),
    "against": (
        STATISTICS,
        Annotated[
            Optional[list[str]],
            typer.Option(
                help="Other models' predictions of the same targets (repeatable): the first is the baseline; "
                "each other model gets the difference, its paired interval, a permutation p-value, a verdict.",
                metavar="FILE",
                show_default=False,
            ),
        ],
        None,
    ),
    "against_col": (
        STATISTICS,
        Annotated[
            Optional[list[str]],
            typer.Option(
                help="One-file form: other models' prediction columns (repeatable), as --against.",
                metavar="COLS",
                show_default=False,
            ),
        ],
        None,
    ),
    "paired": (
        STATISTICS,
        _flag("--paired", help="With --baseline: a paired test against the baseline's per-sample losses."),
        False,
    ),
    "time_series": (
        STATISTICS,
        _text(
            "--time-series",
            help="Samples in time order: the Diebold-Mariano test (HLN-corrected, horizon H, default 1) "
            "replaces the bootstrap; needs scipy: pip install 'losscli[stats]'.",
            metavar="[H]",
        ),
        None,
    ),
    "fail_if_worse": (
        CHECKS,
        _flag(
            "--fail-if-worse",
            help="With --against or --baseline --paired: exit 1 when a model is significantly worse than the "
            "baseline, by more than --tolerance.",
        ),
        False,
    ),
    "save_state": (
        ENGINE,
        _text(
            "--save-state",
            help="Write this run's merged state (its sums, not its samples) to FILE; 'losscli merge' adds states up.",
            metavar="FILE",
        ),
        None,
    ),
}


def common_parameters() -> list[inspect.Parameter]:
    return [_param(name, annotation, default) for name, (_, annotation, default) in COMMON.items()]


def option_help(option: Option, losses: list[tuple[Loss, Option]]) -> str:
    """An option's help, with the losses that take it and their defaults."""
    takes = "; ".join(
        loss.name if opt.default is None else f"{loss.name}: default {opt.default_text}" for loss, opt in losses
    )
    return f"{option.help} [{takes}]"


def loss_parameters(specs: list[Loss]) -> list[inspect.Parameter]:
    """One option per loss option the given losses take."""
    users: dict[str, list[tuple[Loss, Option]]] = {}
    for spec in specs:
        for option in spec.options:
            if not option.hidden and option.name not in COMMON:  # hidden: a framework's constant, --like sets it
                users.setdefault(option.name, []).append((spec, option))
    params = []
    for name, takers in users.items():
        option = takers[0][1]
        help_text = option_help(option, takers)
        if option.kind == "flag":
            flag = option.flag
            annotation = Annotated[
                Optional[bool], typer.Option(f"{flag}/--no-{flag[2:]}", help=help_text, show_default=False)
            ]
        elif option.kind == "array":
            annotation = Annotated[
                Optional[str], typer.Option(option.flag, help=help_text, metavar="FILE|X", show_default=False)
            ]
        elif option.kind in ("label", "choice"):
            metavar = "LABEL" if option.kind == "label" else "|".join(option.choices)
            annotation = Annotated[
                Optional[str], typer.Option(option.flag, help=help_text, metavar=metavar, show_default=False)
            ]
        else:
            kind = int if option.kind == "int" else float
            annotation = Annotated[Optional[kind], typer.Option(option.flag, help=help_text, show_default=False)]
        params.append(_param(name, annotation))
    return params


def section_of(name: str) -> str:
    return COMMON[name][0] if name in COMMON else LOSS
