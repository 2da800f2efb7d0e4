"""losscli/core/tensors.py against the installed PyTorch, Keras 3, optax and torchmetrics on N-D inputs, live.

Skipped without the ``reference`` dependency group (unless LOSSCLI_REQUIRE_REFERENCE=1). The calls and their
inputs are tests/references_tensors.py's: PyTorch CrossEntropyLoss over (N, C, d1, d2) with and without ignored
labels and with class weights, NLLLoss over (N, C, d), KLDivLoss batchmean/mean/sum and Keras KLDivergence on
one (2, 3, 4) input, MSELoss on (N, T, C), Keras CategoricalCrossentropy, SparseCategoricalCrossentropy (also
with ignore_class) and MeanSquaredError on (N, T, C) with and without per-timestep sample weights (and a
Keras mask against zero sample weights: the mask leaves n, the weights do not), Keras Dice
over three axis arguments, torchmetrics' text Perplexity with ignore_index, optax softmax cross-entropy
``.mean()``. float64 frameworks at rtol 1e-9, Keras (float32) at 1e-6.
"""

from __future__ import annotations

import numpy as np
import pytest
import references_tensors  # sets KERAS_BACKEND=torch before keras is imported
from conftest import reference_framework
from test_tensors_fixture import CASES, ours

pytestmark = pytest.mark.reference


@pytest.fixture(scope="module")
def live():
    for module in ("torch", "keras", "optax", "jax", "torchmetrics"):
        reference_framework(module)
    return {seed: references_tensors.build(seed) for seed in (references_tensors.SEED, 7)}


def test_the_committed_fixture_is_what_the_frameworks_give_now(live):
    built = live[references_tensors.SEED]
    assert [c["name"] for c in built] == [c["name"] for c in CASES]
    for now, committed in zip(built, CASES, strict=True):
        assert now["inputs"] == committed["inputs"], now["name"]
        assert now["values"].keys() == committed["values"].keys(), now["name"]
        for call, value in committed["values"].items():
            np.testing.assert_allclose(now["values"][call]["value"], value["value"], rtol=1e-12, err_msg=call)
        assert now["gradients"].keys() == committed["gradients"].keys(), now["name"]
        for call, gradient in committed["gradients"].items():
            np.testing.assert_allclose(now["gradients"][call], gradient, rtol=1e-12, atol=1e-300, err_msg=call)


@pytest.mark.parametrize("seed", [references_tensors.SEED, 7])
def test_tensors_match_the_frameworks_live(live, seed):
    for case in live[seed]:
        for call, value in ours(case).items():
            expected = case["values"][call]
            label = f"seed {seed}, {case['name']}: {call}"
            np.testing.assert_allclose(value, expected["value"], rtol=expected["rtol"], atol=0, err_msg=label)
