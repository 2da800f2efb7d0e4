"""The command of one loss (or of several, ``mse,mae``): shared options, then its own."""

from __future__ import annotations

import inspect

import typer
from typer.core import TyperCommand

from ..core.registry import options_by_name
from .flags import SECTIONS, section_of, with_optional_values
from .options import CONTEXT, parameters


class LossCommand(TyperCommand):
    """A loss command whose help lists its options by section, wrapped, never cut. Its
    description is written only when the help is shown (it reads the conventions table)."""

    def format_help(self, ctx, formatter) -> None:
        from .helptext import loss_description

        self.format_usage(ctx, formatter)
        specs = self.specs
        text = loss_description(specs[0]) if len(specs) == 1 else f"The losses {', '.join(s.name for s in specs)}."
        formatter.write_paragraph()
        formatter.write(text.rstrip() + "\n")
        sections: dict[str, list[tuple[str, str]]] = {}
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is not None and param.param_type_name == "option":
                section = section_of(param.name) if param.name not in ("help",) else "Other"
                sections.setdefault(section, []).append(record)
        for section in (*SECTIONS, "Other"):
            if section in sections:
                with formatter.section(section):
                    formatter.write_dl(sections[section], col_max=26)

    def parse_args(self, ctx, args):
        args = with_optional_values(list(args))
        try:
            return super().parse_args(ctx, args)
        except typer.BadParameter.__base__ as exc:  # Typer's click UsageError
            option = getattr(exc, "option_name", None)
            if option:
                name = option.split("=")[0].lstrip("-").removeprefix("no-").replace("-", "_")
                known = options_by_name().get(name)
                if known and all(option.hidden for _, option in known):  # a framework's constant, not an option
                    from ..errors import UsageError

                    raise UsageError(
                        f"{option.split('=')[0]} is a framework's constant, not an option: --like sets it "
                        f"('losscli help {self.specs[0].name}' lists the frameworks)"
                    ) from None
                if known:
                    self.specs[0].resolve_options({name: 0.0})  # raises "--x does not apply to ..."
            raise

    def format_usage(self, ctx, formatter) -> None:
        formatter.write_usage(ctx.command_path, "PREDS [TARGETS] [OPTIONS]")


def build(name: str):
    """The click command for ``name`` (a loss, an alias, or several as ``mse,mae``)."""
    from .plain import specs_of

    specs = specs_of(name)
    params = parameters(specs)

    def callback(**arguments) -> int:
        from .execute import execute

        return execute(specs, arguments)

    callback.__signature__ = inspect.Signature(params)
    callback.__annotations__ = {p.name: p.annotation for p in params}
    sub = typer.Typer(rich_markup_mode=None, add_completion=False)
    sub.command(name=name, cls=LossCommand, help=specs[0].title, context_settings=CONTEXT)(callback)
    command = typer.main.get_command(sub)
    command.specs = specs
    return command
