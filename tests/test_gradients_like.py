"""--grad under every framework's constants (--like): the analytic gradient against central
finite differences of the batch value, at points inside every clip and away from every kink.

The reference gradients of losscli's own conventions are torch.autograd's (test_reference.py);
the frameworks' constants (clips, floors, label maps, norms) change the formulas, and this
checks the derivative of each changed formula by its definition.
"""

from __future__ import annotations

import numpy as np
import pytest

from losscli import UsageError, compute
from losscli.core.conventions import conventions
from losscli.core.registry import LOSSES

N, C = 5, 3
NOT_DIFFERENTIABLE = ("hamming_loss", "zero_one_loss", "label_ranking_loss", "coverage_error")
ORDER_STATISTICS = (
    "max_error",
    "median_absolute_error",
    "calibration_error",
)  # --grad refused: tests/test_more_losses.py


def _inputs(loss: str, rng):
    """Generic points inside the loss's domain, away from clips and kinks."""
    probs = rng.uniform(0.05, 0.95, (N, C))
    simplex = probs / probs.sum(axis=1, keepdims=True)
    labels = rng.integers(0, C, N)
    one_hot = np.eye(C)[labels]
    if loss in ("bce", "focal", "dice", "tversky", "multilabel_soft_margin"):
        return probs, rng.integers(0, 2, (N, C)).astype(float), {}
    if loss in ("cce", "categorical_focal", "js", "categorical_hinge", "brier"):
        return simplex, one_hot, {}
    if loss in ("sparse_cce", "multi_margin"):
        return simplex, labels.astype(float), {}
    if loss == "nll":
        return np.log(simplex), labels.astype(float), {}
    if loss == "kld":
        return simplex, np.roll(simplex, 1, axis=0), {}
    if loss in ("hinge", "squared_hinge"):
        return rng.normal(0.0, 0.5, (N, C)), rng.integers(0, 2, (N, C)).astype(float), {}
    if loss in ("generalized_cross_entropy", "squared_categorical_hinge"):
        return simplex, labels.astype(float), {}
    if loss in ("multiclass_perceptron", "multiclass_sparsemax", "poly_loss"):
        return rng.normal(size=(N, C)), labels.astype(float), {}
    if loss == "sparsemax":
        return rng.uniform(-0.9, 0.9, (N, C)), rng.integers(0, 2, (N, C)).astype(float), {}  # inside the square
    if loss == "generalized_kld":
        return rng.normal(0.0, 0.5, (N, C)), rng.uniform(0.1, 2.0, (N, C)), {}
    if loss == "multilabel_margin":
        return rng.normal(size=(N, C)), np.array([[0, -1, 0], [2, 1, -1], [1, -1, 2], [0, 1, 2], [-1, 0, 0]]), {}
    if loss in ("soft_margin", "hinge_embedding", "perceptron"):
        return rng.normal(size=(N, C)), rng.choice([-1.0, 1.0], (N, C)), {}
    if loss in ("msle", "rmsle", "poisson", "poisson_deviance", "gamma_deviance", "tweedie_deviance"):
        return (
            rng.uniform(0.5, 3.0, (N, C)),
            rng.uniform(0.5, 3.0, (N, C)),
            {"power": 1.5} if loss == "tweedie_deviance" else {},
        )
    if loss == "poisson_nll":
        return rng.normal(0.0, 0.5, (N, C)), rng.integers(0, 4, (N, C)).astype(float), {}
    if loss == "gaussian_nll":
        return rng.normal(size=(N, C)), rng.normal(size=(N, C)), {"var": 0.7}
    if loss == "soft_dice":
        return rng.normal(size=(N, C)), one_hot, {}
    if loss == "binary_dice":
        return rng.normal(size=(N, C)), rng.integers(0, 2, (N, C)).astype(float), {}
    return rng.normal(size=(N, C)), rng.normal(size=(N, C)), {}


def _cases():
    rng = np.random.default_rng(11)
    for spec in LOSSES:
        if spec.exponent:  # perplexity: N-D only, and no gradient there (tests/test_tensors_cli.py)
            continue
        if spec.name in NOT_DIFFERENTIABLE + ORDER_STATISTICS:  # counts, ranks, order statistics: refused
            continue
        p, t, options = _inputs(spec.name, rng)
        labels = spec.targets == "labels"
        resolved = spec.resolve_options(options)
        for convention in conventions(spec.name, resolved, weighted=False, n_outputs=C, labels=labels):
            given = options
            if convention.framework == "torchmetrics" and spec.name in ("hinge", "squared_hinge"):
                given = {**options, "from_logits": True}  # scores outside [0, 1]: torchmetrics' sigmoid first
            yield pytest.param(spec.name, p, t, given, convention.framework, id=f"{spec.name}-{convention.framework}")


@pytest.mark.parametrize("loss, p, t, options, framework", list(_cases()))
def test_gradient_is_the_derivative_of_the_value(loss, p, t, options, framework):
    if loss in ("dice", "tversky") and framework == "keras":  # Keras's default: one ratio over the batch
        with pytest.raises(UsageError, match="--grad: one ratio over the whole batch"):
            compute(loss, p, t, like=framework, grad=True, **options)
        options = {**options, "axis": "-1"}
    result = compute(loss, p, t, like=framework, grad=True, **options)
    if not np.isfinite(result.value):
        pytest.skip(f"{framework}'s {loss} is not finite here")
    # Keras's call (and torchmetrics' cosine) computes in float32, as --like does: its value moves in steps of about
    # 1e-7 of itself, so the difference quotient needs a longer step, and is as accurate as that allows
    h, rtol = (1e-3, 2e-3) if result.like.dtype == "float32" else (1e-6, 2e-5)
    numeric = np.zeros_like(p)
    for i in range(p.shape[0]):
        for j in range(p.shape[1]):
            up, down = p.copy(), p.copy()
            up[i, j] += h
            down[i, j] -= h
            plus = compute(loss, up, t, like=framework, **options).value
            minus = compute(loss, down, t, like=framework, **options).value
            numeric[i, j] = (plus - minus) / (2 * h)
    np.testing.assert_allclose(result.gradient, numeric, rtol=rtol, atol=rtol / 100 * max(1.0, np.abs(numeric).max()))


@pytest.mark.parametrize("loss", NOT_DIFFERENTIABLE)
def test_a_count_or_a_rank_has_no_gradient_and_says_so(loss):
    p, t = np.array([[1.0, 0.0], [0.0, 0.0]]), np.array([[1.0, 1.0], [0.0, 1.0]])
    with pytest.raises(UsageError, match="--grad: this loss counts .*its gradient is 0 wherever it exists"):
        compute(loss, p, t, grad=True)
