"""losscli against the committed reference values of PyTorch, Keras 3 and scikit-learn.

The values come from tests/references.py (run it to regenerate); each case says
which framework call produced its element terms.
"""

import json
from pathlib import Path

import numpy as np
import pytest

from losscli import compute

CASES = json.loads((Path(__file__).parent / "fixtures" / "reference.json").read_text())
RTOL = 1e-9


def _id(case):
    options = ",".join(f"{k}={v}" for k, v in case["options"].items())
    shape = f"{len(case['preds'])}x{len(case['preds'][0]) if isinstance(case['preds'][0], list) else 1}"
    return f"{case['loss']}[{options}]{shape}"


@pytest.mark.parametrize("case", CASES, ids=[f"{i}-{_id(c)}" for i, c in enumerate(CASES)])
@pytest.mark.parametrize("reduce", ["all", "samples", "outputs", "none"])
def test_matches_reference(case, reduce):
    result = compute(case["loss"], case["preds"], case["targets"], reduce=reduce, **case["options"])
    expected = case["reductions"][reduce]
    np.testing.assert_allclose(result.per_element, case["elements"], rtol=RTOL, atol=0, err_msg=case["source"])
    np.testing.assert_allclose(result.per_sample, expected["per_sample"], rtol=RTOL, atol=0)
    np.testing.assert_allclose(result.per_output, expected["per_output"], rtol=RTOL, atol=0)
    np.testing.assert_allclose(result.value, expected["value"], rtol=RTOL, atol=0)


def test_every_loss_has_reference_cases():
    from losscli import LOSSES

    covered = {case["loss"] for case in CASES}
    assert covered == {loss.name for loss in LOSSES}


def test_every_option_has_a_non_default_case():
    from losscli import LOSSES

    for loss in LOSSES:
        for option in loss.options:
            values = {case["options"].get(option.name, option.default) for case in CASES if case["loss"] == loss.name}
            assert values - {option.default}, f"{loss.name} {option.flag} is never tested off its default"
