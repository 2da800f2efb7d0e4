"""core/tensors.py: axis roles, the flattened layout, validity, n in the axes' words, and the refusals.

Expected values are worked by hand from the inputs written here (each test says how), or are NumPy's own
indexing of the same arrays. A refusal is one InputError or UsageError (exit 2 at the entry point) whose
message names the shapes and what would fit.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from losscli.core import losses as L
from losscli.core import tensors as T
from losscli.errors import ExitCode, InputError, UsageError

# --- roles and layout -----------------------------------------------------------------------


def test_roles_of_channels_first_and_last():
    first = T.axis_roles((2, 5, 3, 4), 1)
    assert (first.outputs, first.positions, first.n_outputs, first.n_positions) == ((1,), (2, 3), 5, 12)
    assert first.cell_shape == (2, 3, 4)
    assert first.describe() == "samples 2 (axis 0), outputs 5 (axis 1), positions 3 x 4 (axes 2, 3)"
    last = T.axis_roles((2, 3, 4, 5))
    assert (last.outputs, last.positions, last.cell_shape) == ((3,), (1, 2), (2, 3, 4))
    assert T.axis_roles((2, 3, 4, 5), -3) == T.axis_roles((2, 3, 4, 5), 1)


def test_a_tuple_axis_is_one_flattened_class_axis_as_optax_takes():
    roles = T.axis_roles((2, 3, 4, 5), (3, 1))  # order given does not matter: flattened in increasing order
    assert (roles.outputs, roles.positions, roles.n_outputs) == ((1, 3), (2,), 15)
    x = np.arange(2 * 3 * 4 * 5.0).reshape(2, 3, 4, 5)
    flat = T.flatten_outputs(x, roles)
    assert flat.shape == (2, 4, 15)
    # class k = 5 c + d (C order of axes 1 and 3), position = axis 2
    assert flat[1, 2, 5 * 2 + 3] == x[1, 2, 2, 3]


def test_flattening_channels_first_puts_pixels_in_c_order():
    x = np.random.default_rng(0).normal(size=(2, 5, 3, 4))
    roles = T.axis_roles(x.shape, 1)
    flat = T.flatten_outputs(x, roles)
    for i, c, h, w in [(0, 0, 0, 0), (1, 4, 2, 3), (0, 2, 1, 2)]:
        assert flat[i, h * 4 + w, c] == x[i, c, h, w]
    labels = np.arange(24).reshape(2, 3, 4)
    assert T.flatten_cells(labels, roles, "labels")[1, 1 * 4 + 2] == labels[1, 1, 2]
    assert T.cell_index(roles, 1, 6) == (1, 1, 2)


def test_one_and_two_dimensional_inputs_have_no_positions():
    assert T.axis_roles((7,)) == T.Roles((7,), (), ())
    assert T.axis_roles((7,)).n_outputs == 1
    two = T.axis_roles((7, 3))
    assert (two.outputs, two.positions, two.n_positions, two.cell_shape) == ((1,), (), 1, (7,))


def test_the_class_axis_is_inferred_and_said():
    roles, note = T.label_roles((2, 5, 3, 4), (2, 3, 4))
    assert roles.outputs == (1,) and note == "the class axis is axis 1, the one the labels lack"
    roles, note = T.label_roles((2, 3, 5), (2, 3))
    assert roles.outputs == (2,) and note == "the class axis is the last, axis 2 (the default)"
    roles, note = T.label_roles((2, 3, 3), (2, 3))  # both axes fit: the default, and the other is named
    assert roles.outputs == (2,)
    assert (
        note == "the class axis is the last, axis 2 (the default); axis 1 would fit the labels too "
        "(--axis 1 for channels-first)"
    )
    roles, note = T.label_roles((2, 3, 3), (2, 3), axis=1)
    assert roles.outputs == (1,) and note == "the class axis is axis 1 (--axis)"


def test_ratio_axes():
    assert T.ratio_axes((2, 3, 4)) == (1, 2)  # losscli's default: one ratio per sample
    assert T.ratio_axes((2, 3, 4), None) == (0, 1, 2)  # Keras's axis=None: one ratio for the batch
    assert T.ratio_axes((2, 3, 4), -1) == (2,)
    assert T.ratio_axes((2, 3, 4), (0, 2)) == (0, 2)


# --- refusals -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: T.axis_roles((2, 5, 3, 4), 4),
            UsageError,
            "--axis 4 is out of range for shape (2, 5, 3, 4) of 4 axes: use 1..3 or -1..-3",
        ),
        (
            lambda: T.axis_roles((2, 5), -3),
            UsageError,
            "--axis -3 is out of range for shape (2, 5) of 2 axes: use 1..1 or -1..-1",
        ),
        (
            lambda: T.axis_roles((2, 5, 3), 0),
            UsageError,
            "--axis 0 is axis 0, the samples of shape (2, 5, 3); the outputs axis is one of 1..2 (or -1, the last)",
        ),
        (lambda: T.axis_roles((2, 5, 3), (1, -2)), UsageError, "--axis 1,-2 names an axis twice (shape (2, 5, 3))"),
        (lambda: T.axis_roles((4,), 1), UsageError, "--axis 1: an input of shape (4,) has only the samples axis"),
        (lambda: T.axis_roles((), -1), InputError, "a single number has no samples axis"),
        (lambda: T.axis_roles((2, 3), "1"), UsageError, "--axis '1': give an axis number, or a comma list of them"),
        (
            lambda: T.label_roles((2, 5, 3, 4), (2, 7)),
            InputError,
            "labels of shape (2, 7) fit no axis of predictions of shape (2, 5, 3, 4): labels take the predictions' "
            "shape without the class axis; (2, 3, 4) with --axis 1, (2, 5, 4) with --axis 2, (2, 5, 3) with "
            "--axis 3 would fit",
        ),
        (
            lambda: T.label_roles((2, 5, 3, 4), (2, 3, 4), axis=-1),
            InputError,
            "labels of shape (2, 3, 4) do not fit predictions of shape (2, 5, 3, 4) with --axis -1: labels take the "
            "predictions' shape without the class axis, (2, 5, 3); (2, 3, 4) with --axis 1",
        ),
        (
            lambda: T.label_roles((2, 3, 3, 5), (2, 3, 5)),
            UsageError,
            "labels of shape (2, 3, 5) fit axes 1, 2 of predictions of shape (2, 3, 3, 5); say which holds the "
            "classes with --axis",
        ),
        (
            lambda: T.validity(T.axis_roles((2, 5, 3, 4), 1), mask=np.ones((2, 5, 3, 4))),
            InputError,
            "the mask has shape (2, 5, 3, 4); it must have the predictions' shape without the outputs axis: (2, 3, 4) "
            "for predictions of shape (2, 5, 3, 4)",
        ),
        (
            lambda: T.validity(T.axis_roles((2, 3, 4)), mask=[[1, 0, 2], [1, 1, 1]]),
            InputError,
            "mask[0, 2] = 2: a mask holds 0 (removed) or 1 (counts)",
        ),
        (
            lambda: T.cell_weights(np.ones((2, 4)), T.axis_roles((2, 3, 4))),
            InputError,
            "the weights have shape (2, 4); give one per sample, (2,), or one per position, (2, 3), for "
            "predictions of shape (2, 3, 4)",
        ),
        (
            lambda: T.cell_weights([[1, 1, 1], [1, -0.5, 1]], T.axis_roles((2, 3, 4))),
            InputError,
            "weights[1, 1] = -0.5: weights are finite numbers >= 0",
        ),
        (
            lambda: T.validity(T.axis_roles((2, 4)), lengths=[1, 2]),
            UsageError,
            "--lengths cut positions, and shape (2, 4) has none (samples and outputs only)",
        ),
        (
            lambda: T.validity(T.axis_roles((2, 3, 5, 4), 1), lengths=[5, 6]),
            InputError,
            "lengths[1] = 6: a length is a whole number from 0 to 5, the size of axis 2 (the first position axis)",
        ),
        (
            lambda: T.validity(T.axis_roles((2, 3, 4)), lengths=[1, 2, 3]),
            InputError,
            "the lengths have shape (3,); give one per sample: (2,)",
        ),
        (
            lambda: T.validity(T.axis_roles((2, 3, 4)), ignore_index=-100),
            UsageError,
            "--ignore-index reads the labels; this loss takes no labels (use --mask)",
        ),
        (
            lambda: T.parse_reduce("samples,tokens"),
            UsageError,
            "--reduce 'samples,tokens': give all, none, or a comma list",
        ),
        (lambda: T.parse_reduce("samples,samples"), UsageError, "(each once)"),
    ],
)
def test_bad_input_is_one_clear_refusal(call, error, message):
    with pytest.raises(error) as caught:
        call()
    assert message in str(caught.value)
    assert caught.value.exit_code == ExitCode.USAGE


def test_a_bad_label_is_named_by_its_place_in_the_labels_shape():
    roles = T.axis_roles((2, 5, 3, 4), 1)
    labels = np.zeros((2, 3, 4))
    labels[1, 2, 3] = 5  # one past the last class
    labels[0, 1, 1] = -100  # ignored: never checked
    cells = T.validity(roles, labels=labels, ignore_index=-100)
    with pytest.raises(InputError, match=r"labels\[1, 2, 3\] = 5 is not a class label in \[0, 5\)"):
        T.labels_one_hot(T.flatten_cells(labels, roles, "labels"), 5, cells.valid, roles)


def test_reductions_that_do_not_apply_say_what_does():
    roles2 = T.axis_roles((3, 4))
    with pytest.raises(UsageError, match=r"--reduce positions: an input of shape \(3, 4\) has no positions"):
        T.reduce_terms(np.ones((3, 1, 4)), roles2, "samples,positions")
    roles3 = T.axis_roles((3, 2, 4))
    with pytest.raises(UsageError, match="one term per position .*; use --reduce samples,positions"):
        T.reduce_terms(np.ones((3, 2)), roles3, "all")
    with pytest.raises(UsageError, match=r"the weights are per position: give weights of shape \(N,\)"):
        T.reduce_terms(np.ones((3, 2, 4)), roles3, "samples", weights=np.ones((3, 2)))
    with pytest.raises(UsageError, match="--empty 'skip': use error, nan or zero"):
        T.reduce_terms(np.ones((3, 2, 4)), roles3, "all", empty="skip")


# --- n in the axes' words -------------------------------------------------------------------


def test_the_token_mean_says_how_many_tokens_of_how_many_positions():
    """The issue's example: 2 x 640 positions, 256 labelled -100: n = 1,024. Uniform logits (all 0) over 3
    classes give -log(1/3) at every token, so the token mean is log 3 and the perplexity 3."""
    labels = np.zeros((2, 640))
    labels[0, :200] = -100
    labels[1, 584:] = -100
    result = T.perplexity(np.zeros((2, 640, 3)), labels, ignore_index=-100)
    assert result.n == 1024
    assert result.n_text == "1,024 valid tokens of 2 x 640 positions (256 ignored)"
    assert result.removed == T.Removed(ignored=256)
    np.testing.assert_allclose(result.value, 3.0, rtol=1e-15)
    np.testing.assert_allclose(result.total, 1024 * math.log(3.0), rtol=1e-15)


def test_every_reduce_of_one_masked_input_by_hand():
    """Terms all 1 on (N, P, C) = (3, 4, 2); the mask removes sample 2 entirely and position 3 everywhere, so
    6 cells of 12 count: the sums are 6 x 2 = 12 and each n is counted by hand."""
    roles = T.axis_roles((3, 4, 2))
    mask = np.array([[1, 1, 1, 0], [1, 1, 1, 0], [0, 0, 0, 0]])
    cells = T.validity(roles, mask=mask)
    expected = {
        "all": (12 / 12, 12.0, "6 valid positions of 3 x 4 positions (6 masked) x 2 outputs = 12"),
        "samples,positions": (12 / 6, 6.0, "6 valid positions of 3 x 4 positions (6 masked)"),
        "samples": (12 / 2, 2.0, "2 of 3 samples (1 with every position removed)"),
        "positions": (12 / 3, 3.0, "3 of 4 positions (valid in some sample; 1 in none)"),
        "outputs": (12 / 2, 2.0, "2 outputs"),
        "positions,outputs": (12 / 6, 6.0, "3 of 4 positions (valid in some sample; 1 in none) x 2 outputs = 6"),
        "none": (12.0, 1.0, "1"),
    }
    for reduce, (value, n, text) in expected.items():
        result = T.reduce_terms(np.ones((3, 4, 2)), roles, reduce, validity=cells)
        assert (result.value, result.n, result.n_text) == (value, n, text), reduce
        assert result.samples_without_cells == 1


def test_sources_of_removal_are_counted_apart():
    """A 2 x 4 batch: the mask removes (0, 0) and (1, 3); label -100 at (0, 0) and (0, 1); length 2 of sample 1
    removes (1, 2) and (1, 3). Each source's count is its own; (0, 0) and (1, 3) are removed twice."""
    roles = T.axis_roles((2, 4, 3))
    labels = np.array([[-100, -100, 0, 1], [2, 2, 2, 2]])
    cells = T.validity(roles, mask=[[0, 1, 1, 1], [1, 1, 1, 0]], labels=labels, ignore_index=-100, lengths=[4, 2])
    assert cells.removed == T.Removed(masked=2, ignored=2, past_length=2)
    assert cells.valid.tolist() == [[False, False, True, True], [True, True, False, False]]
    result = T.reduce_terms(np.ones((2, 4, 3)), roles, "samples,positions", validity=cells)
    assert result.n_text == "4 valid positions of 2 x 4 positions (2 masked, 2 ignored, 2 past length; 4 removed)"


