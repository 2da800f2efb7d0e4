"""losscli: compute a loss and say what its divisor n is.

>>> import losscli
>>> result = losscli.compute("mae", [1.0, 2.0, 4.0], [1.5, 2.0, 3.0])
>>> result.value, result.n
(0.5, 3)
"""

__version__ = "0.2.0"

from .api import compute  # noqa: E402
from .core.registry import LOSSES, get_loss  # noqa: E402
from .core.result import Result  # noqa: E402
from .errors import ExitCode, InputError, LossCliError, UsageError  # noqa: E402
from .io.inputs import read_array  # noqa: E402

__all__ = [
    "LOSSES",
    "ExitCode",
    "InputError",
    "LossCliError",
    "Result",
    "UsageError",
    "compute",
    "get_loss",
    "read_array",
]
