"""One run, as asked for: the frozen request the command line parses into and the Python API
builds, in the sections the help shows (``cli/flags.py``). Nothing here reads a file or
checks a value against the data: the planner (``engine/plan.py``) does that.

Every field of a section is one shared option of the command line, under the same name
(``tests/test_request.py`` holds the two to each other); the values are plain Python (text,
numbers, tuples), never the command line's choice types.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, NamedTuple


class InputSection(NamedTuple):
    """Where the predictions, targets and weights are, and how to read them. ``preds``,
    ``targets`` and ``weights`` are what the user named (paths, FILE:KEY, '-'); for the Python
    API they are the arrays themselves."""

    preds: Any = None
    targets: Any = None
    weights: Any = None
    pred_col: str | None = None
    target_col: str | None = None
    id_col: str | None = None
    weight_col: str | None = None
    classes: tuple[str, ...] | None = None  # the prediction columns' class names, in order
    input_format: str | None = None
    header: bool | None = None
    drop_missing: bool = False
    by_position: bool = False
    max_inflate: str | None = None


class ReductionSection(NamedTuple):
    reduce: str | None = None  # None: each loss's own
    like: str | None = None  # a framework whose default call this is
    weight_divisor: str | None = None  # None: "sum", or the --like framework's own


class AxesSection(NamedTuple):
    """Inputs of any rank (docs/axes.md): the class or ratio axes, what removes positions from n, and the
    groups the batch is cut into (docs/groups.md).
    ``axis`` as typed ("1", "-1", "1,2", "none"); ``mask`` and ``lengths`` as the inputs are named;
    ``empty`` what a mean over nothing gives (None: an error, or the --like framework's own)."""

    axis: str | None = None
    mask: Any = None
    lengths: Any = None
    empty: str | None = None
    group_by: str | None = None  # shard, sample, class (docs/groups.md)
    group_col: str | None = None  # a column of the one data file
    groups: Any = None  # a file of one label per sample (the API: the labels)

    @property
    def grouping(self) -> str | None:
        """What the groups are: shard, sample, class, column or file; None: no groups."""
        if self.group_col is not None:
            return "column"
        if self.groups is not None:
            return "file"
        return self.group_by


class OutputSection(NamedTuple):
    """What is printed and where. ``format`` None: the Python API, which keeps every row in memory."""

    output_format: str | None = "table"
    level: str = "sample"  # the rows of a CSV
    output: str | None = None  # a file written atomically; None: stdout
    quiet: bool = False
    max_rows: int = 20
    top: int = 0
    plot: str | None = None

    @property
    def shown(self) -> bool:
        """Whether anything is printed or written."""
        return bool(self.output) or not self.quiet


class AnalysisSection(NamedTuple):
    explain: bool = False
    compare: bool = False
    grad: bool = False


class StatisticsSection(NamedTuple):
    """Intervals and the models compared. ``ci``: the confidence level (0.95), None for none;
    ``time_series``: the Diebold-Mariano horizon, None for the bootstrap."""

    ci: float | None = None
    resamples: int = 2000
    seed: int = 0
    ci_method: str = "studentized"
    against: tuple[str, ...] = ()
    against_col: tuple[str, ...] = ()
    paired: bool = False
    time_series: int | None = None

    @property
    def comparing(self) -> bool:
        """Whether models are compared (--against, --against-col, --baseline --paired)."""
        return bool(self.against or self.against_col or self.paired)


class CheckSection(NamedTuple):
    """The CI gates, after the settings files are combined with the command line."""

    fail_above: float | dict[str, float] | None = None  # one threshold, or each loss's own
    fail_below: float | dict[str, float] | None = None
    baseline: str | None = None
    tolerance: str | None = None
    save_baseline: str | None = None
    fail_if_worse: bool = False
    allow_other_inputs: bool = False
    no_config: bool = False
    sources: tuple[tuple[str, str], ...] = ()  # (setting, the settings file that gave it): named in messages
    DERIVED = ("sources",)  # fields the request derives, not options (a class attribute, not a field)

    @property
    def checking(self) -> bool:
        return any(value is not None for value in (self.fail_above, self.fail_below, self.baseline))


class EngineSection(NamedTuple):
    jobs: int | None = None  # None: every core for large text inputs, else 1
    dask: str | None = None  # a scheduler's address; "" for a local cluster; None: no Dask
    save_state: str | None = None


class RunRequest(NamedTuple):
    """One run: the losses, each loss's options, and the shared sections."""

    losses: tuple[str, ...]
    options: dict[str, dict[str, Any]] = MappingProxyType({})  # type: ignore[assignment]  # loss -> its given options
    inputs: InputSection = InputSection()
    reduction: ReductionSection = ReductionSection()
    axes: AxesSection = AxesSection()
    output: OutputSection = OutputSection()
    analysis: AnalysisSection = AnalysisSection()
    statistics: StatisticsSection = StatisticsSection()
    checks: CheckSection = CheckSection()
    engine: EngineSection = EngineSection()


SECTIONS = {  # each section of the help (cli/flags.py names them): the request's attribute, its type
    "Inputs": ("inputs", InputSection),
    "Reduction and weights": ("reduction", ReductionSection),
    "Axes, masks and groups": ("axes", AxesSection),
    "Output": ("output", OutputSection),
    "Analysis": ("analysis", AnalysisSection),
    "Intervals and paired tests": ("statistics", StatisticsSection),
    "CI checks": ("checks", CheckSection),
    "Engine": ("engine", EngineSection),
}