def test_lengths_cut_the_first_position_axis_of_several():
    """(N, T, H, C) = (2, 3, 2, 4) with lengths [1, 3]: sample 0 keeps step 0 (2 cells), sample 1 every step."""
    roles = T.axis_roles((2, 3, 2, 4))
    valid = T.validity(roles, lengths=[1, 3]).valid
    assert valid.tolist() == [[True, True, False, False, False, False], [True] * 6]


def test_weights_enter_n_as_the_measure_of_the_samples():
    """Terms 1 on (2, 2, 1); per-position weights [[1, 3], [0, 2]] sum to 6, and weighted terms to 6: the
    weighted token mean is 1; under --weight-divisor count it is 6 / 4 (Keras's N x T)."""
    roles = T.axis_roles((2, 2, 1))
    w = T.cell_weights([[1.0, 3.0], [0.0, 2.0]], roles)
    weighted = T.reduce_terms(np.ones((2, 2, 1)), roles, "samples,positions", weights=w)
    assert (weighted.value, weighted.n) == (1.0, 6.0)
    assert weighted.n_text == "sum of weights = 6 over 2 x 2 = 4 positions"
    counted = T.reduce_terms(np.ones((2, 2, 1)), roles, "samples,positions", weights=w, weight_divisor="count")
    assert (counted.value, counted.n) == (1.5, 4.0)
    per_sample = T.reduce_terms(np.ones((2, 2, 1)), roles, "samples", weights=T.cell_weights([0.5, 1.5], roles))
    assert (per_sample.value, per_sample.n, per_sample.n_text) == (4.0 / 2.0, 2.0, "sum of weights = 2")


