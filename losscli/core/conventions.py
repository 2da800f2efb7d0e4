"""Each framework's own call for each loss: its reduction, its constants, its divisors.

``conventions(loss, options, weighted=..., n_outputs=..., labels=...)`` gives, for every
framework that has the loss with those options, the losscli options that reproduce its
call (the user's options, with the framework's own constants put in their place), the
constants that differ between frameworks, the call with the framework's defaults (what
``--like FRAMEWORK`` computes) and that call under its other reductions and weightings
(the rows of ``--compare``). ``tests/references_like.py`` runs every call for real and
writes ``tests/fixtures/like.json``; ``tests/test_conventions_table.py`` checks the table.

Every ``call`` is Python that ``tests/references_like.py`` evaluates as written, with
these names: ``p`` the predictions and ``t`` the targets, both of shape (N, C) (one
output: (N, 1)); ``y`` the N integer class labels (losses that take labels); ``w`` the N
sample weights; ``cw`` the C class weights; ``ow`` the C output weights; ``pw`` the
pos_weight; ``var`` the variances. For torch, Keras and torchmetrics they are float64
torch tensors (``y`` int64); for scikit-learn and NumPy, NumPy arrays; for optax, float64
jax arrays (``jax_enable_x64``). Keras is called as its users call it: it converts the
inputs to float32, its floatx (a convention's ``dtype``).

Rules:

- A convention's options are the user's, with the framework's constants put in their place.
  Those are the rows of ``--compare``; ``--like`` (``frameworks.like``) then keeps every
  option the user gave and says which constants it replaced.
- A framework that does not have the loss with the given options (or, with sample
  weights, whose call takes none) is left out. Where a framework's only call for a
  loss takes logits (PyTorch ``CrossEntropyLoss``, optax's softmax and sigmoid losses),
  it is applied to the predictions as they are: its convention sets ``from_logits``
  and a constant says so.
- ``reduce`` is the losscli ``--reduce`` that gives the call's number; None for a call
  that returns an array. ``weight_divisor`` is how the call divides a weighted mean over
  samples: "count" (N, or the number of counted samples when labels are ignored),
  "sum" (sum of the weights), None (the call takes no sample weights). For a variant
  that does not average over samples it names the call's family and changes nothing.

This module is data: it imports nothing from losscli but the registry, and that only to probe a loss
(``default_calls``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import NamedTuple

from .constants import (
    KERAS_EPSILON,
    KERAS_EPSILON_F32,
    KERAS_ONE_MINUS_EPSILON_F32,
    SKLEARN_EPS,
    TORCH_COSINE_EPS2,
    TORCH_LOG_FLOOR,
    TORCH_POISSON_EPS,
    TORCHMETRICS_EPS,
)

FRAMEWORKS = ("torch", "keras", "sklearn", "optax", "torchmetrics", "numpy")


class Constant(NamedTuple):
    option: str  # the losscli option it sets
    value: object
    why: str


class Variant(NamedTuple):
    call: str  # the exact call text; the key of the fixture
    reduce: str | None  # the --reduce that gives its number; None: it returns an array
    weight_divisor: str | None  # "sum", "count", or None: the call takes no sample weights
    note: str = ""


class Convention(NamedTuple):
    framework: str
    options: dict  # the losscli options this framework's call implies, constants included
    constants: tuple[Constant, ...]  # every constant it uses that another framework sets differently
    default: Variant  # the call with the framework's defaults: what --like gives
    variants: tuple[Variant, ...]  # the default, then the same call under its other reductions
    dtype: str = "float64"  # the precision of the call's own default: Keras converts inputs to floatx, float32


def _num(x: object) -> str:
    """A number as Python writes it: 0.5, 1e-07; an int stays an int."""
    if isinstance(x, bool):
        return repr(x)
    if isinstance(x, int) or type(x).__name__.startswith("int"):
        return str(int(x))  # type: ignore[call-overload]
    return repr(float(x))  # type: ignore[arg-type]


def _given(options: Mapping[str, object], name: str) -> bool:
    """An array option (pos_weight, class_weights) was given."""
    return options.get(name) is not None


def _args(*parts: str) -> str:
    return ", ".join(part for part in parts if part)


# --- call builders ---------------------------------------------------------------------------

# torch: (reduction, reduce) for each kind of module
_TORCH_ELEMENTS = (("mean", "all"), ("sum", "none"), ("none", None))
_TORCH_SAMPLES = (("mean", "samples"), ("sum", "none"), ("none", None))
_TORCH_KL = (("mean", "all"), ("batchmean", "samples"), ("sum", "none"), ("none", None))
_TORCH_OUTPUT_MEANS = (("mean", "all"), ("sum", "outputs"), ("none", None))


def _torch(module: str, kwargs: str, inputs: str, kinds, none_shape: str) -> list[Variant]:
    """The module under each reduction; the first (reduction="mean") is PyTorch's default."""
    out = []
    for reduction, reduce in kinds:
        call = f"torch.nn.{module}({_args(kwargs, f'reduction={chr(34)}{reduction}{chr(34)}')})({inputs})"
        note = f"a tensor of shape {none_shape}: no reduction" if reduce is None else ""
        out.append(Variant(call, reduce, None, note))
    return out


def _keras(cls: str, kwargs: str, inputs: str, per_sample_mean: bool, weighted: bool) -> list[Variant]:
    batch, total = ("all", "outputs") if per_sample_mean else ("samples", "none")
    sw = ", sample_weight=w" if weighted else ""

    def call(reduction: str) -> str:
        return f"keras.losses.{cls}({_args(kwargs, f'reduction={reduction}')})({inputs}{sw})"

    out = [Variant(call('"sum_over_batch_size"'), batch, "count", "divides by N" if weighted else "")]
    if weighted:
        out.append(Variant(call('"mean_with_sample_weight"'), batch, "sum", "divides by sum(w)"))
    out.append(Variant(call('"sum"'), total, "count", "the per-sample means summed" if per_sample_mean else ""))
    out.append(Variant(call("None"), None, "count", "per-sample values, shape (N,)"))
    return out


def _sklearn_multioutput(fn: str, kwargs: str, weighted: bool, output_weights: bool = False) -> list[Variant]:
    sw = "sample_weight=w" if weighted else ""
    average = _args("t, p", sw, kwargs, "multioutput=ow" if output_weights else 'multioutput="uniform_average"')
    raw = _args("t, p", sw, kwargs, 'multioutput="raw_values"')
    return [
        Variant(f"sklearn.metrics.{fn}({average})", "all", "sum"),
        Variant(f"sklearn.metrics.{fn}({raw})", None, "sum", "per-output values, shape (C,)"),
    ]


def _optax(expression: str, per_sample: bool) -> list[Variant]:
    return [
        Variant(f"{expression}.mean()", "samples" if per_sample else "all", None),
        Variant(f"{expression}.sum()", "none", None),
    ]


def _numpy(element: str, weighted: bool, per_sample_sum: bool = False, root: bool = False) -> list[Variant]:
    """np.mean of the element terms (or of their per-sample sums), and np.sum."""
    if per_sample_sum:
        rows = f"np.sum({element}, axis=1)"
        if weighted:
            return [
                Variant(f"np.average({rows}, weights=w)", "samples", "sum"),
                Variant(f"np.sum(w * {rows})", "none", "sum"),
            ]
        return [Variant(f"np.mean({rows})", "samples", None), Variant(f"np.sum({element})", "none", None)]
    if weighted:
        mean = f"np.average({element}, weights=w[:, None] * np.ones_like(p))"
        total = f"np.sum(w[:, None] * ({element}))"
        divisor = "sum"
    else:
        mean, total, divisor = f"np.mean({element})", f"np.sum({element})", None
    if root:
        return [Variant(f"np.sqrt({mean})", "all", divisor)]
    return [Variant(mean, "all", divisor), Variant(total, "none", divisor)]


