"""The losses: small pure NumPy functions giving the terms a reduction sums.

Each function takes predictions ``p`` and targets ``t`` as float64 arrays of shape
(N samples, C outputs) and returns the element terms ``l[i, j]`` of that shape, with
no mean taken: reductions live in ``reduce.py``. A few losses exist only per sample
(a max or a normalisation over the outputs); they return shape (N,). Targets that the
user gives as class labels reach these functions one-hot encoded.

Each docstring gives the formula, the domain, and the framework call it matches;
``registry.py`` names them and declares their options and domains.
"""

from __future__ import annotations

import math

import numpy as np

from .constants import KERAS_EPSILON, KERAS_LOG2_F32, SKLEARN_EPS, TORCH_LOG_FLOOR, TORCHMETRICS_EPS

# --- helpers ----------------------------------------------------------------------------


def _softplus(x: np.ndarray) -> np.ndarray:
    """log(1 + exp(x)) without overflow."""
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _log_softmax(x: np.ndarray) -> np.ndarray:
    z = x - x.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def _xlogy(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """x log y, and 0 where x == 0 (the convention of scipy, torch and sklearn)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x == 0, 0.0, x * np.log(np.where(x == 0, 1.0, y)))


def smooth_categorical(target: np.ndarray, label_smoothing: float) -> np.ndarray:
    """``t (1 - a) + a / C``: label smoothing for categorical losses (PyTorch and Keras)."""
    if not label_smoothing:
        return target
    return target * (1.0 - label_smoothing) + label_smoothing / target.shape[1]


def smooth_binary(target: np.ndarray, label_smoothing: float) -> np.ndarray:
    """``t (1 - a) + a / 2``: Keras's label smoothing for binary losses."""
    if not label_smoothing:
        return target
    return target * (1.0 - label_smoothing) + 0.5 * label_smoothing


# --- regression ---------------------------------------------------------------------------


def squared_error(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``(p - t)^2`` for any real p, t. Matches ``torch.nn.MSELoss(reduction="none")``."""
    d = pred - target
    np.multiply(d, d, out=d)
    return d


def half_squared_error(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``0.5 (p - t)^2`` for any real p, t. Matches ``optax.l2_loss``
    (= 0.5 x ``torch.nn.MSELoss(reduction="none")``)."""
    d = squared_error(pred, target)
    d *= 0.5
    return d


def absolute_error(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``|p - t|`` for any real p, t. Matches ``torch.nn.L1Loss(reduction="none")``."""
    d = pred - target
    np.abs(d, out=d)
    return d


def huber(pred: np.ndarray, target: np.ndarray, delta: float = 1.0) -> np.ndarray:
    """``0.5 d^2`` where ``|d| <= delta``, else ``delta (|d| - 0.5 delta)``; delta > 0.

    Matches ``torch.nn.HuberLoss(delta=delta)`` and ``keras.losses.Huber(delta)``.
    """
    z = np.abs(pred - target)
    return np.where(z < delta, 0.5 * z * z, delta * (z - 0.5 * delta))


def smooth_l1(pred: np.ndarray, target: np.ndarray, beta: float = 1.0) -> np.ndarray:
    """``0.5 d^2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta``; beta >= 0.

    With beta = 0 it is ``|d|``. Matches ``torch.nn.SmoothL1Loss(beta=beta)``; it is
    Huber divided by beta.
    """
    z = np.abs(pred - target)
    if beta == 0:
        return z
    return np.where(z < beta, 0.5 * z * z / beta, z - 0.5 * beta)


def log_cosh(pred: np.ndarray, target: np.ndarray, form: str = "stable") -> np.ndarray:
    """``log(cosh(d))`` for any real p, t. Matches ``keras.losses.LogCosh``.

    cosh overflows for |d| > 710, so large errors use ``|d| + log1p(exp(-2|d|)) - log 2``;
    small ones use ``log1p(2 sinh(d/2)^2)``, which keeps full relative precision
    where both ``log(cosh(d))`` and Keras's ``d + softplus(-2d) - log 2`` cancel.
    ``form`` computes it as a framework does instead, rounding and overflow included:
    ``keras`` (``d + softplus(-2 d) - log 2``, log 2 in float32), ``optax``
    (``logaddexp(d, -d) - log 2``), ``torchmetrics`` (``log((e^d + e^-d) / 2)``), ``numpy``.
    """
    d = pred - target
    if form == "keras":
        x = -2.0 * d
        softplus = np.where(x > 20.0, x, np.log1p(np.exp(np.minimum(x, 20.0))))  # torch's threshold
        return d + softplus - KERAS_LOG2_F32
    if form == "optax":
        return np.logaddexp(d, -d) - math.log(2.0)
    if form == "torchmetrics":
        return np.log((np.exp(d) + np.exp(-d)) / 2.0)
    if form == "numpy":
        return np.log(np.cosh(d))
    z = np.abs(d)
    small = z <= 1.0
    out = z + np.log1p(np.exp(-2.0 * z)) - math.log(2.0)
    half_sinh = np.sinh(0.5 * z[small])
    out[small] = np.log1p(2.0 * half_sinh * half_sinh)
    return out


def absolute_percentage_error(
    pred: np.ndarray, target: np.ndarray, fraction: bool = False, eps: float | None = None
) -> np.ndarray:
    """``100 |t - p| / max(|t|, eps)`` in percent, eps = 1e-7. Matches
    ``keras.losses.MeanAbsolutePercentageError``.

    With ``fraction``, ``|t - p| / max(|t|, eps)`` with eps = float64 epsilon: scikit-learn's
    ``mean_absolute_percentage_error`` (a fraction); torchmetrics floors at 1.17e-6.
    """
    if eps is None:
        eps = SKLEARN_EPS if fraction else KERAS_EPSILON
    scale = 1.0 if fraction else 100.0
    return scale * np.abs((target - pred) / np.maximum(np.abs(target), eps))


def symmetric_percentage_error(pred: np.ndarray, target: np.ndarray, eps: float = TORCHMETRICS_EPS) -> np.ndarray:
    """``2 |p - t| / max(|t| + |p|, eps)``, a fraction in [0, 2], eps = 1.17e-6. Matches
    ``torchmetrics.SymmetricMeanAbsolutePercentageError``."""
    return 2.0 * np.abs(pred - target) / np.maximum(np.abs(target) + np.abs(pred), eps)


def squared_log_error(pred: np.ndarray, target: np.ndarray, eps: float = 0.0) -> np.ndarray:
    """``(log1p(p) - log1p(t))^2`` for p, t >= 0. Matches scikit-learn's
    ``mean_squared_log_error``; with ``eps`` (Keras: float32 1e-7) p and t are floored at
    eps first, as Keras's MSLE does.
    """
    if eps:
        pred, target = np.maximum(pred, eps), np.maximum(target, eps)
    d = np.log1p(pred) - np.log1p(target)
    np.multiply(d, d, out=d)
    return d


def pinball(pred: np.ndarray, target: np.ndarray, quantile: float = 0.5) -> np.ndarray:
    """``q (t - p)`` where ``t >= p``, else ``(1 - q)(p - t)``; q in [0, 1]. Matches
    scikit-learn's ``mean_pinball_loss(alpha=q)``."""
    diff = target - pred
    sign = (diff >= 0).astype(np.float64)
    return quantile * sign * diff - (1.0 - quantile) * (1.0 - sign) * diff


def poisson(pred: np.ndarray, target: np.ndarray, eps: float = KERAS_EPSILON) -> np.ndarray:
    """``p - t log(p + eps)`` for p, t >= 0 (p a rate), eps = 1e-7. Matches ``keras.losses.Poisson``
    (PyTorch's ``PoissonNLLLoss(log_input=False)`` has eps = 1e-8)."""
    return pred - target * np.log(pred + eps)


def poisson_nll(
    pred: np.ndarray, target: np.ndarray, log_input: bool = True, full: bool = False, eps: float = 1e-8
) -> np.ndarray:
    """``exp(p) - t p`` (p a log-rate), or without ``log_input`` ``p - t log(p + eps)``.

    ``full`` adds Stirling's term ``t log t - t + 0.5 log(2 pi t)`` where t > 1. Matches
    ``torch.nn.PoissonNLLLoss(log_input, full, eps)``.
    """
    loss = np.exp(pred) - target * pred if log_input else pred - target * np.log(pred + eps)
    if full:
        big = target > 1
        t = target[big]
        stirling = np.zeros_like(target)
        stirling[big] = t * np.log(t) - t + 0.5 * np.log(2.0 * math.pi * t)
        loss = loss + stirling
    return loss


def tweedie_deviance(pred: np.ndarray, target: np.ndarray, power: float = 0.0) -> np.ndarray:
    """The unit Tweedie deviance of power k. Matches scikit-learn's ``mean_tweedie_deviance``.

    p = 0: ``(t - p)^2``; p = 1 (Poisson): ``2 (t log(t / p) - t + p)``; p = 2 (gamma):
    ``2 (log(p / t) + t / p - 1)``; otherwise ``2 (max(t, 0)^(2-k) / ((1-k)(2-k)) -
    t p^(1-k) / (1-k) + p^(2-k) / (2-k))`` for power k. Domains as scikit-learn's.
    """
    k = power
    if k == 0:
        return squared_error(pred, target)
    if k == 1:
        return 2.0 * (_xlogy(target, target / pred) - target + pred)
    if k == 2:
        return 2.0 * (np.log(pred / target) + target / pred - 1.0)
    positive_part = np.where(target > 0, target, 0.0) if k < 0 else target
    return 2.0 * (
        np.power(positive_part, 2 - k) / ((1 - k) * (2 - k))
        - target * np.power(pred, 1 - k) / (1 - k)
        + np.power(pred, 2 - k) / (2 - k)
    )


def poisson_deviance(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``2 (t log(t / p) - t + p)``, t >= 0, p > 0. Matches scikit-learn's ``mean_poisson_deviance``."""
    return tweedie_deviance(pred, target, power=1.0)


def gamma_deviance(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``2 (log(p / t) + t / p - 1)``, t, p > 0. Matches scikit-learn's ``mean_gamma_deviance``."""
    return tweedie_deviance(pred, target, power=2.0)


def gaussian_nll(
    pred: np.ndarray, target: np.ndarray, var: np.ndarray | float = 1.0, full: bool = False, eps: float = 1e-6
) -> np.ndarray:
    """``0.5 (log v + (p - t)^2 / v)`` with ``v = max(var, eps)``; ``full`` adds
    ``0.5 log(2 pi)``. var >= 0, of shape (N, C), (N, 1), (1, C) or one number.
    Matches ``torch.nn.GaussianNLLLoss(full, eps)``.
    """
    v = np.maximum(np.asarray(var, dtype=np.float64), eps)
    d = pred - target
    loss = 0.5 * (np.log(v) + d * d / v)
    if full:
        loss = loss + 0.5 * math.log(2.0 * math.pi)
    return np.broadcast_to(loss, pred.shape).copy() if loss.shape != pred.shape else loss


# --- binary classification ------------------------------------------------------------


def signed_labels(target: np.ndarray, label_map: str = "keras", positive: float | None = None) -> np.ndarray:
    """Targets as -1/1: ``keras`` turns targets all in {0, 1} into 2 t - 1 (else keeps them);
    ``sklearn`` (LabelBinarizer(neg_label=-1)) makes the greatest distinct value +1 and every
    other -1 (one distinct value: all -1); ``as_given`` keeps them.

    ``positive`` is scikit-learn's +1 label when the caller knows it from more targets than
    these (the engine, reading a block at a time); without it, these targets decide."""
    if label_map == "sklearn":
        if positive is not None:
            return np.where(target == positive, 1.0, -1.0)
        values = np.unique(target)
        return np.where(target == values[-1], 1.0, -1.0) if len(values) > 1 else -np.ones_like(target)
    if label_map == "keras" and np.all((target == 0) | (target == 1)):
        return 2.0 * target - 1.0
    return target


def hinge(
    pred: np.ndarray,
    target: np.ndarray,
    label_map: str = "keras",
    positive: float | None = None,
    from_logits: bool = False,
    logits_to: str = "sigmoid",
) -> np.ndarray:
    """``max(1 - t p, 0)`` with labels t in {-1, 1} (or all in {0, 1}, taken as -1, 1).
    Matches ``keras.losses.Hinge``; ``label_map`` and ``positive`` as :func:`signed_labels`. With
    class labels the targets are one-hot: each class's column against the rest (one-vs-all,
    torchmetrics' ``multiclass_hinge_loss(multiclass_mode="one-vs-all")``). ``from_logits`` turns
    the scores into probabilities first with a sigmoid (``logits_to`` "softmax": of each row, as
    torchmetrics' one-vs-all does), as torchmetrics does to scores outside [0, 1].
    """
    if from_logits:
        pred = np.exp(_log_softmax(pred)) if logits_to == "softmax" else _sigmoid(pred)
    return np.maximum(1.0 - signed_labels(target, label_map, positive) * pred, 0.0)


def squared_hinge(
    pred: np.ndarray,
    target: np.ndarray,
    label_map: str = "keras",
    positive: float | None = None,
    from_logits: bool = False,
    logits_to: str = "sigmoid",
) -> np.ndarray:
    """``max(1 - t p, 0)^2``, labels as for :func:`hinge`. Matches ``keras.losses.SquaredHinge``."""
    h = hinge(pred, target, label_map, positive, from_logits, logits_to)
    np.multiply(h, h, out=h)
    return h


def binary_cross_entropy(
    pred: np.ndarray,
    target: np.ndarray,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    pos_weight: np.ndarray | float | None = None,
    eps: float | None = None,
    log_floor: float | None = TORCH_LOG_FLOOR,
    log1p: bool = True,
) -> np.ndarray:
    """``-(t log p + (1 - t) log(1 - p))`` for p, t in [0, 1], each log floored at -100.

    Matches ``torch.nn.BCELoss``. With ``from_logits``, p is a logit x and the term is
    ``w t softplus(-x) + (1 - t) softplus(x)``, the overflow-free form of
    ``torch.nn.BCEWithLogitsLoss(pos_weight=w)`` (w = 1 without ``pos_weight``).
    ``label_smoothing`` a replaces t by ``t (1 - a) + a / 2``, and then p is clipped into
    [1e-7, 1 - 1e-7], as ``keras.losses.BinaryCrossentropy(label_smoothing=a)`` does.
    The constants where frameworks differ: ``eps`` the clip (default 0, or Keras's 1e-7 with
    label smoothing; scikit-learn's log_loss 2.2e-16); ``log_floor`` None for no floor (log 0
    = -inf, 0 x -inf = nan, as NumPy); ``log1p`` off computes log(1 - p) with 1 - p rounded
    (and clipped) first, as scikit-learn does.
    """
    t = smooth_binary(target, label_smoothing)
    if from_logits:
        weight = 1.0 if pos_weight is None else np.asarray(pos_weight, dtype=np.float64)
        return weight * t * _softplus(-pred) + (1.0 - t) * _softplus(pred)
    if eps is None:
        eps = KERAS_EPSILON if label_smoothing else 0.0
    c = np.clip(pred, eps, 1.0 - eps) if eps else pred
    with np.errstate(divide="ignore", invalid="ignore"):  # log(0) = -inf: floored, or as IEEE says
        log_p = np.log(c)
        log_not_p = np.log1p(-c) if log1p else np.log(np.clip(1.0 - pred, eps, 1.0 - eps) if eps else 1.0 - pred)
        if log_floor is not None:
            log_p, log_not_p = np.maximum(log_p, log_floor), np.maximum(log_not_p, log_floor)
        return -(t * log_p + (1.0 - t) * log_not_p)


def binary_focal_cross_entropy(
    pred: np.ndarray,
    target: np.ndarray,
    gamma: float = 2.0,
    alpha: float | None = None,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    eps: float = KERAS_EPSILON,
) -> np.ndarray:
    """``(1 - p_t)^gamma bce(t, clip(p, eps, 1 - eps))`` with ``p_t = t p + (1 - t)(1 - p)``,
    eps = 1e-7; with ``alpha``, times ``t alpha + (1 - t)(1 - alpha)``. p, t in [0, 1] (p a
    logit with ``from_logits``). Matches ``keras.losses.BinaryFocalCrossentropy`` (``alpha``
    given = ``apply_class_balancing=True``). With ``eps`` 0 and logits, everything is
    computed in log space, as ``optax.losses.sigmoid_focal_loss`` does.
    """
    t = smooth_binary(target, label_smoothing)
    if not eps and from_logits:
        return _focal_in_log_space(pred, t, gamma, alpha)
    p = _sigmoid(pred) if from_logits else pred
    clipped = np.clip(p, eps, 1.0 - eps) if eps else p
    with np.errstate(divide="ignore", invalid="ignore"):
        bce = -(t * np.log(clipped) + (1.0 - t) * np.log1p(-clipped))
    p_t = t * p + (1.0 - t) * (1.0 - p)
    loss = np.power(1.0 - p_t, gamma) * bce
    if alpha is not None:
        loss = (t * alpha + (1.0 - t) * (1.0 - alpha)) * loss
    return loss


def _focal_in_log_space(x: np.ndarray, t: np.ndarray, gamma: float, alpha: float | None) -> np.ndarray:
    """optax's sigmoid_focal_loss: ``bce = t softplus(-x) + (1 - t) softplus(x)`` and
    ``(1 - p_t)^gamma = exp(gamma log((1 - t) sigmoid(x) + t sigmoid(-x)))``, the log a logsumexp."""
    bce = t * _softplus(-x) + (1.0 - t) * _softplus(x)
    with np.errstate(divide="ignore"):
        log_one_minus_p_t = np.logaddexp(np.log(1.0 - t) - _softplus(-x), np.log(t) - _softplus(x))
    factor = 1.0 if gamma == 0 else np.exp(gamma * log_one_minus_p_t)
    loss = factor * bce
    if alpha is not None:
        loss = (t * alpha + (1.0 - t) * (1.0 - alpha)) * loss
    return loss


def soft_margin(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``log(1 + exp(-t p))``, t in {-1, 1}. Matches ``torch.nn.SoftMarginLoss``."""
    return _softplus(-target * pred)


def multilabel_soft_margin(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``-(t log sigmoid(p) + (1 - t) log sigmoid(-p))``, t in [0, 1]; PyTorch means it
    over the outputs, so ``--reduce all`` matches ``torch.nn.MultiLabelSoftMarginLoss``."""
    return target * _softplus(-pred) + (1.0 - target) * _softplus(pred)


def hinge_embedding(pred: np.ndarray, target: np.ndarray, margin: float = 1.0) -> np.ndarray:
    """``p`` where t = 1, ``max(0, margin - p)`` where t = -1. Matches
    ``torch.nn.HingeEmbeddingLoss(margin)``."""
    return np.where(target != 1, np.maximum(margin - pred, 0.0), 0.0) + np.where(target != -1, pred, 0.0)


# --- categorical and distributions ------------------------------------------------------


def _probabilities(pred: np.ndarray, eps: float, normalize: bool) -> np.ndarray:
    q = pred / pred.sum(axis=1, keepdims=True) if normalize else pred
    return np.clip(q, eps, 1.0 - eps) if eps else q


def categorical_cross_entropy(
    pred: np.ndarray,
    target: np.ndarray,
    from_logits: bool = False,
    eps: float = KERAS_EPSILON,
    label_smoothing: float = 0.0,
    normalize: bool = True,
    masked_logits: str = "zero",
) -> np.ndarray:
    """``-t log q``, summed over classes per sample.

    On probabilities, q is p renormalised per row and clipped into [eps, 1 - eps]; this
    matches ``keras.losses.CategoricalCrossentropy``. With ``from_logits``,
    ``q = softmax(p)`` computed as a stable log-softmax; this matches
    ``torch.nn.CrossEntropyLoss`` with probability targets. ``label_smoothing`` a
    replaces t by ``t (1 - a) + a / C`` (both frameworks). ``normalize`` off takes the rows
    as they are and ``eps`` 2.2e-16 clips as scikit-learn's ``log_loss`` does; ``eps`` 0 does
    not clip (log 0 = -inf, and 0 x -inf = nan where t = 0, as NumPy computes).

    A logit of -inf is a masked class: ``masked_logits`` "zero" counts 0 for it where t = 0 (optax's
    ``safe_softmax_cross_entropy``; -inf where t > 0), "nan" computes 0 x -inf = nan there, as
    PyTorch's, Keras's and optax's plain softmax cross-entropy do.
    """
    t = smooth_categorical(target, label_smoothing)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_q = _log_softmax(pred) if from_logits else np.log(_probabilities(pred, eps, normalize))
        if from_logits and masked_logits == "zero":
            return -_xlogy_terms(t, log_q)
        return -t * log_q


def sparse_categorical_cross_entropy(
    pred: np.ndarray,
    target: np.ndarray,
    from_logits: bool = False,
    eps: float = KERAS_EPSILON,
    label_smoothing: float = 0.0,
    normalize: bool = True,
) -> np.ndarray:
    """:func:`categorical_cross_entropy` of one-hot targets from class labels: ``-log q[y]``.
    Matches ``keras.losses.SparseCategoricalCrossentropy`` (with ``from_logits``,
    ``torch.nn.CrossEntropyLoss`` with class indices). A class with no target weight adds
    nothing, even where q = 0 (``-np.log(p[range(N), y])``)."""
    t = smooth_categorical(target, label_smoothing)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_q = _log_softmax(pred) if from_logits else np.log(_probabilities(pred, eps, normalize))
        return -_xlogy_terms(t, log_q)


def _xlogy_terms(t: np.ndarray, log_q: np.ndarray) -> np.ndarray:
    """t log q, and 0 where t = 0 (whatever log q is)."""
    return np.where(t == 0, 0.0, t * np.where(t == 0, 0.0, log_q))


def token_cross_entropy(pred: np.ndarray, target: np.ndarray, from_logits: bool = True) -> np.ndarray:
    """``-log q[y]`` per row, q = softmax(logits) by a stable log-sum-exp, or the probabilities as given
    (no clip, no renormalising). One term per row (N,), from one-hot targets. Matches the terms of
    ``torch.nn.CrossEntropyLoss(reduction="none")``; the exponential of their mean over the valid
    tokens is torchmetrics' text ``Perplexity`` (which takes logits)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        log_q = _log_softmax(pred) if from_logits else np.log(pred)
        return -_xlogy_terms(target, log_q).sum(axis=1)


def negative_log_likelihood(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``-t log q`` where the predictions are already log-probabilities ``log q`` and t is
    one-hot. Matches ``torch.nn.NLLLoss``."""
    return -target * pred


def categorical_focal_cross_entropy(
    pred: np.ndarray,
    target: np.ndarray,
    gamma: float = 2.0,
    alpha: float = 0.25,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    clip: tuple[float, float] = (KERAS_EPSILON, 1.0 - KERAS_EPSILON),
) -> np.ndarray:
    """``-alpha (1 - q)^gamma t log q``, q = p renormalised and clipped into ``clip`` (softmax
    first with ``from_logits``). Matches ``keras.losses.CategoricalFocalCrossentropy``, whose
    clip bounds are float32 1e-7 and 1 - 1e-7."""
    t = smooth_categorical(target, label_smoothing)
    p = np.exp(_log_softmax(pred)) if from_logits else pred
    q = np.clip(p / p.sum(axis=1, keepdims=True), clip[0], clip[1])
    return alpha * np.power(1.0 - q, gamma) * (-t * np.log(q))


def kl_divergence(
    pred: np.ndarray,
    target: np.ndarray,
    log_input: bool = False,
    log_target: bool = False,
    eps: float = KERAS_EPSILON,
    normalize: bool = False,
) -> np.ndarray:
    """``t log(t / p)``, summed over classes per sample.

    On probabilities both are clipped into [eps, 1] first, eps = 1e-7; this matches
    ``keras.losses.KLDivergence`` (whose bound is float32 1e-7). ``eps`` 0 does not clip
    and counts 0 where t = 0; with ``normalize`` both rows are divided by their sums first
    (torchmetrics ``kl_divergence``). With ``log_input`` the predictions are
    log-probabilities and the term is ``t (log t - p)`` (0 where t = 0), or
    ``exp(t) (t - p)`` with ``log_target``; this matches ``torch.nn.KLDivLoss``.
    """
    if log_input:
        if log_target:
            return np.exp(target) * (target - pred)
        return _xlogy(target, target) - target * pred
    if normalize:
        pred, target = pred / pred.sum(axis=1, keepdims=True), target / target.sum(axis=1, keepdims=True)
    if not eps:
        with np.errstate(divide="ignore", invalid="ignore"):
            return _xlogy(target, target / pred)
    t = np.clip(target, eps, 1.0)
    p = np.clip(pred, eps, 1.0)
    return t * np.log(t / p)


def jensen_shannon(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``0.5 (p log(p / m) + t log(t / m))`` with p, t renormalised per row and
    ``m = (p + t) / 2``; natural log. Matches ``torchmetrics.JensenShannonDivergence``."""
    p = pred / pred.sum(axis=1, keepdims=True)
    t = target / target.sum(axis=1, keepdims=True)
    m = 0.5 * (p + t)
    return 0.5 * _xlogy(p, p / m) + 0.5 * _xlogy(t, t / m)


def multi_margin(pred: np.ndarray, target: np.ndarray, p: int = 1, margin: float = 1.0) -> np.ndarray:
    """``max(0, margin - x_y + x_j)^p / C`` for every class j other than the label y
    (t one-hot). Matches ``torch.nn.MultiMarginLoss(p, margin)``."""
    x_y = (pred * target).sum(axis=1, keepdims=True)
    terms = np.maximum(margin - x_y + pred, 0.0) ** p / pred.shape[1]
    terms[target == 1] = 0.0
    return terms


def brier(
    pred: np.ndarray,
    target: np.ndarray,
    pos_label: float | None = None,
    scale_by_half: bool | None = None,
    label_map: str = "zero_one",
    positive: float | None = None,
) -> np.ndarray:
    """``(p - t)^2`` against one-hot (or 0/1) targets, summed over classes per sample.
    Matches scikit-learn's ``brier_score_loss`` (one probability column, or three or more; for
    two columns scikit-learn halves the sum, which ``--reduce all`` gives).

    One probability column of the positive class: ``pos_label`` is that class's label (the
    targets are 1 where they equal it, else 0); with ``label_map`` "sklearn_pos" and no ``pos_label``,
    scikit-learn's rule: labels within {-1, 0, 1} make 1 positive, any other two labels the
    greater (``positive``, known from more targets than these; a lone label is negative).
    ``scale_by_half`` as scikit-learn's: True halves the sum over the classes, False does not;
    one column stands for two classes, whose sum is 2 (p - t)^2. None (scikit-learn's "auto"):
    the terms as they are."""
    if pred.shape[1] == 1 and (pos_label is not None or label_map == "sklearn_pos"):
        target = (target == _positive_label(target, pos_label, positive)).astype(pred.dtype)
    terms = squared_error(pred, target)
    if scale_by_half is None:
        return terms
    factor = (1.0 if scale_by_half else 2.0) if pred.shape[1] == 1 else (0.5 if scale_by_half else 1.0)
    return terms if factor == 1.0 else terms * factor


def _positive_label(target: np.ndarray, pos_label: float | None, positive: float | None) -> float:
    if pos_label is not None:
        return pos_label
    values = np.unique(target)
    if np.isin(values, (-1.0, 0.0, 1.0)).all():
        return 1.0
    if positive is not None:
        return positive
    return values[-1] if len(values) > 1 else np.nan  # a lone label is the negative class


# --- per-sample only: shape (N,) ---------------------------------------------------------


def categorical_hinge(
    pred: np.ndarray, target: np.ndarray, exclude_true: bool = False, from_logits: bool = False
) -> np.ndarray:
    """``max(max_j (1 - t_j) p_j - sum_j t_j p_j + 1, 0)`` per sample, t one-hot.
    Matches ``keras.losses.CategoricalHinge``, whose max includes the true class as 0; with
    ``exclude_true`` the max runs over the other classes only (Crammer-Singer: scikit-learn's
    multi-class ``hinge_loss``, optax's ``multiclass_hinge_loss``, torchmetrics'
    ``multiclass_hinge_loss``). ``from_logits`` takes the softmax of each row first, as
    torchmetrics does to scores outside [0, 1]."""
    if from_logits:
        pred = np.exp(_log_softmax(pred))
    positive = (target * pred).sum(axis=1)
    negative = np.where(target == 0, pred, -np.inf).max(axis=1) if exclude_true else ((1.0 - target) * pred).max(axis=1)
    return np.maximum(negative - positive + 1.0, 0.0)


def unit_rows(x: np.ndarray, eps: float = KERAS_EPSILON, eps_squared: float = 0.0) -> np.ndarray:
    """x / max(sqrt(|x|^2 + eps_squared), eps): Keras floors a norm at 1e-7 (a zero vector counts
    as 1e-7 long); PyTorch's CosineEmbeddingLoss adds 1e-12 to the squared norm."""
    norm = np.sqrt((x * x).sum(axis=1, keepdims=True) + eps_squared)
    with np.errstate(divide="ignore", invalid="ignore"):
        return x / (np.maximum(norm, eps) if eps else norm)


def cosine_similarity(
    pred: np.ndarray, target: np.ndarray, eps: float = KERAS_EPSILON, eps_squared: float = 0.0, similarity=False
) -> np.ndarray:
    """``-sum_j p_j t_j / (|p| |t|)`` per sample: -1 is perfect, 0 for a zero vector (each norm
    floored at eps = 1e-7). Matches ``keras.losses.CosineSimilarity``. With ``similarity`` the
    similarity itself, not its negative: ``optax.losses.cosine_similarity`` and torchmetrics'
    ``cosine_similarity`` (1 is perfect)."""
    cosine = (unit_rows(pred, eps, eps_squared) * unit_rows(target, eps, eps_squared)).sum(axis=1)
    return cosine if similarity else -cosine


def cosine_distance(
    pred: np.ndarray, target: np.ndarray, eps: float = KERAS_EPSILON, eps_squared: float = 0.0
) -> np.ndarray:
    """``1 - sum_j p_j t_j / (|p| |t|)`` per sample: 0 is perfect. Matches
    ``optax.cosine_distance`` (and 1 - ``torch.nn.functional.cosine_similarity``) for
    nonzero vectors; a zero vector gives 1, as in Keras, where optax (eps 0) gives NaN."""
    return 1.0 + cosine_similarity(pred, target, eps, eps_squared, similarity=False)


def dice(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``1 - 2 sum(t p) / (sum t + sum p + 1e-7)`` per sample. Matches
    ``keras.losses.Dice(axis=-1)`` (Keras's default ``axis=None`` pools the whole batch
    into one ratio, which is no average of per-sample terms)."""
    intersection = (target * pred).sum(axis=1)
    return 1.0 - 2.0 * intersection / (target.sum(axis=1) + pred.sum(axis=1) + KERAS_EPSILON)


def tversky(pred: np.ndarray, target: np.ndarray, alpha: float = 0.5, beta: float = 0.5) -> np.ndarray:
    """``1 - A / (A + alpha sum((1 - p) t) + beta sum(p (1 - t)) + 1e-7)``, A = sum(t p),
    per sample. Matches ``keras.losses.Tversky(alpha, beta, axis=-1)``."""
    intersection = (target * pred).sum(axis=1)
    first = ((1.0 - pred) * target).sum(axis=1)
    second = (pred * (1.0 - target)).sum(axis=1)
    return 1.0 - intersection / (intersection + alpha * first + beta * second + KERAS_EPSILON)


def dice_numerator(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``t + p - 2 t p``: the numerator's terms of Dice over the whole batch, (sum of these + 1e-7) /
    (sum t + sum p + 1e-7) = ``1 - 2 sum(t p) / (sum t + sum p + 1e-7)``, Keras's ``Dice()`` (axis=None)."""
    return target + pred - 2.0 * target * pred


def dice_denominator(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``t + p``: the denominator's terms of Dice over the whole batch."""
    return target + pred


def tversky_numerator(pred: np.ndarray, target: np.ndarray, alpha: float = 0.5, beta: float = 0.5) -> np.ndarray:
    """``alpha (1 - p) t + beta p (1 - t)``: the numerator's terms of Tversky over the whole batch,
    (sum of these + 1e-7) / (sum of :func:`tversky_denominator` + 1e-7) = ``1 - A / (A + alpha F + beta G
    + 1e-7)``, Keras 3.15's ``Tversky(alpha, beta)`` (axis=None)."""
    return alpha * (1.0 - pred) * target + beta * pred * (1.0 - target)


def tversky_denominator(pred: np.ndarray, target: np.ndarray, alpha: float = 0.5, beta: float = 0.5) -> np.ndarray:
    """``t p + alpha (1 - p) t + beta p (1 - t)``: the denominator's terms of Tversky over the whole batch."""
    return target * pred + tversky_numerator(pred, target, alpha, beta)


# --- issue 24: the frameworks' other losses ------------------------------------------------------


def perceptron(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``max(0, -t p)``, t in {-1, 1}: 0 when the sign of the score is the label's. Matches
    ``optax.losses.perceptron_loss(p, t)``."""
    return np.maximum(0.0, -target * pred)


def sparse_plus(x: np.ndarray) -> np.ndarray:
    """0 for x <= -1, (x + 1)^2 / 4 for -1 < x < 1, x for x >= 1 (``jax.nn.sparse_plus``)."""
    return np.where(x <= -1.0, 0.0, np.where(x >= 1.0, x, (x + 1.0) ** 2 / 4.0))


def sparse_sigmoid(x: np.ndarray) -> np.ndarray:
    """0, (x + 1) / 2, 1: the derivative of :func:`sparse_plus` (``jax.nn.sparse_sigmoid``)."""
    return np.clip((x + 1.0) / 2.0, 0.0, 1.0)


def binary_sparsemax(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``sparse_plus(-p)`` where t = 1, ``sparse_plus(p)`` where t = 0, p a logit: the binary sparsemax
    loss, 0 once the logit is past 1 on the label's side. Matches ``optax.losses.sparsemax_loss(p, t)``."""
    return sparse_plus(np.where(target == 1, -pred, pred))


def mismatch(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``1 if p != t else 0`` for predicted labels p (each label of a multi-label row): the Hamming loss's
    terms. Matches ``sklearn.metrics.hamming_loss(t, p)``, their mean."""
    return (pred != target).astype(np.float64)


def row_mismatch(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    """1 per sample whose predicted labels are not all its true ones (a multi-label row must match whole),
    else 0. Matches ``sklearn.metrics.zero_one_loss(t, p)``, their mean."""
    return (pred != target).any(axis=1).astype(np.float64)


def poly_cross_entropy(pred: np.ndarray, target: np.ndarray, epsilon: float = 2.0) -> np.ndarray:
    """``-sum_j t_j log softmax(x)_j + epsilon sum_j t_j (1 - softmax(x)_j)`` per sample, x logits: the
    cross-entropy plus the first term of its polynomial expansion (Leng et al. 2022, Poly-1). Matches
    ``optax.losses.poly_loss_cross_entropy(x, t, epsilon=2.0)``."""
    log_q = _log_softmax(pred)
    return -(target * log_q).sum(axis=1) + epsilon * (target * (1.0 - np.exp(log_q))).sum(axis=1)


def generalized_kl_divergence(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``sum_j t_j (log t_j - log p_j) + sum_j (p_j - t_j)`` per sample, predictions log p (t log t = 0 at
    t = 0): the KL divergence of unnormalised measures. Matches ``optax.losses.generalized_kl_divergence``."""
    with np.errstate(divide="ignore"):
        log_t = np.where(target == 0, 0.0, np.log(np.where(target == 0, 1.0, target)))
    return (target * (log_t - pred)).sum(axis=1) + (np.exp(pred) - target).sum(axis=1)


def generalized_cross_entropy(pred: np.ndarray, target: np.ndarray, q: float = 0.5) -> np.ndarray:
    """``(1 - p[y]^q) / q`` per sample, p probabilities, t one-hot: q -> 0 is the cross-entropy, q = 1 the
    mean absolute error of the true class (Zhang and Sabuncu 2018). Matches
    ``keras.losses.CategoricalGeneralizedCrossEntropy(q=0.5)``."""
    return (1.0 - np.power((pred * target).sum(axis=1), q)) / q


def multiclass_perceptron(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``max_j x_j - x[y]`` per sample, x scores, t one-hot: 0 when the true class scores highest. Matches
    ``optax.losses.multiclass_perceptron_loss(x, y)``."""
    return pred.max(axis=1) - (pred * target).sum(axis=1)


def simplex_projection(x: np.ndarray) -> np.ndarray:
    """Each row's Euclidean projection onto the probability simplex: sparsemax(x) = max(x - tau, 0), tau
    the row's threshold (Martins and Astudillo 2016); ``optax.projections.projection_simplex``."""
    z = -np.sort(-x, axis=1)
    cumulative = np.cumsum(z, axis=1) - 1.0
    k = np.arange(1, x.shape[1] + 1)
    support = (z - cumulative / k) > 0
    size = support.sum(axis=1)
    tau = cumulative[np.arange(len(x)), size - 1] / size
    return np.maximum(x - tau[:, None], 0.0)


def multiclass_sparsemax(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``sum_j q_j (x_j - x[y]) + (1 - sum_j q_j^2) / 2`` per sample, q = sparsemax(x), x scores, t one-hot:
    the sparsemax loss (Martins and Astudillo 2016), 0 when q puts all its mass on y. Matches
    ``optax.losses.multiclass_sparsemax_loss(x, y)``."""
    q = simplex_projection(pred)
    shifted = pred - (pred * target).sum(axis=1, keepdims=True)
    return (q * np.where(q > 0, shifted, 0.0)).sum(axis=1) + 0.5 * (1.0 - (q * q).sum(axis=1))


def squared_categorical_hinge(pred: np.ndarray, target: np.ndarray, from_logits: bool = False) -> np.ndarray:
    """``max(0, 1 - (p[y] - max_{j != y} p_j))^2`` per sample, t one-hot (Crammer-Singer, squared). Matches
    ``torchmetrics.functional.classification.multiclass_hinge_loss(p, y, C, squared=True)``; ``from_logits``
    takes each row's softmax first, as torchmetrics does to scores outside [0, 1]."""
    h = categorical_hinge(pred, target, exclude_true=True, from_logits=from_logits)
    return h * h


def _row_chunks(n: int, c: int, values: int = 1 << 22):
    """Slices of rows whose (rows, C, C) comparisons hold ``values`` numbers at most."""
    step = max(1, values // max(1, c * c))
    return (slice(start, min(n, start + step)) for start in range(0, n, step))


def listed_classes(target: np.ndarray) -> np.ndarray:
    """(N, C) whether each class is in its row's label list, the indices before the first -1 (PyTorch's
    MultiLabelMarginLoss targets)."""
    listed = np.cumprod(target >= 0, axis=1).astype(bool)
    out = np.zeros(target.shape, dtype=bool)
    rows, places = np.nonzero(listed)
    out[rows, target[rows, places].astype(np.intp)] = True
    return out


def multilabel_margin(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``sum_{j in y} sum_{i not in y} max(0, 1 - (x[j] - x[i])) / C`` per sample, y the row's label list: the
    class indices of t before its first -1. Matches ``torch.nn.MultiLabelMarginLoss()``."""
    true = listed_classes(target)
    out = np.empty(len(pred))
    for rows in _row_chunks(*pred.shape):
        x, y = pred[rows], true[rows]
        hinge = np.maximum(0.0, 1.0 - x[:, :, None] + x[:, None, :])  # [n, j, i] = 1 - (x_j - x_i)
        out[rows] = (hinge * (y[:, :, None] & ~y[:, None, :])).sum(axis=(1, 2)) / pred.shape[1]
    return out


def label_ranking(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The share of (relevant, irrelevant) label pairs that a sample's scores order wrong (a tie is
    wrong), 0 for a sample whose labels are all relevant or all irrelevant. Matches
    ``sklearn.metrics.label_ranking_loss(t, p)``, their mean."""
    relevant = target == 1
    irrelevant = ~relevant
    order = np.lexsort((irrelevant, pred), axis=1)  # by score; among equal scores the relevant first
    rows = np.arange(len(pred))[:, None]
    sorted_irrelevant = irrelevant[rows, order]
    below = np.cumsum(sorted_irrelevant, axis=1) - sorted_irrelevant  # irrelevant labels scored strictly lower
    n_relevant, n_irrelevant = relevant.sum(axis=1), irrelevant.sum(axis=1)
    wrong = ((n_irrelevant[:, None] - below) * ~sorted_irrelevant).sum(axis=1)
    pairs = n_relevant * n_irrelevant
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(pairs > 0, wrong / np.where(pairs > 0, pairs, 1), 0.0)


def coverage(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    """How many labels, from the best scored down, must be taken to cover every relevant one (ties
    included), 0 for a sample with none. Matches ``sklearn.metrics.coverage_error(t, p)``, their mean."""
    relevant = target == 1
    lowest = np.where(relevant, pred, np.inf).min(axis=1, keepdims=True)
    return np.where(relevant.any(axis=1), (pred >= lowest).sum(axis=1), 0).astype(np.float64)


def _dice_probabilities(pred: np.ndarray, from_logits: bool) -> np.ndarray:
    """optax's apply_softmax: a sigmoid of one column's logits, a softmax of each row of several."""
    if not from_logits:
        return pred
    return _sigmoid(pred) if pred.shape[1] == 1 else np.exp(_log_softmax(pred))


def soft_dice(
    pred: np.ndarray,
    target: np.ndarray,
    smooth: float = 1.0,
    alpha: float = 0.5,
    beta: float = 0.5,
    from_logits: bool = True,
) -> np.ndarray:
    """``1 - (q t + s) / (q t + alpha (q - q t) + beta (t - q t) + s)`` per element, q = softmax(x) per
    row (a sigmoid of one column), t one-hot: on (N, C) inputs optax sums over no axis (its default
    sums the axes between the first and the last: none here), so each class of each sample is its own
    ratio, averaged over the classes. Matches ``optax.losses.dice_loss(x, t)`` of x of shape (N, C)
    (or (N, 1)); a 1-D x would be softmaxed across the batch by optax: give (N, 1)."""
    q = _dice_probabilities(pred, from_logits)
    intersection = q * target
    denominator = intersection + alpha * (q - intersection) + beta * (target - intersection) + smooth
    return 1.0 - (intersection + smooth) / denominator


def binary_dice(pred: np.ndarray, target: np.ndarray, smooth: float = 1.0, from_logits: bool = True) -> np.ndarray:
    """``1 - (sum_j q t + s) / (sum_j q / 2 + sum_j t / 2 + s)`` per sample, q = sigmoid(x) of each value:
    one ratio over a sample's values. Matches ``optax.losses.binary_dice_loss(x, t)`` of (N, C) (its
    channel axis added, the C values summed) and of (N, 1)."""
    q = _sigmoid(pred) if from_logits else pred
    intersection = (q * target).sum(axis=1)
    return 1.0 - (intersection + smooth) / (0.5 * q.sum(axis=1) + 0.5 * target.sum(axis=1) + smooth)


def minkowski(pred: np.ndarray, target: np.ndarray, p: float = 2.0) -> np.ndarray:
    """``|p - t|^p``: the p-th root of its sum is the Minkowski distance of the predictions to the targets.
    Matches ``torchmetrics.functional.minkowski_distance(p, t, p)`` (sum over every element, then the root)."""
    return np.power(np.abs(pred - target), p)


def calibration_gap(pred: np.ndarray, target: np.ndarray, from_logits: bool = False) -> np.ndarray:
    """``p - t`` per sample, p the positive class's probability (a sigmoid of a logit with
    ``from_logits``), t 0 or 1: its mean over a bin of p is that bin's conf - acc. The value is over the
    bins (core/order.py ``Bins``). Matches ``torchmetrics.functional.classification.
    binary_calibration_error(p, t, n_bins=15, norm="l1")`` through its bins."""
    q = _sigmoid(pred) if from_logits else pred
    return q - target
