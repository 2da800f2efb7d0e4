"""Each framework's own number: ``--like FRAMEWORK`` and the rows of ``--compare``.

The table of ``conventions.py`` says, for a loss and its options, what every framework's
call computes: its constants (clips, floors, epsilons), its reduction and its weight
divisor. Here a convention becomes a :class:`~losscli.core.terms.LossTask`, so that the
engine computes it like any other loss, in the same pass.
"""

from __future__ import annotations

from typing import NamedTuple

from ..errors import UsageError
from .conventions import FRAMEWORKS, Constant, Convention, conventions, frameworks_with
from .reduce import get_reduction
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


def convention_task(task: LossTask, convention: Convention, reduce: str | None = None) -> LossTask:
    """The task that computes a convention's call: its options (constants included), its reduction."""
    options = task.spec.resolve_options(convention.options)
    reduction = get_reduction(reduce or convention.default.reduce)
    divisor = convention.default.weight_divisor or task.weight_divisor
    return task._replace(options=options, reduction=reduction, weight_divisor=divisor)


class Like(NamedTuple):
    """What ``--like`` used: the framework, its call, and every constant that made the number."""

    framework: str
    call: str
    constants: tuple[Constant, ...]
    reduce_given: bool  # --reduce overrode the framework's own reduction

    def to_dict(self) -> dict:
        return {
            "framework": self.framework,
            "call": self.call,
            "constants": [{"option": c.option, "value": _plain(c.value), "why": c.why} for c in self.constants],
        }

    def text(self) -> str:
        name = NAMES[self.framework]
        given = "; --reduce as given" if self.reduce_given else ""
        return f"{name}: {self.call}{given}"


def _plain(value):
    return list(value) if isinstance(value, tuple) else value


def like(task: LossTask, framework: str, n_outputs: int, reduce: str | None = None) -> tuple[LossTask, Like]:
    """The task ``--like framework`` computes, or a usage error naming the frameworks that have the loss."""
    if framework not in FRAMEWORKS:
        raise UsageError(f"--like {framework!r}: use one of {', '.join(FRAMEWORKS)}")
    found = {c.framework: c for c in conventions_of(task, n_outputs)}
    if framework not in found:
        raise UsageError(_missing(task, framework, tuple(found)))
    convention = found[framework]
    return convention_task(task, convention, reduce), Like(
        framework, convention.default.call, convention.constants, reduce is not None
    )


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


def refusal(convention: Convention | None, task: LossTask, pred, target) -> str | None:
    """Why the framework's own call refuses these inputs (as scikit-learn's log_loss refuses soft
    targets), or None. A refused call gives no number, so neither does losscli."""
    import numpy as np

    if convention is None or convention.framework != "sklearn":
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
