"""Reference values from the real frameworks: PyTorch, Keras 3, scikit-learn, torchmetrics.

Run ``python tests/references.py`` (with the ``reference`` dependency group
installed) to rewrite ``tests/fixtures/reference.json``. ``test_reference.py``
checks losscli against that file; ``test_reference_live.py`` rebuilds the values
from the installed frameworks and checks losscli against them too.

For each case this computes the terms losscli must report (element terms l[i, j],
or per-sample terms for losses that have no element terms) and checks them against
the framework's own call: element by element where the framework gives elements
(``reduction="none"``), else against its per-sample, per-output or batch values.
Every reduction of the terms is then computed with torch in float64 (``all`` and
``none`` are torch's own mean and sum). Keras 3 on the torch backend averages in
float32 (``keras.ops.mean``), so where Keras is the only reference and it means over
the last axis its values are checked at rtol 1e-6 and the float64 formula that agrees
with them (written here in torch ops, or mpmath for log-cosh) is the fixture. Each
case records which call produced or checked its terms.

Nothing here imports losscli: these values are independent of the code under test.
"""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path

import numpy as np

FIXTURE = Path(__file__).parent / "fixtures" / "reference.json"
REDUCES = ("all", "samples", "outputs", "none")
KERAS_RTOL = 1e-6  # Keras 3 averages in float32 on the torch backend
EXACT = 1e-12  # framework values computed in float64
os.environ.setdefault("KERAS_BACKEND", "torch")  # before anything imports keras


def _frameworks():
    import keras
    import sklearn.metrics
    import torch
    import torchmetrics.functional.regression as tmf

    if keras.backend.backend() != "torch":
        raise RuntimeError(f"Keras runs on {keras.backend.backend()}; set KERAS_BACKEND=torch")
    return torch, keras, sklearn.metrics, tmf


# --- the inputs ------------------------------------------------------------------------


