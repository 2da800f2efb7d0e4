"""Every option of a loss command as plain data, and the parser of a plain run.

The table is the one declaration of the shared options: ``options.py`` turns it into Typer's
parameters (help, usage errors, completion), and :func:`parse` reads a plain command line
with it without importing Typer. A plain run (``losscli mse preds.csv targets.csv -f value``)
then starts in the time NumPy takes to load: Typer and its vendored click are a quarter of
``import numpy, typer`` here. :func:`parse` answers only what it is sure of: anything else
(``--help``, an unknown or clustered option, a value Typer would refuse) returns None, and
Typer parses that command line with its own messages. tests/test_flags.py holds the two to
the same arguments.
"""

from __future__ import annotations

import enum
from typing import NamedTuple

from ..core.constants import EMPTY_POLICIES
from ..core.registry import Loss, Option
from ..core.terms import WEIGHT_DIVISORS
from ..io.source import FORMATS


def _choices(name: str, values) -> type[enum.StrEnum]:
    """A choice type over values named once, where they are defined."""
    return enum.StrEnum(name, {value: value for value in values})


OUTPUT_FORMATS = ("table", "json", "csv", "jsonl", "markdown", "value")
OutputFormat = _choices("OutputFormat", OUTPUT_FORMATS)
Level = _choices("Level", ("element", "sample", "output", "position", "batch"))
WeightDivisor = _choices("WeightDivisor", WEIGHT_DIVISORS)
InputFormat = _choices("InputFormat", FORMATS)
Empty = _choices("Empty", EMPTY_POLICIES)
GroupBy = _choices("GroupBy", ("shard", "sample", "class"))  # core.groups.GROUP_BY (numpy-free here: start-up)
Like = _choices("Like", ("torch", "keras", "sklearn", "optax", "torchmetrics", "numpy"))
CiMethod = _choices("CiMethod", ("studentized", "bca", "percentile"))

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

KINDS = ("argument", "text", "texts", "flag", "switch", "choice", "int", "float")


class Flag(NamedTuple):
    """One parameter of a loss command. ``kind``: an ``argument`` (a positional text), ``text``
    (an option's text), ``texts`` (repeatable), ``flag`` (on when given), ``switch`` (``--x`` /
    ``--no-x``, None when neither), ``choice`` (one of ``choices``), ``int`` (at least ``min``)
    or ``float``. A default of None means "not given"."""

    name: str
    section: str
    kind: str
    help: str
    choices: type[enum.StrEnum] | None = None
    long: str | None = None  # the long name when it is not --name-with-dashes
    short: tuple[str, ...] = ()
    metavar: str | None = None
    min: int | None = None
    default: object = None

    @property
    def flag(self) -> str:
        return self.long or "--" + self.name.replace("_", "-")

    @property
    def value_unset(self) -> object:
        """The value when the command line does not give it: a flag is off."""
        return False if self.kind == "flag" else self.default

    def names(self) -> dict[str, object]:
        """Each spelling on the command line -> what it sets (a switch's --no-x sets False)."""
        if self.kind == "argument":
            return {}
        spellings: dict[str, object] = {name: True for name in (self.flag, *self.short)}
        if self.kind == "switch":
            spellings["--no-" + self.flag[2:]] = False
        return spellings


