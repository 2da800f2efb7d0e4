"""losscli/core/tensors.py on N-D inputs against the committed values of PyTorch, Keras 3, optax and torchmetrics.

The values come from tests/references_tensors.py (``make fixtures`` rewrites tests/fixtures/tensors.json);
each is one framework call, named by its key, on the case's inputs. :func:`ours` computes every call the way
losscli will: the axis roles, the validity, the element terms of core/losses.py and the reduction over named
axes. No framework is imported: this runs in the plain test suite.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from jsonout import loaded

from losscli.core import losses as L
from losscli.core import tensors as T

CASES = loaded((Path(__file__).parent / "fixtures" / "tensors.json").read_text())


def _class_loss(pred, labels, elements, options, reduce, *, ignore_index=-100, class_weights=None, **kw):
    """A class loss of labels: the class axis inferred from the shapes, labels one-hot at the valid cells."""
    roles, _ = T.label_roles(pred.shape, labels.shape)
    cells = T.validity(roles, labels=labels, ignore_index=ignore_index)
    labels_np = T.flatten_cells(labels, roles, "labels")
    targets = T.labels_one_hot(labels_np, roles.n_outputs, cells.valid, roles)
    terms = T.element_terms_of(elements, T.flatten_outputs(pred, roles), targets, options)
    weights = None if class_weights is None else T.class_weight_cells(labels_np, class_weights, cells.valid)
    return T.reduce_terms(terms, roles, reduce, validity=cells, weights=weights, **kw).value


def _same_shape(pred, target, elements, options, reduce, weights=None, axis=-1, **kw):
    """A loss of targets of the predictions' shape, the outputs axis ``axis``."""
    roles = T.axis_roles(pred.shape, axis)
    w = None if weights is None else T.cell_weights(weights, roles)
    flat = T.element_terms_of(elements, T.flatten_outputs(pred, roles), T.flatten_outputs(target, roles), options)
    return T.reduce_terms(flat, roles, reduce, weights=w, **kw).value


def _masked(pred, target, mask):
    """A Keras mask: the masked cells leave the sum and n."""
    roles = T.axis_roles(pred.shape)
    terms = T.element_terms_of(L.squared_error, T.flatten_outputs(pred, roles), T.flatten_outputs(target, roles), {})
    return T.reduce_terms(terms, roles, "all", validity=T.validity(roles, mask=mask)).value


def _torch_ce(a, reduce):
    logits_ce = {"from_logits": True}
    return _class_loss(
        a["logits"],
        a["labels"],
        L.sparse_categorical_cross_entropy,
        logits_ce,
        reduce,
        class_weights=a.get("class_weights"),
    )


def _ratio(a, axis):
    axes = T.ratio_axes(a["pred"].shape, axis)
    return T.ratio_value(L.dice_numerator(a["pred"], a["target"]), L.dice_denominator(a["pred"], a["target"]), axes)[0]


