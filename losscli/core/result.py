"""The result of one loss computation, what was read to get it, and its JSON form."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from .reduce import Reduction

if TYPE_CHECKING:  # for the annotations only: stats and frameworks import this module's neighbours
    from ..stats import Interval
    from .frameworks import Like
    from .groups import Grouped

SCHEMA_VERSION = 2  # 2: a summary by default (arrays with --level sample | element), always a list
LEVEL_ARRAYS = {  # the arrays each --level adds to the JSON summary (gradient: whenever --grad asks for it)
    "batch": (),
    "output": (),
    "position": (),
    "sample": ("per_sample", "ids"),
    "element": ("per_sample", "ids", "per_element"),
}


class ComparisonRow(NamedTuple):
    """One framework's call (--compare): its --reduce, n and value (None where it is not one number)."""

    framework: str
    call: str
    reduce: str | None  # the --reduce that gives this number; None: not one number
    n: float | None
    value: float | None
    note: str = ""
    dtype: str = "float64"  # the precision of the call: Keras's default computes in float32

    def to_dict(self) -> dict:
        return self._asdict()


class GradientChecks(NamedTuple):
    """--explain --grad's checks on the user's data: d value / d p[0, 0] under each reduction the
    loss allows (n only scales it), and each kept sample's own gradient (their mean is the gradient
    of the mean), or None and why that check does not apply."""

    under: dict[str, float]
    per_sample: np.ndarray | None
    why_not: str


def short(x: float) -> str:
    """A number for people: ten significant digits at most."""
    return f"{x:.10g}"


def _plain(value: Any) -> Any:
    return value.tolist() if isinstance(value, np.ndarray) else value


@dataclass
class InputInfo:
    """How one input was read: what ``inputs`` in the JSON and the table's input lines say."""

    path: str
    format: str
    roles: list[str]  # "predictions", "targets", "weights"
    rows: int  # data rows read
    columns: int  # columns in the file
    used: dict[str, list[str]]  # role -> the columns it was read from
    header: dict | None = None  # {"names", "how", "line"}: the header row taken
    labels: dict | None = None  # {"column", "how"}: the column of row labels or ids
    matched: str = "one file"  # how its rows were matched to the others'
    dropped: int = 0  # samples dropped (missing values)
    details: dict = field(default_factory=dict)  # delimiter, compression, shape, ...

    def to_dict(self) -> dict:
        return {
            "path": self.path,
            "format": self.format,
            "roles": self.roles,
            "rows": self.rows,
            "columns": self.columns,
            "used": {role: list(names) for role, names in self.used.items()},
            "header": self.header,
            "labels": self.labels,
            "matched": self.matched,
            "dropped": self.dropped,
            "details": self.details,
        }

    def text(self) -> str:
        """One line: how the file was read and which of its columns are what."""
        kind = self.format.upper()
        if self.details.get("delimiter") not in (None, ","):
            kind += f" ({self.details['delimiter']}-separated)"
        if self.details.get("compression"):
            kind += ", gzip"
        rows = f"{self.rows:,} row{'s' if self.rows != 1 else ''}"
        parts = [f"{self.path}: {kind}, {rows} x {self.columns} column{'s' if self.columns != 1 else ''}"]
        if self.header:
            where = f"line {self.header['line']}" if "line" in self.header else "names"
            parts[0] += f", header on {where} ({self.header['how']})"
        elif self.format in ("csv", "tsv", "txt"):
            parts[0] += ", no header"
        if self.labels:
            parts.append(f"row labels: {self.labels['column']!r} ({self.labels['how']})")
        for role, names in self.used.items():
            parts.append(f"{role}: {_columns_text(names, self.columns)}")
        if "predictions" not in self.roles and self.matched != "one file":
            parts.append(f"rows matched {self.matched}")
        if self.dropped:
            parts.append(f"{self.dropped:,} samples dropped (missing values)")
        return "; ".join(parts)


def _columns_text(names, width: int) -> str:
    if width > 1 and len(names) == width and all(name == str(k) for k, name in enumerate(names)):
        return f"all {width} columns"
    shown = ", ".join(repr(n) for n in names[:6])
    return shown + (f", ... ({len(names)} in all)" if len(names) > 6 else "")


