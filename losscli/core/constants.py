"""The frameworks' constants, each written once, with where it comes from.

The losses (``losses.py``) take them as their defaults, the conventions (``conventions.py``) put
them in each framework's call, the registry names them in help texts. Where a framework makes a
constant a float32 tensor before using it, both values are here: in float32 arithmetic (``--like
keras``) a Python float becomes the float32 one by itself.
"""

from __future__ import annotations

KERAS_EPSILON = 1e-7  # keras.config.epsilon(): a Python float, exact where torch ops take it
KERAS_EPSILON_F32 = 1.0000000116860974e-07  # float32(1e-7): where keras.ops.clip makes it a float32 tensor
KERAS_ONE_MINUS_EPSILON_F32 = 0.9999998807907104  # float32(1 - 1e-7)
KERAS_LOG2_F32 = 0.6931471824645996  # keras.ops.log(2.0): log 2 rounded to float32 (LogCosh)
SKLEARN_EPS = 2.220446049250313e-16  # np.finfo(np.float64).eps: log_loss's clip, MAPE's floor
TORCH_LOG_FLOOR = -100.0  # BCELoss clamps each log at -100
TORCH_POISSON_EPS = 1e-8  # PoissonNLLLoss(eps=1e-8)
TORCH_COSINE_EPS2 = 1e-12  # CosineEmbeddingLoss adds 1e-12 to each squared norm
TORCH_BCE_BACKWARD_EPSILON = 9.999999960041972e-13  # float32(1e-12): BCELoss's backward floor of p (1 - p)
TORCHMETRICS_EPS = 1.17e-6  # MAPE, SMAPE and WMAPE floors

# --empty: what a mean with nothing to divide by gives: refuse, NaN (PyTorch's), 0 (Keras's)
EMPTY_POLICIES = ("error", "nan", "zero")
