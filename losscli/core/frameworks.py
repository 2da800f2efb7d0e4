"""Each framework's own number: ``--like FRAMEWORK`` and the rows of ``--compare``.

The table of ``conventions.py`` says, for a loss and its options, what every framework's
call computes: its constants (clips, floors, epsilons), its reduction and its weight
divisor. Here a convention becomes a :class:`~losscli.core.terms.LossTask`, so that the
engine computes it like any other loss, in the same pass.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..errors import UsageError
from .conventions import FRAMEWORKS, Constant, Convention, conventions, frameworks_with
from .reduce import get_reduction
from .registry import get_loss
from .terms import LossTask

NAMES = {
    "torch": "PyTorch",
    "keras": "Keras",
    "sklearn": "scikit-learn",
    "optax": "optax",
    "torchmetrics": "torchmetrics",
    "numpy": "NumPy",
}


def conventions_of(task: LossTask, n_outputs: int) -> tuple[Convention, ...]:
    return conventions(task.spec.name, task.options, weighted=task.weighted, n_outputs=n_outputs, labels=task.labels)


def convention_task(task: LossTask, convention: Convention, keep_given: bool = False) -> LossTask:
    """The task that computes a convention's call: its options (constants included), its reduction,
    its precision. With ``keep_given`` (``--like``), what the user named wins over the framework's
    defaults: an option given on the command line is never replaced by a constant."""
    given = task.given if keep_given else frozenset()
    options = dict(convention.options)
    options.update({name: task.options[name] for name in given if name in task.options})
    reduce = task.reduction.name if "reduce" in given else convention.default.reduce
    assert reduce is not None, "a framework's default call reduces to a number"
    divisor = convention.default.weight_divisor or task.weight_divisor
    if "weight_divisor" in given:
        divisor = task.weight_divisor
    resolved = task.spec.resolve_options(options)
    return task._replace(
        spec=get_loss(task.spec.name).for_options(resolved),
        options=resolved,
        reduction=get_reduction(reduce),
        weight_divisor=divisor,
        dtype=convention.dtype,
    )


class Override(NamedTuple):
    """An option the user gave where the framework's default call has its own value."""

    option: str  # an option name, "reduce" or "weight_divisor"
    given: object
    framework: object

    def to_dict(self) -> dict:
        return {"option": self.option, "given": _plain(self.given), "framework": _plain(self.framework)}

    def text(self) -> str:
        flag = "--" + self.option.replace("_", "-")
        return f"{flag} {_shown(self.given)} (its own: {_shown(self.framework)})"


def _shown(value) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, tuple | list):
        return ",".join(_shown(v) for v in value)
    return str(value)


class Like(NamedTuple):
    """What ``--like`` used: the framework, its call, every constant that made the number, what the
    user gave in place of the framework's defaults, and the precision of the call."""

    framework: str
    call: str
    constants: tuple[Constant, ...]
    overridden: tuple[Override, ...] = ()
    dtype: str = "float64"

    def to_dict(self) -> dict:
        return {
            "framework": self.framework,
            "call": self.call,
            "dtype": self.dtype,
            "constants": [{"option": c.option, "value": _plain(c.value), "why": c.why} for c in self.constants],
            "overridden": [o.to_dict() for o in self.overridden],
        }

    def text(self) -> str:
        name = NAMES[self.framework]
        precision = f", computed in {self.dtype} as its default call does" if self.dtype != "float64" else ""
        given = "; given in place of its defaults: " + ", ".join(o.text() for o in self.overridden)
        return f"{name}: {self.call}{precision}{given if self.overridden else ''}"


