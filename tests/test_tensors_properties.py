"""core/tensors.py's identities as properties.

- Blocks: the value, n and its words are the same bits for any split of the samples into blocks, and for
  sums built apart and merged (every sum is exact).
- A mask of all ones is no mask; labels equal to ignore_index are the mask ``labels != ignore_index``;
  lengths are the mask ``step < length`` along the first position axis. Only the record of what removed
  the cells differs.
- A 2-D input has no positions, and every reduce gives what losscli computes today (``losscli.api.compute``):
  the same n and words, and the same value: to the last bit where today's engine sums the terms exactly
  (terms of either sign), within its stated bound where it takes NumPy's pairwise sum of terms of one sign
  (36 units of 2^-53 for a block: core/sums.py).

Terms are drawn over 60 octaves and both signs, so that a sum which is not exact would show it. Hypothesis
runs derandomized, so CI sees the same examples every time.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from losscli import compute
from losscli.core import tensors as T
from losscli.core.registry import NON_NEGATIVE_TERMS, get_loss
from losscli.core.terms import prepare
from losscli.errors import InputError, UsageError

SETTINGS = settings(
    derandomize=True,
    database=None,
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
REDUCES = ("all", "samples,positions", "samples", "positions", "outputs", "positions,outputs", "none")
PAIRWISE_RTOL = 36 * 2.0**-53  # today's sum of terms of one sign in a block (core/sums.py)


def _draw_batch(data, with_outputs=True):
    """Roles of a rank-3 or rank-4 input, terms spanning 60 octaves of both signs, a mask, and weights."""
    n = data.draw(st.integers(1, 9), label="N")
    positions = data.draw(st.lists(st.integers(1, 4), min_size=1, max_size=2), label="positions")
    c = data.draw(st.integers(1, 4), label="C")
    roles = T.axis_roles((n, *positions, c))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    shape = (n, roles.n_positions, c) if with_outputs else (n, roles.n_positions)
    terms = rng.normal(size=shape) * 2.0 ** rng.integers(-30, 30, shape)
    mask = rng.uniform(size=roles.cell_shape) < data.draw(st.sampled_from([0.0, 0.3, 0.9]), label="masked")
    kind = data.draw(st.sampled_from(["none", "samples", "positions"]), label="weights")
    weights = {
        "none": None,
        "samples": rng.uniform(0, 3, n),
        "positions": rng.uniform(0, 3, roles.cell_shape),
    }[kind]
    return roles, terms, ~mask, None if weights is None else T.cell_weights(weights, roles)


def _outcome(call):
    """What a call gives: its value, n and words, or the kind of refusal."""
    try:
        r = call()
    except (UsageError, InputError) as error:
        return "UsageError" if isinstance(error, UsageError) else "InputError"
    return (float(r.value).hex(), r.n, r.n_text, getattr(r, "removed", None))


@SETTINGS
@given(data=st.data())
def test_any_block_split_of_the_samples_gives_the_same_bits(data):
    roles, terms, valid, weights = _draw_batch(data, with_outputs=data.draw(st.booleans()))
    cells = T.validity(roles, mask=valid)
    block = data.draw(st.integers(1, roles.n_samples), label="block")
    divisor = data.draw(st.sampled_from(T.WEIGHT_DIVISORS))
    for reduce in REDUCES:

        def run(size, reduce=reduce):
            return T.reduce_terms(
                terms, roles, reduce, validity=cells, weights=weights, weight_divisor=divisor, block=size, empty="nan"
            )

        assert _outcome(lambda: run(None)) == _outcome(lambda: run(block)), reduce


@SETTINGS
@given(data=st.data())
def test_sums_built_apart_and_merged_are_one_run(data):
    roles, terms, valid, weights = _draw_batch(data)
    cells = T.validity(roles, mask=valid)
    cut = data.draw(st.integers(0, roles.n_samples), label="cut")
    whole, first, second = (T.AxisSums(roles) for _ in range(3))
    whole.add(terms, cells, weights)
    for part, rows in ((first, slice(0, cut)), (second, slice(cut, None))):
        part.add(terms[rows], cells.rows(rows), None if weights is None else weights[rows])
    first.merge(second)
    for reduce in REDUCES:
        assert _outcome(lambda r=reduce: T.reduced(first, r, empty="nan")) == _outcome(
            lambda r=reduce: T.reduced(whole, r, empty="nan")
        ), reduce


@SETTINGS
@given(data=st.data())
def test_a_mask_of_all_ones_is_no_mask(data):
    roles, terms, _, weights = _draw_batch(data)
    ones = T.validity(roles, mask=np.ones(roles.cell_shape, dtype=data.draw(st.sampled_from([bool, int, float]))))
    assert ones.removed == T.Removed() and ones.valid.all()
    for reduce in REDUCES:
        assert _outcome(lambda r=reduce: T.reduce_terms(terms, roles, r, validity=ones, weights=weights)) == _outcome(
            lambda r=reduce: T.reduce_terms(terms, roles, r, weights=weights)
        ), reduce


@SETTINGS
@given(data=st.data())
def test_ignored_labels_are_the_equivalent_mask(data):
    """Labels -100 against ``mask = labels != -100``: class-loss terms, every reduce the same bits."""
    roles, _, valid, weights = _draw_batch(data)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    labels = np.where(valid, rng.integers(0, roles.n_outputs, roles.cell_shape), -100)
    logits = rng.normal(0, 3, roles.shape)
    ignored = T.validity(roles, labels=labels, ignore_index=-100)
    masked = T.validity(roles, mask=labels != -100)
    flat_labels = T.flatten_cells(labels, roles, "labels")
    targets = T.labels_one_hot(flat_labels, roles.n_outputs, ignored.valid, roles)
    from losscli.core.losses import sparse_categorical_cross_entropy

    terms = T.element_terms_of(
        sparse_categorical_cross_entropy, T.flatten_outputs(logits, roles), targets, {"from_logits": True}
    )
    assert ignored.removed.ignored == masked.removed.masked == int((labels == -100).sum())
    for reduce in ("samples,positions", "all", "samples", "positions", "none"):
        a, b = (
            _outcome(lambda r=reduce, v=v: T.reduce_terms(terms, roles, r, validity=v, weights=weights, empty="nan"))
            for v in (ignored, masked)
        )
        if isinstance(a, tuple) and isinstance(b, tuple):
            assert a[:2] == b[:2] and a[2].replace("ignored", "masked") == b[2], reduce
        else:
            assert a == b, reduce


@SETTINGS
@given(data=st.data())
def test_lengths_are_the_equivalent_mask(data):
    roles, terms, _, weights = _draw_batch(data)
    steps = roles.position_shape[0]
    lengths = np.asarray(data.draw(st.lists(st.integers(0, steps), min_size=roles.n_samples, max_size=roles.n_samples)))
    step = np.arange(steps).reshape((1, steps) + (1,) * (len(roles.position_shape) - 1))
    mask = np.broadcast_to(step < lengths.reshape((-1,) + (1,) * len(roles.position_shape)), roles.cell_shape)
    by_lengths, by_mask = T.validity(roles, lengths=lengths), T.validity(roles, mask=mask)
    np.testing.assert_array_equal(by_lengths.valid, by_mask.valid)
    assert by_lengths.removed.past_length == by_mask.removed.masked
    for reduce in REDUCES:
        a, b = (
            _outcome(lambda r=reduce, v=v: T.reduce_terms(terms, roles, r, validity=v, weights=weights, empty="nan"))
            for v in (by_lengths, by_mask)
        )
        assert (a[:2] if isinstance(a, tuple) else a) == (b[:2] if isinstance(b, tuple) else b), reduce


# --- 2-D: what losscli computes today ---------------------------------------------------------


def _two_d_inputs(loss: str, rng, n: int, c: int):
    """Predictions and targets in the loss's domain; labels for the label losses."""
    probs = rng.uniform(0.05, 1.0, (n, c))
    probs /= probs.sum(axis=1, keepdims=True)
    labels = rng.integers(0, c, n).astype(float)
    return {
        "mse": (rng.normal(0, 3, (n, c)), rng.normal(0, 3, (n, c))),
        "mae": (rng.normal(0, 3, (n, c)), rng.normal(0, 3, (n, c))),
        "huber": (rng.normal(0, 3, (n, c)), rng.normal(0, 3, (n, c))),
        "poisson_nll": (rng.normal(0, 1, (n, c)), rng.integers(0, 5, (n, c)).astype(float)),
        "bce": (rng.uniform(0.01, 0.99, (n, c)), rng.integers(0, 2, (n, c)).astype(float)),
        "kld": (probs, rng.dirichlet(np.ones(c), n)),
        "cce": (probs, rng.dirichlet(np.ones(c), n)),
        "sparse_cce": (probs, labels),
        "nll": (np.log(probs), labels),
        "categorical_hinge": (probs, np.eye(c)[labels.astype(int)]),
    }[loss]