def cases() -> list[dict]:
    """Inputs and options for every loss: defaults and non-default options, 2-D and 1-D."""
    rng = np.random.default_rng(20261125)

    def normal(*shape, scale=2.0):
        return np.round(rng.normal(0.0, scale, shape), 6)

    def simplex(n, c):
        x = rng.uniform(0.05, 1.0, (n, c))
        return np.round(x / x.sum(axis=1, keepdims=True), 6)

    def one_hot(labels, c):
        return np.eye(c)[labels]

    out = []

    def add(loss, preds, targets, weights=None, weight_divisor="sum", **options):
        case = {
            "loss": loss,
            "options": {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in options.items()},
            "preds": np.asarray(preds, float).tolist(),
            "targets": np.asarray(targets, float).tolist(),
        }
        if weights is not None:
            case["weights"] = np.asarray(weights, float).tolist()
            case["weight_divisor"] = weight_divisor
        out.append(case)

    # regression
    for loss in ("mse", "mae", "huber", "smooth_l1", "log_cosh", "mape", "rmse", "l2", "smape", "wmape", "pinball"):
        add(loss, normal(6, 4), normal(6, 4))
        add(loss, normal(7), normal(7))
    add("mape", normal(3, 2), [[0.0, 1e-9], [2.0, -3.0], [1e-7, 0.5]])  # the 1e-7 floor
    add("mape", normal(6, 4), normal(6, 4), fraction=True)
    for delta in (0.5, 3.0):
        add("huber", normal(6, 4), normal(6, 4), delta=delta)
    for beta in (0.5, 0.0):
        add("smooth_l1", normal(6, 4), normal(6, 4), beta=beta)
    add("log_cosh", [[1e-6, -0.01, 30.0, -800.0]], [[0.0, 0.0, 0.0, 0.0]])  # tiny and huge errors
    add("rmse", normal(6, 3), normal(6, 3), per_output_root=True)
    add("pinball", normal(6, 3), normal(6, 3), quantile=0.9)
    add("pinball", normal(7), normal(7), quantile=0.1)
    add("msle", rng.uniform(0, 5, (6, 4)), rng.uniform(0, 5, (6, 4)))
    add("msle", [0.0, 1.0, 2.5, 10.0], [0.0, 0.0, 3.0, 9.0])
    add("rmsle", rng.uniform(0, 5, (6, 3)), rng.uniform(0, 5, (6, 3)))
    add("rmsle", rng.uniform(0, 5, (6, 3)), rng.uniform(0, 5, (6, 3)), per_output_root=True)
    add("poisson", rng.uniform(0.1, 5, (6, 4)), rng.integers(0, 6, (6, 4)))
    add("poisson", [0.0, 0.5, 2.0, 7.5], [0.0, 1.0, 3.0, 7.0])
    add("poisson_nll", normal(6, 4, scale=1.0), rng.integers(0, 6, (6, 4)))
    add("poisson_nll", rng.uniform(0.0, 5, (6, 4)), rng.integers(0, 6, (6, 4)), log_input=False, full=True, eps=1e-6)
    add("poisson_nll", normal(7, scale=1.0), rng.integers(0, 9, 7), full=True)
    add("poisson_deviance", rng.uniform(0.1, 5, (6, 3)), rng.integers(0, 6, (6, 3)))
    add("gamma_deviance", rng.uniform(0.1, 5, (6, 3)), rng.uniform(0.1, 5, (6, 3)))
    for power in (0.0, -0.5, 1.5, 3.0):
        add("tweedie_deviance", rng.uniform(0.1, 5, (6, 3)), rng.uniform(0.1, 5, (6, 3)), power=power)
    add("tweedie_deviance", rng.uniform(0.1, 5, 7), rng.uniform(0.1, 5, 7))
    add("gaussian_nll", normal(6, 4), normal(6, 4), var=rng.uniform(0.1, 3, (6, 4)))
    add("gaussian_nll", normal(6, 4), normal(6, 4), var=rng.uniform(0.1, 3, (6, 1)), full=True)
    add("gaussian_nll", normal(7), normal(7), var=[[0.5]], eps=0.7)
    add(
        "gaussian_nll", normal(5, 2), normal(5, 2), var=[[0.0, 1e-9], [1.0, 2.0], [3.0, 0.5], [1.0, 1.0], [2.0, 0.1]]
    )  # clamped at eps

    # binary
    for loss in ("hinge", "squared_hinge"):
        add(loss, normal(6, 3, scale=1.0), rng.integers(0, 2, (6, 3)))  # {0, 1}: taken as -1, 1
        add(loss, normal(7, scale=1.0), rng.choice([-1.0, 1.0], 7))
    add("bce", rng.uniform(0.01, 0.99, (6, 4)), rng.integers(0, 2, (6, 4)))
    add("bce", rng.uniform(0.01, 0.99, (5, 3)), rng.uniform(0, 1, (5, 3)))  # soft labels
    add("bce", [0.0, 1.0, 0.0, 1.0, 1e-50], [0.0, 1.0, 1.0, 0.0, 1.0])  # the -100 log floor
    add("bce", normal(6, 4, scale=5.0), rng.integers(0, 2, (6, 4)), from_logits=True)
    add("bce", [-50.0, 50.0, 0.0, 800.0, -800.0], [1.0, 0.0, 0.5, 1.0, 0.0], from_logits=True)
    add("bce", rng.uniform(0.01, 0.99, (6, 4)), rng.integers(0, 2, (6, 4)), label_smoothing=0.2)
    add("bce", normal(6, 3, scale=3.0), rng.integers(0, 2, (6, 3)), from_logits=True, pos_weight=[0.5, 2.0, 3.0])
    add(
        "bce",
        normal(6, 3, scale=3.0),
        rng.integers(0, 2, (6, 3)),
        from_logits=True,
        pos_weight=4.0,
        label_smoothing=0.1,
    )
    add("focal", rng.uniform(0.01, 0.99, (6, 4)), rng.integers(0, 2, (6, 4)))
    add(
        "focal",
        normal(6, 4, scale=3.0),
        rng.integers(0, 2, (6, 4)),
        from_logits=True,
        gamma=1.5,
        alpha=0.3,
        label_smoothing=0.1,
    )
    add("focal", [0.0, 1.0, 0.3, 0.999], [1.0, 0.0, 0.0, 1.0], gamma=0.0)  # the clip, and gamma 0 = BCE
    add("soft_margin", normal(6, 3), rng.choice([-1.0, 1.0], (6, 3)))
    add("hinge_embedding", normal(6, 3), rng.choice([-1.0, 1.0], (6, 3)))
    add("hinge_embedding", normal(7), rng.choice([-1.0, 1.0], 7), margin=2.5)
    add("multilabel_soft_margin", normal(6, 4), rng.integers(0, 2, (6, 4)))

    # categorical and distributions
    labels6 = rng.integers(0, 4, 6)
    add("cce", simplex(6, 4), one_hot(labels6, 4))
    add("cce", simplex(5, 3), simplex(5, 3), label_smoothing=0.1)  # probability targets
    add("cce", [[0.0, 0.2, 0.8], [2.0, 1.0, 1.0], [1.0, 0.0, 0.0]], np.eye(3), eps=1e-3)  # unnormalised, clipped
    add("cce", normal(6, 4), one_hot(labels6, 4), from_logits=True)
    add("cce", normal(5, 3, scale=5.0), simplex(5, 3), from_logits=True, label_smoothing=0.2)
    labels = rng.integers(0, 4, 8)
    add("sparse_cce", simplex(8, 4), labels)
    add("sparse_cce", normal(8, 4), labels, from_logits=True)
    add("sparse_cce", normal(8, 4), labels, from_logits=True, label_smoothing=0.15)
    add("sparse_cce", normal(8, 4), labels, from_logits=True, class_weights=[1.0, 2.0, 0.5, 3.0])
    add("sparse_cce", normal(8, 4), np.where(np.arange(8) % 3 == 0, -100, labels), from_logits=True, ignore_index=-100)
    add(
        "sparse_cce",
        normal(8, 4),
        np.where(np.arange(8) % 3 == 0, 2, labels),
        from_logits=True,
        ignore_index=2,
        class_weights=[1.0, 2.0, 0.5, 3.0],
        label_smoothing=0.1,
    )
    add("sparse_cce", simplex(8, 4), np.where(np.arange(8) % 4 == 1, 3, labels), ignore_index=3)
    add("sparse_cce", np.where(np.arange(32).reshape(8, 4) % 5 == 0, 0.0, simplex(8, 4)), labels, eps=1e-2)
    log_q = np.log(simplex(8, 4))
    add("nll", log_q, labels)
    add("nll", log_q, np.where(np.arange(8) % 3 == 0, -1, labels), ignore_index=-1, class_weights=[2.0, 1.0, 1.0, 0.5])
    add("kld", simplex(6, 4), simplex(6, 4))
    add("kld", [[0.5, 0.5, 0.0], [0.2, 0.0, 0.8]], [[0.0, 0.5, 0.5], [0.25, 0.25, 0.5]])  # zeros: clipped
    add("kld", np.log(simplex(6, 4)), simplex(6, 4), log_input=True)
    add("kld", np.log(simplex(6, 4)), np.log(simplex(6, 4)), log_input=True, log_target=True)
    add("kld", np.log(simplex(2, 3)), [[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]], log_input=True)  # xlogy at t = 0
    add("js", simplex(6, 4), simplex(6, 4))
    add(
        "js",
        rng.uniform(0.1, 3, (5, 3)),
        [[0.0, 1.0, 1.0], [1.0, 1.0, 1.0], [2.0, 0.0, 0.0], [0.5, 0.5, 0.0], [1.0, 2.0, 3.0]],
    )  # unnormalised, zeros
    add("categorical_focal", simplex(6, 4), one_hot(labels6, 4))
    add(
        "categorical_focal",
        normal(6, 4),
        one_hot(labels6, 4),
        from_logits=True,
        gamma=1.0,
        alpha=0.5,
        label_smoothing=0.1,
    )
    add("multi_margin", normal(8, 4), labels)
    add("multi_margin", normal(8, 4), labels, p=2, margin=0.5)
    add("brier", rng.uniform(0, 1, 8), rng.integers(0, 2, 8))
    add("brier", simplex(8, 4), labels)
    add("brier", simplex(8, 4), one_hot(labels, 4))
    add("categorical_hinge", normal(6, 4), one_hot(labels6, 4))
    add("cosine_similarity", normal(6, 4), normal(6, 4))
    add("cosine_similarity", [[0.0, 0.0, 0.0], [1.0, 2.0, 3.0]], [[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])  # zero vectors
    add("cosine_distance", normal(6, 4), normal(6, 4))
    add("dice", rng.uniform(0, 1, (6, 5)), rng.integers(0, 2, (6, 5)))
    add("tversky", rng.uniform(0, 1, (6, 5)), rng.integers(0, 2, (6, 5)))
    add("tversky", rng.uniform(0, 1, (6, 5)), rng.integers(0, 2, (6, 5)), alpha=0.3, beta=0.7)

    # sample weights
    add("mse", normal(6, 3), normal(6, 3), weights=rng.uniform(0, 2, 6))
    add("mse", normal(6, 3), normal(6, 3), weights=rng.uniform(0, 2, 6), weight_divisor="count")
    add("mae", normal(7), normal(7), weights=rng.uniform(0, 2, 7))
    add("cce", simplex(6, 4), one_hot(labels6, 4), weights=rng.uniform(0, 2, 6))
    add("cosine_similarity", normal(6, 4), normal(6, 4), weights=rng.uniform(0, 2, 6), weight_divisor="count")
    add("rmse", normal(6, 2), normal(6, 2), weights=rng.uniform(0, 2, 6), per_output_root=True)

    # issue 24 (after every case above, so that their inputs stay as they were)
    add("perceptron", normal(6, 3), rng.choice([-1.0, 1.0], (6, 3)))
    add("perceptron", normal(7), rng.choice([-1.0, 1.0], 7), weights=rng.uniform(0, 2, 7))
    add("sparsemax", normal(6, 3, scale=1.0), rng.integers(0, 2, (6, 3)))  # every piece of sparse_plus
    ranked = rng.integers(0, 2, (8, 5))
    ranked[0], ranked[1] = 0, 1  # no relevant label, every label relevant
    add("hamming_loss", rng.integers(0, 2, (8, 5)), ranked)
    add("hamming_loss", rng.integers(0, 4, 9), rng.integers(0, 4, 9), weights=rng.uniform(0, 2, 9))
    add("zero_one_loss", np.where(rng.random((8, 5)) < 0.15, 1 - ranked, ranked), ranked)
    add("zero_one_loss", rng.integers(0, 3, 9), rng.integers(0, 3, 9), weights=rng.uniform(0, 2, 9))
    labels7 = rng.integers(0, 4, 7)
    add("poly_loss", normal(7, 4), one_hot(labels7, 4))
    add("poly_loss", normal(6, 3), simplex(6, 3), epsilon=-0.5)
    add("generalized_kld", normal(6, 4, scale=0.5), rng.uniform(0, 2, (6, 4)) * (rng.random((6, 4)) > 0.2))
    add("generalized_cross_entropy", simplex(7, 4), labels7)
    add("generalized_cross_entropy", simplex(7, 4), labels7, q=0.8)
    add("multiclass_perceptron", normal(7, 4), labels7)
    add("multiclass_sparsemax", normal(7, 4), labels7)
    add("squared_categorical_hinge", simplex(7, 4), labels7)
    add("squared_categorical_hinge", normal(7, 4), labels7, from_logits=True)
    lists = np.array([[3, 0, -1, 1], [1, -1, 0, 0], [0, 1, 2, 3], [-1, 0, 0, 0], [2, -1, 3, 3], [0, 3, -1, -1]])
    add("multilabel_margin", normal(6, 4), lists)
    add("label_ranking_loss", normal(8, 5), ranked)
    add("label_ranking_loss", np.round(normal(8, 5, scale=1.0)), ranked, weights=rng.uniform(0, 2, 8))  # ties
    add("coverage_error", normal(8, 5), ranked)
    add("coverage_error", np.round(normal(8, 5, scale=1.0)), ranked, weights=rng.uniform(0, 2, 8))
    binary = (rng.random((6, 5)) < 0.4) * 1.0
    add("soft_dice", normal(7, 4), one_hot(labels7, 4))
    add("soft_dice", normal(7, 4), one_hot(labels7, 4), smooth=0.5, alpha=0.3, beta=0.7)
    add("soft_dice", simplex(6, 3), simplex(6, 3), from_logits=False)
    add("soft_dice", normal(6, 1), binary[:, :1])
    add("binary_dice", normal(6, 5), binary)
    add("binary_dice", normal(6, 1), binary[:, 1:2], smooth=0.25)
    add("binary_dice", np.round(rng.uniform(0, 1, (6, 5)), 6), binary, from_logits=False, weights=rng.uniform(0, 2, 6))
    add("max_error", normal(9, 1), normal(9, 1))
    add("max_error", np.round(normal(8, 1)), np.round(normal(8, 1)))  # ties of the largest error
    add("median_absolute_error", normal(9, 3), normal(9, 3))  # an odd N: the middle value
    add("median_absolute_error", normal(8, 2), normal(8, 2))  # an even N: the mean of the two middle values
    add("median_absolute_error", normal(7, 1), normal(7, 1))
    add("minkowski", normal(6, 3), normal(6, 3))
    add("minkowski", normal(6, 3), normal(6, 3), p=1.0)
    add("minkowski", normal(7, 2), normal(7, 2), p=3.5)
    add("minkowski", normal(7, 2), normal(7, 2), p=3.0, weights=rng.uniform(0, 2, 7))
    outcomes = (rng.random((40, 1)) < 0.6) * 1.0
    add("calibration_error", rng.uniform(0, 1, (40, 1)), outcomes)
    add("calibration_error", rng.uniform(0, 1, (40, 1)), outcomes, bins=4, norm="l2")
    add("calibration_error", rng.uniform(0, 1, (40, 1)), outcomes, bins=10, norm="max")
    add("calibration_error", normal(40, 1), outcomes, bins=7, from_logits=True)
    # the edges themselves, 0 and 1 (a slot of its own): k / 4 is exact, so torchmetrics' edges are these
    edges = np.array([0.0, 0.25, 0.5, 0.75, 1.0, 1.0, 0.5, 0.1, 0.9, 0.3])[:, None]
    add("calibration_error", edges, outcomes[:10], bins=4)
    return out


# --- terms from the frameworks ----------------------------------------------------------


def _as2d(a) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    return a.reshape(len(a), -1)


def _check(label: str, got, want, rtol: float, atol: float = 0.0) -> None:
    np.testing.assert_allclose(np.asarray(got, dtype=np.float64), want, rtol=rtol, atol=atol, err_msg=label)


def _hinge_labels(t: np.ndarray) -> np.ndarray:
    return 2.0 * t - 1.0 if np.all((t == 0) | (t == 1)) else t


class _Ref:
    """The terms of one case and how they reduce."""

    def __init__(
        self,
        terms,
        source,
        *,
        per_sample_only=False,
        sample_divisor=None,
        root=False,
        per_output_root=False,
        ratio_scale=None,
        batch_checks=None,
        order=None,
    ):
        self.terms = np.asarray(terms, dtype=np.float64)
        self.source = source
        self.per_sample_only = per_sample_only
        self.sample_divisor = sample_divisor  # None: N
        self.root = root
        self.per_output_root = per_output_root
        self.ratio_scale = ratio_scale  # |t| (weighted), for WMAPE
        self.batch_checks = batch_checks or {}  # reduce -> value the framework gave for the batch
        self.order = order  # (per-output values, value) of an order statistic, from scikit-learn


def terms(case: dict) -> _Ref:  # noqa: C901 - one branch per loss is the point
    torch, keras, metrics, tmf = _frameworks()
    p, t = _as2d(case["preds"]), _as2d(case["targets"])
    n, c = p.shape
    tp, tt = torch.tensor(p), torch.tensor(t)
    o = dict(case["options"])
    nn = torch.nn
    F = torch.nn.functional
    loss = case["loss"]

    def keras_per_sample(name, y_true=t, y_pred=p, **kwargs):
        # torch float64 tensors: Keras would turn NumPy float64 into float32 (floatx)
        y_true, y_pred = torch.tensor(np.asarray(y_true, dtype=np.float64)), torch.tensor(y_pred)
        return getattr(keras.losses, name)(y_true, y_pred, **kwargs).numpy().astype(np.float64)

    if loss in ("mse", "rmse"):
        e = nn.MSELoss(reduction="none")(tp, tt).numpy()
        checks = {}
        if loss == "rmse" and "weights" not in case:
            sk = metrics.root_mean_squared_error(t, p, multioutput="raw_values")
            _check("scikit-learn RMSE per output", sk, np.sqrt(e.mean(axis=0)), EXACT)
            if o.get("per_output_root"):
                checks["all"] = metrics.root_mean_squared_error(t, p)
        return _Ref(
            e,
            "torch.nn.MSELoss" + ("; scikit-learn root_mean_squared_error" if loss == "rmse" else ""),
            root=loss == "rmse",
            per_output_root=bool(o.get("per_output_root")),
            batch_checks=checks,
        )
    if loss == "mae":
        return _Ref(nn.L1Loss(reduction="none")(tp, tt).numpy(), "torch.nn.L1Loss")
    if loss == "l2":
        return _Ref(0.5 * nn.MSELoss(reduction="none")(tp, tt).numpy(), "0.5 x torch.nn.MSELoss (= optax.l2_loss)")
    if loss == "huber":
        delta = o.get("delta", 1.0)
        e = nn.HuberLoss(reduction="none", delta=delta)(tp, tt).numpy()
        _check("Keras Huber", keras_per_sample("huber", delta=delta), e.mean(axis=1), KERAS_RTOL)
        return _Ref(e, "torch.nn.HuberLoss; Keras Huber agrees at rtol 1e-6")
    if loss == "smooth_l1":
        return _Ref(nn.SmoothL1Loss(reduction="none", beta=o.get("beta", 1.0))(tp, tt).numpy(), "torch.nn.SmoothL1Loss")
    if loss == "log_cosh":
        import mpmath

        mpmath.mp.dps = 50
        e = np.array(
            [
                [float(mpmath.log(mpmath.cosh(mpmath.mpf(a) - mpmath.mpf(b)))) for a, b in zip(prow, trow, strict=True)]
                for prow, trow in zip(p, t, strict=True)
            ]
        )
        _check("Keras LogCosh", keras_per_sample("log_cosh"), e.mean(axis=1), KERAS_RTOL, atol=1e-12)
        return _Ref(e, "mpmath log(cosh(p - t)) at 50 digits; Keras LogCosh agrees at rtol 1e-6")
    if loss == "mape":
        if o.get("fraction"):
            e = (torch.abs(tt - tp) / torch.clamp(torch.abs(tt), min=np.finfo(np.float64).eps)).numpy()
            sk = metrics.mean_absolute_percentage_error(t, p, multioutput="raw_values")
            _check("scikit-learn MAPE", sk, e.mean(axis=0), EXACT)
            return _Ref(e, "|t - p| / max(|t|, eps64); scikit-learn mean_absolute_percentage_error per output")
        e = 100.0 * np.abs((t - p) / np.maximum(np.abs(t), 1e-7))
        _check("Keras MAPE", keras_per_sample("mean_absolute_percentage_error"), e.mean(axis=1), KERAS_RTOL)
        if np.all(np.abs(t) >= 1e-7):
            sk = metrics.mean_absolute_percentage_error(t, p, multioutput="raw_values")
            _check("scikit-learn MAPE", 100.0 * sk, e.mean(axis=0), EXACT)
            return _Ref(e, "100 |t - p| / max(|t|, 1e-7); = 100 x scikit-learn MAPE; Keras agrees at rtol 1e-6")
        return _Ref(e, "100 |t - p| / max(|t|, 1e-7); Keras MAPE agrees at rtol 1e-6")
    if loss == "smape":
        e = (2.0 * torch.abs(tp - tt) / torch.clamp(torch.abs(tt) + torch.abs(tp), min=1.17e-6)).numpy()
        return _Ref(
            e,
            "torchmetrics SMAPE terms",
            batch_checks={"all": tmf.symmetric_mean_absolute_percentage_error(tp, tt).item()},
        )
    if loss == "wmape":
        e = torch.abs(tp - tt).numpy()
        return _Ref(
            e,
            "torchmetrics weighted_mean_absolute_percentage_error",
            ratio_scale=np.abs(t),
            batch_checks={"all": tmf.weighted_mean_absolute_percentage_error(tp, tt).item()},
        )
    if loss == "pinball":
        q = o.get("quantile", 0.5)
        diff = tt - tp
        e = torch.where(diff >= 0, q * diff, (q - 1.0) * diff).numpy()
        sk = metrics.mean_pinball_loss(t, p, alpha=q, multioutput="raw_values")
        _check("scikit-learn pinball", sk, e.mean(axis=0), EXACT)
        return _Ref(e, "scikit-learn mean_pinball_loss per output")
    if loss in ("msle", "rmsle"):
        e = ((torch.log1p(tp) - torch.log1p(tt)) ** 2).numpy()
        sk = metrics.mean_squared_log_error(t, p, multioutput="raw_values")
        _check("scikit-learn MSLE", sk, e.mean(axis=0), EXACT)
        checks = {}
        if loss == "rmsle":
            skr = metrics.root_mean_squared_log_error(t, p, multioutput="raw_values")
            _check("scikit-learn RMSLE", skr, np.sqrt(e.mean(axis=0)), EXACT)
            if o.get("per_output_root"):
                checks["all"] = metrics.root_mean_squared_log_error(t, p)
        return _Ref(
            e,
            f"scikit-learn mean_squared_log_error{' / root_' if loss == 'rmsle' else ''} per output",
            root=loss == "rmsle",
            per_output_root=bool(o.get("per_output_root")),
            batch_checks=checks,
        )
    if loss == "poisson":
        e = nn.PoissonNLLLoss(log_input=False, full=False, eps=1e-7, reduction="none")(tp, tt).numpy()
        _check("Keras Poisson", keras_per_sample("poisson"), e.mean(axis=1), KERAS_RTOL)
        return _Ref(e, "torch.nn.PoissonNLLLoss(log_input=False, eps=1e-7) = Keras Poisson (rtol 1e-6)")
    if loss == "poisson_nll":
        module = nn.PoissonNLLLoss(
            log_input=o.get("log_input", True), full=o.get("full", False), eps=o.get("eps", 1e-8), reduction="none"
        )
        return _Ref(module(tp, tt).numpy(), "torch.nn.PoissonNLLLoss")
    if loss in ("poisson_deviance", "gamma_deviance", "tweedie_deviance"):
        power = {"poisson_deviance": 1.0, "gamma_deviance": 2.0}.get(loss, o.get("power", 0.0))
        if power == 0:
            e = (tt - tp) ** 2
        elif power == 1:
            e = 2 * (torch.xlogy(tt, tt / tp) - tt + tp)
        elif power == 2:
            e = 2 * (torch.log(tp / tt) + tt / tp - 1)
        else:
            k = power
            e = 2 * (
                torch.clamp(tt, min=0) ** (2 - k) / ((1 - k) * (2 - k))
                - tt * tp ** (1 - k) / (1 - k)
                + tp ** (2 - k) / (2 - k)
            )
        e = e.numpy()
        for j in range(c):
            sk = metrics.mean_tweedie_deviance(t[:, j], p[:, j], power=power)
            _check(f"scikit-learn Tweedie deviance power {power}, output {j}", sk, e[:, j].mean(), EXACT)
        return _Ref(e, f"scikit-learn mean_tweedie_deviance(power={power}) per output")
    if loss == "gaussian_nll":
        var = np.asarray(o["var"], dtype=np.float64)
        module = nn.GaussianNLLLoss(full=o.get("full", False), eps=o.get("eps", 1e-6), reduction="none")
        e = module(tp, tt, torch.tensor(var)).numpy()
        return _Ref(np.broadcast_to(e, p.shape), "torch.nn.GaussianNLLLoss")
    if loss in ("hinge", "squared_hinge"):
        margin = torch.clamp(1.0 - torch.tensor(_hinge_labels(t)) * tp, min=0.0)
        e = (margin if loss == "hinge" else margin**2).numpy()
        _check(f"Keras {loss}", keras_per_sample(loss), e.mean(axis=1), KERAS_RTOL, atol=1e-12)
        return _Ref(e, f"torch float64 max(1 - t p, 0){'^2' if loss != 'hinge' else ''}; Keras agrees at rtol 1e-6")
    if loss == "bce":
        a = o.get("label_smoothing", 0.0)
        ts = tt * (1 - a) + 0.5 * a
        if o.get("from_logits"):
            pw = o.get("pos_weight")
            pw = None if pw is None else torch.tensor(np.asarray(pw, dtype=np.float64))
            e = nn.BCEWithLogitsLoss(reduction="none", pos_weight=pw)(tp, ts).numpy()
            return _Ref(e, "torch.nn.BCEWithLogitsLoss" + (" (targets smoothed as Keras does)" if a else ""))
        e = nn.BCELoss(reduction="none")(tp, ts).numpy()
        if a:
            _check("Keras BCE", keras_per_sample("binary_crossentropy", label_smoothing=a), e.mean(axis=1), KERAS_RTOL)
            return _Ref(e, "torch.nn.BCELoss on Keras-smoothed targets; Keras agrees at rtol 1e-6")
        return _Ref(e, "torch.nn.BCELoss")
    if loss == "focal":
        a, gamma, alpha = o.get("label_smoothing", 0.0), o.get("gamma", 2.0), o.get("alpha")
        ts = tt * (1 - a) + 0.5 * a
        prob = torch.sigmoid(tp) if o.get("from_logits") else tp
        clipped = torch.clamp(prob, 1e-7, 1 - 1e-7)
        bce = -(ts * torch.log(clipped) + (1 - ts) * torch.log(1 - clipped))
        p_t = ts * prob + (1 - ts) * (1 - prob)
        e = (1 - p_t) ** gamma * bce
        if alpha is not None:
            e = (ts * alpha + (1 - ts) * (1 - alpha)) * e
        e = e.numpy()
        kw = {"gamma": gamma, "from_logits": bool(o.get("from_logits")), "label_smoothing": a}
        if alpha is not None:
            kw.update(apply_class_balancing=True, alpha=alpha)
        _check(
            "Keras BinaryFocalCrossentropy",
            keras_per_sample("binary_focal_crossentropy", **kw),
            e.mean(axis=1),
            KERAS_RTOL,
        )
        return _Ref(e, "torch float64 focal formula; Keras BinaryFocalCrossentropy agrees at rtol 1e-6")
    if loss == "soft_margin":
        return _Ref(nn.SoftMarginLoss(reduction="none")(tp, tt).numpy(), "torch.nn.SoftMarginLoss")
    if loss == "hinge_embedding":
        module = nn.HingeEmbeddingLoss(margin=o.get("margin", 1.0), reduction="none")
        return _Ref(module(tp, tt).numpy(), "torch.nn.HingeEmbeddingLoss")
    if loss == "multilabel_soft_margin":
        e = nn.BCEWithLogitsLoss(reduction="none")(tp, tt).numpy()
        _check(
            "MultiLabelSoftMarginLoss",
            nn.MultiLabelSoftMarginLoss(reduction="none")(tp, tt).numpy(),
            e.mean(axis=1),
            EXACT,
        )
        return _Ref(e, "torch.nn.MultiLabelSoftMarginLoss per sample (its terms: BCEWithLogitsLoss)")

    # categorical
    label_losses = ("sparse_cce", "nll", "multi_margin") + (("brier",) if t.shape[1] == 1 < c else ())
    ignore = o.get("ignore_index")
    counted = np.ones(n, dtype=bool)
    if loss in label_losses:
        raw = t[:, 0]
        counted = np.ones(n, dtype=bool) if ignore is None else raw != ignore
        labels = np.where(counted, raw, 0).astype(np.int64)
        onehot = np.eye(c)[labels] * counted[:, None]
    else:
        onehot = t
    cw = o.get("class_weights")
    cw_t = None if cw is None else torch.tensor(np.asarray(cw, dtype=np.float64))
    if loss in ("cce", "sparse_cce"):
        a, eps = o.get("label_smoothing", 0.0), o.get("eps", 1e-7)
        smooth = torch.tensor(onehot) * (1 - a) + a / c
        if loss == "sparse_cce":
            smooth = smooth * torch.tensor(counted[:, None].astype(np.float64))
        if o.get("from_logits"):
            e = -smooth * F.log_softmax(tp, dim=1)
            if cw_t is not None:
                e = e * cw_t
            e = e.numpy()
            if loss == "cce":
                ce = nn.CrossEntropyLoss(reduction="none", label_smoothing=a)(tp, torch.tensor(t)).numpy()
                _check("CrossEntropyLoss (probability targets)", ce, e.sum(axis=1), EXACT)
                return _Ref(e, "torch.nn.CrossEntropyLoss(probability targets) per sample")
            kwargs = {"label_smoothing": a, "weight": cw_t, "ignore_index": -100 if ignore is None else int(ignore)}
            target_labels = torch.tensor(raw.astype(np.int64))
            per_sample = nn.CrossEntropyLoss(reduction="none", **kwargs)(tp, target_labels).numpy()
            if a == 0 or cw_t is None:  # with both, PyTorch's per-sample values split the smoothing differently
                _check("CrossEntropyLoss per sample", per_sample, e.sum(axis=1), EXACT)
            mean = nn.CrossEntropyLoss(reduction="mean", **kwargs)(tp, target_labels).item()
            divisor = float((np.asarray(cw)[labels] * counted).sum()) if cw is not None else float(counted.sum())
            return _Ref(
                e, "torch.nn.CrossEntropyLoss(class indices)", sample_divisor=divisor, batch_checks={"samples": mean}
            )
        # probabilities: Keras
        q = np.clip(p / p.sum(axis=1, keepdims=True), eps, 1 - eps)
        e = (-smooth * torch.log(torch.tensor(q))).numpy()
        old_eps = keras.config.epsilon()
        keras.config.set_epsilon(eps)
        try:
            if loss == "cce":
                ks = keras_per_sample("categorical_crossentropy", label_smoothing=a)
            else:
                ks = keras_per_sample(
                    "sparse_categorical_crossentropy", y_true=raw, ignore_class=None if ignore is None else int(ignore)
                )
        finally:
            keras.config.set_epsilon(old_eps)
        _check(f"Keras {loss}", ks, e.sum(axis=1), EXACT)
        divisor = None if ignore is None else float(counted.sum())
        return _Ref(
            e,
            f"Keras {'Sparse' if loss == 'sparse_cce' else ''}CategoricalCrossentropy per sample",
            sample_divisor=divisor,
        )
    if loss == "nll":
        e = -torch.tensor(onehot) * tp
        if cw_t is not None:
            e = e * cw_t
        e = e.numpy()
        kwargs = {"weight": cw_t, "ignore_index": -100 if ignore is None else int(ignore)}
        target_labels = torch.tensor(raw.astype(np.int64))
        _check(
            "NLLLoss per sample",
            nn.NLLLoss(reduction="none", **kwargs)(tp, target_labels).numpy(),
            e.sum(axis=1),
            EXACT,
        )
        mean = nn.NLLLoss(reduction="mean", **kwargs)(tp, target_labels).item()
        divisor = float((np.asarray(cw)[labels] * counted).sum()) if cw is not None else float(counted.sum())
        return _Ref(
            e,
            "torch.nn.NLLLoss",
            sample_divisor=divisor if (cw is not None or ignore is not None) else None,
            batch_checks={"samples": mean},
        )
    if loss == "kld":
        if o.get("log_input"):
            log_target = bool(o.get("log_target"))
            module = nn.KLDivLoss(reduction="none", log_target=log_target)
            e = module(tp, tt).numpy()
            batchmean = nn.KLDivLoss(reduction="batchmean", log_target=log_target)(tp, tt).item()
            mean = nn.KLDivLoss(reduction="mean", log_target=log_target)(tp, tt).item()
            return _Ref(e, "torch.nn.KLDivLoss", batch_checks={"samples": batchmean, "all": mean})
        tc, pc = np.clip(t, 1e-7, 1), np.clip(p, 1e-7, 1)
        e = (torch.tensor(tc) * torch.log(torch.tensor(tc) / torch.tensor(pc))).numpy()
        # keras.ops.clip makes its bound 1e-7 a float32 scalar: where it clips, Keras is 1e-9 off
        clipped = bool((t < 1e-7).any() or (p < 1e-7).any())
        _check("Keras KLDivergence", keras_per_sample("kl_divergence"), e.sum(axis=1), KERAS_RTOL if clipped else EXACT)
        return _Ref(
            e, "Keras KLDivergence per sample (float64 sums" + ("; clip bound float32 in Keras)" if clipped else ")")
        )
    if loss == "js":
        pn, tn = tp / tp.sum(dim=1, keepdim=True), tt / tt.sum(dim=1, keepdim=True)
        m = (pn + tn) / 2
        e = (0.5 * torch.xlogy(pn, pn / m) + 0.5 * torch.xlogy(tn, tn / m)).numpy()
        tm = tmf.jensen_shannon_divergence(tp, tt, reduction="none").numpy()
        _check("torchmetrics JS per sample", tm, e.sum(axis=1), EXACT)
        return _Ref(e, "torchmetrics jensen_shannon_divergence per sample")
    if loss == "categorical_focal":
        a, gamma, alpha = o.get("label_smoothing", 0.0), o.get("gamma", 2.0), o.get("alpha", 0.25)
        ts = torch.tensor(onehot) * (1 - a) + a / c
        prob = torch.softmax(tp, dim=1) if o.get("from_logits") else tp
        q = torch.clamp(prob / prob.sum(dim=1, keepdim=True), 1e-7, 1 - 1e-7)
        e = (alpha * (1 - q) ** gamma * (-ts * torch.log(q))).numpy()
        ks = keras_per_sample(
            "categorical_focal_crossentropy",
            gamma=gamma,
            alpha=alpha,
            from_logits=bool(o.get("from_logits")),
            label_smoothing=a,
        )
        _check("Keras CategoricalFocalCrossentropy", ks, e.sum(axis=1), EXACT)
        return _Ref(e, "Keras CategoricalFocalCrossentropy per sample (float64 sums)")
    if loss == "multi_margin":
        power, margin = o.get("p", 1), o.get("margin", 1.0)
        x_y = (tp * torch.tensor(onehot)).sum(dim=1, keepdim=True)
        e = torch.clamp(margin - x_y + tp, min=0) ** power / c
        e = torch.where(torch.tensor(onehot) == 1, torch.zeros_like(e), e).numpy()
        ms = nn.MultiMarginLoss(p=power, margin=margin, reduction="none")(tp, torch.tensor(labels)).numpy()
        _check("MultiMarginLoss per sample", ms, e.sum(axis=1), EXACT)
        return _Ref(e, "torch.nn.MultiMarginLoss per sample")
    if loss == "brier":
        e = (p - onehot) ** 2
        if c == 1:
            sk = metrics.brier_score_loss(t[:, 0], p[:, 0])
        else:
            label_vector = onehot.argmax(axis=1)
            sk = metrics.brier_score_loss(label_vector, p, labels=list(range(c)))
            sk = sk * (2 if c == 2 else 1)
        return _Ref(e, "scikit-learn brier_score_loss", batch_checks={"samples": sk})

    # per sample only; Keras returns some of these in float32: checked at rtol 1e-6 then
    def keras_agrees(label, keras_name, ours, **kwargs):
        value = getattr(keras.losses, keras_name)(torch.tensor(t), tp, **kwargs)
        exact = value.dtype == torch.float64
        _check(
            label, value.numpy().astype(np.float64), ours, EXACT if exact else KERAS_RTOL, atol=0 if exact else 1e-12
        )
        return f"{label} agrees" + ("" if exact else " at rtol 1e-6 (it computes in float32)")

    if loss == "categorical_hinge":
        positive = (tt * tp).sum(dim=1)
        negative = ((1.0 - tt) * tp).max(dim=1).values
        ref = torch.clamp(negative - positive + 1.0, min=0.0).numpy()
        note = keras_agrees("Keras CategoricalHinge", "categorical_hinge", ref)
        return _Ref(ref, f"torch float64 categorical hinge; {note}", per_sample_only=True)
    if loss in ("cosine_similarity", "cosine_distance"):

        def unit(x):
            return x / torch.clamp(torch.sqrt((x * x).sum(dim=1, keepdim=True)), min=1e-7)

        cos = (unit(tp) * unit(tt)).sum(dim=1).numpy()
        nonzero = (np.abs(p).sum(axis=1) > 0) & (np.abs(t).sum(axis=1) > 0)
        _check("torch cosine_similarity", F.cosine_similarity(tp, tt, dim=1).numpy()[nonzero], cos[nonzero], EXACT)
        # Keras normalises through float32 scalars: agreement to rtol 1e-6
        _check("Keras CosineSimilarity", keras_per_sample("cosine_similarity"), -cos, KERAS_RTOL, atol=1e-12)
        if loss == "cosine_similarity":
            return _Ref(
                -cos,
                "-torch.nn.functional.cosine_similarity (zero vectors: 0, as Keras); Keras "
                "CosineSimilarity agrees at rtol 1e-6",
                per_sample_only=True,
            )
        return _Ref(
            1.0 - cos, "1 - torch.nn.functional.cosine_similarity (= optax.cosine_distance)", per_sample_only=True
        )
    if loss == "dice":
        intersection = (tt * tp).sum(dim=1)
        ref = (1.0 - 2.0 * intersection / (tt.sum(dim=1) + tp.sum(dim=1) + 1e-7)).numpy()
        note = keras_agrees("Keras dice(axis=-1)", "dice", ref, axis=-1)
        return _Ref(ref, f"torch float64 Dice; {note}", per_sample_only=True)
    if loss == "tversky":
        a, b = o.get("alpha", 0.5), o.get("beta", 0.5)
        intersection = (tt * tp).sum(dim=1)
        first, second = ((1 - tp) * tt).sum(dim=1), (tp * (1 - tt)).sum(dim=1)
        ref = (1.0 - intersection / (intersection + a * first + b * second + 1e-7)).numpy()
        note = keras_agrees("Keras tversky(axis=-1)", "tversky", ref, alpha=a, beta=b, axis=-1)
        return _Ref(ref, f"torch float64 Tversky; {note}", per_sample_only=True)
    issue_24 = _issue_24_terms(case, p, t)
    if issue_24 is not None:
        return issue_24
    raise KeyError(f"no reference for {loss}")


def _optax_dice(loss: str, p, t, o) -> _Ref:
    """optax's Dice losses of (N, C): binary_dice_loss gives each sample's value; dice_loss each sample's
    mean over its classes, so the element terms are written here with jax.nn's softmax and sigmoid and
    their class means checked against it."""
    jax, optax = _optax()
    jnp = jax.numpy
    jp, jt = jnp.asarray(p), jnp.asarray(t)
    smooth, logits = o.get("smooth", 1.0), o.get("from_logits", True)
    if loss == "binary_dice" and logits:
        e = optax.losses.binary_dice_loss(jp, jt, smooth=smooth)
        return _Ref(np.asarray(e), "optax.losses.binary_dice_loss", per_sample_only=True)
    if loss == "binary_dice":  # optax's apply_sigmoid=False asks each value to sum to 1: given as logits
        inter = (p * t).sum(axis=1)
        e = 1.0 - (inter + smooth) / (0.5 * p.sum(axis=1) + 0.5 * t.sum(axis=1) + smooth)
        value = optax.losses.binary_dice_loss(jnp.asarray(np.log(p / (1.0 - p))), jt, smooth=smooth)
        _check("optax binary_dice_loss of logit(p)", np.asarray(value), e, 1e-12)
        return _Ref(e, "per sample; optax.losses.binary_dice_loss of logit(p) agrees", per_sample_only=True)
    alpha, beta = o.get("alpha", 0.5), o.get("beta", 0.5)
    q = jp if not logits else (jax.nn.sigmoid(jp) if p.shape[1] == 1 else jax.nn.softmax(jp, axis=-1))
    inter = q * jt
    e = np.asarray(1.0 - (inter + smooth) / (inter + alpha * (q - inter) + beta * (jt - inter) + smooth))
    value = optax.losses.dice_loss(jp, jt, smooth=smooth, alpha=alpha, beta=beta, apply_softmax=logits)
    _check("optax dice_loss", np.asarray(value), e.mean(axis=1), EXACT)
    return _Ref(e, "per element, their class mean is optax.losses.dice_loss's per-sample value")


def _optax():
    import jax

    jax.config.update("jax_enable_x64", True)
    import optax

    return jax, optax


def _issue_24_terms(case: dict, p: np.ndarray, t: np.ndarray) -> _Ref | None:  # noqa: C901 - a branch per loss
    """The terms of the losses of issue 24, each from the framework that has it (optax in float64)."""
    torch, keras, metrics, tmf = _frameworks()
    loss, o = case["loss"], case["options"]
    y = t[:, 0].astype(int) if t.shape[1] == 1 < p.shape[1] else None  # class labels
    onehot = None if y is None else np.eye(p.shape[1])[y]
    if loss in ("perceptron", "sparsemax"):
        jax, optax = _optax()
        e = np.asarray(getattr(optax.losses, f"{loss}_loss")(jax.numpy.asarray(p), jax.numpy.asarray(t)))
        return _Ref(e, f"optax.losses.{loss}_loss")
    if loss == "hamming_loss":
        e = (p != t).astype(np.float64)
        flat = (t.ravel(), p.ravel()) if t.shape[1] == 1 else (t, p)
        _check("scikit-learn hamming_loss", metrics.hamming_loss(*flat), e.mean(), EXACT)
        return _Ref(e, "p != t; scikit-learn hamming_loss agrees")
    if loss == "zero_one_loss":
        e = (p != t).any(axis=1).astype(np.float64)
        flat = (t.ravel(), p.ravel()) if t.shape[1] == 1 else (t, p)
        _check("scikit-learn zero_one_loss", metrics.zero_one_loss(*flat), e.mean(), EXACT)
        return _Ref(e, "any(p != t) per sample; scikit-learn zero_one_loss agrees", per_sample_only=True)
    if loss in ("poly_loss", "generalized_kld", "multiclass_perceptron", "multiclass_sparsemax"):
        jax, optax = _optax()
        jp = jax.numpy.asarray(p)
        if loss == "poly_loss":
            targets = onehot if onehot is not None else t
            e = optax.losses.poly_loss_cross_entropy(jp, jax.numpy.asarray(targets), epsilon=o.get("epsilon", 2.0))
            name = "poly_loss_cross_entropy"
        elif loss == "generalized_kld":
            e, name = optax.losses.generalized_kl_divergence(jp, jax.numpy.asarray(t)), "generalized_kl_divergence"
        else:
            e, name = getattr(optax.losses, f"{loss}_loss")(jp, jax.numpy.asarray(y)), f"{loss}_loss"
        return _Ref(np.asarray(e), f"optax.losses.{name}", per_sample_only=True)
    if loss in ("soft_dice", "binary_dice"):
        return _optax_dice(loss, p, t, o)
    if loss == "minkowski":
        order = o.get("p", 2.0)
        e = np.abs(p - t) ** order
        value = tmf.minkowski_distance(torch.tensor(p), torch.tensor(t), order).item()
        return _Ref(
            e,
            "|p - t|^p, the p-th root after the reduction; torchmetrics minkowski_distance agrees",
            root=1.0 / order,
            batch_checks={"none": value},
        )
    if loss == "calibration_error":
        import torchmetrics.functional.classification as tc

        confidence = 1.0 / (1.0 + np.exp(-p)) if o.get("from_logits") else p
        tm = tc.binary_calibration_error(
            torch.tensor(p.ravel()), torch.tensor(t.ravel()).long(), n_bins=o.get("bins", 15), norm=o.get("norm", "l1")
        )
        value = float(tm.item())
        return _Ref(
            confidence - t, "p - t; torchmetrics binary_calibration_error gives the value", order=([value], value)
        )
    if loss in ("max_error", "median_absolute_error"):
        e = np.abs(p - t)
        if loss == "max_error":
            value = float(metrics.max_error(t.ravel(), p.ravel()))
            order = ([value], value)
        else:
            raw = metrics.median_absolute_error(t, p, multioutput="raw_values")
            order = ([float(v) for v in np.atleast_1d(raw)], float(metrics.median_absolute_error(t, p)))
        return _Ref(e, f"|p - t|; scikit-learn {loss} gives the value and each output's", order=order)
    if loss == "generalized_cross_entropy":
        q = o.get("q", 0.5)
        ref = (1.0 - (p * onehot).sum(axis=1) ** q) / q
        keras_value = keras.losses.categorical_generalized_cross_entropy(torch.tensor(y), torch.tensor(p), q=q)
        _check("Keras categorical_generalized_cross_entropy", keras_value.numpy(), ref, KERAS_RTOL)  # float32 inside
        return _Ref(
            ref,
            "(1 - p[y]^q) / q; Keras categorical_generalized_cross_entropy agrees at rtol 1e-6",
            per_sample_only=True,
        )
    if loss == "squared_categorical_hinge":
        import torchmetrics.functional.classification as tc

        x = torch.tensor(p)
        probabilities = torch.softmax(x, dim=1) if o.get("from_logits") else x
        true = probabilities[torch.arange(len(y)), torch.tensor(y)]
        others = probabilities.masked_fill(torch.tensor(onehot, dtype=torch.bool), -torch.inf).max(dim=1).values
        ref = (torch.clamp(1.0 - (true - others), min=0.0) ** 2).numpy()
        tm = tc.multiclass_hinge_loss(x, torch.tensor(y), p.shape[1], squared=True)
        _check("torchmetrics multiclass_hinge_loss(squared=True)", tm.item(), ref.mean(), EXACT)
        return _Ref(ref, "torch float64 squared Crammer-Singer hinge; torchmetrics agrees", per_sample_only=True)
    if loss == "multilabel_margin":
        e = torch.nn.MultiLabelMarginLoss(reduction="none")(torch.tensor(p), torch.tensor(t).long()).numpy()
        return _Ref(e, "torch.nn.MultiLabelMarginLoss", per_sample_only=True)
    if loss in ("label_ranking_loss", "coverage_error"):
        per_sample = np.array([getattr(metrics, loss)(t[i : i + 1], p[i : i + 1]) for i in range(len(p))])
        _check(f"scikit-learn {loss} of the batch", getattr(metrics, loss)(t, p), per_sample.mean(), EXACT)
        source = f"scikit-learn {loss}, each sample alone (their mean is its batch value)"
        return _Ref(per_sample, source, per_sample_only=True)
    return None


def _weighted(case: dict, ref: _Ref) -> _Ref:
    """Apply the case's sample weights, checked against scikit-learn and Keras."""
    torch, keras, metrics, _ = _frameworks()
    w = np.asarray(case["weights"], dtype=np.float64)
    e = ref.terms if not ref.per_sample_only else ref.terms.reshape(-1, 1)
    weighted = e * w[:, None]
    divisor = float(w.sum()) if case["weight_divisor"] == "sum" else float(len(w))
    p, t = _as2d(case["preds"]), _as2d(case["targets"])
    checks = {}
    if case["loss"] == "mse" and case["weight_divisor"] == "sum":
        checks["all"] = metrics.mean_squared_error(t, p, sample_weight=w)
    if case["loss"] == "mae":
        checks["all"] = metrics.mean_absolute_error(t, p, sample_weight=w)
    if case["loss"] == "rmse":
        checks["all"] = float(np.mean(metrics.root_mean_squared_error(t, p, sample_weight=w, multioutput="raw_values")))
    if case["loss"] == "mse" and case["weight_divisor"] == "count":
        keras_value = keras.losses.MeanSquaredError(dtype="float64")(t, p, sample_weight=w)
        _check("Keras MSE sum_over_batch_size", float(keras_value), weighted.sum() / (divisor * e.shape[1]), KERAS_RTOL)
    if case["loss"] == "cce":
        # Keras's "sum" is exact in float64; its weighted mean divides in float32
        keras_sum = keras.losses.CategoricalCrossentropy(reduction="sum", dtype="float64")(t, p, sample_weight=w)
        checks["none"] = float(keras_sum)
        keras_mean = keras.losses.CategoricalCrossentropy(reduction="mean_with_sample_weight", dtype="float64")(
            t, p, sample_weight=w
        )
        _check("Keras CCE mean_with_sample_weight", float(keras_mean), weighted.sum() / divisor, KERAS_RTOL)
    if case["loss"] == "cosine_similarity":
        keras_value = keras.losses.CosineSimilarity(dtype="float64")(t, p, sample_weight=w)
        _check("Keras CosineSimilarity sum_over_batch_size", float(keras_value), weighted.sum() / divisor, KERAS_RTOL)
    if case["loss"] == "rmse":
        # root of the weighted means per output: scikit-learn's raw_values, averaged
        return _Ref(
            weighted,
            ref.source + "; weighted as scikit-learn sample_weight",
            sample_divisor=divisor,
            root=True,
            per_output_root=bool(case["options"].get("per_output_root")),
            batch_checks=checks,
        )
    return _Ref(
        weighted if not ref.per_sample_only else weighted[:, 0],
        ref.source + f"; sample weights, divisor {case['weight_divisor']}",
        per_sample_only=ref.per_sample_only,
        sample_divisor=divisor,
        root=ref.root,  # a Minkowski distance's p-th root (RMSE's is the branch above)
        batch_checks=checks,
    )


def reductions(ref: _Ref) -> dict:
    """Every reduction of the reference terms, with torch in float64."""
    import torch

    e = torch.tensor(ref.terms.reshape(len(ref.terms), -1))
    n_samples, n_outputs = e.shape
    s = n_samples if ref.sample_divisor is None else ref.sample_divisor
    total = e.sum()
    out = {}
    if ref.order is not None:  # a maximum or a median: --reduce all alone; the per-sample rows are means
        per_output, value = ref.order
        out["all"] = {"value": value, "per_sample": (e.sum(dim=1) / n_outputs).tolist(), "per_output": per_output}
        return out
    if ref.ratio_scale is not None:
        scale = torch.tensor(ref.ratio_scale)
        floor = 1.17e-6
        out["all"] = {
            "value": (total / torch.clamp(scale.sum(), min=floor)).item(),
            "per_sample": (e.sum(dim=1) / torch.clamp(scale.sum(dim=1), min=floor)).tolist(),
            "per_output": (e.sum(dim=0) / torch.clamp(scale.sum(dim=0), min=floor)).tolist(),
        }
        return out
    for reduce in REDUCES if not ref.per_sample_only else ("samples", "none"):
        mean_samples = reduce in ("all", "samples")
        mean_outputs = reduce in ("all", "outputs")
        sd = s if mean_samples else 1
        od = n_outputs if mean_outputs else 1
        value = total / (sd * od)
        per_sample = e.sum(dim=1) / od
        per_output = e.sum(dim=0) / sd
        if ref.root:
            root = torch.sqrt if ref.root is True else (lambda x: torch.pow(x, ref.root))  # 1/p: Minkowski
            per_sample, per_output = root(per_sample), root(per_output)
            value = per_output.sum() / od if ref.per_output_root else root(value)
        out[reduce] = {
            "value": value.item(),
            "per_sample": per_sample.tolist(),
            "per_output": None if ref.per_sample_only else per_output.tolist(),
        }
    return out


def build() -> list[dict]:
    import keras
    import sklearn
    import torch
    import torchmetrics

    versions = (
        f"torch {torch.__version__}, keras {keras.__version__}, scikit-learn {sklearn.__version__}, "
        f"torchmetrics {torchmetrics.__version__}"
    )
    import warnings

    warnings.simplefilter("ignore", UserWarning)  # sklearn: rounded probabilities; torch: KLDiv "mean"
    built = []
    for case in cases():
        ref = terms(case)
        if "weights" in case:
            ref = _weighted(case, ref)
        reduced = reductions(ref)
        for reduce, value in ref.batch_checks.items():
            _check(
                f"{case['loss']} {case['options']} batch value under --reduce {reduce}",
                reduced[reduce]["value"],
                value,
                EXACT,
            )
        entry = {
            **case,
            "source": ref.source,
            "versions": versions,
            "elements": None if ref.per_sample_only else ref.terms.tolist(),
            "per_sample_terms": ref.terms.tolist() if ref.per_sample_only else None,
            "reductions": reduced,
        }
        entry["gradients"] = gradients(case, entry)
        built.append(entry)
    return built


def main() -> int:
    FIXTURE.parent.mkdir(exist_ok=True)
    # One case a line: small diffs when a case changes.
    for path, cases in ((FIXTURE, build()),):
        path.write_text("[\n" + ",\n".join(json.dumps(case) for case in cases) + "\n]\n")
        print(f"wrote {path}", file=sys.stderr)
    return 0


# --- gradients: torch.autograd of the same terms -------------------------------------------


def torch_terms(case: dict, tp, tt):
    """The case's terms as a differentiable torch expression of the predictions ``tp``."""
    import torch

    nn, F = torch.nn, torch.nn.functional
    o = case["options"]
    loss = case["loss"]
    n, c = tp.shape
    d = tp - tt
    eps = 1e-7
    if loss in ("mse", "rmse", "brier") and not (loss == "brier" and tt.shape[1] == 1 < c):
        return nn.MSELoss(reduction="none")(tp, tt)
    if loss in ("mae", "wmape"):
        return nn.L1Loss(reduction="none")(tp, tt)
    if loss == "l2":
        return 0.5 * nn.MSELoss(reduction="none")(tp, tt)
    if loss == "huber":
        return nn.HuberLoss(reduction="none", delta=o.get("delta", 1.0))(tp, tt)
    if loss == "smooth_l1":
        return nn.SmoothL1Loss(reduction="none", beta=o.get("beta", 1.0))(tp, tt)
    if loss == "log_cosh":
        # log(cosh(d)) overflows and cancels; the same two stable forms as the mpmath values agree with
        z, small = torch.abs(d), torch.clamp(d, -1.0, 1.0)
        big = z + torch.log1p(torch.exp(-2.0 * z)) - math.log(2.0)
        return torch.where(z <= 1.0, torch.log1p(2.0 * torch.sinh(small / 2.0) ** 2), big)
    if loss == "mape":
        floor = np.finfo(np.float64).eps if o.get("fraction") else eps
        return (1.0 if o.get("fraction") else 100.0) * torch.abs((tt - tp) / torch.clamp(torch.abs(tt), min=floor))
    if loss == "smape":
        return 2.0 * torch.abs(d) / torch.clamp(torch.abs(tt) + torch.abs(tp), min=1.17e-6)
    if loss in ("msle", "rmsle"):
        return (torch.log1p(tp) - torch.log1p(tt)) ** 2
    if loss == "pinball":
        q = o.get("quantile", 0.5)
        return torch.where(tt - tp >= 0, q * (tt - tp), (q - 1.0) * (tt - tp))
    if loss == "poisson":
        return nn.PoissonNLLLoss(log_input=False, eps=1e-7, reduction="none")(tp, tt)
    if loss == "poisson_nll":
        return nn.PoissonNLLLoss(
            log_input=o.get("log_input", True), full=o.get("full", False), eps=o.get("eps", 1e-8), reduction="none"
        )(tp, tt)
    if loss in ("poisson_deviance", "gamma_deviance", "tweedie_deviance"):
        k = {"poisson_deviance": 1.0, "gamma_deviance": 2.0}.get(loss, o.get("power", 0.0))
        if k == 0:
            return (tt - tp) ** 2
        if k == 1:  # xlogy(t, t / p) split, so that t = 0 has a derivative in torch
            return 2 * (torch.xlogy(tt, tt) - torch.xlogy(tt, tp) - tt + tp)
        if k == 2:
            return 2 * (torch.log(tp / tt) + tt / tp - 1)
        return 2 * (
            torch.clamp(tt, min=0) ** (2 - k) / ((1 - k) * (2 - k))
            - tt * tp ** (1 - k) / (1 - k)
            + tp ** (2 - k) / (2 - k)
        )
    if loss == "gaussian_nll":
        var = torch.tensor(np.asarray(o["var"], dtype=np.float64))
        e = nn.GaussianNLLLoss(full=o.get("full", False), eps=o.get("eps", 1e-6), reduction="none")(tp, tt, var)
        return e.expand(n, c)
    if loss in ("hinge", "squared_hinge"):
        t = 2 * tt - 1 if bool(((tt == 0) | (tt == 1)).all()) else tt
        margin = torch.clamp(1.0 - t * tp, min=0.0)
        return margin if loss == "hinge" else margin**2
    if loss == "bce":
        a = o.get("label_smoothing", 0.0)
        ts = tt * (1 - a) + 0.5 * a
        if o.get("from_logits"):
            pw = o.get("pos_weight")
            pw = None if pw is None else torch.tensor(np.asarray(pw, dtype=np.float64))
            return nn.BCEWithLogitsLoss(reduction="none", pos_weight=pw)(tp, ts)
        return nn.BCELoss(reduction="none")(tp, ts)
    if loss == "focal":
        a, gamma, alpha = o.get("label_smoothing", 0.0), o.get("gamma", 2.0), o.get("alpha")
        ts = tt * (1 - a) + 0.5 * a
        prob = torch.sigmoid(tp) if o.get("from_logits") else tp
        clipped = torch.clamp(prob, eps, 1 - eps)
        bce = -(ts * torch.log(clipped) + (1 - ts) * torch.log(1 - clipped))
        e = (1 - (ts * prob + (1 - ts) * (1 - prob))) ** gamma * bce
        return e if alpha is None else (ts * alpha + (1 - ts) * (1 - alpha)) * e
    if loss == "soft_margin":
        return nn.SoftMarginLoss(reduction="none")(tp, tt)
    if loss == "hinge_embedding":
        return nn.HingeEmbeddingLoss(margin=o.get("margin", 1.0), reduction="none")(tp, tt)
    if loss == "multilabel_soft_margin":
        return nn.BCEWithLogitsLoss(reduction="none")(tp, tt)
    # categorical: labels one-hot, ignored rows zero
    onehot, counted = tt, torch.ones(n, 1, dtype=torch.float64)
    if tt.shape[1] == 1 < c:
        raw = tt[:, 0].numpy()
        ignore = o.get("ignore_index")
        keep = np.ones(n, dtype=bool) if ignore is None else raw != ignore
        onehot = torch.tensor(np.eye(c)[np.where(keep, raw, 0).astype(int)] * keep[:, None])
        counted = torch.tensor(keep.astype(np.float64)[:, None])
    cw = o.get("class_weights")
    cw = 1.0 if cw is None else torch.tensor(np.asarray(cw, dtype=np.float64))
    if loss == "brier":
        return (tp - onehot) ** 2
    if loss in ("cce", "sparse_cce"):
        a = o.get("label_smoothing", 0.0)
        smooth = (onehot * (1 - a) + a / c) * counted
        if o.get("from_logits"):
            return -smooth * F.log_softmax(tp, dim=1) * cw
        e_ = o.get("eps", eps)
        return -smooth * torch.log(torch.clamp(tp / tp.sum(dim=1, keepdim=True), e_, 1 - e_)) * cw
    if loss == "nll":
        return -onehot * tp * cw
    if loss == "kld":
        if o.get("log_input"):
            return nn.KLDivLoss(reduction="none", log_target=bool(o.get("log_target")))(tp, tt)
        tc = torch.clamp(tt, eps, 1)
        return tc * torch.log(tc / torch.clamp(tp, eps, 1))
    if loss == "js":
        pn, tn = tp / tp.sum(dim=1, keepdim=True), tt / tt.sum(dim=1, keepdim=True)
        m = (pn + tn) / 2  # the logs split, so that zeros have a derivative in torch
        return 0.5 * (torch.xlogy(pn, pn) - torch.xlogy(pn, m) + torch.xlogy(tn, tn) - torch.xlogy(tn, m))
    if loss == "categorical_focal":
        a, gamma, alpha = o.get("label_smoothing", 0.0), o.get("gamma", 2.0), o.get("alpha", 0.25)
        ts = onehot * (1 - a) + a / c
        prob = torch.softmax(tp, dim=1) if o.get("from_logits") else tp
        q = torch.clamp(prob / prob.sum(dim=1, keepdim=True), eps, 1 - eps)
        return alpha * (1 - q) ** gamma * (-ts * torch.log(q))
    if loss == "multi_margin":
        power, margin = o.get("p", 1), o.get("margin", 1.0)
        x_y = (tp * onehot).sum(dim=1, keepdim=True)
        e = torch.clamp(margin - x_y + tp, min=0) ** power / c
        return torch.where(onehot == 1, torch.zeros_like(e), e)
    # per sample only: shape (N, 1)
    if loss == "categorical_hinge":
        negative = ((1.0 - tt) * tp).max(dim=1).values
        return torch.clamp(negative - (tt * tp).sum(dim=1) + 1.0, min=0.0)[:, None]
    if loss in ("cosine_similarity", "cosine_distance"):

        def unit(x):
            return x / torch.clamp(torch.sqrt((x * x).sum(dim=1, keepdim=True)), min=eps)

        cos = (unit(tp) * unit(tt)).sum(dim=1, keepdim=True)
        return -cos if loss == "cosine_similarity" else 1.0 - cos
    if loss == "dice":
        inter = (tt * tp).sum(dim=1, keepdim=True)
        return 1.0 - 2.0 * inter / (tt.sum(dim=1, keepdim=True) + tp.sum(dim=1, keepdim=True) + eps)
    if loss == "tversky":
        a, b = o.get("alpha", 0.5), o.get("beta", 0.5)
        inter = (tt * tp).sum(dim=1, keepdim=True)
        first, second = ((1 - tp) * tt).sum(dim=1, keepdim=True), (tp * (1 - tt)).sum(dim=1, keepdim=True)
        return 1.0 - inter / (inter + a * first + b * second + eps)
    if loss in ("soft_dice", "binary_dice"):
        smooth, logits = o.get("smooth", 1.0), o.get("from_logits", True)
        if loss == "binary_dice":
            q = torch.sigmoid(tp) if logits else tp
            inter = (q * tt).sum(dim=1, keepdim=True)
            return 1.0 - (inter + smooth) / (
                0.5 * q.sum(dim=1, keepdim=True) + 0.5 * tt.sum(dim=1, keepdim=True) + smooth
            )
        q = tp if not logits else (torch.sigmoid(tp) if c == 1 else torch.softmax(tp, dim=1))
        a, b, inter = o.get("alpha", 0.5), o.get("beta", 0.5), q * tt
        return 1.0 - (inter + smooth) / (inter + a * (q - inter) + b * (tt - inter) + smooth)
    if loss == "minkowski":
        return torch.abs(tp - tt) ** o.get("p", 2.0)
    if loss == "perceptron":
        return torch.clamp(-tt * tp, min=0.0)
    if loss == "sparsemax":
        x = torch.where(tt == 1, -tp, tp)
        return torch.where(x <= -1, torch.zeros_like(x), torch.where(x >= 1, x, (x + 1) ** 2 / 4))
    labels = tt[:, 0].long() if tt.shape[1] == 1 < c else None
    hot = None if labels is None else F.one_hot(labels, c).to(tp.dtype)
    if loss == "poly_loss":
        targets = hot if hot is not None else tt
        log_q = torch.log_softmax(tp, dim=1)
        epsilon = o.get("epsilon", 2.0)
        return (-(targets * log_q).sum(dim=1) + epsilon * (targets * (1 - log_q.exp())).sum(dim=1))[:, None]
    if loss == "generalized_kld":
        return ((torch.xlogy(tt, tt) - tt * tp).sum(dim=1) + (tp.exp() - tt).sum(dim=1))[:, None]
    if loss == "generalized_cross_entropy":
        q = o.get("q", 0.5)
        return ((1 - (tp * hot).sum(dim=1) ** q) / q)[:, None]
    if loss == "multiclass_perceptron":
        return (tp.max(dim=1).values - (tp * hot).sum(dim=1))[:, None]
    if loss == "multiclass_sparsemax":
        z = torch.sort(tp, dim=1, descending=True).values
        cumulative = z.cumsum(dim=1) - 1
        k = torch.arange(1, c + 1, dtype=tp.dtype)
        size = ((z - cumulative / k) > 0).sum(dim=1)
        tau = cumulative[torch.arange(n), size - 1] / size
        q = torch.clamp(tp - tau[:, None], min=0.0)
        shifted = tp - (tp * hot).sum(dim=1, keepdim=True)
        return ((q * torch.where(q > 0, shifted, 0.0)).sum(dim=1) + 0.5 * (1 - (q * q).sum(dim=1)))[:, None]
    if loss == "squared_categorical_hinge":
        probabilities = torch.softmax(tp, dim=1) if o.get("from_logits") else tp
        true = (probabilities * hot).sum(dim=1)
        others = probabilities.masked_fill(hot.bool(), -torch.inf).max(dim=1).values
        return (torch.clamp(1.0 - (true - others), min=0.0) ** 2)[:, None]
    if loss == "multilabel_margin":
        return nn.MultiLabelMarginLoss(reduction="none")(tp, tt.long())[:, None]
    raise KeyError(f"no torch terms for {loss}")


# counts and ranks; and order statistics, whose --grad losscli refuses
NOT_DIFFERENTIABLE = (
    "hamming_loss",
    "zero_one_loss",
    "label_ranking_loss",
    "coverage_error",
    "max_error",
    "median_absolute_error",
    "calibration_error",
)


def gradients(case: dict, built: dict) -> dict:
    """torch.autograd of the batch value under every reduction the case has, w.r.t. the predictions."""
    import torch

    p, t = _as2d(case["preds"]), _as2d(case["targets"])
    out: dict = {}
    if case["loss"] in NOT_DIFFERENTIABLE:  # a count has no gradient: losscli refuses --grad (test_reference.py)
        return out
    for reduce in built["reductions"]:
        tp = torch.tensor(p, requires_grad=True)
        e = torch_terms(case, tp, torch.tensor(t))
        raw = e.detach().numpy()
        expected = np.asarray(built["elements"] if built["elements"] is not None else built["per_sample_terms"])
        # the torch expression is the fixture's terms: else this gradient is of something else
        weights = np.asarray(case.get("weights", np.ones(len(p))), dtype=np.float64)
        weighted = raw.reshape(expected.shape) * weights.reshape(-1, *([1] * (expected.ndim - 1)))
        np.testing.assert_allclose(
            weighted, expected, rtol=1e-9, atol=1e-300, strict=True, err_msg=f"{case['loss']} torch terms"
        )
        value = _torch_value(case, e, reduce, t)
        (grad,) = torch.autograd.grad(value, tp)
        # torch's sqrt has no derivative at 0 (a zero vector's norm): no reference there
        out[reduce] = None if torch.isnan(grad).any() else grad.numpy().tolist()
    return out


def _torch_value(case: dict, e, reduce: str, t: np.ndarray):
    """The batch value of terms ``e`` as the fixture's reductions define it, in torch."""
    import torch

    o = case["options"]
    n, c = e.shape
    w = torch.ones(n, 1, dtype=torch.float64)
    if "weights" in case:
        w = torch.tensor(np.asarray(case["weights"], dtype=np.float64))[:, None]
    e = e * w
    mean_samples, mean_outputs = reduce in ("all", "samples"), reduce in ("all", "outputs")
    if case["loss"] == "wmape":
        return e.sum() / max(float(np.abs(t).sum()), 1.17e-6)
    if "weights" in case:
        s = float(w.sum()) if case["weight_divisor"] == "sum" else float(n)
    elif o.get("class_weights") is not None or o.get("ignore_index") is not None:
        raw = t[:, 0]
        keep = np.ones(n, dtype=bool) if o.get("ignore_index") is None else raw != o["ignore_index"]
        cw = np.ones(c) if o.get("class_weights") is None else np.asarray(o["class_weights"], dtype=np.float64)
        s = float((cw[np.where(keep, raw, 0).astype(int)] * keep).sum())
    else:
        s = float(n)
    sd, od = (s if mean_samples else 1.0), (c if mean_outputs else 1)
    if case["loss"] in ("rmse", "rmsle"):
        if o.get("per_output_root"):
            return torch.sqrt(e.sum(dim=0) / sd).sum() / od
        return torch.sqrt(e.sum() / (sd * od))
    if case["loss"] == "minkowski":
        return torch.pow(e.sum() / (sd * od), 1.0 / o.get("p", 2.0))
    return e.sum() / (sd * od)


if __name__ == "__main__":
    sys.exit(main())