SP = "samples,positions"  # the token mean: PyTorch CrossEntropyLoss, Keras's sum_over_batch_size of a class loss
RECIPES = {
    "CrossEntropyLoss(weight=None, reduction='mean')": lambda a: _torch_ce(a, SP),
    "CrossEntropyLoss(weight=None, reduction='sum')": lambda a: _torch_ce(a, "none"),
    "CrossEntropyLoss(weight=w, reduction='mean')": lambda a: _torch_ce(a, SP),
    "CrossEntropyLoss(weight=w, reduction='sum')": lambda a: _torch_ce(a, "none"),
    "NLLLoss()": lambda a: _class_loss(a["log_probs"], a["labels"], L.negative_log_likelihood, {}, SP),
    "KLDivLoss(reduction='batchmean')": lambda a: _kl_torch(a, "samples"),
    "KLDivLoss(reduction='mean')": lambda a: _kl_torch(a, "all"),
    "KLDivLoss(reduction='sum')": lambda a: _kl_torch(a, "none"),
    "keras.losses.KLDivergence()": lambda a: _same_shape(a["pred"], a["target"], L.kl_divergence, {}, SP),
    "MSELoss()": lambda a: _same_shape(a["pred"], a["target"], L.squared_error, {}, "all"),
    "CategoricalCrossentropy()": lambda a: _same_shape(a["pred"], a["target"], L.categorical_cross_entropy, {}, SP),
    "CategoricalCrossentropy()(sample_weight=(N, T))": lambda a: _same_shape(
        a["pred"], a["target"], L.categorical_cross_entropy, {}, SP, a["weights"], weight_divisor="count"
    ),
    "SparseCategoricalCrossentropy()": lambda a: _class_loss(
        a["pred"], a["labels"], L.sparse_categorical_cross_entropy, {}, SP, ignore_index=None
    ),
    "SparseCategoricalCrossentropy()(sample_weight=(N, T))": lambda a: _keras_sparse_weighted(a),
    "SparseCategoricalCrossentropy(ignore_class=-1)": lambda a: _class_loss(
        a["pred"], a["labels_ignored"], L.sparse_categorical_cross_entropy, {}, SP, ignore_index=-1
    ),
    "MeanSquaredError()": lambda a: _same_shape(a["pred"], a["target"], L.squared_error, {}, "all"),
    "MeanSquaredError()(sample_weight=(N, T))": lambda a: _same_shape(
        a["pred"], a["target"], L.squared_error, {}, "all", a["weights"], weight_divisor="count"
    ),
    "MeanSquaredError()(y_pred with a Keras mask)": lambda a: _masked(a["pred"], a["target"], a["mask"]),
    "MeanSquaredError()(sample_weight=mask)": lambda a: _same_shape(
        a["pred"], a["target"], L.squared_error, {}, "all", a["mask"], weight_divisor="count"
    ),
    "torchmetrics.text.Perplexity(ignore_index=-100)": lambda a: (
        T.perplexity(a["logits"], a["labels"], ignore_index=-100).value
    ),
    "optax.softmax_cross_entropy(logits, labels).mean()": lambda a: _same_shape(
        a["logits"], a["target"], L.categorical_cross_entropy, {"from_logits": True}, SP
    ),
    "optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean()": lambda a: _class_loss(
        a["logits"], a["labels"], L.sparse_categorical_cross_entropy, {"from_logits": True}, SP, ignore_index=None
    ),
    "Dice(axis=None)": lambda a: _ratio(a, None),
    "Dice(axis=(1, 2))": lambda a: _ratio(a, (1, 2)),
    "Dice(axis=(1, 2, 3))": lambda a: _ratio(a, "sample"),  # losscli's default: one ratio per sample
}


def _kl_torch(a, reduce):
    """KLDivLoss takes log-probabilities as its input: the case's probabilities' logs, as the generator took."""
    return _same_shape(np.log(a["pred"]), a["target"], L.kl_divergence, {"log_input": True}, reduce)


def _keras_sparse_weighted(a):
    """Keras's per-timestep sample_weight: terms weighted, the divisor N x T (``--weight-divisor count``)."""
    roles, _ = T.label_roles(a["pred"].shape, a["labels"].shape)
    cells = T.validity(roles)
    targets = T.labels_one_hot(T.flatten_cells(a["labels"], roles, "labels"), roles.n_outputs, cells.valid, roles)
    terms = T.element_terms_of(L.sparse_categorical_cross_entropy, T.flatten_outputs(a["pred"], roles), targets)
    weights = T.cell_weights(a["weights"], roles)
    return T.reduce_terms(terms, roles, SP, weights=weights, weight_divisor="count").value


def ours(case: dict) -> dict[str, float]:
    """losscli's value of every framework call of ``case``."""
    arrays = {k: np.asarray(v, dtype=np.float64) for k, v in case["inputs"].items()}
    return {call: float(RECIPES[call](arrays)) for call in case["values"]}


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_tensors_match_the_committed_framework_values(case):
    for call, value in ours(case).items():
        expected = case["values"][call]
        np.testing.assert_allclose(
            value, expected["value"], rtol=expected["rtol"], atol=0, err_msg=f"{case['name']}: {call}"
        )


def test_the_kl_example_states_three_divisors():
    """One (2, 3, 4) KL input, three frameworks' n: Keras N x T = 6, PyTorch batchmean N = 2, mean N x T x C = 24.
    The values are the committed framework values; their ratios are exactly the divisors' ratios."""
    (case,) = [c for c in CASES if c["name"] == "kld_2x3x4"]
    values = {call: v["value"] for call, v in case["values"].items()}
    batchmean, mean = values["KLDivLoss(reduction='batchmean')"], values["KLDivLoss(reduction='mean')"]
    keras = values["keras.losses.KLDivergence()"]
    np.testing.assert_allclose(batchmean / mean, 12.0, rtol=1e-12)
    np.testing.assert_allclose(batchmean / keras, 3.0, rtol=1e-6)
    a = {k: np.asarray(v) for k, v in case["inputs"].items()}
    roles = T.axis_roles(a["pred"].shape)
    terms = T.element_terms_of(L.kl_divergence, np.log(a["pred"]), a["target"], {"log_input": True})
    texts = {r: T.reduce_terms(terms, roles, r).n_text for r in ("samples", "samples,positions", "all")}
    assert texts == {
        "samples": "2 samples",
        "samples,positions": "2 x 3 = 6 positions",
        "all": "2 x 3 = 6 positions x 4 outputs = 24",
    }