class Alternative(NamedTuple):
    """The same terms under another reduction: what --explain lists."""

    n: float
    n_text: str
    value: float
    summed_text: str


@dataclass(frozen=True)
class Kept:
    """The rows kept for people, by increasing sample index (a dataclass: a NamedTuple's field
    ``index`` would hide ``tuple.index``)."""

    index: np.ndarray  # (K,) sample indices
    per_sample: np.ndarray  # (K,)
    terms: np.ndarray  # (K, C) element terms (or (K, 1) per-sample-only)
    gradient: np.ndarray | None  # (K, C) d value / d p
    ids: list[str] | None
    preds: np.ndarray  # (K, C)
    targets: np.ndarray  # (K, C) as the loss saw them (one-hot for labels)
    labels: np.ndarray | None  # (K,) class labels, when targets are labels


@dataclass(frozen=True, eq=False)
class Result:
    """What ``losscli.compute`` returns and every output format renders.

    ``per_element`` is ``l[i, j]`` (None for losses that exist only per sample, or when the
    rows were not kept); ``per_sample``, ``per_output`` and ``value`` follow the reduction
    (see ``design/reductions.md``); ``n`` divides ``total`` to give ``value`` (before the
    square root, for RMSE). With weights, every term is already multiplied by its weight.
    ``kept`` holds a few rows (the first, the last, those of the largest terms) even when
    the full arrays were not kept.
    """

    loss: str
    title: str
    formula: str
    matches: str
    options: dict[str, Any]
    reduction: Reduction
    shape: tuple[int, int]
    per_element: np.ndarray | None
    per_sample: np.ndarray | None
    per_output: np.ndarray | None
    total: float
    n: float
    value: float
    n_text: str  # the divisor spelled out: "2 samples x 10 outputs = 20"
    summed_text: str  # what is summed rather than averaged
    per_sample_formula: str
    per_output_formula: str
    batch_formula: str  # with the sum and n filled in
    weights: dict[str, Any] | None = None  # {"divisor": "sum" | "count" | "class_weights", "value": ...}
    notes: str = ""  # how this loss's reductions relate to its framework's
    gradient: np.ndarray | None = None  # d value / d predictions, when asked for and kept
    mean_of_terms: bool = True  # value = total / n; False after a root (RMSE) or for a ratio (WMAPE)
    elements: bool = True  # the loss has element terms (not a max or a norm over the outputs)
    kept: Kept | None = None
    histogram: list[tuple[float, float, int]] = field(default_factory=list)
    worst_samples: list[tuple[int, float]] = field(default_factory=list)
    worst_elements: list[tuple[int, int, float]] = field(default_factory=list)
    ids: list[str] | None = None  # every sample's id, when kept
    inputs: list[InputInfo] = field(default_factory=list)
    alternatives: dict[str, Alternative] = field(default_factory=dict)
    non_finite: str | None = None  # why the value is not a finite number
    grad: bool = False  # the gradient was asked for
    like: Like | None = None  # the framework whose call this is (--like)
    comparison: list[ComparisonRow] | None = None  # every framework's number (--compare)
    gradient_checks: GradientChecks | None = None  # --explain --grad
    ci: Interval | None = None  # the bootstrap confidence interval of the value (--ci)
    signature: str = ""  # what reproduces the number: see signature_of
    groups: Grouped | None = None  # each group's n, value and share (--group-by, --group-col, --groups)
    output_names: list[str] | None = None  # the predictions' column names (price, rent; a predict_proba's classes)
    bins: list[dict[str, float | None]] | None = None  # calibration_error's bins: edges, n, mean p and mean t

    def output_name(self, j: int) -> str:
        """Output j as the input names it ("rent"), or its index where the input names none."""
        return self.output_names[j] if self.output_names is not None else str(j)

    @property
    def reduce(self) -> str:
        return self.reduction.name

    @property
    def n_samples(self) -> int:
        return self.shape[0]

    def __repr__(self) -> str:
        return (
            f"Result(loss={self.loss!r}, reduce={self.reduce!r}, value={self.value!r}, n={self.n!r} "
            f"({self.n_text}), shape={self.shape})"
        )

    def ci_text(self) -> str:
        """'0.235 [0.198, 0.271] 95% CI', or the value alone."""
        if self.ci is None:
            return short(self.value)
        level = f"{self.ci.level * 100:g}%"
        return f"{self.value:.6g} [{self.ci.low:.4g}, {self.ci.high:.4g}] {level} CI"

    def to_dict(self, level: str = "element") -> dict[str, Any]:
        """The JSON object of ``--format json`` (schema_version 2); not-finite numbers are null, and
        ``non_finite`` says why. ``level``: "batch" (the summary, whose size does not grow with N),
        "sample" (and every sample's value and id), "element" (and every element's term: the default
        of the Python API, which keeps every row)."""
        data: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "loss": self.loss,
            "formula": self.formula,
            "options": {name: _plain(value) for name, value in self.options.items()},
            "reduce": self.reduce,
            "shape": list(self.shape),
            "n": self.n,
            "total": self.total,
            "value": self.value,
            "weights": self.weights,
            "per_sample": None if self.per_sample is None else self.per_sample,
            "per_output": None if self.per_output is None else self.per_output,
            "output_names": self.output_names,
            "per_element": None if self.per_element is None else self.per_element,
            "gradient": None if self.gradient is None else self.gradient,
            "ids": self.ids,
            "inputs": [info.to_dict() for info in self.inputs],
            "non_finite": self.non_finite,
            "like": None if self.like is None else self.like.to_dict(),
            "ci": None if self.ci is None else self.ci.to_dict(),
            "signature": self.signature,
        }
        for key in ("n", "total", "value"):
            if not math.isfinite(data[key]):
                data[key] = None
        wanted = LEVEL_ARRAYS.get(level, LEVEL_ARRAYS["element"])
        for key in ("per_sample", "ids", "per_element"):
            if key not in wanted:
                del data[key]
        if not self.grad:
            del data["gradient"]
        if self.bins is not None:  # calibration_error's own key, after per_output
            at = list(data).index("per_output") + 1
            items = list(data.items())
            data = dict([*items[:at], ("bins", self.bins), *items[at:]])
        if self.groups is not None:  # additive keys, present only with groups (docs/groups.md)
            data.update(self.groups.to_dict())
        return data


