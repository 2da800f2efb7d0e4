"""Reference values for ``--like`` and ``--compare``: every framework's own call, run for real.

Run ``python tests/references_like.py`` (PyTorch, Keras 3, scikit-learn, torchmetrics,
and optax with jax, installed) to rewrite ``tests/fixtures/like.json``. For every case
it asks ``losscli.core.conventions.conventions()`` which frameworks have the loss with
the case's options, evaluates every Variant's ``call`` text as it is written (the names
are described in ``conventions.py``), and records what the framework returned, keyed
by the call text:

- ``values``: the number of every call that returns one;
- ``per_sample``: the (N,) array of a call that returns per-sample values;
- ``arrays``: any other array (PyTorch's elements, scikit-learn's per-output values);
- ``errors``: the framework refused these inputs (scikit-learn's log_loss on soft
  targets, for example): its exception, one line;
- ``float32``: the calls that compute in float32: every Keras call, since Keras's default call
  converts its inputs to floatx (float32) and computes there, with float32 constants. losscli's
  ``--like keras`` does the same; it is checked at the tolerance of Keras's own tests
  (``keras/src/testing/test_case.py``: assertAllClose, atol = rtol = 1e-6).

Every number is the framework's own: nothing here writes a loss formula. Keras is called as a
user calls it, with its default dtype (float32), on float64 inputs. NaN and infinities
(the frameworks' own, where a NumPy formula or optax meets a zero) are written as
JSON's ``NaN`` / ``Infinity``, which Python's json module reads.
"""

from __future__ import annotations

import json
import os
import sys
import warnings
from pathlib import Path

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "torch")  # before anything imports keras
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from losscli.core.conventions import FRAMEWORKS, conventions  # noqa: E402
from losscli.core.registry import get_loss  # noqa: E402

FIXTURE = Path(__file__).parent / "fixtures" / "like.json"
KERAS_TOLERANCE = 1e-6  # atol and rtol of Keras's own assertAllClose


# --- the cases ---------------------------------------------------------------------------------


