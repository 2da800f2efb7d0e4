"""Models compared on the same samples: ``--against``, ``--baseline FILE --paired``, ``--time-series``.

Every model's batch value is a ratio statistic of its per-sample sums (statistics.py); two
models are compared sample by sample: the difference of their values, its paired bootstrap
interval (both resampled with the same indices) and a paired sign-flip permutation test,
or, for forecasts in time order, the Diebold-Mariano test with the Harvey-Leybourne-Newbold
correction on their per-sample losses. The first baseline is the reference; lower is better.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..errors import InputError, UsageError


class Model(NamedTuple):
    """One model's result and what the tests resample."""

    name: str  # the predictions file (or columns), as given
    result: object  # core.result.Result
    statistic: object  # stats.RatioStatistic: of the samples, or of their buckets (stats/buckets.py)
    ids: np.ndarray | None  # every sample's id, when the inputs had row labels
    samples: int = 0  # the samples compared (0: the statistic's own count)

    @property
    def count(self) -> int:
        return self.samples or self.statistic.n_samples


class Comparison(NamedTuple):
    """One model against the baseline (or the best)."""

    difference: float  # value of the model - value of the baseline
    interval: object | None  # stats.Interval of the difference (None under --time-series)
    p_value: float
    verdict: str  # "better", "worse", "no significant difference"
    test: str  # how p was found
    statistic: float | None = None  # the test's statistic where it has one (Diebold-Mariano's DM)


class ModelRow(NamedTuple):
    model: Model
    against_baseline: Comparison | None  # None for the baseline itself
    tied_with_best: bool


class Report(NamedTuple):
    """What --against prints: the baseline first, then the others in the order given."""

    rows: list[ModelRow]
    level: float
    method: str  # "studentized" / "bca" / "percentile" (bootstrap) or "diebold-mariano"
    resamples: int
    seed: int
    horizon: int | None
    best: str

    @property
    def baseline(self) -> ModelRow:
        return self.rows[0]


class TestSettings(NamedTuple):
    level: float
    resamples: int
    seed: int
    method: str
    horizon: int | None  # --time-series H: the Diebold-Mariano test instead of the bootstrap


def model_of(name: str, task, run, result) -> Model:
    """A finished pass as a model to compare: every sample's sums where the samples are matched by id
    or in time order (the pass kept them), else the sums of the 4,096 buckets of their positions
    (stats/buckets.py: the same positions, the same buckets, in every model's pass)."""
    from .statistics import statistic_of

    _no_missing(name, run)
    samples = int(result.shape[0])
    if run.settings.keep_stats:
        numerator, divisor = run.statistic_rows(0)
        return Model(name, result, statistic_of(task, result, numerator, divisor), run.statistic_ids(), samples)
    return Model(name, result, statistic_of(task, result, *run.bucketed(0)), None, samples)


def _no_missing(name: str, run) -> None:
    if run.missing.samples:
        raise InputError(
            f"{name}: {run.missing.samples:,} samples were dropped for missing values; a paired comparison needs "
            f"every model on the same samples, so fill them"
        )


def aligned(models: list[Model], reference: int = 1) -> list[Model]:
    """Every model's samples in the order of ``models[reference]`` (the model under test: its
    rows are in time order for --time-series): by id when every model has ids, so that no other
    file's row order changes a resample; else by position (then the counts must agree)."""
    lead = models[reference] if len(models) > reference else models[0]
    for model in models:
        if model.count != lead.count:
            raise InputError(
                f"{model.name} has {model.count:,} samples but {lead.name} has "
                f"{lead.count:,}; a paired comparison needs every model on the same samples"
            )
    if any(model.ids is None for model in models):
        return models
    return [
        model if model is lead or np.array_equal(model.ids, lead.ids) else _reordered(model, lead) for model in models
    ]


def _reordered(model: Model, lead: Model) -> Model:
    position = {label: k for k, label in enumerate(model.ids.tolist())}
    order = np.fromiter((position.get(label, -1) for label in lead.ids.tolist()), dtype=np.int64, count=len(lead.ids))
    if (order < 0).any() or len(position) != len(order):
        missing = lead.ids[order < 0][:3].tolist() or ["a repeated id"]
        raise InputError(
            f"{model.name}: its sample ids are not those of {lead.name} (e.g. no {', '.join(map(str, missing))}); "
            f"a paired comparison needs every model on the same samples, each id once"
        )
    s = model.statistic
    statistic = s._replace(numerator=s.numerator[order], denominator=s.denominator[order])
    return model._replace(statistic=statistic, ids=lead.ids)


def compare(a: Model, b: Model, settings: TestSettings) -> Comparison:
    """Model a against model b: a's value - b's value, and whether that is more than chance."""
    from ..stats import paired_bootstrap, paired_permutation_test, paired_verdict
    from ..stats.buckets import bucketed

    if settings.horizon is not None:
        return _diebold_mariano(a, b, settings)
    # Both models' samples summed into the same K buckets (their positions, aligned): O(N + B K)
    units_a, units_b = bucketed(a.statistic), bucketed(b.statistic)
    difference = paired_bootstrap(
        units_a,
        units_b,
        level=settings.level,
        resamples=settings.resamples,
        seed=settings.seed,
        method=settings.method,
    )
    test = paired_permutation_test(units_a, units_b, resamples=settings.resamples, seed=settings.seed)
    verdict = paired_verdict(difference.difference, difference.interval, test.p_value)
    how = "exact sign-flip permutation" if test.exact else f"sign-flip permutation, {test.resamples:,} patterns"
    if units_a.n_samples < a.count:
        how += f", of {units_a.n_samples:,} buckets of the samples"
    return Comparison(difference.difference, difference.interval, test.p_value, verdict, how)