def _convention(
    framework: str,
    user: Mapping[str, object],
    constants: tuple[Constant, ...],
    variants: list[Variant],
    dtype: str | None = None,
    **fixed: object,
) -> Convention:
    """``dtype``: the precision of the call; Keras's default is float32 (floatx), every other's the
    inputs' float64 unless the call casts (torchmetrics' cosine_similarity calls .float())."""
    options = dict(user)
    options.update(fixed)
    for constant in constants:
        options[constant.option] = constant.value
    dtype = dtype or ("float32" if framework == "keras" else "float64")
    return Convention(framework, options, constants, variants[0], tuple(variants), dtype)


# --- the constants, one Constant each ----------------------------------------------------------


def _c(option: str, value: object, why: str) -> Constant:
    return Constant(option, value, why)


BCE_TORCH = (
    _c("eps", 0.0, "no clip of p: PyTorch BCELoss takes p as it is"),
    _c("log_floor", TORCH_LOG_FLOOR, "each log clamped at -100: PyTorch BCELoss"),
    _c("log1p", True, "log(1 - p) as log1p(-p): PyTorch BCELoss"),
)
BCE_KERAS = (
    _c("eps", KERAS_EPSILON, "p clipped to [1e-07, 1 - 1e-07]: Keras's epsilon (keras.config.epsilon())"),
    _c("log_floor", TORCH_LOG_FLOOR, "then PyTorch's binary_cross_entropy (its -100 floor is inactive after the clip)"),
    _c("log1p", True, "log(1 - p) as log1p(-p): PyTorch's binary_cross_entropy under Keras"),
)
BCE_SKLEARN = (
    _c(
        "eps",
        SKLEARN_EPS,
        "p and 1 - p clipped to [eps, 1 - eps], eps = np.finfo(float64).eps = 2.22e-16: scikit-learn log_loss",
    ),
    _c("log_floor", None, "no log floor: scikit-learn log_loss (its clip keeps the logs finite)"),
    _c("log1p", False, "log of the clipped 1 - p: scikit-learn stacks [1 - p, p] and clips both columns"),
)
BCE_NUMPY = (
    _c("eps", 0.0, "no clip: the textbook formula"),
    _c("log_floor", None, "no floor: log(0) = -inf and 0 * -inf = nan, as NumPy computes"),
    _c("log1p", False, "np.log(1 - p)"),
)
MASKED_NAN = _c("masked_logits", "nan", "a -inf logit (a masked class) gives 0 x -inf = nan where its target is 0")
MASKED_ZERO = _c("masked_logits", "zero", "a -inf logit (a masked class) adds 0 where its target is 0")
LOGITS_TORCH_CE = _c(
    "from_logits", True, "torch.nn.CrossEntropyLoss always applies log_softmax: probabilities are taken as logits"
)
LOGITS_OPTAX_SOFTMAX = _c(
    "from_logits", True, "optax's softmax cross-entropy applies log_softmax: probabilities are taken as logits"
)
LOGITS_OPTAX_SIGMOID = _c(
    "from_logits", True, "optax's sigmoid losses apply log_sigmoid: probabilities are taken as logits"
)
CCE_KERAS = (
    _c("eps", KERAS_EPSILON, "q clipped to [1e-07, 1 - 1e-07]: Keras's epsilon (a Python float: exact in float64)"),
    _c("normalize", True, "each row of p divided by its sum first: Keras"),
)
CCE_SKLEARN = (
    _c(
        "eps", SKLEARN_EPS, "p clipped to [eps, 1 - eps], eps = np.finfo(float64).eps = 2.22e-16: scikit-learn log_loss"
    ),
    _c("normalize", False, "rows not renormalised: scikit-learn log_loss only warns when they do not sum to 1"),
)
CCE_NUMPY = (
    _c("eps", 0.0, "no clip: log(0) = -inf, and 0 * -inf = nan"),
    _c("normalize", False, "rows taken as they are"),
)
HINGE_LABELS = {
    "keras": _c("label_map", "keras", "targets all in {0, 1} become 2 t - 1: Keras"),
    "sklearn": _c(
        "label_map",
        "sklearn",
        "LabelBinarizer(neg_label=-1): the greater of the distinct targets is +1, the rest -1 (one distinct "
        "value: all -1): scikit-learn hinge_loss",
    ),
    "as_given": _c("label_map", "as_given", "targets used as given (must be -1 or 1; a 0 target gives 1)"),
}


# --- per loss: one builder each -----------------------------------------------------------------


class Call:
    """What a builder knows of the call it describes: the resolved options, whether there are sample
    weights, the number of outputs C, whether the targets are class labels; and ``add``, which records
    a framework's convention (the user's options, the framework's fixed values, its constants)."""

    def __init__(self, loss: str, options: Mapping[str, object], weighted: bool, C: int, labels: bool, output_weights):
        self.loss, self.o, self.weighted, self.C, self.labels = loss, options, weighted, C, labels
        self.output_weights = output_weights  # scikit-learn's multioutput=ow: only its calls take them
        self.found: list[Convention] = []

    def add(self, framework: str, variants: list[Variant], constants: tuple[Constant, ...] = (), **fixed) -> None:
        self.found.append(_convention(framework, self.o, constants, variants, **fixed))

    @property
    def unweighted(self) -> bool:
        return not self.weighted

    # PyTorch's modules, optax's and torchmetrics' functions take no sample weights
    torch_ok = optax_ok = tm_ok = unweighted

    @property
    def logits(self) -> bool:
        return bool(self.o.get("from_logits"))

    @property
    def a(self) -> float:
        """The label smoothing."""
        return float(self.o.get("label_smoothing", 0.0) or 0.0)  # type: ignore[arg-type]

    @property
    def pos_weight(self) -> bool:
        return _given(self.o, "pos_weight")

    @property
    def class_weights(self) -> bool:
        return _given(self.o, "class_weights")

    @property
    def ignore(self):
        return self.o.get("ignore_index")

    @property
    def sw(self) -> str:
        return ", sample_weight=w" if self.weighted else ""

    @property
    def classes(self) -> str:
        return f"np.arange({self.C})"


Builder = Callable[[Call], None]
BUILDERS: dict[str, Builder] = {}


def builds(*losses: str) -> Callable[[Builder], Builder]:
    """Register the builder of these losses' conventions in BUILDERS."""

    def register(builder: Builder) -> Builder:
        for loss in losses:
            assert loss not in BUILDERS, f"two builders for {loss}"
            BUILDERS[loss] = builder
        return builder

    return register


@builds("mse")
def _mse(c: Call) -> None:
    weighted, add, torch_ok, optax_ok, tm_ok, output_weights = (
        c.weighted,
        c.add,
        c.torch_ok,
        c.optax_ok,
        c.tm_ok,
        c.output_weights,
    )
    if torch_ok:
        add("torch", _torch("MSELoss", "", "p, t", _TORCH_ELEMENTS, "(N, C)"))
    add("keras", _keras("MeanSquaredError", "", "t, p", True, weighted))
    add("sklearn", _sklearn_multioutput("mean_squared_error", "", weighted, output_weights))
    if optax_ok:
        add("optax", _optax("optax.losses.squared_error(p, t)", False))
    if tm_ok:
        add("torchmetrics", [Variant("torchmetrics.functional.mean_squared_error(p, t)", "all", None)])
    add("numpy", _numpy("(p - t) ** 2", weighted))


