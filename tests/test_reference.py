"""losscli against the committed reference values of PyTorch, Keras 3, scikit-learn and
torchmetrics.

The values come from tests/references.py (run it to regenerate); each case says
which framework call produced or checked its terms.
"""

import json
from pathlib import Path

import numpy as np
import pytest
from jsonout import loaded

from losscli import LOSSES as EVERY_LOSS
from losscli import compute

# the losses with a 2-D pass; perplexity (an exponent loss, N-D only) is checked against torchmetrics
# in tests/fixtures/tensors.json (tests/references_tensors.py, tests/test_tensors_cli.py)
LOSSES = tuple(loss for loss in EVERY_LOSS if not loss.exponent)

CASES = loaded((Path(__file__).parent / "fixtures" / "reference.json").read_text())
RTOL = 1e-9


def _id(i, case):
    options = ",".join(f"{k}={v}" for k, v in case["options"].items() if not isinstance(v, list))
    weights = ",weights" if "weights" in case else ""
    return f"{i}-{case['loss']}[{options}{weights}]"


def check_case(case, result_for):
    """Every reduction of ``case`` against its reference values."""
    for reduce, expected in case["reductions"].items():
        result = result_for(reduce)
        label = f"{case['loss']} {case['options']} --reduce {reduce}: {case['source']}"
        if case["elements"] is None:
            assert result.per_element is None and result.per_output is None
        else:
            np.testing.assert_allclose(result.per_element, case["elements"], rtol=RTOL, atol=0, err_msg=label)
            np.testing.assert_allclose(result.per_output, expected["per_output"], rtol=RTOL, atol=0, err_msg=label)
        np.testing.assert_allclose(result.per_sample, expected["per_sample"], rtol=RTOL, atol=0, err_msg=label)
        np.testing.assert_allclose(result.value, expected["value"], rtol=RTOL, atol=0, err_msg=label)


def compute_case(case, reduce, grad=False):
    return compute(
        case["loss"],
        case["preds"],
        case["targets"],
        reduce=reduce,
        weights=case.get("weights"),
        weight_divisor=case.get("weight_divisor", "sum"),
        grad=grad,
        **case["options"],
    )


@pytest.mark.parametrize("case", CASES, ids=[_id(i, c) for i, c in enumerate(CASES)])
def test_matches_reference(case):
    check_case(case, lambda reduce: compute_case(case, reduce))


@pytest.mark.parametrize("case", CASES, ids=[_id(i, c) for i, c in enumerate(CASES)])
def test_gradient_matches_torch_autograd(case):
    for reduce, expected in case["gradients"].items():
        if expected is None:
            # torch's autograd gives NaN there (sqrt'(0) at a zero vector's norm); see below
            assert case["loss"] == "cosine_similarity"
            continue
        result = compute_case(case, reduce, grad=True)
        expected = np.asarray(expected).reshape(result.gradient.shape)
        np.testing.assert_allclose(
            result.gradient,
            expected,
            rtol=RTOL,
            atol=1e-15,
            err_msg=f"{case['loss']} {case['options']} --reduce {reduce}",
        )


def test_zero_vector_gradient_is_finite():
    # torch.autograd is NaN at a zero vector (sqrt'(0)); losscli's unit vector is x / 1e-7 there,
    # as Keras clamps the norm, so the derivative is the other unit vector / 1e-7 (times -1/n).
    result = compute("cosine_similarity", [[0.0, 0.0], [3.0, 4.0]], [[0.6, 0.8], [0.6, 0.8]], grad=True)
    np.testing.assert_allclose(result.gradient[0], [-0.6 / 1e-7 / 2, -0.8 / 1e-7 / 2], rtol=1e-12)
    np.testing.assert_allclose(result.gradient[1], [0.0, 0.0], atol=1e-15)  # parallel: no change in angle


def test_every_loss_has_reference_cases():
    assert {case["loss"] for case in CASES} == {loss.name for loss in LOSSES}


def test_every_option_has_a_non_default_case():
    # reference.json sets the user's options; like.json sets every framework's constants (the
    # hidden options) through conventions.py, each checked against the framework's call
    from test_like import CASES as LIKE_CASES
    from test_like import _found

    for loss in LOSSES:
        for option in loss.options:
            values = {
                json.dumps(case["options"].get(option.name, option.default))
                for case in CASES
                if case["loss"] == loss.name
            }
            values |= {
                json.dumps(convention.options.get(option.name, option.default), default=list)
                for case in LIKE_CASES
                if case["loss"] == loss.name
                for convention in _found(case)
            }
            assert values - {json.dumps(option.default, default=list)}, f"{loss.name} {option.flag} is never tested"


def test_every_reduction_a_loss_allows_is_covered():
    for loss in LOSSES:
        covered = {reduce for case in CASES if case["loss"] == loss.name for reduce in case["reductions"]}
        assert covered == set(loss.reductions), loss.name