def _diebold_mariano(a: Model, b: Model, settings: TestSettings) -> Comparison:
    from ..stats import BETTER, NO_DIFFERENCE, WORSE, diebold_mariano

    for model in (a, b):
        s = model.statistic
        if s.numerator.ndim != 1 or not np.all(s.denominator == s.denominator[0]):
            raise UsageError(
                f"--time-series: {model.name}'s value is not a plain mean of per-sample losses (weights, ignored "
                f"samples, WMAPE or per-output roots); the Diebold-Mariano test compares such means"
            )
    test = diebold_mariano(a.statistic.numerator, b.statistic.numerator, h=settings.horizon)
    difference = a.result.value - b.result.value
    interval = _block_interval(a, b, settings)
    verdict = NO_DIFFERENCE
    if test.p_value <= 1 - settings.level:
        verdict = BETTER if test.mean_differential < 0 else WORSE
    how = f"Diebold-Mariano (HLN), h = {test.h}, DM = {test.statistic:.4g}"
    if interval is not None:
        how += f"; interval by a block bootstrap of blocks of {interval[1]:,} consecutive samples"
    return Comparison(
        difference, None if interval is None else interval[0], test.p_value, verdict, how, float(test.statistic)
    )


def _block_interval(a: Model, b: Model, settings: TestSettings):
    """The difference's interval by a block bootstrap over runs of consecutive samples (at least the
    horizon long: an h-step forecast error depends on its h - 1 neighbours), and the block length;
    None when there are fewer than two blocks."""
    from ..stats import paired_bootstrap
    from ..stats.buckets import in_time_blocks

    units_a, length = in_time_blocks(a.statistic, settings.horizon)
    units_b, _ = in_time_blocks(b.statistic, settings.horizon)
    if units_a.n_samples < 2:
        return None
    found = paired_bootstrap(
        units_a, units_b, level=settings.level, resamples=settings.resamples, seed=settings.seed, method=settings.method
    )
    return found.interval._replace(method=f"{found.interval.method}/blocks:{length}"), length


def report(models: list[Model], settings: TestSettings) -> Report:
    """The baseline (models[0]) and every other model, compared; ties with the best marked."""
    from ..stats import NO_DIFFERENCE

    models = aligned(models)
    baseline = models[0]
    against = [None] + [compare(model, baseline, settings) for model in models[1:]]
    best = min(range(len(models)), key=lambda k: models[k].result.value)
    rows = []
    for k, (model, comparison) in enumerate(zip(models, against, strict=True)):
        if k == best:
            tied = True
        elif best == 0:
            tied = comparison.verdict == NO_DIFFERENCE
        elif k == 0:
            tied = against[best].verdict == NO_DIFFERENCE
        else:
            tied = compare(model, models[best], settings).verdict == NO_DIFFERENCE
        rows.append(ModelRow(model, comparison, tied))
    method = "diebold-mariano" if settings.horizon is not None else settings.method
    return Report(rows, settings.level, method, settings.resamples, settings.seed, settings.horizon, models[best].name)


def worse_than_baseline(report: Report, tolerance) -> list[tuple[ModelRow, float]]:
    """The models significantly worse than the baseline by more than the tolerance (absolute or
    a share of the baseline's value), each with the tolerance it was held to."""
    from ..stats import WORSE

    allowed = tolerance.allowed(report.baseline.model.result.value)
    failed = []
    for row in report.rows[1:]:
        comparison = row.against_baseline
        if comparison.verdict == WORSE and comparison.difference > allowed:
            failed.append((row, allowed))
    return failed


class Saved(NamedTuple):
    """A baseline result file (--save-baseline), as far as a paired test needs it."""

    loss: str
    reduce: str
    value: float
    n: float
    signature: str
    ci: object = None


def per_sample_model(name: str, task, result) -> Model:
    """A model whose value is a plain mean (or sum) of its per-sample losses: what a saved
    baseline holds, so that both sides of --paired are built the same way."""
    from .statistics import plain_statistic

    _plain_loss(task)
    statistic = plain_statistic(task, result.per_sample, result.value, name)
    ids = None if result.ids is None else np.array(result.ids, dtype=object)
    return Model(name, result, statistic, ids)


def saved_model(path: str, data: dict, task) -> Model:
    """The baseline of --baseline FILE --paired, from its per-sample losses and ids."""
    from .statistics import plain_statistic

    _plain_loss(task)
    per_sample = data.get("per_sample")
    if not isinstance(per_sample, list) or not per_sample:
        raise InputError(
            f"--baseline {path}: holds no per-sample losses; write it with --save-baseline, which keeps them"
        )
    try:
        values = np.array([np.nan if v is None else v for v in per_sample], dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"--baseline {path}: its per_sample holds something that is not a number") from None
    if values.ndim != 1:
        raise InputError(f"--baseline {path}: its per_sample is not a list of numbers")
    ids = data.get("ids")
    ids = np.array([str(x) for x in ids], dtype=object) if isinstance(ids, list) and len(ids) == len(values) else None
    statistic = plain_statistic(task, values, float(data["value"]), f"--baseline {path}")
    saved = Saved(
        data["loss"],
        data.get("reduce", ""),
        float(data["value"]),
        float(data.get("n") or 0),
        str(data.get("signature") or ""),
    )
    return Model(path, saved, statistic, ids)


def _plain_loss(task) -> None:
    if task.weighted or task.counted or task.class_weights is not None or task.spec.ratio or task.spec.root:
        raise UsageError(
            f"--paired: {task.spec.name} here is no plain mean of per-sample losses (weights, ignored samples, a "
            f"ratio or a root); compare with --against PREDS of the baseline instead"
        )