def _ours_two_d(loss, pred, target, reduce, weights, divisor, ignore_index):
    spec = get_loss(loss)
    labels = spec.targets == "labels"
    task = prepare(spec, reduce=None, weighted=weights is not None, labels=labels)
    options = {o.name: task.options[o.name] for o in spec.options if o.to_elements}
    roles = T.axis_roles(pred.shape)
    cells = T.validity(roles, labels=target if labels else None, ignore_index=ignore_index)
    if labels:
        target = T.labels_one_hot(target.reshape(-1, 1), pred.shape[1], cells.valid, roles)
    flat_target = target if labels else T.flatten_outputs(target, roles)
    terms = T.element_terms_of(spec.elements, T.flatten_outputs(pred, roles), flat_target, options)
    w = None if weights is None else T.cell_weights(weights, roles)
    return T.reduce_terms(terms, roles, reduce, validity=cells, weights=w, weight_divisor=divisor)


LOSSES_2D = ("mse", "mae", "huber", "poisson_nll", "bce", "kld", "cce", "sparse_cce", "nll", "categorical_hinge")


@pytest.mark.parametrize("loss", LOSSES_2D)
@SETTINGS
@given(data=st.data())
def test_a_two_d_input_gives_what_losscli_computes_today(loss, data):
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    n, c = data.draw(st.integers(1, 40), label="N"), data.draw(st.integers(2, 6), label="C")
    pred, target = _two_d_inputs(loss, rng, n, c)
    ignore_index = -100 if loss in ("sparse_cce", "nll") and data.draw(st.booleans(), label="ignore") else None
    if ignore_index is not None:
        target = np.where(rng.uniform(size=n) < 0.3, -100.0, target)
    weighted = data.draw(st.booleans(), label="weighted")
    weights = rng.integers(0, 9, n) / 4.0 if weighted else None  # quarters: their sums are exact either way
    divisor = data.draw(st.sampled_from(T.WEIGHT_DIVISORS), label="divisor")
    options = {} if ignore_index is None else {"ignore_index": ignore_index}
    for reduce in ("all", "samples", "outputs", "none"):
        today = _outcome(
            lambda r=reduce: compute(loss, pred, target, reduce=r, weights=weights, weight_divisor=divisor, **options)
        )
        ours = _outcome(lambda r=reduce: _ours_two_d(loss, pred, target, r, weights, divisor, ignore_index))
        if not isinstance(today, tuple) and reduce in ("outputs", "none") and weights is not None and not weights.sum():
            # Today's Result also lists every other reduction, and those over samples divide by the weights'
            # sum 0: it refuses all. A reduce that does not average the samples never divides by the weights.
            assert isinstance(ours, tuple) and ours[1] == (c if reduce == "outputs" else 1), (reduce, ours)
            continue
        if not isinstance(today, tuple):
            assert ours == today, (reduce, today, ours)
            continue
        assert isinstance(ours, tuple), (reduce, today, ours)
        assert ours[1] == today[1], reduce  # n
        if ignore_index is None:  # today says "(0 ignored)" where --ignore-index ignored nothing
            assert ours[2] == today[2], reduce
        value, expected = float.fromhex(ours[0]), float.fromhex(today[0])
        if loss in NON_NEGATIVE_TERMS:
            np.testing.assert_allclose(value, expected, rtol=PAIRWISE_RTOL, atol=0, err_msg=reduce)
        else:
            assert value == expected, (reduce, value, expected)