# Declared once; every loss command takes them all, in this order.
COMMON: tuple[Flag, ...] = (
    Flag(
        "preds",
        INPUTS,
        "argument",
        "Predictions: a file (.csv .tsv .txt .npy .npz .json .jsonl .parquet, any text or .npy also .gz), "
        "FILE:KEY, or - for stdin. With --pred-col and --target-col, the one file holding both.",
    ),
    Flag(
        "targets",
        INPUTS,
        "argument",
        "Targets, as PREDS.",
    ),
    Flag(
        "pred_col",
        INPUTS,
        "text",
        "Prediction columns: names, 0-based positions, globs ('proba_*') or ranges (p0:p9), comma-separated.",
        metavar="COLS",
    ),
    Flag(
        "target_col",
        INPUTS,
        "text",
        "Target columns, as --pred-col.",
        metavar="COLS",
    ),
    Flag(
        "id_col",
        INPUTS,
        "text",
        "Column of sample ids: carried into every per-sample output; with two files, their rows are matched "
        "by it (a Kaggle row_id).",
        metavar="COL",
    ),
    Flag(
        "weights",
        INPUTS,
        "text",
        "Sample weights: a file of N numbers, or FILE:KEY (a column).",
        metavar="FILE",
    ),
    Flag(
        "weight_col",
        INPUTS,
        "text",
        "Column of sample weights in the one data file.",
        metavar="COL",
    ),
    Flag(
        "classes",
        INPUTS,
        "text",
        "Class names of the prediction columns, in order (clf.classes_): class labels are matched to them. "
        "Default: the predictions' header names.",
        metavar="A,B,...",
    ),
    Flag(
        "input_format",
        INPUTS,
        "choice",
        "Format of stdin and of files with no known extension. Default: sniffed for stdin.",
        choices=InputFormat,
    ),
    Flag(
        "header",
        INPUTS,
        "switch",
        "The first row of text files is a header. Default: detected, and said when unsure.",
    ),
    Flag(
        "drop_missing",
        INPUTS,
        "flag",
        "Drop the samples with a missing value (NA, NaN, null, an empty cell) in predictions, targets or "
        "weights; n counts the rest. Default: a missing value is an error.",
    ),
    Flag(
        "by_position",
        INPUTS,
        "flag",
        "Match the rows of two files by position even when both have row labels.",
    ),
    Flag(
        "max_inflate",
        INPUTS,
        "text",
        "Largest size a .gz or .npz input may inflate to (8G, 500M; 0 for no limit). Default: 2 GiB or 200 "
        "times its compressed size.",
        metavar="SIZE",
    ),
    Flag(
        "reduce",
        REDUCTION,
        "text",
        "Axes averaged; the others are summed: all, none, samples, outputs, or a comma list of samples, "
        "positions, outputs (N-D inputs: samples,positions is the token mean). Default: the loss's own.",
        short=("-r",),
        metavar="AXES",
    ),
    Flag(
        "like",
        REDUCTION,
        "choice",
        "Compute it exactly as this framework's own call does, with its defaults: its reduction, its clips "
        "and epsilons, its weight divisor.",
        choices=Like,
    ),
    Flag(
        "weight_divisor",
        REDUCTION,
        "choice",
        "With weights, a mean over samples divides by their sum (scikit-learn, Keras "
        "mean_with_sample_weight) or by N (Keras sum_over_batch_size). Default: sum; with --like, the "
        "framework's own.",
        choices=WeightDivisor,
    ),
    Flag(
        "axis",
        AXES,
        "text",
        "The frameworks' axis: of a class loss, the class axis (1: PyTorch's channels-first; a comma list "
        "is one flattened class axis, as optax); of dice and tversky, the axes summed in each ratio (none: "
        "every axis, Keras's default). Default: the last, or the one the labels' shape leaves; said.",
        metavar="AXES",
    ),
    Flag(
        "mask",
        AXES,
        "text",
        "0/1 or true/false of the predictions' shape without the outputs axis: 0 removes a position from "
        "the sums and from n (Keras masking).",
        metavar="FILE",
    ),
    Flag(
        "lengths",
        AXES,
        "text",
        "One length per sample: positions of the first position axis at or past it are padding, removed "
        "from the sums and from n.",
        metavar="FILE",
    ),
    Flag(
        "empty",
        AXES,
        "choice",
        "A mean with nothing valid to average: error (the default, with the reason), nan (PyTorch) or zero "
        "(Keras); --like gives the framework's own.",
        choices=Empty,
    ),
    Flag(
        "group_by",
        AXES,
        "choice",
        "Groups, each with its n, value and share, then the pooled value and the mean of the groups' "
        "values: shard (each file of a glob or folder), sample (each row, sequence or image), class (each "
        "true class).",
        choices=GroupBy,
    ),
    Flag(
        "group_col",
        AXES,
        "text",
        "Groups by a column of the one data file (a slice, a dataset).",
        metavar="COL",
    ),
    Flag(
        "groups",
        AXES,
        "text",
        "Groups by a file of one label per sample (numbers or text).",
        metavar="FILE",
    ),
    Flag(
        "output_format",
        OUTPUT,
        "choice",
        "table or markdown for people; json, jsonl, csv or value for pipes.",
        choices=OutputFormat,
        long="--format",
        short=("-f",),
        default=OutputFormat.table,
    ),
    Flag(
        "level",
        OUTPUT,
        "choice",
        "With --format csv: a row per element, sample (the default), output or loss (batch). With --format "
        "json: the summary (batch, the default), and every sample's value (sample) or term too (element).",
        choices=Level,
    ),
    Flag(
        "output",
        OUTPUT,
        "text",
        "Write the output to FILE (atomically), not stdout.",
        short=("-o",),
        metavar="FILE",
    ),
    Flag(
        "quiet",
        OUTPUT,
        "flag",
        "No output: only the exit status and errors.",
        short=("-q",),
    ),
    Flag(
        "max_rows",
        OUTPUT,
        "int",
        "Rows shown per table before eliding the middle.",
        min=2,
        default=20,
    ),
    Flag(
        "top",
        OUTPUT,
        "int",
        "List the K worst samples, outputs and elements.",
        metavar="K",
        min=0,
        default=0,
    ),
    Flag(
        "plot",
        OUTPUT,
        "text",
        "Write a figure (.png or .svg) of the per-sample losses and the per-element heatmap; needs "
        "matplotlib: pip install 'losscli[plot]'.",
        metavar="FILE",
    ),
    Flag(
        "explain",
        ANALYSIS,
        "flag",
        "Each formula with your numbers, and n and the value under every --reduce.",
    ),
    Flag(
        "compare",
        ANALYSIS,
        "flag",
        "One row per framework's call: its n and its value on your data.",
    ),
    Flag(
        "grad",
        ANALYSIS,
        "flag",
        "The gradient of the batch value w.r.t. every prediction (PyTorch's subgradients at kinks).",
    ),
    Flag(
        "fail_above",
        CHECKS,
        "text",
        "Exit 1 if a batch value is above X, or each loss's own: mse=5000,mae=60 (with --against: PREDS' "
        "value). [config: fail-above]",
        metavar="X",
    ),
    Flag(
        "fail_below",
        CHECKS,
        "text",
        "Exit 1 if a batch value is below X, or each loss's own: mse=5000,mae=60 (with --against: PREDS' "
        "value). [config: fail-below]",
        metavar="X",
    ),
    Flag(
        "baseline",
        CHECKS,
        "text",
        "An earlier --format json result: exit 1 if a loss got worse by more than --tolerance. [config: baseline]",
        metavar="FILE",
    ),
    Flag(
        "tolerance",
        CHECKS,
        "text",
        "With --baseline: an amount (0.01) or a percentage (5%). Default 0. [config: tolerance]",
        metavar="T",
    ),
    Flag(
        "no_config",
        CHECKS,
        "flag",
        "Ignore losscli.toml and [tool.losscli] of pyproject.toml.",
    ),
    Flag(
        "allow_other_inputs",
        CHECKS,
        "flag",
        "With --baseline: compare even when the baseline was computed on other input files (by sha256).",
    ),
    Flag(
        "save_baseline",
        CHECKS,
        "text",
        "Write this run's JSON result to FILE, for a later --baseline.",
        metavar="FILE",
    ),
    Flag(
        "jobs",
        ENGINE,
        "int",
        "Threads reading and computing blocks. Default: every core for inputs over 64 MiB, else 1. The "
        "result is the same to the last bit whatever it is.",
        short=("-j",),
        metavar="N",
        min=1,
    ),
    Flag(
        "dask",
        ENGINE,
        "text",
        "Run the shards as tasks on a dask.distributed cluster at ADDRESS (tcp://HOST:PORT), or on a local "
        "one of --jobs threads in this process (it listens on no port) when no address is given. Needs "
        "losscli[dask]; the workers read the files themselves.",
        metavar="[ADDRESS]",
    ),
    Flag(
        "ci",
        STATISTICS,
        "text",
        "A bootstrap confidence interval of every batch value, at LEVEL (default 0.95): the samples "
        "resampled, each reduction's own n, weights carried.",
        metavar="[LEVEL]",
    ),
    Flag(
        "resamples",
        STATISTICS,
        "int",
        "Bootstrap resamples and permutations.",
        metavar="R",
        min=10,
        default=2000,
    ),
    Flag(
        "seed",
        STATISTICS,
        "int",
        "Seed of the resampling: the same seed, the same interval.",
        min=0,
        default=0,
    ),
    Flag(
        "ci_method",
        STATISTICS,
        "choice",
        "studentized (bootstrap-t: the coverage of small samples of skewed losses), bca (bias-corrected and "
        "accelerated, scipy's default) or percentile.",
        choices=CiMethod,
        default=CiMethod.studentized,
    ),
    Flag(
        "against",
        STATISTICS,
        "texts",
        "Other models' predictions of the same targets (repeatable): the first is the baseline; each other "
        "model gets the difference, its paired interval, a permutation p-value, a verdict.",
        metavar="FILE",
    ),
    Flag(
        "against_col",
        STATISTICS,
        "texts",
        "One-file form: other models' prediction columns (repeatable), as --against.",
        metavar="COLS",
    ),
    Flag(
        "paired",
        STATISTICS,
        "flag",
        "With --baseline: a paired test against the baseline's per-sample losses.",
    ),
    Flag(
        "time_series",
        STATISTICS,
        "text",
        "Samples in time order: the Diebold-Mariano test (HLN-corrected, horizon H, default 1) replaces the "
        "bootstrap; needs scipy: pip install 'losscli[stats]'.",
        metavar="[H]",
    ),
    Flag(
        "fail_if_worse",
        CHECKS,
        "flag",
        "With --against or --baseline --paired: exit 1 when a model is significantly worse than the "
        "baseline, by more than --tolerance.",
    ),
    Flag(
        "save_state",
        ENGINE,
        "text",
        "Write this run's merged state (its sums, not its samples) to FILE; 'losscli merge' adds states up.",
        metavar="FILE",
    ),
)
COMMON_BY_NAME = {flag.name: flag for flag in COMMON}


