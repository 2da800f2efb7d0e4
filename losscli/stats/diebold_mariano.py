"""The Diebold-Mariano test of equal forecast accuracy, with the Harvey-Leybourne-Newbold correction.

For two forecasts' per-sample losses in time order (Diebold & Mariano, "Comparing
predictive accuracy", JBES 13(3), 1995; Harvey, Leybourne & Newbold, "Testing the
equality of prediction mean squared errors", IJF 13(2), 1997):

    d_t = L_A,t - L_B,t,  t = 1..T
    gamma_k = (1/T) sum_{t=k+1}^{T} (d_t - mean(d)) (d_{t-k} - mean(d))
    V = gamma_0 + 2 sum_{k=1}^{h-1} gamma_k
    DM = mean(d) / sqrt(V / T)
    HLN = DM sqrt((T + 1 - 2h + h (h - 1) / T) / T),  two-sided p from Student's t, T - 1 df.

These are the formulas of R's ``forecast::dm.test`` (``varestimator = "acf"``; the loss,
``|e|^power`` there, is the caller's), except that where dm.test falls back to h = 1 with
a warning when V <= 0, this raises. Student's t needs scipy, the extra ``losscli[stats]``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .errors import MissingExtraError, StatisticError, StatsUsageError


class DieboldMariano(NamedTuple):
    """The HLN-corrected Diebold-Mariano statistic and its two-sided p-value.

    A negative statistic (and ``mean_differential``) favours forecast A.
    """

    statistic: float
    p_value: float
    h: int
    T: int
    mean_differential: float

    def to_dict(self) -> dict:
        return self._asdict()


def diebold_mariano(loss_a, loss_b, *, h: int = 1) -> DieboldMariano:
    """The modified Diebold-Mariano test (HLN 1997) of E[L_A - L_B] = 0 at forecast horizon h.

    ``loss_a`` and ``loss_b`` are the per-sample losses of the two forecasts, in time
    order. The long-run variance V sums the autocovariances of lags 0..h-1 (the h-step
    forecast errors are at most MA(h-1)); V <= 0, possible when h > 1, is an error, as is
    h >= T.
    """
    differential = _loss_differential(loss_a, loss_b)
    T = len(differential)
    if isinstance(h, bool) or not isinstance(h, int | np.integer) or not 1 <= h < T:
        raise StatsUsageError(f"the horizon h must be an integer with 1 <= h < T = {T}; got {h!r}")
    h = int(h)
    mean = float(np.mean(differential))
    centred = differential - mean
    autocovariances = [float(np.sum(centred[k:] * centred[: T - k])) / T for k in range(h)]
    variance = autocovariances[0] + 2 * sum(autocovariances[1:])
    if not variance > 0:
        raise StatisticError(
            f"the loss differential's long-run variance is {variance:.6g} <= 0 "
            + ("(the two forecasts' losses differ by a constant?)" if h == 1 else f"at h = {h}; try a smaller h")
        )
    dm = mean / np.sqrt(variance / T)
    statistic = float(dm * np.sqrt((T + 1 - 2 * h + h * (h - 1) / T) / T))
    p_value = 2 * float(_student_t().sf(abs(statistic), T - 1))
    return DieboldMariano(statistic, min(1.0, p_value), h, T, mean)


def _loss_differential(loss_a, loss_b) -> np.ndarray:
    a = np.asarray(loss_a, dtype=np.float64)
    b = np.asarray(loss_b, dtype=np.float64)
    if a.ndim != 1 or a.shape != b.shape:
        raise StatsUsageError(f"the two loss series must be 1-D and of one length; got {a.shape} and {b.shape}")
    if len(a) < 2:
        raise StatisticError(f"the Diebold-Mariano test needs at least 2 time points; got {len(a)}")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise StatisticError("the loss series must be finite")
    return a - b


def _student_t():
    try:
        from scipy.stats import t  # the optional extra: only this test needs it
    except ImportError as error:
        raise MissingExtraError(
            "the Diebold-Mariano p-value needs scipy's Student t: pip install 'losscli[stats]'"
        ) from error
    return t