def _plain(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    return list(value) if isinstance(value, tuple) else value


def like(task: LossTask, framework: str, n_outputs: int) -> tuple[LossTask, Like]:
    """The task ``--like framework`` computes, or a usage error naming the frameworks that have the loss.
    Whatever the user named (``task.given``) stays as given, and the result says so."""
    if framework not in FRAMEWORKS:
        raise UsageError(f"--like {framework!r}: use one of {', '.join(FRAMEWORKS)}")
    found = {c.framework: c for c in conventions_of(task, n_outputs)}
    if framework not in found:
        raise UsageError(_missing(task, framework, tuple(found)))
    convention = found[framework]
    computed = convention_task(task, convention, keep_given=True)
    overridden = _overrides(task, convention)
    kept = tuple(c for c in convention.constants if c.option not in {o.option for o in overridden})
    return computed, Like(framework, _call(convention, computed), kept, overridden, convention.dtype)


def _overrides(task: LossTask, convention: Convention) -> tuple[Override, ...]:
    found = []
    for constant in convention.constants:
        if constant.option in task.given and not _equal(task.options[constant.option], constant.value):
            found.append(Override(constant.option, task.options[constant.option], constant.value))
    default = convention.default
    if "reduce" in task.given and task.reduction.name != default.reduce:
        found.append(Override("reduce", task.reduction.name, default.reduce))
    own_divisor = default.weight_divisor
    if task.weighted and "weight_divisor" in task.given and own_divisor and task.weight_divisor != own_divisor:
        found.append(Override("weight_divisor", task.weight_divisor, own_divisor))
    return tuple(found)


def _equal(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return bool(np.array_equal(np.asarray(a), np.asarray(b)))
    return a == b


def _call(convention: Convention, task: LossTask) -> str:
    """The framework's own call that computes the task's reduction and weight divisor, where it has
    one (Keras's reduction="mean_with_sample_weight" for --weight-divisor sum); else its default."""
    for variant in convention.variants:
        divisor_fits = not task.weighted or variant.weight_divisor in (None, task.weight_divisor)
        if variant.reduce == task.reduction.name and divisor_fits:
            return variant.call
    return convention.default.call


def _missing(task: LossTask, framework: str, here: tuple[str, ...]) -> str:
    name = task.spec.name
    having = frameworks_with(name)
    if framework not in having:
        others = ", ".join(having) or "none of them"
        return f"--like {framework}: {NAMES[framework]} has no {name}; the frameworks that have it: {others}"
    why = "with sample weights" if task.weighted else "with these options"
    others = ", ".join(here) or "none"
    return f"--like {framework}: {NAMES[framework]}'s {name} takes no such input {why}; these do: {others}"


def constants_text(constants: tuple[Constant, ...], options: dict) -> str:
    """The constants that differ from ``options``, for a --compare row."""
    parts = []
    for constant in constants:
        if options.get(constant.option) != constant.value:
            parts.append(constant.why)
    return "; ".join(parts)


def _one_hot(t) -> bool:
    import numpy as np

    return bool(np.all((t == 0) | (t == 1)) and np.all(t.sum(axis=1) == 1))


def _torchmetrics_refusal(task: LossTask, pred, target) -> str | None:
    """torchmetrics' hinge losses take 0/1 targets, and turn scores into probabilities (a sigmoid, or a
    softmax per row) when any score lies outside [0, 1]: a decision over every score at once, which
    --from-logits states. A block that shows the other decision is refused, never computed otherwise."""
    name = task.spec.name
    if name not in ("hinge", "squared_hinge", "categorical_hinge"):
        return None
    if name != "categorical_hinge" and not task.labels and not np.all((target == 0) | (target == 1)):
        return "torchmetrics' binary hinge takes targets 0 or 1"
    outside = bool(((pred < 0) | (pred > 1)).any())
    how = "a softmax per row" if name == "categorical_hinge" else "a sigmoid"
    if outside and not task.options.get("from_logits"):
        return f"torchmetrics turns scores outside [0, 1] into probabilities first ({how}): pass --from-logits"
    if not outside and task.options.get("from_logits"):
        return (
            "every score of these rows is in [0, 1], which torchmetrics takes as probabilities (no "
            f"{how.split(' ', 1)[1]}): drop --from-logits"
        )
    return None


def refusal(convention: Convention | None, task: LossTask, pred, target) -> str | None:
    """Why the framework's own call refuses these inputs (as scikit-learn's log_loss refuses soft
    targets), or None. A refused call gives no number, so neither does losscli."""
    if convention is None:
        return None
    if convention.framework == "torchmetrics":
        return _torchmetrics_refusal(task, pred, target)
    if convention.framework != "sklearn":
        return None
    name = task.spec.name
    if name == "bce" and not np.all((target == 0) | (target == 1)):
        return "scikit-learn's log_loss takes 0/1 labels, and these targets are probabilities"
    if name in ("cce", "categorical_hinge") and not task.labels and not _one_hot(target):
        return f"scikit-learn takes class labels: the targets of {name} must be one-hot here"
    logits = task.options.get("from_logits")
    if name in ("cce", "sparse_cce") and not logits and ((pred > 1).any() or (pred < 0).any()):
        return "scikit-learn's log_loss refuses probabilities outside [0, 1]"
    return None