def option_help(option: Option, losses: list[tuple[Loss, Option]]) -> str:
    """An option's help, with the losses that take it and their defaults."""
    takes = "; ".join(
        loss.name if opt.default is None else f"{loss.name}: default {opt.default_text}" for loss, opt in losses
    )
    return f"{option.help} [{takes}]"


_LOSS_KINDS = {"flag": "switch", "int": "int", "float": "float"}  # the rest are texts: a file, a label, a choice
_LOSS_METAVARS = {"array": "FILE|X", "label": "LABEL"}


def loss_flags(specs: list[Loss]) -> list[Flag]:
    """One flag per option the given losses take (hidden ones are a framework's constants: --like
    sets them)."""
    users: dict[str, list[tuple[Loss, Option]]] = {}
    for spec in specs:
        for option in spec.options:
            if not option.hidden and option.name not in COMMON_BY_NAME:
                users.setdefault(option.name, []).append((spec, option))
    flags = []
    for name, takers in users.items():
        option = takers[0][1]
        metavar = _LOSS_METAVARS.get(option.kind, "|".join(option.choices) if option.kind == "choice" else None)
        flags.append(
            Flag(name, LOSS, _LOSS_KINDS.get(option.kind, "text"), option_help(option, takers), metavar=metavar)
        )
    return flags