def test_class_weights_divide_by_the_targets_weights_as_pytorch():
    """Labels [[0, 1], [1, -100]], class weights [2, 0.5]: cell weights 2, 0.5, 0.5 (the ignored cell 0)."""
    roles = T.axis_roles((2, 2, 2))
    labels = np.array([[0, 1], [1, -100]])
    cells = T.validity(roles, labels=labels, ignore_index=-100)
    w = T.class_weight_cells(T.flatten_cells(labels, roles, "labels"), [2.0, 0.5], cells.valid)
    assert w.tolist() == [[2.0, 0.5], [0.5, 0.0]]
    result = T.reduce_terms(np.ones((2, 2, 2)), roles, "samples,positions", validity=cells, weights=w)
    assert (result.value, result.n) == ((2.0 + 0.5 + 0.5) * 2 / 3.0, 3.0)


# --- nothing valid ---------------------------------------------------------------------------


def test_an_empty_batch_is_refused_or_nan_or_zero():
    roles = T.axis_roles((2, 3, 4))
    cells = T.validity(roles, mask=np.zeros((2, 3)))
    with pytest.raises(InputError) as caught:
        T.reduce_terms(np.ones((2, 3, 4)), roles, "samples,positions", validity=cells)
    assert str(caught.value) == (
        "nothing to average: every one of the 2 x 3 positions is removed (6 masked); the mean over samples, "
        "positions is undefined. --empty nan gives NaN (as PyTorch does), --empty zero gives 0 (as Keras does)"
    )
    nan = T.reduce_terms(np.ones((2, 3, 4)), roles, "samples,positions", validity=cells, empty="nan")
    assert math.isnan(nan.value) and nan.n == 0 and nan.note.endswith("--empty nan")
    zero = T.reduce_terms(np.ones((2, 3, 4)), roles, "all", validity=cells, empty="zero")
    assert (zero.value, zero.n) == (0.0, 0.0)
    total = T.reduce_terms(np.ones((2, 3, 4)), roles, "none", validity=cells)  # a sum of nothing is 0, n = 1
    assert (total.value, total.n) == (0.0, 1.0)


