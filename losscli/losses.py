"""The loss registry: every loss losscli knows, in one place.

A loss is a small pure NumPy function of (predictions, targets, options) giving
the element terms ``l[i, j]``, one per sample and output, with no mean taken:
reductions live in ``reduce.py``. Its :class:`Loss` entry adds the name, aliases,
formula, the framework it matches, its default reduction, its options and the
domain of its inputs. The command line, ``losscli list``, the help text and the
README table are all generated from :data:`LOSSES`, so adding a loss is one entry.

Notation in formulas: ``p`` prediction, ``t`` target, ``d = p - t``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from .errors import UsageError

KERAS_EPSILON = 1e-7  # keras.backend.epsilon()
TORCH_LOG_FLOOR = -100.0  # BCELoss clamps log(p) and log(1 - p) at -100


# --- the element terms ----------------------------------------------------------------


def squared_error(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``(p - t)^2`` for any real p, t. Matches ``torch.nn.MSELoss(reduction="none")``."""
    d = pred - target
    np.multiply(d, d, out=d)
    return d


def absolute_error(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``|p - t|`` for any real p, t. Matches ``torch.nn.L1Loss(reduction="none")``."""
    d = pred - target
    np.abs(d, out=d)
    return d


def huber(pred: np.ndarray, target: np.ndarray, delta: float = 1.0) -> np.ndarray:
    """``0.5 d^2`` where ``|d| <= delta``, else ``delta (|d| - 0.5 delta)``; delta > 0.

    Matches ``torch.nn.HuberLoss(delta=delta)`` and ``keras.losses.Huber(delta)``.
    """
    z = np.abs(pred - target)
    return np.where(z < delta, 0.5 * z * z, delta * (z - 0.5 * delta))


def smooth_l1(pred: np.ndarray, target: np.ndarray, beta: float = 1.0) -> np.ndarray:
    """``0.5 d^2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta``; beta >= 0.

    With beta = 0 it is ``|d|``. Matches ``torch.nn.SmoothL1Loss(beta=beta)``; it is
    Huber divided by beta.
    """
    z = np.abs(pred - target)
    if beta == 0:
        return z
    return np.where(z < beta, 0.5 * z * z / beta, z - 0.5 * beta)


def log_cosh(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``log(cosh(d))`` for any real p, t. Matches ``keras.losses.LogCosh``.

    cosh overflows for |d| > 710, so large errors use ``|d| + log1p(exp(-2|d|)) - log 2``;
    small ones use ``log1p(2 sinh(d/2)^2)``, which keeps full relative precision
    where both ``log(cosh(d))`` and Keras's ``d + softplus(-2d) - log 2`` cancel.
    """
    z = np.abs(pred - target)
    small = z <= 1.0
    out = z + np.log1p(np.exp(-2.0 * z)) - math.log(2.0)
    half_sinh = np.sinh(0.5 * z[small])
    out[small] = np.log1p(2.0 * half_sinh * half_sinh)
    return out


def absolute_percentage_error(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``100 |t - p| / max(|t|, 1e-7)`` in percent. Matches
    ``keras.losses.MeanAbsolutePercentageError``; it is 100 times scikit-learn's
    ``mean_absolute_percentage_error`` wherever ``|t| >= 1e-7``.
    """
    return 100.0 * np.abs((target - pred) / np.maximum(np.abs(target), KERAS_EPSILON))


def squared_log_error(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``(log1p(p) - log1p(t))^2`` for p, t >= 0. Matches scikit-learn's
    ``mean_squared_log_error``, and Keras's MSLE wherever p, t >= 1e-7 (Keras
    floors both at 1e-7 first).
    """
    d = np.log1p(pred) - np.log1p(target)
    np.multiply(d, d, out=d)
    return d


def poisson(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``p - t log(p + 1e-7)`` for p, t >= 0 (p a rate). Matches ``keras.losses.Poisson``."""
    return pred - target * np.log(pred + KERAS_EPSILON)


def _signed_labels(target: np.ndarray) -> np.ndarray:
    # Keras converts labels to -1/1 only when every target is 0 or 1.
    if np.all((target == 0) | (target == 1)):
        return 2.0 * target - 1.0
    return target


def hinge(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``max(1 - t p, 0)`` with labels t in {-1, 1} (or all in {0, 1}, taken as -1, 1).
    Matches ``keras.losses.Hinge``.
    """
    return np.maximum(1.0 - _signed_labels(target) * pred, 0.0)


def squared_hinge(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``max(1 - t p, 0)^2``, labels as for :func:`hinge`. Matches ``keras.losses.SquaredHinge``."""
    h = hinge(pred, target)
    np.multiply(h, h, out=h)
    return h


def binary_cross_entropy(pred: np.ndarray, target: np.ndarray, from_logits: bool = False) -> np.ndarray:
    """``-(t log p + (1 - t) log(1 - p))`` for p, t in [0, 1], each log floored at -100.

    Matches ``torch.nn.BCELoss``. With ``from_logits``, p is a logit x and the term is
    ``max(x, 0) - x t + log1p(exp(-|x|))``, the overflow-free form of
    ``torch.nn.BCEWithLogitsLoss``.
    """
    if from_logits:
        return np.maximum(pred, 0.0) - pred * target + np.log1p(np.exp(-np.abs(pred)))
    with np.errstate(divide="ignore"):  # log(0) = -inf, floored just below
        log_p = np.maximum(np.log(pred), TORCH_LOG_FLOOR)
        log_not_p = np.maximum(np.log1p(-pred), TORCH_LOG_FLOOR)
    return -(target * log_p + (1.0 - target) * log_not_p)


# --- domains --------------------------------------------------------------------------


@dataclass(frozen=True)
class Domain:
    """What values an input may take: ``allowed`` gives a mask of the good ones."""

    allowed: Callable[[np.ndarray], np.ndarray]
    problem: str  # completes "<value> ...", e.g. "is negative"
    need: str  # completes "<loss> needs ...", with {role} for "predictions" or "targets"


PROBABILITY = Domain(lambda a: (a >= 0) & (a <= 1), "is not in [0, 1]", "{role} that are probabilities in [0, 1]")
NON_NEGATIVE = Domain(lambda a: a >= 0, "is negative", "{role} >= 0")


def _hinge_labels(a: np.ndarray) -> np.ndarray:
    zero_one = (a == 0) | (a == 1)
    return zero_one if zero_one.all() else (a == -1) | (a == 1)


HINGE_LABELS = Domain(_hinge_labels, "is not a label in {-1, 1}", "{role} all in {-1, 1} or all in {0, 1}")


# --- the registry ---------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    """A loss option: one ``--flag`` on the command line, one keyword in ``compute``."""

    name: str
    default: float | bool
    help: str
    valid: Callable[[float], bool] = lambda value: math.isfinite(value)
    need: str = "must be a finite number"

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def is_flag(self) -> bool:
        return isinstance(self.default, bool)


@dataclass(frozen=True)
class Loss:
    """One registry entry."""

    name: str
    title: str
    formula: str  # the element term l[i, j]
    matches: str
    elements: Callable[..., np.ndarray]
    aliases: tuple[str, ...] = ()
    options: tuple[Option, ...] = ()
    default_reduce: str = "all"
    # (prediction domain, target domain) for the given options
    domains: Callable[[Mapping], tuple[Domain | None, Domain | None]] = lambda options: (None, None)
    notes: str = ""

    def resolve_options(self, given: Mapping[str, object]) -> dict[str, float | bool]:
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
                else (f"{self.name} takes no options")
            )
            raise UsageError(f"{flag} does not apply to {self.name} ({where}); {takes}")
        resolved = {}
        for name, option in known.items():
            value = given.get(name, option.default)
            if option.is_flag:
                value = bool(value)
            else:
                try:
                    value = float(value)
                except (TypeError, ValueError):
                    raise UsageError(f"{option.flag} {value!r} is not a number; {option.need}") from None
                if not option.valid(value):
                    raise UsageError(f"{option.flag} {value!r} is out of range: {option.need}")
            resolved[name] = value
        return resolved


def _positive(value: float) -> bool:
    return math.isfinite(value) and value > 0


def _non_negative(value: float) -> bool:
    return math.isfinite(value) and value >= 0


DELTA = Option("delta", 1.0, "Huber threshold between the squared and the linear part.", _positive, "must be > 0")
BETA = Option("beta", 1.0, "Smooth-L1 threshold; 0 gives plain L1.", _non_negative, "must be >= 0")
FROM_LOGITS = Option("from_logits", False, "Predictions are logits (raw scores), not probabilities.")


def _bce_domains(options: Mapping) -> tuple[Domain | None, Domain | None]:
    if options["from_logits"]:
        return None, PROBABILITY
    logits_hint = Domain(
        PROBABILITY.allowed, PROBABILITY.problem, "{role} in [0, 1] (pass --from-logits if they are logits)"
    )
    return logits_hint, PROBABILITY


LOSSES: tuple[Loss, ...] = (
    Loss("mse", "mean squared error", "(p - t)^2", "PyTorch MSELoss", squared_error, aliases=("mean_squared_error",)),
    Loss(
        "mae", "mean absolute error", "|p - t|", "PyTorch L1Loss", absolute_error, aliases=("mean_absolute_error", "l1")
    ),
    Loss(
        "huber",
        "Huber loss",
        "0.5 d^2 if |d| <= delta else delta (|d| - 0.5 delta)",
        "PyTorch HuberLoss, Keras Huber",
        huber,
        options=(DELTA,),
    ),
    Loss(
        "smooth_l1",
        "smooth L1 loss",
        "0.5 d^2 / beta if |d| < beta else |d| - 0.5 beta",
        "PyTorch SmoothL1Loss",
        smooth_l1,
        options=(BETA,),
    ),
    Loss("log_cosh", "log-cosh loss", "log(cosh(p - t))", "Keras LogCosh", log_cosh, aliases=("logcosh",)),
    Loss(
        "mape",
        "mean absolute percentage error",
        "100 |t - p| / max(|t|, 1e-7)",
        "Keras MeanAbsolutePercentageError",
        absolute_percentage_error,
        aliases=("mean_absolute_percentage_error",),
    ),
    Loss(
        "msle",
        "mean squared logarithmic error",
        "(log(1 + p) - log(1 + t))^2",
        "scikit-learn mean_squared_log_error",
        squared_log_error,
        aliases=("mean_squared_logarithmic_error",),
        domains=lambda options: (NON_NEGATIVE, NON_NEGATIVE),
    ),
    Loss(
        "poisson",
        "Poisson loss",
        "p - t log(p + 1e-7)",
        "Keras Poisson",
        poisson,
        domains=lambda options: (NON_NEGATIVE, NON_NEGATIVE),
    ),
    Loss(
        "hinge",
        "hinge loss",
        "max(1 - t p, 0), t in {-1, 1}",
        "Keras Hinge",
        hinge,
        domains=lambda options: (None, HINGE_LABELS),
        notes="Targets all in {0, 1} are taken as {-1, 1}, as Keras does.",
    ),
    Loss(
        "squared_hinge",
        "squared hinge loss",
        "max(1 - t p, 0)^2, t in {-1, 1}",
        "Keras SquaredHinge",
        squared_hinge,
        domains=lambda options: (None, HINGE_LABELS),
        notes="Targets all in {0, 1} are taken as {-1, 1}, as Keras does.",
    ),
    Loss(
        "bce",
        "binary cross-entropy",
        "-(t log p + (1 - t) log(1 - p))",
        "PyTorch BCELoss; with --from-logits BCEWithLogitsLoss",
        binary_cross_entropy,
        aliases=("binary_crossentropy", "binary_cross_entropy"),
        options=(FROM_LOGITS,),
        domains=_bce_domains,
        notes="Each log is floored at -100, as PyTorch does.",
    ),
)


def _key(name: str) -> str:
    return name.strip().lower().replace("-", "_")


_BY_NAME: dict[str, Loss] = {}
for _loss in LOSSES:
    for _name in (_loss.name, *_loss.aliases):
        assert _key(_name) not in _BY_NAME, f"loss name {_name!r} registered twice"
        _BY_NAME[_key(_name)] = _loss


def get_loss(name: str) -> Loss:
    """The loss called ``name`` (any case; ``-`` and ``_`` alike), or a UsageError
    that suggests the closest names."""
    try:
        return _BY_NAME[_key(name)]
    except KeyError:
        import difflib  # only on this error path: it costs start-up time

        close = difflib.get_close_matches(_key(name), list(_BY_NAME), n=3, cutoff=0.5)
        maybe = f"; did you mean {' or '.join(close)}?" if close else ""
        raise UsageError(f"unknown loss {name!r}{maybe} ('losscli list' shows every loss)") from None


def options_by_flag() -> dict[str, list[tuple[Loss, Option]]]:
    """Every option name, with the losses that take it (for the command line)."""
    table: dict[str, list[tuple[Loss, Option]]] = {}
    for loss in LOSSES:
        for option in loss.options:
            table.setdefault(option.name, []).append((loss, option))
    return table