@builds("rmse")
def _rmse(c: Call) -> None:
    weighted, add, tm_ok, output_weights = c.weighted, c.add, c.tm_ok, c.output_weights
    averages_roots = _c(
        "per_output_root", True, 'scikit-learn\'s multioutput="uniform_average" averages per-output roots'
    )
    add("sklearn", _sklearn_multioutput("root_mean_squared_error", "", weighted, output_weights), (averages_roots,))
    if tm_ok:
        flattens = _c(
            "per_output_root", False, "torchmetrics flattens the outputs: the root of the mean of every element"
        )
        add(
            "torchmetrics",
            [Variant("torchmetrics.functional.mean_squared_error(p, t, squared=False)", "all", None)],
            (flattens,),
        )
    root_of_all = _c("per_output_root", False, "the root of the mean of every element")
    add("numpy", _numpy("(p - t) ** 2", weighted, root=True), (root_of_all,))


@builds("mae")
def _mae(c: Call) -> None:
    weighted, add, torch_ok, tm_ok, output_weights = c.weighted, c.add, c.torch_ok, c.tm_ok, c.output_weights
    if torch_ok:
        add("torch", _torch("L1Loss", "", "p, t", _TORCH_ELEMENTS, "(N, C)"))
    add("keras", _keras("MeanAbsoluteError", "", "t, p", True, weighted))
    add("sklearn", _sklearn_multioutput("mean_absolute_error", "", weighted, output_weights))
    if tm_ok:
        add("torchmetrics", [Variant("torchmetrics.functional.mean_absolute_error(p, t)", "all", None)])
    add("numpy", _numpy("np.abs(p - t)", weighted))


@builds("l2")
def _l2(c: Call) -> None:
    weighted, add, optax_ok = c.weighted, c.add, c.optax_ok
    if optax_ok:
        add("optax", _optax("optax.losses.l2_loss(p, t)", False))
    add("numpy", _numpy("0.5 * (p - t) ** 2", weighted))


@builds("huber")
def _huber(c: Call) -> None:
    o, weighted, add, torch_ok, optax_ok = c.o, c.weighted, c.add, c.torch_ok, c.optax_ok
    delta = _num(o.get("delta", 1.0))
    if torch_ok:
        add("torch", _torch("HuberLoss", f"delta={delta}", "p, t", _TORCH_ELEMENTS, "(N, C)"))
    add("keras", _keras("Huber", f"delta={delta}", "t, p", True, weighted))
    if optax_ok:
        add("optax", _optax(f"optax.losses.huber_loss(p, t, delta={delta})", False))
    d = "np.abs(p - t)"
    add("numpy", _numpy(f"np.where({d} <= {delta}, 0.5 * (p - t) ** 2, {delta} * ({d} - 0.5 * {delta}))", weighted))


@builds("smooth_l1")
def _smooth_l1(c: Call) -> None:
    o, weighted, add, torch_ok = c.o, c.weighted, c.add, c.torch_ok
    beta = _num(o.get("beta", 1.0))
    if torch_ok:
        add("torch", _torch("SmoothL1Loss", f"beta={beta}", "p, t", _TORCH_ELEMENTS, "(N, C)"))
    if float(o.get("beta", 1.0)) == 0.0:  # type: ignore[arg-type]
        add("numpy", _numpy("np.abs(p - t)", weighted))
    else:
        d = "np.abs(p - t)"
        add("numpy", _numpy(f"np.where({d} < {beta}, 0.5 * (p - t) ** 2 / {beta}, {d} - 0.5 * {beta})", weighted))


@builds("log_cosh")
def _log_cosh(c: Call) -> None:
    weighted, C, add, optax_ok, tm_ok = c.weighted, c.C, c.add, c.optax_ok, c.tm_ok
    add(
        "keras",
        _keras("LogCosh", "", "t, p", True, weighted),
        (
            _c(
                "form",
                "keras",
                "d + softplus(-2 d) - log 2 with log 2 computed in float32 (0.6931471824645996): Keras LogCosh",
            ),
        ),
    )
    if optax_ok:
        add(
            "optax",
            _optax("optax.losses.log_cosh(p, t)", False),
            (_c("form", "optax", "logaddexp(d, -d) - log 2: optax"),),
        )
    if tm_ok:
        raw = "torchmetrics.functional.log_cosh_error(p, t)"
        if C == 1:
            tm = [Variant(raw, "all", None)]
        else:  # one value per output: their mean is the number
            tm = [Variant(f"{raw}.mean()", "all", None), Variant(raw, None, None, "per-output means, shape (C,)")]
        add(
            "torchmetrics",
            tm,
            (_c("form", "torchmetrics", "log((exp(d) + exp(-d)) / 2): torchmetrics (inf for |d| > 709.78)"),),
        )
    add(
        "numpy",
        _numpy("np.log(np.cosh(p - t))", weighted),
        (_c("form", "numpy", "np.log(np.cosh(d)) (inf for |d| > 710.47)"),),
    )


@builds("mape")
def _mape(c: Call) -> None:
    o, weighted, add, tm_ok, output_weights = c.o, c.weighted, c.add, c.tm_ok, c.output_weights
    fraction = bool(o.get("fraction"))
    add(
        "keras",
        _keras("MeanAbsolutePercentageError", "", "t, p", True, weighted),
        (
            _c("fraction", False, "Keras gives percent (x 100)"),
            _c("eps", KERAS_EPSILON, "|t| floored at 1e-07: Keras's epsilon"),
        ),
    )
    add(
        "sklearn",
        _sklearn_multioutput("mean_absolute_percentage_error", "", weighted, output_weights),
        (
            _c("fraction", True, "scikit-learn gives a fraction"),
            _c("eps", SKLEARN_EPS, "|t| floored at np.finfo(float64).eps = 2.22e-16: scikit-learn"),
        ),
    )
    if tm_ok:
        add(
            "torchmetrics",
            [Variant("torchmetrics.functional.mean_absolute_percentage_error(p, t)", "all", None)],
            (
                _c("fraction", True, "torchmetrics gives a fraction"),
                _c("eps", TORCHMETRICS_EPS, "|t| floored at 1.17e-06: torchmetrics"),
            ),
        )
    scale = "" if fraction else "100 * "
    add(
        "numpy",
        _numpy(f"{scale}np.abs((t - p) / t)", weighted),
        (_c("eps", 0.0, "no floor: t = 0 gives inf or nan"),),
    )


@builds("smape")
def _smape(c: Call) -> None:
    weighted, add, tm_ok = c.weighted, c.add, c.tm_ok
    if tm_ok:
        add(
            "torchmetrics",
            [Variant("torchmetrics.functional.symmetric_mean_absolute_percentage_error(p, t)", "all", None)],
            (_c("eps", TORCHMETRICS_EPS, "|t| + |p| floored at 1.17e-06: torchmetrics"),),
        )
    add(
        "numpy",
        _numpy("2 * np.abs(p - t) / (np.abs(t) + np.abs(p))", weighted),
        (_c("eps", 0.0, "no floor: p = t = 0 gives nan"),),
    )


@builds("wmape")
def _wmape(c: Call) -> None:
    weighted, add, tm_ok = c.weighted, c.add, c.tm_ok
    if tm_ok:
        add(
            "torchmetrics",
            [Variant("torchmetrics.functional.weighted_mean_absolute_percentage_error(p, t)", "all", None)],
            (_c("eps", TORCHMETRICS_EPS, "sum |t| floored at 1.17e-06: torchmetrics"),),
        )
    if not weighted:
        add(
            "numpy",
            [Variant("np.sum(np.abs(p - t)) / np.sum(np.abs(t))", "all", None)],
            (_c("eps", 0.0, "no floor"),),
        )


