"""Figures derived from a finished pass without another one: every --compare row, the
gradient under every reduction. They differ from the result only in n and the options
of the reduction, so they come from the same merged state."""

from __future__ import annotations

from ..core.finish import batch, gradient_scale
from ..core.reduce import REDUCTIONS


def compare_rows(run, k: int) -> list:
    """The --compare rows of the k-th loss of a pass: every framework's call, from the states of
    the conventions the pass computed alongside."""
    from .comparison import compare

    return compare(run.tasks[k], run.states[k], run.extras_done())


def gradients_under(run, k: int) -> dict[str, float]:
    """d value / d p[0, 0] under each reduction the loss allows (from the kept first row)."""
    task, state = run.tasks[k], run.states[k]
    record = state.kept.records.get(0)
    if record is None or record.gradient is None:
        return {}
    out = {}
    for name in task.spec.reductions:
        scale = gradient_scale(task, batch(task, state, REDUCTIONS[name]))
        out[name] = float(record.gradient[0] * (scale[0] if hasattr(scale, "__len__") else scale))
    return out
