"""The frameworks' float32 constants are what float32 makes of them (losscli/core/constants.py)."""

import numpy as np

from losscli.core import constants as C


def test_float32_constants_are_float32_roundings():
    assert float(np.float32(1e-7)) == C.KERAS_EPSILON_F32
    assert float(np.float32(1 - 1e-7)) == C.KERAS_ONE_MINUS_EPSILON_F32
    assert float(np.log(np.float32(2.0))) == C.KERAS_LOG2_F32
    assert float(np.float32(1e-12)) == C.TORCH_BCE_BACKWARD_EPSILON
    assert np.finfo(np.float64).eps == C.SKLEARN_EPS