def test_weights_that_sum_to_zero_are_an_empty_mean():
    roles = T.axis_roles((2, 3, 4))
    with pytest.raises(InputError, match="the weights of the 6 valid of 6 positions sum to 0"):
        T.reduce_terms(np.ones((2, 3, 4)), roles, "all", weights=np.zeros(2))


def test_perplexity_of_no_tokens_has_no_zero():
    with pytest.raises(UsageError, match="--empty zero: a perplexity of no tokens"):
        T.perplexity(np.zeros((1, 2, 3)), [[-100, -100]], ignore_index=-100, empty="zero")
    assert math.isnan(T.perplexity(np.zeros((1, 2, 3)), [[-100, -100]], ignore_index=-100, empty="nan").value)


# --- terms ------------------------------------------------------------------------------------


def test_garbage_in_removed_cells_never_reaches_the_value():
    """Padding often holds NaN or inf logits; a masked cell adds nothing, so they cannot poison the sum."""
    logits = np.zeros((1, 3, 2))
    logits[0, 2] = [np.nan, np.inf]
    result = T.perplexity(logits, [[0, 1, -100]], ignore_index=-100)
    assert (result.value, result.n) == (2.0, 2.0)  # uniform over 2 classes: perplexity 2


def test_a_valid_infinite_term_is_kept_by_ieee_rules():
    roles = T.axis_roles((2, 2, 1))
    terms = np.array([[[1.0], [np.inf]], [[2.0], [3.0]]])
    result = T.reduce_terms(terms, roles, "all", block=1)
    assert result.value == math.inf