@builds("msle", "rmsle")
def _msle_family(c: Call) -> None:
    weighted, add, tm_ok, output_weights, loss = c.weighted, c.add, c.tm_ok, c.output_weights, c.loss
    if loss == "msle":
        add(
            "keras",
            _keras("MeanSquaredLogarithmicError", "", "t, p", True, weighted),
            (
                _c(
                    "eps",
                    KERAS_EPSILON_F32,
                    "p and t floored at float32(1e-07) before log(x + 1): Keras (all in float32)",
                ),
            ),
        )
        add(
            "sklearn",
            _sklearn_multioutput("mean_squared_log_error", "", weighted, output_weights),
            (_c("eps", 0.0, "no floor"),),
        )
        if tm_ok:
            add(
                "torchmetrics",
                [Variant("torchmetrics.functional.mean_squared_log_error(p, t)", "all", None)],
                (_c("eps", 0.0, "no floor"),),
            )
        add("numpy", _numpy("(np.log1p(p) - np.log1p(t)) ** 2", weighted), (_c("eps", 0.0, "no floor"),))
    else:
        add(
            "sklearn",
            _sklearn_multioutput("root_mean_squared_log_error", "", weighted, output_weights),
            (
                _c(
                    "per_output_root",
                    True,
                    'scikit-learn\'s multioutput="uniform_average" averages per-output roots',
                ),
            ),
        )
        add(
            "numpy",
            _numpy("(np.log1p(p) - np.log1p(t)) ** 2", weighted, root=True),
            (_c("per_output_root", False, "the root of the mean of every element"),),
        )


@builds("pinball")
def _pinball(c: Call) -> None:
    o, weighted, add, output_weights = c.o, c.weighted, c.add, c.output_weights
    q = _num(o.get("quantile", 0.5))
    add("sklearn", _sklearn_multioutput("mean_pinball_loss", f"alpha={q}", weighted, output_weights))
    add("numpy", _numpy(f"np.maximum({q} * (t - p), ({q} - 1) * (t - p))", weighted))


@builds("poisson")
def _poisson(c: Call) -> None:
    weighted, add, torch_ok = c.weighted, c.add, c.torch_ok
    if torch_ok:
        add(
            "torch",
            _torch("PoissonNLLLoss", "log_input=False", "p, t", _TORCH_ELEMENTS, "(N, C)"),
            (_c("eps", TORCH_POISSON_EPS, "p + 1e-08 inside the log: PoissonNLLLoss's eps"),),
        )
    add(
        "keras",
        _keras("Poisson", "", "t, p", True, weighted),
        (_c("eps", KERAS_EPSILON, "p + 1e-07 inside the log: Keras's epsilon"),),
    )
    add("numpy", _numpy("p - t * np.log(p)", weighted), (_c("eps", 0.0, "no epsilon: p = 0 gives -inf or nan"),))


@builds("poisson_nll")
def _poisson_nll(c: Call) -> None:
    o, weighted, add, torch_ok = c.o, c.weighted, c.add, c.torch_ok
    log_input, full = bool(o.get("log_input", True)), bool(o.get("full"))
    eps = _num(o.get("eps", 1e-8))
    if torch_ok:
        kwargs = f"log_input={log_input}, full={full}, eps={eps}"
        add("torch", _torch("PoissonNLLLoss", kwargs, "p, t", _TORCH_ELEMENTS, "(N, C)"))
    if not log_input and not full:
        add(
            "keras",
            _keras("Poisson", "", "t, p", True, weighted),
            (_c("eps", KERAS_EPSILON, "p + 1e-07 inside the log: Keras's epsilon"),),
        )


@builds("poisson_deviance", "gamma_deviance", "tweedie_deviance")
def _poisson_deviance_family(c: Call) -> None:
    o, weighted, C, add, tm_ok, sw, loss = c.o, c.weighted, c.C, c.add, c.tm_ok, c.sw, c.loss
    power = {"poisson_deviance": 1.0, "gamma_deviance": 2.0}.get(loss, o.get("power", 0.0))
    if C == 1:
        sw = ", sample_weight=w" if weighted else ""
        extra = f", power={_num(power)}" if loss == "tweedie_deviance" else ""
        add("sklearn", [Variant(f"sklearn.metrics.mean_{loss}(t.ravel(), p.ravel(){sw}{extra})", "all", "sum")])
    if tm_ok:
        add(
            "torchmetrics",
            [Variant(f"torchmetrics.functional.tweedie_deviance_score(p, t, power={_num(float(power))})", "all", None)],  # type: ignore[arg-type]
        )


@builds("gaussian_nll")
def _gaussian_nll(c: Call) -> None:
    o, add, torch_ok = c.o, c.add, c.torch_ok
    if torch_ok:
        kwargs = f"full={bool(o.get('full'))}, eps={_num(o.get('eps', 1e-6))}"
        add("torch", _torch("GaussianNLLLoss", kwargs, "p, t, var", _TORCH_ELEMENTS, "(N, C)"))


@builds("bce")
def _bce(c: Call) -> None:
    weighted, C, add, unweighted, logits, a, pos_weight, sw = (
        c.weighted,
        c.C,
        c.add,
        c.unweighted,
        c.logits,
        c.a,
        c.pos_weight,
        c.sw,
    )
    target = f"t * (1 - {_num(a)}) + {_num(a)} / 2" if a else "t"
    if unweighted:
        if logits:
            kwargs = "pos_weight=pw" if pos_weight else ""
            note = "targets smoothed by hand, t (1 - a) + a / 2: PyTorch has no label_smoothing for BCE" if a else ""
            vs = _torch("BCEWithLogitsLoss", kwargs, f"p, {target}", _TORCH_ELEMENTS, "(N, C)")
            vs[0] = vs[0]._replace(note=note)
            add("torch", vs)
        else:
            vs = _torch("BCELoss", "", f"p, {target}", _TORCH_ELEMENTS, "(N, C)")
            if a:
                vs[0] = vs[0]._replace(
                    note="targets smoothed by hand, t (1 - a) + a / 2: PyTorch has no label_smoothing for BCE"
                )
            add("torch", vs, BCE_TORCH)
    if not pos_weight:
        kwargs = _args("from_logits=True" if logits else "", f"label_smoothing={_num(a)}" if a else "")
        add("keras", _keras("BinaryCrossentropy", kwargs, "t, p", True, weighted), () if logits else BCE_KERAS)
    if not logits and not a and not pos_weight and C == 1:
        sw = ", sample_weight=w" if weighted else ""
        add(
            "sklearn",
            [
                Variant(f"sklearn.metrics.log_loss(t.ravel(), p.ravel(){sw}, labels=[0, 1])", "all", "sum"),
                Variant(
                    f"sklearn.metrics.log_loss(t.ravel(), p.ravel(){sw}, normalize=False, labels=[0, 1])",
                    "none",
                    "sum",
                ),
            ],
            BCE_SKLEARN,
        )
    if unweighted and not a and not pos_weight:
        add(
            "optax",
            _optax("optax.losses.sigmoid_binary_cross_entropy(p, t)", False),
            () if logits else (LOGITS_OPTAX_SIGMOID,),
        )
    if not logits and not a:
        add("numpy", _numpy("-(t * np.log(p) + (1 - t) * np.log(1 - p))", weighted), BCE_NUMPY)


