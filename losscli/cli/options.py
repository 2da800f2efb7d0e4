"""Typer's parameters of a loss command, from the plain table of ``flags.py``: the shared
options, then each loss's own from the registry (see ``loss_command.py``). Only a command line
that :func:`flags.parse` leaves to Typer (help, errors, anything unusual) builds them.
"""

from __future__ import annotations

import inspect
from typing import Annotated, Optional

import typer

from ..core.registry import Loss
from .flags import COMMON, Flag, loss_flags

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 80}  # every command's
_TYPES = {"text": str, "texts": list[str], "int": int, "float": float}


def _annotation(flag: Flag):
    """Typer's declaration of one flag: its type, its spellings, its help."""
    if flag.kind == "argument":
        return Annotated[Optional[str], typer.Argument(help=flag.help, show_default=False)]
    shown = flag.default is not None
    if flag.kind == "flag":
        return Annotated[bool, typer.Option(flag.flag, *flag.short, help=flag.help)]
    if flag.kind == "switch":
        kind: object = bool
        decls: tuple[str, ...] = (f"{flag.flag}/--no-{flag.flag[2:]}",)
    else:
        kind = flag.choices if flag.kind == "choice" else _TYPES[flag.kind]
        decls = (flag.flag, *flag.short)
    extra = {} if flag.min is None else {"min": flag.min}
    option = typer.Option(*decls, help=flag.help, metavar=flag.metavar, show_default=shown, **extra)
    return Annotated[kind if shown else Optional[kind], option]  # type: ignore[valid-type]


def _parameter(flag: Flag) -> inspect.Parameter:
    return inspect.Parameter(
        flag.name, inspect.Parameter.KEYWORD_ONLY, default=flag.value_unset, annotation=_annotation(flag)
    )


def parameters(specs: list[Loss]) -> list[inspect.Parameter]:
    """The loss command's parameters: the shared ones, then the losses' own."""
    return [_parameter(flag) for flag in (*COMMON, *loss_flags(specs))]
