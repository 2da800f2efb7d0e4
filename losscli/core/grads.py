"""Gradients of the losses with respect to the predictions.

Each function takes the predictions, the targets, ``upstream`` (the derivative of the
batch value with respect to each term: the weight of each term, divided by n) and the
loss's options, and returns the derivative of the batch value with respect to every
prediction, shape (N, C). For element-wise losses that is ``upstream * dl/dp``; for the
losses that normalise or take a max over a row, the row's terms all depend on every
prediction of the row, and the function applies the whole Jacobian.

At kinks these follow PyTorch's subgradients: sign(0) = 0; a clamp passes the gradient
at its bound; a max sends it to the first maximal element.
"""

from __future__ import annotations

import numpy as np

from ..errors import UsageError
from . import constants as C
from . import losses as L


def _sign(x: np.ndarray) -> np.ndarray:
    return np.sign(x)


def _inside(x: np.ndarray, low: float, high: float) -> np.ndarray:
    return ((x >= low) & (x <= high)).astype(np.float64)


def _through_row_normalisation(pred: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Back through q = p / sum(p) per row: dq_j/dp_k = delta_jk / S - p_j / S^2."""
    s = pred.sum(axis=1, keepdims=True)
    return g / s - (g * pred).sum(axis=1, keepdims=True) / (s * s)


def _through_softmax(pred: np.ndarray, g: np.ndarray) -> np.ndarray:
    s = np.exp(L._log_softmax(pred))
    return s * (g - (g * s).sum(axis=1, keepdims=True))


# --- element-wise ------------------------------------------------------------------------


def squared_error(pred, target, upstream):
    return upstream * 2.0 * (pred - target)


def half_squared_error(pred, target, upstream):
    return upstream * (pred - target)


def absolute_error(pred, target, upstream):
    return upstream * _sign(pred - target)


def huber(pred, target, upstream, delta=1.0):
    d = pred - target
    return upstream * np.clip(d, -delta, delta)


def smooth_l1(pred, target, upstream, beta=1.0):
    d = pred - target
    if beta == 0:
        return upstream * _sign(d)
    return upstream * np.where(np.abs(d) < beta, d / beta, _sign(d))


def log_cosh(pred, target, upstream, form="stable"):
    return upstream * np.tanh(pred - target)  # every form is log(cosh(d)): only their rounding differs


def absolute_percentage_error(pred, target, upstream, fraction=False, eps=None):
    if eps is None:
        eps = C.SKLEARN_EPS if fraction else C.KERAS_EPSILON
    scale = 1.0 if fraction else 100.0
    return upstream * scale * _sign(pred - target) / np.maximum(np.abs(target), eps)


def symmetric_percentage_error(pred, target, upstream, eps=C.TORCHMETRICS_EPS):
    d = pred - target
    total = np.abs(target) + np.abs(pred)
    denominator = np.maximum(total, eps)
    through_denominator = _inside(total, eps, np.inf) * _sign(pred)
    return upstream * 2.0 * (_sign(d) / denominator - np.abs(d) * through_denominator / denominator**2)


def squared_log_error(pred, target, upstream, eps=0.0):
    p, t = (np.maximum(pred, eps), np.maximum(target, eps)) if eps else (pred, target)
    through = _inside(pred, eps, np.inf) if eps else 1.0
    return upstream * 2.0 * (np.log1p(p) - np.log1p(t)) / (1.0 + p) * through


def pinball(pred, target, upstream, quantile=0.5):
    return upstream * np.where(target - pred >= 0, -quantile, 1.0 - quantile)


def poisson(pred, target, upstream, eps=C.KERAS_EPSILON):
    return upstream * (1.0 - target / (pred + eps))


def poisson_nll(pred, target, upstream, log_input=True, full=False, eps=1e-8):
    return upstream * (np.exp(pred) - target if log_input else 1.0 - target / (pred + eps))


def tweedie_deviance(pred, target, upstream, power=0.0):
    # d/dp of every Tweedie unit deviance: 2 (p - t) p^(-power)
    return upstream * 2.0 * (pred - target) * np.power(pred, -power)


def poisson_deviance(pred, target, upstream):
    return tweedie_deviance(pred, target, upstream, power=1.0)


def gamma_deviance(pred, target, upstream):
    return tweedie_deviance(pred, target, upstream, power=2.0)


def gaussian_nll(pred, target, upstream, var=1.0, full=False, eps=1e-6):
    v = np.maximum(np.asarray(var, dtype=np.float64), eps)
    return upstream * (pred - target) / v


def _through_probabilities(pred, g, from_logits: bool, logits_to: str):
    """Back through the sigmoid (each score) or the softmax (each row) that --from-logits applies first."""
    if not from_logits:
        return g
    if logits_to == "softmax":
        return _through_softmax(pred, g)
    s = L._sigmoid(pred)
    return g * s * (1.0 - s)


def _probabilities(pred, from_logits: bool, logits_to: str):
    if not from_logits:
        return pred
    return np.exp(L._log_softmax(pred)) if logits_to == "softmax" else L._sigmoid(pred)


def hinge(pred, target, upstream, label_map="keras", positive=None, from_logits=False, logits_to="sigmoid"):
    t = L.signed_labels(target, label_map, positive)
    q = _probabilities(pred, from_logits, logits_to)
    return _through_probabilities(pred, upstream * np.where(1.0 - t * q >= 0, -t, 0.0), from_logits, logits_to)


def squared_hinge(pred, target, upstream, label_map="keras", positive=None, from_logits=False, logits_to="sigmoid"):
    t = L.signed_labels(target, label_map, positive)
    q = _probabilities(pred, from_logits, logits_to)
    g = upstream * 2.0 * np.maximum(1.0 - t * q, 0.0) * -t
    return _through_probabilities(pred, g, from_logits, logits_to)


def binary_cross_entropy(
    pred,
    target,
    upstream,
    from_logits=False,
    label_smoothing=0.0,
    pos_weight=None,
    eps=None,
    log_floor=-100.0,
    log1p=True,
):
    t = L.smooth_binary(target, label_smoothing)
    if from_logits:
        w = 1.0 if pos_weight is None else np.asarray(pos_weight, dtype=np.float64)
        return upstream * ((w * t + 1.0 - t) * L._sigmoid(pred) - w * t)
    if eps is None:
        eps = C.KERAS_EPSILON if label_smoothing else 0.0
    c = np.clip(pred, eps, 1.0 - eps) if eps else pred
    if log_floor == C.TORCH_LOG_FLOOR and log1p:
        # PyTorch's own backward of binary_cross_entropy (on the clipped p, as Keras calls it)
        return (
            upstream * (c - t) / np.maximum((1.0 - c) * c, C.TORCH_BCE_BACKWARD_EPSILON) * _inside(pred, eps, 1.0 - eps)
        )
    not_c = (1.0 - c) if log1p else (np.clip(1.0 - pred, eps, 1.0 - eps) if eps else 1.0 - pred)
    through_p = _inside(pred, eps, 1.0 - eps)
    through_not_p = through_p if log1p else _inside(1.0 - pred, eps, 1.0 - eps)
    g_p, g_not_p = -t / c * through_p, (1.0 - t) / not_c * through_not_p
    if log_floor is not None:  # a floored log passes no gradient
        g_p = np.where(np.log(c) < log_floor, 0.0, g_p)
        g_not_p = np.where(np.log(not_c) < log_floor, 0.0, g_not_p)
    return upstream * (g_p + g_not_p)


def binary_focal_cross_entropy(
    pred, target, upstream, gamma=2.0, alpha=None, from_logits=False, label_smoothing=0.0, eps=C.KERAS_EPSILON
):
    t = L.smooth_binary(target, label_smoothing)
    if not eps and from_logits:
        return upstream * _focal_in_log_space_grad(pred, t, gamma, alpha)
    p = L._sigmoid(pred) if from_logits else pred
    clipped = np.clip(p, eps, 1.0 - eps) if eps else p
    bce = -(t * np.log(clipped) + (1.0 - t) * np.log1p(-clipped))
    d_bce = (-t / clipped + (1.0 - t) / (1.0 - clipped)) * (_inside(p, eps, 1.0 - eps) if eps else 1.0)
    base = 1.0 - (t * p + (1.0 - t) * (1.0 - p))
    factor = np.power(base, gamma)
    d_factor = 0.0 if gamma == 0 else -gamma * np.power(base, gamma - 1.0) * (2.0 * t - 1.0)
    g = d_factor * bce + factor * d_bce
    if alpha is not None:
        g = g * (t * alpha + (1.0 - t) * (1.0 - alpha))
    if from_logits:
        g = g * p * (1.0 - p)
    return upstream * g


def _focal_in_log_space_grad(x, t, gamma, alpha):
    """d/dx of optax's sigmoid_focal_loss: (1 - p_t)^gamma bce with p = sigmoid(x)."""
    p, q = L._sigmoid(x), L._sigmoid(-x)
    bce = t * L._softplus(-x) + (1.0 - t) * L._softplus(x)
    base = (1.0 - t) * p + t * q  # 1 - p_t
    factor = 1.0 if gamma == 0 else np.power(base, gamma)
    d_factor = 0.0 if gamma == 0 else gamma * np.power(base, gamma - 1.0) * (1.0 - 2.0 * t) * p * q
    g = d_factor * bce + factor * (p - t)
    if alpha is not None:
        g = g * (t * alpha + (1.0 - t) * (1.0 - alpha))
    return g


def soft_margin(pred, target, upstream):
    return upstream * -target * L._sigmoid(-target * pred)


def multilabel_soft_margin(pred, target, upstream):
    return upstream * (L._sigmoid(pred) - target)


def hinge_embedding(pred, target, upstream, margin=1.0):
    below = np.where(target != 1, -(margin - pred >= 0).astype(np.float64), 0.0)
    return upstream * (below + np.where(target != -1, 1.0, 0.0))


def brier(pred, target, upstream, pos_label=None, scale_by_half=None, label_map="zero_one", positive=None):
    if pred.shape[1] == 1 and (pos_label is not None or label_map == "sklearn_pos"):
        target = (target == L._positive_label(target, pos_label, positive)).astype(pred.dtype)
    factor = 1.0
    if scale_by_half is not None:
        factor = (1.0 if scale_by_half else 2.0) if pred.shape[1] == 1 else (0.5 if scale_by_half else 1.0)
    return squared_error(pred, target, upstream * factor)


# --- coupled within a row ----------------------------------------------------------------


def categorical_cross_entropy(
    pred,
    target,
    upstream,
    from_logits=False,
    eps=C.KERAS_EPSILON,
    label_smoothing=0.0,
    normalize=True,
    xlogy=False,
    masked_logits="zero",
):
    t = L.smooth_categorical(target, label_smoothing)
    if from_logits:
        g = upstream * t  # d(-sum_j g_j t_j log_softmax_j)/dx_k = softmax_k sum_j g_j t_j - g_k t_k
        return np.exp(L._log_softmax(pred)) * g.sum(axis=1, keepdims=True) - g
    q_raw = pred / pred.sum(axis=1, keepdims=True) if normalize else pred
    q = np.clip(q_raw, eps, 1.0 - eps) if eps else q_raw
    g_q = (-t / q) * (_inside(q_raw, eps, 1.0 - eps) if eps else 1.0)
    if xlogy:  # a class with no target weight adds nothing, even where q = 0
        g_q = np.where(t == 0, 0.0, g_q)
    g_q = upstream * g_q
    return _through_row_normalisation(pred, g_q) if normalize else g_q


def sparse_categorical_cross_entropy(
    pred, target, upstream, from_logits=False, eps=C.KERAS_EPSILON, label_smoothing=0.0, normalize=True
):
    return categorical_cross_entropy(pred, target, upstream, from_logits, eps, label_smoothing, normalize, xlogy=True)


def negative_log_likelihood(pred, target, upstream):
    return -upstream * target


def categorical_focal_cross_entropy(
    pred,
    target,
    upstream,
    gamma=2.0,
    alpha=0.25,
    from_logits=False,
    label_smoothing=0.0,
    clip=(C.KERAS_EPSILON, 1.0 - C.KERAS_EPSILON),
):
    t = L.smooth_categorical(target, label_smoothing)
    p = np.exp(L._log_softmax(pred)) if from_logits else pred
    low, high = clip
    q_raw = p / p.sum(axis=1, keepdims=True)
    q = np.clip(q_raw, low, high)
    d_factor = 0.0 if gamma == 0 else -gamma * np.power(1.0 - q, gamma - 1.0)
    d_q = alpha * (d_factor * (-t * np.log(q)) + np.power(1.0 - q, gamma) * (-t / q))
    g = _through_row_normalisation(p, upstream * d_q * _inside(q_raw, low, high))
    return _through_softmax(pred, g) if from_logits else g


def kl_divergence(pred, target, upstream, log_input=False, log_target=False, eps=C.KERAS_EPSILON, normalize=False):
    if log_input:
        return -upstream * (np.exp(target) if log_target else target)
    p_raw, t_raw = (
        (pred / pred.sum(axis=1, keepdims=True), target / target.sum(axis=1, keepdims=True))
        if normalize
        else (pred, target)
    )
    if eps:
        t, p = np.clip(t_raw, eps, 1.0), np.clip(p_raw, eps, 1.0)
        g = upstream * (-t / p) * _inside(p_raw, eps, 1.0)
    else:
        g = upstream * np.where(t_raw == 0, 0.0, -t_raw / p_raw)
    return _through_row_normalisation(pred, g) if normalize else g


def jensen_shannon(pred, target, upstream):
    p = pred / pred.sum(axis=1, keepdims=True)
    t = target / target.sum(axis=1, keepdims=True)
    m = 0.5 * (p + t)
    with np.errstate(divide="ignore"):
        d_p = np.where(p > 0, 0.5 * np.log(p / m), 0.0)
    return _through_row_normalisation(pred, upstream * d_p)


def multi_margin(pred, target, upstream, p=1, margin=1.0):
    x_y = (pred * target).sum(axis=1, keepdims=True)
    z = margin - x_y + pred
    h = np.where((z > 0) & (target != 1), (1.0 if p == 1 else 2.0 * z) / pred.shape[1], 0.0) * upstream
    return h - target * h.sum(axis=1, keepdims=True)


# --- per sample only: upstream has shape (N, 1) ------------------------------------------------


def categorical_hinge(pred, target, upstream, exclude_true=False, from_logits=False):
    if from_logits:
        q = np.exp(L._log_softmax(pred))
        return _through_softmax(pred, categorical_hinge(q, target, upstream, exclude_true))
    negatives = np.where(target == 0, pred, -np.inf) if exclude_true else (1.0 - target) * pred
    first_max = np.zeros_like(pred)
    first_max[np.arange(len(pred)), negatives.argmax(axis=1)] = 1.0
    margin = negatives.max(axis=1) - (target * pred).sum(axis=1) + 1.0
    open_rows = (margin >= 0).astype(np.float64)[:, None]
    wrong = (target == 0) if exclude_true else (1.0 - target)
    return upstream * open_rows * (first_max * wrong - target)


def _unit_rows_grad(x: np.ndarray, y_unit: np.ndarray, eps: float, eps_squared: float) -> np.ndarray:
    """d(unit(x) . y_unit)/dx for unit(x) = x / max(sqrt(|x|^2 + eps_squared), eps)."""
    norm = np.sqrt((x * x).sum(axis=1, keepdims=True) + eps_squared)
    big = norm > eps if eps else np.ones_like(norm, dtype=bool)
    scale = np.maximum(norm, eps) if eps else norm
    x_over = x / scale
    along = (x_over * y_unit).sum(axis=1, keepdims=True)
    # through the norm: d(x / n)/dx = I / n - x x^T / n^3 (n = sqrt(|x|^2 + e2))
    return np.where(big, (y_unit - along * x / norm * (norm / scale)) / scale, y_unit / scale)


def cosine_similarity(pred, target, upstream, eps=C.KERAS_EPSILON, eps_squared=0.0, similarity=False):
    sign = 1.0 if similarity else -1.0
    return sign * upstream * _unit_rows_grad(pred, L.unit_rows(target, eps, eps_squared), eps, eps_squared)


def cosine_distance(pred, target, upstream, eps=C.KERAS_EPSILON, eps_squared=0.0):
    return cosine_similarity(pred, target, upstream, eps, eps_squared, similarity=False)


def dice(pred, target, upstream):
    intersection = (target * pred).sum(axis=1, keepdims=True)
    d = target.sum(axis=1, keepdims=True) + pred.sum(axis=1, keepdims=True) + C.KERAS_EPSILON
    return upstream * -2.0 * (target * d - intersection) / (d * d)


def tversky(pred, target, upstream, alpha=0.5, beta=0.5):
    intersection = (target * pred).sum(axis=1, keepdims=True)
    first = ((1.0 - pred) * target).sum(axis=1, keepdims=True)
    second = (pred * (1.0 - target)).sum(axis=1, keepdims=True)
    d = intersection + alpha * first + beta * second + C.KERAS_EPSILON
    d_d = target - alpha * target + beta * (1.0 - target)
    return upstream * -(target * d - intersection * d_d) / (d * d)


# --- issue 24 ------------------------------------------------------------------------------------


def perceptron(pred, target, upstream):
    return upstream * np.where(-target * pred > 0, -target, 0.0)


def binary_sparsemax(pred, target, upstream):
    sign = np.where(target == 1, -1.0, 1.0)
    return upstream * sign * L.sparse_sigmoid(sign * pred)


def poly_cross_entropy(pred, target, upstream, epsilon=2.0):
    q = np.exp(L._log_softmax(pred))
    mass = (target * q).sum(axis=1, keepdims=True)
    cross_entropy = q * target.sum(axis=1, keepdims=True) - target
    return upstream * (cross_entropy - epsilon * (target * q - q * mass))


def generalized_kl_divergence(pred, target, upstream):
    return upstream * (np.exp(pred) - target)


def generalized_cross_entropy(pred, target, upstream, q=0.5):
    true = (pred * target).sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore"):
        return upstream * -np.power(true, q - 1.0) * target


def multiclass_perceptron(pred, target, upstream):
    top = np.zeros_like(pred)
    top[np.arange(len(pred)), pred.argmax(axis=1)] = 1.0
    return upstream * (top - target)


def multiclass_sparsemax(pred, target, upstream):
    return upstream * (L.simplex_projection(pred) - target)  # sparsemax(x) - e_y (Martins and Astudillo 2016)


def squared_categorical_hinge(pred, target, upstream, from_logits=False):
    h = L.categorical_hinge(pred, target, exclude_true=True, from_logits=from_logits)[:, None]
    return categorical_hinge(pred, target, upstream * 2.0 * h, exclude_true=True, from_logits=from_logits)


def multilabel_margin(pred, target, upstream):
    true = L.listed_classes(target)
    out = np.empty_like(pred)
    c = pred.shape[1]
    for rows in L._row_chunks(*pred.shape):
        x, y = pred[rows], true[rows]
        active = ((1.0 - x[:, :, None] + x[:, None, :]) > 0) & (y[:, :, None] & ~y[:, None, :])  # [n, j, i]
        out[rows] = (active.sum(axis=1) - active.sum(axis=2)) / c
    return upstream * out


# Losses of counts and ranks: constant between the points where a prediction crosses another, so their
# gradient is 0 wherever it exists; --grad says so rather than print zeros.
NOT_DIFFERENTIABLE = {
    L.mismatch: "counts mismatched labels",
    L.row_mismatch: "counts mismatched samples",
    L.label_ranking: "counts wrongly ordered label pairs",
    L.coverage: "counts ranks",
}


def _through_dice_probabilities(pred, g, from_logits):
    if not from_logits:
        return g
    if pred.shape[1] == 1:
        q = L._sigmoid(pred)
        return g * q * (1.0 - q)
    return _through_softmax(pred, g)


def soft_dice(pred, target, upstream, smooth=1.0, alpha=0.5, beta=0.5, from_logits=True):
    # l = 1 - A / D, A = q t + s, D = q (t (1 - alpha - beta) + alpha) + beta t + s
    q = L._dice_probabilities(pred, from_logits)
    slope = target * (1.0 - alpha - beta) + alpha
    a = q * target + smooth
    d = q * slope + beta * target + smooth
    return _through_dice_probabilities(pred, upstream * -(target * d - a * slope) / (d * d), from_logits)


def binary_dice(pred, target, upstream, smooth=1.0, from_logits=True):
    # L = 1 - A / D, A = sum q t + s, D = sum q / 2 + sum t / 2 + s
    q = L._sigmoid(pred) if from_logits else pred
    a = (q * target).sum(axis=1, keepdims=True) + smooth
    d = 0.5 * q.sum(axis=1, keepdims=True) + 0.5 * target.sum(axis=1, keepdims=True) + smooth
    g = upstream * -(target * d - 0.5 * a) / (d * d)
    return g * q * (1.0 - q) if from_logits else g


def minkowski(pred, target, upstream, p=2.0):
    d = pred - target
    return upstream * p * np.power(np.abs(d), p - 1.0) * np.sign(d)


GRADIENTS = {
    L.squared_error: squared_error,
    L.half_squared_error: half_squared_error,
    L.absolute_error: absolute_error,
    L.huber: huber,
    L.smooth_l1: smooth_l1,
    L.log_cosh: log_cosh,
    L.absolute_percentage_error: absolute_percentage_error,
    L.symmetric_percentage_error: symmetric_percentage_error,
    L.squared_log_error: squared_log_error,
    L.pinball: pinball,
    L.poisson: poisson,
    L.poisson_nll: poisson_nll,
    L.tweedie_deviance: tweedie_deviance,
    L.poisson_deviance: poisson_deviance,
    L.gamma_deviance: gamma_deviance,
    L.gaussian_nll: gaussian_nll,
    L.hinge: hinge,
    L.squared_hinge: squared_hinge,
    L.binary_cross_entropy: binary_cross_entropy,
    L.binary_focal_cross_entropy: binary_focal_cross_entropy,
    L.soft_margin: soft_margin,
    L.multilabel_soft_margin: multilabel_soft_margin,
    L.hinge_embedding: hinge_embedding,
    L.brier: brier,
    L.categorical_cross_entropy: categorical_cross_entropy,
    L.sparse_categorical_cross_entropy: sparse_categorical_cross_entropy,
    L.negative_log_likelihood: negative_log_likelihood,
    L.categorical_focal_cross_entropy: categorical_focal_cross_entropy,
    L.kl_divergence: kl_divergence,
    L.jensen_shannon: jensen_shannon,
    L.multi_margin: multi_margin,
    L.categorical_hinge: categorical_hinge,
    L.cosine_similarity: cosine_similarity,
    L.cosine_distance: cosine_distance,
    L.dice: dice,
    L.soft_dice: soft_dice,
    L.minkowski: minkowski,
    L.binary_dice: binary_dice,
    L.tversky: tversky,
    L.perceptron: perceptron,
    L.binary_sparsemax: binary_sparsemax,
    L.poly_cross_entropy: poly_cross_entropy,
    L.generalized_kl_divergence: generalized_kl_divergence,
    L.generalized_cross_entropy: generalized_cross_entropy,
    L.multiclass_perceptron: multiclass_perceptron,
    L.multiclass_sparsemax: multiclass_sparsemax,
    L.squared_categorical_hinge: squared_categorical_hinge,
    L.multilabel_margin: multilabel_margin,
}


def gradient_of(element_function):
    """The gradient function of a loss's element terms, or a usage error where losscli has none: the
    one ratio of Dice or Tversky over the whole batch (--axis none) depends on every prediction through
    its denominator, which one pass over the blocks does not know until the end."""
    if element_function in NOT_DIFFERENTIABLE:
        raise UsageError(
            f"--grad: this loss {NOT_DIFFERENTIABLE[element_function]}: its gradient is 0 wherever it exists, "
            "so it has none to show; train on a differentiable loss (bce, cce, hinge) and report this one"
        )
    try:
        return GRADIENTS[element_function]
    except KeyError:
        raise UsageError(
            "--grad: one ratio over the whole batch (--axis none, Keras's default) has no gradient in losscli "
            "yet; use --axis -1 (each sample's ratio) for the gradient"
        ) from None