@builds("focal")
def _focal(c: Call) -> None:
    o, weighted, add, unweighted, logits, a = c.o, c.weighted, c.add, c.unweighted, c.logits, c.a
    alpha = o.get("alpha")
    gamma = _num(o.get("gamma", 2.0))
    kwargs = _args(
        f"apply_class_balancing=True, alpha={_num(alpha)}" if alpha is not None else "",
        f"gamma={gamma}",
        "from_logits=True" if logits else "",
        f"label_smoothing={_num(a)}" if a else "",
    )
    add(
        "keras",
        _keras("BinaryFocalCrossentropy", kwargs, "t, p", True, weighted),
        (
            _c(
                "eps",
                KERAS_EPSILON,
                "the probability clipped to [1e-07, 1 - 1e-07] inside the cross-entropy: Keras",
            ),
        ),
    )
    if unweighted and not a:
        akw = f", alpha={_num(alpha)}" if alpha is not None else ""
        constants: tuple[Constant, ...] = (_c("eps", 0.0, "no clip: optax computes from logits in log space"),)
        if not logits:
            constants = (LOGITS_OPTAX_SIGMOID, *constants)
        add("optax", _optax(f"optax.losses.sigmoid_focal_loss(p, t{akw}, gamma={gamma})", False), constants)


@builds("hinge", "squared_hinge")
def _hinge_family(c: Call) -> None:
    weighted, C, labels, add, unweighted, logits, sw, loss = (
        c.weighted,
        c.C,
        c.labels,
        c.add,
        c.unweighted,
        c.logits,
        c.sw,
        c.loss,
    )
    keras_cls = "Hinge" if loss == "hinge" else "SquaredHinge"
    squared = "" if loss == "hinge" else ", squared=True"
    if unweighted:  # torchmetrics: 0/1 targets, or class labels (one-vs-all), a sigmoid of scores
        constants: tuple[Constant, ...] = (HINGE_LABELS["keras"],)
        if labels:
            call = f"multiclass_hinge_loss(p, y, num_classes={C}{squared}, multiclass_mode='one-vs-all')"
            tm = [
                Variant(f"torchmetrics.functional.classification.{call}.mean()", "all", None),
                Variant(f"torchmetrics.functional.classification.{call}", None, None, "per-class values, (C,)"),
            ]
            softmax = _c("logits_to", "softmax", "scores outside [0, 1] become probabilities by a softmax per row")
            constants = (*constants, softmax)
        else:
            tm = [Variant(f"torchmetrics.functional.classification.binary_hinge_loss(p, t{squared})", "all", None)]
        add("torchmetrics", tm, constants)
    if not logits and not labels:
        add("keras", _keras(keras_cls, "", "t, p", True, weighted), (HINGE_LABELS["keras"],))
        if loss == "hinge":
            if C == 1:
                sw = ", sample_weight=w" if weighted else ""
                add(
                    "sklearn",
                    [Variant(f"sklearn.metrics.hinge_loss(t.ravel(), p.ravel(){sw})", "all", "sum")],
                    (HINGE_LABELS["sklearn"],),
                )
            if unweighted:
                add("optax", _optax("optax.losses.hinge_loss(p, t)", False), (HINGE_LABELS["as_given"],))
        square = "" if loss == "hinge" else " ** 2"
        add("numpy", _numpy(f"np.maximum(0, 1 - t * p){square}", weighted), (HINGE_LABELS["as_given"],))


@builds("soft_margin")
def _soft_margin(c: Call) -> None:
    add, unweighted = c.add, c.unweighted
    if unweighted:
        add("torch", _torch("SoftMarginLoss", "", "p, t", _TORCH_ELEMENTS, "(N, C)"))


@builds("hinge_embedding")
def _hinge_embedding(c: Call) -> None:
    o, add, unweighted = c.o, c.add, c.unweighted
    if unweighted:
        add(
            "torch",
            _torch("HingeEmbeddingLoss", f"margin={_num(o.get('margin', 1.0))}", "p, t", _TORCH_ELEMENTS, "(N, C)"),
        )


@builds("multilabel_soft_margin")
def _multilabel_soft_margin(c: Call) -> None:
    o, add, unweighted = c.o, c.add, c.unweighted
    if unweighted:
        kwargs = "weight=cw" if _given(o, "class_weights") else ""
        add(
            "torch", _torch("MultiLabelSoftMarginLoss", kwargs, "p, t", _TORCH_OUTPUT_MEANS, "(N,), each sample's mean")
        )


@builds("cce")
def _cce(c: Call) -> None:
    weighted, add, unweighted, logits, a, class_weights, sw, classes = (
        c.weighted,
        c.add,
        c.unweighted,
        c.logits,
        c.a,
        c.class_weights,
        c.sw,
        c.classes,
    )
    if unweighted:
        kwargs = _args("weight=cw" if class_weights else "", f"label_smoothing={_num(a)}" if a else "")
        vs = _torch("CrossEntropyLoss", kwargs, "p, t", _TORCH_SAMPLES, "(N,)")
        if class_weights:  # probability targets: each class's terms weighted, the mean still over N
            vs[0] = vs[0]._replace(note="divides by N: the class weights of probability targets")
        add("torch", vs, (MASKED_NAN,) if logits else (LOGITS_TORCH_CE, MASKED_NAN))
    if not class_weights:  # no other framework weighs the classes of probability targets
        kwargs = _args("from_logits=True" if logits else "", f"label_smoothing={_num(a)}" if a else "")
        keras = (MASKED_NAN,) if logits else CCE_KERAS
        add("keras", _keras("CategoricalCrossentropy", kwargs, "t, p", False, weighted), keras)
    if not logits and not a and not class_weights:
        add(
            "sklearn",
            [
                Variant(
                    f"sklearn.metrics.log_loss(t.argmax(axis=1), p{sw}, labels={classes})",
                    "samples",
                    "sum",
                    "t must be one-hot: scikit-learn takes class labels",
                ),
                Variant(
                    f"sklearn.metrics.log_loss(t.argmax(axis=1), p{sw}, normalize=False, labels={classes})",
                    "none",
                    "sum",
                ),
            ],
            CCE_SKLEARN,
        )
    if unweighted and not class_weights:
        labels_text = f"optax.losses.smooth_labels(t, {_num(a)})" if a else "t"
        add(
            "optax",
            _optax(f"optax.losses.safe_softmax_cross_entropy(p, {labels_text})", True),
            (MASKED_ZERO,) if logits else (LOGITS_OPTAX_SOFTMAX, MASKED_ZERO),
        )
    if not logits and not a and not class_weights:
        add("numpy", _numpy("-t * np.log(p)", weighted, per_sample_sum=True), CCE_NUMPY)


