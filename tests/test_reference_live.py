"""losscli against the installed PyTorch, Keras 3 and scikit-learn, live.

Skipped when the ``reference`` dependency group is not installed, unless
LOSSCLI_REQUIRE_REFERENCE=1 (set by .ci/run), where a missing framework fails.
"""

import json
import os
from pathlib import Path

import numpy as np
import pytest
import references  # tests/references.py: sets KERAS_BACKEND=torch, imports the frameworks lazily

from losscli import compute

pytestmark = pytest.mark.reference

if os.environ.get("LOSSCLI_REQUIRE_REFERENCE") != "1":
    for module in ("torch", "keras", "sklearn", "mpmath"):
        pytest.importorskip(module)

FIXTURE_CASES = json.loads((Path(__file__).parent / "fixtures" / "reference.json").read_text())


@pytest.fixture(scope="module")
def live_cases():
    return references.build()


def test_committed_fixtures_are_what_the_frameworks_give_now(live_cases):
    assert [c["loss"] for c in live_cases] == [c["loss"] for c in FIXTURE_CASES]
    for live, committed in zip(live_cases, FIXTURE_CASES, strict=True):
        assert live["preds"] == committed["preds"] and live["targets"] == committed["targets"]
        np.testing.assert_allclose(live["elements"], committed["elements"], rtol=1e-12, atol=0, err_msg=live["source"])


def test_losscli_matches_the_frameworks_live(live_cases):
    for case in live_cases:
        for reduce, expected in case["reductions"].items():
            result = compute(case["loss"], case["preds"], case["targets"], reduce=reduce, **case["options"])
            label = f"{case['loss']} {case['options']} --reduce {reduce}: {case['source']}"
            np.testing.assert_allclose(result.per_element, case["elements"], rtol=1e-9, atol=0, err_msg=label)
            np.testing.assert_allclose(result.value, expected["value"], rtol=1e-9, atol=0, err_msg=label)
