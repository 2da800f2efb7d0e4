"""The ``losscli`` command: a group whose commands are the losses, built only when named.

``losscli mse ...`` builds the command of mse alone (its options, its help), so a run
pays for one command, not fifty. ``list``, ``help`` and ``merge`` are ordinary
commands. Every error becomes one line on stderr and a named exit status, here, once.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from typer.core import TyperGroup

from .. import __version__
from ..errors import ExitCode, UsageError
from .options import CONTEXT
from .safely import broken_pipe, quietly, run_safely, write_stderr

# Typer vendors its own click; its usage errors all derive from this class.
_TyperUsageError = typer.BadParameter.__base__


class _Carried(Exception):
    """An EOFError or a Ctrl-C of the run, carried past click, which would turn it into Abort (and an empty
    line on stderr): the run ends as the plain path ends it (cli/safely.py)."""

    def __init__(self, error: BaseException):
        super().__init__(str(error))
        self.error = error


class LossGroup(TyperGroup):
    """Losses as commands, built on demand; one-line errors."""

    def get_command(self, ctx, cmd_name: str):
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            return command
        from .loss_command import build

        return build(cmd_name)

    def resolve_command(self, ctx, args):
        name = args[0]
        return name, self.get_command(ctx, name), args[1:]

    def invoke(self, ctx):
        # Here, not in run_safely: Typer turns a broken pipe into exit status 1 before that.
        try:
            code = super().invoke(ctx)
            if sys.stdout is not None:
                sys.stdout.flush()
            return code
        except BrokenPipeError:
            return broken_pipe()
        except (EOFError, KeyboardInterrupt) as exc:
            raise _Carried(exc) from None

    def format_help(self, ctx, formatter) -> None:
        from .helptext import root_help

        formatter.write(root_help(formatter.width))

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        args = sys.argv[1:] if args is None else list(args)
        if not args:
            from .helptext import short_usage

            write_stderr(short_usage())
            sys.exit(int(ExitCode.USAGE))

        def call():
            return super(LossGroup, self).main(
                args=args,
                prog_name="losscli",  # not the callback's name, which a test runner passes
                complete_var=complete_var,
                standalone_mode=False,
                **extra,
            )

        sys.exit(run_safely(lambda: quietly(lambda: typer_errors(call))))


def typer_errors(call):
    """``call()``, Typer's ways of ending as losscli's: a usage error as ours, Exit as its status."""
    try:
        return call()
    except _Carried as carried:
        raise carried.error from None
    except _TyperUsageError as exc:
        raise UsageError(f"{exc.format_message()} (see 'losscli --help')") from None
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        raise KeyboardInterrupt from None


def _show_version(value: bool) -> None:
    if value:
        sys.stdout.write(f"losscli {__version__}\n")
        raise typer.Exit()


app = typer.Typer(cls=LossGroup, rich_markup_mode=None, context_settings=CONTEXT, add_completion=True)


@app.callback()
def root(
    version: bool = typer.Option(
        False, "--version", callback=_show_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """losscli: a loss calculator that says what n is."""


@app.command(name="list", context_settings=CONTEXT)
def list_losses(
    task: str = typer.Argument(
        None, help="One task: regression, classes, distributions, margins or segmentation.", show_default=False
    ),
    output_format: str = typer.Option("table", "--format", "-f", help="table, json, csv or value."),
    details: bool = typer.Option(False, "--details", help="The framework calls each matches, its options."),
) -> int:
    """The losses by task: each one's formula and default --reduce (--details: what it matches, its options)."""
    from .listing import write_list

    write_list(output_format, task, details)
    return ExitCode.OK


@app.command(name="help", context_settings=CONTEXT)
def help_for(loss: str = typer.Argument(None, help="A loss name.", show_default=False)) -> int:
    """The help of one loss (as 'losscli LOSS --help'), or of losscli."""
    from .helptext import root_help

    if loss is None:
        sys.stdout.write(root_help(80))
        return ExitCode.OK
    sys.stdout.write(loss_help_text(loss))
    return ExitCode.OK


@app.command(name="merge", context_settings=CONTEXT)
def merge_states(
    states: Annotated[list[str], typer.Argument(help="State files written by --save-state, merged in this order.")],
    output_format: str = typer.Option("table", "--format", "-f", help="table, json, markdown, csv or value."),
    level: str = typer.Option("batch", help="With --format csv: batch or output (a state holds no samples)."),
    output: str = typer.Option(None, "--output", "-o", help="Write to FILE (atomically).", metavar="FILE"),
    max_rows: int = typer.Option(20, min=2, help="Rows shown per table before eliding the middle."),
    allow_duplicates: bool = typer.Option(
        False, "--allow-duplicates", help="Merge states that read the same input file (by its sha256)."
    ),
    group_by: str = typer.Option(
        None, "--group-by", help="shard: each state a group (its n, value and share), beside the pooled value."
    ),
    ci: str = typer.Option(
        None,
        "--ci",
        help="The confidence interval of each merged value (0.95 or 95%), as one run gives it.",
        metavar="LEVEL",
    ),
    resamples: int = typer.Option(2000, min=1, help="Bootstrap resamples of --ci."),
    seed: int = typer.Option(0, min=0, help="Seed of the resamples."),
    ci_method: str = typer.Option("studentized", help="studentized, bca or percentile."),
) -> int:
    """Add up the states of several runs (shards run anywhere): the result one run over all the inputs gives."""
    from ..engine.request import StatisticsSection
    from .merge import merge_command
    from .request import ci_level

    if ci_method not in ("studentized", "bca", "percentile"):
        from ..errors import UsageError

        raise UsageError(f"--ci-method {ci_method!r}: use studentized, bca or percentile")
    statistics = StatisticsSection(None if ci is None else ci_level(ci), resamples, seed, ci_method)
    return merge_command(states, output_format, level, output, max_rows, allow_duplicates, group_by, statistics)


def loss_help_text(name: str) -> str:
    """'losscli help mse': the same screen as 'losscli mse --help'."""
    from ..core.registry import get_loss
    from .loss_command import build

    spec = get_loss(name)
    command = build(spec.name)
    parent = typer.main.get_command(app).make_context("losscli", [spec.name], resilient_parsing=True)
    ctx = command.make_context(spec.name, [], parent=parent, resilient_parsing=True)
    return command.get_help(ctx) + "\n"


def run_command() -> None:
    typer.main.get_command(app).main()