@builds("sparse_cce")
def _sparse_cce(c: Call) -> None:
    weighted, add, unweighted, logits, a, class_weights, ignore, sw, classes = (
        c.weighted,
        c.add,
        c.unweighted,
        c.logits,
        c.a,
        c.class_weights,
        c.ignore,
        c.sw,
        c.classes,
    )
    if unweighted:
        kwargs = _args(
            "weight=cw" if class_weights else "",
            f"ignore_index={int(ignore)}" if ignore is not None else "",
            f"label_smoothing={_num(a)}" if a else "",
        )
        vs = _torch("CrossEntropyLoss", kwargs, "p, y", _TORCH_SAMPLES, "(N,)")
        if class_weights or ignore is not None:
            vs[0] = vs[0]._replace(note=_COUNTED[bool(class_weights)])
        add("torch", vs, () if logits else (LOGITS_TORCH_CE,))
    if not a and not class_weights:
        kwargs = _args(
            "from_logits=True" if logits else "", f"ignore_class={int(ignore)}" if ignore is not None else ""
        )
        vs = _keras("SparseCategoricalCrossentropy", kwargs, "y, p", False, weighted)
        if ignore is not None:  # ignore_class masks: "sum_over_batch_size" divides by the samples counted
            vs[0] = vs[0]._replace(note="divides by the number of counted samples")
        add("keras", vs, () if logits else CCE_KERAS)
    elif not a and unweighted and ignore is None:  # model.fit(class_weight=...): sample weights cw[y]
        kwargs = "from_logits=True" if logits else ""
        reduction = 'reduction="sum_over_batch_size"'
        call = f"keras.losses.SparseCategoricalCrossentropy({_args(kwargs, reduction)})(y, p, sample_weight=cw[y])"
        note = "fit(class_weight=...): each sample weighted by its class's weight, divided by N"
        add("keras", [Variant(call, "samples", "count", note)], () if logits else CCE_KERAS)
    if not logits and not a and not class_weights and ignore is None:
        add(
            "sklearn",
            [
                Variant(f"sklearn.metrics.log_loss(y, p{sw}, labels={classes})", "samples", "sum"),
                Variant(f"sklearn.metrics.log_loss(y, p{sw}, normalize=False, labels={classes})", "none", "sum"),
            ],
            CCE_SKLEARN,
        )
    if unweighted and not a and not class_weights and ignore is None:
        add(
            "optax",
            _optax("optax.losses.softmax_cross_entropy_with_integer_labels(p, y)", True),
            () if logits else (LOGITS_OPTAX_SOFTMAX,),
        )
    if not logits and not a and not class_weights and ignore is None:
        element = "-np.log(p[np.arange(len(y)), y])"
        if weighted:
            vs = [
                Variant(f"np.average({element}, weights=w)", "samples", "sum"),
                Variant(f"np.sum(w * {element})", "none", "sum"),
            ]
        else:
            vs = [Variant(f"np.mean({element})", "samples", None), Variant(f"np.sum({element})", "none", None)]
        add("numpy", vs, CCE_NUMPY)


@builds("nll")
def _nll(c: Call) -> None:
    add, unweighted, class_weights, ignore = c.add, c.unweighted, c.class_weights, c.ignore
    if unweighted:
        kwargs = _args(
            "weight=cw" if class_weights else "", f"ignore_index={int(ignore)}" if ignore is not None else ""
        )
        vs = _torch("NLLLoss", kwargs, "p, y", _TORCH_SAMPLES, "(N,)")
        if class_weights or ignore is not None:
            vs[0] = vs[0]._replace(note=_COUNTED[bool(class_weights)])
        add("torch", vs)


@builds("perplexity")
def _perplexity(c: Call) -> None:
    """torchmetrics' text Perplexity takes logits (N, T, V) and labels (N, T): the exponential of
    the token mean of the cross-entropy over the labels that are not ignore_index."""
    if c.unweighted and c.logits:
        kwargs = f"ignore_index={int(c.ignore)}" if c.ignore is not None else ""
        call = f"torchmetrics.text.Perplexity({kwargs})(p, y)"
        c.add("torchmetrics", [Variant(call, "samples", None, "exp of the mean over the valid tokens")])


@builds("kld")
def _kld(c: Call) -> None:
    o, weighted, add, unweighted = c.o, c.weighted, c.add, c.unweighted
    log_input, log_target = bool(o.get("log_input")), bool(o.get("log_target"))
    if log_input:
        if unweighted:
            kwargs = "log_target=True" if log_target else ""
            add("torch", _torch("KLDivLoss", kwargs, "p, t", _TORCH_KL, "(N, C)"))
            fn = "kl_divergence_with_log_targets" if log_target else "kl_divergence"
            add("optax", _optax(f"optax.losses.{fn}(p, t)", True))
            if log_target:
                add("torchmetrics", _torchmetrics_per_sample("kl_divergence(t, p, log_prob=True", ")"))
    else:
        add(
            "keras",
            _keras("KLDivergence", "", "t, p", False, weighted),
            (
                _c(
                    "eps",
                    KERAS_EPSILON_F32,
                    "t and p clipped to [float32(1e-07), 1] = [1.0000000116860974e-07, 1]: keras.ops.clip makes "
                    "its bound a float32 tensor",
                ),
                _c("normalize", False, "rows taken as they are: Keras"),
            ),
        )
        if unweighted:
            add(
                "torchmetrics",
                _torchmetrics_per_sample("kl_divergence(t, p", ")"),
                (
                    _c("eps", 0.0, "no clip; 0 where t = 0: torchmetrics"),
                    _c("normalize", True, "both rows divided by their sums: torchmetrics"),
                ),
            )


@builds("js")
def _js(c: Call) -> None:
    add, unweighted = c.add, c.unweighted
    if unweighted:
        add("torchmetrics", _torchmetrics_per_sample("regression.jensen_shannon_divergence(p, t", ")"))


@builds("categorical_focal")
def _categorical_focal(c: Call) -> None:
    o, weighted, add, logits, a = c.o, c.weighted, c.add, c.logits, c.a
    kwargs = _args(
        f"alpha={_num(o.get('alpha', 0.25))}",
        f"gamma={_num(o.get('gamma', 2.0))}",
        "from_logits=True" if logits else "",
        f"label_smoothing={_num(a)}" if a else "",
    )
    add(
        "keras",
        _keras("CategoricalFocalCrossentropy", kwargs, "t, p", False, weighted),
        (
            _c(
                "clip",
                (KERAS_EPSILON_F32, KERAS_ONE_MINUS_EPSILON_F32),
                "q clipped to [float32(1e-07), float32(1 - 1e-07)]: keras.ops.clip makes them float32 tensors",
            ),
        ),
    )


@builds("multi_margin")
def _multi_margin(c: Call) -> None:
    o, add, unweighted, class_weights = c.o, c.add, c.unweighted, c.class_weights
    if unweighted:
        kwargs = f"p={int(o.get('p', 1))}, margin={_num(o.get('margin', 1.0))}"  # type: ignore[call-overload]
        kwargs = _args(kwargs, "weight=cw" if class_weights else "")
        vs = _torch("MultiMarginLoss", kwargs, "p, y", _TORCH_SAMPLES, "(N,)")
        if class_weights:
            vs[0] = vs[0]._replace(note="each sample weighted by its label's class weight; divides by N")
        add("torch", vs)


@builds("brier")
def _brier(c: Call) -> None:
    o, weighted, C, labels, add, sw, classes = c.o, c.weighted, c.C, c.labels, c.add, c.sw, c.classes
    pos_label, half = o.get("pos_label"), o.get("scale_by_half")
    kwargs = _args(
        f"pos_label={_num(pos_label)}" if pos_label is not None else "",
        f"scale_by_half={half}" if half is not None else "",
    )
    if C == 1:
        call = f"sklearn.metrics.brier_score_loss(t.ravel(), p.ravel(){sw}{', ' + kwargs if kwargs else ''})"
        rule = _c(
            "label_map",
            "sklearn_pos",
            "of labels within {-1, 0, 1}, 1 is positive; of two others, the greater: scikit-learn's pos_label",
        )
        add("sklearn", [Variant(call, "all", "sum")], (rule,))
        if pos_label is None and half is None:
            add("numpy", _numpy("(p - t) ** 2", weighted))
    else:
        y = "y" if labels else "t.argmax(axis=1)"
        note = "halved for two columns" if C == 2 and half is None else ""
        call = f"sklearn.metrics.brier_score_loss({y}, p{sw}, labels={classes}{', ' + kwargs if kwargs else ''})"
        add("sklearn", [Variant(call, "all" if C == 2 and half is None else "samples", "sum", note)])
        if half is None:
            onehot = f"np.eye({C})[y]" if labels else "t"
            add("numpy", _numpy(f"(p - {onehot}) ** 2", weighted, per_sample_sum=True))