def test_per_position_losses_give_terms_without_the_outputs_axis():
    """categorical_hinge exists per sample (per position here): (N, P) terms."""
    pred = np.random.default_rng(1).uniform(size=(2, 3, 4))
    target = np.eye(4)[[[0, 1, 2], [3, 0, 1]]]
    terms = T.element_terms_of(L.categorical_hinge, pred, target)
    assert terms.shape == (2, 3)
    np.testing.assert_array_equal(terms.reshape(-1), L.categorical_hinge(pred.reshape(6, 4), target.reshape(6, 4)))


def test_per_sample_values_leave_a_sample_with_nothing_valid_without_a_value():
    """Terms (3, 2, 2) of ones but sample 1's (twos); sample 2 fully masked, sample 0 has one valid position.
    Under samples,positions L[i] is each sample's token mean of the outputs' sum: 2, 4, none."""
    roles = T.axis_roles((3, 2, 2))
    terms = np.ones((3, 2, 2))
    terms[1] = 2.0
    cells = T.validity(roles, mask=[[1, 0], [1, 1], [0, 0]])
    values = T.per_sample_values(terms, roles, "samples,positions", validity=cells)
    assert values[:2].tolist() == [2.0, 4.0] and np.isnan(values[2])
    assert T.per_sample_values(terms, roles, "all", validity=cells)[:2].tolist() == [1.0, 2.0]
    assert T.per_sample_values(terms, roles, "none", validity=cells)[:2].tolist() == [2.0, 8.0]
    batch = T.reduce_terms(terms, roles, "samples", validity=cells)
    assert (batch.value, batch.n, batch.samples_without_cells) == ((2.0 + 8.0) / 2, 2.0, 1)


def test_perplexity_from_probabilities_is_the_perplexity_of_their_logits():
    """softmax(logits) fed as probabilities gives the logits' perplexity (to rounding: log of exp)."""
    rng = np.random.default_rng(3)
    logits = rng.normal(0, 2, (2, 5, 4))
    labels = np.where(rng.uniform(size=(2, 5)) < 0.3, -100, rng.integers(0, 4, (2, 5)))
    probs = np.exp(logits - logits.max(axis=2, keepdims=True))
    probs /= probs.sum(axis=2, keepdims=True)
    from_logits = T.perplexity(logits, labels, ignore_index=-100)
    from_probs = T.perplexity(probs, labels, ignore_index=-100, from_logits=False)
    np.testing.assert_allclose(from_probs.value, from_logits.value, rtol=1e-13)
    assert from_probs.n == from_logits.n == int((labels != -100).sum())