def section_of(name: str) -> str:
    return COMMON_BY_NAME[name].section if name in COMMON_BY_NAME else LOSS


def _looks_like_address(text: str) -> bool:
    """tcp://host:8786, host:8786: a scheduler's address. Decided by its syntax alone, never by
    what the folder holds: a HOST:PORT whose host names an input (data.npz:0, a column of a file)
    is an input."""
    import re

    from ..io.source import EXTENSIONS

    if "://" in text:
        return True
    match = re.fullmatch(r"([\w.\-]+):\d{1,5}", text)
    if match is None:
        return False
    host = match.group(1).lower()
    return not any(host.endswith(extension) for extension in (*EXTENSIONS, ".gz"))


def _looks_like_number(text: str) -> bool:
    """0.9, 95%, 2: a value of --ci or --time-series, by its syntax (a file named like a number
    follows them as --ci=0.95 FILE, or after --)."""
    try:
        float(text.removesuffix("%"))
    except ValueError:
        return False
    return True


def _optional_value(args: list[str], flag: str, default: str, looks_like) -> list[str]:
    """``--dask`` alone means ``--dask local`` (``--ci`` alone ``--ci 0.95``): click options cannot
    take an optional value, so the default is put in when no value follows the flag."""
    out = []
    for k, arg in enumerate(args):
        if arg == "--":
            return out + args[k:]
        out.append(arg)
        if arg == flag and (k + 1 == len(args) or not looks_like(args[k + 1])):
            out.append(default)
    return out


