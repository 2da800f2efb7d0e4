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
sample weights; ``cw`` the C class weights; ``ow`` the C output weights; ``pw`` the pos_weight; ``var`` the
variances. For torch, Keras and torchmetrics they are float64 torch tensors (``y``
int64); for scikit-learn and NumPy, NumPy arrays; for optax, float64 jax arrays
(``jax_enable_x64``). Keras is called with ``dtype="float64"`` added to the constructor
(the call text leaves it out): see ``KERAS_FLOAT32`` for what Keras still computes in
float32 then.

Rules:

- The framework's constants replace the user's values of the options they set (under
  ``--like keras`` a ``--eps`` the user gave is Keras's epsilon, 1e-7). The user's other
  options (delta, label smoothing, class weights, ...) are passed to the call.
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

This module imports nothing from losscli: it is data.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

FRAMEWORKS = ("torch", "keras", "sklearn", "optax", "torchmetrics", "numpy")

# --- the constants, as the frameworks hold them ----------------------------------------------

KERAS_EPSILON = 1e-7  # keras.config.epsilon(), a Python float: exact where torch ops take it
KERAS_EPSILON_F32 = 1.0000000116860974e-07  # float32(1e-7): where Keras makes it a float32 tensor first
KERAS_ONE_MINUS_EPSILON_F32 = 0.9999998807907104  # float32(1 - 1e-7)
KERAS_LOG2_F32 = 0.6931471824645996  # keras.ops.log(2.0) is computed in float32
SKLEARN_EPS = 2.220446049250313e-16  # np.finfo(np.float64).eps: log_loss clips to [eps, 1 - eps]
TORCH_LOG_FLOOR = -100.0  # BCELoss clamps each log at -100
TORCH_POISSON_EPS = 1e-8  # PoissonNLLLoss(eps=1e-8)
TORCH_COSINE_EPS2 = 1e-12  # CosineEmbeddingLoss adds 1e-12 to each squared norm
TORCHMETRICS_EPS = 1.17e-6  # MAPE, SMAPE, WMAPE floors

# Keras 3 on the torch backend, even with dtype="float64": keras.backend.result_type maps
# float64 to float32 (BIT64_TO_BIT32_DTYPE, "to be aligned with JAX"), so the ops that go
# through it compute in float32 and cast back: keras.ops.mean (the mean over the last
# axis of MSE, MAE, MAPE, MSLE, Huber, LogCosh, Hinge, SquaredHinge, Poisson, BCE and
# BinaryFocal: every reduction of these is float32), keras.ops.divide_no_nan (the
# division of "sum_over_batch_size" and "mean_with_sample_weight": float32 for every
# loss), keras.ops.maximum / minimum (CategoricalHinge, and CosineSimilarity's
# normalisation: every reduction float32). "sum" and reduction=None of CCE, sparse CCE,
# KLD, CategoricalFocal, Dice and Tversky are float64.
KERAS_FLOAT32 = (
    "keras.ops.mean, keras.ops.divide_no_nan, keras.ops.maximum and keras.ops.minimum compute float64 inputs "
    "in float32 on the torch backend (keras.backend.result_type maps float64 to float32)"
)


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


# --- per loss --------------------------------------------------------------------------------


def _regression(loss: str, o: Mapping[str, object], weighted: bool, C: int) -> list[Convention]:
    found = _regression_calls(loss, o, weighted, C)
    if not _given(o, "output_weights"):
        return found
    # multioutput=[w1, ..., wC] is scikit-learn's alone
    return [c for c in _regression_calls(loss, o, weighted, C, output_weights=True) if c.framework == "sklearn"]


def _regression_calls(  # noqa: C901
    loss: str, o: Mapping[str, object], weighted: bool, C: int, output_weights: bool = False
) -> list[Convention]:
    out: list[Convention] = []
    torch_ok = optax_ok = tm_ok = not weighted

    def add(framework: str, variants: list[Variant], constants: tuple[Constant, ...] = (), **fixed) -> None:
        out.append(_convention(framework, o, constants, variants, **fixed))

    if loss == "mse":
        if torch_ok:
            add("torch", _torch("MSELoss", "", "p, t", _TORCH_ELEMENTS, "(N, C)"))
        add("keras", _keras("MeanSquaredError", "", "t, p", True, weighted))
        add("sklearn", _sklearn_multioutput("mean_squared_error", "", weighted, output_weights))
        if optax_ok:
            add("optax", _optax("optax.losses.squared_error(p, t)", False))
        if tm_ok:
            add("torchmetrics", [Variant("torchmetrics.functional.mean_squared_error(p, t)", "all", None)])
        add("numpy", _numpy("(p - t) ** 2", weighted))
    elif loss == "rmse":
        out.append(
            _convention(
                "sklearn",
                o,
                (
                    _c(
                        "per_output_root",
                        True,
                        'scikit-learn\'s multioutput="uniform_average" averages per-output roots',
                    ),
                ),
                _sklearn_multioutput("root_mean_squared_error", "", weighted, output_weights),
            )
        )
        if tm_ok:
            out.append(
                _convention(
                    "torchmetrics",
                    o,
                    (
                        _c(
                            "per_output_root",
                            False,
                            "torchmetrics flattens the outputs: the root of the mean of every element",
                        ),
                    ),
                    [Variant("torchmetrics.functional.mean_squared_error(p, t, squared=False)", "all", None)],
                )
            )
        out.append(
            _convention(
                "numpy",
                o,
                (_c("per_output_root", False, "the root of the mean of every element"),),
                _numpy("(p - t) ** 2", weighted, root=True),
            )
        )
    elif loss == "mae":
        if torch_ok:
            add("torch", _torch("L1Loss", "", "p, t", _TORCH_ELEMENTS, "(N, C)"))
        add("keras", _keras("MeanAbsoluteError", "", "t, p", True, weighted))
        add("sklearn", _sklearn_multioutput("mean_absolute_error", "", weighted, output_weights))
        if tm_ok:
            add("torchmetrics", [Variant("torchmetrics.functional.mean_absolute_error(p, t)", "all", None)])
        add("numpy", _numpy("np.abs(p - t)", weighted))
    elif loss == "l2":
        if optax_ok:
            add("optax", _optax("optax.losses.l2_loss(p, t)", False))
        add("numpy", _numpy("0.5 * (p - t) ** 2", weighted))
    elif loss == "huber":
        delta = _num(o.get("delta", 1.0))
        if torch_ok:
            add("torch", _torch("HuberLoss", f"delta={delta}", "p, t", _TORCH_ELEMENTS, "(N, C)"))
        add("keras", _keras("Huber", f"delta={delta}", "t, p", True, weighted))
        if optax_ok:
            add("optax", _optax(f"optax.losses.huber_loss(p, t, delta={delta})", False))
        d = "np.abs(p - t)"
        add("numpy", _numpy(f"np.where({d} <= {delta}, 0.5 * (p - t) ** 2, {delta} * ({d} - 0.5 * {delta}))", weighted))
    elif loss == "smooth_l1":
        beta = _num(o.get("beta", 1.0))
        if torch_ok:
            add("torch", _torch("SmoothL1Loss", f"beta={beta}", "p, t", _TORCH_ELEMENTS, "(N, C)"))
        if float(o.get("beta", 1.0)) == 0.0:  # type: ignore[arg-type]
            add("numpy", _numpy("np.abs(p - t)", weighted))
        else:
            d = "np.abs(p - t)"
            add("numpy", _numpy(f"np.where({d} < {beta}, 0.5 * (p - t) ** 2 / {beta}, {d} - 0.5 * {beta})", weighted))
    elif loss == "log_cosh":
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
    elif loss == "mape":
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
    elif loss == "smape":
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
    elif loss == "wmape":
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
    elif loss in ("msle", "rmsle"):
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
    elif loss == "pinball":
        q = _num(o.get("quantile", 0.5))
        add("sklearn", _sklearn_multioutput("mean_pinball_loss", f"alpha={q}", weighted, output_weights))
        add("numpy", _numpy(f"np.maximum({q} * (t - p), ({q} - 1) * (t - p))", weighted))
    elif loss == "poisson":
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
    elif loss == "poisson_nll":
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
    elif loss in ("poisson_deviance", "gamma_deviance", "tweedie_deviance"):
        power = {"poisson_deviance": 1.0, "gamma_deviance": 2.0}.get(loss, o.get("power", 0.0))
        if C == 1:
            sw = ", sample_weight=w" if weighted else ""
            extra = f", power={_num(power)}" if loss == "tweedie_deviance" else ""
            add("sklearn", [Variant(f"sklearn.metrics.mean_{loss}(t.ravel(), p.ravel(){sw}{extra})", "all", "sum")])
        if tm_ok:
            add(
                "torchmetrics",
                [
                    Variant(
                        f"torchmetrics.functional.tweedie_deviance_score(p, t, power={_num(float(power))})", "all", None
                    )
                ],  # type: ignore[arg-type]
            )
    elif loss == "gaussian_nll" and torch_ok:
        kwargs = f"full={bool(o.get('full'))}, eps={_num(o.get('eps', 1e-6))}"
        add("torch", _torch("GaussianNLLLoss", kwargs, "p, t, var", _TORCH_ELEMENTS, "(N, C)"))
    return out


def _binary(loss: str, o: Mapping[str, object], weighted: bool, C: int, labels: bool) -> list[Convention]:  # noqa: C901
    out: list[Convention] = []
    unweighted = not weighted
    logits = bool(o.get("from_logits"))
    a = float(o.get("label_smoothing", 0.0) or 0.0)  # type: ignore[arg-type]
    pos_weight = _given(o, "pos_weight")

    def add(framework: str, variants: list[Variant], constants: tuple[Constant, ...] = (), **fixed) -> None:
        out.append(_convention(framework, o, constants, variants, **fixed))

    if loss == "bce":
        target = f"t * (1 - {_num(a)}) + {_num(a)} / 2" if a else "t"
        if unweighted:
            if logits:
                kwargs = "pos_weight=pw" if pos_weight else ""
                note = (
                    "targets smoothed by hand, t (1 - a) + a / 2: PyTorch has no label_smoothing for BCE" if a else ""
                )
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
    elif loss == "focal":
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
            constants = (_c("eps", 0.0, "no clip: optax computes from logits in log space"),)
            if not logits:
                constants = (LOGITS_OPTAX_SIGMOID, *constants)
            add("optax", _optax(f"optax.losses.sigmoid_focal_loss(p, t{akw}, gamma={gamma})", False), constants)
    elif loss in ("hinge", "squared_hinge"):
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
    elif loss == "soft_margin":
        if unweighted:
            add("torch", _torch("SoftMarginLoss", "", "p, t", _TORCH_ELEMENTS, "(N, C)"))
    elif loss == "hinge_embedding":
        if unweighted:
            add(
                "torch",
                _torch("HingeEmbeddingLoss", f"margin={_num(o.get('margin', 1.0))}", "p, t", _TORCH_ELEMENTS, "(N, C)"),
            )
    elif loss == "multilabel_soft_margin" and unweighted:
        kwargs = "weight=cw" if _given(o, "class_weights") else ""
        add(
            "torch", _torch("MultiLabelSoftMarginLoss", kwargs, "p, t", _TORCH_OUTPUT_MEANS, "(N,), each sample's mean")
        )
    return out


def _categorical(loss: str, o: Mapping[str, object], weighted: bool, C: int, labels: bool) -> list[Convention]:  # noqa: C901
    out: list[Convention] = []
    unweighted = not weighted
    logits = bool(o.get("from_logits"))
    a = float(o.get("label_smoothing", 0.0) or 0.0)  # type: ignore[arg-type]
    class_weights = _given(o, "class_weights")
    ignore = o.get("ignore_index")
    sw = ", sample_weight=w" if weighted else ""
    classes = f"np.arange({C})"

    def add(framework: str, variants: list[Variant], constants: tuple[Constant, ...] = (), **fixed) -> None:
        out.append(_convention(framework, o, constants, variants, **fixed))

    if loss == "cce":
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
    elif loss == "sparse_cce":
        if unweighted:
            kwargs = _args(
                "weight=cw" if class_weights else "",
                f"ignore_index={int(ignore)}" if ignore is not None else "",  # type: ignore[call-overload]
                f"label_smoothing={_num(a)}" if a else "",
            )
            vs = _torch("CrossEntropyLoss", kwargs, "p, y", _TORCH_SAMPLES, "(N,)")
            if class_weights or ignore is not None:
                vs[0] = vs[0]._replace(note=_COUNTED[bool(class_weights)])
            add("torch", vs, () if logits else (LOGITS_TORCH_CE,))
        if not a and not class_weights:
            kwargs = _args(
                "from_logits=True" if logits else "", f"ignore_class={int(ignore)}" if ignore is not None else ""
            )  # type: ignore[call-overload]
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
    elif loss == "nll":
        if unweighted:
            kwargs = _args(
                "weight=cw" if class_weights else "", f"ignore_index={int(ignore)}" if ignore is not None else ""
            )  # type: ignore[call-overload]
            vs = _torch("NLLLoss", kwargs, "p, y", _TORCH_SAMPLES, "(N,)")
            if class_weights or ignore is not None:
                vs[0] = vs[0]._replace(note=_COUNTED[bool(class_weights)])
            add("torch", vs)
    elif loss == "kld":
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
    elif loss == "js":
        if unweighted:
            add("torchmetrics", _torchmetrics_per_sample("regression.jensen_shannon_divergence(p, t", ")"))
    elif loss == "categorical_focal":
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
    elif loss == "multi_margin":
        if unweighted:
            kwargs = f"p={int(o.get('p', 1))}, margin={_num(o.get('margin', 1.0))}"  # type: ignore[call-overload]
            kwargs = _args(kwargs, "weight=cw" if class_weights else "")
            vs = _torch("MultiMarginLoss", kwargs, "p, y", _TORCH_SAMPLES, "(N,)")
            if class_weights:
                vs[0] = vs[0]._replace(note="each sample weighted by its label's class weight; divides by N")
            add("torch", vs)
    elif loss == "brier":
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
    elif loss == "categorical_hinge":
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
                [
                    Variant(
                        f"sklearn.metrics.hinge_loss({y}, p{sw}, labels={classes})", "samples", "sum", crammer_singer
                    )
                ],
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
    elif loss == "cosine_similarity":
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
    elif loss == "cosine_distance":
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
    elif loss in ("dice", "tversky"):
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
    return out


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


def _torchmetrics_per_sample(head: str, tail: str) -> list[Variant]:
    return [
        Variant(f'torchmetrics.functional.{head}, reduction="mean"{tail}', "samples", None),
        Variant(f'torchmetrics.functional.{head}, reduction="sum"{tail}', "none", None),
        Variant(f'torchmetrics.functional.{head}, reduction="none"{tail}', None, None, "per-sample values, shape (N,)"),
    ]


_REGRESSION = (
    "mse", "rmse", "mae", "l2", "huber", "smooth_l1", "log_cosh", "mape", "smape", "wmape", "msle", "rmsle",
    "pinball", "poisson", "poisson_nll", "poisson_deviance", "gamma_deviance", "tweedie_deviance", "gaussian_nll",
)  # fmt: skip
_BINARY = ("bce", "focal", "hinge", "squared_hinge", "soft_margin", "hinge_embedding", "multilabel_soft_margin")


def conventions(
    loss: str, options: Mapping[str, object], *, weighted: bool, n_outputs: int, labels: bool
) -> tuple[Convention, ...]:
    """Every framework's convention for ``loss`` with the resolved ``options``, in FRAMEWORKS order."""
    if loss in _REGRESSION:
        found = _regression(loss, options, weighted, n_outputs)
    elif loss in _BINARY:
        found = _binary(loss, options, weighted, n_outputs, labels)
    else:
        found = _categorical(loss, options, weighted, n_outputs, labels)
    return tuple(sorted(found, key=lambda c: FRAMEWORKS.index(c.framework)))


# Which frameworks have each loss with some options (for "--like X: X has no LOSS; ... have it").
FRAMEWORKS_WITH: dict[str, tuple[str, ...]] = {
    "mse": ("torch", "keras", "sklearn", "optax", "torchmetrics", "numpy"),
    "rmse": ("sklearn", "torchmetrics", "numpy"),
    "mae": ("torch", "keras", "sklearn", "torchmetrics", "numpy"),
    "l2": ("optax", "numpy"),
    "huber": ("torch", "keras", "optax", "numpy"),
    "smooth_l1": ("torch", "numpy"),
    "log_cosh": ("keras", "optax", "torchmetrics", "numpy"),
    "mape": ("keras", "sklearn", "torchmetrics", "numpy"),
    "smape": ("torchmetrics", "numpy"),
    "wmape": ("torchmetrics", "numpy"),
    "msle": ("keras", "sklearn", "torchmetrics", "numpy"),
    "rmsle": ("sklearn", "numpy"),
    "pinball": ("sklearn", "numpy"),
    "poisson": ("torch", "keras", "numpy"),
    "poisson_nll": ("torch", "keras"),
    "poisson_deviance": ("sklearn", "torchmetrics"),
    "gamma_deviance": ("sklearn", "torchmetrics"),
    "tweedie_deviance": ("sklearn", "torchmetrics"),
    "gaussian_nll": ("torch",),
    "bce": ("torch", "keras", "sklearn", "optax", "numpy"),
    "focal": ("keras", "optax"),
    "hinge": ("keras", "sklearn", "optax", "torchmetrics", "numpy"),
    "squared_hinge": ("keras", "torchmetrics", "numpy"),
    "soft_margin": ("torch",),
    "hinge_embedding": ("torch",),
    "multilabel_soft_margin": ("torch",),
    "cce": ("torch", "keras", "sklearn", "optax", "numpy"),
    "sparse_cce": ("torch", "keras", "sklearn", "optax", "numpy"),
    "nll": ("torch",),
    "kld": ("torch", "keras", "optax", "torchmetrics"),
    "js": ("torchmetrics",),
    "categorical_focal": ("keras",),
    "multi_margin": ("torch",),
    "brier": ("sklearn", "numpy"),
    "categorical_hinge": ("keras", "sklearn", "optax", "torchmetrics"),
    "cosine_similarity": ("keras", "optax", "torchmetrics"),
    "cosine_distance": ("torch", "optax"),
    "dice": ("keras",),
    "tversky": ("keras",),
}


def frameworks_with(loss: str) -> tuple[str, ...]:
    """The frameworks that have ``loss`` with some options, in FRAMEWORKS order."""
    return FRAMEWORKS_WITH.get(loss, ())


__all__ = [
    "FRAMEWORKS",
    "FRAMEWORKS_WITH",
    "Constant",
    "Convention",
    "Variant",
    "conventions",
    "frameworks_with",
]
