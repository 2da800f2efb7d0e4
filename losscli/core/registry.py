"""The loss registry: every loss losscli knows, in one place.

Each :class:`Loss` entry names a function of ``losses.py`` and adds the name, aliases,
formula, the framework it matches, its default reduction, its options, the kind of
targets it takes and the domain of its inputs. The command line, ``losscli list``,
the help text and the README table are all generated from :data:`LOSSES`. Adding a
loss is its function, its gradient, one entry here, its conventions and its reference
values: CONTRIBUTING.md lists the places.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import numpy as np

from ..errors import UsageError
from . import constants as C
from . import losses as L

REDUCES = ("all", "samples", "outputs", "none")


# --- domains ----------------------------------------------------------------------------


class Domain(NamedTuple):
    """What values an input may take: ``allowed`` gives a mask of the good ones."""

    allowed: Callable[[np.ndarray], np.ndarray]
    problem: str | Callable[[float], str]  # completes "<value> ...", e.g. "is negative"
    need: str  # completes "<loss> needs ...", with {role} for "predictions" or "targets"
    minus_inf: bool = False  # -inf is a value of the domain (a masked logit), not a missing number


PROBABILITY = Domain(lambda a: (a >= 0) & (a <= 1), "is not in [0, 1]", "{role} in [0, 1]")
NON_NEGATIVE = Domain(lambda a: a >= 0, "is negative", "{role} >= 0")
POSITIVE = Domain(lambda a: a > 0, "is not positive", "{role} > 0")
LOG_PROBABILITY = Domain(lambda a: a <= 0, "is positive", "{role} that are log-probabilities (<= 0)")
SIGNS = Domain(lambda a: (a == -1) | (a == 1), "is not -1 or 1", "{role} that are -1 or 1")
BINARY = Domain(lambda a: (a == 0) | (a == 1), "is not 0 or 1", "{role} that are 0 or 1")


def _distribution_rows(a: np.ndarray) -> np.ndarray:
    return (a >= 0) & (a.sum(axis=1, keepdims=True) > 0)


DISTRIBUTION = Domain(
    _distribution_rows,
    lambda value: "is negative" if value < 0 else "is in a row that sums to 0",
    "{role} >= 0 in rows with a positive sum",
)


def _hinge_labels(a: np.ndarray) -> np.ndarray:
    zero_one = (a == 0) | (a == 1)
    return zero_one if zero_one.all() else (a == -1) | (a == 1)


def _some_logit_finite(a: np.ndarray) -> np.ndarray:
    return np.broadcast_to(~np.isneginf(a).all(axis=1, keepdims=True), a.shape)


MASKED_LOGITS = Domain(
    _some_logit_finite,
    "is in a row whose every logit is -inf",
    "logits with a finite one in every row (-inf masks a class)",
    minus_inf=True,
)

HINGE_LABELS = Domain(_hinge_labels, "is not a label in {-1, 1}", "{role} all in {-1, 1} or all in {0, 1}")
LABEL_VALUES = Domain(
    lambda a: a == np.round(a),
    "is not a label (a whole number)",
    "predicted labels, not probabilities or scores (threshold them, or take each row's argmax, first)",
)


def _label_lists(a: np.ndarray) -> np.ndarray:
    """Each row a list of class indices in [0, C), each at most once, then -1 to its end (PyTorch's
    MultiLabelMarginLoss stops at the first -1; what follows is not read)."""
    c = a.shape[1]
    listed = np.cumprod(a >= 0, axis=1).astype(bool)
    whole = (a == np.round(a)) & (a >= -1) & (a < c)
    ok = ~listed | whole
    index = np.where(listed & whole, a, -1).astype(np.int64)
    for k in range(1, c):  # a class listed twice would count twice in PyTorch's sum: refused
        ok[:, k] &= ~(listed[:, k] & (index[:, :k] == index[:, k : k + 1]).any(axis=1))
    return ok


LABEL_LISTS = Domain(
    _label_lists,
    "is not a class index of a label list (each class once, in [0, C), the rest -1)",
    "{role} that are label lists: the true classes' indices, then -1 to the end of the row (PyTorch's "
    "MultiLabelMarginLoss)",
)


def with_hint(domain: Domain, hint: str) -> Domain:
    return domain._replace(need=f"{domain.need} ({hint})")


# --- options ------------------------------------------------------------------------------


def _finite(value: float) -> bool:
    return math.isfinite(value)


def _positive(value: float) -> bool:
    return math.isfinite(value) and value > 0


def _non_negative(value: float) -> bool:
    return math.isfinite(value) and value >= 0


def _unit_interval(value: float) -> bool:
    return 0 <= value <= 1


def _smoothing(value: float) -> bool:
    return 0 <= value < 1


class Option(NamedTuple):
    """A loss option: one ``--flag`` on the command line, one keyword in ``compute``.

    ``kind`` is ``float``, ``int``, ``flag`` (a bool), ``array`` (a file of numbers,
    or one number, on the command line; an array-like in ``compute``), ``choice`` (one of
    ``choices``) or ``pair`` (two numbers). A ``hidden`` option is a framework's constant:
    ``--like`` sets it, the API takes it, the command line shows it in results only.
    """

    name: str
    default: object  # a number, a flag, a choice's name, a pair of bounds; None: not set
    help: str
    kind: str = "float"
    valid: Callable[[float], bool] = _finite
    need: str = "must be a finite number"
    requires: str | None = None  # a flag option that must be on for this one to apply
    to_elements: bool = True  # passed to the loss function (else used by compute)
    required: bool = False
    hidden: bool = False  # a framework's constant, set by --like; no command-line flag
    choices: tuple[str, ...] = ()
    nullable: bool = False  # None is a value of its own (no floor, no clip), not "unset"

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def default_text(self) -> str:
        if self.kind == "flag":
            return "on" if self.default else "off"
        if self.kind in ("choice", "pair") or self.default is None:
            return "none" if self.default is None else str(self.default)
        return f"{self.default:g}"


DELTA = Option(
    "delta", 1.0, "Huber threshold between the squared and the linear part.", valid=_positive, need="must be > 0"
)
BETA = Option("beta", 1.0, "Smooth-L1 threshold; 0 gives plain L1.", valid=_non_negative, need="must be >= 0")
FROM_LOGITS = Option("from_logits", False, "Predictions are logits (raw scores), not probabilities.", kind="flag")
FROM_LOGITS_ON = FROM_LOGITS._replace(default=True)  # torchmetrics' Perplexity takes logits


def _clip_eps(help_text: str, default=C.KERAS_EPSILON) -> Option:
    return Option("eps", default, help_text, valid=lambda v: 0 <= v < 0.5, need="must be in [0, 0.5)")


EPS_KERAS = _clip_eps(
    "q = p / sum(p) per row is clipped into [eps, 1 - eps] before its log (Keras's epsilon; scikit-learn's "
    "log_loss: 2.2e-16; 0: no clip). Not used with --from-logits."
)
EPS_BCE = _clip_eps(
    "p is clipped into [eps, 1 - eps] before the logs (Keras 1e-7, scikit-learn 2.2e-16). Default: 0, as "
    "PyTorch's BCELoss; Keras's 1e-7 with --label-smoothing, as Keras. Not used with --from-logits.",
    default=None,
)
LOG_FLOOR = Option(
    "log_floor",
    C.TORCH_LOG_FLOOR,
    "Each log is floored at this value (PyTorch BCELoss: -100); none: no floor.",
    hidden=True,
    nullable=True,
)
LOG1P = Option(
    "log1p",
    True,
    "log(1 - p) as log1p(-p) (PyTorch, Keras); off: log(1 - p), 1 - p rounded first (scikit-learn).",
    kind="flag",
    hidden=True,
)
NORMALIZE_CCE = Option(
    "normalize", True, "Rows of p divided by their sums before the clip (Keras).", kind="flag", hidden=True
)
NORMALIZE_KLD = Option(
    "normalize", False, "Rows of p and t divided by their sums first (torchmetrics).", kind="flag", hidden=True
)
EPS_KLD = _clip_eps("t and p are clipped into [eps, 1] before t log(t / p) (Keras); 0: no clip. Not with --log-input.")
EPS_MAPE = Option(
    "eps",
    None,
    "|t| is floored at eps in the denominator (Keras 1e-7, scikit-learn 2.2e-16, torchmetrics 1.17e-6). Default: "
    "1e-7, or 2.2e-16 with --fraction.",
    valid=lambda v: math.isfinite(v) and v >= 0,
    need="must be >= 0",
)


def _floor_eps(default: float, help_text: str) -> Option:
    return Option("eps", default, help_text, valid=lambda v: math.isfinite(v) and v >= 0, need="must be >= 0")


EPS_SMAPE = _floor_eps(C.TORCHMETRICS_EPS, "|t| + |p| is floored at eps in the denominator (torchmetrics).")
EPS_WMAPE = _floor_eps(C.TORCHMETRICS_EPS, "sum |t| is floored at eps (torchmetrics).")._replace(to_elements=False)
EPS_MSLE = _floor_eps(0.0, "p and t are floored at eps before log1p (Keras: float32 1e-7).")
EPS_POISSON_RATE = _floor_eps(C.KERAS_EPSILON, "Added to p inside the log (Keras 1e-7; PyTorch 1e-8).")
FORM_LOG_COSH = Option(
    "form",
    "stable",
    "How log(cosh(d)) is computed: stable, or as keras, optax, torchmetrics or numpy compute it.",
    kind="choice",
    hidden=True,
    choices=("stable", "keras", "optax", "torchmetrics", "numpy"),
)
LABEL_MAP = Option(
    "label_map",
    "keras",
    "How targets become -1/1: keras ({0, 1} -> {-1, 1}), sklearn (greater +1, the rest -1), as_given.",
    kind="choice",
    hidden=True,
    choices=("keras", "sklearn", "as_given"),
)
EXCLUDE_TRUE = Option(
    "exclude_true",
    False,
    "The max over wrong classes leaves out the true class (Crammer-Singer: scikit-learn, optax).",
    kind="flag",
    hidden=True,
)
EPS_COSINE = _floor_eps(C.KERAS_EPSILON, "Each norm is floored at eps (Keras); 0: none (a zero vector gives nan).")
EPS_SQUARED = Option(
    "eps_squared", 0.0, "Added to each squared norm (PyTorch CosineEmbeddingLoss: 1e-12).", hidden=True
)
EPS_FOCAL = _clip_eps(
    "The probability is clipped into [eps, 1 - eps] inside the cross-entropy (Keras); 0 with --from-logits: "
    "computed in log space (optax)."
)
CLIP_FOCAL = Option(
    "clip",
    (C.KERAS_EPSILON, 1.0 - C.KERAS_EPSILON),
    "Bounds of the clip of q = p / sum(p) (Keras: float32 1e-7 and 1 - 1e-7).",
    kind="pair",
    hidden=True,
)
SMOOTHING_CATEGORICAL = Option(
    "label_smoothing",
    0.0,
    "Targets become t (1 - a) + a / C (PyTorch's and Keras's definition).",
    valid=_smoothing,
    need="must be in [0, 1)",
)
SMOOTHING_BINARY = Option(
    "label_smoothing",
    0.0,
    "Targets become t (1 - a) + a / 2 (Keras's definition).",
    valid=_smoothing,
    need="must be in [0, 1)",
)
POS_WEIGHT = Option(
    "pos_weight",
    None,
    "Weight of positive targets, one number or a file of C (PyTorch).",
    kind="array",
    requires="from_logits",
)
IGNORE_INDEX = Option(
    "ignore_index",
    None,
    "Samples with this label are left out, and n shrinks (PyTorch).",
    kind="int",
    to_elements=False,
)
CLASS_WEIGHTS = Option(
    "class_weights",
    None,
    "File of C class weights; the mean divides by the sum of the targets' weights (PyTorch).",
    kind="array",
    to_elements=False,
)
LOG_INPUT_KL = Option("log_input", False, "Predictions are log-probabilities (PyTorch KLDivLoss).", kind="flag")
LOG_TARGET = Option(
    "log_target", False, "Targets are log-probabilities too (PyTorch KLDivLoss).", kind="flag", requires="log_input"
)
GAMMA = Option("gamma", 2.0, "Focusing exponent of (1 - p_t).", valid=_non_negative, need="must be >= 0")
ALPHA_BALANCE = Option(
    "alpha",
    None,
    "Class-balancing weight of positives; off unless given (Keras).",
    valid=_unit_interval,
    need="must be in [0, 1]",
)
ALPHA_FOCAL = Option("alpha", 0.25, "Weighting factor alpha (Keras).", valid=_non_negative, need="must be >= 0")
MARGIN = Option("margin", 1.0, "Margin.")
P_NORM = Option(
    "p", 1, "Exponent of the margin violation: 1 or 2.", kind="int", valid=lambda v: v in (1, 2), need="must be 1 or 2"
)
ALPHA_TVERSKY = Option(
    "alpha",
    0.5,
    "Weight of sum((1 - p) t) (Keras 3.15.1's Tversky alpha; keras-team/keras#23333 swaps alpha and beta after it).",
    valid=_non_negative,
    need="must be >= 0",
)
BETA_TVERSKY = Option(
    "beta",
    0.5,
    "Weight of sum(p (1 - t)) (Keras 3.15.1's Tversky beta).",
    valid=_non_negative,
    need="must be >= 0",
)
AXIS_RATIO = Option(
    "axis",
    None,
    "The axes summed inside the ratio: -1 (each sample's own ratio, averaged: losscli's default) or none "
    "(one ratio over the whole batch: Keras's default axis=None, what --like keras gives).",
    kind="choice",
    choices=("-1", "1", "none"),
    to_elements=False,
)
PROBABILITIES = Option(
    "probabilities",
    True,
    "Predictions and targets must be in [0, 1]; Keras takes any numbers.",
    kind="flag",
    hidden=True,
    to_elements=False,
)
MASKED_LOGITS_CCE = Option(
    "masked_logits",
    "zero",
    "A logit of -inf (a masked class) adds 0 where its target is 0 (optax's safe_softmax_cross_entropy); nan: "
    "0 x -inf = nan, as PyTorch, Keras and optax's softmax_cross_entropy compute.",
    kind="choice",
    hidden=True,
    choices=("zero", "nan"),
)
SIMILARITY = Option(
    "similarity",
    False,
    "The similarity itself (optax, torchmetrics), not Keras's negative.",
    kind="flag",
    hidden=True,
)
POS_LABEL = Option(
    "pos_label",
    None,
    "With one probability column: the label of the positive class (a number, or True/False); the other "
    "label is the negative one (scikit-learn's pos_label). Default: targets 0/1; --like sklearn takes 1 of "
    "labels within {-1, 0, 1}, else the greater of two.",
    kind="label",
)
SCALE_BY_HALF = Option(
    "scale_by_half",
    None,
    "Halve the sum over the classes (scikit-learn's scale_by_half); one probability column stands for two "
    "classes. Default: scikit-learn's auto (binary: halved, multiclass: not).",
    kind="flag",
)
LABEL_MAP_BRIER = Option(
    "label_map",
    "zero_one",
    "How one column's targets become 0/1: zero_one (they are 0/1), sklearn_pos (1 of labels within {-1, 0, 1}, "
    "else the greater of two: scikit-learn's pos_label).",
    kind="choice",
    hidden=True,
    choices=("zero_one", "sklearn_pos"),
)
FROM_LOGITS_HINGE = Option(
    "from_logits",
    False,
    "Predictions are scores (logits): turned into probabilities first, a sigmoid per element (a softmax per "
    "row for categorical_hinge), as torchmetrics does to scores outside [0, 1].",
    kind="flag",
)
LOGITS_TO = Option(
    "logits_to",
    "sigmoid",
    "How --from-logits makes scores probabilities: sigmoid (each score), softmax (each row: torchmetrics' "
    "one-vs-all of class labels).",
    kind="choice",
    hidden=True,
    choices=("sigmoid", "softmax"),
)
CLASS_WEIGHTS_N = Option(
    "class_weights",
    None,
    "File of C class weights, each class's terms multiplied by its weight; the mean still divides by N "
    "(PyTorch's weight=).",
    kind="array",
    to_elements=False,
)
OUTPUT_WEIGHTS = Option(
    "output_weights",
    None,
    "File of C output weights: the mean over outputs becomes their weighted mean (scikit-learn's "
    "multioutput=[w1, ..., wC]); a sum over outputs weighs each by w_j C / sum(w).",
    kind="array",
    to_elements=False,
)
PER_OUTPUT_ROOT = Option(
    "per_output_root",
    False,
    "Root each output's mean first, then average the roots (scikit-learn's multi-output form).",
    kind="flag",
    to_elements=False,
)
FRACTION = Option(
    "fraction", False, "A fraction with |t| floored at float64 eps (scikit-learn), not percent.", kind="flag"
)
QUANTILE = Option("quantile", 0.5, "Quantile q of the pinball loss.", valid=_unit_interval, need="must be in [0, 1]")
LOG_INPUT_POISSON = Option("log_input", True, "Predictions are log-rates (PyTorch PoissonNLLLoss).", kind="flag")
FULL = Option("full", False, "Add the constant terms (PyTorch's full=True).", kind="flag")
EPS_POISSON = Option(
    "eps", 1e-8, "Added to p inside the log when predictions are rates.", valid=_non_negative, need="must be >= 0"
)
EPS_GAUSSIAN = Option("eps", 1e-6, "Variances are clamped at eps.", valid=_non_negative, need="must be >= 0")
POWER = Option(
    "power",
    0.0,
    "Tweedie power: <= 0 or >= 1 (0 normal, 1 Poisson, 2 gamma).",
    valid=lambda v: math.isfinite(v) and not 0 < v < 1,
    need="must be <= 0 or >= 1",
)
EPSILON_POLY = Option(
    "epsilon", 2.0, "Weight of the polynomial term epsilon (1 - p_t) added to the cross-entropy (Poly-1)."
)
Q_GCE = Option(
    "q",
    0.5,
    "Exponent q of (1 - p[y]^q) / q: towards 0 the cross-entropy, 1 the true class's absolute error.",
    valid=lambda v: 0 < v < 1,
    need="must be in (0, 1)",
)
SMOOTH_DICE = Option(
    "smooth",
    1.0,
    "Added to the numerator and the denominator of each ratio (optax's smooth).",
    valid=_non_negative,
    need="must be >= 0",
)
ALPHA_DICE = Option(
    "alpha",
    0.5,
    "Weight of the false positives q (1 - t) in the denominator (optax's alpha).",
    valid=_non_negative,
    need="must be >= 0",
)
BETA_DICE = Option(
    "beta",
    0.5,
    "Weight of the false negatives (1 - q) t in the denominator (optax's beta).",
    valid=_non_negative,
    need="must be >= 0",
)
FROM_LOGITS_DICE = Option(
    "from_logits",
    True,
    "Predictions are logits: a sigmoid of one column, a softmax of each row of several (optax's apply_softmax); "
    "off: probabilities.",
    kind="flag",
)
FROM_LOGITS_BINARY_DICE = FROM_LOGITS_DICE._replace(
    help="Predictions are logits: a sigmoid of each (optax's apply_sigmoid); off: probabilities."
)
BINS = Option(
    "bins",
    15,
    "Bins of the predicted probability, of equal width in [0, 1] (torchmetrics' n_bins).",
    kind="int",
    valid=lambda v: v >= 1,
    need="must be >= 1",
    to_elements=False,
)
NORM_CALIBRATION = Option(
    "norm",
    "l1",
    "l1: the expected calibration error (each bin's gap weighted by its share); l2: their root mean square; "
    "max: the largest gap (torchmetrics' norm).",
    kind="choice",
    choices=("l1", "l2", "max"),
    to_elements=False,
)
FROM_LOGITS_CALIBRATION = Option(
    "from_logits",
    False,
    "Predictions are logits: a sigmoid of each first (as torchmetrics does outside [0, 1]).",
    kind="flag",
)
P_MINKOWSKI = Option(
    "p",
    2.0,
    "Order p of the distance: (sum |p - t|^p)^(1/p) (torchmetrics' p, which must be >= 1).",
    valid=lambda v: math.isfinite(v) and v >= 1,
    need="must be >= 1",
)
VAR = Option(
    "var",
    None,
    "Variances: a file of the predictions' shape, of N, or of C numbers, or one number.",
    kind="array",
    required=True,
)


# --- the registry -------------------------------------------------------------------------


def _absolute_targets(pred: np.ndarray, target: np.ndarray, **options) -> np.ndarray:
    return np.abs(target)


def _eps_floor(options: Mapping) -> float:
    return options.get("eps", C.TORCHMETRICS_EPS)


def _no_floor(options: Mapping) -> float:
    return -math.inf


class Ratio(NamedTuple):
    """A loss whose value is one ratio of sums, (sum(l) + add) / max(sum(s) + add, floor), not sum(l) / n:
    ``scale`` gives the denominator's terms s[i, j] (weighted as the terms are), ``add`` a constant
    added to both sums, ``floor`` (of the options) what the denominator is floored at. Per sample
    and per output it is the same ratio over that row or column."""

    scale: Callable[..., np.ndarray] = _absolute_targets
    add: float = 0.0
    floor: Callable[[Mapping], float] = _eps_floor
    denominator: str = "sum |t|"  # the denominator, in words
    per_row: str = "sum_j |t[i, j]|"  # a sample's denominator
    per_column: str = "sum_i |t[i, j]|"  # an output's denominator


WMAPE_RATIO = Ratio()


class Loss(NamedTuple):
    """One registry entry."""

    name: str
    title: str
    formula: str  # the element term l[i, j] (or the per-sample term L[i])
    matches: str
    elements: Callable[..., np.ndarray]
    aliases: tuple[str, ...] = ()
    options: tuple[Option, ...] = ()
    default_reduce: str = "all"
    # (prediction domain, target domain) for the given options
    domains: Callable[[Mapping], tuple[Domain | None, Domain | None]] = lambda options: (None, None)
    targets: str = "same"  # "same" shape as predictions, "labels" (N,), or "labels_or_same"
    per_sample_only: bool = False  # a max or a norm over outputs: no element terms
    root: bool = False  # the square root is taken after the reduction (RMSE)
    exponent: bool = False  # the exponential is taken after the reduction (perplexity)
    ratio: Ratio | None = None  # one ratio of sums rather than sum(l) / n (WMAPE)
    # how --class-weights weigh: "columns" (each class's column; the mean divides by the sum of the
    # targets' weights with labels, by N with probability targets), "target_row" (each sample by its
    # label's weight, the mean divided by N: PyTorch's MultiMarginLoss)
    class_weighting: str = "columns"
    notes: str = ""
    # the loss as these resolved options compute it, where an option changes its kind (Dice over
    # the whole batch is one ratio of sums, not a mean of per-sample ratios)
    variant: Callable[[Loss, Mapping], Loss] | None = None
    # why the N-D pass does not compute it: its framework sums axes of an N-D input that losscli's pass would not
    tensors_refused: str = ""
    # "max" or "median": each output's value is that statistic of its terms over the samples, not their mean
    # (core/state.py keeps it: a maximum merges exactly, a median holds its values)
    order: str = ""
    # the exponent of the root after the reduction, of the options (a Minkowski distance: 1/p); None: sqrt
    root_power: Callable[[Mapping], float] | None = None

    def for_options(self, options: Mapping) -> Loss:
        return self if self.variant is None else self.variant(self, options)

    @property
    def reductions(self) -> tuple[str, ...]:
        if self.ratio is not None or self.order:
            return ("all",)
        return ("samples", "none") if self.per_sample_only else REDUCES

    def resolve_options(self, given: Mapping[str, object]) -> dict[str, object]:
        """The full option set: defaults overridden by ``given``, every value checked."""
        known = {option.name: option for option in self.options}
        unknown = [name for name in given if name not in known]
        if unknown:
            flag = "--" + unknown[0].replace("_", "-")
            users = [loss.name for loss in LOSSES if any(o.name == unknown[0] for o in loss.options)]
            where = f"it applies to {', '.join(users)}" if users else "no loss takes it"
            takes = (
                f"{self.name} takes {', '.join(o.flag for o in self.options)}"
                if self.options
                else f"{self.name} takes no options"
            )
            raise UsageError(f"{flag} does not apply to {self.name} ({where}); {takes}")
        resolved: dict[str, object] = {}
        for name, option in known.items():
            resolved[name] = _checked(option, given.get(name, option.default))
            if option.required and resolved[name] is None:
                raise UsageError(f"{self.name} needs {option.flag} FILE|X ({option.help[0].lower()}{option.help[1:]})")
        for name, option in known.items():
            value = given.get(name)
            if option.requires and value is not None and value is not False and not resolved[option.requires]:
                raise UsageError(f"{option.flag} applies only with --{option.requires.replace('_', '-')}")
        return resolved


def _checked(option: Option, value: Any) -> object:  # value: what the user gave, of any type, checked here
    if value is None:
        return None
    if option.kind == "flag":
        return bool(value)
    if option.kind == "choice":
        if value not in option.choices:
            raise UsageError(f"{option.flag} {value!r}: use one of {', '.join(option.choices)}")
        return value
    if option.kind == "pair":
        try:
            low, high = (float(x) for x in value)
        except (TypeError, ValueError):
            raise UsageError(f"{option.flag} {value!r}: give two bounds 0 <= low < high <= 1") from None
        if not 0 <= low < high <= 1:
            raise UsageError(f"{option.flag} {value!r}: give two bounds 0 <= low < high <= 1")
        return (low, high)
    if option.kind == "label":
        return _label_number(option, value)
    if option.kind == "array":
        try:
            array = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):  # text, ragged lists, objects
            raise UsageError(f"{option.flag} {_shown(value)} is not an array of numbers") from None
        if not np.isfinite(array).all():
            raise UsageError(f"{option.flag} holds a value that is not a finite number")
        return array
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise UsageError(f"{option.flag} {_shown(value)} is not a number; {option.need}") from None
    if option.kind == "int":
        if not math.isfinite(number) or number != int(number):
            raise UsageError(f"{option.flag} {_shown(value)} is not a whole number")
        number = int(number)
    if not option.valid(number):
        raise UsageError(f"{option.flag} {_shown(value)} is out of range: {option.need}")
    return number


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _label_number(option: Option, value: object) -> float:
    """A class label as the number it is read as: True/False are 1 and 0, as in the data files."""
    if isinstance(value, bool):
        return float(value)
    text = str(value).strip()
    if text.lower() in ("true", "false"):
        return 1.0 if text.lower() == "true" else 0.0
    try:
        number = float(text)
    except ValueError:
        raise UsageError(
            f"{option.flag} {value!r}: a label of one probability column is a number (or True/False); for text "
            "labels give both classes' probabilities as columns named by the classes (a predict_proba frame)"
        ) from None
    if not math.isfinite(number):
        raise UsageError(f"{option.flag} {value!r} is not a finite number")
    return number


def _bce_domains(options: Mapping) -> tuple[Domain | None, Domain | None]:
    if options["from_logits"]:
        return None, PROBABILITY
    return with_hint(PROBABILITY, "pass --from-logits if they are logits"), PROBABILITY


def _categorical_domains(options: Mapping) -> tuple[Domain | None, Domain | None]:
    preds = (
        MASKED_LOGITS
        if options.get("from_logits")
        else with_hint(DISTRIBUTION, "pass --from-logits if they are logits")
    )
    return preds, PROBABILITY


def _kld_domains(options: Mapping) -> tuple[Domain | None, Domain | None]:
    if not options["log_input"]:
        if options.get("normalize"):  # rows divided by their sums first: any distribution
            return DISTRIBUTION, DISTRIBUTION
        return PROBABILITY, PROBABILITY
    return LOG_PROBABILITY, LOG_PROBABILITY if options["log_target"] else PROBABILITY


def _hinge_domains(options: Mapping) -> tuple[Domain | None, Domain | None]:
    # scikit-learn binarises any two values (the greater is +1); Keras and the rest take -1/1 or 0/1
    return None, (None if options.get("label_map") == "sklearn" else HINGE_LABELS)


def _msle_domains(options: Mapping) -> tuple[Domain | None, Domain | None]:
    if options.get("eps"):  # floored at eps first, as Keras does: any number is in the domain
        return None, None
    floored = with_hint(NON_NEGATIVE, "--like keras floors them at float32(1e-7), as Keras does")
    return floored, floored


def _ratio_domains(options: Mapping) -> tuple[Domain | None, Domain | None]:
    if not options.get("probabilities", True):
        return None, None
    hint = with_hint(PROBABILITY, "--like keras takes any numbers, as Keras does")
    return hint, hint


def _calibration_domains(options: Mapping) -> tuple[Domain | None, Domain | None]:
    preds = None if options["from_logits"] else with_hint(PROBABILITY, "pass --from-logits if they are logits")
    return preds, BINARY


def _dice_logits_domains(options: Mapping) -> tuple[Domain | None, Domain | None]:
    preds = None if options["from_logits"] else with_hint(PROBABILITY, "pass --from-logits if they are logits")
    return preds, PROBABILITY


def _brier_domains(options: Mapping) -> tuple[Domain | None, Domain | None]:
    if options.get("pos_label") is not None or options.get("label_map") == "sklearn_pos":
        return PROBABILITY, None  # one column's labels become 0/1 first
    return PROBABILITY, with_hint(PROBABILITY, "two other labels: --pos-label, or --like sklearn")


def _tweedie_domains(options: Mapping) -> tuple[Domain | None, Domain | None]:
    power = options.get("power", 0.0)
    if power < 0:
        return POSITIVE, None
    if power == 0:
        return None, None
    if power < 2:
        return POSITIVE, NON_NEGATIVE
    return POSITIVE, POSITIVE


def _whole_batch(numerator: Callable, denominator: Callable, words: str) -> Callable[[Loss, Mapping], Loss]:
    """``--axis none``: one ratio over every element of the batch (Keras's default ``axis=None``),
    (sum(numerator terms) + 1e-7) / (sum(denominator terms) + 1e-7), which is 1 - ratio."""

    def variant(spec: Loss, options: Mapping) -> Loss:
        if options.get("axis") != "none":
            return spec
        ratio = Ratio(denominator, C.KERAS_EPSILON, _no_floor, f"{words} + 1e-7", "its row's", "its column's")
        formula = f"{spec.formula}, every sum over the whole batch"
        return spec._replace(
            elements=numerator, per_sample_only=False, ratio=ratio, formula=formula, default_reduce="all"
        )

    return variant


LOSSES: tuple[Loss, ...] = (
    # --- regression
    Loss(
        "mse",
        "mean squared error",
        "(p - t)^2",
        "PyTorch MSELoss",
        L.squared_error,
        aliases=("mean_squared_error", "mse_loss", "squared_error"),
        options=(OUTPUT_WEIGHTS,),
    ),
    Loss(
        "rmse",
        "root mean squared error",
        "(p - t)^2, root after the reduction",
        "scikit-learn root_mean_squared_error",
        L.squared_error,
        aliases=("root_mean_squared_error",),
        options=(PER_OUTPUT_ROOT, OUTPUT_WEIGHTS),
        root=True,
    ),
    Loss(
        "mae",
        "mean absolute error",
        "|p - t|",
        "PyTorch L1Loss",
        L.absolute_error,
        aliases=("mean_absolute_error", "l1", "l1_loss"),
        options=(OUTPUT_WEIGHTS,),
    ),
    Loss("l2", "half squared error", "0.5 (p - t)^2", "optax l2_loss", L.half_squared_error, aliases=("l2_loss",)),
    Loss(
        "huber",
        "Huber loss",
        "0.5 d^2 if |d| <= delta else delta (|d| - 0.5 delta)",
        "PyTorch HuberLoss, Keras Huber",
        L.huber,
        aliases=("huber_loss",),
        options=(DELTA,),
    ),
    Loss(
        "smooth_l1",
        "smooth L1 loss",
        "0.5 d^2 / beta if |d| < beta else |d| - 0.5 beta",
        "PyTorch SmoothL1Loss",
        L.smooth_l1,
        aliases=("smooth_l1_loss",),
        options=(BETA,),
    ),
    Loss(
        "log_cosh",
        "log-cosh loss",
        "log(cosh(p - t))",
        "Keras LogCosh",
        L.log_cosh,
        aliases=("logcosh", "log_cosh_error"),
        options=(FORM_LOG_COSH,),
    ),
    Loss(
        "mape",
        "mean absolute percentage error",
        "100 |t - p| / max(|t|, eps)",
        "Keras MeanAbsolutePercentageError; with --fraction scikit-learn",
        L.absolute_percentage_error,
        aliases=("mean_absolute_percentage_error",),
        options=(FRACTION, EPS_MAPE, OUTPUT_WEIGHTS),
    ),
    Loss(
        "smape",
        "symmetric mean absolute percentage error",
        "2 |p - t| / max(|t| + |p|, eps)",
        "torchmetrics SymmetricMeanAbsolutePercentageError",
        L.symmetric_percentage_error,
        aliases=("symmetric_mean_absolute_percentage_error",),
        options=(EPS_SMAPE,),
    ),
    Loss(
        "wmape",
        "weighted mean absolute percentage error",
        "|p - t|, divided by sum |t| (not by n)",
        "torchmetrics WeightedMeanAbsolutePercentageError",
        L.absolute_error,
        aliases=("weighted_mean_absolute_percentage_error",),
        options=(EPS_WMAPE,),
        ratio=WMAPE_RATIO,
    ),
    Loss(
        "msle",
        "mean squared logarithmic error",
        "(log(1 + p) - log(1 + t))^2",
        "scikit-learn mean_squared_log_error",
        L.squared_log_error,
        aliases=("mean_squared_logarithmic_error", "mean_squared_log_error"),
        options=(EPS_MSLE, OUTPUT_WEIGHTS),
        domains=_msle_domains,
    ),
    Loss(
        "rmsle",
        "root mean squared logarithmic error",
        "(log(1 + p) - log(1 + t))^2, root after the reduction",
        "scikit-learn root_mean_squared_log_error",
        L.squared_log_error,
        aliases=("root_mean_squared_log_error",),
        options=(PER_OUTPUT_ROOT, OUTPUT_WEIGHTS),
        root=True,
        domains=lambda options: (NON_NEGATIVE, NON_NEGATIVE),
    ),
    Loss(
        "pinball",
        "pinball (quantile) loss",
        "q (t - p) if t >= p else (1 - q)(p - t)",
        "scikit-learn mean_pinball_loss",
        L.pinball,
        aliases=("quantile", "mean_pinball_loss"),
        options=(QUANTILE, OUTPUT_WEIGHTS),
    ),
    Loss(
        "poisson",
        "Poisson loss",
        "p - t log(p + eps)",
        "Keras Poisson",
        L.poisson,
        options=(EPS_POISSON_RATE,),
        domains=lambda options: (NON_NEGATIVE, NON_NEGATIVE),
    ),
    Loss(
        "poisson_nll",
        "Poisson negative log-likelihood",
        "exp(p) - t p (p a log-rate)",
        "PyTorch PoissonNLLLoss",
        L.poisson_nll,
        aliases=("poisson_nll_loss",),
        options=(LOG_INPUT_POISSON, FULL, EPS_POISSON),
        domains=lambda options: (None if options["log_input"] else NON_NEGATIVE, NON_NEGATIVE),
    ),
    Loss(
        "poisson_deviance",
        "Poisson deviance",
        "2 (t log(t / p) - t + p)",
        "scikit-learn mean_poisson_deviance",
        L.poisson_deviance,
        aliases=("mean_poisson_deviance",),
        domains=lambda options: (POSITIVE, NON_NEGATIVE),
    ),
    Loss(
        "gamma_deviance",
        "gamma deviance",
        "2 (log(p / t) + t / p - 1)",
        "scikit-learn mean_gamma_deviance",
        L.gamma_deviance,
        aliases=("mean_gamma_deviance",),
        domains=lambda options: (POSITIVE, POSITIVE),
    ),
    Loss(
        "tweedie_deviance",
        "Tweedie deviance",
        "unit deviance of power k (see --power)",
        "scikit-learn mean_tweedie_deviance",
        L.tweedie_deviance,
        aliases=("mean_tweedie_deviance", "tweedie_deviance_score"),
        options=(POWER,),
        domains=_tweedie_domains,
    ),
    Loss(
        "gaussian_nll",
        "Gaussian negative log-likelihood",
        "0.5 (log v + (p - t)^2 / v), v = max(var, eps)",
        "PyTorch GaussianNLLLoss",
        L.gaussian_nll,
        aliases=("gaussian_nll_loss",),
        options=(VAR, FULL, EPS_GAUSSIAN),
    ),
    # --- binary classification
    Loss(
        "bce",
        "binary cross-entropy",
        "-(t log p + (1 - t) log(1 - p))",
        "PyTorch BCELoss; with --from-logits BCEWithLogitsLoss; with --label-smoothing Keras BinaryCrossentropy",
        L.binary_cross_entropy,
        aliases=("binary_crossentropy", "binary_cross_entropy"),
        options=(FROM_LOGITS, SMOOTHING_BINARY, POS_WEIGHT, EPS_BCE, LOG_FLOOR, LOG1P),
        domains=_bce_domains,
        notes="Each log is floored at -100, as PyTorch does; --label-smoothing clips p at Keras's 1e-7, as Keras does.",
    ),
    Loss(
        "focal",
        "binary focal cross-entropy",
        "(1 - p_t)^gamma bce(t, p), p_t = t p + (1 - t)(1 - p)",
        "Keras BinaryFocalCrossentropy",
        L.binary_focal_cross_entropy,
        aliases=("binary_focal_crossentropy", "binary_focal"),
        options=(GAMMA, ALPHA_BALANCE, FROM_LOGITS, SMOOTHING_BINARY, EPS_FOCAL),
        domains=_bce_domains,
    ),
    Loss(
        "hinge",
        "hinge loss",
        "max(1 - t p, 0), t in {-1, 1}",
        "Keras Hinge",
        L.hinge,
        aliases=("hinge_loss", "binary_hinge_loss"),
        options=(LABEL_MAP, FROM_LOGITS_HINGE, LOGITS_TO),
        domains=_hinge_domains,
        targets="labels_or_same",
        notes="Targets all in {0, 1} are taken as {-1, 1}, as Keras does. Class labels with a column per class: "
        "each class against the rest (one-vs-all); scikit-learn's multiclass hinge_loss is categorical_hinge.",
    ),
    Loss(
        "squared_hinge",
        "squared hinge loss",
        "max(1 - t p, 0)^2, t in {-1, 1}",
        "Keras SquaredHinge",
        L.squared_hinge,
        options=(LABEL_MAP, FROM_LOGITS_HINGE, LOGITS_TO),
        domains=_hinge_domains,
        targets="labels_or_same",
        notes="Targets all in {0, 1} are taken as {-1, 1}, as Keras does. Class labels with a column per class: "
        "each class against the rest (one-vs-all).",
    ),
    Loss(
        "soft_margin",
        "soft margin loss",
        "log(1 + exp(-t p)), t in {-1, 1}",
        "PyTorch SoftMarginLoss",
        L.soft_margin,
        aliases=("soft_margin_loss",),
        domains=lambda options: (None, SIGNS),
    ),
    Loss(
        "hinge_embedding",
        "hinge embedding loss",
        "p if t = 1, max(0, margin - p) if t = -1",
        "PyTorch HingeEmbeddingLoss",
        L.hinge_embedding,
        aliases=("hinge_embedding_loss",),
        options=(MARGIN,),
        domains=lambda options: (None, SIGNS),
    ),
    Loss(
        "multilabel_soft_margin",
        "multi-label soft margin loss",
        "-(t log sigmoid(p) + (1 - t) log sigmoid(-p))",
        "PyTorch MultiLabelSoftMarginLoss",
        L.multilabel_soft_margin,
        aliases=("multilabel_soft_margin_loss",),
        options=(CLASS_WEIGHTS_N,),
        domains=lambda options: (None, PROBABILITY),
    ),
    # --- categorical and distributions: a per-sample value is a sum over classes
    Loss(
        "cce",
        "categorical cross-entropy",
        "-t log q, q = p / sum(p) clipped (or softmax(p) from logits)",
        "Keras CategoricalCrossentropy; with --from-logits PyTorch CrossEntropyLoss",
        L.categorical_cross_entropy,
        aliases=("categorical_crossentropy", "categorical_cross_entropy"),
        options=(FROM_LOGITS, EPS_KERAS, SMOOTHING_CATEGORICAL, CLASS_WEIGHTS_N, NORMALIZE_CCE, MASKED_LOGITS_CCE),
        default_reduce="samples",
        domains=_categorical_domains,
    ),
    Loss(
        "sparse_cce",
        "sparse categorical cross-entropy",
        "-log q[y], y the label; as cce",
        "Keras SparseCategoricalCrossentropy; with --from-logits PyTorch CrossEntropyLoss",
        L.sparse_categorical_cross_entropy,
        aliases=("sparse_categorical_crossentropy",),
        options=(FROM_LOGITS, EPS_KERAS, SMOOTHING_CATEGORICAL, IGNORE_INDEX, CLASS_WEIGHTS, NORMALIZE_CCE),
        default_reduce="samples",
        domains=_categorical_domains,
        targets="labels",
    ),
    Loss(
        "nll",
        "negative log-likelihood",
        "-log q[y], predictions log q, y the label",
        "PyTorch NLLLoss",
        L.negative_log_likelihood,
        aliases=("nll_loss",),
        options=(IGNORE_INDEX, CLASS_WEIGHTS),
        default_reduce="samples",
        domains=lambda options: (LOG_PROBABILITY, None),
        targets="labels",
    ),
    Loss(
        "perplexity",
        "perplexity",
        "exp(mean of -log q[y] over the valid tokens), q = softmax(logits) (or the probabilities as given)",
        "torchmetrics Perplexity (text; ignore_index); exp of PyTorch CrossEntropyLoss's token mean",
        L.token_cross_entropy,
        options=(FROM_LOGITS_ON, IGNORE_INDEX),
        default_reduce="samples",
        domains=lambda options: (None if options.get("from_logits") else PROBABILITY, None),
        targets="labels",
        per_sample_only=True,
        exponent=True,
        notes="Computed by the N-D pass: predictions (N, ..., V), labels (N, ...); the mean is over the valid "
        "tokens (samples and positions), then exp. A per-sample value is that sample's perplexity.",
    ),
    Loss(
        "kld",
        "Kullback-Leibler divergence",
        "t log(t / p)",
        "Keras KLDivergence; with --log-input PyTorch KLDivLoss",
        L.kl_divergence,
        aliases=("kl_divergence", "kullback_leibler_divergence"),
        options=(LOG_INPUT_KL, LOG_TARGET, EPS_KLD, NORMALIZE_KLD),
        default_reduce="samples",
        domains=_kld_domains,
        notes="--reduce samples is PyTorch's batchmean; --reduce all is its mean.",
    ),
    Loss(
        "js",
        "Jensen-Shannon divergence",
        "0.5 (p log(p / m) + t log(t / m)), m = (p + t) / 2",
        "torchmetrics JensenShannonDivergence",
        L.jensen_shannon,
        aliases=("jensen_shannon", "jensen_shannon_divergence"),
        default_reduce="samples",
        domains=lambda options: (DISTRIBUTION, DISTRIBUTION),
    ),
    Loss(
        "categorical_focal",
        "categorical focal cross-entropy",
        "-alpha (1 - q)^gamma t log q",
        "Keras CategoricalFocalCrossentropy",
        L.categorical_focal_cross_entropy,
        aliases=("categorical_focal_crossentropy",),
        options=(GAMMA, ALPHA_FOCAL, FROM_LOGITS, SMOOTHING_CATEGORICAL, CLIP_FOCAL),
        default_reduce="samples",
        domains=_categorical_domains,
    ),
    Loss(
        "multi_margin",
        "multi-class margin loss",
        "max(0, margin - p[y] + p[j])^p / C for j != y",
        "PyTorch MultiMarginLoss",
        L.multi_margin,
        aliases=("multi_margin_loss",),
        options=(P_NORM, MARGIN, CLASS_WEIGHTS_N),
        default_reduce="samples",
        targets="labels",
        class_weighting="target_row",
    ),
    Loss(
        "brier",
        "Brier score",
        "(p - t)^2 against one-hot targets",
        "scikit-learn brier_score_loss",
        L.brier,
        aliases=("brier_score", "brier_score_loss"),
        options=(POS_LABEL, SCALE_BY_HALF, LABEL_MAP_BRIER),
        default_reduce="samples",
        targets="labels_or_same",
        domains=_brier_domains,
    ),
    # --- per sample only
    Loss(
        "categorical_hinge",
        "categorical hinge loss",
        "max(max_j (1 - t_j) p_j - sum_j t_j p_j + 1, 0)",
        "Keras CategoricalHinge",
        L.categorical_hinge,
        aliases=("multiclass_hinge_loss",),
        default_reduce="samples",
        options=(EXCLUDE_TRUE, FROM_LOGITS_HINGE),
        per_sample_only=True,
        targets="labels_or_same",
        domains=lambda options: (None, PROBABILITY),
    ),
    Loss(
        "cosine_similarity",
        "cosine similarity (negated)",
        "-p . t / (|p| |t|)",
        "Keras CosineSimilarity",
        L.cosine_similarity,
        aliases=("cosine_proximity",),
        default_reduce="samples",
        options=(EPS_COSINE, SIMILARITY),
        per_sample_only=True,
    ),
    Loss(
        "cosine_distance",
        "cosine distance",
        "1 - p . t / (|p| |t|)",
        "optax cosine_distance",
        L.cosine_distance,
        default_reduce="samples",
        options=(EPS_COSINE, EPS_SQUARED),
        per_sample_only=True,
    ),
    Loss(
        "dice",
        "Dice loss",
        "1 - 2 sum(t p) / (sum t + sum p + 1e-7)",
        "Keras Dice(axis=-1); with --axis none Keras Dice()",
        L.dice,
        default_reduce="samples",
        options=(AXIS_RATIO, PROBABILITIES),
        per_sample_only=True,
        domains=_ratio_domains,
        variant=_whole_batch(L.dice_numerator, L.dice_denominator, "sum(t) + sum(p)"),
    ),
    Loss(
        "tversky",
        "Tversky loss",
        "1 - A / (A + alpha sum((1-p) t) + beta sum(p (1-t)) + 1e-7), A = sum(t p)",
        "Keras Tversky(axis=-1); with --axis none Keras Tversky()",
        L.tversky,
        options=(ALPHA_TVERSKY, BETA_TVERSKY, AXIS_RATIO, PROBABILITIES),
        default_reduce="samples",
        per_sample_only=True,
        domains=_ratio_domains,
        variant=_whole_batch(L.tversky_numerator, L.tversky_denominator, "A + alpha F + beta G"),
    ),
    # --- issue 24: the frameworks' other losses
    Loss(
        "perceptron",
        "perceptron loss",
        "max(0, -t p), t in {-1, 1}",
        "optax perceptron_loss",
        L.perceptron,
        aliases=("perceptron_loss",),
        domains=lambda options: (None, SIGNS),
    ),
    Loss(
        "sparsemax",
        "binary sparsemax loss",
        "sparse_plus(-p) if t = 1 else sparse_plus(p), p a logit",
        "optax sparsemax_loss",
        L.binary_sparsemax,
        aliases=("sparsemax_loss", "binary_sparsemax"),
        domains=lambda options: (None, BINARY),
    ),
    Loss(
        "hamming_loss",
        "Hamming loss",
        "1 if p != t else 0, p a predicted label",
        "scikit-learn hamming_loss",
        L.mismatch,
        aliases=("hamming",),
        domains=lambda options: (LABEL_VALUES, LABEL_VALUES),
    ),
    Loss(
        "zero_one_loss",
        "zero-one loss",
        "1 if any p[i, j] != t[i, j] else 0, p predicted labels",
        "scikit-learn zero_one_loss",
        L.row_mismatch,
        aliases=("zero_one",),
        default_reduce="samples",
        per_sample_only=True,
        domains=lambda options: (LABEL_VALUES, LABEL_VALUES),
    ),
    Loss(
        "poly_loss",
        "Poly-1 cross-entropy",
        "-sum_j t_j log softmax(p)_j + epsilon sum_j t_j (1 - softmax(p)_j), p logits",
        "optax poly_loss_cross_entropy",
        L.poly_cross_entropy,
        aliases=("poly_loss_cross_entropy", "poly1"),
        options=(EPSILON_POLY,),
        default_reduce="samples",
        per_sample_only=True,
        targets="labels_or_same",
        domains=lambda options: (None, PROBABILITY),
    ),
    Loss(
        "generalized_kld",
        "generalized Kullback-Leibler divergence",
        "sum_j t_j (log t_j - p_j) + sum_j (exp(p_j) - t_j), p log-predictions",
        "optax generalized_kl_divergence",
        L.generalized_kl_divergence,
        aliases=("generalized_kl_divergence",),
        default_reduce="samples",
        per_sample_only=True,
        domains=lambda options: (None, NON_NEGATIVE),
    ),
    Loss(
        "generalized_cross_entropy",
        "generalized cross-entropy",
        "(1 - p[y]^q) / q",
        "Keras CategoricalGeneralizedCrossEntropy",
        L.generalized_cross_entropy,
        aliases=("categorical_generalized_cross_entropy", "gce"),
        options=(Q_GCE,),
        default_reduce="samples",
        per_sample_only=True,
        targets="labels_or_same",
        domains=lambda options: (PROBABILITY, PROBABILITY),
    ),
    Loss(
        "multiclass_perceptron",
        "multi-class perceptron loss",
        "max_j p_j - p[y], p scores",
        "optax multiclass_perceptron_loss",
        L.multiclass_perceptron,
        aliases=("multiclass_perceptron_loss",),
        default_reduce="samples",
        per_sample_only=True,
        targets="labels_or_same",
        domains=lambda options: (None, PROBABILITY),
    ),
    Loss(
        "multiclass_sparsemax",
        "multi-class sparsemax loss",
        "sum_j q_j (p_j - p[y]) + (1 - sum_j q_j^2) / 2, q = sparsemax(p), p scores",
        "optax multiclass_sparsemax_loss",
        L.multiclass_sparsemax,
        aliases=("multiclass_sparsemax_loss",),
        default_reduce="samples",
        per_sample_only=True,
        targets="labels_or_same",
        domains=lambda options: (None, PROBABILITY),
    ),
    Loss(
        "squared_categorical_hinge",
        "squared multi-class hinge loss",
        "max(0, 1 - (p[y] - max_{j != y} p_j))^2",
        "torchmetrics multiclass_hinge_loss(squared=True)",
        L.squared_categorical_hinge,
        aliases=("squared_multiclass_hinge_loss",),
        options=(FROM_LOGITS_HINGE,),
        default_reduce="samples",
        per_sample_only=True,
        targets="labels_or_same",
        domains=lambda options: (None, PROBABILITY),
    ),
    Loss(
        "multilabel_margin",
        "multi-label margin loss",
        "sum_{j in y} sum_{i not in y} max(0, 1 - (p[j] - p[i])) / C, y the row's label list",
        "PyTorch MultiLabelMarginLoss",
        L.multilabel_margin,
        aliases=("multilabel_margin_loss",),
        default_reduce="samples",
        per_sample_only=True,
        domains=lambda options: (None, LABEL_LISTS),
        notes="Targets are label lists of the predictions' shape: each row the true classes' indices, then -1 "
        "(PyTorch's format); a list that names a class twice is refused (PyTorch would count it twice).",
    ),
    Loss(
        "label_ranking_loss",
        "label ranking loss",
        "share of (relevant, irrelevant) label pairs scored in the wrong order (ties wrong)",
        "scikit-learn label_ranking_loss",
        L.label_ranking,
        aliases=("ranking_loss", "multilabel_ranking_loss"),
        default_reduce="samples",
        per_sample_only=True,
        domains=lambda options: (None, BINARY),
    ),
    Loss(
        "coverage_error",
        "coverage error",
        "how many top-scored labels cover every relevant one (ties included)",
        "scikit-learn coverage_error",
        L.coverage,
        aliases=("coverage", "multilabel_coverage_error"),
        default_reduce="samples",
        per_sample_only=True,
        domains=lambda options: (None, BINARY),
    ),
    Loss(
        "soft_dice",
        "soft Dice loss of each class (optax)",
        "1 - (q t + s) / (q t + alpha q (1 - t) + beta (1 - q) t + s), q = softmax(x) per row",
        "optax dice_loss of (N, C)",
        L.soft_dice,
        aliases=("dice_loss", "optax_dice"),
        options=(SMOOTH_DICE, ALPHA_DICE, BETA_DICE, FROM_LOGITS_DICE),
        domains=_dice_logits_domains,
        notes="optax sums each ratio over the axes between the first and the last: none of an (N, C) input, so "
        "each element is its own ratio; its mean over the classes is optax's per-sample value.",
        tensors_refused="soft_dice over N-D inputs is not built yet: optax sums each class's ratio over the "
        "spatial axes (a reshape to (N, C) would not); give (N, C) inputs, or compute it with optax",
    ),
    Loss(
        "binary_dice",
        "binary Dice loss (optax)",
        "1 - (sum_j q t + s) / (sum_j q / 2 + sum_j t / 2 + s), q = sigmoid(x)",
        "optax binary_dice_loss",
        L.binary_dice,
        aliases=("binary_dice_loss",),
        options=(SMOOTH_DICE, FROM_LOGITS_BINARY_DICE),
        default_reduce="samples",
        per_sample_only=True,
        domains=_dice_logits_domains,
        tensors_refused="binary_dice is one ratio over all of a sample's values (optax's binary_dice_loss sums "
        "every axis but the first); reshape each sample to one row, (N, H * W), for the same number",
    ),
    Loss(
        "max_error",
        "maximum absolute error",
        "|p - t|, and the value is its maximum over the samples",
        "scikit-learn max_error",
        L.absolute_error,
        aliases=("maximum_error",),
        order="max",
        notes="One output, as scikit-learn's max_error takes; no weights (it takes none).",
        tensors_refused="max_error over N-D inputs is not built (scikit-learn's max_error takes one output); "
        "give (N, 1) inputs",
    ),
    Loss(
        "median_absolute_error",
        "median absolute error",
        "|p - t|, and each output's value is its median over the samples",
        "scikit-learn median_absolute_error",
        L.absolute_error,
        aliases=("medae", "median_ae"),
        order="median",
        notes="The outputs' medians are averaged (scikit-learn's multioutput='uniform_average'); the terms are held "
        "in memory, 8 bytes each, for the median.",
        tensors_refused="median_absolute_error over N-D inputs is not built (scikit-learn's takes rank 1 or 2); "
        "give (N, C) inputs",
    ),
    Loss(
        "minkowski",
        "Minkowski distance",
        "|p - t|^p, the p-th root after the reduction",
        "torchmetrics minkowski_distance",
        L.minkowski,
        aliases=("minkowski_distance",),
        options=(P_MINKOWSKI,),
        default_reduce="none",
        root=True,
        root_power=lambda options: 1.0 / options["p"],
        notes="torchmetrics sums every element, then takes the p-th root (--reduce none, the default); "
        "--reduce all gives the root of the mean.",
        tensors_refused="minkowski over N-D inputs is not built; give (N, C) inputs (torchmetrics sums every "
        "element: a reshape to one row a sample gives its number)",
    ),
    Loss(
        "calibration_error",
        "calibration error (binary)",
        "p - t per sample; the value is over bins of p: sum_b (n_b / N) |acc_b - conf_b| (l1)",
        "torchmetrics binary_calibration_error",
        L.calibration_gap,
        aliases=("ece", "binary_calibration_error", "expected_calibration_error"),
        options=(BINS, NORM_CALIBRATION, FROM_LOGITS_CALIBRATION),
        order="bins",
        domains=_calibration_domains,
        notes="Each bin holds the probabilities from its lower edge up to its upper one (torchmetrics' "
        "bucketize); a probability of exactly 1 has a slot of its own, as in torchmetrics. Edges are k / B "
        "correctly rounded: torchmetrics' linspace edges can differ in their last bit with the CPU.",
        tensors_refused="calibration_error over N-D inputs is not built; give one probability a sample "
        "(torchmetrics flattens the extra axes into the samples: reshape to (N * H * W, 1) for its number)",
    ),
)

# Losses whose every term is >= 0 whatever the inputs and options (a square, an absolute value,
# a max(., 0), -t log q of targets in [0, 1] and q clipped to at most 1, a deviance): a state
# claiming a negative total of one is damaged, and their block sums need no exact summation (no
# term cancels another: sums.py). Losses of signed terms (poisson, gaussian_nll, kld, nll,
# cosine_similarity, ...) and those an option can make negative (bce's and focal's weights) are
# not listed; tests/test_hostile_states.py checks every listed loss on random data.
NON_NEGATIVE_TERMS = frozenset(
    (
        "mse",
        "rmse",
        "mae",
        "l2",
        "huber",
        "smooth_l1",
        "log_cosh",
        "mape",
        "smape",
        "wmape",
        "msle",
        "rmsle",
        "pinball",
        "poisson_deviance",
        "gamma_deviance",
        "hinge",
        "squared_hinge",
        "soft_margin",
        "multilabel_soft_margin",
        "cce",
        "sparse_cce",
        "multi_margin",
        "brier",
        "categorical_hinge",
        "cosine_distance",
        "perceptron",
        "sparsemax",
        "hamming_loss",
        "zero_one_loss",
        "multiclass_perceptron",
        "multiclass_sparsemax",
        "squared_categorical_hinge",
        "multilabel_margin",
        "label_ranking_loss",
        "coverage_error",
        "max_error",
        "median_absolute_error",
        "minkowski",
    )
)


# Each loss's task, in the order ``losscli list`` shows them; tests/test_catalogue.py holds every loss of the
# registry to exactly one.
TASKS: dict[str, tuple[str, ...]] = {
    "regression": (
        "mse",
        "rmse",
        "mae",
        "max_error",
        "median_absolute_error",
        "minkowski",
        "l2",
        "huber",
        "smooth_l1",
        "log_cosh",
        "mape",
        "smape",
        "wmape",
        "msle",
        "rmsle",
        "pinball",
        "poisson",
        "poisson_nll",
        "poisson_deviance",
        "gamma_deviance",
        "tweedie_deviance",
        "gaussian_nll",
    ),  # fmt: skip
    "probabilities and classes": (
        "bce",
        "calibration_error",
        "focal",
        "cce",
        "sparse_cce",
        "nll",
        "perplexity",
        "categorical_focal",
        "brier",
        "multilabel_soft_margin",
        "poly_loss",
        "generalized_cross_entropy",
        "sparsemax",
        "multiclass_sparsemax",
        "hamming_loss",
        "zero_one_loss",
    ),  # fmt: skip
    "distributions": ("kld", "js", "generalized_kld"),
    "margins and ranking": (
        "hinge",
        "squared_hinge",
        "soft_margin",
        "hinge_embedding",
        "multi_margin",
        "categorical_hinge",
        "cosine_similarity",
        "cosine_distance",
        "perceptron",
        "multiclass_perceptron",
        "squared_categorical_hinge",
        "multilabel_margin",
        "label_ranking_loss",
        "coverage_error",
    ),  # fmt: skip
    "segmentation": ("dice", "tversky", "soft_dice", "binary_dice"),
}
TASK_WORDS = {  # what ``losscli list TASK`` takes: each task's name, and a word for it
    "regression": "regression",
    "classes": "probabilities and classes",
    "classification": "probabilities and classes",
    "probabilities": "probabilities and classes",
    "distributions": "distributions",
    "margins": "margins and ranking",
    "ranking": "margins and ranking",
    "segmentation": "segmentation",
}


def task_of(loss: Loss) -> str:
    return next(task for task, names in TASKS.items() if loss.name in names)


def _key(name: str) -> str:
    return name.strip().lower().replace("-", "_")


_BY_NAME: dict[str, Loss] = {}
for _loss in LOSSES:
    for _name in (_loss.name, *_loss.aliases):
        assert _key(_name) not in _BY_NAME, f"loss name {_name!r} registered twice"
        _BY_NAME[_key(_name)] = _loss


# Names people type for a loss losscli spells otherwise, where the name alone does not say
# which of several it means (scikit-learn's log_loss is binary or categorical by its input).
SYNONYMS = {
    "log_loss": "scikit-learn's log_loss is cross-entropy: use bce for one probability column and 0/1 targets, "
    "cce for one-hot or probability targets, sparse_cce for class labels",
    "cross_entropy": "PyTorch's cross_entropy takes logits: use sparse_cce --from-logits for class labels, "
    "cce --from-logits for probability targets",
    "binary_cross_entropy_with_logits": "use bce --from-logits (PyTorch's BCEWithLogitsLoss)",
    "kl_div": "PyTorch's kl_div takes log-probabilities: use kld --log-input",
}
SYNONYMS.update(
    logloss=SYNONYMS["log_loss"],
    crossentropy=SYNONYMS["cross_entropy"],
    ce=SYNONYMS["cross_entropy"],
    bce_with_logits=SYNONYMS["binary_cross_entropy_with_logits"],
    bcewithlogits=SYNONYMS["binary_cross_entropy_with_logits"],
    kldiv=SYNONYMS["kl_div"],
)


# Names whose framework call takes other inputs than the loss's defaults: optax's softmax and sigmoid
# losses take logits, its kl_divergence_with_log_targets log-probabilities. The name implies the options;
# the flags still override them (--no-from-logits).
IMPLIED: dict[str, tuple[str, dict[str, object]]] = {
    "softmax_cross_entropy": ("cce", {"from_logits": True}),
    "safe_softmax_cross_entropy": ("cce", {"from_logits": True}),
    "softmax_cross_entropy_with_integer_labels": ("sparse_cce", {"from_logits": True}),
    "sigmoid_binary_cross_entropy": ("bce", {"from_logits": True}),
    "sigmoid_focal_loss": ("focal", {"from_logits": True}),
    "kl_divergence_with_log_targets": ("kld", {"log_input": True, "log_target": True}),
}


def _with_defaults(spec: Loss, defaults: Mapping[str, object]) -> Loss:
    options = tuple(o._replace(default=defaults[o.name]) if o.name in defaults else o for o in spec.options)
    return spec._replace(options=options)


def get_loss(name: str) -> Loss:
    """The loss called ``name`` (any case; ``-`` and ``_`` alike), or a UsageError
    that suggests the closest names."""
    if _key(name) in IMPLIED:
        canonical, defaults = IMPLIED[_key(name)]
        return _with_defaults(_BY_NAME[canonical], defaults)
    try:
        return _BY_NAME[_key(name)]
    except KeyError:
        if _key(name) in SYNONYMS:
            raise UsageError(f"{name!r}: {SYNONYMS[_key(name)]}") from None
        import difflib  # only on this error path: it costs start-up time

        close = difflib.get_close_matches(_key(name), [*_BY_NAME, *IMPLIED], n=3, cutoff=0.5)
        maybe = f"; did you mean {' or '.join(close)}?" if close else ""
        raise UsageError(f"unknown loss {name!r}{maybe} ('losscli list' shows every loss)") from None


def options_by_name() -> dict[str, list[tuple[Loss, Option]]]:
    """Every option name, with the losses that take it (for the command line)."""
    table: dict[str, list[tuple[Loss, Option]]] = {}
    for loss in LOSSES:
        for option in loss.options:
            table.setdefault(option.name, []).append((loss, option))
    return table