def cases() -> list[dict]:  # noqa: PLR0915 - one line per case is the point
    rng = np.random.default_rng(20261201)

    def normal(*shape, scale=2.0):
        return np.round(rng.normal(0.0, scale, shape), 6)

    def uniform(lo, hi, *shape):
        return np.round(rng.uniform(lo, hi, shape), 6)

    def simplex(n, c):
        x = rng.uniform(0.05, 1.0, (n, c))
        return np.round(x / x.sum(axis=1, keepdims=True), 6)

    def one_hot(labels, c):
        return np.eye(c)[labels]

    def weights(n):
        return np.round(rng.uniform(0.1, 2.0, n), 4)

    out: list[dict] = []

    def add(loss, preds, targets, w=None, **options):
        case = {
            "loss": loss,
            "options": {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in options.items()},
            "preds": np.asarray(preds, float).tolist(),
            "targets": np.asarray(targets, float).tolist(),
        }
        if w is not None:
            case["weights"] = np.asarray(w, float).tolist()
        out.append(case)

    # regression
    for loss in ("mse", "mae", "rmse", "huber", "log_cosh", "mape", "smape", "pinball"):
        add(loss, normal(6, 4), normal(6, 4))
        add(loss, normal(7), normal(7))
        add(loss, normal(6, 3), normal(6, 3), w=weights(6))
    add("l2", normal(6, 4), normal(6, 4))
    add("huber", normal(6, 4), normal(6, 4), delta=0.5)
    add("huber", normal(6, 3), normal(6, 3), w=weights(6), delta=3.0)
    for beta in (1.0, 0.5, 0.0):
        add("smooth_l1", normal(6, 4), normal(6, 4), beta=beta)
    add("log_cosh", normal(5, 3, scale=0.05), np.zeros((5, 3)))  # small errors: Keras's float32 log 2 shows
    add("log_cosh", [[0.01, -0.05, 30.0, -800.0], [1.5, -2.0, 12.0, 0.3]], np.zeros((2, 4)))  # cosh overflows
    add("mape", normal(6, 3), normal(6, 3), fraction=True)
    add("mape", normal(3, 2), [[0.0, 1e-9], [2.0, -3.0], [1e-7, 0.5]])  # the floors
    add("mape", normal(3, 2), [[0.0, 1e-9], [2.0, -3.0], [1e-7, 0.5]], fraction=True)
    add("smape", [[0.0, 1.0, -2.0], [0.0, 1e-7, 3.0]], [[0.0, 0.0, 2.0], [1e-7, 0.0, -3.0]])  # 0/0 and the floor
    add("wmape", normal(6, 4), normal(6, 4))
    add("wmape", normal(7), normal(7))
    add("wmape", [[0.5, -1.0], [2.0, 0.0]], np.zeros((2, 2)))  # sum |t| = 0: the floor
    add("msle", uniform(0, 5, 6, 4), uniform(0, 5, 6, 4))
    add("msle", [[0.0, 1e-9, 2.5, 1e-8], [10.0, 0.0, 0.5, 3.0]], [[0.0, 0.0, 3.0, 1e-6], [9.0, 1e-9, 0.0, 3.0]])
    add("msle", uniform(0, 5, 6, 3), uniform(0, 5, 6, 3), w=weights(6))
    add("rmsle", uniform(0, 5, 6, 3), uniform(0, 5, 6, 3))
    add("rmsle", uniform(0, 5, 6, 3), uniform(0, 5, 6, 3), per_output_root=True)
    add("rmse", normal(6, 3), normal(6, 3), per_output_root=True)
    add("pinball", normal(6, 3), normal(6, 3), quantile=0.9)
    add("pinball", normal(7), normal(7), w=weights(7), quantile=0.2)
    add("poisson", uniform(0.1, 5, 6, 4), rng.integers(0, 6, (6, 4)))
    add("poisson", [[0.0, 0.0, 0.5], [2.0, 7.5, 1e-9]], [[0.0, 1.0, 3.0], [0.0, 7.0, 2.0]])  # p = 0: the epsilons
    add("poisson", uniform(0.1, 5, 6, 3), rng.integers(0, 6, (6, 3)), w=weights(6))
    add("poisson_nll", normal(6, 4, scale=1.0), rng.integers(0, 6, (6, 4)))
    add("poisson_nll", uniform(0.0, 5, 6, 4), rng.integers(0, 6, (6, 4)), log_input=False)
    add("poisson_nll", uniform(0.0, 5, 6, 4), rng.integers(0, 6, (6, 4)), log_input=False, full=True, eps=1e-6)
    add("poisson_nll", uniform(0.0, 5, 6, 3), rng.integers(0, 6, (6, 3)), w=weights(6), log_input=False)
    add("poisson_deviance", uniform(0.1, 5, 7), rng.integers(0, 6, 7))
    add("poisson_deviance", uniform(0.1, 5, 6, 3), rng.integers(0, 6, (6, 3)))
    add("poisson_deviance", uniform(0.1, 5, 7), rng.integers(0, 6, 7), w=weights(7))
    add("gamma_deviance", uniform(0.1, 5, 7), uniform(0.1, 5, 7))
    add("tweedie_deviance", uniform(0.1, 5, 7), uniform(0.1, 5, 7), power=1.5)
    add("tweedie_deviance", uniform(0.1, 5, 7), uniform(0.1, 5, 7), w=weights(7), power=3.0)
    add("tweedie_deviance", uniform(0.1, 5, 6, 2), uniform(0.1, 5, 6, 2), power=0.0)
    add("gaussian_nll", normal(6, 4), normal(6, 4), var=uniform(0.1, 3, 6, 4))
    add("gaussian_nll", normal(6, 2), normal(6, 2), var=uniform(0.1, 3, 6, 1), full=True)

    # binary
    hard1 = rng.integers(0, 2, 8)
    add("bce", uniform(0.01, 0.99, 6, 4), rng.integers(0, 2, (6, 4)))
    add("bce", uniform(0.01, 0.99, 8), hard1)  # one column, hard labels: scikit-learn's log_loss
    add("bce", [0.0, 1.0, 0.0, 1.0, 1e-50, 1e-10, 0.5, 1 - 1e-12], [0, 1, 1, 0, 1, 0, 1, 1])  # every clip and floor
    add("bce", uniform(0.01, 0.99, 5, 3), uniform(0, 1, 5, 3))  # soft targets
    add("bce", uniform(0.01, 0.99, 6), rng.uniform(0, 1, 6))  # soft targets, one column: scikit-learn refuses
    add("bce", [0.0, 1.0, 0.3, 1.0, 0.9, 0.0], [0, 1, 1, 0, 1, 0], label_smoothing=0.1)  # the case
    add("bce", uniform(0.01, 0.99, 6, 4), rng.integers(0, 2, (6, 4)), label_smoothing=0.2)
    add("bce", uniform(0.01, 0.99, 8), hard1, w=weights(8))
    add("bce", uniform(0.01, 0.99, 6, 3), rng.integers(0, 2, (6, 3)), w=weights(6))
    add("bce", normal(6, 4, scale=5.0), rng.integers(0, 2, (6, 4)), from_logits=True)
    add("bce", [-100.0, 100.0, 0.0, 800.0, -800.0, 3.0], [1.0, 0.0, 0.5, 1.0, 0.0, 1.0], from_logits=True)
    add("bce", normal(6, 3, scale=3.0), rng.integers(0, 2, (6, 3)), from_logits=True, pos_weight=[0.5, 2.0, 3.0])
    add("bce", normal(6, 3, scale=3.0), rng.integers(0, 2, (6, 3)), from_logits=True, label_smoothing=0.1)
    add("bce", normal(6, 3, scale=3.0), rng.integers(0, 2, (6, 3)), w=weights(6), from_logits=True)
    add("focal", uniform(0.01, 0.99, 6, 4), rng.integers(0, 2, (6, 4)))
    add("focal", [0.0, 1.0, 0.3, 0.999, 1.0], [1.0, 0.0, 0.0, 1.0, 1.0], gamma=0.0)  # the clip
    add("focal", normal(6, 4, scale=3.0), rng.integers(0, 2, (6, 4)), from_logits=True, gamma=1.5, alpha=0.3)
    add("focal", [[-100.0, 100.0, 2.0], [20.0, -20.0, 0.5]], [[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]], from_logits=True)
    add("focal", normal(6, 4, scale=3.0), rng.integers(0, 2, (6, 4)), from_logits=True, label_smoothing=0.1)
    add("focal", uniform(0.01, 0.99, 6, 3), rng.integers(0, 2, (6, 3)), w=weights(6), alpha=0.25)
    for loss in ("hinge", "squared_hinge"):
        add(loss, normal(6, 3, scale=1.0), rng.integers(0, 2, (6, 3)))  # {0, 1}: Keras takes them as -1, 1
        add(loss, normal(7, scale=1.0), rng.choice([-1.0, 1.0], 7))
        add(loss, normal(7, scale=1.0), rng.integers(0, 2, 7), w=weights(7))
    add("hinge", normal(5, scale=1.0), np.ones(5))  # one class present: scikit-learn makes every target -1
    add("soft_margin", normal(6, 3), rng.choice([-1.0, 1.0], (6, 3)))
    add("hinge_embedding", normal(6, 3), rng.choice([-1.0, 1.0], (6, 3)), margin=2.5)
    add("multilabel_soft_margin", normal(6, 4), rng.integers(0, 2, (6, 4)))

    # categorical
    labels6 = rng.integers(0, 4, 6)
    labels8 = rng.integers(0, 4, 8)
    forest = np.array(  # a random forest's predict_proba: exact zeros, some on the true class
        [[0.7, 0.3, 0.0], [0.0, 0.4, 0.6], [0.1, 0.0, 0.9], [0.5, 0.5, 0.0], [0.0, 1.0, 0.0], [0.2, 0.8, 0.0]]
    )
    forest_labels = np.array([0, 1, 1, 2, 1, 0])
    add("cce", simplex(6, 4), one_hot(labels6, 4))
    add("cce", forest, one_hot(forest_labels, 3))
    add("cce", [[0.0, 0.2, 0.8], [2.0, 1.0, 1.0], [1.0, 0.0, 0.0]], np.eye(3), eps=1e-3)  # unnormalised
    add("cce", simplex(5, 3), simplex(5, 3), label_smoothing=0.1)  # soft targets
    add("cce", normal(6, 4), one_hot(labels6, 4), from_logits=True)
    add("cce", normal(5, 3, scale=5.0), simplex(5, 3), from_logits=True, label_smoothing=0.2)
    add("cce", simplex(6, 4), one_hot(labels6, 4), w=weights(6))
    add("sparse_cce", simplex(8, 4), labels8)
    add("sparse_cce", forest, forest_labels)  # the random forest
    add("sparse_cce", normal(8, 4), labels8, from_logits=True)
    add("sparse_cce", normal(8, 4), labels8, from_logits=True, label_smoothing=0.15)
    add("sparse_cce", normal(8, 4), labels8, from_logits=True, class_weights=[1.0, 2.0, 0.5, 3.0])
    ignored = np.where(np.arange(8) % 3 == 0, -100, labels8)
    add("sparse_cce", normal(8, 4), ignored, from_logits=True, ignore_index=-100)
    add(
        "sparse_cce",
        normal(8, 4),
        np.where(np.arange(8) % 3 == 0, 2, labels8),
        from_logits=True,
        ignore_index=2,
        class_weights=[1.0, 2.0, 0.5, 3.0],
        label_smoothing=0.1,
    )
    add("sparse_cce", simplex(8, 4), np.where(np.arange(8) % 4 == 1, 3, labels8), ignore_index=3)
    add("sparse_cce", simplex(8, 4), labels8, w=weights(8))
    add("sparse_cce", normal(8, 4), ignored, w=weights(8), from_logits=True, ignore_index=-100)
    log_q = np.log(simplex(8, 4))
    add("nll", log_q, labels8)
    add("nll", log_q, np.where(np.arange(8) % 3 == 0, -1, labels8), ignore_index=-1, class_weights=[2.0, 1.0, 1.0, 0.5])
    add("kld", simplex(6, 4), simplex(6, 4))
    add(
        "kld",
        [[0.5, 0.5, 0.0], [0.2, 0.0, 0.8], [0.1, 0.3, 0.6]],
        [[0.0, 0.5, 0.5], [0.25, 0.0, 0.75], [0.2, 0.2, 0.6]],
    )
    add("kld", 2 * simplex(4, 3), simplex(4, 3))  # unnormalised predictions: torchmetrics renormalises
    add("kld", np.log(simplex(6, 4)), simplex(6, 4), log_input=True)
    add("kld", np.log(simplex(6, 4)), np.log(simplex(6, 4)), log_input=True, log_target=True)
    add("kld", np.log(simplex(2, 3)), [[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]], log_input=True)  # t = 0
    add("kld", simplex(6, 4), simplex(6, 4), w=weights(6))
    add("js", simplex(6, 4), simplex(6, 4))
    add("js", uniform(0.1, 3, 4, 3), [[0.0, 1.0, 1.0], [1.0, 1.0, 1.0], [2.0, 0.0, 0.0], [1.0, 2.0, 3.0]])
    add("categorical_focal", simplex(6, 4), one_hot(labels6, 4))
    add("categorical_focal", [[1.0, 0.0, 0.0], [0.0, 0.3, 0.7], [0.5, 0.5, 0.0]], np.eye(3))  # the clip bounds
    add(
        "categorical_focal",
        normal(6, 4),
        one_hot(labels6, 4),
        from_logits=True,
        gamma=1.0,
        alpha=0.5,
        label_smoothing=0.1,
    )
    add("categorical_focal", simplex(6, 4), one_hot(labels6, 4), w=weights(6))
    add("multi_margin", normal(8, 4), labels8)
    add("multi_margin", normal(8, 4), labels8, p=2, margin=0.5)
    add("brier", uniform(0, 1, 8), rng.integers(0, 2, 8))
    add("brier", simplex(8, 4), labels8)
    add("brier", simplex(8, 4), one_hot(labels8, 4))
    add("brier", simplex(6, 2), rng.integers(0, 2, 6))  # two columns: scikit-learn halves
    add("brier", simplex(6, 3), rng.integers(0, 3, 6), w=weights(6))
    add("brier", uniform(0, 1, 7), rng.integers(0, 2, 7), w=weights(7))
    scores = normal(6, 4)
    scores[0] = [1.5, -0.5, -1.0, -2.0]  # every wrong score negative: Keras's max includes 0
    scores[1] = [-0.5, -1.0, -0.2, -3.0]
    add("categorical_hinge", scores, one_hot(np.array([0, 0, *labels6[2:]]), 4))
    add("categorical_hinge", normal(6, 2), one_hot(rng.integers(0, 2, 6), 2))
    add("categorical_hinge", normal(6, 3), one_hot(rng.integers(0, 3, 6), 3), w=weights(6))
    add("cosine_similarity", normal(6, 4), normal(6, 4))
    add("cosine_similarity", [[0.0, 0.0, 0.0], [1.0, 2.0, 3.0]], [[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])  # zero vectors
    add("cosine_similarity", normal(6, 4), normal(6, 4), w=weights(6))
    add("cosine_distance", normal(6, 4), normal(6, 4))
    add("cosine_distance", [[1e-4, 2e-4, -1e-4], [0.0, 0.0, 0.0]], [[3e-4, 1e-4, 1e-4], [1.0, 2.0, 3.0]])  # tiny, zero
    # issue 17: torchmetrics' hinges, class labels for the hinges, cosine similarity's sign, brier's labels,
    # class weights of probability targets and of MultiMarginLoss, masked logits
    add("hinge", uniform(0, 1, 6, 3), rng.integers(0, 2, (6, 3)))  # probabilities: every framework
    add("squared_hinge", uniform(0, 1, 7), rng.integers(0, 2, 7))
    add("hinge", normal(6, 3), rng.integers(0, 2, (6, 3)), from_logits=True)  # torchmetrics' sigmoid
    add("hinge", uniform(0, 1, 6, 4), rng.integers(0, 4, 6))  # class labels: one-vs-all
    add("squared_hinge", normal(6, 4), rng.integers(0, 4, 6), from_logits=True)
    add("categorical_hinge", normal(6, 4), rng.integers(0, 4, 6))  # class labels: Crammer-Singer
    add("categorical_hinge", uniform(0, 1, 6, 3), rng.integers(0, 3, 6))
    add("categorical_hinge", normal(6, 3), rng.integers(0, 3, 6), from_logits=True)
    add("cosine_similarity", uniform(0.1, 1, 6, 4), normal(6, 4))
    add("brier", uniform(0, 1, 7), rng.choice([1.0, 2.0], 7))  # two labels other than 0/1: the greater
    add("brier", uniform(0, 1, 7), rng.choice([-1.0, 1.0], 7))
    add("brier", uniform(0, 1, 7), rng.choice([3.0, 5.0], 7), pos_label=3.0)
    add("brier", uniform(0, 1, 7), rng.integers(0, 2, 7), scale_by_half=False)
    add("brier", simplex(6, 3), rng.integers(0, 3, 6), scale_by_half=True)
    add("cce", simplex(6, 4), simplex(6, 4), from_logits=True, class_weights=[1.0, 2.0, 0.5, 3.0])
    add("multi_margin", normal(8, 4), labels8, class_weights=[1.0, 2.0, 0.5, 3.0])
    add("multilabel_soft_margin", normal(6, 4), rng.integers(0, 2, (6, 4)), class_weights=[1.0, 2.0, 0.5, 3.0])
    add("sparse_cce", simplex(8, 4), labels8, class_weights=[1.0, 2.0, 0.5, 3.0])  # Keras's fit(class_weight)
    masked = normal(5, 4)
    masked[0, 1] = masked[2, 3] = masked[3, 0] = -np.inf
    add("cce", masked, one_hot(np.array([0, 1, 2, 0, 3]), 4), from_logits=True)  # -inf on the target: inf
    add("cce", masked, one_hot(np.array([0, 2, 2, 1, 3]), 4), from_logits=True)
    add("sparse_cce", masked, np.array([0, 2, 2, 1, 3]), from_logits=True)
    for loss in ("mse", "rmse", "mae", "mape", "pinball"):  # scikit-learn's multioutput=[w1, ..., wC]
        add(loss, normal(6, 3), normal(6, 3), output_weights=[0.2, 0.5, 1.3])
    add("rmse", normal(6, 3), normal(6, 3), w=weights(6), output_weights=[0.0, 0.5, 1.3], per_output_root=True)
    add("msle", uniform(0, 5, 6, 3), uniform(0, 5, 6, 3), output_weights=[0.3, 0.7, 0.0])
    add("rmsle", uniform(0, 5, 6, 3), uniform(0, 5, 6, 3), output_weights=[0.3, 0.7, 1.0], per_output_root=True)
    add("dice", uniform(0, 1, 6, 5), rng.integers(0, 2, (6, 5)))
    add("dice", uniform(0, 1, 6, 5), rng.integers(0, 2, (6, 5)), w=weights(6))
    add("tversky", uniform(0, 1, 6, 5), rng.integers(0, 2, (6, 5)), alpha=0.3, beta=0.7)

    # issue 24 (after every case above, so that their inputs stay as they were)
    signs = rng.choice([-1.0, 1.0], (6, 3))
    add("perceptron", normal(6, 3), signs)
    add("perceptron", normal(6, 3), signs, w=weights(6))
    add("sparsemax", normal(6, 3, scale=1.0), rng.integers(0, 2, (6, 3)))
    relevant = rng.integers(0, 2, (7, 4))
    relevant[0], relevant[1] = 0, 1
    add("hamming_loss", rng.integers(0, 2, (7, 4)), relevant)
    add("hamming_loss", rng.integers(0, 3, 8), rng.integers(0, 3, 8), w=weights(8))
    add("zero_one_loss", np.where(rng.random((7, 4)) < 0.2, 1 - relevant, relevant), relevant)
    add("zero_one_loss", rng.integers(0, 3, 8), rng.integers(0, 3, 8), w=weights(8))
    labels6 = rng.integers(0, 4, 6)
    add("poly_loss", normal(6, 4), labels6)
    add("poly_loss", normal(6, 4), simplex(6, 4), epsilon=1.0)
    add("generalized_kld", normal(6, 4, scale=0.5), uniform(0, 2, 6, 4))
    add("generalized_cross_entropy", simplex(6, 4), labels6)
    add("generalized_cross_entropy", simplex(6, 4), labels6, w=weights(6), q=0.7)
    add("generalized_cross_entropy", simplex(6, 4), one_hot(labels6, 4))
    for loss in ("multiclass_perceptron", "multiclass_sparsemax"):
        add(loss, normal(6, 4), labels6)
        add(loss, normal(6, 4), one_hot(labels6, 4))
    add("squared_categorical_hinge", simplex(6, 4), labels6)
    add("squared_categorical_hinge", normal(6, 4), one_hot(labels6, 4), from_logits=True)
    lists = np.array([[3, 0, -1, 1], [1, -1, 0, 0], [0, 1, 2, 3], [-1, 0, 0, 0], [2, -1, 3, 3], [0, 3, -1, -1]])
    add("multilabel_margin", normal(6, 4), lists)
    for loss in ("label_ranking_loss", "coverage_error"):
        add(loss, normal(7, 4), relevant)
        add(loss, np.round(normal(7, 4, scale=1.0)), relevant, w=weights(7))  # tied scores
    add("soft_dice", normal(6, 4), one_hot(labels6, 4))
    add("soft_dice", normal(6, 4), one_hot(labels6, 4), smooth=0.5, alpha=0.2, beta=0.8)
    add("soft_dice", simplex(6, 4), one_hot(labels6, 4), from_logits=False)
    add("soft_dice", normal(6, 1), relevant[:6, :1])
    add("binary_dice", normal(7, 4), relevant)
    add("binary_dice", normal(7, 1), relevant[:, :1], smooth=0.25)
    add("max_error", normal(8, 1), normal(8, 1))
    add("median_absolute_error", normal(8, 3), normal(8, 3))
    add("median_absolute_error", normal(7, 1), normal(7, 1))
    add("minkowski", normal(6, 3), normal(6, 3))
    add("minkowski", normal(6, 3), normal(6, 3), p=3.0)
    outcomes = (rng.random((30, 1)) < 0.5) * 1.0
    add("calibration_error", rng.uniform(0, 1, (30, 1)), outcomes)
    add("calibration_error", rng.uniform(0, 1, (30, 1)), outcomes, bins=5, norm="max")
    add("calibration_error", normal(30, 1), outcomes, bins=8, norm="l2", from_logits=True)
    return out


# --- running the calls --------------------------------------------------------------------------


def _as2d(a) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    return a.reshape(len(a), -1)


def _frameworks() -> dict:
    try:
        import jax
        import optax  # noqa: F401
    except ImportError as error:
        raise RuntimeError(f"{error}: the optax rows need optax and jax (pip install optax)") from None

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import keras
    import optax
    import sklearn
    import sklearn.metrics
    import torch
    import torchmetrics
    import torchmetrics.functional

    if keras.backend.backend() != "torch":
        raise RuntimeError(f"Keras runs on {keras.backend.backend()}; set KERAS_BACKEND=torch")
    return {
        "torch": torch,
        "keras": keras,
        "sklearn": sklearn,
        "torchmetrics": torchmetrics,
        "optax": optax,
        "jax": jax,
        "jnp": jnp,
    }


def versions(fw: dict) -> str:
    return ", ".join(
        f"{name} {fw[name].__version__}" for name in ("torch", "keras", "sklearn", "torchmetrics", "optax", "jax")
    )


def _inputs(case: dict, spec, n_outputs: int) -> tuple[dict, bool]:
    """NumPy arrays of the names the calls use, and whether the targets are class labels."""
    p = _as2d(case["preds"])
    raw_t = np.asarray(case["targets"], dtype=np.float64)
    labels = spec.targets == "labels" or (
        spec.targets == "labels_or_same" and raw_t.reshape(len(raw_t), -1).shape[1] == 1 < n_outputs
    )
    arrays = {"p": p}
    if labels:
        arrays["y"] = raw_t.reshape(-1).astype(np.int64)
    else:
        arrays["t"] = _as2d(raw_t)
    if "weights" in case:
        arrays["w"] = np.asarray(case["weights"], dtype=np.float64)
    o = case["options"]
    if o.get("class_weights") is not None:
        arrays["cw"] = np.asarray(o["class_weights"], dtype=np.float64)
    if o.get("output_weights") is not None:
        arrays["ow"] = np.asarray(o["output_weights"], dtype=np.float64)
    if o.get("pos_weight") is not None:
        arrays["pw"] = np.asarray(o["pos_weight"], dtype=np.float64)
    if o.get("var") is not None:
        arrays["var"] = np.broadcast_to(np.asarray(o["var"], dtype=np.float64), p.shape).copy()
    return arrays, labels


def _namespace(framework: str, arrays: dict, fw: dict) -> dict:
    if framework in ("sklearn", "numpy"):
        ns = dict(arrays)
    elif framework == "optax":
        jnp = fw["jnp"]
        ns = {k: jnp.asarray(v) for k, v in arrays.items()}
    else:
        torch = fw["torch"]
        ns = {k: torch.tensor(v) for k, v in arrays.items()}
    ns["np"] = np
    ns["len"] = len
    if framework == "torch":
        ns["torch"] = fw["torch"]
    elif framework == "keras":
        ns["keras"] = fw["keras"]
    elif framework == "sklearn":
        ns["sklearn"] = fw["sklearn"]
    elif framework == "optax":
        ns["optax"] = fw["optax"]
    elif framework == "torchmetrics":
        ns["torchmetrics"] = fw["torchmetrics"]
    return ns


def _evaluate(call: str, ns: dict):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        result = eval(call, {"__builtins__": {}}, ns)  # noqa: S307 - the call texts of conventions.py
    return np.asarray(result, dtype=np.float64)


def _json_value(array: np.ndarray):
    return float(array) if array.ndim == 0 else array.tolist()


def run_case(case: dict, fw: dict) -> dict:
    spec = get_loss(case["loss"])
    p = _as2d(case["preds"])
    n_outputs = p.shape[1]
    arrays, labels = _inputs(case, spec, n_outputs)
    options = spec.resolve_options(case["options"])
    found = conventions(case["loss"], options, weighted="weights" in case, n_outputs=n_outputs, labels=labels)
    entry = {**case, "labels": labels, "frameworks": [c.framework for c in found]}
    values, per_sample, other, errors, float32 = {}, {}, {}, {}, []
    for convention in found:
        for variant in convention.variants:
            # fresh inputs for every call: Keras multiplies a sample_weight tensor in place by its mask
            # weights (ignore_class), which would change the weights of the next call
            try:
                result = _evaluate(variant.call, _namespace(convention.framework, arrays, fw))
            except ValueError as error:  # the framework refuses these inputs: recorded, not hidden
                errors[variant.call] = f"{type(error).__name__}: {str(error).splitlines()[0]}"
                continue
            if variant.reduce is not None:
                if result.ndim != 0:
                    raise AssertionError(f"{variant.call} gave shape {result.shape}, not one number")
                values[variant.call] = float(result)
            elif result.shape == (len(p),):
                per_sample[variant.call] = result.tolist()
            else:
                other[variant.call] = result.tolist()
            if convention.dtype == "float32":
                float32.append(variant.call)
    entry.update(values=values, per_sample=per_sample, arrays=other, errors=errors, float32=float32)
    entry["versions"] = versions(fw)
    return entry


def build() -> list[dict]:
    fw = _frameworks()
    return [run_case(case, fw) for case in cases()]


def main() -> int:
    built = build()
    FIXTURE.parent.mkdir(exist_ok=True)
    FIXTURE.write_text("[\n" + ",\n".join(json.dumps(case) for case in built) + "\n]\n")
    calls = sum(len(c["values"]) + len(c["per_sample"]) + len(c["arrays"]) for c in built)
    covered = {fw: sum(fw in c["frameworks"] for c in built) for fw in FRAMEWORKS}
    print(
        f"wrote {FIXTURE}: {len(built)} cases, {calls} framework results; cases per framework {covered}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
