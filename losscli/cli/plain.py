"""A plain loss command, run without building Typer's command: the loss's name, its inputs and
options that :func:`flags.parse` is sure of. Everything else goes to Typer (``app.py``); both
call the same ``execute`` with the same arguments (tests/test_flags.py)."""

from __future__ import annotations

import os

from ..core.registry import Loss, get_loss
from ..errors import UsageError
from .flags import COMMON, loss_flags, parse, with_optional_values
from .safely import quietly, run_safely

COMMANDS = ("list", "help", "merge")  # the group's own commands (app.py)


def specs_of(name: str) -> list[Loss]:
    """The losses of a command name: one loss, an alias, or several as ``mse,mae``."""
    specs = [get_loss(part) for part in name.split(",") if part.strip()]
    if not specs:
        raise UsageError("give a loss, e.g. 'losscli mse preds.csv targets.csv' ('losscli list' shows them)")
    return specs


def plain_arguments(args: list[str]) -> tuple[list[Loss], dict] | None:
    """The losses and the arguments of a plain loss command; None for Typer to parse."""
    if not args or args[0].startswith("-") or args[0] in COMMANDS or "_LOSSCLI_COMPLETE" in os.environ:
        return None  # the group's own commands and options, and shell completion, are Typer's
    try:
        specs = specs_of(args[0])
    except UsageError:  # Typer's path says so, with the same words
        return None
    arguments = parse(with_optional_values(args[1:]), [*COMMON, *loss_flags(specs)])
    return None if arguments is None else (specs, arguments)


def plain_run(args: list[str]) -> int | None:
    """The exit status of a plain loss command; None where Typer should run it. Parsed inside run_safely,
    as Typer's path is: a bug of the parser is one line and status 70, not a traceback."""
    typers: list[bool] = []

    def call():
        plain = plain_arguments(args)
        if plain is None:
            typers.append(True)
            return None
        from .execute import execute

        return quietly(lambda: execute(*plain))

    code = run_safely(call)
    return None if typers else code