def signature_of(result: Result, digests: dict[str, str] | None = None, version: str = "", columns: str = "") -> str:
    """What makes the number reproducible, as one line (after sacrebleu's signatures):
    ``mse|like:keras|reduce:samples|n:133|w:none|opts:delta=2|in:1a2b3c4d,5e6f7a8b|ci:studentized,2000,0.95,seed:0|losscli:0.3.0``.
    ``digests`` maps each input file to its sha256 (the first 8 hex digits are shown);
    ``columns`` the columns read (``pred>target``), when they were picked by name."""
    parts = [result.loss]
    if result.like is not None:
        parts.append(f"like:{result.like.framework}")
    n = float(result.n)
    parts += [f"reduce:{result.reduce}", f"n:{int(n) if n.is_integer() else repr(n)}"]
    weights = result.weights
    parts.append("w:none" if weights is None else f"w:{weights['divisor']}")
    options = ",".join(f"{k}={_option_text(v)}" for k, v in sorted(result.options.items()) if v is not None)
    if options:
        parts.append(f"opts:{options}")
    if digests:
        parts.append("in:" + ",".join(d[:8] if d else "stdin" for d in digests.values()))
    if columns:
        parts.append(f"cols:{columns}")
    if result.ci is not None:
        ci = result.ci
        parts.append(f"ci:{ci.method},{ci.resamples},{ci.level:g},seed:{ci.seed}")
    if result.groups is not None:
        parts.append(f"groups:{result.groups.by.removeprefix('--').replace(' ', '=')}")
    if version:
        parts.append(f"losscli:{version}")
    return "|".join(parts)


def _option_text(value) -> str:
    if isinstance(value, np.ndarray):
        from ..io.digests import sha256

        data = np.ascontiguousarray(value, dtype=np.float64).tobytes()
        digest = sha256(len(data))
        digest.update(data)
        return "array:" + digest.hexdigest()[:8]
    return repr(value) if isinstance(value, float) else str(value)
