"""A finished pass's results with what the request asked to see beside each value: its
interval, every --compare row, the gradient under every reduction (these differ from the
result only in n and the options of the reduction, so they come from the same merged state),
and each kept sample's own gradient (a one-row pass each, planned by ``plan.py``)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..core.finish import batch, gradient_scale
from ..core.reduce import REDUCTIONS
from ..core.result import GradientChecks, Result
from .request import RunRequest


def complete(run, results: list[Result], request: RunRequest) -> list[Result]:
    """The results of a finished pass with what the request asked for beside each value: its
    interval (--ci), every framework's number (--compare), the gradient checks (--explain --grad)."""
    statistics = request.statistics
    if statistics.ci is not None:
        from .statistics import with_intervals

        level, resamples, seed = statistics.ci, statistics.resamples, statistics.seed
        results = with_intervals(run, results, level, resamples, seed, statistics.ci_method, statistics.time_series)
        if run.group_sums is not None:
            results = [_group_intervals(run, k, r, statistics) for k, r in enumerate(results)]
    if request.analysis.compare:
        results = [replace(results[0], comparison=compare_rows(run, 0)), *results[1:]]
    if request.analysis.explain and request.analysis.grad:
        rows, why_not = per_sample_gradients(results[0])
        checks = GradientChecks(gradients_under(run, 0), rows, why_not)
        results = [replace(results[0], gradient_checks=checks), *results[1:]]
    return results


def _group_intervals(run, k: int, result: Result, statistics) -> Result:
    """--ci with groups: each group's interval and the gap's, from the samples' sums the pass kept."""
    from ..errors import UsageError
    from .grouping import with_group_intervals
    from .statistics import statistic_of

    task = run.tasks[k]
    if not task.reduction.mean_over_samples or (task.spec.ratio is not None and task.spec.ratio.add):
        raise UsageError("--ci with groups: each group's interval needs a mean over samples (--reduce all or samples)")
    numerators, shares = run.statistic_rows(k)
    if numerators.ndim > 1:
        raise UsageError("--ci with groups: roots taken per output (--per-output-root) have no group intervals yet")
    finish = statistic_of(task, result, numerators, shares).finish
    codes = np.concatenate([part.run_codes() for part in run.group_code_parts])
    groups = with_group_intervals(result.groups, codes, numerators, shares, finish, statistics)
    return replace(result, groups=groups)


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


MAX_ROWS_CHECKED = 200  # the per-sample gradient check computes one row at a time


def per_sample_gradients(result) -> tuple[np.ndarray | None, str]:
    """Each kept sample's own gradient, each row a run of its own (--explain --grad's check that
    the mean of the per-sample gradients is the gradient of the mean), or None and why the
    check does not apply."""
    kept, n_samples = result.kept, result.shape[0]
    plain = result.mean_of_terms and not result.weights and result.options.get("var") is None
    if not plain or n_samples > MAX_ROWS_CHECKED or kept is None or len(kept.index) < n_samples:
        return (
            None,
            "weights, variances or a root change n per sample" if not plain else f"over {MAX_ROWS_CHECKED} samples",
        )
    row_reduce = "outputs" if result.reduction.mean_over_outputs and result.elements else "none"
    options = {k: v for k, v in result.options.items() if v is not None}
    targets = kept.labels if kept.labels is not None else kept.targets
    if options.get("label_map") == "sklearn":  # a row alone is one label, always -1: map by every target first
        from ..core.losses import signed_labels

        targets, options["label_map"] = signed_labels(np.asarray(targets, dtype=np.float64), "sklearn"), "as_given"
    rows = [
        _own_gradient(result.loss, kept.preds[i : i + 1], targets[i : i + 1], row_reduce, options)
        for i in range(len(kept.index))
    ]
    return np.array(rows), ""


def _own_gradient(loss: str, pred, target, reduce: str, options: dict) -> np.ndarray:
    """The gradient of one sample's value, from a pass over that sample alone (planned as any run)."""
    from ..core.registry import get_loss
    from ..core.terms import takes_labels
    from ..io.arrays import ArrayInputs
    from .plan import plan
    from .request import AnalysisSection, OutputSection, ReductionSection, RunRequest

    spec = get_loss(loss)
    labels = takes_labels(spec, pred.shape[1], 1 if np.ndim(target) == 1 else target.shape[1])
    request = RunRequest(
        (spec.name,),
        {spec.name: options},
        reduction=ReductionSection(reduce=reduce),
        output=OutputSection(output_format=None),
        analysis=AnalysisSection(grad=True),
    )
    (row,) = plan(request, [spec], ArrayInputs(pred, target, labels=labels)).run()
    return row.gradient[0]
