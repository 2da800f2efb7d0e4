"""What names each row's group where the data does: its true class (--group-by class). The sums per
group are core/groups.py's; the pass (engine/run.py) numbers the groups and merges them."""

from __future__ import annotations

import numpy as np

from ..errors import InputError


def class_labels(target: np.ndarray, labels: bool, names, ignore, where) -> np.ndarray:
    """Each row's true class, named: a class label's column name (or number); a one-hot row's hot
    column; a single target column's whole-number value (0/1 for binary losses). Soft targets and
    targets that are not whole numbers have no class: refused with the first such row."""
    if labels:
        codes = target[:, 0]
        return _named(codes, names, ignore)
    if target.shape[1] == 1:
        values = target[:, 0]
        bad = ~(np.isfinite(values) & (values == np.round(values)))
        if bad.any():
            i = int(np.argmax(bad))
            raise InputError(
                f"{where(i, 0)}: --group-by class: the target {float(values[i])!r} is no class; class groups need "
                "class labels, one-hot rows, or whole-number targets (0/1)"
            )
        return _named(values, None, None)
    hot = target == 1
    one_hot = (hot | (target == 0)).all(axis=1) & (hot.sum(axis=1) == 1)
    if not one_hot.all():
        i = int(np.argmin(one_hot))
        raise InputError(
            f"{where(i, 0)}: --group-by class: this row of targets is not one-hot (a single 1, the rest 0), so it "
            "has no one true class; class groups need class labels or one-hot targets"
        )
    return _named(np.argmax(hot, axis=1).astype(np.float64), names, None)


def _named(codes: np.ndarray, names, ignore) -> np.ndarray:
    """Class numbers as text: the class's name where the columns are named; an ignored label as itself;
    a missing one empty. Named once per distinct class, not per row."""
    unique, inverse = np.unique(codes, return_inverse=True)  # NaN sorts last, once per NaN: each is ""
    text = np.array([_name(c, names, ignore) for c in unique.tolist()], dtype=object)
    return text[inverse.reshape(-1)]


def _name(code: float, names, ignore) -> str:
    if code != code:
        return ""
    if ignore is not None and code == ignore:
        return f"{int(code) if code.is_integer() else code} (ignored)"
    if not code.is_integer():
        return repr(code)
    k = int(code)
    return names[k] if names is not None and 0 <= k < len(names) else str(k)


def sample_groups(request, statistic, finish, pooled: tuple[float, float], samples: int, summed: bool = False):
    """(the groups, each sample's group) of an N-D run, of whole samples: each its own (--group-by sample),
    or by a label per sample (--groups FILE), from the per-sample sums the statistic holds."""
    from ..core.groups import GroupIndex, grouped_ratios

    axes = request.axes
    if axes.group_by == "sample":
        names, codes = [str(i) for i in range(samples)], np.arange(samples, dtype=np.intp)
        by, kind = "--group-by sample", "sample"
    else:
        labels = read_labels(axes.groups, samples, request.inputs)
        index = GroupIndex()
        block = index.block(labels)
        names, codes = index.names, block.run_codes()
        by, kind = f"--groups {axes.groups}" if isinstance(axes.groups, str) else "groups", "labels"
    # Samples summed (--reduce none, outputs): a group's value is its own sum over the run's n (1, or C),
    # as a run over that group alone gives; each sample's share of n is then n itself, once per group.
    shares = statistic.denominator
    if summed:
        first = np.zeros(len(codes), dtype=bool)
        first[np.unique(codes, return_index=True)[1]] = True
        shares = np.where(first, pooled[1], 0.0)
    groups = grouped_ratios(by, kind, names, codes, statistic.numerator, shares, finish, pooled)
    return groups, codes


def read_labels(spec, samples: int, inputs) -> np.ndarray:
    """One group label per sample, as text: a file (its one column, or FILE:KEY), or labels given in memory."""
    if not isinstance(spec, str):
        from ..io.inputs import as_text

        labels = np.asarray(spec)
        labels = as_text(labels.astype(np.float64)) if labels.dtype.kind in "biuf" else labels.astype(str)
        name = "groups"
    else:
        from ..io.inputs import read_labels as read
        from ..io.source import limits_from

        labels, name = (
            read(spec, input_format=inputs.input_format, header=inputs.header, limits=limits_from(inputs.max_inflate)),
            spec,
        )
    if labels.ndim != 1 or len(labels) != samples:
        raise InputError(f"{name}: holds {len(labels):,} group labels for {samples:,} samples; give one per sample")
    return labels


MAX_GROUP_INTERVALS = 1000  # each group's interval is a bootstrap of its own: one per group


def with_group_intervals(groups, codes: np.ndarray, numerators, shares, finish, statistics):
    """``groups`` with each group's bootstrap interval (its own samples resampled, as --ci resamples the
    batch's) and the percentile interval of the gap (every sample resampled, the groups recomputed from
    the resample: a group's share of the samples varies as it would in another batch)."""
    from dataclasses import replace

    from ..errors import UsageError
    from ..stats import RatioStatistic, StatisticError, bootstrap_interval
    from ..stats.bootstrap import Interval

    count = len(groups.names)
    if count > MAX_GROUP_INTERVALS:
        raise UsageError(
            f"--ci with groups: {count:,} groups; an interval a group is drawn for {MAX_GROUP_INTERVALS:,} groups at "
            "most (a bootstrap each); group more coarsely, or leave out --ci"
        )
    level, resamples, seed, method = statistics.ci, statistics.resamples, statistics.seed, statistics.ci_method
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(count + 1))
    intervals = []
    for g in range(count):
        rows = order[bounds[g] : bounds[g + 1]]
        if not groups.has_value[g] or len(rows) < 2:
            intervals.append(None)
            continue
        statistic = RatioStatistic(numerators[rows], shares[rows], finish)
        got = statistic.value()
        if not np.isclose(got, groups.value[g], rtol=1e-9, atol=1e-300):
            raise UsageError(f"--ci: group {groups.names[g]!r}'s value is no ratio of its samples' sums ({got!r})")
        try:
            drawn = bootstrap_interval(statistic, level=level, resamples=resamples, seed=seed, method=method)
        except StatisticError:  # e.g. a sample with nothing valid drawn alone: this group has no interval
            drawn = None
        intervals.append(drawn)
    gaps = _gap_replicates(codes, numerators, shares, finish, count, resamples, seed)
    alpha = (1 - level) / 2
    low, high = np.quantile(gaps, [alpha, 1 - alpha]) if len(gaps) else (np.nan, np.nan)
    gap_ci = Interval(float(low), float(high), level, "percentile", resamples, seed)
    return replace(groups, ci=intervals, gap_ci=gap_ci, ci_level=level)


def _gap_replicates(codes, numerators, shares, finish, count: int, resamples: int, seed: int) -> np.ndarray:
    """pooled - mean of groups on each resample of the samples (groups left empty by it: not in its mean)."""
    rng = np.random.default_rng(seed)
    n = len(codes)
    out = []
    with np.errstate(all="ignore"):
        for _ in range(resamples):
            drawn = np.bincount(rng.integers(0, n, n), minlength=n).astype(np.float64)  # times each sample is drawn
            a = np.bincount(codes, numerators * drawn, count)
            b = np.bincount(codes, shares * drawn, count)
            present = b != 0
            if not present.any():
                continue
            pooled = finish(a.sum() / b.sum())
            out.append(pooled - np.mean(finish(a[present] / b[present])))
    values = np.array(out)
    return values[np.isfinite(values)]