def with_optional_values(args: list[str]) -> list[str]:
    """The command line with the default value of each option whose value may be left out."""
    for flag, default, looks_like in (
        ("--dask", "local", _looks_like_address),
        ("--ci", "0.95", _looks_like_number),
        ("--time-series", "1", _looks_like_number),
    ):
        args = _optional_value(args, flag, default, looks_like)
    return args


# --- the parser of a plain run ----------------------------------------------------------------

_UNSURE = None  # what parse returns when Typer should parse the command line


def parse(args: list[str], flags: list[Flag]) -> dict | None:
    """The arguments Typer would give the loss command for ``args`` (after the loss's name), or
    None where this parser is not sure: Typer then parses them, errors and help included."""
    spellings = {name: (flag, value) for flag in flags for name, value in flag.names().items()}
    values: dict[str, object] = {flag.name: flag.value_unset for flag in flags}
    positional: list[str] = []
    k = 0
    while k < len(args):
        arg = args[k]
        k += 1
        if arg == "--":
            positional.extend(args[k:])
            break
        if not arg.startswith("-") or arg == "-":
            positional.append(arg)
            continue
        name, equals, attached = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        if name not in spellings:
            return _UNSURE  # help, an unknown or clustered option: Typer says what it is
        flag, switched = spellings[name]
        if flag.kind in ("flag", "switch"):
            if equals:
                return _UNSURE
            values[flag.name] = switched
            continue
        if not equals:
            if k == len(args):
                return _UNSURE
            attached, k = args[k], k + 1
        value = _converted(flag, attached)
        if value is _UNSURE:
            return _UNSURE
        if flag.kind == "texts":
            values[flag.name] = [*(values[flag.name] or []), value]
        else:
            values[flag.name] = value
    arguments = [flag for flag in flags if flag.kind == "argument"]
    if len(positional) > len(arguments):
        return _UNSURE
    values.update({flag.name: text for flag, text in zip(arguments, positional, strict=False)})
    return values


def _converted(flag: Flag, text: str):
    """The value of an option's text as Typer converts it; None where Typer would refuse it."""
    try:
        if flag.kind == "choice":
            assert flag.choices is not None
            return flag.choices(text)
        if flag.kind == "int":
            number = int(text)
            return None if flag.min is not None and number < flag.min else number
        if flag.kind == "float":
            return float(text)
    except ValueError:
        return None
    return text