@builds("categorical_hinge")
def _categorical_hinge(c: Call) -> None:
    weighted, C, labels, add, unweighted, logits, sw, classes = (
        c.weighted,
        c.C,
        c.labels,
        c.add,
        c.unweighted,
        c.logits,
        c.sw,
        c.classes,
    )
    y = "y" if labels else "t.argmax(axis=1)"
    crammer_singer = "Crammer-Singer" if labels else "Crammer-Singer; t must be one-hot"
    if not logits and not labels:
        add(
            "keras",
            _keras("CategoricalHinge", "", "t, p", False, weighted),
            (_c("exclude_true", False, "Keras: max_j (1 - t_j) p_j"),),
        )
    if C >= 3 and not logits:
        add(
            "sklearn",
            [Variant(f"sklearn.metrics.hinge_loss({y}, p{sw}, labels={classes})", "samples", "sum", crammer_singer)],
            (_c("exclude_true", True, "scikit-learn: the max over the other classes only (Crammer-Singer)"),),
        )
    if unweighted and not logits:
        add(
            "optax",
            _optax(f"optax.losses.multiclass_hinge_loss(p, {y})", True),
            (_c("exclude_true", True, "optax: max_j (p_j + 1 - [j = y]) - p_y, the max over the other classes"),),
        )
    if unweighted:
        tm_y = "y" if labels else "t.argmax(axis=1)"
        call = f"torchmetrics.functional.classification.multiclass_hinge_loss(p, {tm_y}, num_classes={C})"
        add(
            "torchmetrics",
            [Variant(call, "samples", None, "Crammer-Singer")],
            (_c("exclude_true", True, "torchmetrics: the max over the other classes only (Crammer-Singer)"),),
        )


@builds("cosine_similarity")
def _cosine_similarity(c: Call) -> None:
    weighted, add, unweighted = c.weighted, c.add, c.unweighted
    add(
        "keras",
        _keras("CosineSimilarity", "", "t, p", False, weighted),
        (_c("eps", KERAS_EPSILON, "each norm floored at 1e-07: Keras"),),
    )
    if unweighted:
        similarity = _c("similarity", True, "the similarity itself: 1 is perfect (Keras's loss is its negative)")
        add(
            "optax",
            [
                Variant("optax.losses.cosine_similarity(p, t).mean()", "samples", None),
                Variant("optax.losses.cosine_similarity(p, t).sum()", "none", None),
            ],
            (_c("eps", 0.0, "no floor: optax's epsilon defaults to 0, a zero vector gives nan"), similarity),
        )
        add(
            "torchmetrics",
            _torchmetrics_cosine(),
            (_c("eps", 0.0, "no floor: a zero vector gives nan"), similarity),
            dtype="float32",  # torchmetrics' _cosine_similarity_update calls .float()
        )


@builds("cosine_distance")
def _cosine_distance(c: Call) -> None:
    add, unweighted = c.add, c.unweighted
    if unweighted:
        add(
            "torch",
            _torch("CosineEmbeddingLoss", "", "p, t, torch.ones(len(p), dtype=p.dtype)", _TORCH_SAMPLES, "(N,)"),
            (
                _c("eps", 0.0, "no norm floor"),
                _c("eps_squared", TORCH_COSINE_EPS2, "1e-12 added to each squared norm: PyTorch"),
            ),
        )
        add(
            "optax",
            _optax("optax.losses.cosine_distance(p, t)", True),
            (
                _c("eps", 0.0, "no floor: optax's epsilon defaults to 0, a zero vector gives nan"),
                _c("eps_squared", 0.0, "nothing added to the squared norms"),
            ),
        )


@builds("dice", "tversky")
def _dice_family(c: Call) -> None:
    o, weighted, add, loss = c.o, c.weighted, c.add, c.loss
    cls = "Dice" if loss == "dice" else "Tversky"
    kwargs = "" if loss == "dice" else f"alpha={_num(o.get('alpha', 0.5))}, beta={_num(o.get('beta', 0.5))}"
    any_numbers = _c("probabilities", False, "predictions and targets taken as they are, in [0, 1] or not: Keras")
    axis = o.get("axis")
    if axis in ("-1", "1"):
        add("keras", _keras(cls, _args(kwargs, f"axis={axis}"), "t, p", False, weighted), (any_numbers,))
    elif not weighted:  # Keras scales the one batch ratio by the mean sample weight: no weighted mean
        whole = _c("axis", "none", "one ratio over the whole batch: Keras's default axis=None")
        call = f"keras.losses.{cls}({kwargs})(t, p)"
        add("keras", [Variant(call, "all", None, "one ratio over the batch")], (whole, any_numbers))


_COUNTED = {
    True: "divides by the sum of the class weights of the samples counted",
    False: "divides by the number of samples counted",
}


def _torchmetrics_cosine() -> list[Variant]:
    """torchmetrics' cosine_similarity: its default reduction is a sum over the samples."""
    head = "torchmetrics.functional.cosine_similarity(p, t"
    return [
        Variant(f"{head})", "none", None, "the similarities summed: its default reduction"),
        Variant(f'{head}, reduction="mean")', "samples", None),
        Variant(f'{head}, reduction="none")', None, None, "per-sample values, shape (N,)"),
    ]


# --- issue 24 ------------------------------------------------------------------------------------


@builds("perceptron", "sparsemax")
def _optax_elements(c: Call) -> None:
    if c.optax_ok:
        c.add("optax", _optax(f"optax.losses.{c.loss}_loss(p, t)", False))
    if c.loss == "perceptron":
        c.add("numpy", _numpy("np.maximum(0, -t * p)", c.weighted))


@builds("hamming_loss", "zero_one_loss")
def _label_counts(c: Call) -> None:
    weighted, add, sw, C = c.weighted, c.add, c.sw, c.C
    inputs = "t.ravel(), p.ravel()" if C == 1 else "t, p"
    fn = c.loss
    if fn == "hamming_loss":
        add("sklearn", [Variant(f"sklearn.metrics.hamming_loss({inputs}{sw})", "all", "sum")])
        add("numpy", _numpy("(p != t) * 1.0", weighted))
    else:
        add(
            "sklearn",
            [
                Variant(f"sklearn.metrics.zero_one_loss({inputs}{sw})", "samples", "sum"),
                Variant(f"sklearn.metrics.zero_one_loss({inputs}, normalize=False{sw})", "none", "sum"),
            ],
        )
        add("numpy", _numpy("(p != t).any(axis=1, keepdims=True) * 1.0", weighted, per_sample_sum=True))


def _optax_labels(c: Call) -> str:
    """The class labels as optax takes them: y, or the argmax of one-hot targets."""
    return "y" if c.labels else "t.argmax(axis=1)"


@builds("poly_loss")
def _poly_loss(c: Call) -> None:
    o, add, optax_ok = c.o, c.add, c.optax_ok
    if optax_ok:
        targets = f"np.eye({c.C})[y]" if c.labels else "t"
        call = f"optax.losses.poly_loss_cross_entropy(p, {targets}, epsilon={_num(o.get('epsilon', 2.0))})"
        add("optax", _optax(call, True))


@builds("generalized_kld")
def _generalized_kld(c: Call) -> None:
    if c.optax_ok:
        c.add("optax", _optax("optax.losses.generalized_kl_divergence(p, t)", True))


@builds("generalized_cross_entropy")
def _generalized_cross_entropy(c: Call) -> None:
    o, weighted, add = c.o, c.weighted, c.add
    q = _num(o.get("q", 0.5))
    if c.labels:
        add("keras", _keras("CategoricalGeneralizedCrossEntropy", f"q={q}", "y, p", False, weighted))
    onehot = f"np.eye({c.C})[y]" if c.labels else "t"
    add("numpy", _numpy(f"(1 - np.sum(p * {onehot}, axis=1, keepdims=True) ** {q}) / {q}", weighted, True))


