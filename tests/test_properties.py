"""The reduction model's identities as properties, over every loss in the registry.

``--reduce`` only changes n: the batch value under ``all`` times N C, under ``samples``
times N and under ``outputs`` times C is the sum of the element terms (``none``). The
gradient is scaled the same way, so the mean of the per-sample gradients is the gradient
of the mean. Rows are samples: permuting them permutes the per-sample values and leaves
the batch value alone. float32 inputs are read as the float64 numbers they are.

Inputs are drawn inside each loss's domain, as the registry states it (``loss.domains``):
the first of a few kinds of numbers (probabilities, log-probabilities, signs, 0/1, any
real) that the domain accepts. Hypothesis runs derandomized, so CI sees the same examples
every time.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import losscli
from losscli.core.grads import NOT_DIFFERENTIABLE

SETTINGS = settings(
    derandomize=True,
    database=None,
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
RTOL = 1e-12

# every loss with a 2-D pass: an exponent loss (perplexity) is computed over N-D inputs only, and
# its identities (per-sample values, masks, blocks) are tests/test_tensors_cli.py's
LOSSES = {loss.name: loss for loss in losscli.LOSSES if not loss.exponent}
# Losses whose value is a mean of element terms: not a root after the reduction, not a ratio of sums
# (nor an order statistic: a maximum or a median, whose own identities are below)
PLAIN = sorted(n for n, loss in LOSSES.items() if not (loss.per_sample_only or loss.root or loss.ratio or loss.order))
PER_SAMPLE_ONLY = sorted(n for n, loss in LOSSES.items() if loss.per_sample_only and not (loss.root or loss.ratio))
SAMPLES_AND_NONE = sorted(
    n for n, loss in LOSSES.items() if not (loss.root or loss.ratio) and {"samples", "none"} <= set(loss.reductions)
)
ORDER_STATISTICS = sorted(n for n, loss in LOSSES.items() if loss.order in ("max", "median"))
EVERY = sorted(LOSSES)
# counts and ranks have no gradient (--grad refused: tests/test_more_losses.py)
DIFFERENTIABLE = {n for n, loss in LOSSES.items() if loss.elements not in NOT_DIFFERENTIABLE and not loss.order}

# Non-default option sets worth drawing too (used only where the loss takes the option).
VARIANTS = {
    "huber": [{"delta": 0.5}],
    "smooth_l1": [{"beta": 0.25}],
    "pinball": [{"quantile": 0.9}],
    "bce": [{"from_logits": True}, {"label_smoothing": 0.1}],
    "focal": [{"from_logits": True}, {"alpha": 0.25}],
    "cce": [{"from_logits": True}, {"label_smoothing": 0.1}],
    "sparse_cce": [{"from_logits": True}],
    "categorical_focal": [{"from_logits": True}],
    "kld": [{"log_input": True}],
    "poisson_nll": [{"log_input": False}],
    "tweedie_deviance": [{"power": 1.5}, {"power": 3.0}],
    "multi_margin": [{"p": 2}],
    "mape": [{"fraction": True}],
    "tversky": [{"alpha": 0.3, "beta": 0.7}],
}


def _required(loss) -> dict:
    """Values for options the loss cannot run without (gaussian_nll's --var)."""
    given = {}
    for option in loss.options:
        if getattr(option, "required", False):
            given[option.name] = 1.0 if option.kind in ("array", "float") else 1
    return given


def _option_sets(loss) -> list[dict]:
    names = {option.name for option in loss.options}
    sets = [_required(loss)]
    for variant in VARIANTS.get(loss.name, []):
        if set(variant) <= names:
            sets.append({**_required(loss), **variant})
    return sets


def _candidates(u: np.ndarray):
    """Numbers of several kinds from uniforms in [0, 1]; the first a domain takes is used."""
    return [
        0.05 + 0.9 * u,  # probabilities (also positive, non-negative, rows with a positive sum)
        -(0.05 + 3.0 * u),  # log-probabilities
        np.where(u < 0.5, -1.0, 1.0),  # signs
        np.where(u < 0.5, 0.0, 1.0),  # 0 / 1
        6.0 * u - 3.0,  # any real
        _label_lists(u),  # PyTorch's label lists: some classes' indices, then -1
    ]


def _label_lists(u: np.ndarray) -> np.ndarray:
    order = np.argsort(u, axis=1).astype(np.float64)
    listed = np.arange(u.shape[1]) < (u < 0.5).sum(axis=1, keepdims=True)
    return np.where(listed, order, -1.0)


def _in_domain(domain, u: np.ndarray) -> np.ndarray:
    if domain is None:
        return 6.0 * u - 3.0
    for values in _candidates(u):
        if bool(np.all(domain.allowed(values))):
            return values
    raise AssertionError(f"no kind of number fits the domain {domain.need!r}; teach _candidates about it")


@st.composite
def problems(draw, name: str, min_rows: int = 1):
    """(loss name, predictions (N, C), targets (N, C) or labels (N,), options) inside the loss's domain."""
    loss = LOSSES[name]
    options = draw(st.sampled_from(_option_sets(loss)))
    resolved = loss.resolve_options(options)
    labels = loss.targets == "labels"
    n = draw(st.integers(min_rows, 6))
    one_output = loss.order in ("max", "bins")  # max_error and calibration_error take one column
    c = draw(st.integers(2 if labels else 1, 1 if one_output else 4))
    unit = st.floats(0.0, 1.0, allow_nan=False, allow_infinity=False)
    u = draw(arrays(np.float64, (n, c), elements=unit))
    pred_domain, target_domain = loss.domains(resolved)
    preds = _in_domain(pred_domain, u)
    if labels:
        targets = draw(arrays(np.int64, (n,), elements=st.integers(0, c - 1))).astype(np.float64)
    else:
        v = draw(arrays(np.float64, (n, c), elements=unit))
        targets = _in_domain(target_domain, v)
    return name, preds, targets, options


def _compute(name, preds, targets, options, **kwargs):
    return losscli.compute(name, preds, targets, **options, **kwargs)


def _close(a: float, b: float, scale: float) -> bool:
    return math.isclose(a, b, rel_tol=RTOL, abs_tol=RTOL * max(scale, 1e-300))


@pytest.mark.parametrize("name", PLAIN)
@SETTINGS
@given(data=st.data())
def test_value_times_n_is_the_sum_of_the_terms(name, data):
    """all x N C = samples x N = outputs x C = none, for every loss with element terms."""
    name, preds, targets, options = data.draw(problems(name))
    by = {r: _compute(name, preds, targets, options, reduce=r) for r in ("all", "samples", "outputs", "none")}
    n, c = by["none"].shape
    total = by["none"].value
    scale = float(np.abs(by["none"].per_element).sum()) if by["none"].per_element is not None else abs(total)
    assert math.isfinite(total)
    for reduce, times in (("all", n * c), ("samples", n), ("outputs", c), ("none", 1)):
        assert _close(by[reduce].value * times, total, scale), (reduce, by[reduce].value, times, total)


@pytest.mark.parametrize("name", PLAIN)
@SETTINGS
@given(data=st.data())
def test_per_sample_and_per_output_follow_the_reduction(name, data):
    """The README's table: per-sample L[i] is the mean over outputs under all/outputs and the sum under
    samples/none; per-output O[j] is the column sum / N under all/samples and the column sum otherwise."""
    name, preds, targets, options = data.draw(problems(name))
    by = {r: _compute(name, preds, targets, options, reduce=r) for r in ("all", "samples", "outputs", "none")}
    n, c = by["none"].shape
    terms = by["none"].per_element
    row_sums, column_sums = terms.sum(axis=1), terms.sum(axis=0)
    scale = float(np.abs(terms).sum()) + 1e-300
    expected = {
        "all": (row_sums / c, column_sums / n),
        "samples": (row_sums, column_sums / n),
        "outputs": (row_sums / c, column_sums),
        "none": (row_sums, column_sums),
    }
    for reduce, (per_sample, per_output) in expected.items():
        np.testing.assert_allclose(by[reduce].per_sample, per_sample, rtol=RTOL, atol=RTOL * scale, err_msg=reduce)
        np.testing.assert_allclose(by[reduce].per_output, per_output, rtol=RTOL, atol=RTOL * scale, err_msg=reduce)


@pytest.mark.parametrize("name", PER_SAMPLE_ONLY)
@SETTINGS
@given(data=st.data())
def test_per_sample_losses_samples_times_n_is_none(name, data):
    """Losses that exist only per sample: the mean over samples times N is the sum."""
    name, preds, targets, options = data.draw(problems(name))
    mean = _compute(name, preds, targets, options, reduce="samples")
    total = _compute(name, preds, targets, options, reduce="none")
    n = mean.shape[0]
    scale = float(np.abs(total.per_sample).sum())
    assert _close(mean.value * n, total.value, scale), (mean.value, n, total.value)


@pytest.mark.parametrize("name", [n for n in SAMPLES_AND_NONE if n in DIFFERENTIABLE])
@SETTINGS
@given(data=st.data())
def test_mean_of_per_sample_gradients_is_the_gradient_of_the_mean(name, data):
    """Row i of the gradient under --reduce none is the gradient of L[i]; their mean (divided by N) is the
    gradient of the mean under --reduce samples."""
    name, preds, targets, options = data.draw(problems(name))
    per_sample = _compute(name, preds, targets, options, reduce="none", grad=True).gradient
    of_mean = _compute(name, preds, targets, options, reduce="samples", grad=True).gradient
    assert per_sample is not None and of_mean is not None
    n = per_sample.shape[0]
    assert per_sample.shape == of_mean.shape == preds.shape
    scale = float(np.abs(per_sample).max()) / n
    np.testing.assert_allclose(per_sample / n, of_mean, rtol=1e-11, atol=1e-12 * scale + 1e-300)


@pytest.mark.parametrize("name", [n for n in PLAIN if n in DIFFERENTIABLE])
@SETTINGS
@given(data=st.data())
def test_gradient_scales_with_n_alone(name, data):
    """Only n changes between reductions: n x gradient is the gradient of the sum, under every --reduce."""
    name, preds, targets, options = data.draw(problems(name))
    of_sum = _compute(name, preds, targets, options, reduce="none", grad=True).gradient
    n, c = of_sum.shape
    scale = float(np.abs(of_sum).max()) + 1e-300
    for reduce, times in (("all", n * c), ("samples", n), ("outputs", c)):
        gradient = _compute(name, preds, targets, options, reduce=reduce, grad=True).gradient
        np.testing.assert_allclose(gradient * times, of_sum, rtol=1e-11, atol=1e-12 * scale, err_msg=reduce)


@pytest.mark.parametrize("name", EVERY)
@SETTINGS
@given(data=st.data())
def test_permuting_rows_permutes_the_per_sample_values(name, data):
    """Samples are rows: a permutation of the rows permutes L[i] and leaves the batch value alone."""
    name, preds, targets, options = data.draw(problems(name, min_rows=2))
    order = np.array(data.draw(st.permutations(range(len(preds)))))
    before = _compute(name, preds, targets, options)
    after = _compute(name, preds[order], targets[order], options)
    scale = float(np.abs(before.per_sample).sum())
    np.testing.assert_allclose(after.per_sample, before.per_sample[order], rtol=RTOL, atol=RTOL * scale + 1e-300)
    assert _close(after.value, before.value, max(scale, abs(before.value))), (before.value, after.value)
    if before.per_element is not None:
        np.testing.assert_allclose(after.per_element, before.per_element[order], rtol=RTOL, atol=1e-300)


@pytest.mark.parametrize("name", EVERY)
@SETTINGS
@given(data=st.data())
def test_float32_inputs_give_the_float64_result_of_the_same_numbers(name, data):
    """float32 data is read as the float64 numbers it holds: the same result, to the last bit."""
    name, preds, targets, options = data.draw(problems(name))
    preds32 = preds.astype(np.float32)
    labels = LOSSES[name].targets == "labels"
    targets32 = targets if labels else targets.astype(np.float32)
    grad = not LOSSES[name].root and name in DIFFERENTIABLE  # a root's gradient at 0: a test of its own
    single = _compute(name, preds32, targets32, options, grad=grad)
    double = _compute(name, preds32.astype(np.float64), np.asarray(targets32, dtype=np.float64), options, grad=grad)
    assert single.value == double.value or (math.isnan(single.value) and math.isnan(double.value))
    np.testing.assert_array_equal(single.per_sample, double.per_sample)
    if double.per_element is not None:
        np.testing.assert_array_equal(single.per_element, double.per_element)
    if double.gradient is not None:
        np.testing.assert_array_equal(single.gradient, double.gradient)


@pytest.mark.parametrize("name", ORDER_STATISTICS)
@SETTINGS
@given(data=st.data())
def test_an_order_statistic_is_numpys_of_each_output_then_their_mean(name, data):
    """max_error is np.max of |p - t| (one output); median_absolute_error each output's np.median of it, their
    mean (scikit-learn's uniform_average); n is N either way."""
    name, preds, targets, options = data.draw(problems(name))
    result = _compute(name, preds, targets, options)
    statistic = np.max if LOSSES[name].order == "max" else np.median
    per_output = statistic(np.abs(preds - targets), axis=0)
    np.testing.assert_allclose(result.per_output, per_output, rtol=RTOL, atol=0)
    assert _close(result.value, float(per_output.mean()), abs(float(per_output.mean())))
    assert result.n == len(preds)


@pytest.mark.parametrize("name", ORDER_STATISTICS)
@SETTINGS
@given(data=st.data())
def test_an_order_statistic_is_the_same_over_any_blocks(name, data):
    """Blocks of any size merge to the one-block value to the bit (a maximum of maxima; a median of the
    values held)."""
    from losscli.core.order import order_statistic_of

    name, preds, targets, options = data.draw(problems(name, min_rows=2))
    terms = np.abs(preds - targets)
    cut = data.draw(st.integers(1, len(preds) - 1))
    whole, first, second = (order_statistic_of(LOSSES[name].order, terms.shape[1], {}) for _ in range(3))
    whole.add(terms, preds, targets)
    first.add(terms[:cut], preds[:cut], targets[:cut])
    second.add(terms[cut:], preds[cut:], targets[cut:])
    first.merge(second)
    np.testing.assert_array_equal(first.per_output(), whole.per_output())


def _calibration_by_hand(p: np.ndarray, t: np.ndarray, bins: int, norm: str) -> float:
    """torchmetrics' binary calibration error written out bin by bin: bin b holds b/B <= p < (b+1)/B, and
    p = 1 a bin of its own."""
    gaps, shares = [], []
    for b in range(bins + 1):
        inside = (p >= b / bins) & (p < (b + 1) / bins) if b < bins else p == 1.0
        if inside.any():
            gaps.append(abs(t[inside].mean() - p[inside].mean()))
            shares.append(inside.sum() / len(p))
    gap, share = np.array(gaps), np.array(shares)
    if norm == "max":
        return float(gap.max())
    if norm == "l2":
        return float(np.sqrt(np.sum(gap**2 * share)))
    return float(np.sum(gap * share))


@SETTINGS
@given(data=st.data())
def test_calibration_error_is_its_bins_written_out(data):
    """The value is the bins' gaps weighted by their shares (l1), their root mean square (l2) or the largest
    (max); with one bin, l1 is |mean t - mean p| (no bin can hide a gap)."""
    n = data.draw(st.integers(1, 30))
    p = data.draw(arrays(np.float64, (n,), elements=st.sampled_from([0.0, 0.25, 0.5, 1.0]) | st.floats(0, 1)))
    t = data.draw(arrays(np.float64, (n,), elements=st.sampled_from([0.0, 1.0])))
    bins = data.draw(st.integers(1, 12))
    norm = data.draw(st.sampled_from(["l1", "l2", "max"]))
    got = losscli.compute("calibration_error", p[:, None], t[:, None], bins=bins, norm=norm)
    assert _close(got.value, _calibration_by_hand(p, t, bins, norm), 1.0)
    assert got.n == n
    if bins == 1 and norm == "l1" and not (p == 1.0).any():
        assert _close(got.value, abs(t.mean() - p.mean()), 1.0)


@SETTINGS
@given(data=st.data())
def test_calibration_bins_merge_to_the_one_pass_value(data):
    """Bins are sums: two blocks merged give the one-block bins, each count exactly and each sum to its last
    bits of addition order."""
    from losscli.core.order import order_statistic_of

    n = data.draw(st.integers(2, 30))
    p = data.draw(arrays(np.float64, (n, 1), elements=st.floats(0, 1)))
    t = data.draw(arrays(np.float64, (n, 1), elements=st.sampled_from([0.0, 1.0])))
    cut = data.draw(st.integers(1, n - 1))
    options = {"bins": data.draw(st.integers(1, 12)), "norm": "l1", "from_logits": False}
    whole, first, second = (order_statistic_of("bins", 1, options) for _ in range(3))
    whole.add(p - t, p, t)
    first.add(p[:cut] - t[:cut], p[:cut], t[:cut])
    second.add(p[cut:] - t[cut:], p[cut:], t[cut:])
    first.merge(second)
    np.testing.assert_array_equal(first.counts, whole.counts)
    np.testing.assert_allclose(first.confidence, whole.confidence, rtol=1e-13, atol=0)
    assert _close(first.value(), whole.value(), 1.0)


ROOTS = sorted(n for n, loss in LOSSES.items() if loss.root)


@pytest.mark.parametrize(
    "name, per_output_root",
    [
        (name, per_output_root)
        for name in ROOTS
        for per_output_root in (False, True)
        if not per_output_root or any(o.name == "per_output_root" for o in LOSSES[name].options)
    ],
)
def test_root_gradient_where_the_loss_is_zero_is_no_crash(name, per_output_root):
    """sqrt has no derivative at 0: predictions equal to the targets give a result (a gradient that says it is
    not finite, or PyTorch's 0), never a ZeroDivisionError."""
    preds = np.array([[0.5, 0.25], [0.75, 0.5]])
    options = {"per_output_root": True} if per_output_root else {}
    result = losscli.compute(name, preds, preds.copy(), grad=True, **options)
    assert result.value == 0.0
    assert result.gradient is not None and result.gradient.shape == preds.shape


@SETTINGS
@given(
    values=arrays(
        np.float64,
        st.integers(1, 3000),
        elements=st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([0.0, 1.0, 2.0])),
    ),
    k=st.integers(0, 40),
)
def test_top_rows_are_the_k_largest_first_among_equals(values, k):
    """The worst rows of a block: the k largest values, NaN counted largest, the first of equal
    values, as a full sort (largest first, then by index) picks them."""
    from losscli.core.sums import rank_key, top_rows

    order = np.lexsort((np.arange(len(values)), -rank_key(values)))[:k]
    assert sorted(top_rows(values, k).tolist()) == sorted(order.tolist())
