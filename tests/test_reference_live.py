"""losscli against the installed PyTorch, Keras 3, scikit-learn and torchmetrics, live.

Skipped when the ``reference`` dependency group is not installed, unless
LOSSCLI_REQUIRE_REFERENCE=1 (set by .ci/run), where a missing framework fails.
"""

import os
from pathlib import Path

import numpy as np
import pytest
import references  # tests/references.py: sets KERAS_BACKEND=torch, imports the frameworks lazily
from jsonout import loaded
from test_reference import check_case, compute_case

pytestmark = pytest.mark.reference

if os.environ.get("LOSSCLI_REQUIRE_REFERENCE") != "1":
    for module in ("torch", "keras", "sklearn", "mpmath", "torchmetrics", "optax"):
        pytest.importorskip(module)

FIXTURE_CASES = loaded((Path(__file__).parent / "fixtures" / "reference.json").read_text())


@pytest.fixture(scope="module")
def live_cases():
    return references.build()


def test_committed_fixtures_are_what_the_frameworks_give_now(live_cases):
    assert [c["loss"] for c in live_cases] == [c["loss"] for c in FIXTURE_CASES]
    for live, committed in zip(live_cases, FIXTURE_CASES, strict=True):
        assert live["preds"] == committed["preds"] and live["targets"] == committed["targets"]
        assert live["reductions"].keys() == committed["reductions"].keys()
        for reduce, values in committed["reductions"].items():
            now = live["reductions"][reduce]
            np.testing.assert_allclose(now["value"], values["value"], rtol=1e-12, atol=0, err_msg=live["source"])
            np.testing.assert_allclose(now["per_sample"], values["per_sample"], rtol=1e-12, atol=0)


def test_losscli_matches_the_frameworks_live(live_cases):
    for case in live_cases:
        check_case(case, lambda reduce, case=case: compute_case(case, reduce))


def test_committed_like_fixtures_are_what_the_frameworks_give_now():
    import references_like  # needs optax and jax too

    committed = loaded((Path(__file__).parent / "fixtures" / "like.json").read_text())
    live = references_like.build()
    assert [case["values"].keys() for case in live] == [case["values"].keys() for case in committed]
    for now, then in zip(live, committed, strict=True):
        for key, value in then["values"].items():
            # Keras's float32 numbers move by a few ulps between releases: Keras's own tolerance
            rel, tol = (1e-6, 1e-6) if key in then["float32"] else (1e-9, 0.0)
            assert now["values"][key] == pytest.approx(value, rel=rel, abs=tol, nan_ok=True), key
