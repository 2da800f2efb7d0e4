"""The registry and the numerical care in the element terms.

Reference values for every loss are in test_reference.py; these tests pin the
behaviour at extremes, where a naive formula overflows or cancels.
"""

import inspect
import math

import numpy as np
import pytest

from losscli import LOSSES, UsageError, compute, get_loss
from losscli.core import losses as L


def test_names_and_aliases_are_unique_and_canonical():
    names = [n for loss in LOSSES for n in (loss.name, *loss.aliases)]
    assert len(names) == len(set(names))
    assert all(n == n.lower() and "-" not in n for n in names)


@pytest.mark.parametrize("loss", LOSSES, ids=lambda loss: loss.name)
def test_every_loss_documents_formula_domain_and_framework(loss):
    doc = inspect.getdoc(loss.elements)
    assert doc and "matches" in doc.lower(), f"{loss.elements.__name__} does not say what it matches"
    assert loss.matches and loss.formula
    assert loss.default_reduce in loss.reductions


def test_unknown_loss_suggests_close_names():
    with pytest.raises(UsageError, match="did you mean huber"):
        get_loss("hubber")


def test_log_cosh_large_errors_do_not_overflow():
    # log(cosh(x)) = |x| - log 2 + log1p(exp(-2|x|)); for |x| = 800 the last term is 0
    got = L.log_cosh(np.array([[800.0, -800.0]]), np.zeros((1, 2)))
    np.testing.assert_allclose(got, [[800.0 - math.log(2.0)] * 2], rtol=1e-15)


def test_log_cosh_tiny_errors_keep_precision():
    # log(cosh(x)) = x^2/2 - x^4/12 + ...; at x = 1e-8 the second term is below float64 resolution
    got = L.log_cosh(np.array([[1e-8]]), np.zeros((1, 1)))
    assert got[0, 0] == pytest.approx(5e-17, rel=1e-15)


def test_bce_logits_are_stable_at_extremes():
    # BCEWithLogits(x, t) = max(x, 0) - x t + log1p(exp(-|x|)): x = 1000, t = 0 gives 1000 exactly
    got = L.binary_cross_entropy(np.array([[1000.0, -1000.0, 1000.0]]), np.array([[0.0, 1.0, 1.0]]), from_logits=True)
    np.testing.assert_allclose(got, [[1000.0, 1000.0, 0.0]], rtol=1e-15, atol=0)


def test_bce_log_floor_is_torchs():
    # PyTorch BCELoss clamps log at -100: p = 0, t = 1 costs exactly 100
    got = L.binary_cross_entropy(np.array([[0.0, 1.0]]), np.array([[1.0, 0.0]]))
    np.testing.assert_array_equal(got, [[100.0, 100.0]])


def test_smooth_l1_beta_zero_is_l1():
    p, t = np.array([[0.3, -2.0]]), np.zeros((1, 2))
    np.testing.assert_array_equal(L.smooth_l1(p, t, beta=0.0), [[0.3, 2.0]])


def test_hinge_takes_zero_one_labels_as_signs():
    # label 0 -> -1: max(1 - (-1)(0.5), 0) = 1.5; label 1 -> 1: max(1 - 0.5, 0) = 0.5
    got = L.hinge(np.array([[0.5], [0.5]]), np.array([[0.0], [1.0]]))
    np.testing.assert_array_equal(got, [[1.5], [0.5]])


def test_compute_accepts_plain_lists_and_checks_options():
    # delta (|d| - delta / 2) = 2 (3 - 1) = 4 for the second sample, 0 for the first; mean 2
    assert compute("huber", [0.0, 3.0], [0.0, 0.0], delta=2.0).value == pytest.approx(2.0, rel=1e-15)
    with pytest.raises(UsageError, match="--delta does not apply to mae"):
        compute("mae", [1.0], [1.0], delta=2.0)


@pytest.mark.parametrize(
    ("loss", "option", "value", "said"),
    [
        ("mse", "output_weights", ["a", "b"], "--output-weights ['a', 'b'] is not an array of numbers"),
        ("mse", "output_weights", [[1.0], [1.0, 2.0]], "is not an array of numbers"),
        ("sparse_cce", "ignore_index", float("nan"), "--ignore-index nan is not a whole number"),
        ("huber", "delta", 10**400, "--delta 1000000000000000000000000000000000000... is not a number"),
        ("huber", "delta", {}, "--delta {} is not a number"),
    ],
)
def test_compute_refuses_option_values_of_the_wrong_kind(loss, option, value, said):
    """Found by a mutation pass over states (which pass their options to the same check): text in
    an array option (a string alone is a file name here), NaN in a whole-number one, an int beyond
    float64 were ValueError or OverflowError, exit 70; each is one usage error naming the option."""
    with pytest.raises(UsageError) as raised:
        compute(loss, [[0.5, 0.5]], [[0.0, 1.0]] if loss != "sparse_cce" else [1], **{option: value})
    assert said in str(raised.value)


def test_compute_rejects_bad_shapes():
    from losscli import InputError

    with pytest.raises(InputError, match="predictions has shape \\(2,\\) but targets has shape \\(3,\\)"):
        compute("mse", [1, 2], [1, 2, 3])
    with pytest.raises(InputError, match="has shape \\(1, 1, 1\\) but targets has shape \\(1, 1\\)"):
        compute("mse", np.zeros((1, 1, 1)), np.zeros((1, 1)))
