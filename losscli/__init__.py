"""losscli: compute a loss and say what its divisor n is.

>>> import losscli
>>> result = losscli.compute("mae", [1.0, 2.0, 4.0], [1.5, 2.0, 3.0])
>>> result.value, result.n
(0.5, 3)

The names below load on first use: the command line imports only what a run needs.
"""

__version__ = "0.3.0"

_NAMES = {
    "compute": ("api", "compute"),
    "Bootstrap": ("api", "Bootstrap"),
    "Read": ("api", "Read"),
    "Axes": ("api", "Axes"),
    "LOSSES": ("core.registry", "LOSSES"),
    "get_loss": ("core.registry", "get_loss"),
    "Result": ("core.result", "Result"),
    "ExitCode": ("errors", "ExitCode"),
    "InputError": ("errors", "InputError"),
    "LossCliError": ("errors", "LossCliError"),
    "UsageError": ("errors", "UsageError"),
    "read_array": ("io.inputs", "read_array"),
}
__all__ = sorted(_NAMES)


def __getattr__(name: str):
    if name not in _NAMES:
        raise AttributeError(f"module 'losscli' has no attribute {name!r}")
    from importlib import import_module

    module, attribute = _NAMES[name]
    value = getattr(import_module(f".{module}", __name__), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_NAMES])