@builds("multiclass_perceptron", "multiclass_sparsemax")
def _multiclass_optax(c: Call) -> None:
    if c.optax_ok:
        c.add("optax", _optax(f"optax.losses.{c.loss}_loss(p, {_optax_labels(c)})", True))


@builds("squared_categorical_hinge")
def _squared_categorical_hinge(c: Call) -> None:
    if c.tm_ok:
        y = "y" if c.labels else "t.argmax(axis=1)"
        call = f"torchmetrics.functional.classification.multiclass_hinge_loss(p, {y}, num_classes={c.C}, squared=True)"
        note = "Crammer-Singer; scores outside [0, 1] are softmaxed first"
        c.add("torchmetrics", [Variant(call, "samples", None, note)])


@builds("multilabel_margin")
def _multilabel_margin(c: Call) -> None:
    if c.torch_ok:
        c.add("torch", _torch("MultiLabelMarginLoss", "", "p, t.long()", _TORCH_SAMPLES, "(N,)"))


@builds("label_ranking_loss", "coverage_error")
def _ranking(c: Call) -> None:
    add, sw, C = c.add, c.sw, c.C
    add("sklearn", [Variant(f"sklearn.metrics.{c.loss}(t, p{sw})", "samples", "sum")])
    if c.loss == "coverage_error" and c.tm_ok:
        call = f"torchmetrics.functional.classification.multilabel_coverage_error(p, t.long(), num_labels={C})"
        add("torchmetrics", [Variant(call, "samples", None)], dtype="float32")  # its sums are float32


def _torchmetrics_per_sample(head: str, tail: str) -> list[Variant]:
    return [
        Variant(f'torchmetrics.functional.{head}, reduction="mean"{tail}', "samples", None),
        Variant(f'torchmetrics.functional.{head}, reduction="sum"{tail}', "none", None),
        Variant(f'torchmetrics.functional.{head}, reduction="none"{tail}', None, None, "per-sample values, shape (N,)"),
    ]


@builds("minkowski")
def _minkowski(c: Call) -> None:
    p = _num(c.o["p"])
    if c.tm_ok:
        c.add("torchmetrics", [Variant(f"torchmetrics.functional.minkowski_distance(p, t, {p})", "none", None)])
    if not c.weighted:
        c.add("numpy", [Variant(f"np.sum(np.abs(p - t) ** {p}) ** (1 / {p})", "none", None)])


@builds("calibration_error")
def _calibration_error(c: Call) -> None:
    """torchmetrics' binary calibration error of one probability a sample; it takes no weights. Its
    edges are torch.linspace's (see core/order.py bin_edges)."""
    if c.weighted or c.C != 1:
        return
    bins, norm = c.o["bins"], c.o["norm"]
    call = (
        "torchmetrics.functional.classification.binary_calibration_error("
        f"p.ravel(), t.ravel().long(), n_bins={bins}, norm={norm!r})"
    )
    note = "sigmoided first, as torchmetrics does when a score is outside [0, 1]" if c.logits else ""
    c.add("torchmetrics", [Variant(call, "all", None, note)])


@builds("max_error", "median_absolute_error")
def _order_statistics(c: Call) -> None:
    """scikit-learn's max_error takes one output (1-D arrays); median_absolute_error any number, each
    output's median averaged. Neither takes weights here (losscli refuses them)."""
    if c.weighted:
        return
    if c.loss == "max_error":
        if c.C == 1:
            c.add("sklearn", [Variant("sklearn.metrics.max_error(t.ravel(), p.ravel())", "all", None)])
            c.add("numpy", [Variant("np.max(np.abs(p - t))", "all", None)])
        return
    inputs = "t.ravel(), p.ravel()" if c.C == 1 else "t, p"
    c.add("sklearn", [Variant(f"sklearn.metrics.median_absolute_error({inputs})", "all", None)])
    c.add("numpy", [Variant("np.mean(np.median(np.abs(p - t), axis=0))", "all", None)])


@builds("soft_dice", "binary_dice")
def _optax_dice(c: Call) -> None:
    """optax's Dice losses of (N, C) inputs. dice_loss with apply_softmax=False checks that each row of
    probabilities sums to 1: of one column (and so of binary_dice_loss's, which adds a channel axis of one)
    that holds only for p = 1, so optax is left out of probability inputs there."""
    o = c.o
    one_value_rows = c.loss == "binary_dice" or c.C == 1
    if not c.optax_ok or (not o["from_logits"] and one_value_rows):
        return
    smooth = f"smooth={_num(o['smooth'])}"
    if c.loss == "binary_dice":
        c.add("optax", _optax(f"optax.losses.binary_dice_loss(p, t, {smooth})", True))
        return
    weights = f"alpha={_num(o['alpha'])}, beta={_num(o['beta'])}"
    logits = "" if o["from_logits"] else ", apply_softmax=False"
    call = f"optax.losses.dice_loss(p, t, {smooth}, {weights}{logits})"
    # each sample's value is the mean over its classes: the batch mean is the mean over every element,
    # the batch sum the sum over samples of a mean over outputs
    c.add("optax", [Variant(f"{call}.mean()", "all", None), Variant(f"{call}.sum()", "outputs", None)])


def conventions(
    loss: str, options: Mapping[str, object], *, weighted: bool, n_outputs: int, labels: bool
) -> tuple[Convention, ...]:
    """Every framework's convention for ``loss`` with the resolved ``options``, in FRAMEWORKS order."""
    builder = BUILDERS.get(loss)
    if builder is None:
        return ()
    output_weights = _given(options, "output_weights")
    call = Call(loss, options, weighted, n_outputs, labels, output_weights)
    builder(call)
    found = call.found
    if output_weights:  # multioutput=[w1, ..., wC] is scikit-learn's alone
        found = [c for c in found if c.framework == "sklearn"]
    return tuple(sorted(found, key=lambda c: FRAMEWORKS.index(c.framework)))


def _probes(spec) -> list[tuple[dict, bool, int]]:
    """Options and inputs under which a loss's frameworks show: its defaults, each flag turned the
    other way, one output and three, class labels where it takes them."""
    defaults = {o.name: o.default for o in spec.options}
    defaults.update({o.name: 1.0 for o in spec.options if o.required})
    tries = [defaults]
    for o in spec.options:
        if o.kind == "flag" and not o.hidden:
            tries.append({**defaults, o.name: not o.default, **({o.requires: True} if o.requires else {})})
    kinds = {"same": (False,), "labels": (True,), "labels_or_same": (False, True)}[spec.targets]
    return [(t, labels, n) for t in tries for labels in kinds for n in (3, 1) if not (labels and n == 1)]


def default_calls(loss: str) -> dict[str, str]:
    """Each framework that has the loss with some options or inputs, with the call it makes then, in
    FRAMEWORKS order (the help lists them; --like's error names them)."""
    from .registry import get_loss

    if loss not in BUILDERS:
        return {}
    spec = get_loss(loss)
    calls: dict[str, str] = {}
    for options, labels, n_outputs in _probes(spec):
        found = conventions(
            spec.name, spec.resolve_options(options), weighted=False, n_outputs=n_outputs, labels=labels
        )
        for convention in found:
            calls.setdefault(convention.framework, convention.default.call)
    return {framework: calls[framework] for framework in FRAMEWORKS if framework in calls}


def frameworks_with(loss: str) -> tuple[str, ...]:
    """The frameworks that have ``loss`` with some options, in FRAMEWORKS order."""
    return tuple(default_calls(loss))


__all__ = [
    "FRAMEWORKS",
    "BUILDERS",
    "Constant",
    "Convention",
    "Variant",
    "conventions",
    "frameworks_with",
]
